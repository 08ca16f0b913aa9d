// The vault actor's audit log (snapshot/audit_log.hpp): one entry per request, written by a
// detached actor in batches (group commit), and the readers behind audit.verify and audit.show
// (internal to the actor floor).
#pragma once

#include <algorithm>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "policy_book.hpp"
#include "stronghold/actors/engine.hpp"
#include "stronghold/runtime/guarded_key.hpp"
#include "stronghold/snapshot/audit_log.hpp"
#include "stronghold/vault/audit_settings.hpp"

namespace stronghold::actors {

using AuditBatch = std::shared_ptr<std::vector<snapshot::AuditEntry>>;
using AuditKey = std::shared_ptr<const runtime::GuardedKey>;

}  // namespace stronghold::actors

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(stronghold::actors::AuditBatch)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(stronghold::snapshot::AuditHead)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(stronghold::vault::AuditSettings)

namespace stronghold::actors {

// Owns the log's files: writes each batch it is sent and syncs it, then answers with the head of
// the chain; verifies and reads the log for audit.verify and audit.show in between, so a reader
// never sees a write half done. A batch that cannot be written fails; a later one opens the log
// again, which keeps what reached the file.
using audit_actor = caf::typed_actor<caf::replies_to<append_atom, AuditBatch>::with<snapshot::AuditHead>,
                                     caf::replies_to<VerifyAudit, vault::AuditSettings>::with<Reply>,
                                     caf::replies_to<ShowAudit>::with<Reply>>;

// Where the log is and how to reach it: fixed for the engine's life.
struct AuditPlace {
  snapshot::FileSystem* fs = nullptr;
  std::string path;  // empty: the engine has no log (then audit.set is refused)
  snapshot::AuditLogOptions options;
  std::string node;  // in a cluster, this node's name: its anchor's (vault/audit_settings.hpp)
};

// `anchor`: the head the snapshot recorded; a log that ends before it (deleted, cut back) is refused.
audit_actor::behavior_type audit_log_actor(audit_actor::pointer self, const AuditPlace& place, const AuditKey& key,
                                           const std::optional<vault::AuditAnchor>& anchor);

// The entries of one request: one per message it signs (a batch has many), else one; allowed,
// with the caller, the kind, the first location it names and each message's BLAKE2b-256.
std::vector<snapshot::AuditEntry> audit_entries(const PolicyFacts& facts, const vault::Caller& caller,
                                                std::int64_t now_ms);
// Marks them denied or failed by `status`, which names the rule.
void mark_outcome(std::vector<snapshot::AuditEntry>& entries, snapshot::AuditOutcome outcome, const Status& status);

// Entries waiting while a batch is written are bounded: a log that falls this far behind loses
// entries in best-effort mode (counted, and the count logged) and refuses requests in fail-closed
// mode. A batch holds at most kMaxAuditBatch entries, so one append stays well below a file's bound.
inline constexpr std::size_t kMaxBufferedAuditEntries = std::size_t{1} << 16;
inline constexpr std::size_t kMaxAuditBatch = 8192;

// The vault actor's side: entries wait while one batch is written, then go in the next.
class AuditTrail {
 public:
  // Runs once the entries are durable (ok), or with why they are not.
  using Durable = std::function<void(const Status&)>;

  vault::AuditMode mode() const noexcept { return mode_; }
  bool on() const noexcept { return mode_ != vault::AuditMode::off; }
  bool fail_closed() const noexcept { return mode_ == vault::AuditMode::fail_closed; }
  const AuditPlace& place() const noexcept { return place_; }
  void set_place(AuditPlace place) { place_ = std::move(place); }
  // Called after each batch written: the vault actor records the head in the snapshot when due.
  void set_on_written(std::function<void()> on_written) { on_written_ = std::move(on_written); }

  // Takes the mode from the settings (and the key, to open the log with, from the keystore). When
  // the key cannot be read, every entry fails with why.
  void configure(const vault::Keystore& keystore, const vault::AuditSettings& settings);
  // Settings that cannot be read: every entry fails with `why`, so fail-closed holds.
  void fail(Status why) {
    mode_ = vault::AuditMode::fail_closed;
    unusable_ = std::move(why);
  }
  // The actor that owns the log, started when needed; not_found when the log was never enabled.
  template <class Self>
  Result<audit_actor> log_actor(Self self);
  // Stops the actor that owns the log and forgets its head and anchor: the next one opens the log
  // as it stands (audit.set, whose password accepts a log deleted or cut back).
  void restart_log();

  // Appends the entries (callers check on() first: the entry of the request that turns the log
  // off is still written); `durable` runs when they are written.
  template <class Self>
  void record(Self self, std::vector<snapshot::AuditEntry> entries, Durable durable = {});
  // Runs `drained` once every entry recorded so far is written (or failed), before any entry
  // recorded later is sent: what `drained` then sends the log's actor sees exactly those.
  template <class Self>
  void drain(Self self, std::function<void()> drained);
  // The head to record in the snapshot, when it moved past the last one recorded.
  std::optional<vault::AuditAnchor> unanchored() const;
  void anchored(const vault::AuditAnchor& anchor);
  // Whether a head is waiting to be recorded and the last one was recorded at least a second ago.
  bool anchor_due() const;

 private:
  template <class Self>
  void send(Self self);
  template <class Self>
  void written(Self self, const Status& outcome, const snapshot::AuditHead& head);
  // The entry that says how many entries were lost since the last one written.
  snapshot::AuditEntry lost_entry() const;

  AuditPlace place_;
  vault::AuditMode mode_ = vault::AuditMode::off;
  AuditKey key_;
  Status unusable_;
  std::optional<audit_actor> writer_;  // none before it is needed
  std::vector<snapshot::AuditEntry> buffered_;
  bool writing_ = false;
  std::uint64_t recorded_ = 0;  // entries ever recorded
  std::uint64_t settled_ = 0;   // of them, written or failed
  std::uint64_t sending_ = 0;   // in the batch being written
  std::uint64_t lost_ = 0;      // dropped because the log fell behind, not yet logged as lost
  // Each runs once settled_ reaches its number, with the outcome of the batch that reached it.
  std::vector<std::pair<std::uint64_t, Durable>> waiting_;
  std::optional<snapshot::AuditHead> head_;   // the last one written
  std::optional<vault::AuditAnchor> anchor_;  // the last one recorded
  std::chrono::steady_clock::time_point anchored_at_{};
  std::function<void()> on_written_;
};

template <class Self>
Result<audit_actor> AuditTrail::log_actor(Self self) {
  if (!key_)
    return unusable_.ok()
               ? Status(Errc::not_found, "this snapshot has no audit log: `audit set --mode best-effort` starts one")
               : unusable_;
  if (!writer_) {
    writer_ = self->template spawn<caf::detached>(audit_log_actor, place_, key_, anchor_);
    // It goes with the vault actor: a restarted vault actor's writer never shares the file with it.
    self->attach_functor(
        [writer = *writer_](const caf::error&) { caf::anon_send_exit(writer, caf::exit_reason::kill); });
  }
  return *writer_;
}

template <class Self>
void AuditTrail::record(Self self, std::vector<snapshot::AuditEntry> entries, Durable durable) {
  if (!key_) {
    if (durable)
      durable(unusable_);
    return;
  }
  if (buffered_.size() + entries.size() > kMaxBufferedAuditEntries) {
    lost_ += entries.size();
    if (durable)
      durable(error(Errc::busy, "the audit log is {} entries behind", buffered_.size()));
    return;
  }
  recorded_ += entries.size();
  std::move(entries.begin(), entries.end(), std::back_inserter(buffered_));
  if (durable)
    waiting_.emplace_back(recorded_, std::move(durable));
  if (!writing_)
    send(self);
}

template <class Self>
void AuditTrail::drain(Self self, std::function<void()> drained) {
  if (settled_ == recorded_) {
    drained();
    return;
  }
  waiting_.emplace_back(recorded_, [drained = std::move(drained)](const Status&) { drained(); });
  if (!writing_)
    send(self);
}

template <class Self>
void AuditTrail::send(Self self) {
  const audit_actor writer = *log_actor(self);
  const std::size_t count = std::min(buffered_.size(), kMaxAuditBatch);
  auto batch = std::make_shared<std::vector<snapshot::AuditEntry>>();
  batch->reserve(count + 1);
  if (lost_ > 0)
    batch->push_back(lost_entry());
  std::move(buffered_.begin(), buffered_.begin() + static_cast<std::ptrdiff_t>(count), std::back_inserter(*batch));
  buffered_.erase(buffered_.begin(), buffered_.begin() + static_cast<std::ptrdiff_t>(count));
  sending_ = count;
  writing_ = true;
  self->request(writer, caf::infinite, append_atom::value, std::move(batch))
      .then(
          [self, this](const snapshot::AuditHead& head) {
            lost_ = 0;
            written(self, Status(), head);
          },
          [self, this](caf::error& failure) { written(self, to_status(failure), {}); });
}

template <class Self>
void AuditTrail::written(Self self, const Status& outcome, const snapshot::AuditHead& head) {
  writing_ = false;
  settled_ += std::exchange(sending_, 0);
  if (outcome.ok())
    head_ = head;
  // Those waiting for what is settled now go first: their messages reach the log's actor before
  // the next batch does.
  const auto still_waiting = std::stable_partition(waiting_.begin(), waiting_.end(),
                                                   [&](const auto& waiting) { return waiting.first <= settled_; });
  std::vector<std::pair<std::uint64_t, Durable>> ready(std::make_move_iterator(waiting_.begin()),
                                                       std::make_move_iterator(still_waiting));
  waiting_.erase(waiting_.begin(), still_waiting);
  for (auto& [target, durable] : ready)
    durable(outcome);
  if (!buffered_.empty())
    send(self);
  if (outcome.ok() && on_written_)
    on_written_();
}

}  // namespace stronghold::actors
