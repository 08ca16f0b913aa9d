// A registry of Ed25519 public keys by name in a reserved vault of the snapshot: one record per
// name (its path the name, its sealed value the 32-byte key), journaled and re-keyed by a password
// change like any record. Its vault starts with a control character, so no user location names
// it; the keystore neither lists nor exports it. Clients (clients.hpp) and approvers
// (approvals.hpp) are such registries.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "stronghold/runtime/status.hpp"
#include "stronghold/vault/keystore.hpp"

namespace stronghold::vault {

inline constexpr std::size_t kMaxRegistryName = 64;
inline constexpr std::size_t kRegisteredKeySize = 32;

struct RegisteredKey {
  std::string name;
  Bytes public_key;
};

class KeyRegistry {
 public:
  // `vault`: the reserved vault's path; `noun`: what an entry is, for messages ("client").
  KeyRegistry(std::string vault, std::string_view noun, std::size_t max_entries)
      : vault_(std::move(vault)), noun_(noun), max_entries_(max_entries) {}

  std::size_t max_entries() const noexcept { return max_entries_; }
  // Whether `path` is this registry's vault.
  bool holds(std::string_view path) const noexcept { return path == vault_; }
  // invalid_argument unless `name` is 1 to kMaxRegistryName characters of [A-Za-z0-9._-].
  Status check_name(std::string_view name) const;
  // The key registered under `name`; not_found when none is.
  Result<Bytes> read(const Keystore& keystore, const std::string& name) const;
  // Every registered key, sorted by name.
  Result<std::vector<RegisteredKey>> list(const Keystore& keystore) const;
  // How many names are registered.
  std::size_t count(const Keystore& keystore) const;
  // Registers `public_key` under `name`: already_exists for a registered name unless `overwrite`
  // replaces it, invalid_key for bytes that are no Ed25519 public key, resource_exhausted beyond
  // max_entries().
  Status add(Transaction& tx, const std::string& name, ByteView public_key, Overwrite overwrite) const;
  // not_found when `name` is not registered.
  Status remove(Transaction& tx, const std::string& name) const;

 private:
  Location location(const std::string& name) const { return Location{vault_, name}; }

  std::string vault_;
  std::string_view noun_;
  std::size_t max_entries_;
};

}  // namespace stronghold::vault
