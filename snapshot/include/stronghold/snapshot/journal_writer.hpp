// The file side of an open snapshot: appends the journal entries a Chain stages, syncs them, and
// replaces the whole file with an image a Chain compacts (temporary file, fsync, rename, fsync of
// the directory). A Snapshot drives one itself; Snapshot::split hands it to another owner (the
// snapshot actor) that does the blocking I/O while the Chain changes the state elsewhere.
#pragma once

#include <array>
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
  const ChainPosition& leaves() const noexcept { return leaves_; }

 private:
  friend class Chain;
  Image(Bytes bytes, const ChainPosition& leaves) : bytes_(std::move(bytes)), leaves_(leaves) {}
  Bytes bytes_;
  ChainPosition leaves_;
};

// Writes `image` to `path` + ".compact", syncs it, renames it over `path` and syncs the
// directory: `path` then holds the old file or the new one, whole, after any crash.
Status write_file_atomically(FileSystem& fs, const std::string& path, ByteView image);

class JournalWriter {
 public:
  // Appends one entry; a failed append is cut back off the file. Nothing is durable before
  // sync(). An entry that does not follow the file's end (staged before the image the file was
  // replaced with, or after one not yet appended) is refused as internal, and nothing is written.
  Status append(const StagedEntry& entry);
  // After a failed sync the page cache can no longer be trusted: the writer turns broken.
  Status sync();
  // Writes `image` to a temporary file, syncs it, renames it over the snapshot and syncs the
  // directory; later appends go to the new file and follow the image.
  Status replace(const Image& image);

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
                const ChainPosition& end, std::uint64_t torn_tail = 0);
  Status refuse_if_broken() const;
  Status refuse_out_of_chain(const StagedEntry& entry) const;
  Status cut_torn_tail();
  FileSystem* fs_;
  std::string path_;
  std::unique_ptr<AppendFile> file_;
  std::uint64_t size_;
  ChainPosition end_;
  std::uint64_t torn_tail_;
  bool broken_ = false;
};

}  // namespace stronghold::snapshot
