// The audit log's settings (snapshot/audit_log.hpp), kept in the snapshot so that no restart
// without a flag turns the log off: its mode, the key that seals its chain, and the head last
// recorded (the anchor, which exposes a log cut back or deleted).
//
// They are records of a vault no user location can name: sealed and journaled like every record,
// re-keyed by a password change, never listed, and left out of exports (a log belongs beside its
// own snapshot).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

#include "stronghold/vault/function_ref.hpp"
#include "stronghold/vault/keystore.hpp"

namespace stronghold::vault {

enum class AuditMode : std::uint8_t {
  off = 0,
  best_effort = 1,  // entries written with the request's group commit; the request does not wait
  fail_closed = 2,  // a request runs only once its entry is durable; none runs while the log cannot be written
};

// "off", "best-effort", "fail-closed"; parse_audit_mode reads them back (invalid_argument else).
std::string_view audit_mode_name(AuditMode mode) noexcept;
Result<AuditMode> parse_audit_mode(std::string_view name);

struct AuditAnchor {
  std::uint64_t sequence = 0;
  std::array<std::uint8_t, 32> hash{};
  friend bool operator==(const AuditAnchor&, const AuditAnchor&) = default;
};

struct AuditSettings {
  AuditMode mode = AuditMode::off;
  bool has_key = false;               // the log was enabled once: it can be verified and shown
  std::optional<AuditAnchor> anchor;  // none before the first one is recorded
  bool cluster = false;               // set through a node of a cluster: each node keeps its log
};

// `node`: in a cluster, this node's name (each node keeps a log of its own, and the state one
// anchor per node); empty for an engine alone. corrupted when a record is damaged.
Result<AuditSettings> read_audit_settings(const Keystore& keystore, std::string_view node = {});
// Calls `use` with the 32-byte key that seals the log's chain (plaintext only for the call);
// not_found when the log was never enabled.
Status use_audit_key(const Keystore& keystore, FunctionRef<Status(ByteView)> use);
// Sets the mode and drops `node`'s anchor (whoever sets the mode accepts its log as it stands;
// other nodes' logs keep theirs); the first time, also makes the key (random, in guarded memory).
// Through a node (`node` not empty), also marks the snapshot as a cluster's (AuditSettings::cluster);
// set alone, it removes the mark: the snapshot's log is then its own again.
Status write_audit_mode(Transaction& tx, AuditMode mode, std::string_view node = {});
// A node's anchor marks the snapshot as a cluster's too (a mode set before it joined left none).
Status write_audit_anchor(Transaction& tx, const AuditAnchor& anchor, std::string_view node = {});
// The vault that holds them: hidden from listings and exports.
bool is_audit_vault(std::string_view path) noexcept;

}  // namespace stronghold::vault
