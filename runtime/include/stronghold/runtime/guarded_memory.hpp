// Guarded allocations: libsodium's guarded heap (guard pages before and after, a canary,
// its own mapping), plus what libsodium leaves out: the pages are advised MADV_DONTDUMP and
// MADV_WIPEONFORK, and a failed mlock is counted instead of ignored.
//
// Each allocation costs about four kernel mappings (the kernel stops near 65k mappings per
// process) and at least one locked page (RLIMIT_MEMLOCK is 8 MiB for ordinary users), so
// guarded memory is for a few long-lived secrets; large key sets are shielded (shield.hpp).
#pragma once

#include <cstddef>

namespace stronghold::runtime {

enum class Protection { no_access, read_only, read_write };

// `size` bytes, readable and writable, or nullptr when the system refuses. The end of the
// region touches a guard page, so a write past it faults at once.
void* guarded_alloc(std::size_t size) noexcept;
// Wipes and unmaps. nullptr is allowed.
void guarded_free(void* ptr) noexcept;
// False when the kernel refused the change.
bool guarded_protect(void* ptr, Protection protection) noexcept;

struct GuardedMemoryStats {
  std::size_t live_allocations = 0;
  std::size_t lock_failures = 0;    // allocations whose pages could not be locked in RAM
  std::size_t advise_failures = 0;  // allocations that could not be excluded from dumps/forks
};
GuardedMemoryStats guarded_memory_stats() noexcept;

}  // namespace stronghold::runtime
