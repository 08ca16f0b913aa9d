// All file access of the snapshot floor goes through this interface, so that tests can replace
// it with one that fails or loses power at any step.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "stronghold/runtime/hex.hpp"

namespace stronghold::snapshot {

// A file opened for appending. Nothing is durable before sync() returns.
class AppendFile {
 public:
  virtual ~AppendFile() = default;
  virtual Status append(ByteView bytes) = 0;
  virtual Status sync() = 0;  // fdatasync
};

// A file opened for reading at any offset. It reads the file it opened, whatever is renamed over
// its path meanwhile; bytes appended after the open may or may not be read.
class ReadFile {
 public:
  virtual ~ReadFile() = default;
  // The file's size when it was opened.
  virtual std::uint64_t size() const noexcept = 0;
  // Fills `out` with the bytes from `offset`; io_error when fewer are there.
  virtual Status read_at(std::uint64_t offset, std::span<std::uint8_t> out) = 0;
};

// An advisory lock held for as long as the object lives.
class FileLock {
 public:
  virtual ~FileLock() = default;
};

// Called from several threads at once: a fold (chain.hpp, fold_file) reads the snapshot and
// writes its fold file on a worker while the snapshot's writer appends, and a retired file is
// closed on a thread of its own. Implementations are thread-safe; one AppendFile is used by one
// thread at a time.
class FileSystem {
 public:
  virtual ~FileSystem() = default;
  // The file `path` names, symbolic links resolved (a file that does not exist yet: in its folder,
  // resolved); not_found for a symbolic link to nothing. A snapshot is locked, read and rewritten
  // at this path only, so a link to it shares its lock and stays a link after a rewrite.
  virtual Result<std::string> resolve(const std::string& path) = 0;
  // The whole file; not_found when absent, resource_exhausted when larger than `max_size`.
  virtual Result<Bytes> read_file(const std::string& path, std::uint64_t max_size) = 0;
  // The file, opened to be read in parts (errors as read_file): a snapshot's open reads its body
  // a part at a time, so that the file is never in memory beside the state it holds. This default
  // reads the whole file with read_file and serves the parts from memory.
  virtual Result<std::unique_ptr<ReadFile>> open_read(const std::string& path, std::uint64_t max_size);
  virtual bool exists(const std::string& path) = 0;
  // The names (not paths) of the entries in `directory`, in no particular order; not_found when
  // it does not exist. (The audit log finds its rotated files so.)
  virtual Result<std::vector<std::string>> list(const std::string& directory) = 0;
  // Opens `path` for appending; `create` makes a new, empty file and fails if one exists.
  virtual Result<std::unique_ptr<AppendFile>> open_append(const std::string& path, bool create) = 0;
  // Shortens `path` to `size` bytes and makes that durable.
  virtual Status truncate(const std::string& path, std::uint64_t size) = 0;
  virtual Status rename(const std::string& from, const std::string& to) = 0;
  // A second name `to` for the file `from` (a hard link); already_exists when `to` is taken. This
  // default, for file systems without links, answers unsupported.
  virtual Status link(const std::string& from, const std::string& to);
  virtual Status remove(const std::string& path) = 0;
  // Makes renames and creations in the directory of `path` durable.
  virtual Status sync_directory(const std::string& path) = 0;
  // An exclusive lock on `path` (created if missing); busy when another process holds it.
  virtual Result<std::unique_ptr<FileLock>> lock(const std::string& path) = 0;
};

// The operating system's files.
FileSystem& posix_file_system();

}  // namespace stronghold::snapshot
