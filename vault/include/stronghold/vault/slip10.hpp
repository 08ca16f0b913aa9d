// SLIP-10 derivation from a seed record: Ed25519 (hardened steps only) and secp256k1 (BIP32,
// hardened and not). Derived private keys go into records; the public side of a node (and a
// secp256k1 node's extended public key, for watch-only wallets) can be read.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "stronghold/vault/keystore.hpp"

namespace stronghold::vault {

enum class Curve { ed25519, secp256k1 };

inline constexpr std::uint32_t kHardened = 0x8000'0000u;

// "m/44'/4218'/0'/0'/0'": indices below 2^31, hardened with ', h or H; at most 255 steps.
Result<std::vector<std::uint32_t>> parse_derivation_path(std::string_view text);

struct NodePublic {
  std::uint8_t depth = 0;
  std::uint32_t parent_fingerprint = 0;  // first 4 bytes of HASH160 of the parent's public key
  std::uint32_t child_number = 0;
  Bytes chain_code;  // 32 bytes
  Bytes public_key;  // 33 bytes: secp256k1 compressed, or 0x00 || Ed25519 key as SLIP-10 writes it
};

// Derives the node at `path` from the seed at `seed` and stores its private key at `into` as an
// Ed25519 or secp256k1 key; returns the public key as the key type stores it (32 or 33 bytes).
Result<Bytes> derive_key(Transaction& tx, const Location& seed, std::string_view path, Curve curve,
                         const Location& into, const RecordOptions& options = {});
Result<NodePublic> derive_node_public(const Keystore& keystore, const Location& seed, std::string_view path,
                                      Curve curve);
// The BIP32 extended public key ("xpub...") of a secp256k1 node.
Result<std::string> derive_xpub(const Keystore& keystore, const Location& seed, std::string_view path);

}  // namespace stronghold::vault
