// The commands of a key registry (vault/key_registry.hpp): `client add|remove|list` and
// `approver add|remove|list` differ only in their requests and what they call a name.
#pragma once

#include <string_view>

#include "command.hpp"
#include "options.hpp"
#include "requests.hpp"

namespace stronghold::cli {

// Each is a command's run, for the registry whose entries `noun` names ("client").

// NAME (--public-key HEX | --public-key-file F) [--replace], with the snapshot's password.
template <class Add, const char* noun>
Status add_registered(const Args& args, const Inputs& inputs, Requests& requests, Output&) {
  Add request;
  SH_ASSIGN_OR_RETURN(request.name, one_name(args, noun));
  SH_ASSIGN_OR_RETURN(request.public_key, public_key_option(args, inputs, noun));
  request.overwrite = overwrite_option(args);
  SH_ASSIGN_OR_RETURN(request.password, requests.command_password(inputs));
  return name_replace(requests.call(std::move(request)), args).status();
}

template <class Remove, const char* noun>
Status remove_registered(const Args& args, const Inputs& inputs, Requests& requests, Output&) {
  Remove request;
  SH_ASSIGN_OR_RETURN(request.name, one_name(args, noun));
  SH_ASSIGN_OR_RETURN(request.password, requests.command_password(inputs));
  return requests.call(std::move(request)).status();
}

// One record per registered key: its name and public key.
template <class List>
Status list_registered(const Args&, const Inputs&, Requests& requests, Output& out) {
  SH_ASSIGN_OR_RETURN(const std::vector<actors::ClientEntry> entries, requests.call(List{}));
  for (const actors::ClientEntry& entry : entries)
    out.result({{"name", entry.name}, {"public_key", to_hex(entry.public_key)}}, Output::Layout::record);
  return {};
}

}  // namespace stronghold::cli
