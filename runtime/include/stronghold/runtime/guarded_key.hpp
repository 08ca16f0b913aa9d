// A small key used on every operation (an id-hashing key, for example): one guarded
// allocation, read-only once created and readable without a view, because a protection
// change per operation costs a TLB shootdown (see scratch.hpp). Not copyable; movable.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "stronghold/runtime/status.hpp"

namespace stronghold::runtime {

class GuardedKey {
 public:
  GuardedKey() noexcept = default;
  GuardedKey(const GuardedKey&) = delete;
  GuardedKey& operator=(const GuardedKey&) = delete;
  GuardedKey(GuardedKey&& other) noexcept;
  GuardedKey& operator=(GuardedKey&& other) noexcept;
  ~GuardedKey();

  // A copy of `bytes`, which the caller then wipes.
  static Result<GuardedKey> from(std::span<const std::uint8_t> bytes);
  std::span<const std::uint8_t> bytes() const noexcept { return {data_, size_}; }

 private:
  std::uint8_t* data_ = nullptr;
  std::size_t size_ = 0;
};

}  // namespace stronghold::runtime
