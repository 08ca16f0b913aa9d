// Keccak-256 as Ethereum uses it: the Keccak submission's padding (0x01), not FIPS 202 SHA3-256's
// (0x06), so the two differ on every input. OpenSSL 3.0 offers only the latter.
#pragma once

#include <array>
#include <cstdint>

#include "stronghold/runtime/hex.hpp"

namespace stronghold::vault {

inline constexpr std::size_t kKeccak256Bytes = 32;

// The 32-byte Keccak-256 digest of `message`. The sponge state is wiped before returning, so
// that hashing a secret leaves no copy of it behind.
std::array<std::uint8_t, kKeccak256Bytes> keccak256(ByteView message) noexcept;

}  // namespace stronghold::vault
