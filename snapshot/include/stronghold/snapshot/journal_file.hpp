// The file side of an open snapshot: appends journal entries, syncs them, and replaces the
// whole file with a compacted image (temporary file, fsync, rename, fsync of the directory).
// Snapshot uses one itself, or hands it to another owner (the snapshot actor) that does the
// blocking I/O while the state is changed elsewhere.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "stronghold/snapshot/file_system.hpp"

namespace stronghold::snapshot {

// Writes `image` to `path` + ".compact", syncs it, renames it over `path` and syncs the
// directory: `path` then holds the old file or the new one, whole, after any crash.
Status write_file_atomically(FileSystem& fs, const std::string& path, ByteView image);

class JournalFile {
 public:
  // `size`: where the whole entries end; `torn_tail`: the bytes a torn write left after them,
  // cut off the file only by the first append (opening only to read changes nothing).
  JournalFile(FileSystem& fs, std::string path, std::unique_ptr<AppendFile> file, std::uint64_t size,
              std::uint64_t torn_tail = 0);

  // Appends one entry; a failed append is cut back off the file. Nothing is durable before sync().
  Status append(ByteView entry);
  // After a failed sync the page cache can no longer be trusted: the file turns broken.
  Status sync();
  // Writes `image` to a temporary file, syncs it, renames it over the snapshot and syncs the
  // directory; later appends go to the new file.
  Status replace(ByteView image);

  // Set by a failure that could not be undone: every later call fails until the snapshot is
  // reopened from disk.
  bool broken() const noexcept { return broken_; }
  std::uint64_t size() const noexcept { return size_; }

 private:
  Status refuse_if_broken() const;
  Status cut_torn_tail();
  FileSystem& fs_;
  std::string path_;
  std::unique_ptr<AppendFile> file_;
  std::uint64_t size_;
  std::uint64_t torn_tail_;
  bool broken_ = false;
};

}  // namespace stronghold::snapshot
