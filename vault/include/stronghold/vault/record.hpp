// Records and the changes that create, replace and remove them.
//
// A record's secret is sealed with XChaCha20-Poly1305 under its vault's key; the associated
// data binds the vault id, the record id, the version and the key type, so a sealed blob moved
// to another place, rolled back to an older version or relabelled is rejected. Everything
// else in a record is public metadata.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "stronghold/runtime/hex.hpp"
#include "stronghold/vault/location.hpp"

namespace stronghold::vault {

enum class KeyType : std::uint8_t {
  seed = 1,       // BIP39 / SLIP-10 seed
  ed25519 = 2,    // 32-byte private seed
  x25519 = 3,     // 32-byte private scalar
  secp256k1 = 4,  // 32-byte private scalar
  symmetric = 5,  // MAC, KDF and AEAD keys, shared secrets
  opaque = 6,     // anything else, e.g. secret-store values
};

std::string_view key_type_name(KeyType type) noexcept;
// The system clock in unix seconds: the default clock for expiry.
std::int64_t unix_now() noexcept;
Result<KeyType> parse_key_type(std::string_view name);

// Ids are keyed hashes of the paths (SipHash-128 under a per-snapshot key): they identify a
// vault or record without revealing its path.
using Id = std::array<std::uint8_t, 16>;
using VaultId = Id;
using RecordId = Id;

struct IdHash {
  std::size_t operator()(const Id& id) const noexcept {
    std::size_t value;
    std::memcpy(&value, id.data(), sizeof value);  // the id is already uniformly random
    return value;
  }
};

inline constexpr std::size_t kMaxHintLength = 64;
inline constexpr std::size_t kMaxSecretSize = std::size_t{32} * 1024;
inline constexpr std::size_t kSealOverhead = 24 + 16;  // nonce and tag

struct Record {
  RecordId id{};
  std::string path;  // the record part of its location
  KeyType type = KeyType::opaque;
  std::string hint;
  std::uint64_t version = 0;
  std::int64_t created_at = 0;  // unix seconds
  std::int64_t expires_at = 0;  // unix seconds; 0 for never
  bool revoked = false;
  Bytes public_key;  // empty for secrets without one
  Bytes sealed;      // nonce || ciphertext || tag; empty once revoked

  std::size_t secret_size() const noexcept { return sealed.size() - kSealOverhead; }
  bool expired_at(std::int64_t now) const noexcept { return expires_at != 0 && now >= expires_at; }
};

// A record's fields without owning them, as a keystore hands them out: read from its packed
// storage, or from a Record (a transaction's staged one). Valid until the keystore changes.
struct RecordView {
  RecordView() = default;
  RecordView(const Record& record) noexcept  // implicit: a staged Record reads as a view
      : id(record.id),
        path(record.path),
        type(record.type),
        hint(record.hint),
        version(record.version),
        created_at(record.created_at),
        expires_at(record.expires_at),
        revoked(record.revoked),
        public_key(record.public_key),
        sealed(record.sealed) {}

  RecordId id{};
  std::string_view path;
  KeyType type = KeyType::opaque;
  std::string_view hint;
  std::uint64_t version = 0;
  std::int64_t created_at = 0;
  std::int64_t expires_at = 0;
  bool revoked = false;
  ByteView public_key;
  ByteView sealed;

  std::size_t secret_size() const noexcept { return sealed.size() - kSealOverhead; }
  bool expired_at(std::int64_t now) const noexcept { return expires_at != 0 && now >= expires_at; }
  // An owning copy, for a change set.
  Record to_record() const;
};

struct RecordOptions {
  std::string hint;
  std::int64_t expires_at = 0;  // unix seconds; 0 for never
};

// What a listing shows: never secret bytes.
struct RecordInfo {
  Location location;
  KeyType type = KeyType::opaque;
  std::string hint;
  std::uint64_t version = 0;
  std::int64_t created_at = 0;
  std::int64_t expires_at = 0;
  bool revoked = false;
};

// The unit of change: a snapshot journals change sets, and its body is the whole state written
// as one.
struct PutVault {
  VaultId id{};
  std::string path;
  Bytes wrapped_key;               // the vault key sealed under the snapshot key
  std::uint64_t last_version = 0;  // the highest record version ever used in the vault
};
struct PutRecord {
  VaultId vault{};
  Record record;
};
struct RemoveRecord {
  VaultId vault{};
  RecordId record{};
  std::uint64_t version = 0;  // of the removed record, so versions never repeat
};
struct RemoveVault {
  VaultId id{};
};
using Change = std::variant<PutVault, PutRecord, RemoveRecord, RemoveVault>;

struct ChangeSet {
  std::vector<Change> changes;
  bool empty() const noexcept { return changes.empty(); }
};

}  // namespace stronghold::vault
