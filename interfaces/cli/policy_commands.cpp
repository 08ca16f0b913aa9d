// The policy commands: `policy set` and `policy show`, on a vault or a key (vault/policy.hpp).
#include "command.hpp"
#include "options.hpp"
#include "requests.hpp"

namespace stronghold::cli {
namespace {

using Layout = Output::Layout;

// --rate N/SECONDS (the interval also as a duration: 10/1h).
Status rate_option(const std::string& text, actors::PolicyRules& rules) {
  const std::size_t slash = text.find('/');
  if (slash == std::string::npos)
    return error(Errc::invalid_argument, "--rate is N/SECONDS, such as 10/60 or 100/1h, not '{}'", text);
  SH_ASSIGN_OR_RETURN(rules.rate_count, parse_number<std::uint32_t>(text.substr(0, slash), "a rate's count"));
  const std::string interval = text.substr(slash + 1);
  auto seconds = parse_number<std::uint32_t>(interval, "a rate's interval");
  if (!seconds.ok()) {
    SH_ASSIGN_OR_RETURN(const std::uint64_t duration, parse_duration(interval));
    if (duration > UINT32_MAX)
      return Status(Errc::invalid_argument, "a rate's interval is at most 136 years");
    seconds = static_cast<std::uint32_t>(duration);
  }
  rules.rate_seconds = *seconds;
  return {};
}

// --vault V or --at V/R: the vault and the record (empty for the vault's own policy).
Result<std::pair<std::string, std::string>> policy_scope(const Args& args) {
  if (args.has("--vault") == args.has("--at"))
    return Status(Errc::invalid_argument, "name the policy's vault (--vault V) or key (--at VAULT/RECORD)");
  if (args.has("--vault")) {
    std::string vault = *args.value("--vault");
    SH_RETURN_IF_ERROR(vault::Location::check_vault(vault));
    return std::pair{std::move(vault), std::string()};
  }
  SH_ASSIGN_OR_RETURN(vault::Location at, location_option(args, "--at"));
  return std::pair{std::move(at.vault), std::move(at.record)};
}

Result<actors::PolicyRules> policy_rules(const Args& args) {
  actors::PolicyRules rules;
  if (const auto allow = args.value("--allow"))
    for (const std::string& item : split_list(*allow))
      SH_RETURN_IF_ERROR(add_kinds(item, rules.kinds, "--allow"));
  if (args.has("--allow") && rules.kinds.empty())
    return Status(Errc::invalid_argument, "--allow names at least one request kind");
  if (const auto callers = args.value("--callers"))
    rules.callers = split_list(*callers);
  if (const auto uses = args.value("--max-uses")) {
    SH_ASSIGN_OR_RETURN(rules.max_uses, parse_number<std::uint64_t>(*uses, "--max-uses"));
  }
  if (const auto rate = args.value("--rate"))
    SH_RETURN_IF_ERROR(rate_option(*rate, rules));
  if (args.has("--not-after") && args.has("--expires"))
    return Status(Errc::invalid_argument, "give --not-after or --expires, not both");
  if (const auto not_after = args.value("--not-after")) {
    SH_ASSIGN_OR_RETURN(rules.not_after, parse_time(*not_after));
  }
  if (const auto expires = args.value("--expires")) {
    SH_ASSIGN_OR_RETURN(const std::uint64_t in, parse_duration(*expires));
    rules.not_after = static_cast<std::int64_t>(std::time(nullptr)) + static_cast<std::int64_t>(in);
  }
  if (const auto not_before = args.value("--not-before")) {
    SH_ASSIGN_OR_RETURN(rules.not_before, parse_time(*not_before));
  }
  if (const auto paths = args.value("--paths"))
    rules.path_prefixes = split_list(*paths);
  if (const auto longest = args.value("--max-message")) {
    SH_ASSIGN_OR_RETURN(rules.max_message, parse_number<std::uint64_t>(*longest, "--max-message"));
  }
  rules.allow_prehashed = !args.has("--no-prehashed");
  return rules;
}

Status policy_set(const Args& args, const Inputs&, Requests& requests, Output&) {
  SH_ASSIGN_OR_RETURN(auto scope, policy_scope(args));
  SH_ASSIGN_OR_RETURN(actors::PolicyRules rules, policy_rules(args));
  return requests.call(actors::SetPolicy{std::move(scope.first), std::move(scope.second), std::move(rules)}).status();
}

std::string joined(const std::vector<std::string>& items, std::string_view none) {
  if (items.empty())
    return std::string(none);
  std::string text;
  for (const std::string& item : items)
    text.append(text.empty() ? "" : ",").append(item);
  return text;
}

std::string kind_names(const std::vector<std::uint16_t>& kinds) {
  std::vector<std::string> names;
  names.reserve(kinds.size());
  for (const std::uint16_t kind : kinds)
    names.emplace_back(actors::request_name(static_cast<actors::RequestKind>(kind)));
  return joined(names, "any");
}

std::string limit_text(std::uint64_t limit) { return limit == 0 ? "none" : std::to_string(limit); }

Status policy_show(const Args& args, const Inputs&, Requests& requests, Output& out) {
  SH_ASSIGN_OR_RETURN(auto scope, policy_scope(args));
  SH_ASSIGN_OR_RETURN(const actors::PolicyState state, requests.call(actors::ShowPolicy{scope.first, scope.second}));
  const actors::PolicyRules& rules = state.rules;
  const std::string rate = rules.rate_count == 0 ? "none" : fmt::format("{}/{}", rules.rate_count, rules.rate_seconds);
  const Output::Fields shown = {
      {"policy", state.present ? "set" : "none (everything is allowed)"},
      {"allow", kind_names(rules.kinds)},
      {"callers", joined(rules.callers, "any")},
      {"max_uses", limit_text(rules.max_uses)},
      {"uses", std::to_string(state.uses)},
      {"rate", rate},
      {"not_before", limit_text(static_cast<std::uint64_t>(rules.not_before))},
      {"not_after", limit_text(static_cast<std::uint64_t>(rules.not_after))},
      {"paths", joined(rules.path_prefixes, "any")},
      {"max_message", limit_text(rules.max_message)},
      {"prehashed", rules.allow_prehashed ? "allowed" : "refused"},
  };
  for (const auto& [rule, value] : shown)
    out.result({{"rule", rule}, {"value", value}}, Layout::record);
  return {};
}

}  // namespace

const std::vector<Command>& policy_commands() {
  static const std::vector<Command> all = {
      {"policy set",
       "policy set (--vault V | --at VAULT/RECORD) [--allow KIND,...] [--callers NAME,...] [--max-uses N]\n"
       "           [--rate N/SECONDS] [--not-before TIME] [--not-after TIME | --expires DURATION]\n"
       "           [--paths PREFIX,...] [--max-message BYTES] [--no-prehashed]\n"
       "  Replaces the policy of a vault or a key (a key's narrows its vault's); with no rule, removes it.\n"
       "  KIND: a request's name (sign.ecdsa, key.public, export ...) or a family (sign, key, did).\n"
       "  NAME: owner, uid:N (a strongholdd client's user), client:NAME. TIME: unix seconds or\n"
       "  2027-01-31T12:00:00Z. A refused request exits 7 and names the rule.",
       {{"--vault", "--at", "--allow", "--callers", "--max-uses", "--rate", "--not-before", "--not-after", "--expires",
         "--paths", "--max-message"},
        {"--no-prehashed"},
        {}},
       {},
       policy_set},
      {"policy show",
       "policy show (--vault V | --at VAULT/RECORD) [--json]\n  One rule per line, with the uses counted so far.",
       {{"--vault", "--at"}, {}, {}},
       {},
       policy_show},
  };
  return all;
}

}  // namespace stronghold::cli
