#include "stronghold/vault/clients.hpp"

#include <sodium.h>

#include <algorithm>

#include "companion_records.hpp"

namespace stronghold::vault {
namespace {

// A control character starts it, so no user location names it (Location::check). Octal, since
// "\x02c..." would read the hex digit c into the escape.
const std::string kRegistryVault("\002clients");

Location client_location(const std::string& name) { return Location{kRegistryVault, name}; }

bool is_name_character(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
}

}  // namespace

Status check_client_name(std::string_view name) {
  if (name.empty() || name.size() > kMaxClientName || !std::all_of(name.begin(), name.end(), is_name_character))
    return error(Errc::invalid_argument, "a client name is 1 to {} characters of A-Z a-z 0-9 . _ -, not '{}'",
                 kMaxClientName, name.substr(0, kMaxClientName + 1));
  return {};
}

bool is_client_registry(std::string_view path) noexcept { return path == kRegistryVault; }

Result<Bytes> read_client_key(const Keystore& keystore, const std::string& name) {
  SH_RETURN_IF_ERROR(check_client_name(name));
  auto key = CompanionRecords::read(keystore, client_location(name));
  if (key.status().code() == Errc::not_found)
    return error(Errc::not_found, "no client {} is registered", name);
  SH_RETURN_IF_ERROR(key.status());
  if (key->size() != kClientKeySize)
    return error(Errc::corrupted, "the stored key of client {} is not {} bytes", name, kClientKeySize);
  return key;
}

Result<std::vector<ClientKey>> list_clients(const Keystore& keystore) {
  std::vector<ClientKey> clients;
  for (std::string& name : CompanionRecords::names(keystore, kRegistryVault)) {
    SH_ASSIGN_OR_RETURN(Bytes key, read_client_key(keystore, name));
    clients.push_back({std::move(name), std::move(key)});
  }
  return clients;
}

Status add_client(Transaction& tx, const std::string& name, ByteView public_key, Overwrite overwrite) {
  SH_RETURN_IF_ERROR(check_client_name(name));
  // A point off the curve or of small order verifies signatures nobody made.
  if (public_key.size() != kClientKeySize || crypto_core_ed25519_is_valid_point(public_key.data()) != 1)
    return Status(Errc::invalid_key, "a client key is a 32-byte Ed25519 public key");
  const bool registered = read_client_key(tx.keystore(), name).ok();
  if (registered && overwrite == Overwrite::refuse)
    return error(Errc::already_exists, "client {} is registered already", name);
  if (!registered && CompanionRecords::names(tx.keystore(), kRegistryVault).size() >= kMaxClients)
    return error(Errc::resource_exhausted, "a snapshot registers at most {} clients", kMaxClients);
  return CompanionRecords::put(tx, client_location(name), public_key);
}

Status remove_client(Transaction& tx, const std::string& name) {
  SH_RETURN_IF_ERROR(read_client_key(tx.keystore(), name).status());
  return CompanionRecords::remove(tx, client_location(name));
}

}  // namespace stronghold::vault
