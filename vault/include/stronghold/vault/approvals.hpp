// Approvals (M of N): the approvers, Ed25519 public keys by name in a KeyRegistry
// (key_registry.hpp), and the rule that says how many of them (the threshold) must approve which
// request kinds. Both are records of reserved vaults: never listed, never exported (an import
// must not choose who approves in the importing snapshot), re-keyed by a password change.
//
// The vault floor only keeps them; the vault actor applies them (actors/src/approval_desk.hpp).
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "stronghold/vault/key_registry.hpp"

namespace stronghold::vault {

inline constexpr std::size_t kMaxApprovers = 256;
inline constexpr std::uint32_t kDefaultApprovalDeadline = 3600;        // seconds
inline constexpr std::uint32_t kMaxApprovalDeadline = 30 * 24 * 3600;  // a month
inline constexpr std::size_t kMaxApprovalKinds = 256;

const KeyRegistry& approver_registry();
// Whether `path` is the approvers' vault or the rule's: the keystore neither lists nor exports them.
bool is_approval_vault(std::string_view path) noexcept;

struct ApprovalRule {
  std::uint32_t threshold = 0;                                // approvals a request needs; 0: approvals are off
  std::vector<std::uint16_t> kinds;                           // the request kinds that need them, sorted
  std::uint32_t deadline_seconds = kDefaultApprovalDeadline;  // a pending request's life
  bool on() const noexcept { return threshold > 0; }
  friend bool operator==(const ApprovalRule&, const ApprovalRule&) = default;
};

// The rule (off when none was set); corrupted when its record is damaged.
Result<ApprovalRule> read_approval_rule(const Keystore& keystore);
// invalid_argument for a threshold above the approvers registered, a deadline of 0 or above
// kMaxApprovalDeadline, or more than kMaxApprovalKinds kinds. The answer is the rule as stored
// (its kinds sorted, each once).
Result<ApprovalRule> write_approval_rule(Transaction& tx, ApprovalRule rule);
// What an approver signs to approve the request of `digest`: "stronghold approval v1" || digest.
Bytes approval_message(ByteView digest);
// Removes an approver; invalid_argument when fewer would remain than the rule's threshold.
Status remove_approver(Transaction& tx, const std::string& name);

}  // namespace stronghold::vault
