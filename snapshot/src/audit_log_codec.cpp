#include "audit_log_codec.hpp"

#include <cstring>

#include <sodium.h>

#include "stronghold/runtime/byte_codec.hpp"

namespace stronghold::snapshot::audit {
namespace {

constexpr std::string_view kHeaderLabel = "stronghold.audit.header.v1";
constexpr std::string_view kSealLabel = "stronghold.audit.seal.v1";
constexpr std::string_view kRecoveryLabel = "stronghold.audit.recovery.v1";
constexpr std::size_t kHeaderMacOffset = 50;
constexpr std::size_t kHeaderChecksumOffset = kHeaderMacOffset + 32;

// Keyed BLAKE2b-256 of `label` || `data`; the labels keep the three kinds of MAC apart.
Hash mac(ByteView key, std::string_view label, ByteView data) {
  crypto_generichash_state state;
  crypto_generichash_init(&state, key.data(), key.size(), 32);
  crypto_generichash_update(&state, as_bytes(label).data(), label.size());
  crypto_generichash_update(&state, data.data(), data.size());
  Hash out;
  crypto_generichash_final(&state, out.data(), out.size());
  sodium_memzero(&state, sizeof state);  // it holds the key's compression
  return out;
}

void append_record(RecordKind kind, ByteView body, Bytes& out) {
  ByteWriter writer(out);
  writer.u8(kind);
  writer.u16(static_cast<std::uint16_t>(body.size()));
  writer.raw(body);
}

}  // namespace

Hash chain_next(const Hash& previous, ByteView entry) {
  crypto_generichash_state state;
  crypto_generichash_init(&state, nullptr, 0, 32);
  crypto_generichash_update(&state, previous.data(), previous.size());
  crypto_generichash_update(&state, entry.data(), entry.size());
  Hash out;
  crypto_generichash_final(&state, out.data(), out.size());
  return out;
}

bool matches(const Hash& expected, ByteView stored) {
  return stored.size() <= expected.size() && sodium_memcmp(expected.data(), stored.data(), stored.size()) == 0;
}

Hash header_mac(ByteView key, ByteView header) { return mac(key, kHeaderLabel, header.first(kHeaderMacOffset)); }

Hash seal_mac(ByteView key, ByteView sequence_and_hash) { return mac(key, kSealLabel, sequence_and_hash); }

Hash recovery_mac(ByteView key, ByteView body_before_mac) { return mac(key, kRecoveryLabel, body_before_mac); }

Hash header_checksum(ByteView header) {
  Hash out;
  crypto_generichash(out.data(), out.size(), header.data(), kHeaderChecksumOffset, nullptr, 0);
  return out;
}

Status check_entry(const AuditEntry& entry) {
  const auto outcome = static_cast<std::uint8_t>(entry.outcome);
  if (entry.caller.size() > kAuditMaxCaller || entry.location.size() > kAuditMaxLocation ||
      entry.rule.size() > kAuditMaxRule || outcome < 1 || outcome > 6)
    return error(Errc::invalid_argument,
                 "an audit entry has a field over its bound (caller {} of {} bytes, location {} of {}, rule {} of {}) "
                 "or an unknown outcome ({})",
                 entry.caller.size(), kAuditMaxCaller, entry.location.size(), kAuditMaxLocation, entry.rule.size(),
                 kAuditMaxRule, outcome);
  return {};
}

Bytes encode_header(ByteView key, const AuditHead& continues) {
  Bytes bytes;
  bytes.reserve(kHeaderSize);
  ByteWriter out(bytes);
  out.raw(kMagic);
  out.u16(kVersion);
  out.u64(continues.sequence);
  out.raw(continues.hash);
  out.raw(header_mac(key, bytes));
  out.raw(ByteView(header_checksum(bytes)).first(kCheckSize));
  return bytes;
}

void append_entry_record(const AuditEntry& entry, AuditHead& chain, Bytes& out) {
  Bytes body;
  ByteWriter writer(body);
  writer.u64(chain.sequence + 1);
  writer.u64(static_cast<std::uint64_t>(entry.time_ms));
  writer.u16(entry.kind);
  writer.u8(static_cast<std::uint8_t>(entry.outcome));
  writer.u8(entry.status);
  writer.raw(entry.digest);
  writer.text(entry.caller);
  writer.text(entry.location);
  writer.text(entry.rule);
  chain = {chain.sequence + 1, chain_next(chain.hash, body)};
  writer.raw(ByteView(chain.hash).first(kCheckSize));
  append_record(kEntryRecord, body, out);
}

void append_seal_record(ByteView key, const AuditHead& head, Bytes& out) {
  Bytes body;
  ByteWriter writer(body);
  writer.u64(head.sequence);
  writer.raw(head.hash);
  writer.raw(seal_mac(key, body));
  append_record(kSealRecord, body, out);
}

void append_recovery_record(ByteView key, const Recovery& recovery, Bytes& out) {
  Bytes body;
  ByteWriter writer(body);
  writer.u64(recovery.head.sequence);
  writer.raw(recovery.head.hash);
  writer.u64(recovery.entries);
  writer.u64(recovery.zero_bytes);
  writer.bytes(recovery.torn);
  writer.raw(recovery_mac(key, body));
  append_record(kRecoveryRecord, body, out);
}

bool parse_entry(ByteView body, AuditEntry& entry, bool with_text) {
  ByteReader in(body);
  std::uint64_t time = 0;
  std::uint8_t outcome = 0;
  ByteView caller;
  ByteView location;
  ByteView rule;
  auto text = [&in](ByteView& view, std::size_t max) {
    std::uint64_t size = 0;
    return in.varint(size) && size <= max && in.raw(static_cast<std::size_t>(size), view);
  };
  const bool read = in.u64(entry.sequence) && in.u64(time) && in.u16(entry.kind) && in.u8(outcome) &&
                    in.u8(entry.status) && in.array(entry.digest) && text(caller, kAuditMaxCaller) &&
                    text(location, kAuditMaxLocation) && text(rule, kAuditMaxRule);
  if (!read || in.remaining() != 0 || outcome < 1 || outcome > 6)
    return false;
  entry.time_ms = static_cast<std::int64_t>(time);
  entry.outcome = static_cast<AuditOutcome>(outcome);
  if (with_text) {
    auto assign = [](std::string& to, ByteView from) { to.assign(from.begin(), from.end()); };
    assign(entry.caller, caller);
    assign(entry.location, location);
    assign(entry.rule, rule);
  }
  return true;
}

}  // namespace stronghold::snapshot::audit
