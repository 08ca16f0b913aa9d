#include "audit_trail.hpp"

#include <sodium.h>

#include <chrono>

#include <fmt/format.h>

namespace stronghold::actors {
namespace {

// At most `max` bytes of `text`, cut at a character boundary (a rule names locations, which may
// hold any UTF-8).
std::string bounded(std::string_view text, std::size_t max) {
  if (text.size() <= max)
    return std::string(text);
  std::size_t cut = max;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xc0) == 0x80)
    --cut;
  return std::string(text.substr(0, cut));
}

std::string location_of(const PolicyFacts& facts) {
  if (facts.targets.empty())
    return {};
  const PolicedTarget& first = facts.targets.front();
  return first.record.empty() ? first.vault : first.vault + "/" + first.record;
}

std::array<std::uint8_t, 32> digest_of(ByteView message) {
  std::array<std::uint8_t, 32> digest{};
  crypto_generichash(digest.data(), digest.size(), message.data(), message.size(), nullptr, 0);
  return digest;
}

std::string describe(const snapshot::AuditBreak& found) {
  return fmt::format("{} at offset {}, entry {}: {}", found.file, found.offset, found.sequence, found.what);
}

AuditRecord to_record(const snapshot::AuditEntry& entry) {
  return AuditRecord{entry.sequence, entry.time_ms,  entry.caller,
                     entry.kind,     entry.location, static_cast<std::uint8_t>(entry.outcome),
                     entry.status,   entry.rule,     Bytes(entry.digest.begin(), entry.digest.end())};
}

Result<AuditReport> verify(const AuditPlace& place, ByteView key, const vault::AuditSettings& settings) {
  std::optional<snapshot::AuditHead> anchor;
  if (settings.anchor)
    anchor = snapshot::AuditHead{settings.anchor->sequence, settings.anchor->hash};
  AuditReport report;
  report.mode = settings.mode;
  auto checked = snapshot::verify_audit_log(*place.fs, place.path, key, anchor);
  if (checked.status().code() == Errc::not_found && anchor && anchor->sequence > 0) {
    report.anchor_sequence = anchor->sequence;
    report.first_break = fmt::format("{}: missing, though the snapshot recorded its entry {}: the log was deleted",
                                     place.path, anchor->sequence);
    return report;
  }
  SH_ASSIGN_OR_RETURN(const snapshot::AuditVerification verified, std::move(checked));
  report.entries = verified.entries;
  report.first_sequence = verified.first_sequence;
  report.head_sequence = verified.head.sequence;
  report.anchor_sequence = anchor ? anchor->sequence : 0;
  for (const snapshot::AuditRecovery& recovery : verified.recoveries)
    report.recovered += recovery.entries;
  if (verified.first_break)
    report.first_break = describe(*verified.first_break);
  return report;
}

Result<AuditPage> show(const AuditPlace& place, ByteView key, const ShowAudit& request) {
  const std::uint32_t limit = std::clamp<std::uint32_t>(request.limit, 1, kMaxAuditPage);
  AuditPage page;
  SH_ASSIGN_OR_RETURN(
      const snapshot::AuditVerification verified,
      snapshot::read_audit_log(*place.fs, place.path, key, request.since_ms, [&](const snapshot::AuditEntry& entry) {
        if (entry.sequence <= request.after)
          return;
        if (page.entries.size() == limit)
          page.more = true;
        else
          page.entries.push_back(to_record(entry));
      }));
  if (verified.first_break)
    page.first_break = describe(*verified.first_break);
  return page;
}

}  // namespace

namespace {

// The log as the actor that owns it holds it: opened at the first write (a log that cannot be
// opened can still be verified), and after a failure opened again at most once a second, so a
// damaged log does not cost a full read of its file per batch.
struct OpenLog {
  std::optional<vault::AuditAnchor> anchor;
  std::unique_ptr<snapshot::AuditLog> log;
  Status failure;
  std::chrono::steady_clock::time_point retry_after;

  Status append(const AuditPlace& place, const AuditKey& key, std::vector<snapshot::AuditEntry>& entries) {
    const auto now = std::chrono::steady_clock::now();
    if (!log && !failure.ok() && now < retry_after)
      return failure;
    Status written = write(place, key, entries);
    if (!written.ok()) {
      log.reset();  // broken (audit_log.hpp): opening it again keeps what reached the file
      failure = error(written.code(), "the audit log cannot be written: {}", written.message());
      retry_after = now + std::chrono::seconds(1);
      return failure;
    }
    failure = Status();
    return written;
  }

 private:
  Status write(const AuditPlace& place, const AuditKey& key, std::vector<snapshot::AuditEntry>& entries) {
    if (!log) {
      SH_ASSIGN_OR_RETURN(auto opened, snapshot::AuditLog::open(*place.fs, place.path, key->bytes(), place.options));
      // Appending to a log that ends before the snapshot's anchor would hide that it was deleted
      // or cut back: the next anchor would cover the new chain.
      if (anchor && opened->head().sequence < anchor->sequence)
        return error(Errc::corrupted,
                     "it ends at entry {}, but the snapshot recorded entry {}: it was deleted or cut back (`audit "
                     "verify` names the break; `audit set` with the password starts the log again from what is left)",
                     opened->head().sequence, anchor->sequence);
      log = std::move(opened);
    }
    SH_RETURN_IF_ERROR(log->append(entries));
    return log->flush(true);
  }
};

}  // namespace

audit_actor::behavior_type audit_log_actor(audit_actor::pointer, const AuditPlace& place, const AuditKey& key,
                                           const std::optional<vault::AuditAnchor>& anchor) {
  auto open = std::make_shared<OpenLog>();
  open->anchor = anchor;
  return {
      [place, key, open](append_atom, AuditBatch& batch) -> caf::result<snapshot::AuditHead> {
        if (Status written = open->append(place, key, *batch); !written.ok())
          return to_error(written);
        return open->log->head();
      },
      [place, key](const VerifyAudit&, const vault::AuditSettings& settings) -> caf::result<Reply> {
        return reply<VerifyAudit>(verify(place, key->bytes(), settings));
      },
      [place, key](const ShowAudit& request) -> caf::result<Reply> {
        return reply<ShowAudit>(show(place, key->bytes(), request));
      },
  };
}

std::vector<snapshot::AuditEntry> audit_entries(const PolicyFacts& facts, const vault::Caller& caller,
                                                std::int64_t now_ms) {
  snapshot::AuditEntry entry;
  entry.time_ms = now_ms;
  entry.caller = bounded(caller.to_string(), snapshot::kAuditMaxCaller);
  entry.kind = static_cast<std::uint16_t>(facts.kind);
  entry.location = bounded(location_of(facts), snapshot::kAuditMaxLocation);
  std::vector<snapshot::AuditEntry> entries;
  entries.reserve(std::max<std::size_t>(1, facts.messages.size()));
  for (const ByteView message : facts.messages) {
    entries.push_back(entry);
    entries.back().digest = digest_of(message);
  }
  if (entries.empty())
    entries.push_back(std::move(entry));
  return entries;
}

void mark_outcome(std::vector<snapshot::AuditEntry>& entries, snapshot::AuditOutcome outcome, const Status& status) {
  for (snapshot::AuditEntry& entry : entries) {
    entry.outcome = outcome;
    entry.status = static_cast<std::uint8_t>(status.code());
    entry.rule = bounded(status.message(), snapshot::kAuditMaxRule);
  }
}

void AuditTrail::configure(const vault::Keystore& keystore, const vault::AuditSettings& settings) {
  mode_ = settings.mode;
  unusable_ = Status();
  anchor_ = settings.anchor;
  if (!settings.has_key || key_)
    return;
  if (place_.path.empty())
    unusable_ = Status(Errc::unsupported, "the audit log is on, but this engine has no place for it");
  else
    unusable_ = vault::use_audit_key(keystore, [&](ByteView bytes) -> Status {
      SH_ASSIGN_OR_RETURN(runtime::GuardedKey guarded, runtime::GuardedKey::from(bytes));
      key_ = std::make_shared<const runtime::GuardedKey>(std::move(guarded));
      return {};
    });
}

std::optional<vault::AuditAnchor> AuditTrail::unanchored() const {
  if (!head_ || (anchor_ && head_->sequence <= anchor_->sequence))
    return std::nullopt;  // an anchor only moves forward
  return vault::AuditAnchor{head_->sequence, head_->hash};
}

void AuditTrail::anchored(const vault::AuditAnchor& anchor) {
  anchor_ = anchor;
  anchored_at_ = std::chrono::steady_clock::now();
}

bool AuditTrail::anchor_due() const {
  return unanchored() && std::chrono::steady_clock::now() - anchored_at_ >= std::chrono::seconds(1);
}

void AuditTrail::restart_log() {
  if (writer_)
    caf::anon_send_exit(*writer_, caf::exit_reason::user_shutdown);
  writer_.reset();
  head_.reset();
  anchor_.reset();
}

snapshot::AuditEntry AuditTrail::lost_entry() const {
  snapshot::AuditEntry entry;
  entry.time_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count();
  entry.caller = "engine";
  entry.outcome = snapshot::AuditOutcome::failed;
  entry.status = static_cast<std::uint8_t>(Errc::resource_exhausted);
  entry.rule = fmt::format("{} entries were lost: the log fell {} entries behind", lost_, kMaxBufferedAuditEntries);
  return entry;
}

}  // namespace stronghold::actors
