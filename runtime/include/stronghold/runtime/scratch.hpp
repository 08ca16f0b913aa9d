// The per-thread scratch area: the only place where the plaintext of a key exists while an
// operation uses it. It is guarded memory (guard pages, locked, no dumps, wiped on fork) that
// stays readable and writable for the thread's life: switching page protection per operation
// costs a TLB shootdown, measured at about one whole Ed25519 signature once a second thread
// runs. Instead, everything a frame hands out is wiped when the frame closes.
//
//   ScratchFrame frame;
//   SH_ASSIGN_OR_RETURN(auto key, frame.take(32));
//   ... unseal into key, use it ...
//   // ~ScratchFrame wipes `key`
//
// Frames nest (an inner frame wipes only what it handed out). Spans are 16-byte aligned and
// must not outlive their frame.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "stronghold/runtime/status.hpp"

namespace stronghold::runtime {

inline constexpr std::size_t kScratchCapacity = std::size_t{64} * 1024;

class ScratchFrame {
 public:
  ScratchFrame() noexcept;
  ScratchFrame(const ScratchFrame&) = delete;
  ScratchFrame& operator=(const ScratchFrame&) = delete;
  ~ScratchFrame();

  // `size` zero bytes, or resource_exhausted when the thread's scratch is full or could not
  // be allocated.
  Result<std::span<std::uint8_t>> take(std::size_t size);

 private:
  std::size_t start_;
};

// True when no byte of this thread's scratch area is set (a test and audit aid).
bool thread_scratch_is_clear() noexcept;

}  // namespace stronghold::runtime
