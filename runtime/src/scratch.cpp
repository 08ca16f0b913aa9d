#include "stronghold/runtime/scratch.hpp"

#include <sodium.h>

#include "stronghold/runtime/guarded_memory.hpp"

namespace stronghold::runtime {
namespace {

// Bytes at and past `top` are always zero: frames wipe what they handed out when they close.
struct ThreadScratch {
  std::uint8_t* base = static_cast<std::uint8_t*>(guarded_alloc(kScratchCapacity));
  std::size_t top = 0;

  ThreadScratch() {
    if (base != nullptr)
      sodium_memzero(base, kScratchCapacity);
  }
  ~ThreadScratch() { guarded_free(base); }
  ThreadScratch(const ThreadScratch&) = delete;
  ThreadScratch& operator=(const ThreadScratch&) = delete;
};

ThreadScratch& thread_scratch() noexcept {
  thread_local ThreadScratch scratch;
  return scratch;
}

constexpr std::size_t round_up16(std::size_t n) noexcept { return (n + 15) & ~std::size_t{15}; }

}  // namespace

ScratchFrame::ScratchFrame() noexcept : start_(thread_scratch().top) {}

ScratchFrame::~ScratchFrame() {
  ThreadScratch& scratch = thread_scratch();
  if (scratch.base != nullptr)
    sodium_memzero(scratch.base + start_, scratch.top - start_);
  scratch.top = start_;
}

Result<std::span<std::uint8_t>> ScratchFrame::take(std::size_t size) {
  ThreadScratch& scratch = thread_scratch();
  if (scratch.base == nullptr)
    return Status(Errc::resource_exhausted, "this thread has no guarded scratch area");
  const std::size_t rounded = round_up16(size);
  if (rounded < size || rounded > kScratchCapacity - scratch.top)
    return error(Errc::resource_exhausted, "scratch area full: {} bytes asked, {} free", size,
                 kScratchCapacity - scratch.top);
  std::span<std::uint8_t> span(scratch.base + scratch.top, size);
  scratch.top += rounded;
  return span;
}

bool thread_scratch_is_clear() noexcept {
  const ThreadScratch& scratch = thread_scratch();
  return scratch.base == nullptr || sodium_is_zero(scratch.base, kScratchCapacity) == 1;
}

}  // namespace stronghold::runtime
