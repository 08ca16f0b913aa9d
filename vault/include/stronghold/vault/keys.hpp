// Key generation, import, public keys, copy and move.
#pragma once

#include "stronghold/vault/keystore.hpp"

namespace stronghold::vault {

// A new random key at `location`; returns its public key (Ed25519 and X25519: 32 bytes,
// secp256k1: 33-byte compressed; nothing for symmetric keys). Types: ed25519, x25519,
// secp256k1, symmetric (32 bytes).
Result<Bytes> generate_key(Transaction& tx, const Location& location, KeyType type, const RecordOptions& options = {});
// Stores a caller's private key; invalid_key when the curve refuses it (a secp256k1 scalar
// of zero or past the group order), invalid_argument for a wrong length.
Result<Bytes> import_key(Transaction& tx, const Location& location, KeyType type, ByteView secret,
                         const RecordOptions& options = {});
// The 65-byte uncompressed public key of a secp256k1 record.
Result<Bytes> public_key_uncompressed(const Keystore& keystore, const Location& location);

// Re-seal a record's secret under the target vault's key (its type, public key, hint, expiry
// and, for a derived key, chain code come along). move also deletes the source; both writes
// land together or not at all.
Status copy_record(Transaction& tx, const Location& from, const Location& to);
Status move_record(Transaction& tx, const Location& from, const Location& to);

}  // namespace stronghold::vault
