// The client commands: `client add`, `client remove` and `client list`, the registry of the keys
// strongholdd's clients prove their names with (vault/clients.hpp). `client keygen` makes such a
// key and sends no request (client_keys.hpp).
#include "command.hpp"
#include "options.hpp"
#include "requests.hpp"

namespace stronghold::cli {
namespace {

using Layout = Output::Layout;

Result<std::string> client_name(const Args& args) {
  if (args.positional().size() != 1)
    return Status(Errc::invalid_argument, "give one client NAME");
  return args.positional().front();
}

// --public-key HEX, or --public-key-file F holding that hex (what `client keygen` printed).
Result<Bytes> public_key_option(const Args& args, const Inputs& inputs) {
  if (args.has("--public-key") == args.has("--public-key-file"))
    return Status(Errc::invalid_argument,
                  "give the client's key with exactly one of --public-key and --public-key-file");
  if (args.has("--public-key"))
    return hex_option(args, "--public-key");
  SH_ASSIGN_OR_RETURN(const Bytes* const file, inputs.file("--public-key-file"));
  std::string text(file->begin(), file->end());
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r'))
    text.pop_back();
  return from_hex(text);
}

Status client_add(const Args& args, const Inputs& inputs, Requests& requests, Output&) {
  actors::ClientAdd request;
  SH_ASSIGN_OR_RETURN(request.name, client_name(args));
  SH_ASSIGN_OR_RETURN(request.public_key, public_key_option(args, inputs));
  request.overwrite = overwrite_option(args);
  SH_ASSIGN_OR_RETURN(request.password, requests.command_password(inputs));
  return name_replace(requests.call(std::move(request)), args).status();
}

Status client_remove(const Args& args, const Inputs& inputs, Requests& requests, Output&) {
  actors::ClientRemove request;
  SH_ASSIGN_OR_RETURN(request.name, client_name(args));
  SH_ASSIGN_OR_RETURN(request.password, requests.command_password(inputs));
  return requests.call(std::move(request)).status();
}

Status client_list(const Args&, const Inputs&, Requests& requests, Output& out) {
  SH_ASSIGN_OR_RETURN(const std::vector<actors::ClientEntry> clients, requests.call(actors::ClientList{}));
  for (const actors::ClientEntry& client : clients)
    out.result({{"name", client.name}, {"public_key", to_hex(client.public_key)}}, Layout::record);
  return {};
}

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
       client_add,
       true},
      {"client remove",
       "client remove NAME\n  Unregisters the client (takes the snapshot's password, also through strongholdd).",
       {},
       {0, nullptr, false, nullptr, true},
       client_remove,
       true},
      {"client list", "client list [--json]\n  Names and public keys of the registered clients.", {}, {}, client_list},
  };
  return all;
}

}  // namespace stronghold::cli
