#include "stronghold/runtime/compare.hpp"

#include <sodium.h>

namespace stronghold::runtime {

bool constant_time_equal(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b) noexcept {
  if (a.size() != b.size())
    return false;
  return a.empty() || sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

bool constant_time_is_zero(std::span<const std::uint8_t> bytes) noexcept {
  return sodium_is_zero(bytes.data(), bytes.size()) == 1;
}

void secure_wipe(std::span<std::uint8_t> bytes) noexcept { sodium_memzero(bytes.data(), bytes.size()); }

}  // namespace stronghold::runtime
