// HMAC, HKDF and PBKDF2 with keys taken from records. MAC tags are returned; derived keys go
// into records.
#pragma once

#include <span>

#include "stronghold/vault/keystore.hpp"

namespace stronghold::vault {

// The values are on the wire (actors/wire.hpp): new hashes are appended.
enum class Hash { sha256, sha512, sha384 };
std::size_t hash_size(Hash hash) noexcept;

// HMAC keyed with a symmetric or seed record.
Result<Bytes> hmac(const Keystore& keystore, const Location& key, Hash hash, ByteView message);
// HKDF (RFC 5869) of a symmetric or seed record into `into`; length at most 255 hash blocks.
Status hkdf(Transaction& tx, const Location& key, Hash hash, ByteView salt, ByteView info, std::size_t length,
            const Location& into, const RecordOptions& options = {});
// PBKDF2-HMAC-SHA512 with the password in a record (symmetric or opaque) into `into`.
Status pbkdf2_sha512(Transaction& tx, const Location& password, ByteView salt, std::uint32_t iterations,
                     std::size_t length, const Location& into, const RecordOptions& options = {});

// The primitives, on caller memory (the caller keeps secrets in scratch).
// `out` holds hash_size(hash) bytes; internal only when libcrypto fails (SHA-384: out of memory).
Status hmac_raw(Hash hash, ByteView key, ByteView message, std::span<std::uint8_t> out);
Status hkdf_raw(Hash hash, ByteView ikm, ByteView salt, ByteView info, std::span<std::uint8_t> out);
Status pbkdf2_raw(Hash hash, ByteView password, ByteView salt, std::uint32_t iterations, std::span<std::uint8_t> out);
// The hash of `parts` one after the other; `out` holds hash_size(hash) bytes. libcrypto's context
// keeps the hash state, which it cleanses when freed.
Status digest_raw(Hash hash, std::span<const ByteView> parts, std::span<std::uint8_t> out);

}  // namespace stronghold::vault
