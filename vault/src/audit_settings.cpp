#include "stronghold/vault/audit_settings.hpp"

#include <sodium.h>

#include "companion_records.hpp"
#include "stronghold/runtime/byte_codec.hpp"
#include "stronghold/runtime/scratch.hpp"

namespace stronghold::vault {
namespace {

const std::string kAuditVault(
    "\x02"
    "audit",
    6);
constexpr std::size_t kAuditKeySize = 32;

Location audit_location(std::string_view record) { return Location{kAuditVault, std::string(record)}; }

// A node's name is of letters, digits, '-', '_' and '.': "anchor/a" is no other record's name.
std::string anchor_record(std::string_view node) {
  return node.empty() ? std::string("anchor") : "anchor/" + std::string(node);
}

Result<std::optional<Bytes>> read_optional(const Keystore& keystore, std::string_view record) {
  auto value = CompanionRecords::read(keystore, audit_location(record));
  if (value.status().code() == Errc::not_found)
    return std::optional<Bytes>();
  SH_RETURN_IF_ERROR(value.status());
  return std::optional<Bytes>(std::move(*value));
}

Result<AuditMode> decode_mode(ByteView encoded) {
  if (encoded.size() != 1 || encoded[0] > static_cast<std::uint8_t>(AuditMode::fail_closed))
    return Status(Errc::corrupted, "the stored audit mode does not decode");
  return static_cast<AuditMode>(encoded[0]);
}

Result<AuditAnchor> decode_anchor(ByteView encoded) {
  AuditAnchor anchor;
  ByteReader in(encoded);
  if (!in.u64(anchor.sequence) || !in.array(anchor.hash) || in.remaining() != 0)
    return Status(Errc::corrupted, "the stored audit anchor does not decode");
  return anchor;
}

bool has_record(const Keystore& keystore, std::string_view record) {
  return CompanionRecords::use(keystore, audit_location(record), [](ByteView) { return Status(); }).ok();
}

bool has_key(const Keystore& keystore) { return has_record(keystore, "key"); }

// Through a node the snapshot is a cluster's; set alone, it is taken out of the cluster's logging.
Status mark_cluster(Transaction& tx, std::string_view node) {
  if (node.empty())
    return CompanionRecords::remove(tx, audit_location("cluster"));
  if (has_record(tx.keystore(), "cluster"))
    return {};  // most anchors: nothing more to write
  const std::uint8_t marked = 1;
  return CompanionRecords::put(tx, audit_location("cluster"), ByteView(&marked, 1));
}

}  // namespace

std::string_view audit_mode_name(AuditMode mode) noexcept {
  switch (mode) {
    case AuditMode::off: return "off";
    case AuditMode::best_effort: return "best-effort";
    case AuditMode::fail_closed: return "fail-closed";
  }
  return "unknown";
}

Result<AuditMode> parse_audit_mode(std::string_view name) {
  for (const AuditMode mode : {AuditMode::off, AuditMode::best_effort, AuditMode::fail_closed})
    if (name == audit_mode_name(mode))
      return mode;
  return error(Errc::invalid_argument, "an audit mode is off, best-effort or fail-closed, not '{}'", name);
}

Result<AuditSettings> read_audit_settings(const Keystore& keystore, std::string_view node) {
  AuditSettings settings;
  if (!keystore.has_vault(kAuditVault))
    return settings;  // the common case: one lookup
  SH_ASSIGN_OR_RETURN(const std::optional<Bytes> mode, read_optional(keystore, "mode"));
  if (mode) {
    SH_ASSIGN_OR_RETURN(settings.mode, decode_mode(*mode));
  }
  SH_ASSIGN_OR_RETURN(const std::optional<Bytes> anchor, read_optional(keystore, anchor_record(node)));
  if (anchor) {
    SH_ASSIGN_OR_RETURN(settings.anchor, decode_anchor(*anchor));
  }
  SH_ASSIGN_OR_RETURN(const std::optional<Bytes> cluster, read_optional(keystore, "cluster"));
  settings.cluster = cluster.has_value();
  settings.has_key = has_key(keystore);
  if (settings.mode != AuditMode::off && !settings.has_key)
    return Status(Errc::corrupted, "the audit log is enabled but its key is missing");
  return settings;
}

Status use_audit_key(const Keystore& keystore, FunctionRef<Status(ByteView)> use) {
  return CompanionRecords::use(keystore, audit_location("key"), [&](ByteView key) {
    if (key.size() != kAuditKeySize)
      return Status(Errc::corrupted, "the stored audit key has the wrong size");
    return use(key);
  });
}

Status write_audit_mode(Transaction& tx, AuditMode mode, std::string_view node) {
  if (!has_key(tx.keystore())) {
    runtime::ScratchFrame frame;
    SH_ASSIGN_OR_RETURN(const std::span<std::uint8_t> key, frame.take(kAuditKeySize));
    randombytes_buf(key.data(), key.size());
    SH_RETURN_IF_ERROR(CompanionRecords::put(tx, audit_location("key"), key));
  }
  SH_RETURN_IF_ERROR(CompanionRecords::remove(tx, audit_location(anchor_record(node))));
  SH_RETURN_IF_ERROR(mark_cluster(tx, node));
  const std::uint8_t encoded = static_cast<std::uint8_t>(mode);
  return CompanionRecords::put(tx, audit_location("mode"), ByteView(&encoded, 1));
}

Status write_audit_anchor(Transaction& tx, const AuditAnchor& anchor, std::string_view node) {
  Bytes encoded;
  ByteWriter out(encoded);
  out.u64(anchor.sequence);
  out.raw(anchor.hash);
  // A mode set before the snapshot joined a cluster left no mark: a node's anchor makes it.
  if (!node.empty())
    SH_RETURN_IF_ERROR(mark_cluster(tx, node));
  return CompanionRecords::put(tx, audit_location(anchor_record(node)), encoded);
}

bool is_audit_vault(std::string_view path) noexcept { return path == kAuditVault; }

}  // namespace stronghold::vault
