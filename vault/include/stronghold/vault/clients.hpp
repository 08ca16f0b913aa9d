// Client keys: the Ed25519 public keys that strongholdd's clients prove a name with. A connection
// that signs the daemon's challenge with the key registered under NAME is the caller
// "client:NAME" (policy.hpp's Caller::client), which policies may name.
//
// The registry is a KeyRegistry (key_registry.hpp), never exported: an import must not make
// anyone a client of the importing snapshot.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "stronghold/runtime/status.hpp"
#include "stronghold/vault/key_registry.hpp"

namespace stronghold::vault {

inline constexpr std::size_t kMaxClients = 4096;
inline constexpr std::size_t kMaxClientName = kMaxRegistryName;
inline constexpr std::size_t kClientKeySize = kRegisteredKeySize;

using ClientKey = RegisteredKey;

const KeyRegistry& client_registry();

// invalid_argument unless `name` is 1 to kMaxClientName characters of [A-Za-z0-9._-].
Status check_client_name(std::string_view name);
// Whether `path` is the registry's reserved vault.
bool is_client_registry(std::string_view path) noexcept;

// The key registered under `name`; not_found when none is.
Result<Bytes> read_client_key(const Keystore& keystore, const std::string& name);
// Every registered client, sorted by name.
Result<std::vector<ClientKey>> list_clients(const Keystore& keystore);
// Registers `public_key` under `name`: already_exists for a registered name unless `overwrite`
// replaces it, invalid_key for bytes that are no Ed25519 public key, resource_exhausted beyond
// kMaxClients.
Status add_client(Transaction& tx, const std::string& name, ByteView public_key, Overwrite overwrite);
// not_found when `name` is not registered.
Status remove_client(Transaction& tx, const std::string& name);

}  // namespace stronghold::vault
