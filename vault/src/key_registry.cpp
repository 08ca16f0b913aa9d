#include "stronghold/vault/key_registry.hpp"

#include <sodium.h>

#include <algorithm>

#include "companion_records.hpp"

namespace stronghold::vault {
namespace {

bool is_name_character(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
}

}  // namespace

Status KeyRegistry::check_name(std::string_view name) const {
  if (name.empty() || name.size() > kMaxRegistryName || !std::all_of(name.begin(), name.end(), is_name_character))
    return error(Errc::invalid_argument, "a {} name is 1 to {} characters of A-Z a-z 0-9 . _ -, not '{}'", noun_,
                 kMaxRegistryName, name.substr(0, kMaxRegistryName + 1));
  return {};
}

Result<Bytes> KeyRegistry::read(const Keystore& keystore, const std::string& name) const {
  SH_RETURN_IF_ERROR(check_name(name));
  auto key = CompanionRecords::read(keystore, location(name));
  if (key.status().code() == Errc::not_found)
    return error(Errc::not_found, "no {} {} is registered", noun_, name);
  SH_RETURN_IF_ERROR(key.status());
  if (key->size() != kRegisteredKeySize)
    return error(Errc::corrupted, "the stored key of {} {} is not {} bytes", noun_, name, kRegisteredKeySize);
  return key;
}

Result<std::vector<RegisteredKey>> KeyRegistry::list(const Keystore& keystore) const {
  std::vector<RegisteredKey> keys;
  for (std::string& name : CompanionRecords::names(keystore, vault_)) {
    SH_ASSIGN_OR_RETURN(Bytes key, read(keystore, name));
    keys.push_back({std::move(name), std::move(key)});
  }
  return keys;
}

std::size_t KeyRegistry::count(const Keystore& keystore) const {
  return CompanionRecords::names(keystore, vault_).size();
}

Status KeyRegistry::add(Transaction& tx, const std::string& name, ByteView public_key, Overwrite overwrite) const {
  SH_RETURN_IF_ERROR(check_name(name));
  // A point off the curve or of small order verifies signatures nobody made.
  if (public_key.size() != kRegisteredKeySize || crypto_core_ed25519_is_valid_point(public_key.data()) != 1)
    return error(Errc::invalid_key, "a {} key is a 32-byte Ed25519 public key", noun_);
  const bool registered = read(tx.keystore(), name).ok();
  if (registered && overwrite == Overwrite::refuse)
    return error(Errc::already_exists, "{} {} is registered already", noun_, name);
  if (!registered && count(tx.keystore()) >= max_entries_)
    return error(Errc::resource_exhausted, "a snapshot registers at most {} {}s", max_entries_, noun_);
  return CompanionRecords::put(tx, location(name), public_key);
}

Status KeyRegistry::remove(Transaction& tx, const std::string& name) const {
  SH_RETURN_IF_ERROR(read(tx.keystore(), name).status());
  return CompanionRecords::remove(tx, location(name));
}

}  // namespace stronghold::vault
