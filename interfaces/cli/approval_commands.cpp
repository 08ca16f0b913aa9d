// The approval commands (vault/approvals.hpp): `approver add|remove|list`, the approvers' keys;
// `approval set|list`, the rule and the requests that wait; `approve`, one approver's approval.
#include "registry_commands.hpp"
#include "stronghold/vault/approvals.hpp"

namespace stronghold::cli {
namespace {

using Layout = Output::Layout;

constexpr char kApprover[] = "approver";

Result<std::uint32_t> threshold_option(const Args& args) {
  const auto text = args.value("--threshold");
  if (!text)
    return Status(Errc::invalid_argument, "give --threshold M (0 turns approvals off)");
  return parse_number<std::uint32_t>(*text, "--threshold");
}

Status approval_set(const Args& args, const Inputs& inputs, Requests& requests, Output&) {
  actors::SetApprovalRule request;
  SH_ASSIGN_OR_RETURN(request.threshold, threshold_option(args));
  if (const auto kinds = args.value("--kinds"))
    for (const std::string& item : split_list(*kinds))
      SH_RETURN_IF_ERROR(add_kinds(item, request.kinds, "--kinds"));
  if (const auto deadline = args.value("--deadline")) {
    SH_ASSIGN_OR_RETURN(const std::uint64_t seconds, parse_duration(*deadline));
    if (seconds == 0 || seconds > vault::kMaxApprovalDeadline)
      return error(Errc::invalid_argument, "--deadline is 1s to 30d, not '{}'", *deadline);
    request.deadline_seconds = static_cast<std::uint32_t>(seconds);
  }
  SH_ASSIGN_OR_RETURN(request.password, requests.command_password(inputs));
  return requests.call(std::move(request)).status();
}

std::string joined(const std::vector<std::string>& names) {
  std::string text;
  for (const std::string& name : names)
    text.append(text.empty() ? "" : ",").append(name);
  return text;
}

Status approval_list(const Args&, const Inputs&, Requests& requests, Output& out) {
  SH_ASSIGN_OR_RETURN(const std::vector<actors::PendingRequest> pending, requests.call(actors::ListApprovals{}));
  for (const actors::PendingRequest& request : pending)
    out.result({{"id", request.id},
                {"kind", request.kind_name},
                {"caller", request.caller},
                {"location", request.location},
                {"digest", to_hex(request.digest)},
                {"deadline", std::to_string(request.deadline)},
                {"approvals", fmt::format("{}/{}", request.approvers.size(), request.threshold)},
                {"approvers", joined(request.approvers)}},
               Layout::record);
  return {};
}

// The digest of the pending request `id`, from approval.list.
Result<Bytes> pending_digest(Requests& requests, const std::string& id) {
  SH_ASSIGN_OR_RETURN(const std::vector<actors::PendingRequest> pending, requests.call(actors::ListApprovals{}));
  for (const actors::PendingRequest& request : pending)
    if (request.id == id)
      return request.digest;
  return error(Errc::not_found, "no request {} waits for approvals ('stronghold approval list' shows those that do)",
               id);
}

// --signature HEX, or with --key V/R the signature of the Ed25519 key there over the request's
// digest (signed in this snapshot).
Result<Bytes> approval_signature(const Args& args, Requests& requests, const std::string& id) {
  if (args.has("--key") == args.has("--signature"))
    return Status(Errc::invalid_argument, "give exactly one of --key VAULT/RECORD and --signature HEX");
  if (args.has("--signature"))
    return hex_option(args, "--signature");
  SH_ASSIGN_OR_RETURN(const vault::Location key, location_option(args, "--key"));
  SH_ASSIGN_OR_RETURN(const Bytes digest, pending_digest(requests, id));
  return requests.call(actors::Sign{key, vault::approval_message(digest)});
}

Status approve(const Args& args, const Inputs&, Requests& requests, Output&) {
  actors::Approve request;
  const auto id = args.value("--request");
  const auto approver = args.value("--approver");
  if (!id || !approver)
    return Status(Errc::invalid_argument, "give --request ID and --approver NAME");
  request.id = *id;
  request.approver = *approver;
  SH_ASSIGN_OR_RETURN(request.signature, approval_signature(args, requests, request.id));
  return requests.call(std::move(request)).status();
}

}  // namespace

const std::vector<Command>& approval_commands() {
  static const std::vector<Command> all = {
      {"approver add",
       "approver add NAME (--public-key HEX | --public-key-file F) [--replace]\n"
       "  Registers the Ed25519 public key with which approver NAME signs approvals. Takes the\n"
       "  snapshot's password, also through strongholdd. A registered NAME is replaced only with --replace.",
       {{"--public-key", "--public-key-file"}, {"--replace"}, {}},
       {0, nullptr, false, "--public-key-file", true},
       add_registered<actors::ApproverAdd, kApprover>,
       true},
      {"approver remove",
       "approver remove NAME\n  Unregisters the approver (takes the snapshot's password), unless fewer would\n"
       "  remain than the approval threshold.",
       {},
       {0, nullptr, false, nullptr, true},
       remove_registered<actors::ApproverRemove, kApprover>,
       true},
      {"approver list",
       "approver list [--json]\n  Names and public keys of the approvers.",
       {},
       {},
       list_registered<actors::ApproverList>},
      {"approval set",
       "approval set --threshold M [--kinds KIND,...] [--deadline DURATION]\n"
       "  Requests of the kinds named (default: key.delete, export, export.password, import and\n"
       "  import.password that replace, policy.set, passwd, audit.set) wait for M approvals, for at most\n"
       "  DURATION (default 1h). M 0 turns approvals off. Takes the snapshot's password. A request that\n"
       "  waits exits 8 and names its id.",
       {{"--threshold", "--kinds", "--deadline"}, {}, {}},
       {0, nullptr, false, nullptr, true},
       approval_set},
      {"approval list", "approval list [--json]\n  The requests that wait for approvals.", {}, {}, approval_list},
      {"approve",
       "approve --request ID (--key VAULT/RECORD | --signature HEX) --approver NAME\n"
       "  Approver NAME's approval of the waiting request ID: the Ed25519 signature of\n"
       "  \"stronghold approval v1\" || its digest, given, or made with the key at VAULT/RECORD.",
       {{"--request", "--key", "--signature", "--approver"}, {}, {}},
       {},
       approve},
  };
  return all;
}

}  // namespace stronghold::cli
