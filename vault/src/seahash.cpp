#include "stronghold/vault/seahash.hpp"

#include <algorithm>

namespace stronghold::vault {

std::uint64_t seahash_diffuse(std::uint64_t x) noexcept {
  constexpr std::uint64_t kPrime = 0x6eed0e9da4d94a4f;
  x *= kPrime;
  x ^= (x >> 32) >> (x >> 60);
  x *= kPrime;
  return x;
}

std::uint64_t seahash(ByteView input) noexcept {
  std::uint64_t a = 0x16f11fe89b0d677c, b = 0xb480a793d8e6c86c, c = 0x6fe2e5aaf078ebc9, d = 0x14f994a4c5259381;
  for (std::size_t offset = 0; offset < input.size(); offset += 8) {
    std::uint64_t word = 0;  // little-endian, the last one zero-padded
    const std::size_t size = std::min<std::size_t>(8, input.size() - offset);
    for (std::size_t i = 0; i < size; ++i)
      word |= static_cast<std::uint64_t>(input[offset + i]) << (8 * i);
    const std::uint64_t mixed = seahash_diffuse(a ^ word);
    a = b, b = c, c = d, d = mixed;
  }
  return seahash_diffuse(a ^ b ^ c ^ d ^ static_cast<std::uint64_t>(input.size()));
}

}  // namespace stronghold::vault
