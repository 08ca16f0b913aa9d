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
// Not thread-safe: one owner (the snapshot actor) drives it.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>

#include "stronghold/runtime/shield.hpp"
#include "stronghold/snapshot/file_system.hpp"
#include "stronghold/snapshot/format.hpp"
#include "stronghold/snapshot/journal_file.hpp"
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
  vault::Keystore::Clock clock;  // for the keystore; the system clock when empty
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

// A new password, prepared for one state of a file's header (Snapshot::prepare_password_change):
// both password KDFs have run, so an owner that must not stall applies it at once.
struct NewPassword {
  Bytes previous_header;  // the header it was prepared for
  std::array<std::uint8_t, 16> salt{};
  runtime::ShieldedSecret key;  // wraps the new snapshot key
};

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

  const vault::Keystore& keystore() const noexcept;

  // Checks the changes, appends them to the journal (synced in sync mode), then applies them.
  // On any error nothing is applied and the file keeps only whole entries.
  Status commit(vault::ChangeSet changes);
  Status commit(vault::Transaction&& transaction);
  // Makes every commit so far durable (group mode; harmless otherwise).
  Status sync();

  // For an owner that writes the journal on another thread (the snapshot actor): take_journal()
  // hands the file over; then stage() checks, seals and applies a change set and returns the
  // entry to append, and compaction_image() returns a whole new file for JournalFile::replace,
  // after which staged entries chain from it. Memory runs ahead of the file until the entries
  // are written and synced; if that fails, reopen the snapshot. commit(), sync(), compact() and
  // change_password() answer busy once the journal is taken.
  Result<std::unique_ptr<JournalFile>> take_journal();
  Result<Bytes> stage(vault::ChangeSet changes);
  Result<Bytes> compaction_image();
  // Folds the journal into a new body.
  Status compact();
  // A full re-key, so that the old password opens nothing of the new file (not even with an old
  // copy's header spliced onto it): a new snapshot key wrapped under a key derived from
  // `new_password` (at the file's KDF cost), new vault ids and keys, every live record sealed
  // again, the whole file rewritten. Revoked and expired records are dropped, as garbage collection
  // drops them, and so are vaults without a record; record versions start again. Costs one
  // unseal and seal per record.
  Status change_password(ByteView new_password);
  // The same for an owner that gave its journal away, in two steps. First, on any thread, with
  // the file's header (header()): checks `current_password` (wrong_password when it does not open
  // the key) and derives the new password's key, at the file's KDF cost; both KDFs run here. Then
  // the owner's rekeyed_image() re-keys the state and returns the new file for
  // JournalFile::replace, as compaction_image() does (busy if the header changed meanwhile).
  // From then on reopen_token() holds the new key.
  Bytes header() const;
  static Result<NewPassword> prepare_password_change(ByteView header, ByteView current_password, ByteView new_password);
  // Whether `password` opens the key of the file whose header (header()) is `header`:
  // wrong_password when not. Runs the password KDF, on any thread.
  static Status check_password(ByteView header, ByteView password);
  Result<Bytes> rekeyed_image(const NewPassword& password);

  const OpenReport& open_report() const noexcept;
  const SnapshotOptions& options() const noexcept;
  std::uint64_t journal_bytes() const noexcept;
  std::uint64_t file_bytes() const noexcept;

  struct State;  // the implementation's, public only so that its helpers can name it

 private:
  explicit Snapshot(std::unique_ptr<State> state) noexcept;
  std::unique_ptr<State> state_;
};

}  // namespace stronghold::snapshot
