// The audit commands: `audit set`, `audit verify` and `audit show` (snapshot/audit_log.hpp).
#include <limits>

#include <fmt/format.h>

#include "command.hpp"
#include "options.hpp"
#include "requests.hpp"
#include "stronghold/snapshot/audit_log.hpp"

namespace stronghold::cli {
namespace {

using Layout = Output::Layout;

Status audit_set(const Args& args, const Inputs& inputs, Requests& requests, Output&) {
  const auto mode = args.value("--mode");
  if (!mode)
    return Status(Errc::invalid_argument, "audit set needs --mode off, best-effort or fail-closed");
  actors::SetAuditMode request;
  SH_ASSIGN_OR_RETURN(request.mode, vault::parse_audit_mode(*mode));
  SH_ASSIGN_OR_RETURN(request.password, requests.command_password(inputs));
  return requests.call(std::move(request)).status();
}

// Exits 4 (damaged) at the first break, after printing what verified.
Status audit_verify(const Args&, const Inputs&, Requests& requests, Output& out) {
  SH_ASSIGN_OR_RETURN(const actors::AuditReport report, requests.call(actors::VerifyAudit{}));
  const Output::Fields found = {{"mode", std::string(vault::audit_mode_name(report.mode))},
                                {"entries", std::to_string(report.entries)},
                                {"first_sequence", std::to_string(report.first_sequence)},
                                {"head_sequence", std::to_string(report.head_sequence)},
                                {"anchor_sequence", std::to_string(report.anchor_sequence)},
                                {"recovered", std::to_string(report.recovered)},
                                {"first_break", report.first_break.empty() ? "none" : report.first_break}};
  for (const auto& [check, value] : found)
    out.result({{"check", check}, {"value", value}}, Layout::record);
  if (!report.first_break.empty())
    return error(Errc::corrupted, "the audit log does not verify: {}", report.first_break);
  return {};
}

Output::Fields entry_fields(const actors::AuditRecord& entry) {
  const auto outcome = static_cast<snapshot::AuditOutcome>(entry.outcome);
  return {{"sequence", std::to_string(entry.sequence)},
          {"time", utc_time(entry.time_ms)},
          {"caller", entry.caller},
          {"kind", std::string(actors::request_name(static_cast<actors::RequestKind>(entry.kind)))},
          {"location", entry.location},
          {"outcome", std::string(snapshot::audit_outcome_name(outcome))},
          {"status", std::to_string(entry.status)},
          {"rule", entry.rule},
          {"digest", to_hex(entry.digest)}};
}

// Pages through the log; stops with exit 4 where it stops verifying.
Status audit_show(const Args& args, const Inputs&, Requests& requests, Output& out) {
  actors::ShowAudit page_request;
  if (const auto since = args.value("--since")) {
    SH_ASSIGN_OR_RETURN(const std::int64_t seconds, parse_time(*since));
    constexpr std::int64_t kLimit = std::numeric_limits<std::int64_t>::max() / 1000;
    if (seconds > kLimit || seconds < -kLimit)
      return error(Errc::invalid_argument, "--since {} is beyond any time the log holds", *since);
    page_request.since_ms = seconds * 1000;
  }
  for (;;) {
    SH_ASSIGN_OR_RETURN(const actors::AuditPage page, requests.call(page_request));
    for (const actors::AuditRecord& entry : page.entries)
      out.result(entry_fields(entry), Layout::record);
    if (!page.first_break.empty())
      return error(Errc::corrupted, "the audit log does not verify past this point: {}", page.first_break);
    if (!page.more || page.entries.empty())
      return {};
    page_request.after = page.entries.back().sequence;
  }
}

}  // namespace

const std::vector<Command>& audit_commands() {
  static const std::vector<Command> all = {
      {"audit set",
       "audit set --mode (off | best-effort | fail-closed)\n"
       "  Logs every request to SNAPSHOT.audit from now on, for whoever opens the snapshot. In\n"
       "  fail-closed mode a request runs only once its entry is durable, and none runs while the\n"
       "  log cannot be written. Takes the snapshot's password, also through strongholdd; accepts the\n"
       "  log as it stands (one deleted or cut back starts again from what is left).",
       {{"--mode"}, {}, {}},
       {0, nullptr, false, nullptr, true},
       audit_set},
      {"audit verify",
       "audit verify [--json]\n"
       "  Checks every entry's chain and seal, and that the log reaches the head the snapshot\n"
       "  recorded. Exits 4 at the first break (edited, dropped, reordered, truncated), naming it.",
       {{}, {}, {}},
       {},
       audit_verify},
      {"audit show",
       "audit show [--since TIME] [--json]\n"
       "  The verified entries, one per line: sequence, time, caller, kind, location, outcome,\n"
       "  status, rule, message digest. TIME: unix seconds or 2027-01-31T12:00:00Z.",
       {{"--since"}, {}, {}},
       {},
       audit_show},
  };
  return all;
}

}  // namespace stronghold::cli
