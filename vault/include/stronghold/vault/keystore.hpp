// The state of one snapshot's secrets and the only way to change it.
//
// Key hierarchy: the snapshot key (given by the snapshot floor) wraps one random 256-bit key
// per vault, which seals that vault's records. In memory the snapshot key and the vault keys
// are shielded and records stay sealed; plaintext exists only in the thread's scratch area
// while one operation runs.
//
// Reading: `use` unseals one live record for the span of a callback. Writing: procedures put
// their writes into a Transaction; `commit` applies its change set all or nothing, so a
// procedure that fails half-way leaves no write behind. The snapshot floor persists the same
// change sets.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "stronghold/runtime/secret_buffer.hpp"
#include "stronghold/runtime/shield.hpp"
#include "stronghold/vault/function_ref.hpp"
#include "stronghold/vault/record.hpp"

namespace stronghold::vault {

inline constexpr std::size_t kSnapshotKeySize = 32;

// A set of key types, written key_types(KeyType::ed25519, ...).
struct KeyTypes {
  std::uint32_t bits = 0;
  bool contains(KeyType type) const noexcept { return (bits >> static_cast<unsigned>(type)) & 1u; }
};
template <class... Types>
constexpr KeyTypes key_types(Types... types) noexcept {
  return KeyTypes{((1u << static_cast<unsigned>(types)) | ...)};
}

using SecretUse = FunctionRef<Status(ByteView secret, const RecordView& record)>;

// What a signer needs to use a key away from its keystore: the key type, the public key and the
// secret shielded under this process's shielding key (ciphertext, meaningless to another
// process). Immutable and cheap to copy.
struct SigningMaterial {
  KeyType type = KeyType::opaque;
  Bytes public_key;
  std::shared_ptr<const runtime::ShieldedSecret> secret;
  std::int64_t expires_at = 0;  // unix seconds; 0 for never: holders check it before each use
};

class Transaction;

// A change set checked against a keystore, with the keys of its new vaults unwrapped: applying
// it cannot fail. For callers that persist a change set between checking and applying it.
class PreparedChanges {
 public:
  const ChangeSet& changes() const noexcept { return changes_; }

 private:
  friend class Keystore;
  ChangeSet changes_;
  std::vector<std::pair<VaultId, runtime::ShieldedSecret>> new_keys_;
};

class Keystore {
 public:
  using Clock = std::function<std::int64_t()>;  // unix seconds

  // An empty keystore under `snapshot_key` (32 bytes; the caller wipes its copy). `clock`
  // defaults to the system clock; tests pass their own to exercise expiry.
  static Result<Keystore> create(ByteView snapshot_key, Clock clock = {});

  Keystore(Keystore&&) noexcept;
  Keystore& operator=(Keystore&&) noexcept;
  ~Keystore();

  // Applies every change or none. Fails on changes that do not fit the state (an unknown
  // vault, a wrapped key that does not open under the snapshot key) without touching it.
  Status apply(const ChangeSet& changes);
  Status commit(Transaction&& transaction);
  // apply() in two steps. The keystore must not change between them.
  Result<PreparedChanges> prepare(ChangeSet changes) const;
  void apply(PreparedChanges&& prepared);
  // The whole state as one change set: what a snapshot body holds.
  ChangeSet state() const;
  // The same changes, one at a time, so that a body can be written in parts: each vault's put
  // before its records.
  void for_each_state_change(FunctionRef<void(Change&&)> take) const;
  // Removal of every revoked or expired record (garbage collection), ready to apply.
  ChangeSet garbage() const;

  // Live and revoked records, sorted by location; secret-store entries and the records of
  // companion vaults (policies, vault/policy.hpp) and of the client registry (vault/clients.hpp)
  // are not listed.
  std::vector<RecordInfo> list() const;
  Result<RecordInfo> info(const Location& location) const;
  // True when a usable record is there (not revoked, not expired).
  bool exists(const Location& location) const;
  // The stored public key of a usable record (none for seeds and symmetric keys).
  Result<Bytes> public_key(const Location& location) const;

  // The ids change sets name a vault and a record by here (keyed hashes of their paths, whether
  // or not they exist); none for a path too long to have one.
  std::optional<VaultId> vault_id(std::string_view path) const noexcept;
  std::optional<RecordId> record_id(const VaultId& vault, std::string_view path) const noexcept;

  // Unseals the usable record at `location` into scratch and calls `use` with it; the
  // plaintext is wiped when `use` returns. Errors: invalid_argument (bad location),
  // not_found (no record or deleted), expired, wrong_key_type (not in `allowed`).
  Status use(const Location& location, KeyTypes allowed, SecretUse use) const;

  // The material to sign with the usable record at `location` elsewhere (a signer thread).
  Result<SigningMaterial> signing_material(const Location& location, KeyTypes allowed) const;

  // The secret store: named values for password-manager use, the only secrets that are ever
  // read back (into a buffer that wipes itself).
  Result<runtime::SecretBuffer> read_secret(std::string_view name) const;
  std::vector<std::string> secret_names() const;
  bool has_secret(std::string_view name) const;
  bool has_vault(std::string_view path) const;
  // Every vault's path, the reserved ones (secret store, companions) included, unsorted.
  std::vector<std::string> vault_paths() const;

  // Sharing with another snapshot: the live records of the vaults at `vault_paths` (every vault,
  // secret store included but not the client registry, when empty; a vault's companions, vault/policy.hpp, with it) as
  // a change set whose vault keys are wrapped under `transfer_key` (32 bytes) instead of this snapshot's key. Records
  // stay sealed. With `whole_snapshot` (a re-key), every vault is exported: this snapshot's own too
  // (the audit log's settings, the client and approver registries, the approval rule).
  Result<ChangeSet> export_vaults(const std::vector<std::string>& vault_paths, ByteView transfer_key,
                                  bool whole_snapshot = false) const;

 private:
  friend class Transaction;
  friend struct CompanionRecords;  // the reader of companion vaults and client keys
  struct State;
  explicit Keystore(std::unique_ptr<State> state) noexcept;
  std::unique_ptr<State> state_;
};

// Whether a write may take the place of a live record (or secret-store entry) that is already
// there. Refusing is the default: a key replaced by a repeated command is a wallet's funds lost.
// A deleted (revoked) record's place is free.
enum class Overwrite : std::uint8_t { refuse, replace };

// What an import does with one record of an export.
enum class ImportAction : std::uint8_t {
  add,      // no live record was there
  keep,     // a live record is there and stays as it was
  replace,  // a live record is there and the export's takes its place
  skip,     // in the source, but nothing says where it goes here (left behind)
};
struct ImportedRecord {
  enum class Kind : std::uint8_t { record, secret } kind = Kind::record;
  std::string name;  // VAULT/RECORD, or the secret-store entry's name
  ImportAction action = ImportAction::add;
};

// The secret-store names that belong to the identity layer (its DID index, chain states and
// documents): put_secret and delete_secret refuse them, so no front end can break the index.
inline constexpr std::string_view kReservedSecretPrefix = "identity/";

// The writes of one unit of work. A procedure reads through its transaction (use): it sees the
// records the transaction staged itself, put, replaced or deleted, and the committed keystore
// elsewhere, so a seed recovered and a key derived from it go in one commit. Every write obeys
// the transaction's Overwrite rule: with refuse, a location that holds a live record, or that
// this transaction already wrote, is already_exists.
class Transaction {
 public:
  explicit Transaction(const Keystore& keystore, Overwrite overwrite = Overwrite::refuse);
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  ~Transaction();

  const Keystore& keystore() const noexcept { return keystore_; }
  // Keystore::use as the transaction sees the keystore: a record it staged (the last write of it)
  // is unsealed from its change; deleted there, it is not_found.
  Status use(const Location& location, KeyTypes allowed, SecretUse use) const;

  Overwrite overwrite() const noexcept { return overwrite_; }
  void set_overwrite(Overwrite overwrite) noexcept { overwrite_ = overwrite; }

  // Seals `secret` at `location`, creating the vault if needed (see Overwrite).
  Status put(const Location& location, KeyType type, ByteView secret, ByteView public_key,
             const RecordOptions& options = {});
  // Marks the record revoked and drops its sealed secret (not_found if there is none).
  Status revoke(const Location& location);

  // invalid_argument for a name under kReservedSecretPrefix.
  Status put_secret(std::string_view name, ByteView value);
  // not_found when there is no such entry; invalid_argument for a reserved name.
  Status delete_secret(std::string_view name);
  // Removes a vault with every record in it (not_found if there is none).
  Status remove_vault(std::string_view path);

  // Re-seals every record of an exported change set (see Keystore::export_vaults) at the same
  // location here. A live record already there is kept, or replaced when `replace` (whatever
  // the transaction's Overwrite rule); a deleted one's place is free. Returns what happened to
  // each record, in the export's order. corrupted when a key or record does not open under
  // `transfer_key`, or the export names a location twice.
  // `whole_snapshot`: the export of a whole snapshot (a re-key), whose own vaults are taken too;
  // any other import refuses them as invalid locations.
  Result<std::vector<ImportedRecord>> import_vaults(const ChangeSet& exported, ByteView transfer_key, bool replace,
                                                    bool whole_snapshot = false);

  bool empty() const noexcept { return changes_.empty(); }
  ChangeSet take() &&;

 private:
  friend struct IdentityEntries;   // the one writer of reserved secret-store names (identity.cpp)
  friend struct CompanionRecords;  // the one writer of companion vaults and client keys
  struct Staged;
  struct StagedVault;
  Result<StagedVault*> stage_vault(const std::string& path);
  Status put_at(const Location& location, KeyType type, ByteView secret, ByteView public_key,
                const RecordOptions& options, Overwrite overwrite);
  Status put_entry(std::string_view name, ByteView value, Overwrite overwrite);
  Status delete_entry(std::string_view name);
  Status revoke_at(const Location& location);  // revoke without the user-location checks
  // The record at `location` as this transaction sees it, with its vault's id.
  Result<std::pair<VaultId, RecordView>> find(const Location& location) const;
  // use() without the user-location checks (companion records are read so).
  Status read(const Location& location, KeyTypes allowed, SecretUse use) const;
  // The last change this transaction staged for the record (a put, or a removal of it or of its
  // vault); null when there is none.
  const Change* staged_change(const VaultId& vault, const RecordId& record) const;
  Status use_staged(const Location& location, const VaultId& vault, const Record& record, KeyTypes allowed,
                    SecretUse use) const;
  const Keystore& keystore_;
  Overwrite overwrite_;
  ChangeSet changes_;
  std::unique_ptr<Staged> staged_;
};

}  // namespace stronghold::vault
