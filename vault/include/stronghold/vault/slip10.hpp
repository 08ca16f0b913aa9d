// SLIP-10 derivation from a seed record: Ed25519 (hardened steps only) and secp256k1 (BIP32,
// hardened and not). Derived private keys go into records; the public side of a node (and a
// secp256k1 node's extended public key, for watch-only wallets) can be read.
//
// A derived key keeps its node (chain code, depth, parent fingerprint, child number) sealed in
// its vault's chain companion (policy.hpp, Companion::chain), so that derivation goes on from
// the key as from a seed: the path is then relative to the key's node ("m/1'" is its child 1').
// The companion is bound to the key: it holds the node's public key, and a key put at the
// location since (generated, imported) does not match it, so has no chain code.
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

// Derives the node at `path` from the seed, or the derived key of that curve, at `from` and stores
// its private key at `into` as an Ed25519 or secp256k1 key, with its node in the chain companion;
// returns the public key as the key type stores it (32 or 33 bytes). From a key without a chain
// code (not made by derive, or derived before chain codes were kept): wrong_key_type.
Result<Bytes> derive_key(Transaction& tx, const Location& from, std::string_view path, Curve curve,
                         const Location& into, const RecordOptions& options = {});
Result<NodePublic> derive_node_public(const Keystore& keystore, const Location& from, std::string_view path,
                                      Curve curve);
// The BIP32 extended public key ("xpub...") of a secp256k1 node.
Result<std::string> derive_xpub(const Keystore& keystore, const Location& from, std::string_view path);

// Gives the key copied from `from` to `to` the chain code of `from`, when it has one.
Status copy_chain_code(Transaction& tx, const Location& from, const Location& to);

// A random seed of `size` bytes (kMinSeedSize..kMaxSeedSize) at `at`, as SLIP-10 and BIP32 take
// one: what derive starts from.
inline constexpr std::size_t kMinSeedSize = 16;
inline constexpr std::size_t kMaxSeedSize = 64;
Status generate_seed(Transaction& tx, const Location& at, std::size_t size, const RecordOptions& options = {});

}  // namespace stronghold::vault
