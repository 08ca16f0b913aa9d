// A secret in guarded memory, no-access except inside a scoped view.
//
//   SecretBuffer key(32);
//   { auto w = key.write(); random_bytes(w.bytes()); }
//   { auto r = key.read(); use(r.bytes()); }   // reads nest; a write is exclusive
//
// Not copyable; moving transfers the allocation and leaves the source empty. Printing one
// (fmt or a stream) shows a redacted marker. Opening a write view while any view is open,
// or a read view while a write view is open, is a programming error and aborts.
#pragma once

#include <cstddef>
#include <cstdint>
#include <iosfwd>
#include <mutex>
#include <span>

#include <fmt/format.h>

#include "stronghold/runtime/status.hpp"

namespace stronghold::runtime {

class SecretBuffer;

class ReadView {
 public:
  ReadView(const ReadView&) = delete;
  ReadView& operator=(const ReadView&) = delete;
  ~ReadView();
  std::span<const std::uint8_t> bytes() const noexcept;

 private:
  friend class SecretBuffer;
  explicit ReadView(const SecretBuffer& buffer) noexcept : buffer_(buffer) {}
  const SecretBuffer& buffer_;
};

class WriteView {
 public:
  WriteView(const WriteView&) = delete;
  WriteView& operator=(const WriteView&) = delete;
  ~WriteView();
  std::span<std::uint8_t> bytes() const noexcept;

 private:
  friend class SecretBuffer;
  explicit WriteView(SecretBuffer& buffer) noexcept : buffer_(buffer) {}
  SecretBuffer& buffer_;
};

class SecretBuffer {
 public:
  SecretBuffer() noexcept = default;
  SecretBuffer(const SecretBuffer&) = delete;
  SecretBuffer& operator=(const SecretBuffer&) = delete;
  SecretBuffer(SecretBuffer&& other) noexcept;
  SecretBuffer& operator=(SecretBuffer&& other) noexcept;
  ~SecretBuffer();

  // `size` zero bytes (size 0 gives an empty buffer), or resource_exhausted.
  static Result<SecretBuffer> create(std::size_t size);
  // A copy of `bytes` in guarded memory. The caller wipes its own copy.
  static Result<SecretBuffer> from(std::span<const std::uint8_t> bytes);

  std::size_t size() const noexcept { return size_; }
  bool empty() const noexcept { return size_ == 0; }

  ReadView read() const;
  WriteView write();
  // Zeroes every byte; the buffer keeps its size.
  void wipe();

 private:
  friend class ReadView;
  friend class WriteView;
  void release() noexcept;
  void close_read() const noexcept;
  void close_write() noexcept;

  std::uint8_t* data_ = nullptr;
  std::size_t size_ = 0;
  mutable std::mutex mutex_;  // guards the two counters and the page protection
  mutable std::uint32_t readers_ = 0;
  bool writing_ = false;
};

std::ostream& operator<<(std::ostream& out, const SecretBuffer& buffer);

}  // namespace stronghold::runtime

template <>
struct fmt::formatter<stronghold::runtime::SecretBuffer> : fmt::formatter<std::string_view> {
  auto format(const stronghold::runtime::SecretBuffer&, fmt::format_context& ctx) const {
    return fmt::formatter<std::string_view>::format("SecretBuffer(<redacted>)", ctx);
  }
};
