// SeaHash (version 4, default seeds): the 64-bit hash that names identity keys by their public key.
// Not a cryptographic hash; it only has to match other implementations of the identity storage.
#pragma once

#include <cstdint>

#include "stronghold/runtime/hex.hpp"

namespace stronghold::vault {

std::uint64_t seahash(ByteView input) noexcept;
// The mixing step, exposed for its known-answer tests.
std::uint64_t seahash_diffuse(std::uint64_t x) noexcept;

}  // namespace stronghold::vault
