// XChaCha20-Poly1305 with a random 192-bit nonce: the seal of records, wrapped keys and, on
// the snapshot floor, of file bodies and journal entries. Sealed = nonce || ciphertext || tag.
#pragma once

#include <cstdint>
#include <span>

#include "stronghold/runtime/hex.hpp"
#include "stronghold/runtime/status.hpp"

namespace stronghold::vault {

inline constexpr std::size_t kSealKeySize = 32;
inline constexpr std::size_t kSealNonceSize = 24;
inline constexpr std::size_t kSealTagSize = 16;

// `key` must be 32 bytes.
Result<Bytes> seal(ByteView key, ByteView associated_data, ByteView plaintext);
// `out` must be sealed.size() - 40 bytes. authentication_failed when the key, the associated
// data or any byte differs; `out` is then zeroed.
Status open(ByteView key, ByteView associated_data, ByteView sealed, std::span<std::uint8_t> out);

}  // namespace stronghold::vault
