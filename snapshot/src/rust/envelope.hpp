// The two envelopes around a Rust Stronghold snapshot's compressed state, and the LZ4 block
// inside them. Each returns the bytes it opened in wiping memory.
#pragma once

#include "stronghold/runtime/hex.hpp"
#include "stronghold/runtime/secret_bytes.hpp"
#include "stronghold/runtime/status.hpp"

namespace stronghold::snapshot::rust_stronghold {

// The most a snapshot's state may inflate to: LZ4 stores no size, so the reader bounds it.
inline constexpr std::size_t kMaxStateSize = std::size_t{64} << 20;

// Version 2: ephemeral X25519 key (32) | tag (16) | XChaCha20-Poly1305 ciphertext, `key` the
// 32-byte X25519 secret. A tag that does not verify is wrong_password: the envelope has no
// other check, so a damaged envelope reads the same.
Result<runtime::SecretBytes> open_x25519_envelope(ByteView envelope, ByteView key);

// Version 3: an age v1 file with one scrypt recipient, `passphrase` its raw bytes. A stanza
// that does not open is wrong_password; a header MAC or payload chunk that fails once the file
// key opened is corrupted.
Result<runtime::SecretBytes> open_age(ByteView file, ByteView passphrase);

// One raw LZ4 block with no stored size; the output may grow to `limit` bytes.
Result<runtime::SecretBytes> lz4_inflate(ByteView block, std::size_t limit);

}  // namespace stronghold::snapshot::rust_stronghold
