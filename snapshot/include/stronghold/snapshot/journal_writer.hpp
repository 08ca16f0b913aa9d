// The file side of an open snapshot: appends the journal entries a Chain stages, syncs them, and
// replaces the whole file with an image a Chain compacts (temporary file, fsync, rename, fsync of
// the directory). A Snapshot drives one itself; Snapshot::split hands it to another owner (the
// snapshot actor) that does the blocking I/O while the Chain changes the state elsewhere.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>

#include "stronghold/snapshot/file_system.hpp"
#include "stronghold/vault/seal.hpp"

namespace stronghold::snapshot {

// Where a file's journal chain stands: the sequence number of the next entry and the tag of what
// it follows (the body after a compaction, else the last entry). Each entry's seal binds both, so
// an entry written anywhere else makes the file refuse to open from there on.
struct ChainPosition {
  std::uint64_t next_sequence = 1;
  std::array<std::uint8_t, vault::kSealTagSize> previous_tag{};

  friend bool operator==(const ChainPosition&, const ChainPosition&) = default;
};

// A sealed journal entry (Chain::stage): its bytes, where the file must end for it to be
// appended, and where the file ends after it. Only a Chain makes one.
class StagedEntry {
 public:
  ByteView bytes() const noexcept { return bytes_; }
  const ChainPosition& follows() const noexcept { return follows_; }
  const ChainPosition& leaves() const noexcept { return leaves_; }

 private:
  friend class Chain;
  StagedEntry(Bytes bytes, const ChainPosition& follows, const ChainPosition& leaves)
      : bytes_(std::move(bytes)), follows_(follows), leaves_(leaves) {}
  Bytes bytes_;
  ChainPosition follows_;
  ChainPosition leaves_;
};

// A whole file, header and body, holding a Chain's state (Chain::compact, Chain::rekey): the
// chain starts again after it. Only a Chain makes one.
class Image {
 public:
  ByteView bytes() const noexcept { return bytes_; }
  // Where the file must end for the image to hold everything in it (the state's position).
  const ChainPosition& follows() const noexcept { return follows_; }
  const ChainPosition& leaves() const noexcept { return leaves_; }

 private:
  friend class Chain;
  Image(Bytes bytes, const ChainPosition& follows, const ChainPosition& leaves)
      : bytes_(std::move(bytes)), follows_(follows), leaves_(leaves) {}
  Bytes bytes_;
  ChainPosition follows_;
  ChainPosition leaves_;
};

// Writes `image` to `path` + ".compact", syncs it, renames it over `path` and syncs the
// directory: `path` then holds the old file or the new one, whole, after any crash.
Status write_file_atomically(FileSystem& fs, const std::string& path, ByteView image);

// Where a compaction beside the commits started (JournalWriter::begin_fold).
struct FoldStart {
  std::uint64_t covers = 0;      // the size of the file then
  std::uint64_t generation = 0;  // of the file: a replace starts a new one
  std::uint64_t fold = 0;        // which fold of this writer
};

// Where a fold's file stands: the handle fold_file created it with (every later copy appends
// through it, so a worker left from an earlier fold writes into that fold's removed file, never
// into another's), the bytes it holds, and how far into the snapshot file the entries it holds
// reach (its image covers the file up to FoldStart::covers; copied entries follow).
struct FoldProgress {
  std::shared_ptr<AppendFile> file;
  std::uint64_t written = 0;
  std::uint64_t reaches = 0;
};

// How much a fold writes to its file between syncs: written whole and synced once, a fold left
// the whole image dirty, and a commit's fdatasync on the same file system waited behind its
// writeback (at 1,000,000 keys the slowest commit fell from 277 ms to 88 ms).
inline constexpr std::size_t kFoldSyncBytes = std::size_t{4} << 20;

// Copies the snapshot file's entries between `progress.reaches` and `to` to the end of the fold's
// file, syncing it after each kFoldSyncBytes (fold_file synced what it wrote), and returns where
// it stands then. Runs on any thread beside the appends: the bytes before the writer's size() (the end of
// its whole entries) never change while the file stays the same, and a fold of a file replaced
// meanwhile is dropped at its end. busy when the file at `path` is shorter than `to`.
Result<FoldProgress> copy_fold_tail(FileSystem& fs, const std::string& path, const FoldProgress& progress,
                                    std::uint64_t to);

class JournalWriter {
 public:
  // Appends one entry; a failed append is cut back off the file. Nothing is durable before
  // sync(). An entry that does not follow the file's end (staged before the image the file was
  // replaced with, or after one not yet appended) is refused as internal, and nothing is written.
  Status append(const StagedEntry& entry);
  // What append refuses before it writes: internal for an entry out of the chain, the failure
  // for a broken writer. (A cluster's node asks before the entry goes to the shared journal.)
  Status can_append(const StagedEntry& entry) const;
  // After a failed sync the page cache can no longer be trusted: the writer turns broken.
  Status sync();
  // Writes `image` to a temporary file, syncs it, renames it over the snapshot and syncs the
  // directory; later appends go to the new file and follow the image. An image that does not
  // hold every entry appended (made before the last of them was staged) is refused as internal:
  // it would drop them. A fold file left beside the snapshot is removed first: it may hold the
  // state under a password the image retires.
  Status replace(const Image& image);

  // The compaction beside the commits (chain.hpp, FoldJob). begin_fold removes a fold file left
  // by an earlier fold and notes where the file ends; internal when the file does not end at
  // `position` (append the staged entries first) or a fold is already running.
  Result<FoldStart> begin_fold(const ChainPosition& position);
  // Whether a fold at `progress` is further behind the appends than finish_fold copies while they
  // wait (SnapshotOptions::max_fold_tail): then copy_fold_tail catches it up beside them first.
  bool fold_lags(const FoldProgress& progress) const noexcept;
  // Copies the entries appended since `progress` to the fold file, syncs it, renames it over the
  // file and syncs the directory. busy, and the file as it was, when it was replaced since
  // begin_fold; a failure before the rename leaves the file as it was too; after the rename the
  // writer is broken, as with replace. The fold is over either way. busy, and the fold file
  // removed, when the fold was dropped meanwhile.
  Status finish_fold(const FoldStart& start, const FoldProgress& progress);
  // Gives up the fold `start` began, if it still runs (fold_file or a catch-up copy failed), and
  // removes its file: none of this fold's workers runs any more.
  void drop_fold(const FoldStart& start) noexcept;
  bool folding() const noexcept { return folding_; }
  // The handle of the file the last replace or fold put aside, for the owner to close elsewhere:
  // closing the last handle of a removed file frees its blocks, which took 22 ms for a 60 MB
  // snapshot here, and an owner that must not stall does it off its thread. Null when none.
  std::unique_ptr<AppendFile> take_retired() noexcept { return std::move(retired_); }
  // Where fold_file writes: `path` + ".fold".
  static std::string fold_path(const std::string& path);

  // Set by a failure that could not be undone: every later call fails until the snapshot is
  // reopened from disk.
  bool broken() const noexcept { return broken_; }
  std::uint64_t size() const noexcept { return size_; }

 private:
  friend class Snapshot;  // opens and creates files, so it makes the writers
  // `size`: where the whole entries end, `end`: the chain position there; `torn_tail`: the bytes a
  // torn write left after them, cut off the file only by the first append (opening only to read
  // changes nothing).
  JournalWriter(FileSystem& fs, std::string path, std::unique_ptr<AppendFile> file, std::uint64_t size,
                const ChainPosition& end, std::uint64_t torn_tail, std::uint64_t max_fold_tail);
  Status refuse_if_broken() const;
  Status refuse_out_of_chain(const StagedEntry& entry) const;
  Status cut_torn_tail();
  // Renames `from` over the file and goes on appending there, after `size` bytes at `end`.
  Status move_into_place(const std::string& from, std::uint64_t size, const ChainPosition& end);
  FileSystem* fs_;
  std::string path_;
  std::unique_ptr<AppendFile> file_;
  std::unique_ptr<AppendFile> retired_;  // see take_retired
  std::uint64_t size_;
  ChainPosition end_;
  std::uint64_t torn_tail_;
  bool broken_ = false;
  std::uint64_t generation_ = 0;  // replaces so far
  bool folding_ = false;
  std::uint64_t folds_ = 0;  // begun so far: the running one's number
  std::uint64_t max_fold_tail_;
};

}  // namespace stronghold::snapshot
