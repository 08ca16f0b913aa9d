#include "rust_import.hpp"

#include "rust_identity.hpp"

#include "stronghold/snapshot/rust_stronghold.hpp"
#include "stronghold/vault/keys.hpp"

namespace stronghold::actors {
namespace {

namespace rs = snapshot::rust_stronghold;

constexpr std::string_view kWalletPreset = "wallet";
constexpr std::string_view kIdentityPreset = "identity";
constexpr std::string_view kDefaultWalletAt = "wallet/seed";
constexpr std::string_view kWalletClient = "iota_seed";
constexpr std::string_view kWalletVault = "iota-wallet-secret";
constexpr std::string_view kWalletRecord = "iota-wallet-seed";

// Opens the file with the raw key, or with the key the wallet's KDF makes of the password.
Result<rs::Contents> open_file(const Bytes& file, const Secret& password, const Secret& key) {
  if (password.empty() == key.empty())
    return Status(Errc::invalid_argument, "give the Rust Stronghold snapshot's password or its key, one of them");
  SH_ASSIGN_OR_RETURN(const unsigned version, rs::format_version(file));
  Result<rs::Contents> contents = Status(Errc::internal, "the snapshot was not read");
  auto read_with = [&](ByteView raw_key) {
    contents = rs::read(file, raw_key);
    return contents.status();
  };
  if (!key.empty()) {
    SH_RETURN_IF_ERROR(key.open(read_with));
    return contents;
  }
  SH_RETURN_IF_ERROR(password.open([&](ByteView plain) {
    SH_ASSIGN_OR_RETURN(runtime::SecretBytes derived, rs::key_from_password(version, plain));
    return read_with(derived.view());
  }));
  return contents;
}

Result<std::vector<RustRecordMap>> maps_of(const ImportStronghold& request) {
  std::vector<RustRecordMap> maps;
  if (request.preset == kWalletPreset) {
    SH_ASSIGN_OR_RETURN(vault::Location at,
                        vault::Location::parse(request.wallet_at.empty() ? kDefaultWalletAt : request.wallet_at));
    maps.push_back({std::string(kWalletClient), std::string(kWalletVault), std::string(kWalletRecord), at, "seed"});
  } else if (!request.preset.empty() && request.preset != "none" && request.preset != kIdentityPreset) {
    return error(Errc::invalid_argument, "unknown Rust Stronghold preset '{}' (wallet, identity or none)",
                 request.preset);
  }
  maps.insert(maps.end(), request.maps.begin(), request.maps.end());
  if (maps.empty() && request.preset != kIdentityPreset)
    return Status(Errc::invalid_argument, "name the records to import: a preset or at least one map");
  return maps;
}

Result<ImportedEntry> import_one(vault::Transaction& tx, const rs::Contents& contents, const RustRecordMap& map) {
  const rs::Record* record = rs::find_record(contents, map.client, map.vault, map.record);
  if (record == nullptr)
    return error(Errc::not_found, "the Rust Stronghold snapshot holds no record {}/{}/{}", map.client, map.vault,
                 map.record);
  SH_ASSIGN_OR_RETURN(const vault::KeyType type, vault::parse_key_type(map.type));
  SH_RETURN_IF_ERROR(map.into.check());
  ImportedEntry entry{vault::ImportedRecord::Kind::record, map.into.to_string(), vault::ImportAction::add};
  if (tx.keystore().exists(map.into)) {
    entry.action =
        tx.overwrite() == vault::Overwrite::replace ? vault::ImportAction::replace : vault::ImportAction::keep;
    if (entry.action == vault::ImportAction::keep)
      return entry;
  }
  SH_RETURN_IF_ERROR(vault::import_key(tx, map.into, type, record->data.view()).status());
  return entry;
}

}  // namespace

Result<ImportReport> import_rust_stronghold(vault::Transaction& tx, const ImportStronghold& request) {
  SH_ASSIGN_OR_RETURN(const std::vector<RustRecordMap> maps, maps_of(request));
  SH_ASSIGN_OR_RETURN(const rs::Contents contents, open_file(request.file, request.password, request.key));
  ImportReport report{{}, {}, true};
  for (const RustRecordMap& map : maps) {
    SH_ASSIGN_OR_RETURN(ImportedEntry entry, import_one(tx, contents, map));
    report.records.push_back(std::move(entry));
  }
  if (request.preset == kIdentityPreset) {
    SH_ASSIGN_OR_RETURN(std::vector<ImportedEntry> identities, import_rust_identities(tx, contents));
    std::move(identities.begin(), identities.end(), std::back_inserter(report.records));
  }
  return report;
}

Result<RustSnapshotInfo> inspect_rust_stronghold(const InspectStronghold& request) {
  SH_ASSIGN_OR_RETURN(const rs::Contents contents, open_file(request.file, request.password, request.key));
  RustSnapshotInfo info{
      contents.version, {}, rs::find_record(contents, kWalletClient, kWalletVault, kWalletRecord) != nullptr};
  for (const rs::Client& client : contents.clients) {
    RustClientInfo summary{Bytes(client.id.begin(), client.id.end()), {}, {}};
    for (const rs::StoreEntry& entry : client.store)
      summary.store_keys.push_back(entry.key);
    for (const rs::Vault& vault : client.vaults)
      summary.vaults.push_back({Bytes(vault.id.begin(), vault.id.end()), vault.records.size(), vault.revoked});
    info.clients.push_back(std::move(summary));
  }
  return info;
}

}  // namespace stronghold::actors
