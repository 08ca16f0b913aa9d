// Key agreement. Shared secrets never leave the vault: they land in a new symmetric record,
// directly or through HKDF.
#pragma once

#include "stronghold/vault/keystore.hpp"
#include "stronghold/vault/mac.hpp"

namespace stronghold::vault {

// X25519 between the key at `key` and `peer_public` (32 bytes) into `into`. A low-order peer
// key (an all-zero result) is invalid_key.
Status x25519_agree(Transaction& tx, const Location& key, ByteView peer_public, const Location& into,
                    const RecordOptions& options = {});

struct HkdfParams {
  Hash hash = Hash::sha256;
  ByteView salt;
  ByteView info;
  std::size_t length = 32;
};
// X25519, then HKDF of the shared secret into `into`.
Status x25519_agree_hkdf(Transaction& tx, const Location& key, ByteView peer_public, const HkdfParams& params,
                         const Location& into, const RecordOptions& options = {});

// secp256k1 ECDH: the x coordinate of the shared point (32 bytes) into `into`. `peer_public`
// is 33 or 65 bytes (SEC1).
Status ecdh_secp256k1(Transaction& tx, const Location& key, ByteView peer_public, const Location& into,
                      const RecordOptions& options = {});

}  // namespace stronghold::vault
