// An open snapshot file: the keystore it holds, and the journal its changes go to.
//
//   auto snapshot = Snapshot::create(posix_file_system(), "wallet.stronghold", password, {});
//   vault::Transaction tx(snapshot->keystore());
//   vault::generate_key(tx, location, vault::KeyType::ed25519);
//   snapshot->commit(std::move(tx));   // one journal entry, one fdatasync
//
// The password KDF runs only in create, open and the password changes; the snapshot key stays
// shielded while the snapshot is open. A commit appends one sealed entry, so its cost does not
// grow with the number of records; compaction folds the journal into a new body (temporary
// file, fsync, rename, fsync of the directory), automatically past a threshold. Only one
// process opens a snapshot at a time (a lock on PATH.lock, PATH with its symbolic links resolved,
// so every link to a file takes the same lock; rewrites go next to that file and keep the links).
//
// A Snapshot is a Chain (the state) and a JournalWriter (the file) driven together, writing each
// change before it applies it. An owner that writes the file on another thread (the snapshot
// actor) splits it into the two instead (split), and the Snapshot is gone: nothing can commit
// past a journal that another owner writes.
//
// Not thread-safe: one owner drives it.
#pragma once

#include <memory>
#include <string>

#include "stronghold/snapshot/chain.hpp"
#include "stronghold/snapshot/file_system.hpp"
#include "stronghold/snapshot/journal_writer.hpp"
#include "stronghold/vault/keystore.hpp"

namespace stronghold::snapshot {

class Snapshot {
 public:
  // A new snapshot at `path`; already_exists rather than overwrite.
  static Result<std::unique_ptr<Snapshot>> create(FileSystem& fs, const std::string& path, ByteView password,
                                                  const SnapshotOptions& options = {});
  // wrong_password, corrupted (naming the damaged part), unsupported, busy (open elsewhere),
  // not_found.
  static Result<std::unique_ptr<Snapshot>> open(FileSystem& fs, const std::string& path, ByteView password,
                                                const SnapshotOptions& options = {});
  // Opens the file again with the key of `token` (no KDF); corrupted if it does not match.
  static Result<std::unique_ptr<Snapshot>> reopen(const ReopenToken& token);
  Result<ReopenToken> reopen_token() const;
  ~Snapshot();
  Snapshot(const Snapshot&) = delete;
  Snapshot& operator=(const Snapshot&) = delete;

  // The state and the file of a snapshot, for two owners: the Chain stages entries and compacts
  // images, the JournalWriter appends and syncs the entries and replaces the file with the images,
  // in the order they were made.
  struct Parts {
    Chain chain;
    JournalWriter journal;
  };
  // Consumes `snapshot` (not null).
  static Parts split(std::unique_ptr<Snapshot> snapshot);

  const vault::Keystore& keystore() const noexcept;
  const Chain& chain() const noexcept { return chain_; }

  // Checks the changes, appends them to the journal (synced in sync mode), then applies them.
  // On any error nothing is applied and the file keeps only whole entries.
  Status commit(vault::ChangeSet changes);
  Status commit(vault::Transaction&& transaction);
  // Makes every commit so far durable (group mode; harmless otherwise).
  Status sync();
  // Folds the journal into a new body.
  Status compact();
  // A full re-key, so that the old password opens nothing of the new file (not even with an old
  // copy's header spliced onto it): a new snapshot key wrapped under a key derived from
  // `new_password` (at the file's KDF cost), new vault ids and keys, every live record sealed
  // again, the whole file rewritten. Revoked and expired records are dropped, as garbage collection
  // drops them, and so are vaults without a record; record versions start again. Costs one
  // unseal and seal per record.
  Status change_password(ByteView new_password);
  // The same for an owner that split the snapshot, in two steps. First, on any thread, with the
  // file's header (Chain::header()): checks `current_password` (wrong_password when it does not
  // open the key) and derives the new password's key, at the file's KDF cost; both KDFs run here.
  // Then the owner's Chain::rekey applies it.
  static Result<NewPassword> prepare_password_change(ByteView header, ByteView current_password, ByteView new_password);
  // Whether `password` opens the key of the file whose header (Chain::header()) is `header`:
  // wrong_password when not. Runs the password KDF, on any thread.
  static Status check_password(ByteView header, ByteView password);

  const OpenReport& open_report() const noexcept;
  const SnapshotOptions& options() const noexcept;
  std::uint64_t journal_bytes() const noexcept;
  std::uint64_t file_bytes() const noexcept;

 private:
  Snapshot(Chain chain, JournalWriter journal) noexcept;
  // The snapshot of an opened or created state, with a writer at the end of its whole entries.
  static Result<std::unique_ptr<Snapshot>> with_writer(std::unique_ptr<Chain::State> state);
  // Replaces the file with an image of the state; the chain follows it once it is written.
  Status rewrite();

  Chain chain_;
  JournalWriter journal_;
};

}  // namespace stronghold::snapshot
