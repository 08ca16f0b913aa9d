// The sync system calls (fdatasync, fsync) and renames this process made, in order, with the
// file each descriptor named. Recorded by wrappers the linker puts in front of the C library's
// functions (-Wl,--wrap=...), after each call returns.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace stronghold::test {

struct SyncCall {
  std::string call;  // "fdatasync", "fsync" or "rename"
  std::string path;  // the file the descriptor named; for a rename, its target
  std::string from;  // for a rename, its source
  bool operator==(const SyncCall&) const = default;
};

// Every call recorded since the `mark`-th.
std::vector<SyncCall> sync_calls_since(std::size_t mark);
std::size_t sync_call_count();

}  // namespace stronghold::test
