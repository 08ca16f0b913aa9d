#include "stronghold/vault/clients.hpp"

namespace stronghold::vault {

const KeyRegistry& client_registry() {
  // Octal, since "\x02c..." would read the hex digit c into the escape.
  static const KeyRegistry registry("\002clients", "client", kMaxClients);
  return registry;
}

Status check_client_name(std::string_view name) { return client_registry().check_name(name); }

bool is_client_registry(std::string_view path) noexcept { return client_registry().holds(path); }

Result<Bytes> read_client_key(const Keystore& keystore, const std::string& name) {
  return client_registry().read(keystore, name);
}

Result<std::vector<ClientKey>> list_clients(const Keystore& keystore) { return client_registry().list(keystore); }

Status add_client(Transaction& tx, const std::string& name, ByteView public_key, Overwrite overwrite) {
  return client_registry().add(tx, name, public_key, overwrite);
}

Status remove_client(Transaction& tx, const std::string& name) { return client_registry().remove(tx, name); }

}  // namespace stronghold::vault
