// The vault actor's approvals (vault/approvals.hpp): which requests need them, their canonical
// digest, and the requests that wait for them (internal to the actor floor).
//
// Pending requests live in memory only: a restart forgets them, and their approvers approve the
// re-sent request again. Persisting them would journal a write per approval for state that is
// worth little after its deadline (an hour by default), and a forgotten request fails safe: it
// waits again.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "stronghold/actors/requests.hpp"
#include "stronghold/actors/wire.hpp"
#include "stronghold/vault/approvals.hpp"
#include "stronghold/vault/policy.hpp"

namespace stronghold::actors {

inline constexpr std::size_t kMaxPendingApprovals = 1024;

// The kinds an enabled rule with no kinds of its own holds back.
std::vector<std::uint16_t> default_approval_kinds();

// Whether `kind` is one the rule holds back: never approval.approve itself, and an import only
// when it replaces records.
bool needs_approval(const vault::ApprovalRule& rule, RequestKind kind, bool replaces);

// BLAKE2b-256("stronghold approval v1" || kind || caller || the request's wire encoding with its
// secrets left out): equal for the identical request from the same caller, and no test of a
// guessed password (docs/wire-protocol.md).
Result<Bytes> approval_digest(RequestKind kind, const vault::Caller& caller, const runtime::SecretBytes& encoding);

template <class T>
void forget_if_secret(T& field) {
  if constexpr (std::is_same_v<T, Secret>)
    field = Secret{};
}

// The request's wire encoding with every Secret field emptied.
template <EngineRequest R>
Result<runtime::SecretBytes> encoding_without_secrets(R request) {
  std::apply([](auto&... field) { (forget_if_secret(field), ...); }, request.fields());
  return wire::encode_request(request);
}

// Whether a request replaces what it writes (an import with merge=replace).
template <EngineRequest R>
bool replaces(const R& request) {
  if constexpr (requires { request.merge; })
    return request.merge == vault::Overwrite::replace;
  else
    return true;
}

// The requests that wait for approvals, oldest first.
class ApprovalDesk {
 public:
  struct Entry {
    std::string id;  // 16 random bytes, hex
    Bytes digest;
    RequestKind kind{};
    std::string caller;
    std::string location;
    std::int64_t deadline = 0;  // unix seconds
    std::vector<std::string> approvers;
  };

  // Drops the requests whose deadline passed and answers them (for the audit log). A request
  // lives through its deadline's second: whole seconds would otherwise let one made late in a
  // second expire a moment later, short of the N seconds the rule gives.
  std::vector<Entry> expire(std::int64_t now_s);
  // With `threshold` approvals on file for `entry.digest`: consumes them and answers ok (the
  // request runs). Otherwise pending_approval naming the (new or waiting) request; busy when
  // kMaxPendingApprovals wait already. `created` tells whether a new one started.
  Status admit(Entry entry, std::uint32_t threshold, bool& created);
  // The waiting request `id`; not_found when unknown or expired.
  Result<Entry*> find(const std::string& id);
  const std::vector<Entry>& entries() const noexcept { return entries_; }

 private:
  std::vector<Entry> entries_;
};

// Adds `approver`'s approval to `entry` once `signature` verifies under `public_key`: denied when
// it does not, invalid_argument for a second approval by the same approver or a signature that
// is not 64 bytes.
Status approve(ApprovalDesk::Entry& entry, const std::string& approver, ByteView public_key, ByteView signature);
PendingRequest pending_request(const ApprovalDesk::Entry& entry, std::uint32_t threshold);

}  // namespace stronghold::actors
