// The vault actor's audit log (snapshot/audit_log.hpp): one entry per request, written by a
// detached actor in batches (group commit), and the readers behind audit.verify and audit.show
// (internal to the actor floor).
#pragma once

#include <algorithm>
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
};

audit_actor::behavior_type audit_log_actor(audit_actor::pointer self, const AuditPlace& place, const AuditKey& key);

// The entries of one request: one per message it signs (a batch has many), else one; allowed,
// with the caller, the kind, the first location it names and each message's BLAKE2b-256.
std::vector<snapshot::AuditEntry> audit_entries(const PolicyFacts& facts, const vault::Caller& caller,
                                                std::int64_t now_ms);
// Marks them denied or failed by `status`, which names the rule.
void mark_outcome(std::vector<snapshot::AuditEntry>& entries, snapshot::AuditOutcome outcome, const Status& status);

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

  // Appends the entries (callers check on() first: the entry of the request that turns the log
  // off is still written); `durable` runs when they are written.
  template <class Self>
  void record(Self self, std::vector<snapshot::AuditEntry> entries, Durable durable = {});
  // Runs `drained` once every entry recorded so far is written (or failed), before any entry
  // recorded later is sent: what `drained` then sends the log's actor sees exactly those.
  template <class Self>
  void drain(Self self, std::function<void()> drained);
  // The head to record in the snapshot, when it moved since the last one recorded.
  std::optional<vault::AuditAnchor> unanchored() const;
  void anchored(const vault::AuditAnchor& anchor) { anchor_ = anchor; }

 private:
  template <class Self>
  void send(Self self);
  template <class Self>
  void written(Self self, const Status& outcome, const snapshot::AuditHead& head);

  AuditPlace place_;
  vault::AuditMode mode_ = vault::AuditMode::off;
  AuditKey key_;
  Status unusable_;
  std::optional<audit_actor> writer_;  // none before it is needed
  std::vector<snapshot::AuditEntry> buffered_;
  std::vector<Durable> buffered_waiters_;
  std::vector<Durable> in_flight_;
  bool writing_ = false;
  std::uint64_t recorded_ = 0;                                            // entries ever recorded
  std::uint64_t settled_ = 0;                                             // of them, written or failed
  std::uint64_t sending_ = 0;                                             // in the batch being written
  std::vector<std::pair<std::uint64_t, std::function<void()>>> drained_;  // waiting for settled_ to reach the first
  std::optional<snapshot::AuditHead> head_;                               // the last one written
  std::optional<vault::AuditAnchor> anchor_;                              // the last one recorded
};

template <class Self>
Result<audit_actor> AuditTrail::log_actor(Self self) {
  if (!key_)
    return unusable_.ok()
               ? Status(Errc::not_found, "this snapshot has no audit log: `audit set best-effort` starts one")
               : unusable_;
  if (!writer_)
    writer_ = self->template spawn<caf::detached>(audit_log_actor, place_, key_);
  return *writer_;
}

template <class Self>
void AuditTrail::record(Self self, std::vector<snapshot::AuditEntry> entries, Durable durable) {
  if (!key_) {
    if (durable)
      durable(unusable_);
    return;
  }
  recorded_ += entries.size();
  std::move(entries.begin(), entries.end(), std::back_inserter(buffered_));
  if (durable)
    buffered_waiters_.push_back(std::move(durable));
  if (!writing_)
    send(self);
}

template <class Self>
void AuditTrail::drain(Self self, std::function<void()> drained) {
  if (settled_ == recorded_) {
    drained();
    return;
  }
  drained_.emplace_back(recorded_, std::move(drained));
  if (!writing_)
    send(self);
}

template <class Self>
void AuditTrail::send(Self self) {
  const audit_actor writer = *log_actor(self);
  auto batch = std::make_shared<std::vector<snapshot::AuditEntry>>(std::move(buffered_));
  buffered_.clear();
  sending_ = batch->size();
  in_flight_ = std::move(buffered_waiters_);
  buffered_waiters_.clear();
  writing_ = true;
  self->request(writer, caf::infinite, append_atom::value, std::move(batch))
      .then([self, this](const snapshot::AuditHead& head) { written(self, Status(), head); },
            [self, this](caf::error& failure) { written(self, to_status(failure), {}); });
}

template <class Self>
void AuditTrail::written(Self self, const Status& outcome, const snapshot::AuditHead& head) {
  writing_ = false;
  settled_ += std::exchange(sending_, 0);
  if (outcome.ok())
    head_ = head;
  for (Durable& durable : std::exchange(in_flight_, {}))
    durable(outcome);
  // Those waiting for what is settled now go first: their messages reach the log's actor before
  // the next batch does.
  const auto first_waiting = std::stable_partition(drained_.begin(), drained_.end(),
                                                   [&](const auto& waiting) { return waiting.first <= settled_; });
  std::vector<std::pair<std::uint64_t, std::function<void()>>> ready(std::make_move_iterator(drained_.begin()),
                                                                     std::make_move_iterator(first_waiting));
  drained_.erase(drained_.begin(), first_waiting);
  for (auto& [target, drained] : ready)
    drained();
  if (!buffered_.empty())
    send(self);
}

}  // namespace stronghold::actors
