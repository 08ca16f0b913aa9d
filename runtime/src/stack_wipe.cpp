#include "stronghold/runtime/stack_wipe.hpp"

#include <sodium.h>

namespace stronghold::runtime {

// Not inlined, so its frame is a fresh one below the caller's, over the callee frames to wipe.
__attribute__((noinline)) void wipe_stack_below() noexcept {
  unsigned char area[kStackWipeBytes];
  sodium_memzero(area, sizeof area);
  __asm__ __volatile__("" : : "r"(area) : "memory");
}

}  // namespace stronghold::runtime
