// Bytes that may hold a secret on their way through ordinary memory (a request frame with a
// password in it, a decrypted payload, a command's output), as Tink's SecretData: every block
// the container frees is wiped first, growth included, so no stale copy is left behind in the
// heap; it cannot be copied by accident (clone() says so) nor printed.
//
//   SecretBytes frame;
//   frame.append(header);        // may grow: the old block is wiped before it is freed
//   send(frame.view());
//
// Long-lived secrets belong in SecretBuffer (guarded pages); this type is for bytes in transit.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "stronghold/runtime/hex.hpp"

namespace stronghold::runtime {

// Wipes with a store the compiler may not remove (sodium_memzero).
void wipe(void* data, std::size_t size) noexcept;

// An allocator that wipes every block before `Base` frees it.
template <class T, class Base = std::allocator<T>>
struct WipingAllocator : Base {
  using value_type = T;
  template <class U>
  struct rebind {
    using other = WipingAllocator<U, typename std::allocator_traits<Base>::template rebind_alloc<U>>;
  };
  WipingAllocator() noexcept = default;
  template <class U, class B>
  WipingAllocator(const WipingAllocator<U, B>& other) noexcept : Base(other) {}

  void deallocate(T* block, std::size_t count) noexcept {
    wipe(block, count * sizeof(T));
    Base::deallocate(block, count);
  }
  friend bool operator==(const WipingAllocator&, const WipingAllocator&) noexcept { return true; }
};

class SecretBytes {
 public:
  using Storage = std::vector<std::uint8_t, WipingAllocator<std::uint8_t>>;

  SecretBytes() = default;
  explicit SecretBytes(std::size_t size) : bytes_(size) {}
  explicit SecretBytes(ByteView bytes) : bytes_(bytes.begin(), bytes.end()) {}
  SecretBytes(SecretBytes&&) noexcept = default;
  SecretBytes& operator=(SecretBytes&&) noexcept = default;
  SecretBytes(const SecretBytes&) = delete;
  SecretBytes& operator=(const SecretBytes&) = delete;
  ~SecretBytes() = default;  // the allocator wipes

  SecretBytes clone() const { return SecretBytes(view()); }

  std::size_t size() const noexcept { return bytes_.size(); }
  bool empty() const noexcept { return bytes_.empty(); }
  std::uint8_t* data() noexcept { return bytes_.data(); }
  const std::uint8_t* data() const noexcept { return bytes_.data(); }
  ByteView view() const noexcept { return {bytes_.data(), bytes_.size()}; }
  std::span<std::uint8_t> span() noexcept { return {bytes_.data(), bytes_.size()}; }

  void resize(std::size_t size) { bytes_.resize(size); }
  void reserve(std::size_t size) { bytes_.reserve(size); }
  void append(ByteView bytes) { bytes_.insert(bytes_.end(), bytes.begin(), bytes.end()); }
  void push_back(std::uint8_t byte) { bytes_.push_back(byte); }
  // Drops the first `count` bytes (what a reader consumed); the bytes left behind are wiped.
  void consume(std::size_t count) noexcept;
  // Wipes and empties, keeping the block for reuse.
  void clear() noexcept;

 private:
  Storage bytes_;
};

}  // namespace stronghold::runtime
