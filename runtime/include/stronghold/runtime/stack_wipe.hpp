// Wipes the stack that a library call used. Some libraries keep copies of a key in their own
// stack frames and leave them there (libsecp256k1 before 0.6 does not clear the RFC 6979 key
// data of a signature, nor its scalars on every path); the memory-scan test found them on
// worker threads' stacks long after the operation. A StackWipe placed before such a call wipes,
// when it ends, the stack below its own frame: where the callee's frames were.
//
//   { runtime::StackWipe wipe; secp256k1_ecdsa_sign(...); }
#pragma once

#include <cstddef>

namespace stronghold::runtime {

// Measured by the memory-scan test: libsecp256k1's signing, ECDH and key derivation use less.
inline constexpr std::size_t kStackWipeBytes = 16 * 1024;

// Zeroes kStackWipeBytes of stack below the caller's frame.
void wipe_stack_below() noexcept;

class StackWipe {
 public:
  StackWipe() noexcept = default;
  StackWipe(const StackWipe&) = delete;
  StackWipe& operator=(const StackWipe&) = delete;
  ~StackWipe() { wipe_stack_below(); }
};

}  // namespace stronghold::runtime
