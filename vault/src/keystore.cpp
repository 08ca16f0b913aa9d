#include "stronghold/vault/keystore.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <optional>
#include <unordered_map>
#include <unordered_set>

#include <sodium.h>

#include "companion_records.hpp"
#include "record_index.hpp"
#include "stronghold/runtime/guarded_key.hpp"
#include "stronghold/runtime/random.hpp"
#include "stronghold/runtime/scratch.hpp"
#include "stronghold/runtime/shield.hpp"
#include "stronghold/runtime/stack_wipe.hpp"
#include "stronghold/vault/approvals.hpp"
#include "stronghold/vault/audit_settings.hpp"
#include "stronghold/vault/clients.hpp"
#include "stronghold/vault/policy.hpp"
#include "stronghold/vault/seal.hpp"

namespace stronghold::vault {
namespace {

using runtime::ScratchFrame;
using runtime::ShieldedSecret;

// The secret store is a vault whose path no user location can name (control characters are
// refused by Location::check).
const std::string kSecretStoreVault("\x01secret-store", 13);

constexpr std::uint8_t kVaultIdDomain = 1;
constexpr std::uint8_t kRecordIdDomain = 2;
constexpr std::string_view kIdKeyContext = "stronghold.ids.v1";

constexpr std::size_t kMaxPublicKeySize = 65;

// Associated data of a record seal: vault id || record id || version || type || public key,
// so the metadata that signing relies on is bound to the secret too.
struct RecordAd {
  std::uint8_t bytes[16 + 16 + 8 + 1 + kMaxPublicKeySize];
  std::size_t size;
  RecordAd(const VaultId& vault, const RecordView& record) noexcept : size(41 + record.public_key.size()) {
    std::memcpy(bytes, vault.data(), 16);
    std::memcpy(bytes + 16, record.id.data(), 16);
    for (int i = 0; i < 8; ++i)
      bytes[32 + i] = static_cast<std::uint8_t>(record.version >> (8 * i));
    bytes[40] = static_cast<std::uint8_t>(record.type);
    if (!record.public_key.empty())
      std::memcpy(bytes + 41, record.public_key.data(), record.public_key.size());
  }
  ByteView view() const noexcept { return {bytes, size}; }
};

// Associated data of a wrapped vault key.
struct VaultKeyAd {
  std::uint8_t bytes[10 + 16];
  explicit VaultKeyAd(const VaultId& vault) noexcept {
    std::memcpy(bytes, "vault-key:", 10);
    std::memcpy(bytes + 10, vault.data(), 16);
  }
};

}  // namespace

std::int64_t unix_now() noexcept {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string_view key_type_name(KeyType type) noexcept {
  switch (type) {
    case KeyType::seed: return "seed";
    case KeyType::ed25519: return "ed25519";
    case KeyType::x25519: return "x25519";
    case KeyType::secp256k1: return "secp256k1";
    case KeyType::symmetric: return "symmetric";
    case KeyType::opaque: return "opaque";
  }
  return "unknown";
}

Result<KeyType> parse_key_type(std::string_view name) {
  for (const KeyType type :
       {KeyType::seed, KeyType::ed25519, KeyType::x25519, KeyType::secp256k1, KeyType::symmetric, KeyType::opaque})
    if (key_type_name(type) == name)
      return type;
  return error(Errc::invalid_argument, "unknown key type '{}'", name);
}

struct Keystore::State {
  struct Vault {
    VaultId id{};
    std::string path;
    Bytes wrapped_key;
    ShieldedSecret key;
    std::uint64_t last_version = 0;
    // A record's shielded copy (PackedRecord::shielded) spares its later uses the unshielding of
    // the vault key and the XChaCha20 unseal: the first use checks the seal (and with it the
    // record's place, version and type) and publishes the copy.
    RecordIndex records;
  };

  ShieldedSecret snapshot_key;
  runtime::GuardedKey id_key;  // SipHash key for ids, read on every lookup
  std::unordered_map<VaultId, Vault, IdHash> vaults;
  Clock clock;

  // Ids exist only for paths of at most kMaxPathLength bytes (no location names a longer one),
  // which bounds the hashed input: longer paths have no id.
  std::optional<Id> keyed_id(std::uint8_t domain, ByteView prefix, std::string_view path) const noexcept {
    // A record path is at most kMaxPathLength bytes after its vault's id; a vault path may be up
    // to 16 bytes longer, for the reserved prefix of a companion vault (policy.hpp).
    std::uint8_t input[1 + sizeof(VaultId) + kMaxPathLength];
    if (prefix.size() > sizeof(VaultId) || prefix.size() + path.size() > sizeof(VaultId) + kMaxPathLength ||
        (!prefix.empty() && path.size() > kMaxPathLength))
      return std::nullopt;
    input[0] = domain;
    if (!prefix.empty())  // a vault id has no prefix (and memcpy takes no null, even for 0 bytes)
      std::memcpy(input + 1, prefix.data(), prefix.size());
    std::memcpy(input + 1 + prefix.size(), path.data(), path.size());
    Id id;
    crypto_shorthash_siphashx24(id.data(), input, 1 + prefix.size() + path.size(), id_key.bytes().data());
    return id;
  }
  std::optional<VaultId> vault_id(std::string_view path) const noexcept { return keyed_id(kVaultIdDomain, {}, path); }
  std::optional<RecordId> record_id(const VaultId& vault, std::string_view path) const noexcept {
    return keyed_id(kRecordIdDomain, vault, path);
  }
  // The id of a path that a write is about to use.
  Result<VaultId> writable_vault_id(std::string_view path) const {
    if (const auto id = vault_id(path))
      return *id;
    return error(Errc::invalid_argument, "a vault path holds at most {} bytes, not {}", kMaxPathLength, path.size());
  }

  struct Found {
    const Vault* vault = nullptr;
    RecordView record;
    const PackedRecord* stored = nullptr;
  };

  // The record at `location`, revoked or not; not_found when there is none.
  Result<Found> find(const Location& location) const {
    const auto vault_key = vault_id(location.vault);
    const auto vault = vault_key ? vaults.find(*vault_key) : vaults.end();
    if (vault != vaults.end()) {
      const auto record_key = record_id(vault->first, location.record);
      if (const PackedRecord* record = record_key ? vault->second.records.find(*record_key) : nullptr)
        return Found{&vault->second, record->view(*record_key), record};
    }
    return error(Errc::not_found, "no record at {}", location.to_string());
  }

  // A record that may be used now.
  Result<Found> find_usable(const Location& location) const {
    SH_ASSIGN_OR_RETURN(Found found, find(location));
    if (found.record.revoked)
      return error(Errc::not_found, "the record at {} was deleted", location.to_string());
    if (found.record.expired_at(clock()))
      return error(Errc::expired, "the record at {} has expired", location.to_string());
    return found;
  }

  // A use of a key that goes to libsecp256k1 (a secp256k1 key, or a seed that BIP32 derives
  // from) runs under a StackWipe: the library keeps key data in its frames, and the memory scan
  // of the sanitizer build also found it where the unshielding's frames had been. libsodium,
  // which wipes its own, is spared the cost (about 3% of an Ed25519 signature).
  Status use(const Location& location, KeyTypes allowed, SecretUse use) const {
    runtime::StackWipe wipe(false);
    SH_ASSIGN_OR_RETURN(Found found, find_usable(location));
    const RecordView& record = found.record;
    if (record.type == KeyType::secp256k1 || record.type == KeyType::seed)
      wipe.arm();
    if (!allowed.contains(record.type))
      return error(Errc::wrong_key_type, "the record at {} holds a {} key, which this operation does not take",
                   location.to_string(), key_type_name(record.type));
    ScratchFrame frame;
    SH_ASSIGN_OR_RETURN(auto secret, frame.take(record.secret_size()));
    if (const auto shielded = found.stored->shielded.load(std::memory_order_acquire)) {
      SH_RETURN_IF_ERROR(shielded->open(secret));
    } else {
      SH_RETURN_IF_ERROR(unseal_first_use(location, found, secret).status());
    }
    return use(secret, record);
  }

  // The record's shielded copy, made on first use.
  Result<std::shared_ptr<const ShieldedSecret>> shielded_secret(const Location& location, const Found& found) const {
    if (auto shielded = found.stored->shielded.load(std::memory_order_acquire))
      return shielded;
    ScratchFrame frame;
    SH_ASSIGN_OR_RETURN(auto secret, frame.take(found.record.secret_size()));
    return unseal_first_use(location, found, secret);
  }

  // Opens the record's seal into `secret` and publishes a shielded copy for later uses.
  Result<std::shared_ptr<const ShieldedSecret>> unseal_first_use(const Location& location, const Found& found,
                                                                 std::span<std::uint8_t> secret) const {
    {
      ScratchFrame frame;
      SH_ASSIGN_OR_RETURN(auto vault_key, frame.take(kSealKeySize));
      SH_RETURN_IF_ERROR(found.vault->key.open(vault_key));
      const RecordAd ad(found.vault->id, found.record);
      if (!open(vault_key, ad.view(), found.record.sealed, secret).ok())
        return error(Errc::corrupted, "the record at {} failed to authenticate (tampered, moved or rolled back)",
                     location.to_string());
    }
    SH_ASSIGN_OR_RETURN(ShieldedSecret fresh, ShieldedSecret::seal(secret));
    std::shared_ptr<const ShieldedSecret> mine = std::make_shared<const ShieldedSecret>(std::move(fresh));
    std::shared_ptr<const ShieldedSecret> expected;
    if (found.stored->shielded.compare_exchange_strong(expected, mine, std::memory_order_acq_rel))
      return mine;
    return expected;  // another thread published first; both hold the same secret
  }

  // Unwraps a vault key read from a change into a shielded key.
  Result<ShieldedSecret> unwrap_vault_key(const PutVault& put) const {
    ScratchFrame frame;
    SH_ASSIGN_OR_RETURN(auto kek, frame.take(kSnapshotKeySize));
    SH_ASSIGN_OR_RETURN(auto key, frame.take(kSealKeySize));
    if (put.wrapped_key.size() != kSealKeySize + kSealOverhead)
      return error(Errc::corrupted, "the key of vault {} has a wrong size", put.path);
    SH_RETURN_IF_ERROR(snapshot_key.open(kek));
    const VaultKeyAd ad(put.id);
    if (!open(kek, ad.bytes, put.wrapped_key, key).ok())
      return error(Errc::corrupted, "the key of vault {} does not open under this snapshot key", put.path);
    return ShieldedSecret::seal(key);
  }
};

Keystore::Keystore(std::unique_ptr<State> state) noexcept : state_(std::move(state)) {}
Keystore::Keystore(Keystore&&) noexcept = default;
Keystore& Keystore::operator=(Keystore&&) noexcept = default;
Keystore::~Keystore() = default;

Result<Keystore> Keystore::create(ByteView snapshot_key, Clock clock) {
  if (snapshot_key.size() != kSnapshotKeySize)
    return error(Errc::invalid_argument, "a snapshot key is {} bytes, not {}", kSnapshotKeySize, snapshot_key.size());
  auto state = std::make_unique<State>();
  SH_ASSIGN_OR_RETURN(state->snapshot_key, ShieldedSecret::seal(snapshot_key));
  // Derived rather than stored: the same snapshot key always gives the same ids.
  std::uint8_t id_key[crypto_shorthash_siphashx24_KEYBYTES];
  crypto_generichash(id_key, sizeof id_key, reinterpret_cast<const std::uint8_t*>(kIdKeyContext.data()),
                     kIdKeyContext.size(), snapshot_key.data(), snapshot_key.size());
  auto guarded = runtime::GuardedKey::from(id_key);
  sodium_memzero(id_key, sizeof id_key);
  if (!guarded.ok())
    return guarded.status();
  state->id_key = std::move(*guarded);
  state->clock = clock ? std::move(clock) : Clock(unix_now);
  return Keystore(std::move(state));
}

Status Keystore::use(const Location& location, KeyTypes allowed, SecretUse use) const {
  SH_RETURN_IF_ERROR(location.check());
  return state_->use(location, allowed, use);
}

Result<SigningMaterial> Keystore::signing_material(const Location& location, KeyTypes allowed) const {
  SH_RETURN_IF_ERROR(location.check());
  SH_ASSIGN_OR_RETURN(State::Found found, state_->find_usable(location));
  if (!allowed.contains(found.record.type))
    return error(Errc::wrong_key_type, "the record at {} holds a {} key, which this operation does not take",
                 location.to_string(), key_type_name(found.record.type));
  SH_ASSIGN_OR_RETURN(auto secret, state_->shielded_secret(location, found));
  const ByteView public_key = found.record.public_key;
  return SigningMaterial{found.record.type, Bytes(public_key.begin(), public_key.end()), std::move(secret),
                         found.record.expires_at};
}

bool Keystore::exists(const Location& location) const {
  return location.check().ok() && state_->find_usable(location).ok();
}

std::optional<VaultId> Keystore::vault_id(std::string_view path) const noexcept { return state_->vault_id(path); }
std::optional<RecordId> Keystore::record_id(const VaultId& vault, std::string_view path) const noexcept {
  return state_->record_id(vault, path);
}

Result<Bytes> Keystore::public_key(const Location& location) const {
  SH_RETURN_IF_ERROR(location.check());
  SH_ASSIGN_OR_RETURN(State::Found found, state_->find_usable(location));
  if (found.record.public_key.empty())
    return error(Errc::wrong_key_type, "the record at {} holds a {} key, which has no public key", location.to_string(),
                 key_type_name(found.record.type));
  return Bytes(found.record.public_key.begin(), found.record.public_key.end());
}

namespace {

// The vaults that belong to this snapshot alone: the log's settings, its clients, its approvers
// and their rule.
bool is_own_vault(std::string_view path) {
  return is_audit_vault(path) || is_client_registry(path) || is_approval_vault(path);
}

// Not the secret store, a companion or one of the snapshot's own: a vault of the user's locations.
bool is_user_vault(std::string_view path) {
  return path != kSecretStoreVault && !is_companion_vault(path) && !is_own_vault(path);
}

RecordInfo info_of(const std::string& vault_path, const RecordView& record) {
  return {Location{vault_path, std::string(record.path)},
          record.type,
          std::string(record.hint),
          record.version,
          record.created_at,
          record.expires_at,
          record.revoked};
}

}  // namespace

Result<RecordInfo> Keystore::info(const Location& location) const {
  SH_RETURN_IF_ERROR(location.check());
  SH_ASSIGN_OR_RETURN(State::Found found, state_->find(location));
  return info_of(found.vault->path, found.record);
}

std::vector<RecordInfo> Keystore::list() const {
  std::vector<RecordInfo> infos;
  for (const auto& entry : state_->vaults) {
    const State::Vault& vault = entry.second;  // a lambda captures no structured binding in clang 14
    if (is_user_vault(vault.path))
      vault.records.for_each([&](const RecordView& record) { infos.push_back(info_of(vault.path, record)); });
  }
  std::sort(infos.begin(), infos.end(),
            [](const RecordInfo& a, const RecordInfo& b) { return a.location < b.location; });
  return infos;
}

Result<runtime::SecretBuffer> Keystore::read_secret(std::string_view name) const {
  SH_RETURN_IF_ERROR(Location::make("secrets", name).status());  // a name follows the record-path rules
  Result<runtime::SecretBuffer> value = Status(Errc::internal, "secret was not read");
  SH_RETURN_IF_ERROR(state_->use(Location{kSecretStoreVault, std::string(name)}, key_types(KeyType::opaque),
                                 [&](ByteView secret, const RecordView&) {
                                   value = runtime::SecretBuffer::from(secret);
                                   return value.status();
                                 }));
  return value;
}

std::vector<std::string> Keystore::secret_names() const { return CompanionRecords::names(*this, kSecretStoreVault); }

bool Keystore::has_secret(std::string_view name) const {
  if (name.size() > kMaxPathLength)
    return false;
  const auto found = state_->find(Location{kSecretStoreVault, std::string(name)});
  return found.ok() && !found->record.revoked;
}

bool Keystore::has_vault(std::string_view path) const {
  const auto id = state_->vault_id(path);
  return id && state_->vaults.contains(*id);
}

std::vector<std::string> Keystore::vault_paths() const {
  std::vector<std::string> paths;
  for (const auto& [id, vault] : state_->vaults)
    paths.push_back(vault.path);
  return paths;
}

ChangeSet Keystore::state() const {
  ChangeSet set;
  for_each_state_change([&](Change&& change) { set.changes.push_back(std::move(change)); });
  return set;
}

void Keystore::for_each_state_change(FunctionRef<void(Change&&)> take) const {
  for (const auto& entry : state_->vaults) {
    const State::Vault& vault = entry.second;
    take(PutVault{vault.id, vault.path, vault.wrapped_key, vault.last_version});
    vault.records.for_each([&](const RecordView& record) { take(PutRecord{vault.id, record.to_record()}); });
  }
}

Result<ChangeSet> Keystore::export_vaults(const std::vector<std::string>& vault_paths, ByteView transfer_key,
                                          bool whole_snapshot) const {
  const State& state = *state_;
  if (transfer_key.size() != kSealKeySize)
    return Status(Errc::invalid_argument, "a transfer key is 32 bytes");
  std::vector<const State::Vault*> chosen;
  if (vault_paths.empty()) {
    for (const auto& [id, vault] : state.vaults)
      if (whole_snapshot || !is_own_vault(vault.path))
        chosen.push_back(&vault);
  } else {
    for (const std::string& path : vault_paths) {
      SH_RETURN_IF_ERROR(Location::check_vault(path));
      const auto found = state.vaults.find(*state.vault_id(path));
      if (found == state.vaults.end())
        return error(Errc::not_found, "no vault {}", path);
      chosen.push_back(&found->second);
      for (const Companion which : {Companion::policy, Companion::uses, Companion::chain})
        if (const auto companion = state.vaults.find(*state.vault_id(companion_location(which, path, {}).vault));
            companion != state.vaults.end())
          chosen.push_back(&companion->second);
    }
  }
  ChangeSet set;
  for (const State::Vault* vault : chosen) {
    ScratchFrame frame;
    SH_ASSIGN_OR_RETURN(auto key, frame.take(kSealKeySize));
    SH_RETURN_IF_ERROR(vault->key.open(key));
    const VaultKeyAd ad(vault->id);
    SH_ASSIGN_OR_RETURN(Bytes wrapped, seal(transfer_key, ad.bytes, key));
    set.changes.emplace_back(PutVault{vault->id, vault->path, std::move(wrapped), vault->last_version});
    const std::int64_t now = state.clock();
    // Sorted by path: the same contents export alike, whatever order a table holds them in (each
    // table's is random), and an import numbers their versions in this order.
    std::vector<PutRecord> records;
    vault->records.for_each([&](const RecordView& record) {
      if (!record.revoked && !record.expired_at(now))
        records.push_back(PutRecord{vault->id, record.to_record()});
    });
    std::sort(records.begin(), records.end(),
              [](const PutRecord& a, const PutRecord& b) { return a.record.path < b.record.path; });
    for (PutRecord& record : records)
      set.changes.emplace_back(std::move(record));
  }
  return set;
}

ChangeSet Keystore::garbage() const {
  ChangeSet set;
  const std::int64_t now = state_->clock();
  for (const auto& entry : state_->vaults) {
    const State::Vault& vault = entry.second;
    vault.records.for_each([&](const RecordView& record) {
      if (record.revoked || record.expired_at(now))
        set.changes.emplace_back(RemoveRecord{vault.id, record.id, record.version});
      // An expired derived key takes its live chain code along (a deleted one's went with it).
      if (!record.revoked && record.expired_at(now) && is_user_vault(vault.path))
        if (const auto chain = state_->find(companion_location(Companion::chain, vault.path, std::string(record.path)));
            chain.ok() && !chain->record.revoked)
          set.changes.emplace_back(RemoveRecord{chain->vault->id, chain->record.id, chain->record.version});
    });
  }
  return set;
}

namespace {

Status check_record(const Record& record) {
  if (record.path.empty() || record.path.size() > kMaxPathLength || record.hint.size() > kMaxHintLength ||
      record.public_key.size() > kMaxPublicKeySize)
    return Status(Errc::corrupted, "a record has out-of-range fields");
  if (record.revoked ? !record.sealed.empty()
                     : record.sealed.size() < kSealOverhead || record.secret_size() > kMaxSecretSize)
    return Status(Errc::corrupted, "a record has a sealed secret of impossible size");
  return {};
}

// Wipes and frees the bytes of a record once the keystore has packed its own copy. Freed one by
// one, they make room for the packed records that follow; freed with the whole change set after
// the apply, they would leave a hole below the packed records that glibc keeps: resident after
// an open of 200,000 Ed25519 keys (bench_scale), 69.6 MB that way, 50.9 MB this way.
void release_bytes(Record& record) noexcept {
  sodium_memzero(record.sealed.data(), record.sealed.size());
  Bytes().swap(record.sealed);
  Bytes().swap(record.public_key);
  std::string().swap(record.path);
  std::string().swap(record.hint);
}

}  // namespace

Result<PreparedChanges> Keystore::prepare(ChangeSet set) const {
  const State& state = *state_;
  PreparedChanges prepared;
  std::unordered_set<VaultId, IdHash> live_vaults;
  for (const auto& [id, vault] : state.vaults)
    live_vaults.insert(id);
  std::unordered_set<VaultId, IdHash> new_vaults;
  // Records put earlier in the set, for removals that follow them (rare: only tracked then).
  const bool has_removals = std::any_of(set.changes.begin(), set.changes.end(), [](const Change& change) {
    return std::holds_alternative<RemoveRecord>(change);
  });
  std::unordered_set<RecordId, IdHash> put_records;
  for (const Change& change : set.changes) {
    if (const auto* put = std::get_if<PutVault>(&change)) {
      // Re-putting a live vault with its own key changes only its metadata.
      const auto existing = state.vaults.find(put->id);
      const bool same_key = live_vaults.contains(put->id) && !new_vaults.contains(put->id) &&
                            existing != state.vaults.end() && existing->second.wrapped_key == put->wrapped_key;
      if (live_vaults.contains(put->id) && !same_key)
        return error(Errc::already_exists, "vault {} already exists with another key", put->path);
      if (!same_key && new_vaults.insert(put->id).second) {
        SH_ASSIGN_OR_RETURN(ShieldedSecret key, state.unwrap_vault_key(*put));
        prepared.new_keys_.emplace_back(put->id, std::move(key));
      }
      live_vaults.insert(put->id);
    } else if (const auto* record = std::get_if<PutRecord>(&change)) {
      if (!live_vaults.contains(record->vault))
        return Status(Errc::corrupted, "a record refers to a vault that does not exist");
      SH_RETURN_IF_ERROR(check_record(record->record));
      if (has_removals)
        put_records.insert(record->record.id);
    } else if (const auto* remove = std::get_if<RemoveRecord>(&change)) {
      const auto vault = state.vaults.find(remove->vault);
      const bool present = put_records.contains(remove->record) ||
                           (vault != state.vaults.end() && vault->second.records.contains(remove->record));
      if (!live_vaults.contains(remove->vault) || !present)
        return Status(Errc::not_found, "a removal refers to a record that does not exist");
    } else if (const auto* remove_vault = std::get_if<RemoveVault>(&change)) {
      if (!live_vaults.erase(remove_vault->id))
        return Status(Errc::not_found, "a removal refers to a vault that does not exist");
    }
  }
  prepared.changes_ = std::move(set);
  return prepared;
}

void Keystore::apply(PreparedChanges&& prepared) {
  State& state = *state_;
  // Room for the records each vault receives, so a large body fills its tables without rehashing.
  std::unordered_map<VaultId, std::size_t, IdHash> incoming;
  for (const Change& change : prepared.changes_.changes)
    if (const auto* record = std::get_if<PutRecord>(&change))
      ++incoming[record->vault];
  for (Change& change : prepared.changes_.changes) {
    if (auto* put = std::get_if<PutVault>(&change)) {
      State::Vault& vault = state.vaults[put->id];
      vault.id = put->id;
      vault.path = std::move(put->path);
      vault.last_version = std::max(vault.last_version, put->last_version);
      vault.records.reserve(vault.records.size() + incoming[put->id]);
      const auto key = std::find_if(prepared.new_keys_.begin(), prepared.new_keys_.end(),
                                    [&](const auto& entry) { return entry.first == put->id && !entry.second.empty(); });
      if (key != prepared.new_keys_.end()) {
        vault.wrapped_key = std::move(put->wrapped_key);
        vault.key = std::move(key->second);
      }
    } else if (auto* record = std::get_if<PutRecord>(&change)) {
      State::Vault& vault = state.vaults[record->vault];
      vault.last_version = std::max(vault.last_version, record->record.version);
      vault.records.put(record->record);  // wipes the secret it replaces and drops its shielded copy
      release_bytes(record->record);
    } else if (const auto* remove = std::get_if<RemoveRecord>(&change)) {
      State::Vault& vault = state.vaults[remove->vault];
      vault.last_version = std::max(vault.last_version, remove->version);
      vault.records.erase(remove->record);  // wipes
    } else if (const auto* remove_vault = std::get_if<RemoveVault>(&change)) {
      state.vaults.erase(remove_vault->id);  // ~RecordIndex wipes each record
    }
  }
}

Status Keystore::apply(const ChangeSet& set) {
  SH_ASSIGN_OR_RETURN(PreparedChanges prepared, prepare(set));
  apply(std::move(prepared));
  return {};
}

Status Keystore::commit(Transaction&& transaction) { return apply(std::move(transaction).take()); }

// ---- Transaction

struct Transaction::StagedVault {
  const ShieldedSecret* key = nullptr;  // the keystore's, or `own_key` for a new vault
  ShieldedSecret own_key;
  std::uint64_t last_version = 0;
};

struct Transaction::Staged {
  std::unordered_map<VaultId, StagedVault, IdHash> vaults;  // nodes are stable: `key` may point into one
  std::unordered_set<RecordId, IdHash> written;             // records put by this transaction
};

Transaction::Transaction(const Keystore& keystore, Overwrite overwrite)
    : keystore_(keystore), overwrite_(overwrite), staged_(std::make_unique<Staged>()) {}
Transaction::~Transaction() = default;

ChangeSet Transaction::take() && { return std::move(changes_); }

Status Transaction::put(const Location& location, KeyType type, ByteView secret, ByteView public_key,
                        const RecordOptions& options) {
  SH_RETURN_IF_ERROR(location.check());
  return put_at(location, type, secret, public_key, options, overwrite_);
}

// The vault a write goes to, as this transaction sees it; a missing vault is created with a
// random key, shielded for the transaction and wrapped under the snapshot key for the change.
Result<Transaction::StagedVault*> Transaction::stage_vault(const std::string& path) {
  const Keystore::State& state = *keystore_.state_;
  SH_ASSIGN_OR_RETURN(const VaultId id, state.writable_vault_id(path));
  if (auto staged = staged_->vaults.find(id); staged != staged_->vaults.end())
    return &staged->second;
  if (const auto existing = state.vaults.find(id); existing != state.vaults.end())
    return &staged_->vaults.emplace(id, StagedVault{&existing->second.key, {}, existing->second.last_version})
                .first->second;
  ScratchFrame frame;
  SH_ASSIGN_OR_RETURN(auto kek, frame.take(kSnapshotKeySize));
  SH_ASSIGN_OR_RETURN(auto key, frame.take(kSealKeySize));
  runtime::random_bytes(key);
  SH_RETURN_IF_ERROR(state.snapshot_key.open(kek));
  const VaultKeyAd ad(id);
  SH_ASSIGN_OR_RETURN(Bytes wrapped, seal(kek, ad.bytes, key));
  SH_ASSIGN_OR_RETURN(ShieldedSecret shielded, ShieldedSecret::seal(key));
  changes_.changes.emplace_back(PutVault{id, path, std::move(wrapped), 0});
  StagedVault& vault = staged_->vaults.emplace(id, StagedVault{nullptr, std::move(shielded), 0}).first->second;
  vault.key = &vault.own_key;
  return &vault;
}

Status Transaction::put_at(const Location& location, KeyType type, ByteView secret, ByteView public_key,
                           const RecordOptions& options, Overwrite overwrite) {
  const Keystore::State& state = *keystore_.state_;
  if (secret.size() > kMaxSecretSize)
    return error(Errc::invalid_argument, "a secret holds at most {} bytes, not {}", kMaxSecretSize, secret.size());
  if (options.hint.size() > kMaxHintLength)
    return error(Errc::invalid_argument, "a hint holds at most {} bytes", kMaxHintLength);
  if (public_key.size() > kMaxPublicKeySize)
    return Status(Errc::invalid_argument, "a public key holds at most 65 bytes");
  SH_ASSIGN_OR_RETURN(StagedVault * vault, stage_vault(location.vault));

  Record record;
  SH_ASSIGN_OR_RETURN(const VaultId vault_id, state.writable_vault_id(location.vault));
  const auto record_id = state.record_id(vault_id, location.record);
  if (!record_id)
    return error(Errc::invalid_argument, "a record path holds at most {} bytes", kMaxPathLength);
  if (overwrite == Overwrite::refuse) {
    const auto existing = state.find(location);
    if ((existing.ok() && !existing->record.revoked) || staged_->written.contains(*record_id))
      return error(Errc::already_exists, "{} already holds a record; it is not replaced unless asked to",
                   location.vault == kSecretStoreVault ? "the secret " + location.record : location.to_string());
  }
  staged_->written.insert(*record_id);
  record.id = *record_id;
  record.path = location.record;
  record.type = type;
  record.hint = options.hint;
  record.version = ++vault->last_version;
  record.created_at = state.clock();
  record.expires_at = options.expires_at;
  record.public_key.assign(public_key.begin(), public_key.end());
  ScratchFrame frame;
  SH_ASSIGN_OR_RETURN(auto key, frame.take(kSealKeySize));
  SH_RETURN_IF_ERROR(vault->key->open(key));
  const RecordAd ad(vault_id, record);
  SH_ASSIGN_OR_RETURN(record.sealed, seal(key, ad.view(), secret));
  changes_.changes.emplace_back(PutRecord{vault_id, std::move(record)});
  return {};
}

const Change* Transaction::staged_change(const VaultId& vault, const RecordId& record) const {
  for (auto change = changes_.changes.rbegin(); change != changes_.changes.rend(); ++change) {
    if (const auto* put = std::get_if<PutRecord>(&*change); put && put->vault == vault && put->record.id == record)
      return &*change;
    if (const auto* removed = std::get_if<RemoveRecord>(&*change);
        removed && removed->vault == vault && removed->record == record)
      return &*change;
    if (const auto* gone = std::get_if<RemoveVault>(&*change); gone && gone->id == vault)
      return &*change;
  }
  return nullptr;
}

Status Transaction::use(const Location& location, KeyTypes allowed, SecretUse use) const {
  SH_RETURN_IF_ERROR(location.check());
  return read(location, allowed, use);
}

Status Transaction::read(const Location& location, KeyTypes allowed, SecretUse use) const {
  const Keystore::State& state = *keystore_.state_;
  const auto vault = state.vault_id(location.vault);
  const auto record = vault ? state.record_id(*vault, location.record) : std::nullopt;
  const Change* staged = record ? staged_change(*vault, *record) : nullptr;
  if (staged == nullptr)
    return state.use(location, allowed, use);
  const auto* put = std::get_if<PutRecord>(staged);
  if (put == nullptr || put->record.revoked)
    return error(Errc::not_found, "the record at {} was deleted", location.to_string());
  return use_staged(location, *vault, put->record, allowed, use);
}

// As Keystore::State::use, from the staged record and its vault's key as this transaction has it.
Status Transaction::use_staged(const Location& location, const VaultId& vault, const Record& record, KeyTypes allowed,
                               SecretUse use) const {
  runtime::StackWipe wipe(record.type == KeyType::secp256k1 || record.type == KeyType::seed);
  if (record.expired_at(keystore_.state_->clock()))
    return error(Errc::expired, "the record at {} has expired", location.to_string());
  if (!allowed.contains(record.type))
    return error(Errc::wrong_key_type, "the record at {} holds a {} key, which this operation does not take",
                 location.to_string(), key_type_name(record.type));
  const auto staged_vault = staged_->vaults.find(vault);
  if (staged_vault == staged_->vaults.end())
    return error(Errc::internal, "no key for the vault of {} in this transaction", location.to_string());
  ScratchFrame frame;
  SH_ASSIGN_OR_RETURN(auto vault_key, frame.take(kSealKeySize));
  SH_ASSIGN_OR_RETURN(auto secret, frame.take(record.secret_size()));
  SH_RETURN_IF_ERROR(staged_vault->second.key->open(vault_key));
  const RecordAd ad(vault, record);
  SH_RETURN_IF_ERROR(open(vault_key, ad.view(), record.sealed, secret));
  return use(secret, record);
}

// A derived key's chain code (slip10.hpp) goes with it: no secret of a deleted key stays behind.
Status Transaction::revoke(const Location& location) {
  SH_RETURN_IF_ERROR(location.check());
  SH_RETURN_IF_ERROR(revoke_at(location));
  return CompanionRecords::remove(*this, companion_location(Companion::chain, location.vault, location.record));
}

// The record as this transaction sees it: the last it staged, else the committed one.
Result<std::pair<VaultId, RecordView>> Transaction::find(const Location& location) const {
  const Keystore::State& state = *keystore_.state_;
  const auto vault = state.vault_id(location.vault);
  const auto record = vault ? state.record_id(*vault, location.record) : std::nullopt;
  if (const Change* staged = record ? staged_change(*vault, *record) : nullptr) {
    if (const auto* put = std::get_if<PutRecord>(staged))
      return std::pair{*vault, RecordView(put->record)};
    return error(Errc::not_found, "no record at {}", location.to_string());
  }
  SH_ASSIGN_OR_RETURN(Keystore::State::Found found, state.find(location));
  return std::pair{found.vault->id, found.record};
}

Status Transaction::revoke_at(const Location& location) {
  SH_ASSIGN_OR_RETURN(const auto found, find(location));
  if (found.second.revoked)
    return error(Errc::not_found, "the record at {} was already deleted", location.to_string());
  SH_ASSIGN_OR_RETURN(StagedVault * vault, stage_vault(location.vault));
  Record revoked = found.second.to_record();
  revoked.revoked = true;
  revoked.sealed.clear();
  revoked.version = ++vault->last_version;
  changes_.changes.emplace_back(PutRecord{found.first, std::move(revoked)});
  return {};
}

namespace {

// The export is untrusted: its paths follow the usual rules (the secret store's entry names
// those of record paths) and its seals have a possible size.
// A user location, a secret-store entry's, or a companion's record of a user location.
Status check_stored_location(const Location& location) {
  if (location.vault == kSecretStoreVault)
    return Location::make("secrets", location.record).status();
  if (is_companion_vault(location.vault))
    return check_companion(location);
  return location.check();
}

Status check_exported_record(const Location& location, const Record& record, bool whole_snapshot) {
  const Status valid_location = whole_snapshot && is_own_vault(location.vault) && !location.record.empty()
                                    ? Status()
                                    : check_stored_location(location);
  if (!valid_location.ok() || !check_record(record).ok())
    return error(Errc::corrupted, "an export holds an invalid record: {}", valid_location.message());
  return {};
}

ImportedRecord imported_record(const Location& location, ImportAction action) {
  if (location.vault == kSecretStoreVault)
    return {ImportedRecord::Kind::secret, location.record, action};
  return {ImportedRecord::Kind::record, location.to_string(), action};
}

}  // namespace

Result<std::vector<ImportedRecord>> Transaction::import_vaults(const ChangeSet& exported, ByteView transfer_key,
                                                               bool replace, bool whole_snapshot) {
  if (transfer_key.size() != kSealKeySize)
    return Status(Errc::invalid_argument, "a transfer key is 32 bytes");
  std::vector<ImportedRecord> outcomes;
  std::unordered_set<RecordId, IdHash> seen;  // a location named twice would make the outcome ambiguous
  ScratchFrame frame;
  SH_ASSIGN_OR_RETURN(auto vault_key, frame.take(kSealKeySize));
  const PutVault* vault = nullptr;
  for (const Change& change : exported.changes) {
    if (const auto* put = std::get_if<PutVault>(&change)) {
      const VaultKeyAd ad(put->id);
      if (put->wrapped_key.size() != kSealKeySize + kSealOverhead ||
          !open(transfer_key, ad.bytes, put->wrapped_key, vault_key).ok())
        return error(Errc::corrupted, "the key of vault {} does not open with this transfer key", put->path);
      vault = put;
      continue;
    }
    const auto* record = std::get_if<PutRecord>(&change);
    if (record == nullptr || vault == nullptr || record->vault != vault->id || record->record.revoked)
      return Status(Errc::corrupted, "an export holds a change that is not a vault or one of its records");
    const Location location{vault->path, record->record.path};
    SH_RETURN_IF_ERROR(check_exported_record(location, record->record, whole_snapshot));
    SH_ASSIGN_OR_RETURN(const VaultId vault_id, keystore_.state_->writable_vault_id(location.vault));
    if (!seen.insert(*keystore_.state_->record_id(vault_id, location.record)).second)
      return Status(Errc::corrupted, "an export names one location twice");
    const auto existing = keystore_.state_->find(location);
    const bool occupied = existing.ok() && !existing->record.revoked;
    const bool reported = !is_companion_vault(location.vault);  // a policy or count goes with its vault
    if (occupied && !replace) {
      if (reported)
        outcomes.push_back(imported_record(location, ImportAction::keep));
      continue;
    }
    ScratchFrame record_frame;
    SH_ASSIGN_OR_RETURN(auto secret, record_frame.take(record->record.secret_size()));
    const RecordAd ad(vault->id, record->record);
    if (!open(vault_key, ad.view(), record->record.sealed, secret).ok())
      return error(Errc::corrupted, "the record {} of the export failed to authenticate", location.to_string());
    SH_RETURN_IF_ERROR(put_at(location, record->record.type, secret, record->record.public_key,
                              RecordOptions{record->record.hint, record->record.expires_at}, Overwrite::replace));
    if (reported)
      outcomes.push_back(imported_record(location, occupied ? ImportAction::replace : ImportAction::add));
  }
  return outcomes;
}

namespace {

Status check_user_secret_name(std::string_view name) {
  SH_RETURN_IF_ERROR(Location::make("secrets", name).status());  // a name follows the record-path rules
  if (name.starts_with(kReservedSecretPrefix))
    return error(Errc::invalid_argument, "secret names starting with '{}' belong to the identity storage",
                 kReservedSecretPrefix);
  return {};
}

}  // namespace

Status Transaction::put_secret(std::string_view name, ByteView value) {
  SH_RETURN_IF_ERROR(check_user_secret_name(name));
  return put_entry(name, value, overwrite_);
}

Status Transaction::delete_secret(std::string_view name) {
  SH_RETURN_IF_ERROR(check_user_secret_name(name));
  return delete_entry(name);
}

Status Transaction::put_entry(std::string_view name, ByteView value, Overwrite overwrite) {
  SH_RETURN_IF_ERROR(Location::make("secrets", name).status());
  return put_at(Location{kSecretStoreVault, std::string(name)}, KeyType::opaque, value, {}, {}, overwrite);
}

Status Transaction::delete_entry(std::string_view name) {
  SH_RETURN_IF_ERROR(Location::make("secrets", name).status());
  SH_ASSIGN_OR_RETURN(Keystore::State::Found found,
                      keystore_.state_->find(Location{kSecretStoreVault, std::string(name)}));
  changes_.changes.emplace_back(RemoveRecord{found.vault->id, found.record.id, found.record.version});
  return {};
}

Status Transaction::remove_vault(std::string_view path) {
  if (!keystore_.has_vault(path))
    return error(Errc::not_found, "there is no vault {}", path);
  changes_.changes.emplace_back(RemoveVault{*keystore_.state_->vault_id(path)});
  return {};
}

// ---- companion vaults (policy.cpp) and the client registry (clients.cpp)

Result<Bytes> CompanionRecords::read(const Keystore& keystore, const Location& location) {
  Result<Bytes> value = Status(Errc::internal, "the record was not read");
  SH_RETURN_IF_ERROR(keystore.state_->use(location, key_types(KeyType::opaque), [&](ByteView plain, const RecordView&) {
    value = Bytes(plain.begin(), plain.end());  // a policy or a count: authenticated, not secret
    return Status();
  }));
  return value;
}

Status CompanionRecords::use(const Keystore& keystore, const Location& location, FunctionRef<Status(ByteView)> use) {
  return keystore.state_->use(location, key_types(KeyType::opaque),
                              [&](ByteView plain, const RecordView&) { return use(plain); });
}

Status CompanionRecords::use(const Transaction& tx, const Location& location, FunctionRef<Status(ByteView)> use) {
  return tx.read(location, key_types(KeyType::opaque), [&](ByteView plain, const RecordView&) { return use(plain); });
}

Status CompanionRecords::put(Transaction& tx, const Location& location, ByteView value) {
  return tx.put_at(location, KeyType::opaque, value, {}, {}, Overwrite::replace);
}

Status CompanionRecords::remove(Transaction& tx, const Location& location) {
  const auto found = tx.find(location);  // a companion this transaction staged goes too
  if (!found.ok() || found->second.revoked)
    return {};
  return tx.revoke_at(location);
}

std::vector<std::string> CompanionRecords::names(const Keystore& keystore, const std::string& vault_path) {
  std::vector<std::string> names;
  const Keystore::State& state = *keystore.state_;
  const auto id = state.vault_id(vault_path);
  const auto vault = id ? state.vaults.find(*id) : state.vaults.end();
  if (vault != state.vaults.end())
    vault->second.records.for_each([&](const RecordView& record) {
      if (!record.revoked)
        names.emplace_back(record.path);
    });
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace stronghold::vault
