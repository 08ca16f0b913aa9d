// AES key wrap (RFC 3394, with its default initial value A6A6A6A6A6A6A6A6): a key of 16 bytes or
// more, a multiple of 8, encrypted and integrity-protected under a 16-, 24- or 32-byte
// key-encryption key (KEK). The wrapped form is 8 bytes longer and is not secret.
#pragma once

#include <span>

#include "stronghold/vault/keystore.hpp"

namespace stronghold::vault {

inline constexpr std::size_t kKeyWrapOverhead = 8;

// `out` holds key.size() + 8 bytes. invalid_key for a KEK of another size, invalid_argument for
// a key that is not 16 to kMaxSecretSize bytes in steps of 8.
Status aes_key_wrap_raw(ByteView kek, ByteView key, std::span<std::uint8_t> out);
// `out` holds wrapped.size() - 8 bytes (in scratch: it is the key). authentication_failed when
// the integrity check fails (another KEK, altered bytes); `out` is then wiped.
Status aes_key_unwrap_raw(ByteView kek, ByteView wrapped, std::span<std::uint8_t> out);

// The symmetric record `key` wrapped under the symmetric record `kek`.
Result<Bytes> wrap_key(const Keystore& keystore, const Location& key, const Location& kek);
// Unwraps `wrapped` under the symmetric record `kek` into the symmetric record `into`.
Status unwrap_key(Transaction& tx, ByteView wrapped, const Location& kek, const Location& into,
                  const RecordOptions& options = {});

}  // namespace stronghold::vault
