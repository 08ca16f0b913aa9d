// An in-memory FileSystem that fails, or loses power, at a chosen step.
//
// Steps are the operations that change files: open_append, append, sync, truncate, rename,
// remove and sync_directory. At the failing step an `error` returns io_error (an append may
// have written a prefix first, as write(2) can) and later steps work again; a `power_loss`
// does part of the step and then every later step fails. crash_image() is what a disk would
// hold after power loss: synced bytes, plus possibly a torn prefix of unsynced appends, under
// the names that were made durable by a directory sync. A failed sync loses the bytes it was to
// make durable for good, as Linux may when writeback fails: reads still see them, but a later
// sync of the file leaves zeros there on the disk.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "stronghold/snapshot/file_system.hpp"

namespace stronghold::test {

class FaultyFileSystem final : public snapshot::FileSystem {
 public:
  enum class Fault { none, error, power_loss };

  FaultyFileSystem(int fail_at_step, Fault fault, std::uint32_t seed)
      : fail_at_(fail_at_step), fault_(fault), random_(seed) {}

  // Atomic: a test reads it while an engine thread may be writing through this file system.
  int steps() const noexcept { return step_.load(); }
  bool powered_off() const noexcept { return dead_; }
  // A new file system holding what survives a power loss now.
  std::unique_ptr<FaultyFileSystem> crash_image();

  Result<std::string> resolve(const std::string& path) override { return path; }  // no links here
  Result<Bytes> read_file(const std::string& path, std::uint64_t max_size) override;
  bool exists(const std::string& path) override { return names_.contains(path); }
  Result<std::vector<std::string>> list(const std::string& directory) override;
  Result<std::unique_ptr<snapshot::AppendFile>> open_append(const std::string& path, bool create) override;
  Status truncate(const std::string& path, std::uint64_t size) override;
  Status rename(const std::string& from, const std::string& to) override;
  Status remove(const std::string& path) override;
  Status sync_directory(const std::string& path) override;
  Result<std::unique_ptr<snapshot::FileLock>> lock(const std::string& path) override;

  struct File {
    Bytes durable;                                          // survives a power loss
    Bytes current;                                          // what reads see
    std::vector<std::pair<std::size_t, std::size_t>> lost;  // [from, to) of `current` a failed sync dropped
    // A successful sync: what reads see, except the ranges already lost.
    void make_durable();
  };

 private:
  friend class FaultyAppendFile;
  enum class Outcome { proceed, fail, fail_partially };
  // Counts a step and tells whether it fails.
  Outcome step();
  std::size_t random_below(std::size_t bound) {
    return bound == 0 ? 0 : std::uniform_int_distribution<std::size_t>(0, bound - 1)(random_);
  }

  int fail_at_;
  Fault fault_;
  std::mt19937 random_;
  std::atomic<int> step_ = 0;
  bool dead_ = false;
  std::map<std::string, std::shared_ptr<File>> names_;          // the directory as processes see it
  std::map<std::string, std::shared_ptr<File>> durable_names_;  // the directory after a power loss
};

}  // namespace stronghold::test
