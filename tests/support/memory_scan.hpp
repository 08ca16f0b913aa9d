// Looks for known secrets in plaintext in another process's memory (/proc/PID/mem), mapping by
// mapping, as an attacker with a core dump or ptrace would.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "stronghold/runtime/hex.hpp"

namespace stronghold::test {

struct KnownSecret {
  std::string name;
  Bytes bytes;  // at least 12 bytes, so that a hit is not chance
};

// The secret's bytes and their lowercase hex (a secret given as hex travels as text), and the
// halves of each, which find a copy in a freed block that the allocator has partly written over.
std::vector<KnownSecret> with_hex_forms(const std::vector<KnownSecret>& secrets);

struct ScanHit {
  std::string secret;
  std::string mapping;  // "7f..-7f.. rw-p [heap]"
};

// Every place one of `secrets` appears in the memory of `pid`. Guarded mappings (excluded from
// core dumps: libsodium's guarded allocations, the only place a plaintext secret may live) are
// skipped unless `include_guarded`. Needs the right to read the process's memory (root, as the
// tests run, or ptrace rights on a dumpable process); invalid_argument otherwise.
Result<std::vector<ScanHit>> scan_process(pid_t pid, const std::vector<KnownSecret>& secrets, bool include_guarded);

// "secret in mapping; ..." for a failure message.
std::string describe(const std::vector<ScanHit>& hits);

}  // namespace stronghold::test
