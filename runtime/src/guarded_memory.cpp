#include "stronghold/runtime/guarded_memory.hpp"

#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>

#include <sodium.h>

#include "stronghold/runtime/init.hpp"

#ifndef MADV_WIPEONFORK
#define MADV_WIPEONFORK 18
#endif

namespace stronghold::runtime {
namespace {

std::atomic<std::size_t> g_live{0};
std::atomic<std::size_t> g_lock_failures{0};
std::atomic<std::size_t> g_advise_failures{0};

// libsodium right-aligns the user region against the trailing guard page and puts a 16-byte
// canary just before it; the readable pages run from the canary's page to the guard page.
struct PageRange {
  void* start;
  std::size_t length;
};

PageRange readable_pages(void* ptr, std::size_t size) noexcept {
  const auto page = static_cast<std::uintptr_t>(sysconf(_SC_PAGESIZE));
  const auto begin = reinterpret_cast<std::uintptr_t>(ptr) - 16;
  const auto end = reinterpret_cast<std::uintptr_t>(ptr) + size;
  const auto first = begin & ~(page - 1);
  const auto last = (end + page - 1) & ~(page - 1);
  // NOLINTNEXTLINE(performance-no-int-to-ptr): a page address for mprotect, rounded down from `ptr`
  return {reinterpret_cast<void*>(first), static_cast<std::size_t>(last - first)};
}

}  // namespace

void* guarded_alloc(std::size_t size) noexcept {
  if (!ensure_initialized().ok())
    return nullptr;
  void* ptr = sodium_malloc(size);
  if (ptr == nullptr)
    return nullptr;
  // libsodium locks the pages but ignores a failure; check it ourselves. The system call is
  // made directly because sanitizer runtimes replace mlock() with a no-op that succeeds.
  const PageRange pages = readable_pages(ptr, size);
  if (syscall(SYS_mlock, pages.start, pages.length) != 0)
    g_lock_failures.fetch_add(1, std::memory_order_relaxed);
  if (madvise(pages.start, pages.length, MADV_DONTDUMP) != 0 ||
      madvise(pages.start, pages.length, MADV_WIPEONFORK) != 0)
    g_advise_failures.fetch_add(1, std::memory_order_relaxed);
  g_live.fetch_add(1, std::memory_order_relaxed);
  return ptr;
}

void guarded_free(void* ptr) noexcept {
  if (ptr == nullptr)
    return;
  sodium_free(ptr);  // wipes, unlocks and unmaps
  g_live.fetch_sub(1, std::memory_order_relaxed);
}

bool guarded_protect(void* ptr, Protection protection) noexcept {
  switch (protection) {
    case Protection::no_access: return sodium_mprotect_noaccess(ptr) == 0;
    case Protection::read_only: return sodium_mprotect_readonly(ptr) == 0;
    case Protection::read_write: return sodium_mprotect_readwrite(ptr) == 0;
  }
  return false;
}

GuardedMemoryStats guarded_memory_stats() noexcept {
  return {g_live.load(std::memory_order_relaxed), g_lock_failures.load(std::memory_order_relaxed),
          g_advise_failures.load(std::memory_order_relaxed)};
}

}  // namespace stronghold::runtime
