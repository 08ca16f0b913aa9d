// Randomness from the operating system's generator (through libsodium).
#pragma once

#include <cstdint>
#include <span>

namespace stronghold::runtime {

void random_bytes(std::span<std::uint8_t> out) noexcept;
// Uniform in [0, upper_bound); 0 when upper_bound < 2.
std::uint32_t random_uniform(std::uint32_t upper_bound) noexcept;

}  // namespace stronghold::runtime
