#include "approval_desk.hpp"

#include <sodium.h>

#include <algorithm>

#include "stronghold/runtime/byte_codec.hpp"
#include "stronghold/runtime/hex.hpp"

namespace stronghold::actors {
namespace {

constexpr std::string_view kContext = "stronghold approval v1";

std::string random_id() {
  std::uint8_t id[16];
  randombytes_buf(id, sizeof id);
  return to_hex(ByteView(id, sizeof id));
}

Status waiting(const ApprovalDesk::Entry& entry, std::uint32_t threshold) {
  return error(Errc::pending_approval, "request {} waits for approvals ({} of {}); digest {}", entry.id,
               entry.approvers.size(), threshold, to_hex(entry.digest));
}

}  // namespace

std::vector<std::uint16_t> default_approval_kinds() {
  using enum RequestKind;
  std::vector<std::uint16_t> kinds;
  // key.wrap hands a key out (wrapped under a key the caller may know), as an export does.
  for (const RequestKind kind : {DeleteKey, ExportVaults, ExportWithPassword, ImportVaults, ImportWithPassword,
                                 ImportStronghold, SetPolicy, ChangePassword, SetAuditMode, WrapKey})
    kinds.push_back(static_cast<std::uint16_t>(kind));
  // Sorted, as a stored rule's kinds are: needs_approval searches them.
  std::sort(kinds.begin(), kinds.end());
  return kinds;
}

bool needs_approval(const vault::ApprovalRule& rule, RequestKind kind, bool replaces) {
  // An approval that needed approvals would wait for itself.
  if (!rule.on() || kind == RequestKind::Approve || !replaces)
    return false;
  return std::binary_search(rule.kinds.begin(), rule.kinds.end(), static_cast<std::uint16_t>(kind));
}

Result<Bytes> approval_digest(RequestKind kind, const vault::Caller& caller, const runtime::SecretBytes& encoding) {
  Bytes prefix;
  ByteWriter out(prefix);
  out.raw(as_bytes(kContext));
  out.u16(static_cast<std::uint16_t>(kind));
  out.text(caller.to_string());  // length-prefixed: no caller's name runs into the encoding
  Bytes digest(crypto_generichash_BYTES);
  crypto_generichash_state state;
  crypto_generichash_init(&state, nullptr, 0, digest.size());
  crypto_generichash_update(&state, prefix.data(), prefix.size());
  crypto_generichash_update(&state, encoding.data(), encoding.size());
  crypto_generichash_final(&state, digest.data(), digest.size());
  return digest;
}

std::vector<ApprovalDesk::Entry> ApprovalDesk::expire(std::int64_t now_s) {
  const auto live = std::stable_partition(entries_.begin(), entries_.end(),
                                          [&](const Entry& entry) { return entry.deadline >= now_s; });
  std::vector<Entry> expired(std::make_move_iterator(live), std::make_move_iterator(entries_.end()));
  entries_.erase(live, entries_.end());
  return expired;
}

Status ApprovalDesk::admit(Entry entry, std::uint32_t threshold, bool& created) {
  created = false;
  const auto found = std::find_if(entries_.begin(), entries_.end(),
                                  [&](const Entry& waiting) { return waiting.digest == entry.digest; });
  if (found != entries_.end()) {
    if (found->approvers.size() < threshold)
      return waiting(*found, threshold);
    entries_.erase(found);  // single use: the same request again waits again
    return {};
  }
  if (entries_.size() >= kMaxPendingApprovals)
    return error(Errc::busy, "{} requests wait for approvals already; try again later", kMaxPendingApprovals);
  entry.id = random_id();
  created = true;
  entries_.push_back(std::move(entry));
  return waiting(entries_.back(), threshold);
}

Result<ApprovalDesk::Entry*> ApprovalDesk::find(const std::string& id) {
  const auto found = std::find_if(entries_.begin(), entries_.end(), [&](const Entry& entry) { return entry.id == id; });
  if (found == entries_.end())
    return error(Errc::not_found, "no request {} waits for approvals (unknown, approved, or its deadline passed)", id);
  return &*found;
}

Status approve(ApprovalDesk::Entry& entry, const std::string& approver, ByteView public_key, ByteView signature) {
  if (signature.size() != crypto_sign_BYTES)
    return error(Errc::invalid_argument, "an approval signature is {} bytes, not {}", crypto_sign_BYTES,
                 signature.size());
  if (std::find(entry.approvers.begin(), entry.approvers.end(), approver) != entry.approvers.end())
    return error(Errc::invalid_argument, "approver {} approved request {} already", approver, entry.id);
  const Bytes message = vault::approval_message(entry.digest);
  if (crypto_sign_verify_detached(signature.data(), message.data(), message.size(), public_key.data()) != 0)
    return error(Errc::denied, "the signature of approver {} does not verify over the digest of request {}", approver,
                 entry.id);
  entry.approvers.push_back(approver);
  return {};
}

PendingRequest pending_request(const ApprovalDesk::Entry& entry, std::uint32_t threshold) {
  return {entry.id,
          static_cast<std::uint16_t>(entry.kind),
          std::string(request_name(entry.kind)),
          entry.caller,
          entry.location,
          entry.digest,
          entry.deadline,
          entry.approvers,
          threshold};
}

}  // namespace stronghold::actors
