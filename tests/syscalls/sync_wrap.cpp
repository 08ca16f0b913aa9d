#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <mutex>

#include "syscalls/sync_log.hpp"

// The linker's --wrap names these __real_ and __wrap_: reserved names, which the lint's
// -Wreserved-identifier would refuse.
#if defined(__clang__)
#pragma clang diagnostic push
#pragma clang diagnostic ignored "-Wreserved-identifier"
#endif
extern "C" int __real_fdatasync(int fd);
extern "C" int __real_fsync(int fd);
extern "C" int __real_rename(const char* from, const char* to);

namespace stronghold::test {
namespace {

std::mutex mutex;
std::vector<SyncCall> calls;

std::string path_of(int fd) {
  std::error_code ignored;
  return std::filesystem::read_symlink("/proc/self/fd/" + std::to_string(fd), ignored).string();
}

int record(int result, SyncCall call) {
  std::lock_guard lock(mutex);
  calls.push_back(std::move(call));
  return result;
}

}  // namespace

std::vector<SyncCall> sync_calls_since(std::size_t mark) {
  std::lock_guard lock(mutex);
  return std::vector<SyncCall>(calls.begin() + static_cast<std::ptrdiff_t>(std::min(mark, calls.size())), calls.end());
}

std::size_t sync_call_count() {
  std::lock_guard lock(mutex);
  return calls.size();
}

}  // namespace stronghold::test

using stronghold::test::record;

extern "C" int __wrap_fdatasync(int fd) {
  return record(__real_fdatasync(fd), {"fdatasync", stronghold::test::path_of(fd), {}});
}
extern "C" int __wrap_fsync(int fd) { return record(__real_fsync(fd), {"fsync", stronghold::test::path_of(fd), {}}); }
extern "C" int __wrap_rename(const char* from, const char* to) {
  return record(__real_rename(from, to),
                {"rename", std::filesystem::absolute(to).string(), std::filesystem::absolute(from).string()});
}
#if defined(__clang__)
#pragma clang diagnostic pop
#endif
