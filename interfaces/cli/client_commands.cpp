// The client commands: `client add`, `client remove` and `client list`, the registry of the keys
// strongholdd's clients prove their names with (vault/clients.hpp). `client keygen` makes such a
// key and sends no request (client_keys.hpp).
#include "registry_commands.hpp"

namespace stronghold::cli {
namespace {

constexpr char kClient[] = "client";

}  // namespace

const std::vector<Command>& client_commands() {
  static const std::vector<Command> all = {
      {"client add",
       "client add NAME (--public-key HEX | --public-key-file F) [--replace]\n"
       "  Registers the Ed25519 public key (from 'client keygen') with which a strongholdd client proves\n"
       "  NAME (--client NAME --client-key FILE); policies name it client:NAME. Takes the snapshot's\n"
       "  password, also through strongholdd. A registered NAME is replaced only with --replace.",
       {{"--public-key", "--public-key-file"}, {"--replace"}, {}},
       {0, nullptr, false, "--public-key-file", true},
       add_registered<actors::ClientAdd, kClient>,
       true},
      {"client remove",
       "client remove NAME\n  Unregisters the client (takes the snapshot's password, also through strongholdd).",
       {},
       {0, nullptr, false, nullptr, true},
       remove_registered<actors::ClientRemove, kClient>,
       true},
      {"client list",
       "client list [--json]\n  Names and public keys of the registered clients.",
       {},
       {},
       list_registered<actors::ClientList>},
  };
  return all;
}

}  // namespace stronghold::cli
