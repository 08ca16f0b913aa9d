// Little-endian fixed-width integers, LEB128 varints and length-prefixed byte strings, with
// reads that never run past their input: the snapshot's formats and the engine's wire form.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <string>

#include "stronghold/runtime/hex.hpp"

namespace stronghold {

// Appends to `Out`: Bytes, or runtime::SecretBytes for an encoding that carries a secret (it
// wipes what it frees as it grows).
template <class Out>
class BasicByteWriter {
 public:
  explicit BasicByteWriter(Out& out) noexcept : out_(out) {}
  void u8(std::uint8_t value) { out_.push_back(value); }
  void u16(std::uint16_t value) { fixed(value, 2); }
  void u32(std::uint32_t value) { fixed(value, 4); }
  void u64(std::uint64_t value) { fixed(value, 8); }
  void varint(std::uint64_t value) {
    while (value >= 0x80) {
      out_.push_back(static_cast<std::uint8_t>(value | 0x80));
      value >>= 7;
    }
    out_.push_back(static_cast<std::uint8_t>(value));
  }
  void signed_varint(std::int64_t value) {  // zigzag
    varint((static_cast<std::uint64_t>(value) << 1) ^ static_cast<std::uint64_t>(value >> 63));
  }
  void raw(ByteView bytes) {
    if constexpr (requires { out_.append(bytes); })
      out_.append(bytes);
    else
      out_.insert(out_.end(), bytes.begin(), bytes.end());
  }
  void bytes(ByteView bytes) {
    varint(bytes.size());
    raw(bytes);
  }
  void text(const std::string& text) { bytes(as_bytes(text)); }

 private:
  void fixed(std::uint64_t value, int size) {
    for (int i = 0; i < size; ++i)
      out_.push_back(static_cast<std::uint8_t>(value >> (8 * i)));
  }
  Out& out_;
};

using ByteWriter = BasicByteWriter<Bytes>;

// Each read returns false once the input is exhausted or inconsistent; the reader then stays
// failed, so a sequence of reads needs one check at the end.
class ByteReader {
 public:
  explicit ByteReader(ByteView in) noexcept : in_(in) {}
  bool ok() const noexcept { return ok_; }
  std::size_t remaining() const noexcept { return in_.size() - pos_; }
  std::size_t position() const noexcept { return pos_; }

  bool u8(std::uint8_t& value) { return fixed(value, 1); }
  bool u16(std::uint16_t& value) { return fixed(value, 2); }
  bool u32(std::uint32_t& value) { return fixed(value, 4); }
  bool u64(std::uint64_t& value) { return fixed(value, 8); }
  bool varint(std::uint64_t& value) {
    value = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      std::uint8_t byte = 0;
      if (!u8(byte))
        return false;
      value |= static_cast<std::uint64_t>(byte & 0x7f) << shift;
      if ((byte & 0x80) == 0)
        return true;
    }
    return fail();
  }
  bool signed_varint(std::int64_t& value) {
    std::uint64_t raw_value = 0;
    if (!varint(raw_value))
      return false;
    value = static_cast<std::int64_t>((raw_value >> 1) ^ (0 - (raw_value & 1)));
    return true;
  }
  // A view of the next `size` bytes.
  bool raw(std::size_t size, ByteView& out) {
    if (!ok_ || size > remaining())
      return fail();
    out = in_.subspan(pos_, size);
    pos_ += size;
    return true;
  }
  template <std::size_t N>
  bool array(std::array<std::uint8_t, N>& out) {
    ByteView view;
    if (!raw(N, view))
      return false;
    std::memcpy(out.data(), view.data(), N);
    return true;
  }
  // A length-prefixed string of at most `max` bytes.
  bool bytes(Bytes& out, std::size_t max) {
    std::uint64_t size = 0;
    ByteView view;
    if (!varint(size) || size > max || !raw(static_cast<std::size_t>(size), view))
      return fail();
    out.assign(view.begin(), view.end());
    return true;
  }
  bool text(std::string& out, std::size_t max) {
    std::uint64_t size = 0;
    ByteView view;
    if (!varint(size) || size > max || !raw(static_cast<std::size_t>(size), view))
      return fail();
    out.assign(reinterpret_cast<const char*>(view.data()), view.size());
    return true;
  }

 private:
  template <class T>
  bool fixed(T& value, int size) {
    ByteView view;
    if (!raw(static_cast<std::size_t>(size), view))
      return false;
    std::uint64_t result = 0;
    for (int i = 0; i < size; ++i)
      result |= static_cast<std::uint64_t>(view[static_cast<std::size_t>(i)]) << (8 * i);
    value = static_cast<T>(result);
    return true;
  }
  bool fail() {
    ok_ = false;
    return false;
  }
  ByteView in_;
  std::size_t pos_ = 0;
  bool ok_ = true;
};

}  // namespace stronghold
