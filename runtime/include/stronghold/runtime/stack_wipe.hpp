// Wipes the stack that the calls of a scope used. Some libraries keep copies of a key in their
// own stack frames and leave them there (libsecp256k1 before 0.6 does not clear the RFC 6979
// key data of a signature, nor its scalars on every path); the memory-scan test found them on
// worker threads' stacks long after the operation. A StackWipe wipes, when it ends, the stack
// below its own frame: where the frames of everything called in its scope were. The vault arms
// one for every use of a secp256k1 key or a seed (Keystore::use), and the paths that hand a
// secret to libsecp256k1 outside it (signing with shielded material, importing a key) their own.
//
//   { runtime::StackWipe wipe; secp256k1_ecdsa_sign(...); }
#pragma once

#include <cstddef>

#include "stronghold/runtime/sanitizers.hpp"

namespace stronghold::runtime {

// Measured by the memory-scan test: libsecp256k1's signing, ECDH and key derivation use less;
// AddressSanitizer's red zones make the instrumented frames between them several times larger.
#if STRONGHOLD_ADDRESS_SANITIZER
inline constexpr std::size_t kStackWipeBytes = std::size_t{128} * 1024;
#else
inline constexpr std::size_t kStackWipeBytes = std::size_t{16} * 1024;
#endif

// Zeroes kStackWipeBytes of stack below the caller's frame.
void wipe_stack_below() noexcept;

class StackWipe {
 public:
  // Unarmed, it wipes nothing until arm(): for a scope that learns later whether it must.
  explicit StackWipe(bool armed = true) noexcept : armed_(armed) {}
  StackWipe(const StackWipe&) = delete;
  StackWipe& operator=(const StackWipe&) = delete;
  ~StackWipe() {
    if (armed_)
      wipe_stack_below();
  }
  void arm() noexcept { armed_ = true; }

 private:
  bool armed_;
};

}  // namespace stronghold::runtime
