#include "command.hpp"

#include <algorithm>

namespace stronghold::cli {

const std::vector<Command>& commands() {
  static const std::vector<Command> all = [] {
    std::vector<Command> joined = vault_commands();
    for (const auto* more : {&policy_commands(), &audit_commands(), &client_commands(), &approval_commands(),
                             &identity_commands(), &rust_commands(), &cluster_commands()})
      joined.insert(joined.end(), more->begin(), more->end());
    return joined;
  }();
  return all;
}

const Command* find_command(const std::string& name) {
  const auto& all = commands();
  const auto found = std::find_if(all.begin(), all.end(), [&](const Command& command) { return name == command.name; });
  return found == all.end() ? nullptr : &*found;
}

Result<Args> parse_command_words(const Command& command, const std::vector<std::string>& words) {
  SH_ASSIGN_OR_RETURN(Args args, Args::parse(words, command.options));
  if (command.takes_name ? args.positional().size() > 1 : !args.positional().empty())
    return error(Errc::invalid_argument, "unexpected argument '{}'", args.positional().back());
  return args;
}

Result<const runtime::SecretBuffer*> Inputs::secret(const std::string& name) const {
  const auto found = secrets_.find(name);
  if (found == secrets_.end())
    return error(Errc::invalid_argument, "the command needs its input '{}'", name);
  return &found->second;
}

Result<const Bytes*> Inputs::file(const std::string& name) const {
  const auto found = files_.find(name);
  if (found == files_.end())
    return error(Errc::invalid_argument, "the command needs its input '{}'", name);
  return &found->second;
}

}  // namespace stronghold::cli
