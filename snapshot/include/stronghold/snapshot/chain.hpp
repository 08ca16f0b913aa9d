// The state side of an open snapshot: the keystore it holds and where its journal chain stands.
// It stages changes as sealed journal entries and folds the state into whole-file images, and
// writes nothing: a JournalWriter writes what it makes. A Snapshot composes the two for a single
// owner; Snapshot::split separates them for owners on two threads (the vault actor keeps the
// Chain, the snapshot actor the JournalWriter).
//
// Memory runs ahead of the file: a staged change is in the state at once, and in the file once
// its entry is appended and synced. If that fails, reopen the snapshot from the file.
//
// Not thread-safe: one owner drives it.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>

#include "stronghold/runtime/shield.hpp"
#include "stronghold/snapshot/file_system.hpp"
#include "stronghold/snapshot/format.hpp"
#include "stronghold/snapshot/journal_writer.hpp"
#include "stronghold/vault/function_ref.hpp"
#include "stronghold/vault/keystore.hpp"

namespace stronghold::snapshot {

enum class Durability {
  sync,   // each commit is synced before it returns (the default)
  group,  // commits are written, and made durable together by sync()
  none,   // never synced (tests, caches)
};

struct SnapshotOptions {
  KdfPreset kdf = KdfPreset::standard;  // for create (a password change keeps the file's cost)
  // The most Argon2id work a file's header may ask for before its password is tried: a header
  // asking for more is refused as corrupted (a forged header must not cost gigabytes and seconds).
  KdfParams max_kdf = kdf_params(KdfPreset::strong);
  Durability durability = Durability::sync;
  std::uint64_t compaction_threshold = 4 << 20;  // journal bytes that trigger compaction
  std::uint64_t max_file_size = std::uint64_t{16} << 30;
  // The most journal bytes the end of a fold copies while the appends wait for it: a fold further
  // behind the commits first copies their entries beside them (JournalWriter::fold_lags).
  std::uint64_t max_fold_tail = std::uint64_t{1} << 20;
  // About how much of the state each part of a version 3 body holds: what an open decrypts and
  // decodes at a time (tests make it small to write many parts).
  std::size_t body_part_bytes = std::size_t{1} << 20;
  vault::Keystore::Clock clock;  // for the keystore; the system clock when empty
  // The journal chain is shared with other engines (a cluster: actors/shared_journal.hpp), which
  // append entries to it through Chain::receive. A rewrite in place then keeps the chain's
  // position instead of starting a fresh one, so the entries the others seal go on following
  // the file; and a password change (a new snapshot key, a new chain) is refused.
  bool shared_chain = false;
};

struct OpenReport {
  std::uint64_t journal_entries = 0;
  // What a torn final write (a crash during an append) left after the last whole entry: ignored,
  // and cut off the file by the next write; opening alone never changes the file.
  std::uint64_t dropped_tail_bytes = 0;
};

// What it takes to open a snapshot again without its password (a supervisor restarting the
// snapshot's owner): the snapshot key, shielded, and where the file is.
struct ReopenToken {
  FileSystem* fs = nullptr;
  std::string path;
  SnapshotOptions options;
  std::shared_ptr<const runtime::ShieldedSecret> snapshot_key;
};

using Salt = std::array<std::uint8_t, 16>;

// A new password, prepared for one state of a file's header (Snapshot::prepare_password_change):
// both password KDFs have run, so an owner that must not stall applies it at once.
struct NewPassword {
  Bytes previous_header;  // the header it was prepared for
  Salt salt{};
  runtime::ShieldedSecret key;  // wraps the new snapshot key
};

// A compaction beside the commits, for an owner that must not stall (the engine's snapshot
// actor), in three steps: the Chain names what to fold (fold_job: the state at its position, the
// entries staged so far); the JournalWriter, once it appended those entries, notes where the file
// ends (begin_fold); fold_file, on any thread, reads the file up to there, folds it into a body
// and writes it, synced, to JournalWriter::fold_path; copy_fold_tail, on any thread, copies the
// entries appended since, as long as the writer says the fold lags; and
// JournalWriter::finish_fold copies the last ones, syncs and renames it over the file. The journal
// chain goes on across a version 2 body (format.hpp), so neither the Chain nor the entries in
// flight need to know. The cost beside the commits is one open of the file (time and memory); the
// commits wait only for the final copy (at most SnapshotOptions::max_fold_tail), sync and rename.
struct FoldJob {
  ReopenToken file;        // where the file is, and its key
  Bytes header;            // the file's header: a file re-keyed since is not folded
  ChainPosition position;  // where the file ends, once the entries staged so far are appended
};

// Folds the file of `job` up to `covers` bytes (where it ends at job.position; entries may have
// been appended after) into a new file holding that state, written to JournalWriter::fold_path
// and synced, and returns its size (FoldProgress::written; it reaches `covers`). Reads the file
// through its own reader, so it runs on any thread beside the JournalWriter; busy when the file is
// no longer the one the job named, already_exists when another fold's file is there.
Result<FoldProgress> fold_file(const FoldJob& job, std::uint64_t covers);

class Chain {
 public:
  Chain(Chain&&) noexcept;
  Chain& operator=(Chain&&) noexcept;
  ~Chain();

  const vault::Keystore& keystore() const noexcept;

  // Checks, seals and applies the changes, and returns the entry to append. On any error
  // nothing is applied and the chain stays where it was.
  Result<StagedEntry> stage(vault::ChangeSet changes);
  // Applies an entry another engine staged on the same chain (SnapshotOptions::shared_chain) and
  // returns it, to append to the file: `entry` must be whole (length, check, seal) and follow the
  // chain where it stands now. corrupted when it does not authenticate there (damaged, out of
  // place, or sealed under another snapshot key) or does not fit the state; on any error nothing
  // is applied.
  Result<StagedEntry> receive(ByteView entry);
  // Where the chain stands: the sequence number of the next entry and the tag it follows.
  const ChainPosition& position() const noexcept;
  // The current state as a whole new file (header and body), for JournalWriter::replace: entries
  // staged from now on follow it, so it must be written before them.
  Result<Image> compact();
  // What a compaction beside the commits folds (see FoldJob): unsupported for a version 1 file.
  // journal_bytes() counts from here again.
  Result<FoldJob> fold_job();
  // The second step of a password change (the first is Snapshot::prepare_password_change, on any
  // thread): re-keys the state as Snapshot::change_password does, without a KDF, and returns the
  // new file as compact() does; busy if the header changed since the password was prepared. From
  // then on reopen_token() holds the new key.
  Result<Image> rekey(const NewPassword& password);

  // The file's header, for Snapshot::prepare_password_change and Snapshot::check_password.
  Bytes header() const;
  Result<ReopenToken> reopen_token() const;
  const OpenReport& open_report() const noexcept;
  const SnapshotOptions& options() const noexcept;
  // Of the journal and of the whole file, as they are once everything staged is written (since
  // the last fold_job, the journal bytes are those staged after it, and the file's size is an
  // upper bound).
  std::uint64_t journal_bytes() const noexcept;
  std::uint64_t file_bytes() const noexcept;

  struct State;  // the implementation's, public only so that its helpers can name it

 private:
  friend class Snapshot;  // opens files, and writes before it applies
  explicit Chain(std::unique_ptr<State> state) noexcept;

  // A staged entry whose changes are not applied yet.
  struct Sealed {
    vault::PreparedChanges prepared;
    StagedEntry entry;
  };
  Result<Sealed> seal(vault::ChangeSet changes) const;
  void apply(vault::PreparedChanges&& prepared, const StagedEntry& entry);
  // The image compact() returns, and the move of the chain onto it, separately.
  Result<Image> image() const;
  void follow(const Image& image);
  // Moves the state to a new snapshot key wrapped under `password_key` (derived with `salt`),
  // then calls `write`; if that fails the state gets its old keys back.
  Status rekey_then(ByteView password_key, const Salt& salt, vault::FunctionRef<Status()> write);

  std::unique_ptr<State> state_;
};

}  // namespace stronghold::snapshot
