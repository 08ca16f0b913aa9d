#include "stronghold/vault/slip10.hpp"

#include <charconv>
#include <cstring>

#include <openssl/evp.h>
#include <secp256k1.h>
#include <sodium.h>

#include "companion_records.hpp"
#include "secp256k1_context.hpp"
#include "stronghold/runtime/base58.hpp"
#include "stronghold/runtime/scratch.hpp"
#include "stronghold/vault/mac.hpp"
#include "stronghold/vault/policy.hpp"

namespace stronghold::vault {
namespace {

using runtime::ScratchFrame;

constexpr std::size_t kMaxDepth = 255;
constexpr std::uint8_t kXpubVersion[4] = {0x04, 0x88, 0xb2, 0x1e};

// A node being derived; lives in scratch.
struct Node {
  std::uint8_t key[32];
  std::uint8_t chain_code[32];
  std::uint8_t public_key[33];
  std::uint8_t depth;
  std::uint32_t parent_fingerprint;
  std::uint32_t child_number;
};

void put_be32(std::uint8_t* out, std::uint32_t value) noexcept {
  for (int i = 0; i < 4; ++i)
    out[i] = static_cast<std::uint8_t>(value >> (24 - 8 * i));
}

std::uint32_t get_be32(const std::uint8_t* in) noexcept {
  return static_cast<std::uint32_t>(in[0]) << 24 | static_cast<std::uint32_t>(in[1]) << 16 |
         static_cast<std::uint32_t>(in[2]) << 8 | in[3];
}

Status compute_public(Curve curve, Node& node) {
  if (curve == Curve::ed25519) {
    ScratchFrame frame;
    SH_ASSIGN_OR_RETURN(auto expanded, frame.take(crypto_sign_SECRETKEYBYTES));
    node.public_key[0] = 0;
    crypto_sign_seed_keypair(node.public_key + 1, expanded.data(), node.key);
    return {};
  }
  secp256k1_pubkey point;
  SH_ASSIGN_OR_RETURN(const secp256k1_context* context, secret_key_context());
  if (!secp256k1_ec_pubkey_create(context, &point, node.key))
    return Status(Errc::internal, "a derived secp256k1 key is out of range");
  std::size_t size = sizeof node.public_key;
  secp256k1_ec_pubkey_serialize(secp256k1_context_static, node.public_key, &size, &point, SECP256K1_EC_COMPRESSED);
  return {};
}

std::uint32_t fingerprint(const std::uint8_t public_key[33]) {
  std::uint8_t sha[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(sha, public_key, 33);
  std::uint8_t ripemd[EVP_MAX_MD_SIZE];
  unsigned size = 0;
  EVP_Digest(sha, sizeof sha, ripemd, &size, EVP_ripemd160(), nullptr);
  return get_be32(ripemd);
}

// Splits I = IL || IR into a key and a chain code, as SLIP-10 does for each curve: a
// secp256k1 IL that is not a valid key (or tweak) gives I = HMAC(chain, 0x01 || IR || index).
Status derive_child(Curve curve, Node& node, std::uint32_t index) {
  ScratchFrame frame;
  SH_ASSIGN_OR_RETURN(auto data, frame.take(1 + 32 + 4));
  SH_ASSIGN_OR_RETURN(auto mac, frame.take(64));
  const bool hardened = index & kHardened;
  if (curve == Curve::ed25519 && !hardened)
    return Status(Errc::invalid_argument, "Ed25519 derivation takes hardened steps only (write 0' rather than 0)");
  if (hardened) {
    data[0] = 0;
    std::memcpy(data.data() + 1, node.key, 32);
  } else {
    std::memcpy(data.data(), node.public_key, 33);
  }
  put_be32(data.data() + 33, index);
  const std::uint32_t parent = fingerprint(node.public_key);
  SH_RETURN_IF_ERROR(hmac_raw(Hash::sha512, ByteView(node.chain_code, 32), data, mac));
  if (curve == Curve::ed25519) {
    std::memcpy(node.key, mac.data(), 32);
  } else {
    while (!secp256k1_ec_seckey_verify(secp256k1_context_static, mac.data()) ||
           !secp256k1_ec_seckey_tweak_add(secp256k1_context_static, node.key, mac.data())) {
      data[0] = 1;
      std::memcpy(data.data() + 1, mac.data() + 32, 32);
      SH_RETURN_IF_ERROR(hmac_raw(Hash::sha512, ByteView(node.chain_code, 32), data, mac));
    }
  }
  std::memcpy(node.chain_code, mac.data() + 32, 32);
  node.depth = static_cast<std::uint8_t>(node.depth + 1);
  node.parent_fingerprint = parent;
  node.child_number = index;
  return compute_public(curve, node);
}

Status derive_master(Curve curve, ByteView seed, Node& node) {
  const std::string_view curve_key = curve == Curve::ed25519 ? "ed25519 seed" : "Bitcoin seed";
  ScratchFrame frame;
  SH_ASSIGN_OR_RETURN(auto mac, frame.take(64));
  SH_ASSIGN_OR_RETURN(auto previous, frame.take(64));
  SH_RETURN_IF_ERROR(hmac_raw(Hash::sha512, as_bytes(curve_key), seed, mac));
  while (curve == Curve::secp256k1 && !secp256k1_ec_seckey_verify(secp256k1_context_static, mac.data())) {
    std::memcpy(previous.data(), mac.data(), mac.size());
    SH_RETURN_IF_ERROR(hmac_raw(Hash::sha512, as_bytes(curve_key), previous, mac));
  }
  std::memcpy(node.key, mac.data(), 32);
  std::memcpy(node.chain_code, mac.data() + 32, 32);
  node.depth = 0;
  node.parent_fingerprint = 0;
  node.child_number = 0;
  return compute_public(curve, node);
}

// What the chain companion of a derived key holds: chain code, depth, parent fingerprint, child
// number and the node's public key, which binds it to the key it was derived with.
constexpr std::size_t kStoredNodeSize = 32 + 1 + 4 + 4 + 33;

Location chain_location(const Location& key) { return companion_location(Companion::chain, key.vault, key.record); }

// The node of the derived key at `at` (its secret is `key`): the key and what its chain companion
// holds, when that companion is of this very key.
// Where a derivation reads its start and its chain code: the keystore, or a transaction, which
// sees its own writes.
struct NodeSource {
  FunctionRef<Status(const Location&, KeyTypes, SecretUse)> key;
  FunctionRef<Status(const Location&, FunctionRef<Status(ByteView)>)> companion;
};

Status load_node(const NodeSource& source, const Location& at, KeyType type, Curve curve, ByteView key, Node& node) {
  if ((type == KeyType::ed25519) != (curve == Curve::ed25519))
    return error(Errc::invalid_argument, "the key at {} is a {} key: derive from it on its own curve", at.to_string(),
                 key_type_name(type));
  if (key.size() != sizeof node.key)
    return error(Errc::corrupted, "the key at {} is not 32 bytes", at.to_string());
  std::memcpy(node.key, key.data(), sizeof node.key);
  SH_RETURN_IF_ERROR(compute_public(curve, node));
  bool matched = false;
  Status read = source.companion(chain_location(at), [&](ByteView stored) {
    matched = stored.size() == kStoredNodeSize && std::memcmp(stored.data() + 41, node.public_key, 33) == 0;
    if (matched) {
      std::memcpy(node.chain_code, stored.data(), 32);
      node.depth = stored[32];
      node.parent_fingerprint = get_be32(stored.data() + 33);
      node.child_number = get_be32(stored.data() + 37);
    }
    return Status();
  });
  if (!read.ok() && read.code() != Errc::not_found)
    return read;
  if (!matched)
    return error(Errc::wrong_key_type,
                 "the key at {} has no chain code to derive from: only keys that derive made keep one (keys "
                 "derived by an older version do not); derive from its seed",
                 at.to_string());
  return {};
}

// Keeps `node` as the chain companion of the key just stored at `into`.
Status store_node(Transaction& tx, const Location& into, const Node& node) {
  ScratchFrame frame;
  SH_ASSIGN_OR_RETURN(auto stored, frame.take(kStoredNodeSize));
  std::memcpy(stored.data(), node.chain_code, 32);
  stored[32] = node.depth;
  put_be32(stored.data() + 33, node.parent_fingerprint);
  put_be32(stored.data() + 37, node.child_number);
  std::memcpy(stored.data() + 41, node.public_key, 33);
  return CompanionRecords::put(tx, chain_location(into), stored);
}

// Derives the node at `path` from the seed or derived key at `from` into `node` (scratch) and
// calls `then`.
Status with_node(const NodeSource& source, const Location& from, std::string_view path, Curve curve,
                 FunctionRef<Status(const Node&)> then) {
  SH_ASSIGN_OR_RETURN(const std::vector<std::uint32_t> steps, parse_derivation_path(path));
  constexpr KeyTypes kStarts = key_types(KeyType::seed, KeyType::ed25519, KeyType::secp256k1);
  return source.key(from, kStarts, [&](ByteView secret, const RecordView& record) {
    ScratchFrame frame;
    SH_ASSIGN_OR_RETURN(auto node_bytes, frame.take(sizeof(Node)));
    Node& node = *reinterpret_cast<Node*>(node_bytes.data());
    SH_RETURN_IF_ERROR(record.type == KeyType::seed ? derive_master(curve, secret, node)
                                                    : load_node(source, from, record.type, curve, secret, node));
    if (node.depth + steps.size() > kMaxDepth)  // BIP32 writes the depth in a byte
      return error(Errc::invalid_argument, "a node is at most {} steps from its seed; the key at {} is {} already",
                   kMaxDepth, from.to_string(), node.depth);
    for (const std::uint32_t index : steps)
      SH_RETURN_IF_ERROR(derive_child(curve, node, index));
    return then(node);
  });
}

NodePublic public_of(const Node& node) {
  return {node.depth, node.parent_fingerprint, node.child_number, Bytes(node.chain_code, node.chain_code + 32),
          Bytes(node.public_key, node.public_key + 33)};
}

}  // namespace

Result<std::vector<std::uint32_t>> parse_derivation_path(std::string_view text) {
  if (text.empty() || text[0] != 'm')
    return Status(Errc::invalid_argument, "a derivation path starts with 'm', as in m/44'/4218'/0'");
  std::vector<std::uint32_t> steps;
  std::size_t at = 1;
  while (at < text.size()) {
    if (text[at] != '/')
      return error(Errc::invalid_argument, "expected '/' at position {} of the derivation path", at);
    const std::size_t end = text.find('/', at + 1);
    std::string_view step = text.substr(at + 1, end == std::string_view::npos ? std::string_view::npos : end - at - 1);
    const bool hardened = !step.empty() && (step.back() == '\'' || step.back() == 'h' || step.back() == 'H');
    if (hardened)
      step.remove_suffix(1);
    std::uint32_t index = 0;
    const auto [rest, failure] = std::from_chars(step.data(), step.data() + step.size(), index);
    if (step.empty() || failure != std::errc{} || rest != step.data() + step.size() || index >= kHardened)
      return error(Errc::invalid_argument, "step {} of the derivation path is not an index below 2^31",
                   steps.size() + 1);
    if (steps.size() == kMaxDepth)
      return Status(Errc::invalid_argument, "a derivation path has at most 255 steps");
    steps.push_back(hardened ? index | kHardened : index);
    at = end == std::string_view::npos ? text.size() : end;
  }
  return steps;
}

Result<Bytes> derive_key(Transaction& tx, const Location& from, std::string_view path, Curve curve,
                         const Location& into, const RecordOptions& options) {
  Bytes public_key;
  const auto key = [&](const Location& at, KeyTypes allowed, SecretUse use) { return tx.use(at, allowed, use); };
  const auto companion = [&](const Location& at, FunctionRef<Status(ByteView)> use) {
    return CompanionRecords::use(tx, at, use);
  };
  SH_RETURN_IF_ERROR(with_node(NodeSource{key, companion}, from, path, curve, [&](const Node& node) {
    const bool ed = curve == Curve::ed25519;
    public_key.assign(node.public_key + (ed ? 1 : 0), node.public_key + 33);
    SH_RETURN_IF_ERROR(
        tx.put(into, ed ? KeyType::ed25519 : KeyType::secp256k1, ByteView(node.key, 32), public_key, options));
    return store_node(tx, into, node);
  }));
  return public_key;
}

Status copy_chain_code(Transaction& tx, const Location& from, const Location& to) {
  const Status copied = CompanionRecords::use(
      tx, chain_location(from), [&](ByteView stored) { return CompanionRecords::put(tx, chain_location(to), stored); });
  return copied.code() == Errc::not_found ? Status() : copied;
}

Result<NodePublic> derive_node_public(const Keystore& keystore, const Location& from, std::string_view path,
                                      Curve curve) {
  NodePublic result;
  const auto key = [&](const Location& at, KeyTypes allowed, SecretUse use) { return keystore.use(at, allowed, use); };
  const auto companion = [&](const Location& at, FunctionRef<Status(ByteView)> use) {
    return CompanionRecords::use(keystore, at, use);
  };
  SH_RETURN_IF_ERROR(with_node(NodeSource{key, companion}, from, path, curve, [&](const Node& node) {
    result = public_of(node);
    return Status{};
  }));
  return result;
}

Result<std::string> derive_xpub(const Keystore& keystore, const Location& from, std::string_view path) {
  SH_ASSIGN_OR_RETURN(const NodePublic node, derive_node_public(keystore, from, path, Curve::secp256k1));
  Bytes payload(78);
  std::memcpy(payload.data(), kXpubVersion, 4);
  payload[4] = node.depth;
  put_be32(payload.data() + 5, node.parent_fingerprint);
  put_be32(payload.data() + 9, node.child_number);
  std::memcpy(payload.data() + 13, node.chain_code.data(), 32);
  std::memcpy(payload.data() + 45, node.public_key.data(), 33);
  return to_base58check(payload);
}

}  // namespace stronghold::vault
