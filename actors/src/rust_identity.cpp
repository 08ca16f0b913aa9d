#include "rust_identity.hpp"

#include <nlohmann/json.hpp>

#include "stronghold/runtime/base58.hpp"
#include "stronghold/vault/identity.hpp"
#include "stronghold/vault/identity_json.hpp"

namespace stronghold::actors {
namespace {

namespace rs = snapshot::rust_stronghold;
using Json = nlohmann::json;

constexpr std::string_view kIndexClient = "$index";
constexpr std::string_view kIndexKey = "$index";
constexpr std::string_view kKeyVault = "$vault";
constexpr std::string_view kChainStateKey = "$chain_state";
constexpr std::string_view kDocumentKey = "$document";
// The relationships of an Identity 0.6 document whose entries may be embedded methods.
constexpr std::string_view kMethodLists[] = {"verificationMethod", "authentication",       "assertionMethod",
                                             "keyAgreement",       "capabilityDelegation", "capabilityInvocation"};

// Parses a value the file holds in the clear, nested at most as deep as the identity storage
// takes (refused while parsing, before a deep value is built); the text is kept for the error,
// never the value.
Result<Json> parse_json(const runtime::SecretBytes& value, std::string_view what) {
  bool too_deep = false;
  const auto bounded = [&too_deep](int depth, Json::parse_event_t, Json&) {
    too_deep = too_deep || depth > vault::kMaxIdentityJsonDepth;
    return !too_deep;
  };
  Json parsed = Json::parse(value.view().begin(), value.view().end(), bounded, /*allow_exceptions=*/false);
  if (too_deep)
    return error(Errc::invalid_argument, "the Rust Stronghold snapshot's {} nests deeper than {} levels", what,
                 vault::kMaxIdentityJsonDepth);
  if (parsed.is_discarded())
    return error(Errc::invalid_argument, "the Rust Stronghold snapshot's {} is not JSON", what);
  return parsed;
}

Result<std::vector<std::string>> read_index(const rs::Contents& contents) {
  const runtime::SecretBytes* value = rs::find_store_value(contents, kIndexClient, kIndexKey);
  if (value == nullptr)
    return Status(Errc::not_found, "the Rust Stronghold snapshot holds no IOTA Identity DID index");
  SH_ASSIGN_OR_RETURN(const Json index, parse_json(*value, "DID index"));
  if (!index.is_array())
    return Status(Errc::invalid_argument, "the Rust Stronghold snapshot's DID index is not a JSON array");
  std::vector<std::string> dids;
  for (const Json& did : index) {
    if (!did.is_string())
      return Status(Errc::invalid_argument, "the Rust Stronghold snapshot's DID index holds a non-string");
    if (std::find(dids.begin(), dids.end(), did.get_ref<const std::string&>()) != dids.end())
      return Status(Errc::invalid_argument, "the Rust Stronghold snapshot's DID index names a DID twice");
    dids.push_back(did.get<std::string>());
  }
  return dids;
}

// The key location a verification method names, or none for an entry that is no embedded
// method of a key type this storage holds (a reference, another method type).
Result<std::optional<vault::KeyLocation>> method_location(const Json& method) {
  if (!method.is_object() || !method.contains("type") || !method.contains("publicKeyMultibase") ||
      !method.contains("id"))
    return std::optional<vault::KeyLocation>{};
  const Json& type = method["type"];
  vault::IdentityKeyType key_type = vault::IdentityKeyType::ed25519;
  if (type == "X25519KeyAgreementKey2019")
    key_type = vault::IdentityKeyType::x25519;
  else if (type != "Ed25519VerificationKey2018")
    return std::optional<vault::KeyLocation>{};
  const Json& id = method["id"];
  const Json& multibase = method["publicKeyMultibase"];
  if (!id.is_string() || !multibase.is_string())
    return Status(Errc::invalid_argument, "a verification method's id or publicKeyMultibase is not a string");
  const std::string& id_text = id.get_ref<const std::string&>();
  const std::string& key_text = multibase.get_ref<const std::string&>();
  const std::size_t hash = id_text.find('#');
  if (hash == std::string::npos || !key_text.starts_with('z'))
    return error(Errc::invalid_argument, "the verification method {} has no fragment or no base58btc key", id_text);
  SH_ASSIGN_OR_RETURN(const Bytes public_key, from_base58(std::string_view(key_text).substr(1)));
  SH_ASSIGN_OR_RETURN(vault::KeyLocation location,
                      vault::KeyLocation::make(key_type, std::string_view(id_text).substr(hash + 1), public_key));
  return std::optional<vault::KeyLocation>(std::move(location));
}

// Every key location the document's methods name, once each.
Result<std::vector<vault::KeyLocation>> document_locations(const Json& document) {
  std::vector<vault::KeyLocation> locations;
  const auto doc = document.find("doc");
  if (doc == document.end() || !doc->is_object())
    return locations;
  for (std::string_view list : kMethodLists) {
    const auto methods = doc->find(list);
    if (methods == doc->end() || !methods->is_array())
      continue;
    for (const Json& method : *methods) {
      SH_ASSIGN_OR_RETURN(std::optional<vault::KeyLocation> location, method_location(method));
      if (location && std::find(locations.begin(), locations.end(), *location) == locations.end())
        locations.push_back(std::move(*location));
    }
  }
  return locations;
}

std::size_t records_in_key_vault(const rs::Contents& contents, std::string_view did_text) {
  const rs::Id client = rs::client_id(did_text);
  const rs::Id vault = rs::vault_id(kKeyVault);
  for (const rs::Client& c : contents.clients)
    if (c.id == client)
      for (const rs::Vault& v : c.vaults)
        if (v.id == vault)
          return v.records.size();
  return 0;
}

std::optional<std::string> store_text(const rs::Contents& contents, std::string_view did_text, std::string_view key) {
  const runtime::SecretBytes* value = rs::find_store_value(contents, did_text, key);
  if (value == nullptr)
    return std::nullopt;
  return std::string(reinterpret_cast<const char*>(value->view().data()), value->view().size());
}

// The DID's keys, found through its document's methods; reports each, and those left behind.
Status collect_keys(const rs::Contents& contents, std::string_view did_text, vault::ImportedIdentity& identity,
                    vault::ImportAction action, std::vector<ImportedEntry>& report) {
  std::vector<vault::KeyLocation> locations;
  if (const runtime::SecretBytes* document = rs::find_store_value(contents, did_text, kDocumentKey)) {
    SH_ASSIGN_OR_RETURN(const Json parsed, parse_json(*document, "DID document"));
    SH_ASSIGN_OR_RETURN(locations, document_locations(parsed));
  }
  for (vault::KeyLocation& location : locations) {
    const rs::Record* record = rs::find_record(contents, did_text, kKeyVault, location.canonical());
    if (record == nullptr)
      continue;
    report.push_back(
        {vault::ImportedRecord::Kind::record, vault::identity_record(identity.did, location).to_string(), action});
    identity.keys.emplace_back(std::move(location), record->data.view());
  }
  if (const std::size_t left = records_in_key_vault(contents, did_text) - identity.keys.size(); left > 0)
    report.push_back({vault::ImportedRecord::Kind::record,
                      fmt::format("{} ({} key{} no verification method names)", identity.did.to_string(), left,
                                  left == 1 ? "" : "s"),
                      vault::ImportAction::skip});
  return {};
}

Status import_did(vault::Transaction& tx, const rs::Contents& contents, const std::string& did_text,
                  std::vector<ImportedEntry>& report) {
  vault::ImportedIdentity identity;
  SH_ASSIGN_OR_RETURN(identity.did, vault::Did::parse(did_text));
  vault::ImportAction action = vault::ImportAction::add;
  if (vault::did_exists(tx.keystore(), identity.did)) {
    action = tx.overwrite() == vault::Overwrite::replace ? vault::ImportAction::replace : vault::ImportAction::keep;
    if (action == vault::ImportAction::keep) {
      report.push_back({vault::ImportedRecord::Kind::record, identity.did.to_string(), action});
      return {};
    }
  }
  SH_RETURN_IF_ERROR(collect_keys(contents, did_text, identity, action, report));
  identity.chain_state = store_text(contents, did_text, kChainStateKey);
  identity.document = store_text(contents, did_text, kDocumentKey);
  for (const auto& [value, name] : {std::pair{&identity.chain_state, "chain state"}, {&identity.document, "document"}})
    if (*value)
      report.push_back(
          {vault::ImportedRecord::Kind::secret, fmt::format("{} {}", identity.did.to_string(), name), action});
  return vault::import_identity(tx, identity);
}

}  // namespace

Result<std::vector<ImportedEntry>> import_rust_identities(vault::Transaction& tx, const rs::Contents& contents) {
  SH_ASSIGN_OR_RETURN(const std::vector<std::string> dids, read_index(contents));
  std::vector<ImportedEntry> report;
  for (const std::string& did : dids)
    SH_RETURN_IF_ERROR(import_did(tx, contents, did, report));
  return report;
}

}  // namespace stronghold::actors
