#include "stronghold/actors/engine.hpp"

#include <algorithm>
#include <functional>
#include <iterator>
#include <limits>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

#include "approval_desk.hpp"
#include "audit_trail.hpp"
#include "dispatch.hpp"
#include "identity_registry.hpp"
#include "pending_writes.hpp"
#include "policy_book.hpp"
#include "rust_import.hpp"
#include "stronghold/actors/pending.hpp"
#include "stronghold/runtime/random.hpp"
#include "stronghold/runtime/scratch.hpp"
#include "stronghold/snapshot/transfer.hpp"
#include "stronghold/vault/bip39.hpp"
#include "stronghold/vault/compare.hpp"
#include "stronghold/vault/evm.hpp"
#include "stronghold/vault/exchange.hpp"
#include "stronghold/vault/key_wrap.hpp"
#include "stronghold/vault/keys.hpp"
#include "watch_events.hpp"

// What the vault actor sends the snapshot actor: local only, never serialized.
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(stronghold::snapshot::StagedEntry)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(stronghold::snapshot::Image)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::shared_ptr<const stronghold::snapshot::FoldJob>)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(stronghold::snapshot::FoldProgress)

namespace stronghold::actors {
namespace {

using vault::KeyType;
using vault::Location;

}  // namespace

std::size_t KeyGenerations::slot(const vault::Location& location) const noexcept {
  const std::size_t vault_hash = std::hash<std::string>{}(location.vault);
  const std::size_t record_hash = std::hash<std::string>{}(location.record);
  return (vault_hash * 31 + record_hash) % kCounters;
}

std::uint64_t KeyGenerations::current(const vault::Location& location) const noexcept {
  return counters_[slot(location)].load(std::memory_order_acquire) + (epoch_.load(std::memory_order_acquire) << 40);
}

void KeyGenerations::bump(const vault::Location& location) noexcept {
  counters_[slot(location)].fetch_add(1, std::memory_order_acq_rel);
}

void KeyGenerations::bump_all() noexcept { epoch_.fetch_add(1, std::memory_order_acq_rel); }

std::size_t share_count(std::size_t messages, std::size_t signers) noexcept {
  constexpr std::size_t kMinShare = 8;
  return std::max<std::size_t>(1, std::min(signers, messages / kMinShare));
}

unsigned signer_count(const EngineOptions& options) noexcept {
  return options.signers > 0 ? options.signers : std::max(1u, std::thread::hardware_concurrency());
}

namespace {

// ---- the keys a restart reopens the file with

// A password change gives the snapshot a new key. The vault actor adds it here before the new file
// is written and settles on it once the file is, so a restart from the file (by the supervisor,
// after a crash anywhere in between) finds the key of whichever file the crash left.
class ReopenKeys {
 public:
  explicit ReopenKeys(snapshot::ReopenToken token) { tokens_.push_back(std::move(token)); }

  void add(snapshot::ReopenToken token) {
    std::lock_guard lock(mutex_);
    tokens_.push_back(std::move(token));
  }

  // The file is now under `token`'s key: the ones added before it belong to files that are gone.
  void settle(const snapshot::ReopenToken& token) {
    std::lock_guard lock(mutex_);
    const auto found = std::find_if(tokens_.begin(), tokens_.end(), [&](const snapshot::ReopenToken& candidate) {
      return candidate.snapshot_key == token.snapshot_key;
    });
    if (found != tokens_.end())
      tokens_.erase(tokens_.begin(), found);
  }

  // Tries each key, oldest first: under a key that is not the file's, the body fails to open.
  Result<std::unique_ptr<snapshot::Snapshot>> reopen() const {
    std::vector<snapshot::ReopenToken> tokens;
    {
      std::lock_guard lock(mutex_);
      tokens = tokens_;
    }
    Result<std::unique_ptr<snapshot::Snapshot>> reopened = Status(Errc::internal, "no key to reopen the snapshot with");
    for (const snapshot::ReopenToken& token : tokens) {
      reopened = snapshot::Snapshot::reopen(token);
      if (reopened.code() != Errc::corrupted)
        break;
    }
    return reopened;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<snapshot::ReopenToken> tokens_;
};

// ---- signers: stateless, one per core, answer the original requester

Result<ByteList> sign_each(const vault::SigningMaterial& key, const ByteList& messages) {
  ByteList signatures;
  signatures.reserve(messages.size());
  for (const Bytes& message : messages) {
    SH_ASSIGN_OR_RETURN(Bytes signature, vault::sign_default(key, message));
    signatures.push_back(std::move(signature));
  }
  return signatures;
}

signer_actor::behavior_type signer(signer_actor::pointer) {
  return {
      [](const vault::SigningMaterial& key, const Sign& request) -> caf::result<Reply> {
        return reply<Sign>(vault::sign_default(key, request.message));
      },
      [](const vault::SigningMaterial& key, const SignEcdsa& request) -> caf::result<Reply> {
        return reply<SignEcdsa>(vault::sign_ecdsa(key, request.message, request.options));
      },
      [](const vault::SigningMaterial& key, const SignBatch& request) -> caf::result<Reply> {
        return reply<SignBatch>(sign_each(key, request.messages));
      },
  };
}

// ---- password KDFs, on a thread of their own (they take about a second by design)

using password_actor = caf::typed_actor<
    caf::replies_to<Bytes, ChangePassword>::with<SharedNewPassword>, caf::replies_to<Bytes, CheckPassword>::with<Reply>,
    caf::replies_to<ExportWithPassword>::with<SharedTransferPassword>,
    caf::replies_to<ImportWithPassword>::with<SharedTransferPassword>, caf::replies_to<Pbkdf2>::with<Secret>>;

// The transfer key `derive` makes of the opened password, for the vault actor to use.
template <class Derive>
caf::result<SharedTransferPassword> transfer_password(const Secret& password, Derive derive) {
  Result<snapshot::TransferPassword> prepared = Status(Errc::internal, "no transfer key was derived");
  const Status opened = password.open([&](ByteView plain) {
    prepared = derive(plain);
    return prepared.status();
  });
  if (!opened.ok())
    return to_error(opened);
  return SharedTransferPassword(std::make_shared<const snapshot::TransferPassword>(std::move(*prepared)));
}

// The key PBKDF2 derives from the request's password, sealed for the vault actor to store.
Result<Secret> derive_pbkdf2(const Pbkdf2& request) {
  runtime::ScratchFrame frame;
  SH_ASSIGN_OR_RETURN(auto derived, frame.take(request.length));
  SH_RETURN_IF_ERROR(request.password.open([&](ByteView password) {
    return vault::pbkdf2_raw(request.hash, password, request.salt, request.rounds, derived);
  }));
  return Secret::seal(derived);
}

// Serves one request (against the file's header, for the snapshot's own password), then stops.
password_actor::behavior_type password_worker(password_actor::pointer self) {
  return {
      [self](const Bytes& header, const ChangePassword& request) -> caf::result<SharedNewPassword> {
        self->quit();
        Result<snapshot::NewPassword> prepared = Status(Errc::internal, "no password was prepared");
        const Status opened = request.current.open([&](ByteView current) {
          return request.next.open([&](ByteView next) {
            prepared = snapshot::Snapshot::prepare_password_change(header, current, next);
            return prepared.status();
          });
        });
        if (!opened.ok())
          return to_error(opened);
        return SharedNewPassword(std::make_shared<const snapshot::NewPassword>(std::move(*prepared)));
      },
      [self](const Bytes& header, const CheckPassword& request) -> caf::result<Reply> {
        self->quit();
        const Status checked = request.password.open(
            [&](ByteView password) { return snapshot::Snapshot::check_password(header, password); });
        if (!checked.ok())
          return to_error(checked);
        return answer<CheckPassword>(Done{});
      },
      [self](const ExportWithPassword& request) -> caf::result<SharedTransferPassword> {
        self->quit();
        return transfer_password(request.password, [](ByteView password) {
          return snapshot::TransferPassword::for_export(password, snapshot::KdfPreset::standard);
        });
      },
      [self](const ImportWithPassword& request) -> caf::result<SharedTransferPassword> {
        self->quit();
        return transfer_password(request.password, [&](ByteView password) {
          return snapshot::TransferPassword::for_import(request.file, password);
        });
      },
      [self](const Pbkdf2& request) -> caf::result<Secret> {
        self->quit();
        auto derived = derive_pbkdf2(request);
        if (!derived.ok())
          return to_error(derived.status());
        return std::move(*derived);
      },
  };
}

// ---- the snapshot actor: owns the journal file, detached because it blocks in fdatasync

using snapshot_actor = caf::typed_actor<caf::replies_to<append_atom, snapshot::StagedEntry>::with<caf::ok_atom>,
                                        // An entry another engine appended to the shared journal, for the file only.
                                        caf::replies_to<received_atom, snapshot::StagedEntry>::with<caf::ok_atom>,
                                        caf::replies_to<replace_atom, snapshot::Image>::with<caf::ok_atom>,
                                        caf::reacts_to<flush_atom>, caf::reacts_to<ship_atom>,
                                        // Folds the journal beside the appends (see snapshot::FoldJob).
                                        caf::reacts_to<fold_atom, std::shared_ptr<const snapshot::FoldJob>>,
                                        // Everything appended so far synced, whatever the durability.
                                        caf::replies_to<sync_atom>::with<caf::ok_atom>>;

struct SnapshotActorState {
  std::optional<snapshot::JournalWriter> journal;
  std::shared_ptr<SharedJournal> shared;  // appended to before the file; null: alone
  snapshot::Durability durability = snapshot::Durability::sync;
  std::vector<caf::typed_response_promise<caf::ok_atom>> waiting;  // appended, answered after the next sync
  bool flush_scheduled = false;
  // Staged entries for the shared journal, in order, and their answers: sent together (ship).
  std::vector<snapshot::StagedEntry> outgoing;
  std::vector<caf::typed_response_promise<caf::ok_atom>> outgoing_answers;
  bool ship_scheduled = false;
  bool fold_running = false;       // a worker folds the file (its fold may have been dropped meanwhile)
  std::uint64_t written_next = 0;  // the entry after the last one written to the file (0: none yet)
  std::uint64_t said_durable = 0;  // written_next as last told to the shared journal
  static const char* name;
};
const char* SnapshotActorState::name = "stronghold.snapshot";

// Syncs once for every append since the last flush, then answers them all: group commit. A
// failed write or sync answers everyone with the error and stops the actor, which makes the
// supervisor restart the state from the file.
using WriterSelf = snapshot_actor::stateful_pointer<SnapshotActorState>;

// Answers every waiting append with `failure` and stops: the supervisor restarts from the file.
caf::error fail_writer(WriterSelf self, const Status& failure) {
  caf::error reason = to_error(failure);
  for (auto* promises : {&self->state.waiting, &self->state.outgoing_answers}) {
    for (auto& promise : *promises)
      promise.deliver(reason);
    promises->clear();
  }
  self->state.outgoing.clear();
  self->quit(reason);
  return reason;
}

// Tells the shared journal how far the file is synced, once flush has synced what was written.
void tell_durable(WriterSelf self) {
  auto& state = self->state;
  if (state.shared && state.written_next != 0 && state.written_next != state.said_durable) {
    state.shared->durable(state.written_next);
    // The vault actor applied them before (and others' after it bumped the key generations), and
    // a restart of its state from the file keeps them: what the file holds synced never goes back.
    state.shared->advance_applied(state.written_next);
    state.said_durable = state.written_next;
  }
}

// False when the sync failed (the actor stops, and answers everyone: see fail_writer).
bool flush(WriterSelf self) {
  auto& state = self->state;
  state.flush_scheduled = false;
  if (state.durability != snapshot::Durability::none && !state.waiting.empty()) {
    if (Status synced = state.journal->sync(); !synced.ok()) {
      fail_writer(self, synced);
      return false;
    }
  }
  tell_durable(self);
  for (auto& promise : state.waiting)
    promise.deliver(caf::ok_atom::value);
  state.waiting.clear();
  return true;
}

// Closes the replaced file's handle on a thread of its own: the close frees the blocks of the
// whole old file (snapshot::JournalWriter::take_retired).
void close_elsewhere(std::unique_ptr<snapshot::AppendFile> file) {
  if (file)
    std::thread([retired = std::move(file)]() mutable { retired.reset(); }).detach();
}

// Folds a file beside its snapshot actor, then stops: detached, since it reads and writes the
// whole file.
using fold_actor = caf::typed_actor<
    caf::replies_to<std::shared_ptr<const snapshot::FoldJob>, std::uint64_t>::with<snapshot::FoldProgress>,
    caf::replies_to<std::shared_ptr<const snapshot::FoldJob>, snapshot::FoldProgress,
                    std::uint64_t>::with<snapshot::FoldProgress>>;

// One step of a fold, on a thread of its own: the fold itself, or a catch-up copy.
fold_actor::behavior_type fold_worker(fold_actor::pointer self) {
  const auto reply = [](Result<snapshot::FoldProgress> progress) -> caf::result<snapshot::FoldProgress> {
    if (!progress.ok())
      return to_error(progress.status());
    return *progress;
  };
  return {
      [self, reply](const std::shared_ptr<const snapshot::FoldJob>& job, std::uint64_t covers) {
        self->quit();
        return reply(snapshot::fold_file(*job, covers));
      },
      [self, reply](const std::shared_ptr<const snapshot::FoldJob>& job, const snapshot::FoldProgress& progress,
                    std::uint64_t to) {
        self->quit();
        return reply(snapshot::copy_fold_tail(*job->file.fs, job->file.path, progress, to));
      },
  };
}

void end_fold(WriterSelf self, const snapshot::FoldStart& start) {
  self->state.fold_running = false;
  self->state.journal->drop_fold(start);
}

// While the fold lags the appends, a worker copies the entries appended since; then the fold is
// put in place, the appends waiting for the last few entries only. A round copies far faster than
// commits append, so each lags less than the one before; the cap only ends a fold that a writer
// appending faster than the disk copies would otherwise keep from finishing (the appends then
// wait for a longer copy once).
constexpr int kCatchUpRounds = 16;

void catch_up(WriterSelf self, const std::shared_ptr<const snapshot::FoldJob>& job, const snapshot::FoldStart& start,
              const snapshot::FoldProgress& progress, int round) {
  auto& journal = *self->state.journal;
  if (round < kCatchUpRounds && journal.fold_lags(progress)) {
    auto worker = self->spawn<caf::detached>(fold_worker);
    self->request(worker, caf::infinite, job, progress, journal.size())
        .then([self, job, start,
               round](const snapshot::FoldProgress& next) { catch_up(self, job, start, next, round + 1); },
              [self, start](caf::error&) { end_fold(self, start); });
    return;
  }
  self->state.fold_running = false;
  if (Status finished = journal.finish_fold(start, progress); !finished.ok() && journal.broken())
    fail_writer(self, finished);
  close_elsewhere(journal.take_retired());
}

// Starts folding the file up to its end (where `job` stands) beside the appends, one fold at a
// time (a job that comes while one runs is dropped: its entries are folded by the next). The
// appends wait only while the fold is put in place.
void fold(WriterSelf self, const std::shared_ptr<const snapshot::FoldJob>& job) {
  auto& journal = *self->state.journal;
  if (self->state.fold_running)
    return;
  auto start = journal.begin_fold(job->position);
  if (!start.ok())
    return;  // the fold waits for the next job; the file is as it was
  self->state.fold_running = true;
  auto worker = self->spawn<caf::detached>(fold_worker);
  self->request(worker, caf::infinite, job, start->covers)
      .then([self, job,
             start = *start](const snapshot::FoldProgress& progress) { catch_up(self, job, start, progress, 0); },
            [self, start = *start](caf::error&) { end_fold(self, start); });
}

// Appends `entry` to the file, answered after the next sync.
caf::result<caf::ok_atom> append_to_file(WriterSelf self, const snapshot::StagedEntry& entry) {
  auto& state = self->state;
  if (Status written = state.journal->append(entry); !written.ok())
    return fail_writer(self, written);
  state.written_next = entry.leaves().next_sequence;
  auto promise = self->make_response_promise<caf::ok_atom>();
  state.waiting.push_back(promise);
  if (!state.flush_scheduled) {
    // Queued behind whatever else arrived meanwhile: those appends share this sync.
    state.flush_scheduled = true;
    self->send(self, flush_atom::value);
  }
  return promise;
}

// The most a transaction of the shared journal carries: etcd refuses requests above 1.5 MiB, and
// its JSON gateway writes bytes in base64 (4 for 3). An entry larger than this goes alone.
constexpr std::size_t kShipBytes = std::size_t{768} << 10;
constexpr std::size_t kShipEntries = 128;

// Sends the entries staged since the last time to the shared journal, as few transactions as the
// bounds allow, then appends them to the file. Whatever queued up while one transaction was on
// its way goes in the next: group commit through the shared journal. False when it failed (the
// actor stops: see append_atom).
bool ship(WriterSelf self) {
  auto& state = self->state;
  state.ship_scheduled = false;
  std::size_t done = 0;
  while (done < state.outgoing.size()) {
    std::size_t end = done, bytes = 0;
    while (end < state.outgoing.size() && end - done < kShipEntries &&
           (end == done || bytes + state.outgoing[end].bytes().size() <= kShipBytes))
      bytes += state.outgoing[end++].bytes().size();
    const std::span<const snapshot::StagedEntry> batch(state.outgoing.data() + done, end - done);
    // An entry the file would refuse never reaches the others.
    if (Status ready = state.journal->can_append(batch.front()); !ready.ok()) {
      fail_writer(self, ready);
      return false;
    }
    if (Status appended = state.shared->append(batch); !appended.ok()) {
      // What the file took before is answered first; a failed sync stops the actor with its own
      // reason, which must not become the journal's (on_down rewrites the file only after it).
      if (flush(self))
        fail_writer(self, appended);
      return false;
    }
    for (; done < end; ++done) {
      if (Status written = state.journal->append(state.outgoing[done]); !written.ok()) {
        fail_writer(self, written);
        return false;
      }
      state.written_next = state.outgoing[done].leaves().next_sequence;
      state.waiting.push_back(std::move(state.outgoing_answers[done]));
    }
  }
  state.outgoing.clear();
  state.outgoing_answers.clear();
  if (done > 0 && !state.flush_scheduled) {
    state.flush_scheduled = true;
    self->send(self, flush_atom::value);
  }
  return true;
}

snapshot_actor::behavior_type snapshot_writer(WriterSelf self, const std::shared_ptr<snapshot::JournalWriter>& journal,
                                              snapshot::Durability durability, std::shared_ptr<SharedJournal> shared) {
  self->state.journal.emplace(std::move(*journal));
  self->state.durability = durability;
  self->state.shared = std::move(shared);
  return {
      [self](append_atom, snapshot::StagedEntry& entry) -> caf::result<caf::ok_atom> {
        // In a cluster the shared journal decides the order, so entries go there first (ship).
        // When another engine's entry came first, the state here staged on a chain the cluster
        // left: the entries before it are answered, this one and those after fail, and the
        // supervisor restarts the state from the file, where the follower brings the others'.
        auto& state = self->state;
        if (state.shared == nullptr)
          return append_to_file(self, entry);
        auto promise = self->make_response_promise<caf::ok_atom>();
        state.outgoing.push_back(std::move(entry));
        state.outgoing_answers.push_back(promise);
        if (!state.ship_scheduled) {
          // Queued behind whatever else arrived meanwhile: those entries share the transaction.
          state.ship_scheduled = true;
          self->send(self, ship_atom::value);
        }
        return promise;
      },
      [self](ship_atom) { ship(self); },
      // Another engine's entry follows everything this one shipped (it could not follow an entry
      // still waiting here: see receive_shared), so it needs no ship first.
      [self](received_atom, const snapshot::StagedEntry& entry) { return append_to_file(self, entry); },
      [self](replace_atom, const snapshot::Image& image) -> caf::result<caf::ok_atom> {
        if (!ship(self))  // earlier entries first
          return to_error(Status(Errc::unavailable, "the shared journal refused an earlier entry"));
        if (!flush(self))  // the actor stops: nothing more is written
          return to_error(Status(Errc::io_error, "a sync of the journal failed"));
        if (Status replaced = self->state.journal->replace(image); !replaced.ok())
          return fail_writer(self, replaced);
        self->state.written_next = image.leaves().next_sequence;  // the new file is synced
        tell_durable(self);
        close_elsewhere(self->state.journal->take_retired());
        return caf::ok_atom::value;
      },
      [self](flush_atom) { flush(self); },
      [self](fold_atom, const std::shared_ptr<const snapshot::FoldJob>& job) {
        if (ship(self))  // the job covers the state, entries waiting here included
          fold(self, job);
      },
      [self](sync_atom) -> caf::result<caf::ok_atom> {
        if (!ship(self))
          return to_error(Status(Errc::unavailable, "the shared journal refused an earlier entry"));
        if (!flush(self))
          return to_error(Status(Errc::io_error, "a sync of the journal failed"));
        if (Status synced = self->state.journal->sync(); !synced.ok())
          return fail_writer(self, synced);
        return caf::ok_atom::value;
      },
  };
}

// ---- the vault actor: sole owner of the state

struct VaultActorState {
  std::optional<snapshot::Chain> snapshot;  // the state; the snapshot actor writes its file
  std::shared_ptr<ReopenKeys> reopen_keys;
  std::shared_ptr<KeyGenerations> generations;
  PendingAnswers waiting;  // for their journal entry or their signers
  snapshot_actor writer;
  std::vector<signer_actor> signers;
  std::size_t next_signer = 0;
  std::size_t password_workers = 0;  // running now (see after_password_kdf)
  std::chrono::milliseconds journal_timeout{30'000};
  std::uint64_t compaction_threshold = 0;
  PolicyBook policies;
  AuditTrail audit;
  vault::ApprovalRule approval_rule;  // as the snapshot sets it
  ApprovalDesk approvals;             // the requests that wait for approvals: memory only
  std::shared_ptr<EventHub> events;   // the watchers' (events.hpp); null: none
  // The request whose handler runs now, and whether that handler announces its outcome itself
  // (after a password KDF, or not at all): see serve.
  Envelope* serving = nullptr;
  PendingWrites pending_writes;  // staged, not yet durable, and the requests that wait for them
  // Where a waiting request goes on when it runs: the request as it came, or past its policies'
  // admission, or past its fail-closed audit entry.
  enum class Stage : std::uint8_t { arrived, admitted, audited };
  struct Deferred {
    Envelope envelope;
    caf::typed_response_promise<Reply> promise;
    std::uint64_t id = 0;  // in `waiting`
    Stage stage = Stage::arrived;
  };
  std::map<std::uint64_t, Deferred> deferred;  // by their id in pending_writes
  bool announces_itself = false;
  std::string shared_failure;             // why the last entry of the shared journal did not apply
  std::shared_ptr<SharedJournal> shared;  // null: the engine is alone
  static const char* name;

  const vault::Keystore& keystore() const { return snapshot->keystore(); }
  signer_actor pick_signer() { return signers[next_signer++ % signers.size()]; }
};
const char* VaultActorState::name = "stronghold.vault";

using vault_actor = engine_actor::extend<caf::reacts_to<signers_atom, std::vector<signer_actor>>,
                                         caf::replies_to<receive_atom, std::vector<SharedEntry>>::with<std::uint64_t>,
                                         // A request its policies admitted, once its use reservation is durable.
                                         caf::replies_to<admitted_atom, Envelope>::with<Reply>,
                                         // A request whose audit entry is durable (fail-closed mode).
                                         caf::replies_to<audited_atom, Envelope>::with<Reply>,
                                         // A request that waited for pending writes (pending_writes.hpp).
                                         caf::replies_to<released_atom, std::uint64_t>::with<Reply>>;
using VaultSelf = vault_actor::stateful_pointer<VaultActorState>;
using VaultHandler = caf::result<Reply> (*)(VaultSelf, caf::message&);

// Stages the transaction's changes, has the snapshot actor make them durable, then calls
// `next(promise)`. The state already holds the changes while they are written; if writing fails
// the snapshot actor stops and the supervisor restarts both from the file.
// Stages the transaction, with the audit log's head when it moved: the snapshot then records how
// far the log reached (the anchor that exposes a log cut back), at no extra write.
// A staged change set on its way to the file, and the ticket that holds its places back until
// the file has it.
struct Staged {
  snapshot::StagedEntry entry;
  std::uint64_t ticket = 0;
};

// Stages `changes`: the state holds them at once, the requests that name their places wait until
// the file does too (made_durable).
Result<Staged> stage_changes(VaultSelf self, vault::ChangeSet changes) {
  auto& state = self->state;
  Places written = places_written(changes);
  SH_ASSIGN_OR_RETURN(snapshot::StagedEntry entry, state.snapshot->stage(std::move(changes)));
  return Staged{std::move(entry), state.pending_writes.add(std::move(written))};
}

Result<Staged> stage(VaultSelf self, vault::Transaction&& tx) {
  auto& state = self->state;
  const auto anchor = state.audit.unanchored();
  if (anchor)
    SH_RETURN_IF_ERROR(vault::write_audit_anchor(tx, *anchor, state.audit.place().node));
  auto staged = stage_changes(self, std::move(tx).take());
  if (staged.ok() && anchor)
    state.audit.anchored(*anchor);
  return staged;
}

// Sends the requests that waited for pending writes and may run now back to the vault actor, in
// the order they came (they run from released_atom).
void release_deferred(VaultSelf self) {
  auto& state = self->state;
  for (const std::uint64_t waiter : state.pending_writes.release()) {
    VaultActorState::Deferred& deferred = state.deferred.at(waiter);
    state.waiting.done(deferred.id);
    deferred.promise.delegate(caf::actor_cast<vault_actor>(self), released_atom::value, waiter);
  }
}

// A staged write is in the file: the requests that waited for it may run.
void made_durable(VaultSelf self, std::uint64_t ticket) {
  self->state.pending_writes.settle(ticket);
  release_deferred(self);
}

// Past the threshold the snapshot actor folds the journal beside the commits. A version 1 file
// cannot be (format.hpp): its whole state is sealed here and written in place, and the commits
// wait behind both.
void compact(VaultSelf self) {
  auto& state = self->state;
  if (auto job = state.snapshot->fold_job(); job.ok()) {
    self->send(state.writer, fold_atom::value, std::make_shared<const snapshot::FoldJob>(std::move(*job)));
    return;
  }
  if (auto image = state.snapshot->compact(); image.ok())
    self->request(state.writer, state.journal_timeout, replace_atom::value, std::move(*image))
        .then([](caf::ok_atom) {}, [self](caf::error& failure) { self->quit(failure); });
}

template <class T, class Next>
void after_durable(VaultSelf self, vault::Transaction&& tx, caf::typed_response_promise<T> promise, Next next) {
  auto& state = self->state;
  auto staged = stage(self, std::move(tx));
  if (!staged.ok()) {
    promise.deliver(to_error(staged.status()));
    return;
  }
  const std::uint64_t id = state.waiting.add(promise);
  self->request(state.writer, state.journal_timeout, append_atom::value, std::move(staged->entry))
      .then(
          [self, id, ticket = staged->ticket, promise, next = std::move(next)](caf::ok_atom) mutable {
            self->state.waiting.done(id);
            made_durable(self, ticket);
            next(promise);
          },
          [self](caf::error& failure) {
            self->quit(failure);  // memory is ahead of the file: restart from the file
          });
  if (state.snapshot->journal_bytes() > state.compaction_threshold)
    compact(self);
}

template <class T>
void persist(VaultSelf self, vault::Transaction&& tx, T value, caf::typed_response_promise<T> promise) {
  after_durable(self, std::move(tx), std::move(promise),
                [value = std::move(value)](caf::typed_response_promise<T>& durable) mutable {
                  durable.deliver(std::move(value));
                });
}

// persist, answering the request the vault actor is handling.
template <class T>
caf::result<T> persist(VaultSelf self, vault::Transaction&& tx, T value) {
  auto promise = self->make_response_promise<T>();
  persist(self, std::move(tx), std::move(value), promise);
  return promise;
}

// Has the snapshot actor replace the file with `image` (after the entries before it), then
// calls `on_written` and answers `promise` with Done.
void replace_file(VaultSelf self, Result<snapshot::Image> image, caf::typed_response_promise<Reply> promise,
                  std::function<void()> on_written = {}) {
  if (!image.ok()) {
    promise.deliver(to_error(image.status()));
    return;
  }
  const std::uint64_t id = self->state.waiting.add(promise);
  self->request(self->state.writer, self->state.journal_timeout, replace_atom::value, std::move(*image))
      .then(
          [self, id, promise, on_written = std::move(on_written)](caf::ok_atom) mutable {
            if (on_written)
              on_written();
            self->state.waiting.done(id);
            promise.deliver(answer<SyncSnapshot>(Done{}));
          },
          [self](caf::error& failure) { self->quit(failure); });
}

// Splits a batch into one share per signer and answers with the signatures in order, or with the
// first error.
caf::result<Reply> sign_shared(VaultSelf self, const vault::SigningMaterial& key, SignBatch batch) {
  struct Join {
    caf::typed_response_promise<Reply> promise;
    std::vector<ByteList> shares;
    std::size_t missing = 0;
    std::uint64_t id = 0;
    bool failed = false;
  };
  auto join = std::make_shared<Join>();
  join->promise = self->make_response_promise<Reply>();
  join->id = self->state.waiting.add(join->promise);
  const std::size_t count = share_count(batch.messages.size(), self->state.signers.size());
  join->shares.resize(count);
  join->missing = count;
  const std::size_t total = batch.messages.size();
  auto next = std::make_move_iterator(batch.messages.begin());
  for (std::size_t share = 0; share < count; ++share) {
    const std::size_t size = total / count + (share < total % count ? 1 : 0);
    SignBatch part{batch.at, ByteList(next, next + static_cast<std::ptrdiff_t>(size))};
    next += static_cast<std::ptrdiff_t>(size);
    self->request(self->state.pick_signer(), self->state.journal_timeout, key, std::move(part))
        .then(
            [self, join, share](Reply& signatures) {
              auto part_signatures = answer_in<ByteList>(signatures);
              join->shares[share] = part_signatures.ok() ? std::move(*part_signatures) : ByteList();
              if (--join->missing > 0 || join->failed)
                return;
              self->state.waiting.done(join->id);
              ByteList all;
              for (auto& shared : join->shares)
                std::move(shared.begin(), shared.end(), std::back_inserter(all));
              join->promise.deliver(answer<SignBatch>(std::move(all)));
            },
            [self, join](caf::error& failure) {
              if (std::exchange(join->failed, true))
                return;
              self->state.waiting.done(join->id);
              join->promise.deliver(failure);
            });
  }
  return join->promise;
}

constexpr vault::KeyTypes kSigningKeys = vault::key_types(KeyType::ed25519, KeyType::secp256k1);

// A password change: the state moves to a new snapshot key (Chain::rekey) and the
// file is replaced by one under it. Memory is ahead of the file meanwhile; the new key goes to
// the keys a restart tries before the file is written.
void change_password(VaultSelf self, const snapshot::NewPassword& password,
                     caf::typed_response_promise<Reply> promise) {
  auto& state = self->state;
  auto image = state.snapshot->rekey(password);
  if (!image.ok()) {
    promise.deliver(to_error(image.status()));
    return;
  }
  auto token = state.snapshot->reopen_token();
  if (!token.ok()) {
    self->quit(to_error(token.status()));  // restart from the file, under the key it has
    promise.deliver(to_error(token.status()));
    return;
  }
  state.reopen_keys->add(*token);
  replace_file(self, std::move(*image), std::move(promise),
               [keys = state.reopen_keys, written = std::move(*token)] { keys->settle(written); });
}

// ---- the vault actor's handlers: one per request kind it serves

// A request's expiry as the vault floor records it.
Result<vault::RecordOptions> expiring_at(std::uint64_t expires_at) {
  if (expires_at > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
    return Status(Errc::invalid_argument, "an expiry is a unix time in seconds");
  return vault::RecordOptions{{}, static_cast<std::int64_t>(expires_at)};
}

caf::result<Reply> handle(VaultSelf self, GenerateKey& request) {
  self->state.generations->bump(request.at);
  auto options = expiring_at(request.expires_at);
  if (!options.ok())
    return to_error(options.status());
  vault::Transaction tx(self->state.keystore(), request.overwrite);
  auto public_key = vault::generate_key(tx, request.at, request.type, *options);
  if (!public_key.ok())
    return to_error(public_key.status());
  return persist(self, std::move(tx), answer<GenerateKey>(std::move(*public_key)));
}

caf::result<Reply> handle(VaultSelf self, ImportKey& request) {
  self->state.generations->bump(request.at);
  auto options = expiring_at(request.expires_at);
  if (!options.ok())
    return to_error(options.status());
  vault::Transaction tx(self->state.keystore(), request.overwrite);
  Result<Bytes> public_key = Status(Errc::internal, "no key was imported");
  const Status imported = request.key.open([&](ByteView plain) {
    public_key = vault::import_key(tx, request.at, request.type, plain, *options);
    return public_key.status();
  });
  if (!imported.ok())
    return to_error(imported);
  return persist(self, std::move(tx), answer<ImportKey>(std::move(*public_key)));
}

caf::result<Reply> handle(VaultSelf self, PublicKey& request) {
  return reply<PublicKey>(self->state.keystore().public_key(request.at));
}

caf::result<Reply> handle(VaultSelf self, DeleteKey& request) {
  self->state.generations->bump(request.at);
  vault::Transaction tx(self->state.keystore());
  if (Status revoked = tx.revoke(request.at); !revoked.ok())
    return to_error(revoked);
  return persist(self, std::move(tx), answer<DeleteKey>(Done{}));
}

caf::result<Reply> handle(VaultSelf self, DeriveKey& request) {
  self->state.generations->bump(request.into);
  vault::Transaction tx(self->state.keystore(), request.overwrite);
  auto public_key = vault::derive_key(tx, request.seed, request.path, request.curve, request.into);
  if (!public_key.ok())
    return to_error(public_key.status());
  return persist(self, std::move(tx), answer<DeriveKey>(std::move(*public_key)));
}

caf::result<Reply> handle(VaultSelf self, Sign& request) {
  auto key = self->state.keystore().signing_material(request.at, kSigningKeys);
  if (!key.ok())
    return to_error(key.status());
  return self->delegate(self->state.pick_signer(), std::move(*key), std::move(request));
}

caf::result<Reply> handle(VaultSelf self, SignEcdsa& request) {
  auto key = self->state.keystore().signing_material(request.at, vault::key_types(KeyType::secp256k1));
  if (!key.ok())
    return to_error(key.status());
  return self->delegate(self->state.pick_signer(), std::move(*key), std::move(request));
}

// The same signing path as SignEcdsa, with the Keccak-256 digest its options name.
caf::result<Reply> handle(VaultSelf self, SignKeccak& request) {
  SignEcdsa ecdsa{std::move(request.at), std::move(request.message), request.options};
  return handle(self, ecdsa);
}

caf::result<Reply> handle(VaultSelf self, EvmAddress& request) {
  return reply<EvmAddress>(vault::evm_address(self->state.keystore(), request.at));
}

caf::result<Reply> handle(VaultSelf self, CompareRecord& request) {
  bool equal = false;
  const Status compared = request.value.open([&](ByteView value) -> Status {
    SH_ASSIGN_OR_RETURN(equal, vault::record_equals(self->state.keystore(), request.at, value));
    return {};
  });
  return compared.ok() ? reply<CompareRecord>(equal) : to_error(compared);
}

caf::result<Reply> handle(VaultSelf self, SignBatch& request) {
  auto key = self->state.keystore().signing_material(request.at, kSigningKeys);
  if (!key.ok())
    return to_error(key.status());
  if (share_count(request.messages.size(), self->state.signers.size()) > 1)
    return sign_shared(self, *key, std::move(request));
  return self->delegate(self->state.pick_signer(), std::move(*key), std::move(request));
}

caf::result<Reply> handle(VaultSelf self, PutSecret& request) {
  vault::Transaction tx(self->state.keystore(), request.overwrite);
  if (Status put = request.value.open([&](ByteView plain) { return tx.put_secret(request.name, plain); }); !put.ok())
    return to_error(put);
  return persist(self, std::move(tx), answer<PutSecret>(Done{}));
}

caf::result<Reply> handle(VaultSelf self, GetSecret& request) {
  auto value = self->state.keystore().read_secret(request.name);
  if (!value.ok())
    return to_error(value.status());
  auto view = value->read();
  return reply<GetSecret>(Secret::seal(view.bytes()));
}

caf::result<Reply> handle(VaultSelf self, SyncSnapshot&) {
  // A round through the snapshot actor: answered once everything before it is synced.
  auto promise = self->make_response_promise<Reply>();
  self->request(self->state.writer, self->state.journal_timeout, sync_atom::value)
      .then([promise](caf::ok_atom) mutable { promise.deliver(answer<SyncSnapshot>(Done{})); },
            [promise](caf::error& failure) mutable { promise.deliver(failure); });
  return promise;
}

caf::result<Reply> handle(VaultSelf self, CollectGarbage&) {
  auto& state = self->state;
  if (vault::ChangeSet garbage = state.keystore().garbage(); !garbage.empty()) {
    state.generations->bump_all();
    auto staged = stage_changes(self, std::move(garbage));
    if (!staged.ok())
      return to_error(staged.status());
    // Answered by the replacement below, which the snapshot actor handles after this.
    self->request(state.writer, state.journal_timeout, append_atom::value, std::move(staged->entry))
        .then([self, ticket = staged->ticket](caf::ok_atom) { made_durable(self, ticket); },
              [self](caf::error& failure) { self->quit(failure); });
  }
  auto promise = self->make_response_promise<Reply>();
  replace_file(self, state.snapshot->compact(), promise);
  return promise;
}

using Promise = caf::typed_response_promise<Reply>;

// ---- what watchers hear (events.hpp, watch_events.hpp)

bool watched(VaultSelf self) { return self->state.events != nullptr && self->state.events->watched(); }

void announce(VaultSelf self, const std::vector<snapshot::AuditEntry>& entries) {
  if (watched(self))
    actors::announce(*self->state.events, entries);
}

// A request admitted (and logged as allowed) failed after its handler answered: a wrong password
// found by its KDF, an import the file refused. Watchers hear of it, and the log gets a second
// entry for the request, failed.
void report_failure(VaultSelf self, snapshot::AuditEntry entry, const Status& failure) {
  std::vector<snapshot::AuditEntry> entries{std::move(entry)};
  mark_outcome(entries, snapshot::AuditOutcome::failed, failure);
  announce(self, entries);
  if (self->state.audit.on())
    self->state.audit.record(self, std::move(entries));
}

PolicyFacts facts_of(Envelope& envelope);
std::int64_t now_ms();

// The entry of the request being served (as allowed), for an outcome known only later; none
// while neither the log nor a watcher wants it.
std::optional<snapshot::AuditEntry> asked_entry(VaultSelf self) {
  Envelope* serving = self->state.serving;
  if (serving == nullptr || (!self->state.audit.on() && !watched(self)))
    return std::nullopt;
  auto entries = audit_entries(facts_of(*serving), serving->caller, now_ms());
  return std::move(entries.front());
}

// Runs the handler of `envelope`, remembering which request it serves: a handler that leaves its
// outcome to a password KDF announces it then (after_password_kdf).
caf::result<Reply> serve(VaultSelf self, VaultHandler handler, Envelope& envelope) {
  self->state.serving = &envelope;
  self->state.announces_itself = false;
  auto result = handler(self, envelope.request);
  self->state.serving = nullptr;
  return result;
}

// Has a password worker of its own run a KDF on `args` (it takes about a second by design, and
// the vault actor serves other requests meanwhile), then calls `next(made, promise)` on the vault
// actor with what it made, to answer the request.
// At most kMaxPasswordWorkers run at once (each holds a thread and up to 1 GiB for Argon2id at
// the strong cost); beyond them a request is answered busy rather than queued without bound.
constexpr std::size_t kMaxPasswordWorkers = 4;

template <class Made, class Next, class... Args>
caf::result<Reply> after_password_kdf(VaultSelf self, Next next, Args&&... args) {
  if (self->state.password_workers >= kMaxPasswordWorkers)
    return to_error(
        error(Errc::busy, "the engine runs at most {} password KDFs at once; try again shortly", kMaxPasswordWorkers));
  ++self->state.password_workers;
  auto promise = self->make_response_promise<Reply>();
  const std::uint64_t id = self->state.waiting.add(promise);
  // The outcome is known once the KDF ran (a wrong password, or the change going ahead).
  std::optional<snapshot::AuditEntry> asked = asked_entry(self);
  const bool announce_success = !self->state.announces_itself;
  self->state.announces_itself = true;
  auto worker = self->spawn<caf::detached>(password_worker);
  self->request(worker, caf::infinite, std::forward<Args>(args)...)
      .then(
          [self, id, promise, next = std::move(next), asked, announce_success](Made& made) mutable {
            --self->state.password_workers;
            self->state.waiting.done(id);
            if (asked && announce_success)
              announce(self, {*asked});
            next(made, std::move(promise));
          },
          [self, id, promise, asked](caf::error& failure) mutable {
            --self->state.password_workers;
            self->state.waiting.done(id);
            if (asked)
              report_failure(self, std::move(*asked), to_status(failure));
            promise.deliver(failure);
          });
  return promise;
}

// The KDFs run in a worker on the file's header; a change prepared for a header that is no
// longer the file's (another change finished first) is refused as busy by Chain::rekey.
caf::result<Reply> handle(VaultSelf self, ChangePassword& request) {
  return after_password_kdf<SharedNewPassword>(
      self,
      [self](const SharedNewPassword& prepared, Promise promise) {
        change_password(self, *prepared, std::move(promise));
      },
      self->state.snapshot->header(), std::move(request));
}

caf::result<Reply> handle(VaultSelf self, CheckPassword& request) {
  return after_password_kdf<Reply>(
      self, [](Reply& checked, Promise promise) { promise.deliver(std::move(checked)); },
      self->state.snapshot->header(), std::move(request));
}

// ---- the handlers of the vocabulary's later kinds

// Stages `write` on a transaction under `overwrite` and persists it; `into` is the location it
// writes (cached signing material there is dropped).
template <EngineRequest R>
void write_into(VaultSelf self, const Location& into, vault::Overwrite overwrite,
                const std::function<Status(vault::Transaction&)>& write, Promise promise) {
  self->state.generations->bump(into);
  vault::Transaction tx(self->state.keystore(), overwrite);
  if (Status written = write(tx); !written.ok()) {
    promise.deliver(to_error(written));
    return;
  }
  persist(self, std::move(tx), answer<R>(Done{}), std::move(promise));
}

// write_into, answering the request the vault actor is handling.
template <EngineRequest R>
caf::result<Reply> write_into(VaultSelf self, const Location& into, vault::Overwrite overwrite,
                              const std::function<Status(vault::Transaction&)>& write) {
  auto promise = self->make_response_promise<Reply>();
  write_into<R>(self, into, overwrite, write, promise);
  return promise;
}

// The record's secret, type, public key and hint under a new version with the new expiry.
Status set_expiry(vault::Transaction& tx, const Location& at, std::int64_t expires_at) {
  constexpr vault::KeyTypes kAnyKey = vault::key_types(KeyType::seed, KeyType::ed25519, KeyType::x25519,
                                                       KeyType::secp256k1, KeyType::symmetric, KeyType::opaque);
  return tx.use(at, kAnyKey, [&](ByteView secret, const vault::RecordView& record) {
    return tx.put(at, record.type, secret, record.public_key, {std::string(record.hint), expires_at});
  });
}

caf::result<Reply> handle(VaultSelf self, ExpireKey& request) {
  if (request.expires_at != 0 && request.in != 0)
    return to_error(Status(Errc::invalid_argument, "give an expiry as a time or as seconds from now, not both"));
  std::uint64_t expires_at = request.expires_at;
  if (request.in != 0) {
    const auto& clock = self->state.snapshot->options().clock;
    const auto now = static_cast<std::uint64_t>(clock ? clock() : vault::unix_now());
    // Checked before adding: a sum that wrapped would be an expiry in the past, and gc would
    // wipe the key.
    if (request.in > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()) - now)
      return to_error(Status(Errc::invalid_argument, "an expiry that far from now is past the largest unix time"));
    expires_at = now + request.in;
  }
  auto options = expiring_at(expires_at);
  if (!options.ok())
    return to_error(options.status());
  return write_into<ExpireKey>(self, request.at, vault::Overwrite::replace,
                               [&](vault::Transaction& tx) { return set_expiry(tx, request.at, options->expires_at); });
}

caf::result<Reply> handle(VaultSelf self, SignSchnorr& request) {
  return reply<SignSchnorr>(
      vault::sign_schnorr(self->state.keystore(), request.at, request.message, request.aux_random));
}

Result<ExtendedPublic> extended_public(const vault::Keystore& keystore, const NodePublicKey& request) {
  SH_ASSIGN_OR_RETURN(vault::NodePublic node,
                      vault::derive_node_public(keystore, request.seed, request.path, request.curve));
  ExtendedPublic extended{
      node.depth, node.parent_fingerprint, node.child_number, std::move(node.chain_code), std::move(node.public_key),
      {}};
  if (request.curve == vault::Curve::secp256k1) {
    SH_ASSIGN_OR_RETURN(extended.xpub, vault::derive_xpub(keystore, request.seed, request.path));
  }
  return extended;
}

caf::result<Reply> handle(VaultSelf self, NodePublicKey& request) {
  return reply<NodePublicKey>(extended_public(self->state.keystore(), request));
}

// Runs `use` with the passphrase, or with none when it is empty.
Status with_passphrase(const Secret& passphrase, const std::function<Status(ByteView)>& use) {
  return passphrase.empty() ? use({}) : passphrase.open(use);
}

caf::result<Reply> handle(VaultSelf self, GenerateMnemonic& request) {
  self->state.generations->bump(request.at);
  vault::Transaction tx(self->state.keystore(), request.overwrite);
  Result<Secret> mnemonic = Status(Errc::internal, "no mnemonic was made");
  const Status made = with_passphrase(request.passphrase, [&](ByteView passphrase) {
    auto words = vault::generate_mnemonic(tx, request.at, request.words, passphrase, {}, request.language);
    if (!words.ok())
      return words.status();
    auto view = words->read();
    mnemonic = Secret::seal(view.bytes());
    return mnemonic.status();
  });
  if (!made.ok())
    return to_error(made);
  return persist(self, std::move(tx), answer<GenerateMnemonic>(std::move(*mnemonic)));
}

caf::result<Reply> handle(VaultSelf self, GenerateSeed& request) {
  return write_into<GenerateSeed>(self, request.at, request.overwrite, [&](vault::Transaction& tx) {
    return vault::generate_seed(tx, request.at, request.bytes);
  });
}

caf::result<Reply> handle(VaultSelf self, RecoverMnemonic& request) {
  return write_into<RecoverMnemonic>(self, request.at, request.overwrite, [&](vault::Transaction& tx) {
    return request.mnemonic.open([&](ByteView mnemonic) {
      return with_passphrase(request.passphrase, [&](ByteView passphrase) {
        return vault::recover_mnemonic(tx, request.at, mnemonic, passphrase, {}, request.language);
      });
    });
  });
}

// X25519 or secp256k1 ECDH, as the key's type says.
Status agree(vault::Transaction& tx, const AgreeKey& request) {
  SH_ASSIGN_OR_RETURN(const vault::RecordInfo info, tx.keystore().info(request.at));
  if (info.type == KeyType::x25519)
    return vault::x25519_agree(tx, request.at, request.peer, request.into);
  if (info.type == KeyType::secp256k1)
    return vault::ecdh_secp256k1(tx, request.at, request.peer, request.into);
  return error(Errc::wrong_key_type, "agreement needs an X25519 or a secp256k1 key, not {}",
               vault::key_type_name(info.type));
}

caf::result<Reply> handle(VaultSelf self, AgreeKey& request) {
  return write_into<AgreeKey>(self, request.into, request.overwrite,
                              [&](vault::Transaction& tx) { return agree(tx, request); });
}

caf::result<Reply> handle(VaultSelf self, Hmac& request) {
  return reply<Hmac>(vault::hmac(self->state.keystore(), request.at, request.hash, request.message));
}

caf::result<Reply> handle(VaultSelf self, Hkdf& request) {
  return write_into<Hkdf>(self, request.into, request.overwrite, [&](vault::Transaction& tx) {
    return vault::hkdf(tx, request.at, request.hash, request.salt, request.info, request.length, request.into);
  });
}

caf::result<Reply> handle(VaultSelf self, ConcatKdf& request) {
  return write_into<ConcatKdf>(self, request.into, request.overwrite, [&](vault::Transaction& tx) {
    const vault::AgreementInfo agreement{std::move(request.apu), std::move(request.apv), std::move(request.pub_info),
                                         std::move(request.priv_info), vault::KdfForm::identity};
    return vault::concat_kdf(tx, request.at, request.hash, request.algorithm_id, agreement, request.length,
                             request.into);
  });
}

caf::result<Reply> handle(VaultSelf self, WrapKey& request) {
  return reply<WrapKey>(vault::wrap_key(self->state.keystore(), request.at, request.with));
}

caf::result<Reply> handle(VaultSelf self, UnwrapKey& request) {
  return write_into<UnwrapKey>(self, request.into, request.overwrite, [&](vault::Transaction& tx) {
    return vault::unwrap_key(tx, request.wrapped, request.with, request.into);
  });
}

Status check_pbkdf2(const Pbkdf2& request) {
  if (request.rounds == 0 || request.rounds > kMaxPbkdf2Rounds)
    return error(Errc::invalid_argument, "PBKDF2 takes 1 to {} rounds", kMaxPbkdf2Rounds);
  if (request.length == 0 || request.length > vault::kMaxSecretSize)
    return error(Errc::invalid_argument, "a derived key is 1 to {} bytes", vault::kMaxSecretSize);
  return {};
}

// The key is derived in a worker and stored on the vault actor.
caf::result<Reply> handle(VaultSelf self, Pbkdf2& request) {
  if (Status valid = check_pbkdf2(request); !valid.ok())
    return to_error(valid);
  return after_password_kdf<Secret>(
      self,
      [self, into = request.into, overwrite = request.overwrite](const Secret& derived, Promise promise) {
        write_into<Pbkdf2>(
            self, into, overwrite,
            [&](vault::Transaction& tx) {
              return derived.open([&](ByteView key) { return tx.put(into, KeyType::symmetric, key, {}); });
            },
            std::move(promise));
      },
      request);
}

Result<AeadSealed> aead_seal(const vault::Keystore& keystore, const AeadEncrypt& request) {
  AeadSealed sealed{request.nonce, {}, {}};
  if (sealed.nonce.empty()) {
    sealed.nonce.resize(vault::aead_nonce_size(request.cipher));
    runtime::random_bytes(sealed.nonce);
  }
  SH_RETURN_IF_ERROR(request.plaintext.open([&](ByteView plaintext) {
    SH_ASSIGN_OR_RETURN(sealed.ciphertext,
                        vault::aead_encrypt_with_nonce(keystore, request.at, request.cipher, sealed.nonce, plaintext,
                                                       request.associated_data));
    return Status();
  }));
  const auto tag = sealed.ciphertext.end() - static_cast<std::ptrdiff_t>(vault::kAeadTagSize);
  sealed.tag.assign(tag, sealed.ciphertext.end());
  sealed.ciphertext.erase(tag, sealed.ciphertext.end());
  return sealed;
}

caf::result<Reply> handle(VaultSelf self, AeadEncrypt& request) {
  return reply<AeadEncrypt>(aead_seal(self->state.keystore(), request));
}

// The plaintext opens in scratch memory and leaves it sealed.
Result<Secret> aead_open(const vault::Keystore& keystore, const AeadDecrypt& request) {
  if (request.sealed.tag.size() != vault::kAeadTagSize)
    return Status(Errc::invalid_argument, "an AEAD tag is 16 bytes");
  Bytes ciphertext = request.sealed.ciphertext;
  ciphertext.insert(ciphertext.end(), request.sealed.tag.begin(), request.sealed.tag.end());
  runtime::ScratchFrame frame;
  SH_ASSIGN_OR_RETURN(auto plaintext, frame.take(request.sealed.ciphertext.size()));
  SH_RETURN_IF_ERROR(
      keystore.use(request.at, vault::key_types(KeyType::symmetric), [&](ByteView key, const vault::RecordView&) {
        return vault::aead_open_raw(request.cipher, key, request.sealed.nonce, ciphertext, request.associated_data,
                                    plaintext);
      }));
  return Secret::seal(plaintext);
}

caf::result<Reply> handle(VaultSelf self, AeadDecrypt& request) {
  return reply<AeadDecrypt>(aead_open(self->state.keystore(), request));
}

// The page of `items`, sorted by `key` (a projection to const K&), of those after `after` (all
// when it is empty), at most `limit` long.
template <class T, class K, class Key>
Result<std::vector<T>> page(std::vector<T> items, const std::optional<K>& after, std::uint32_t limit, Key key) {
  if (limit == 0 || limit > kMaxListPage)
    return error(Errc::invalid_argument, "a page of a listing holds 1 to {} items", kMaxListPage);
  std::sort(items.begin(), items.end(), [&](const T& a, const T& b) { return key(a) < key(b); });
  if (after)
    std::erase_if(items, [&](const T& item) { return key(item) <= *after; });
  if (items.size() > limit)
    items.resize(limit);
  return items;
}

std::optional<std::string> after_text(const std::string& after) {
  return after.empty() ? std::nullopt : std::optional(after);
}

caf::result<Reply> handle(VaultSelf self, ListSecrets& request) {
  std::vector<std::string> names = self->state.keystore().secret_names();
  std::erase_if(names, [](const std::string& name) { return name.starts_with(vault::kReservedSecretPrefix); });
  return reply<ListSecrets>(page(std::move(names), after_text(request.after), request.limit,
                                 [](const std::string& name) -> const std::string& { return name; }));
}

caf::result<Reply> handle(VaultSelf self, DeleteSecret& request) {
  vault::Transaction tx(self->state.keystore());
  if (Status deleted = tx.delete_secret(request.name); !deleted.ok())
    return to_error(deleted);
  return persist(self, std::move(tx), answer<DeleteSecret>(Done{}));
}

std::vector<RecordEntry> list_records(const vault::Keystore& keystore, const std::string& vault) {
  std::vector<RecordEntry> entries;
  for (vault::RecordInfo& info : keystore.list()) {
    if (info.revoked || (!vault.empty() && info.location.vault != vault))
      continue;
    auto public_key = keystore.public_key(info.location);  // none once expired
    entries.push_back({std::move(info.location), info.type, std::move(info.hint), info.version,
                       static_cast<std::uint64_t>(info.created_at), static_cast<std::uint64_t>(info.expires_at),
                       public_key.ok() ? std::move(*public_key) : Bytes()});
  }
  return entries;
}

caf::result<Reply> handle(VaultSelf self, ListRecords& request) {
  std::optional<Location> after;
  if (!request.after.empty()) {
    auto parsed = Location::parse(request.after);
    if (!parsed.ok())
      return to_error(parsed.status());
    after = std::move(*parsed);
  }
  return reply<ListRecords>(page(list_records(self->state.keystore(), request.vault), after, request.limit,
                                 [](const RecordEntry& entry) -> const Location& { return entry.location; }));
}

caf::result<Reply> handle(VaultSelf self, ExportVaults& request) {
  return reply<ExportVaults>(
      snapshot::export_to_recipient(self->state.keystore(), request.recipient, request.sign_with, request.vaults));
}

ImportReport import_report(const snapshot::ImportPlan& plan, bool imported) {
  ImportReport report{plan.sender, {}, imported};
  for (const vault::ImportedRecord& record : plan.records)
    report.records.push_back({record.kind, record.name, record.action});
  return report;
}

snapshot::ImportOptions import_options(vault::Overwrite merge, const Bytes& expected_sender) {
  return {merge == vault::Overwrite::replace ? snapshot::MergePolicy::replace : snapshot::MergePolicy::keep_existing,
          expected_sender};
}

caf::result<Reply> handle(VaultSelf self, ImportVaults& request) {
  vault::Transaction tx(self->state.keystore());
  snapshot::ImportPlan plan;
  const Status imported = snapshot::import_with_key(tx, request.file, request.key,
                                                    import_options(request.merge, request.expected_sender), plan);
  // Sealed to a key and with no sender to check, an export is only planned: the answer says
  // who signed it, for the importer to confirm (and watchers hear of no import).
  if (request.expected_sender.empty() && plan.complete) {
    self->state.announces_itself = true;
    return answer<ImportVaults>(import_report(plan, false));
  }
  if (!imported.ok())
    return to_error(imported);
  self->state.generations->bump_all();
  self->state.policies.forget_all();  // the export may bring policies
  return persist(self, std::move(tx), answer<ImportVaults>(import_report(plan, true)));
}

// A handler's Result as the answer `promise` gives.
template <EngineRequest R>
void deliver(Promise& promise, Result<typename R::Answer> result) {
  if (result.ok())
    promise.deliver(answer<R>(std::move(result).value()));
  else
    promise.deliver(to_error(result.status()));
}

// The transfer key is derived in a worker; the export is made on the state as it is then.
caf::result<Reply> handle(VaultSelf self, ExportWithPassword& request) {
  return after_password_kdf<SharedTransferPassword>(
      self,
      [self, sign_with = request.sign_with, vaults = request.vaults](const SharedTransferPassword& password,
                                                                     Promise promise) {
        deliver<ExportWithPassword>(
            promise, snapshot::export_with_password(self->state.keystore(), *password, sign_with, vaults));
      },
      request);
}

// `asked`: the request's entry, announced once the import is staged (its KDF says nothing about
// the file).
void import_with_password(VaultSelf self, const ImportWithPassword& request, const snapshot::TransferPassword& password,
                          const std::optional<snapshot::AuditEntry>& asked, Promise promise) {
  vault::Transaction tx(self->state.keystore());
  snapshot::ImportPlan plan;
  const Status imported = snapshot::import_with_password(tx, request.file, password,
                                                         import_options(request.merge, request.expected_sender), plan);
  if (!imported.ok()) {
    if (asked)
      report_failure(self, *asked, imported);
    promise.deliver(to_error(imported));
    return;
  }
  if (asked)
    announce(self, {*asked});
  self->state.generations->bump_all();
  self->state.policies.forget_all();  // the export may bring policies
  persist(self, std::move(tx), answer<ImportWithPassword>(import_report(plan, true)), std::move(promise));
}

// The transfer key is derived in a worker (after the file's signature verified there).
caf::result<Reply> handle(VaultSelf self, ImportWithPassword& request) {
  ImportWithPassword for_worker = request;  // the worker's message takes a copy of its own
  std::optional<snapshot::AuditEntry> asked = asked_entry(self);
  self->state.announces_itself = true;
  return after_password_kdf<SharedTransferPassword>(
      self,
      [self, request = std::move(request), asked = std::move(asked)](const SharedTransferPassword& password,
                                                                     Promise promise) {
        import_with_password(self, request, *password, asked, std::move(promise));
      },
      std::move(for_worker));
}

// ---- policies

// Journals the transaction's changes, if it made any, then answers with `result`.
template <EngineRequest R>
caf::result<Reply> commit(VaultSelf self, vault::Transaction&& tx, Result<typename R::Answer> result) {
  if (!result.ok())
    return to_error(result.status());
  if (tx.empty())
    return answer<R>(std::move(result).value());
  return persist(self, std::move(tx), answer<R>(std::move(result).value()));
}

// ---- Rust Stronghold snapshots: both KDFs are cheap and bounded, so all runs here

caf::result<Reply> handle(VaultSelf self, ImportStronghold& request) {
  vault::Transaction tx(self->state.keystore(), request.merge);
  Result<ImportReport> report = import_rust_stronghold(tx, request);
  if (report.ok() && !tx.empty())
    self->state.generations->bump_all();
  return commit<ImportStronghold>(self, std::move(tx), std::move(report));
}

caf::result<Reply> handle(VaultSelf, InspectStronghold& request) {
  return reply<InspectStronghold>(inspect_rust_stronghold(request));
}

// The vault path, and the record path (empty for the vault's own policy), that a policy request
// names.
Status check_policy_scope(const std::string& vault, const std::string& record) {
  if (record.empty())
    return Location::check_vault(vault);
  return Location::make(vault, record).status();
}

caf::result<Reply> handle(VaultSelf self, SetPolicy& request) {
  if (Status scope = check_policy_scope(request.vault, request.record); !scope.ok())
    return to_error(scope);
  auto policy = to_policy(request.rules);
  if (!policy.ok())
    return to_error(policy.status());
  auto& state = self->state;
  vault::Transaction tx(state.keystore());
  if (Status written = vault::write_policy(tx, request.vault, request.record, *policy); !written.ok())
    return to_error(written);
  // Signatures on the caller's thread stop for the keys the policy governs.
  if (request.record.empty())
    state.generations->bump_all();
  else
    state.generations->bump(Location{request.vault, request.record});
  state.policies.changed(request.vault, request.record,
                         policy->restricts() ? std::optional<vault::Policy>(*policy) : std::nullopt);
  return commit<SetPolicy>(self, std::move(tx), Done{});
}

caf::result<Reply> handle(VaultSelf self, ShowPolicy& request) {
  if (Status scope = check_policy_scope(request.vault, request.record); !scope.ok())
    return to_error(scope);
  return reply<ShowPolicy>(self->state.policies.show(self->state.keystore(), request.vault, request.record));
}

void reserve_ahead(VaultSelf self, vault::Transaction&& tx, std::vector<UseReservation> reservations);

// Why an engine without a node name keeps no log on a node's file (configure_audit).
Status cluster_file_alone() {
  return Status(Errc::unsupported,
                "this snapshot is a node's of a cluster: its audit log is the node's; use it through the node, or "
                "`audit set` here to take the file out of the cluster's logging");
}

// The audit log as the snapshot sets it. Settings that cannot be read keep every request out
// (as a log that cannot be written does in fail-closed mode), except those that manage the log.
void configure_audit(VaultSelf self) {
  auto& audit = self->state.audit;
  // A log written without commits still gets its head recorded, at most a second late; not on
  // a node of a cluster, where that commit is an append to the shared journal, whose failure (a
  // conflict, etcd out of reach) restarts the node's state: its head goes with its own writes.
  audit.set_on_written([self] {
    if (!self->state.shared && self->state.audit.anchor_due())
      reserve_ahead(self, vault::Transaction(self->state.keystore()), {});
  });
  auto settings = vault::read_audit_settings(self->state.keystore(), audit.place().node);
  if (settings.ok() && settings->cluster && audit.place().node.empty() && settings->mode != vault::AuditMode::off) {
    // A node's file opened alone: its log is the node's, anchored under the node's name, and an
    // anchor written here would be an entry outside the cluster. Best-effort logs nothing here;
    // fail-closed refuses.
    if (settings->mode == vault::AuditMode::fail_closed) {
      audit.fail(cluster_file_alone());
      return;
    }
    settings->mode = vault::AuditMode::off;
  }
  if (settings.ok())
    audit.configure(self->state.keystore(), *settings);
  else
    audit.fail(settings.status());
}

// Once the entries before it are written (this request's own among them, so that turning the log
// off is logged while the log works), sets the mode and starts the log again as it stands.
void apply_audit_mode(VaultSelf self, vault::AuditMode mode, Promise promise) {
  auto& state = self->state;
  state.audit.drain(self, [self, mode, promise]() mutable {
    auto& state = self->state;
    vault::Transaction tx(state.keystore());
    if (Status written = vault::write_audit_mode(tx, mode, state.audit.place().node); !written.ok()) {
      promise.deliver(to_error(written));
      return;
    }
    state.audit.restart_log();  // before staging: the transaction drops the anchor, nothing re-adds it
    // The log follows the mode once the mode is durable: a write refused (in a cluster, another
    // node's came first, with a key of its own) leaves no log under a key the snapshot never kept.
    after_durable(self, std::move(tx), std::move(promise), [self](Promise& durable) {
      configure_audit(self);
      self->state.generations->bump_all();  // while the log is on, every signature goes through this actor
      durable.deliver(answer<SetAuditMode>(Done{}));
    });
  });
}

// Takes the snapshot's password, whoever asks: the mode decides what is recorded of everyone. On
// a node's file opened alone, it takes the file out of the cluster's logging (a cluster retired).
caf::result<Reply> handle(VaultSelf self, SetAuditMode& request) {
  if (self->state.audit.place().path.empty())
    return to_error(Status(Errc::unsupported, "this engine keeps no audit log"));
  return after_password_kdf<Reply>(
      self, [self, mode = request.mode](Reply&, Promise promise) { apply_audit_mode(self, mode, std::move(promise)); },
      self->state.snapshot->header(), CheckPassword{request.password});
}

// Sends a request to the actor that owns the log once every entry before it is written, so that
// the answer covers everything up to it.
template <class R, class... Extra>
caf::result<Reply> ask_log(VaultSelf self, R& request, Extra... extra) {
  auto log = self->state.audit.log_actor(self);
  if (!log.ok())
    return to_error(log.status());
  auto promise = self->make_response_promise<Reply>();
  const std::uint64_t id = self->state.waiting.add(promise);
  self->state.audit.drain(self, [self, promise, id, log = *log, request = std::move(request), extra...]() mutable {
    self->state.waiting.done(id);
    promise.delegate(log, std::move(request), std::move(extra)...);
  });
  return promise;
}

caf::result<Reply> handle(VaultSelf self, VerifyAudit& request) {
  const std::string& node = self->state.audit.place().node;
  auto settings = vault::read_audit_settings(self->state.keystore(), node);
  if (!settings.ok())
    return to_error(settings.status());
  if (settings->cluster && node.empty())
    return to_error(cluster_file_alone());  // its anchor is under the node's name
  return ask_log(self, request, *settings);
}

caf::result<Reply> handle(VaultSelf self, ShowAudit& request) { return ask_log(self, request); }

// ---- client identities (vault/clients.hpp)

// Stages `change` once `password` proved to be the snapshot's (its KDF in a worker), then persists
// it: whoever asks, only the password's holder changes who may prove a client name.
template <EngineRequest R>
caf::result<Reply> with_password(VaultSelf self, const Secret& password,
                                 std::function<Status(vault::Transaction&)> change) {
  return after_password_kdf<Reply>(
      self,
      [self, change = std::move(change)](Reply&, Promise promise) {
        vault::Transaction tx(self->state.keystore());
        if (Status changed = change(tx); !changed.ok()) {
          promise.deliver(to_error(changed));
          return;
        }
        persist(self, std::move(tx), answer<R>(Done{}), std::move(promise));
      },
      self->state.snapshot->header(), CheckPassword{password});
}

// Registers a key in `registry` once the password proved to be the snapshot's.
template <EngineRequest R>
caf::result<Reply> add_registered(VaultSelf self, const vault::KeyRegistry& registry, const R& request) {
  if (Status name = registry.check_name(request.name); !name.ok())
    return to_error(name);  // before a KDF is spent on it
  return with_password<R>(self, request.password,
                          [&registry, name = request.name, key = request.public_key, overwrite = request.overwrite](
                              vault::Transaction& tx) { return registry.add(tx, name, key, overwrite); });
}

caf::result<Reply> handle(VaultSelf self, ClientAdd& request) {
  return add_registered(self, vault::client_registry(), request);
}

// Removes a key from `registry` (by `remove`) once the password proved to be the snapshot's.
template <EngineRequest R>
caf::result<Reply> remove_registered(VaultSelf self, const vault::KeyRegistry& registry, const R& request,
                                     Status (*remove)(vault::Transaction&, const std::string&)) {
  if (Status name = registry.check_name(request.name); !name.ok())
    return to_error(name);
  return with_password<R>(self, request.password,
                          [remove, name = request.name](vault::Transaction& tx) { return remove(tx, name); });
}

caf::result<Reply> handle(VaultSelf self, ClientRemove& request) {
  return remove_registered(self, vault::client_registry(), request, vault::remove_client);
}

// Every key of `registry`, or only `name`'s (none when it is not registered).
Result<std::vector<ClientEntry>> registry_entries(const vault::KeyRegistry& registry, const vault::Keystore& keystore,
                                                  const std::string& name) {
  std::vector<ClientEntry> entries;
  if (!name.empty()) {
    auto key = registry.read(keystore, name);
    if (key.status().code() == Errc::not_found)
      return entries;
    SH_RETURN_IF_ERROR(key.status());
    entries.push_back({name, std::move(*key)});
    return entries;
  }
  SH_ASSIGN_OR_RETURN(std::vector<vault::RegisteredKey> keys, registry.list(keystore));
  for (vault::RegisteredKey& key : keys)
    entries.push_back({std::move(key.name), std::move(key.public_key)});
  return entries;
}

// An engine alone answers at once. The shared journal's view takes etcd's round trips: a detached
// worker waits for them, and the state's position is the one when the request came.
caf::result<Reply> handle(VaultSelf self, ClusterStatus&) {
  const std::uint64_t position = self->state.snapshot->position().next_sequence;
  if (!self->state.shared)
    return answer<ClusterStatus>(ClusterState{.node = {}, .position = position, .head = position});
  auto worker = self->spawn<caf::detached>(
      [shared = self->state.shared, position](caf::event_based_actor* worker) -> caf::behavior {
        return {[worker, shared, position](view_atom) -> caf::result<Reply> {
          worker->quit();
          auto view = shared->view();
          if (!view.ok())
            return to_error(view.status());
          view->position = position;
          return answer<ClusterStatus>(std::move(*view));
        }};
      });
  auto promise = self->make_response_promise<Reply>();
  self->request(worker, self->state.journal_timeout, view_atom::value)
      .then([promise](Reply& view) mutable { promise.deliver(std::move(view)); },
            [promise](caf::error& failure) mutable { promise.deliver(std::move(failure)); });
  return promise;
}

caf::result<Reply> handle(VaultSelf self, ClientList& request) {
  return reply<ClientList>(registry_entries(vault::client_registry(), self->state.keystore(), request.name));
}

// ---- approvals (vault/approvals.hpp, approval_desk.hpp)

caf::result<Reply> handle(VaultSelf self, ApproverAdd& request) {
  return add_registered(self, vault::approver_registry(), request);
}

caf::result<Reply> handle(VaultSelf self, ApproverRemove& request) {
  return remove_registered(self, vault::approver_registry(), request, vault::remove_approver);
}

caf::result<Reply> handle(VaultSelf self, ApproverList& request) {
  return reply<ApproverList>(registry_entries(vault::approver_registry(), self->state.keystore(), request.name));
}

// The rule as the snapshot sets it. A rule that cannot be read holds back every default kind for
// good (fail closed) until approval.set writes a good one.
void configure_approvals(VaultSelf self) {
  auto rule = vault::read_approval_rule(self->state.keystore());
  self->state.approval_rule =
      rule.ok() ? *rule : vault::ApprovalRule{std::numeric_limits<std::uint32_t>::max(), default_approval_kinds(), 1};
  // While approvals are on, every signature goes through this actor, where the rule applies.
  self->state.generations->bump_all();
}

caf::result<Reply> handle(VaultSelf self, SetApprovalRule& request) {
  vault::ApprovalRule rule{request.threshold, request.kinds, request.deadline_seconds};
  if (rule.kinds.empty())
    rule.kinds = default_approval_kinds();
  if (!std::all_of(rule.kinds.begin(), rule.kinds.end(), is_request_kind))
    return to_error(Status(Errc::invalid_argument, "an approval rule names only request kinds"));
  return with_password<SetApprovalRule>(self, request.password, [self, rule](vault::Transaction& tx) {
    SH_ASSIGN_OR_RETURN(self->state.approval_rule, vault::write_approval_rule(tx, rule));
    self->state.generations->bump_all();
    return Status();
  });
}

std::int64_t now_s() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// A log entry about a request that waits (pending), got an approval (approved) or expired.
snapshot::AuditEntry approval_entry(const ApprovalDesk::Entry& entry, snapshot::AuditOutcome outcome,
                                    std::string rule) {
  snapshot::AuditEntry logged;
  logged.time_ms = now_s() * 1000;
  logged.caller = entry.caller;
  logged.kind = static_cast<std::uint16_t>(entry.kind);
  logged.location = entry.location;
  logged.outcome = outcome;
  logged.rule = std::move(rule);
  std::copy_n(entry.digest.begin(), logged.digest.size(), logged.digest.begin());
  return logged;
}

void log_approval(VaultSelf self, const ApprovalDesk::Entry& entry, snapshot::AuditOutcome outcome, std::string rule) {
  if (!self->state.audit.on() && !watched(self))
    return;
  std::vector<snapshot::AuditEntry> entries{approval_entry(entry, outcome, std::move(rule))};
  announce(self, entries);
  if (self->state.audit.on())
    self->state.audit.record(self, std::move(entries));
}

// Drops the requests whose deadline passed, and logs that they expired.
void expire_approvals(VaultSelf self) {
  for (const ApprovalDesk::Entry& expired : self->state.approvals.expire(now_s()))
    log_approval(self, expired, snapshot::AuditOutcome::expired, "request " + expired.id + ": deadline passed");
}

caf::result<Reply> handle(VaultSelf self, ListApprovals&) {
  expire_approvals(self);
  std::vector<PendingRequest> pending;
  for (const ApprovalDesk::Entry& entry : self->state.approvals.entries())
    pending.push_back(pending_request(entry, self->state.approval_rule.threshold));
  return answer<ListApprovals>(std::move(pending));
}

caf::result<Reply> handle(VaultSelf self, Approve& request) {
  auto& state = self->state;
  expire_approvals(self);
  auto entry = state.approvals.find(request.id);
  if (!entry.ok())
    return to_error(entry.status());
  auto key = vault::approver_registry().read(state.keystore(), request.approver);
  if (key.status().code() == Errc::not_found)
    return to_error(error(Errc::denied, "{} is no registered approver", request.approver));
  if (!key.ok())
    return to_error(key.status());
  if (Status approved = approve(**entry, request.approver, *key, request.signature); !approved.ok())
    return to_error(approved);
  log_approval(self, **entry, snapshot::AuditOutcome::approved, "approver " + request.approver);
  return answer<Approve>(Done{});
}

// ---- the identity storage's requests, in the order the DID's partition hands them on

// Secret::open, or `use` of an empty view when no secret was given.
template <class Use>
Status open_optional(const Secret& secret, Use&& use) {
  if (secret.empty())
    return use(ByteView());
  return secret.open(std::forward<Use>(use));
}

caf::result<Reply> handle(VaultSelf self, DidCreate& request) {
  vault::Transaction tx(self->state.keystore());
  Result<vault::CreatedDid> created = Status(Errc::internal, "no DID was created");
  if (Status opened = open_optional(request.private_key,
                                    [&](ByteView plain) {
                                      created = vault::create_did(tx, request.network, request.fragment, plain);
                                      return created.status();
                                    });
      !opened.ok())
    return to_error(opened);
  return persist(self, std::move(tx),
                 answer<DidCreate>(DidCreated{std::move(created->did), std::move(created->location)}));
}

caf::result<Reply> handle(VaultSelf self, DidList& request) {
  return reply<DidList>(page(vault::list_dids(self->state.keystore()), after_text(request.after), request.limit,
                             [](const vault::Did& did) -> const std::string& { return did.to_string(); }));
}

caf::result<Reply> handle(VaultSelf self, DidExists& request) {
  return answer<DidExists>(vault::did_exists(self->state.keystore(), request.did));
}

caf::result<Reply> handle(VaultSelf self, DidPurge& request) {
  vault::Transaction tx(self->state.keystore());
  Result<bool> purged = vault::purge_did(tx, request.did);
  if (!tx.empty())
    self->state.generations->bump_all();  // every key of the DID goes
  return commit<DidPurge>(self, std::move(tx), std::move(purged));
}

caf::result<Reply> handle(VaultSelf self, DidKeyGenerate& request) {
  vault::Transaction tx(self->state.keystore());
  Result<vault::KeyLocation> generated = vault::generate_identity_key(tx, request.did, request.type, request.fragment);
  return commit<DidKeyGenerate>(self, std::move(tx), std::move(generated));
}

caf::result<Reply> handle(VaultSelf self, DidKeyInsert& request) {
  if (request.private_key.empty())
    return to_error(Status(Errc::invalid_key, "no private key given"));
  self->state.generations->bump(vault::identity_record(request.did, request.location));
  vault::Transaction tx(self->state.keystore());
  const Status inserted = request.private_key.open(
      [&](ByteView plain) { return vault::insert_identity_key(tx, request.did, request.location, plain); });
  if (!inserted.ok())
    return to_error(inserted);
  return commit<DidKeyInsert>(self, std::move(tx), Done{});
}

caf::result<Reply> handle(VaultSelf self, DidKeyPublic& request) {
  return reply<DidKeyPublic>(vault::identity_public_key(self->state.keystore(), request.did, request.location));
}

caf::result<Reply> handle(VaultSelf self, DidKeyDelete& request) {
  self->state.generations->bump(vault::identity_record(request.did, request.location));
  vault::Transaction tx(self->state.keystore());
  Result<bool> deleted = vault::delete_identity_key(tx, request.did, request.location);
  return commit<DidKeyDelete>(self, std::move(tx), std::move(deleted));
}

caf::result<Reply> handle(VaultSelf self, DidKeyExists& request) {
  return answer<DidKeyExists>(vault::identity_key_exists(self->state.keystore(), request.did, request.location));
}

caf::result<Reply> handle(VaultSelf self, DidKeySign& request) {
  if (request.location.type() != vault::IdentityKeyType::ed25519)
    return to_error(Status(Errc::wrong_key_type, "only Ed25519 keys sign"));
  SignBatch batch{vault::identity_record(request.did, request.location), std::move(request.messages)};
  return handle(self, batch);
}

// The plaintext leaves sealed.
Result<Secret> did_decrypt(const vault::Keystore& keystore, const DidDecrypt& request) {
  SH_ASSIGN_OR_RETURN(const Bytes plaintext,
                      vault::identity_decrypt(keystore, request.did, request.location, request.data, request.content,
                                              request.management, request.agreement));
  return Secret::seal(plaintext);
}

caf::result<Reply> handle(VaultSelf self, DidDecrypt& request) {
  return reply<DidDecrypt>(did_decrypt(self->state.keystore(), request));
}

caf::result<Reply> handle(VaultSelf self, DidValueGet& request) {
  auto value = vault::identity_value(self->state.keystore(), request.did, request.which);
  if (!value.ok())
    return to_error(value.status());
  return answer<DidValueGet>(IdentityJson{value->has_value(), value->value_or(std::string())});
}

caf::result<Reply> handle(VaultSelf self, DidValueSet& request) {
  vault::Transaction tx(self->state.keystore());
  if (Status set = vault::set_identity_value(tx, request.did, request.which, request.json); !set.ok())
    return to_error(set);
  return commit<DidValueSet>(self, std::move(tx), Done{});
}

// The vault actor's table: every kind. The identity storage's kinds reach it through the DID's
// partition, which orders them (the supervisor sends those to the identity registry).

template <EngineRequest R>
caf::result<Reply> unpack(VaultSelf self, caf::message& message) {
  R* request = request_in<R>(message);
  if (request == nullptr)
    return envelope_mismatch();
  return handle(self, *request);
}

const DispatchTable<VaultHandler>& vault_handlers() {
  static const auto table =
      make_dispatch_table<VaultHandler>([](auto request) -> VaultHandler { return &unpack<decltype(request)>; });
  return table;
}

// What a request asks of the policies, read from its fields.
using FactsReader = PolicyFacts (*)(caf::message&);

template <EngineRequest R>
PolicyFacts facts_in(caf::message& message) {
  const R* request = request_in<R>(message);
  return request != nullptr ? policy_facts(*request) : PolicyFacts{kind_of<R>, {}, false, 0, false, {}};
}

const DispatchTable<FactsReader>& facts_readers() {
  static const auto table =
      make_dispatch_table<FactsReader>([](auto request) -> FactsReader { return &facts_in<decltype(request)>; });
  return table;
}

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Makes a change durable without holding a request: the next block of uses, written while the
// current one lasts, or the audit log's head (stage adds it to any transaction). A failed write restarts the actors
// from the file, like any failed append.
void reserve_ahead(VaultSelf self, vault::Transaction&& tx, std::vector<UseReservation> reservations) {
  auto& state = self->state;
  auto staged = stage(self, std::move(tx));
  if (!staged.ok()) {
    self->quit(to_error(staged.status()));  // memory may be ahead of the file: restart from it
    return;
  }
  self->request(state.writer, state.journal_timeout, append_atom::value, std::move(staged->entry))
      .then(
          [self, ticket = staged->ticket, reservations = std::move(reservations)](caf::ok_atom) {
            made_durable(self, ticket);
            for (const UseReservation& reservation : reservations)
              self->state.policies.reserved(reservation);
          },
          [self](caf::error& failure) { self->quit(failure); });
}

PolicyFacts facts_of(Envelope& envelope) {
  return facts_readers()[static_cast<std::size_t>(envelope.kind)](envelope.request);
}

// Requests that manage the audit log itself run while it cannot be written (their entries are
// written when it can), so that a broken log can be examined and its mode changed.
bool manages_audit(RequestKind kind) {
  return kind == RequestKind::SetAuditMode || kind == RequestKind::VerifyAudit || kind == RequestKind::ShowAudit;
}

// Answers a request that policy refused, once its entry is durable in fail-closed mode.
caf::result<Reply> refuse(VaultSelf self, const PolicyFacts& facts, const vault::Caller& caller, const Status& denial) {
  auto& audit = self->state.audit;
  if (!audit.on() && !watched(self))
    return to_error(denial);
  auto entries = audit_entries(facts, caller, now_ms());
  mark_outcome(entries, snapshot::AuditOutcome::denied, denial);
  announce(self, entries);
  if (!audit.on())
    return to_error(denial);
  if (!audit.fail_closed()) {
    audit.record(self, std::move(entries));
    return to_error(denial);
  }
  auto promise = self->make_response_promise<Reply>();
  audit.record(self, std::move(entries),
               [promise, denial](const Status&) mutable { promise.deliver(to_error(denial)); });
  return promise;
}

// Runs the handler and logs the request: allowed, or failed when the handler failed at once. The
// entries are read first: a handler may move the request's fields away. With `failures_only`
// (its allowed entry is durable already) only a failure is logged.
caf::result<Reply> run_logged(VaultSelf self, VaultHandler handler, Envelope& envelope, bool failures_only) {
  auto entries = audit_entries(facts_of(envelope), envelope.caller, now_ms());
  auto result = serve(self, handler, envelope);
  const bool failed = result.flag == caf::rt_error;
  if (failed)
    mark_outcome(entries, snapshot::AuditOutcome::failed, to_status(result.err));
  if (failed || !self->state.announces_itself)
    announce(self, entries);
  if (self->state.audit.on() && (failed || !failures_only))
    self->state.audit.record(self, std::move(entries));
  return result;
}

// The approval digest of a request the rule holds back; none when it runs without approvals.
using ApprovalReader = Result<std::optional<Bytes>> (*)(const vault::ApprovalRule&, Envelope&);

template <EngineRequest R>
Result<std::optional<Bytes>> approval_digest_in(const vault::ApprovalRule& rule, Envelope& envelope) {
  const R* request = request_in<R>(envelope.request);
  if (request == nullptr)
    return to_status(envelope_mismatch());
  if (!needs_approval(rule, kind_of<R>, replaces(*request)))
    return std::optional<Bytes>();
  SH_ASSIGN_OR_RETURN(const runtime::SecretBytes encoding, encoding_without_secrets(*request));
  SH_ASSIGN_OR_RETURN(Bytes digest, approval_digest(kind_of<R>, envelope.caller, encoding));
  return std::optional<Bytes>(std::move(digest));
}

const DispatchTable<ApprovalReader>& approval_readers() {
  static const auto table = make_dispatch_table<ApprovalReader>(
      [](auto request) -> ApprovalReader { return &approval_digest_in<decltype(request)>; });
  return table;
}

// Holds back a request the approval rule names until enough approvers approved its digest
// (pending_approval until then); ok when it may run, which consumes the approvals.
Status hold_for_approval(VaultSelf self, Envelope& envelope) {
  auto& state = self->state;
  if (!state.approval_rule.on())
    return {};
  expire_approvals(self);
  SH_ASSIGN_OR_RETURN(std::optional<Bytes> digest,
                      approval_readers()[static_cast<std::size_t>(envelope.kind)](state.approval_rule, envelope));
  if (!digest)
    return {};
  const auto logged = audit_entries(facts_of(envelope), envelope.caller, now_ms());
  ApprovalDesk::Entry entry{{},
                            std::move(*digest),
                            envelope.kind,
                            logged.empty() ? envelope.caller.to_string() : logged.front().caller,
                            logged.empty() ? std::string() : logged.front().location,
                            now_s() + state.approval_rule.deadline_seconds,
                            {}};
  bool created = false;
  Status admitted = state.approvals.admit(std::move(entry), state.approval_rule.threshold, created);
  if (created)
    log_approval(self, state.approvals.entries().back(), snapshot::AuditOutcome::pending,
                 "request " + state.approvals.entries().back().id + ": waits for approvals");
  return admitted;
}

// Runs an admitted request and logs it. In fail-closed mode its entry is durable before it runs,
// and nothing runs while the log cannot be written.
caf::result<Reply> run_audited(VaultSelf self, VaultHandler handler, Envelope& envelope) {
  if (Status held = hold_for_approval(self, envelope); !held.ok())
    return to_error(held);
  auto& audit = self->state.audit;
  if (!audit.on() && !watched(self))
    return serve(self, handler, envelope);
  if (!audit.fail_closed() || manages_audit(envelope.kind))
    return run_logged(self, handler, envelope, false);
  auto promise = self->make_response_promise<Reply>();
  const std::uint64_t id = self->state.waiting.add(promise);
  audit.record(self, audit_entries(facts_of(envelope), envelope.caller, now_ms()),
               [self, promise, id, envelope](const Status& durable) mutable {
                 self->state.waiting.done(id);
                 if (!durable.ok()) {
                   promise.deliver(
                       to_error(error(Errc::unavailable, "refused in fail-closed audit mode: {}", durable.message())));
                   return;
                 }
                 promise.delegate(caf::actor_cast<vault_actor>(self), audited_atom::value, std::move(envelope));
               });
  return promise;
}

// Runs the request when its policies admit it. A use reservation is made durable first, so a
// crash never forgets a use that was made (policy.hpp).
caf::result<Reply> admit_and_run(VaultSelf self, VaultHandler handler, Envelope& envelope) {
  auto& state = self->state;
  const PolicyFacts facts = facts_of(envelope);
  auto reservations = state.policies.admit(state.keystore(), facts, envelope.caller, now_ms());
  if (!reservations.ok())
    return refuse(self, facts, envelope.caller, reservations.status());
  if (reservations->empty())
    return run_audited(self, handler, envelope);
  vault::Transaction tx(state.keystore());
  for (const UseReservation& reservation : *reservations)
    if (Status written = vault::write_reserved_uses(tx, reservation.vault, reservation.record, reservation.uses);
        !written.ok())
      return to_error(written);
  const bool wait = std::any_of(reservations->begin(), reservations->end(),
                                [](const UseReservation& reservation) { return reservation.wait; });
  if (!wait) {  // written ahead, while the request runs
    reserve_ahead(self, std::move(tx), std::move(*reservations));
    return run_audited(self, handler, envelope);
  }
  auto promise = self->make_response_promise<Reply>();
  after_durable(
      self, std::move(tx), promise,
      [self, reservations = std::move(*reservations), envelope = std::move(envelope)](Promise& durable) mutable {
        for (const UseReservation& reservation : reservations)
          self->state.policies.reserved(reservation);
        durable.delegate(caf::actor_cast<vault_actor>(self), admitted_atom::value, std::move(envelope));
      });
  return promise;
}

// Writes each use count whose reservation runs ahead as the uses made, and the audit log's head,
// once every entry is written: what a clean close leaves.
void write_exact_counts(VaultSelf self, caf::typed_response_promise<caf::ok_atom> promise) {
  auto& state = self->state;
  std::vector<UseReservation> exact = state.policies.exact_counts();
  if (exact.empty() && !state.audit.unanchored()) {
    promise.deliver(caf::ok_atom::value);
    return;
  }
  vault::Transaction tx(state.keystore());
  for (const UseReservation& count : exact)
    if (Status written = vault::write_reserved_uses(tx, count.vault, count.record, count.uses); !written.ok()) {
      promise.deliver(to_error(written));
      return;
    }
  after_durable(self, std::move(tx), promise,
                [self, exact = std::move(exact)](caf::typed_response_promise<caf::ok_atom>& durable) {
                  for (const UseReservation& count : exact)
                    self->state.policies.reserved(count);
                  durable.deliver(caf::ok_atom::value);
                });
}

caf::result<caf::ok_atom> settle(VaultSelf self) {
  auto promise = self->make_response_promise<caf::ok_atom>();
  const std::uint64_t id = self->state.waiting.add(promise);
  self->state.audit.drain(self, [self, promise, id] {
    self->state.waiting.done(id);
    write_exact_counts(self, promise);
  });
  return promise;
}

using Stage = VaultActorState::Stage;

// Runs `envelope` from `stage` on.
caf::result<Reply> run_from(VaultSelf self, Envelope& envelope, Stage stage) {
  const VaultHandler handler = handler_of(vault_handlers(), envelope.kind);
  switch (stage) {
    case Stage::arrived: return admit_and_run(self, handler, envelope);
    case Stage::admitted: return run_audited(self, handler, envelope);
    case Stage::audited: return run_logged(self, handler, envelope, true);
  }
  return to_error(Status(Errc::internal, "a request at an unknown stage"));
}

// Runs `envelope` from `stage` on, or has it wait for the pending writes it names (durable before
// visible, pending_writes.hpp). As it arrives it also waits behind the requests already waiting on
// its places; at a later stage it came before them, and waits for the pending writes only.
caf::result<Reply> proceed(VaultSelf self, Envelope& envelope, Stage stage) {
  auto& state = self->state;
  if (state.pending_writes.idle())
    return run_from(self, envelope, stage);
  Places places = places_named(state.keystore(), facts_of(envelope));
  const bool wait =
      stage == Stage::arrived ? state.pending_writes.must_wait(places) : state.pending_writes.holds(places);
  if (!wait)
    return run_from(self, envelope, stage);
  auto promise = self->make_response_promise<Reply>();
  const std::uint64_t id = state.waiting.add(promise);
  state.deferred.emplace(state.pending_writes.wait(std::move(places)),
                         VaultActorState::Deferred{std::move(envelope), promise, id, stage});
  return promise;
}

// Runs a request that waited (release_deferred sent it), then releases the ones it held back.
caf::result<Reply> run_released(VaultSelf self, std::uint64_t waiter) {
  auto& state = self->state;
  const auto found = state.deferred.find(waiter);
  if (found == state.deferred.end())
    return to_error(Status(Errc::internal, "no request waits under that number"));
  if (state.pending_writes.held_again(waiter)) {
    auto promise = self->make_response_promise<Reply>();  // this message's: the original requester's
    found->second.promise = promise;
    found->second.id = state.waiting.add(promise);
    return promise;
  }
  VaultActorState::Deferred deferred = std::move(found->second);
  state.deferred.erase(found);
  state.pending_writes.ran(waiter);
  auto result = run_from(self, deferred.envelope, deferred.stage);
  release_deferred(self);  // a write it staged holds back the ones behind it
  return result;
}

// Applies the entries of the shared journal that follow the state, in order, and has the
// snapshot actor append them to the file; returns the sequence number of the entry the state
// needs next. The state and the others' entries are visible at once: the shared journal has
// made them durable. Entries before it are skipped (this engine's own, or ones its restart will
// bring); it stops at a gap, and at an entry that does not open or fit (a damaged journal, or one
// of another snapshot key), which stays unapplied: the engine refuses writes from then on (they
// would conflict) and the follower retries.
std::uint64_t receive_shared(VaultSelf self, std::vector<SharedEntry>& entries) {
  auto& state = self->state;
  std::vector<snapshot::StagedEntry> applied;
  for (SharedEntry& shared : entries) {
    const std::uint64_t next = state.snapshot->position().next_sequence;
    if (shared.sequence < next)
      continue;
    if (shared.sequence > next)
      break;
    auto entry = state.snapshot->receive(shared.bytes);
    if (!entry.ok()) {
      // Said once, not at every retry; and not while this engine's own entries wait for the shared
      // journal: an entry that does not follow them is another engine's that came first, so their
      // append is refused and the state restarts from the file (a conflict, not damage).
      if (state.pending_writes.idle() && entry.status().message() != state.shared_failure) {
        (void)std::fprintf(stderr, "stronghold: the shared journal's %s\n", entry.status().message().c_str());
        state.shared_failure = entry.status().message();
      }
      break;
    }
    state.shared_failure.clear();
    applied.push_back(std::move(*entry));
  }
  if (!applied.empty()) {
    // Any key, policy or rule may have changed: cached material and rules are read again
    // (configure_approvals also invalidates every cached key: KeyGenerations::bump_all). Before
    // the snapshot actor has them: once it synced them it counts them applied (tell_durable).
    state.policies.forget_all();
    configure_approvals(self);
    configure_audit(self);  // another node may have set the mode
    for (snapshot::StagedEntry& entry : applied)
      self->request(state.writer, state.journal_timeout, received_atom::value, std::move(entry))
          .then([](caf::ok_atom) {}, [self](caf::error& failure) { self->quit(failure); });
    if (state.snapshot->journal_bytes() > state.compaction_threshold)
      compact(self);
  }
  return state.snapshot->position().next_sequence;
}

vault_actor::behavior_type vault_behavior(VaultSelf self, const std::shared_ptr<snapshot::Chain>& chain,
                                          std::shared_ptr<ReopenKeys> reopen_keys, snapshot_actor writer,
                                          std::vector<signer_actor> signers, const EngineOptions& options) {
  auto& state = self->state;
  state.snapshot.emplace(std::move(*chain));
  state.reopen_keys = std::move(reopen_keys);
  state.generations = options.generations;
  state.writer = std::move(writer);
  state.signers = std::move(signers);
  state.journal_timeout = options.journal_timeout;
  state.compaction_threshold = state.snapshot->options().compaction_threshold;
  state.waiting.fail_on_exit(self);
  snapshot::FileSystem* fs =
      options.audit_file_system != nullptr ? options.audit_file_system : &snapshot::posix_file_system();
  // In a cluster each node keeps a log of its own, anchored in the shared state under its name.
  const bool nameless = state.snapshot->options().shared_chain && options.node_name.empty();
  state.audit.set_place(
      AuditPlace{fs, nameless ? std::string() : options.audit_path, {options.audit_max_file_bytes}, options.node_name});
  state.events = options.events;
  state.shared = options.shared_journal;
  configure_audit(self);
  configure_approvals(self);
  if (state.shared)  // a file holds only entries the cluster confirmed
    state.shared->advance_applied(state.snapshot->position().next_sequence);
  return {
      [self](Envelope& envelope) -> caf::result<Reply> {
        const VaultHandler handler = handler_of(vault_handlers(), envelope.kind);
        if (handler == nullptr)
          return not_served(envelope.kind);
        return proceed(self, envelope, Stage::arrived);
      },
      [self](admitted_atom, Envelope& envelope) -> caf::result<Reply> {
        return proceed(self, envelope, Stage::admitted);
      },
      [self](audited_atom, Envelope& envelope) -> caf::result<Reply> {
        return proceed(self, envelope, Stage::audited);
      },
      [self](released_atom, std::uint64_t waiter) -> caf::result<Reply> { return run_released(self, waiter); },
      [self](settle_atom) -> caf::result<caf::ok_atom> { return settle(self); },
      [self](material_atom, const Location& location) -> caf::result<vault::SigningMaterial> {
        auto& state = self->state;
        if (state.audit.on() || state.approval_rule.on() || state.policies.governs(state.keystore(), location))
          return vault::SigningMaterial{};  // no secret: sign through the vault actor, where policies and the log apply
        if (state.pending_writes.holds(place_of(state.keystore(), location.vault, location.record)))
          return to_error(Status(Errc::busy, "a write of this key is not durable yet"));  // for now: not cached
        auto material = state.keystore().signing_material(location, kSigningKeys);
        if (!material.ok())
          return to_error(material.status());
        return std::move(*material);
      },
      [self](signers_atom, std::vector<signer_actor>& signers) { self->state.signers = std::move(signers); },
      [self](receive_atom, std::vector<SharedEntry>& entries) { return receive_shared(self, entries); },
  };
}

// ---- the follower: brings the entries of the shared journal to the vault actor

using follower_actor = caf::typed_actor<caf::reacts_to<follow_atom>>;

struct FollowerState {
  std::uint64_t next = 0;  // the entry the vault actor needs next (0: ask it)
  std::string said;        // the last failure said on standard error
  static const char* name;
};
const char* FollowerState::name = "stronghold.follower";

// How long a read of the shared journal waits for a new entry: what a stop waits for at most.
constexpr std::chrono::milliseconds kFollowWait{500};
// Between tries after a read that failed or entries that did not apply.
constexpr std::chrono::milliseconds kFollowRetry{1'000};
// The most entry bytes a read brings at once.
constexpr std::size_t kFollowBytes = std::size_t{4} << 20;

// Detached: it waits in the shared journal's read. Each round reads the entries after the one the
// vault actor last said it needs, hands them over through the supervisor (so a restarted vault
// actor gets them too) and goes on from the sequence number it answers.
follower_actor::behavior_type follower(caf::stateful_actor<FollowerState, follower_actor::base>* self,
                                       const std::shared_ptr<SharedJournal>& journal, const supervisor_actor& engine,
                                       std::chrono::milliseconds timeout) {
  const auto hand_over = [self, engine, timeout](std::vector<SharedEntry> entries) {
    const std::uint64_t asked = self->state.next;
    const bool had_entries = !entries.empty();
    self->request(engine, timeout, receive_atom::value, std::move(entries))
        .then(
            [self, asked, had_entries](std::uint64_t next) {
              self->state.next = next;
              if (had_entries && next == asked)  // they did not apply: not again at once
                self->delayed_send(self, kFollowRetry, follow_atom::value);
              else
                self->send(self, follow_atom::value);
            },
            [self](caf::error&) { self->delayed_send(self, kFollowRetry, follow_atom::value); });
  };
  self->send(self, follow_atom::value);
  return {
      [self, journal, hand_over](follow_atom) {
        if (self->state.next == 0) {
          hand_over({});
          return;
        }
        auto entries = journal->read(self->state.next, kFollowWait, kFollowBytes);
        // A journal that moved on without this node is said once; one out of reach (the usual
        // failure: etcd down or cut off) is not, the refused writes say it.
        if (!entries.ok() && entries.status().code() == Errc::expired &&
            entries.status().message() != self->state.said) {
          (void)std::fprintf(stderr, "stronghold: %s\n", entries.status().message().c_str());
          self->state.said = entries.status().message();
        }
        if (!entries.ok()) {
          self->delayed_send(self, kFollowRetry, follow_atom::value);
          return;
        }
        // Nothing new: the vault actor still says where it stands, since a restart from the file
        // may have put it behind what this follower handed over.
        hand_over(std::move(*entries));
      },
  };
}

// ---- the supervisor: the entry point, restarts what fails

// A request for the vault actor of a cluster's node, which the supervisor sends and answers
// itself: when another node appended first, or the restarting state never took it, it changed
// nothing, and the supervisor sends it again once the state has caught up (send_to_vault).
struct VaultRequest {
  Envelope envelope;
  caf::typed_response_promise<Reply> promise;
  int tries = 0;  // sends so far
};

struct SupervisorState {
  std::shared_ptr<ReopenKeys> reopen_keys;
  EngineOptions options;
  vault_actor vault;
  snapshot_actor writer;
  identity_actor identity;
  follower_actor follower;  // with a shared journal
  std::vector<signer_actor> signers;
  int core_down = 0;     // of the vault and snapshot actors, during a restart
  bool rewrite = false;  // whether the restart rewrites the file (see on_down)
  EngineStats stats;
  // By order of arrival, so that one sent again never overtakes a later one (a DID's requests
  // must stay in order, identity.cpp): sent and not answered yet, and refused, to send again.
  std::map<std::uint64_t, VaultRequest> in_flight;
  std::map<std::uint64_t, VaultRequest> refused;
  std::uint64_t arrivals = 0;
  std::uint64_t follower_next = 0;  // the entry the state needed at the follower's last hand-over
  bool retry_scheduled = false;
  static const char* name;
};
const char* SupervisorState::name = "stronghold.supervisor";

using SupervisorSelf = supervisor_actor::stateful_pointer<SupervisorState>;

// Starts the vault actor (the state) and the snapshot actor (the file) on an open snapshot.
void start_core(SupervisorSelf self, std::unique_ptr<snapshot::Snapshot> snapshot) {
  auto& state = self->state;
  auto [chain, journal] = snapshot::Snapshot::split(std::move(snapshot));
  state.writer = self->spawn<caf::detached + caf::monitored>(
      snapshot_writer, std::make_shared<snapshot::JournalWriter>(std::move(journal)), state.options.durability,
      state.options.shared_journal);
  state.vault = self->spawn<caf::monitored>(vault_behavior, std::make_shared<snapshot::Chain>(std::move(chain)),
                                            state.reopen_keys, state.writer, state.signers, state.options);
  state.core_down = 0;
}

void start_identity(SupervisorSelf self) {
  auto& state = self->state;
  state.identity =
      spawn_identity_registry(self->system(), caf::actor_cast<supervisor_actor>(self),
                              IdentityOptions{state.options.journal_timeout, state.options.partition_idle});
  self->monitor(state.identity);
}

// Stops everything the supervisor started, then the supervisor: the actor system can shut down.
void stop(SupervisorSelf self, const caf::error& reason) {
  auto& children = self->state;
  self->demonitor(children.vault.address());
  self->demonitor(children.writer.address());
  self->demonitor(children.identity.address());
  self->send_exit(children.vault, reason);
  self->send_exit(children.writer, reason);
  self->send_exit(children.identity, reason);
  if (children.follower)
    self->send_exit(children.follower, reason);
  for (auto& signer : children.signers) {
    self->demonitor(signer.address());
    self->send_exit(signer, reason);
  }
  const caf::error failure = reason ? reason : to_error(Status(Errc::unavailable, "the engine stopped"));
  for (auto* requests : {&children.in_flight, &children.refused}) {
    for (auto& [arrival, request] : *requests)
      request.promise.deliver(failure);
    requests->clear();
  }
  self->quit(reason);
}

// Tells watchers that `what` was restarted.
void announce_restart(SupervisorSelf self, std::string what) {
  if (const auto& events = self->state.options.events; events != nullptr && events->watched())
    events->publish(Event{now_ms(), EventType::actor_restarted, {}, {}, {}, std::move(what)});
}

// How many times a request refused for a conflict is sent, in all, and how long the supervisor
// waits for the follower before it sends such requests again anyway. After a conflict the state
// restarts from its file, and the follower brings the other node's entries within one read of
// etcd (milliseconds); a request sent before that stages on the old chain and loses again.
constexpr int kConflictTries = 6;
constexpr auto kConflictWait = std::chrono::milliseconds(50);

// Whether a request failed in a way that says it changed nothing and may simply be sent again:
// another node appended first (the transaction put nothing), or the vault actor stopped before
// it took the request (CAF bounced it from the mailbox).
bool sent_again_is_safe(const caf::error& failure) {
  return failure == caf::sec::request_receiver_down || to_status(failure).code() == Errc::conflict;
}

void refused_or_failed(SupervisorSelf self, std::uint64_t arrival, caf::error& failure);

// Sends a request to the vault actor as it is now; the supervisor answers it (refused_or_failed).
void send_to_vault(SupervisorSelf self, std::uint64_t arrival, VaultRequest request) {
  ++request.tries;
  self->request(self->state.vault, caf::infinite, request.envelope)
      .then(
          [self, arrival](Reply& reply) {
            if (auto sent = self->state.in_flight.extract(arrival))
              sent.mapped().promise.deliver(std::move(reply));
          },
          [self, arrival](caf::error& failure) { refused_or_failed(self, arrival, failure); });
  self->state.in_flight.emplace(arrival, std::move(request));
}

// Sends every refused request again, in the order they came. Not while the state restarts: they
// would only bounce off the old one.
void send_refused_again(SupervisorSelf self) {
  if (self->state.core_down != 0)
    return;
  auto refused = std::exchange(self->state.refused, {});
  for (auto& [arrival, request] : refused)
    send_to_vault(self, arrival, std::move(request));
}

// A request the vault actor failed: kept to send again when it changed nothing and has tries
// left (when the follower has brought entries, or after kConflictWait), answered otherwise. A
// client sees a conflict only when its request lost kConflictTries times.
void refused_or_failed(SupervisorSelf self, std::uint64_t arrival, caf::error& failure) {
  auto& state = self->state;
  auto sent = state.in_flight.extract(arrival);
  if (!sent)
    return;
  if (sent.mapped().tries >= kConflictTries || !sent_again_is_safe(failure)) {
    sent.mapped().promise.deliver(std::move(failure));
    return;
  }
  state.refused.insert(std::move(sent));
  if (!state.retry_scheduled) {
    state.retry_scheduled = true;
    self->delayed_send(self, kConflictWait, retry_atom::value);
  }
}

void on_down(SupervisorSelf self, const caf::down_msg& down) {
  auto& state = self->state;
  if (down.source == state.identity.address()) {
    start_identity(self);
    ++state.stats.identity_restarts;
    announce_restart(self, "the identity registry");
    return;
  }
  for (auto& signer : state.signers) {
    if (down.source == signer.address()) {
      signer = self->spawn<caf::monitored>(actors::signer);
      ++state.stats.signer_restarts;
      announce_restart(self, "a signer");
      self->send(state.vault, signers_atom::value, state.signers);
      return;
    }
  }
  if (down.source != state.vault.address() && down.source != state.writer.address())
    return;
  // The shared journal's refusals (another node came first, no majority, an entry too large) come
  // before anything is written to the file: a restart for those alone rereads the file as it is,
  // where rewriting it whole would cost its size at every write refused during an outage.
  const Errc reason = to_status(down.reason).code();
  if (!state.options.shared_journal ||
      (reason != Errc::conflict && reason != Errc::unavailable && reason != Errc::invalid_argument))
    state.rewrite = true;
  // The vault actor and the snapshot actor restart together, from the file, once both are down
  // (the old state must have released the file's lock).
  if (++state.core_down == 1) {
    self->send_exit(down.source == state.vault.address() ? caf::actor_cast<caf::actor>(state.writer)
                                                         : caf::actor_cast<caf::actor>(state.vault),
                    caf::exit_reason::kill);
    return;
  }
  state.options.generations->bump_all();  // changes not yet acknowledged may be gone
  auto reopened = state.reopen_keys->reopen();
  // A failed write or sync may have lost bytes that reads still see (Linux can drop pages whose
  // writeback failed, and a later fdatasync then succeeds): an entry appended after them would be
  // acknowledged on top of a hole. So the core restarts on a whole new file; when that cannot be
  // written the engine stops, and every later request fails.
  const Status rewritten = !reopened.ok() ? reopened.status() : state.rewrite ? (*reopened)->compact() : Status();
  state.rewrite = false;
  if (!rewritten.ok()) {
    stop(self, to_error(rewritten));
    return;
  }
  start_core(self, std::move(*reopened));
  ++state.stats.vault_restarts;
  announce_restart(self, "the vault and snapshot actors, from the file");
}

// Whether a request only signs: it writes nothing, so another node's write cannot refuse it. A
// DID's signature is not among them: it keeps its place among the DID's other requests.
bool only_signs(RequestKind kind) {
  switch (kind) {
    case RequestKind::Sign:
    case RequestKind::SignEcdsa:
    case RequestKind::SignBatch:
    case RequestKind::SignSchnorr:
    case RequestKind::SignKeccak: return true;
    default: return false;
  }
}

// A request for the vault actor: in a cluster, sent again when another node's write refused it
// (send_to_vault), except signatures; otherwise handed on. While refused requests wait, a new
// one waits behind them.
caf::result<Reply> to_vault(SupervisorSelf self, Envelope&& envelope) {
  auto& state = self->state;
  if (!state.options.shared_journal || only_signs(envelope.kind))
    return self->delegate(state.vault, std::move(envelope));
  auto promise = self->make_response_promise<Reply>();
  VaultRequest request{std::move(envelope), promise, 0};
  const std::uint64_t arrival = ++state.arrivals;
  if (state.refused.empty())
    send_to_vault(self, arrival, std::move(request));
  else
    state.refused.emplace(arrival, std::move(request));
  return promise;
}

supervisor_actor::behavior_type supervisor(SupervisorSelf self,
                                           const std::shared_ptr<std::unique_ptr<snapshot::Snapshot>>& snapshot,
                                           std::shared_ptr<ReopenKeys> reopen_keys, const EngineOptions& options) {
  auto& state = self->state;
  state.reopen_keys = std::move(reopen_keys);
  state.options = options;
  for (unsigned i = 0; i < signer_count(options); ++i)
    state.signers.push_back(self->spawn<caf::monitored>(signer));
  start_identity(self);
  start_core(self, std::move(*snapshot));
  if (options.shared_journal)
    state.follower = self->spawn<caf::detached + caf::linked>(
        follower, options.shared_journal, caf::actor_cast<supervisor_actor>(self), options.journal_timeout);
  self->set_down_handler([self](caf::down_msg& down) { on_down(self, down); });
  self->set_exit_handler([self](caf::exit_msg& exit) { stop(self, exit.reason); });
  return {
      [self](Envelope& envelope) -> caf::result<Reply> {
        if (is_identity_request(envelope.kind))
          return self->delegate(self->state.identity, std::move(envelope));
        return to_vault(self, std::move(envelope));
      },
      [self](vault_atom, Envelope& envelope) { return to_vault(self, std::move(envelope)); },
      [self](material_atom a, Location& l) { return self->delegate(self->state.vault, a, std::move(l)); },
      [self](settle_atom a) { return self->delegate(self->state.vault, a); },
      [self](stats_atom) { return self->state.stats; },
      [self](receive_atom a, std::vector<SharedEntry>& entries) -> caf::result<std::uint64_t> {
        if (self->state.refused.empty())
          return self->delegate(self->state.vault, a, std::move(entries));
        // Requests wait to be sent again on top of what these entries bring.
        auto promise = self->make_response_promise<std::uint64_t>();
        self->request(self->state.vault, caf::infinite, a, std::move(entries))
            .then(
                [self, promise](std::uint64_t next) mutable {
                  promise.deliver(next);
                  if (next > std::exchange(self->state.follower_next, next))
                    send_refused_again(self);
                },
                [promise](caf::error& failure) mutable { promise.deliver(std::move(failure)); });
        return promise;
      },
      [self](retry_atom) {
        auto& state = self->state;
        state.retry_scheduled = false;
        send_refused_again(self);
        if (!state.refused.empty()) {  // the state restarts still
          state.retry_scheduled = true;
          self->delayed_send(self, kConflictWait, retry_atom::value);
        }
      },
      [self](children_atom) {
        auto& children = self->state;
        std::vector<caf::actor> all{caf::actor_cast<caf::actor>(children.vault),
                                    caf::actor_cast<caf::actor>(children.writer),
                                    caf::actor_cast<caf::actor>(children.identity)};
        for (const auto& signer : children.signers)
          all.push_back(caf::actor_cast<caf::actor>(signer));
        return all;
      },
  };
}

}  // namespace

Result<supervisor_actor> spawn_engine(caf::actor_system& system, std::unique_ptr<snapshot::Snapshot> snapshot,
                                      const EngineOptions& options) {
  if (!snapshot)
    return Status(Errc::invalid_argument, "no snapshot to serve");
  if (options.shared_journal) {
    if (!snapshot->options().shared_chain)
      return Status(Errc::invalid_argument, "a snapshot in a cluster is opened with a shared chain");
    SH_ASSIGN_OR_RETURN(const snapshot::Header header, snapshot::decode_header(snapshot->chain().header()));
    if (header.version < 2)
      return Status(Errc::unsupported, "a version 1 snapshot cannot join a cluster: change its password first");
    SH_RETURN_IF_ERROR(options.shared_journal->attach(header.file_id, snapshot->chain().position()));
  }
  SH_ASSIGN_OR_RETURN(snapshot::ReopenToken token, snapshot->reopen_token());
  EngineOptions with_generations = options;
  if (!with_generations.generations)
    with_generations.generations = std::make_shared<KeyGenerations>();
  return system.spawn(supervisor, std::make_shared<std::unique_ptr<snapshot::Snapshot>>(std::move(snapshot)),
                      std::make_shared<ReopenKeys>(std::move(token)), with_generations);
}

}  // namespace stronghold::actors
