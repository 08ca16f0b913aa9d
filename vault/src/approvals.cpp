#include "stronghold/vault/approvals.hpp"

#include <algorithm>

#include "companion_records.hpp"
#include "stronghold/runtime/byte_codec.hpp"

namespace stronghold::vault {
namespace {

// Octal escapes: "\x02a..." would read the hex digit a into the escape.
const std::string kRuleVault("\002approval");
const Location kRuleLocation{kRuleVault, "rule"};

Bytes encode_rule(const ApprovalRule& rule) {
  Bytes encoded;
  ByteWriter out(encoded);
  out.u32(rule.threshold);
  out.u32(rule.deadline_seconds);
  out.u16(static_cast<std::uint16_t>(rule.kinds.size()));
  for (const std::uint16_t kind : rule.kinds)
    out.u16(kind);
  return encoded;
}

Result<ApprovalRule> decode_rule(ByteView encoded) {
  ApprovalRule rule;
  ByteReader in(encoded);
  std::uint16_t count = 0;
  bool ok = in.u32(rule.threshold) && in.u32(rule.deadline_seconds) && in.u16(count);
  for (std::uint16_t i = 0; ok && i < count; ++i)
    ok = in.u16(rule.kinds.emplace_back());
  if (!ok || in.remaining() != 0)
    return Status(Errc::corrupted, "the stored approval rule does not decode");
  return rule;
}

}  // namespace

const KeyRegistry& approver_registry() {
  static const KeyRegistry registry("\002approvers", "approver", kMaxApprovers);
  return registry;
}

bool is_approval_vault(std::string_view path) noexcept { return path == kRuleVault || approver_registry().holds(path); }

Result<ApprovalRule> read_approval_rule(const Keystore& keystore) {
  if (!keystore.has_vault(kRuleVault))
    return ApprovalRule{};  // the common case: one lookup
  auto encoded = CompanionRecords::read(keystore, kRuleLocation);
  if (encoded.status().code() == Errc::not_found)
    return ApprovalRule{};
  SH_RETURN_IF_ERROR(encoded.status());
  return decode_rule(*encoded);
}

Result<ApprovalRule> write_approval_rule(Transaction& tx, ApprovalRule rule) {
  const std::size_t approvers = approver_registry().count(tx.keystore());
  if (rule.threshold > approvers)
    return error(Errc::invalid_argument, "a threshold of {} needs at least {} approvers; {} are registered",
                 rule.threshold, rule.threshold, approvers);
  if (rule.deadline_seconds == 0 || rule.deadline_seconds > kMaxApprovalDeadline)
    return error(Errc::invalid_argument, "an approval deadline is 1 to {} seconds", kMaxApprovalDeadline);
  if (rule.kinds.size() > kMaxApprovalKinds)
    return error(Errc::invalid_argument, "an approval rule names at most {} kinds", kMaxApprovalKinds);
  std::sort(rule.kinds.begin(), rule.kinds.end());
  rule.kinds.erase(std::unique(rule.kinds.begin(), rule.kinds.end()), rule.kinds.end());
  SH_RETURN_IF_ERROR(CompanionRecords::put(tx, kRuleLocation, encode_rule(rule)));
  return rule;
}

Bytes approval_message(ByteView digest) {
  constexpr std::string_view kContext = "stronghold approval v1";
  // Sized once: growing it trips GCC 12's -Wstringop-overflow at -O3.
  Bytes message(kContext.size() + digest.size());
  std::copy(kContext.begin(), kContext.end(), message.begin());
  std::copy(digest.begin(), digest.end(), message.begin() + static_cast<std::ptrdiff_t>(kContext.size()));
  return message;
}

Status remove_approver(Transaction& tx, const std::string& name) {
  SH_ASSIGN_OR_RETURN(const ApprovalRule rule, read_approval_rule(tx.keystore()));
  SH_RETURN_IF_ERROR(approver_registry().read(tx.keystore(), name).status());
  if (approver_registry().count(tx.keystore()) <= rule.threshold)
    return error(Errc::invalid_argument, "removing {} would leave fewer approvers than the threshold of {}", name,
                 rule.threshold);
  return approver_registry().remove(tx, name);
}

}  // namespace stronghold::vault
