#include "large_pages.hpp"

#include <sys/mman.h>

#include <cstdint>

namespace stronghold::vault {
namespace {

constexpr std::size_t kHugePage = std::size_t{2} << 20;

std::size_t round_up(std::size_t bytes) { return (bytes + kHugePage - 1) & ~(kHugePage - 1); }

}  // namespace

void* allocate_large(std::size_t bytes) {
  if (bytes < kHugePage)
    return ::operator new(bytes);
  if (bytes > SIZE_MAX - 2 * kHugePage)
    throw std::bad_alloc();
  // Mapped one huge page longer, then trimmed to an aligned range: only aligned 2 MiB ranges can
  // be huge pages.
  const std::size_t length = round_up(bytes);
  void* mapped = ::mmap(nullptr, length + kHugePage, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (mapped == MAP_FAILED)
    throw std::bad_alloc();
  char* const base = static_cast<char*>(mapped);
  const std::size_t head = (kHugePage - reinterpret_cast<std::uintptr_t>(mapped) % kHugePage) % kHugePage;
  char* const aligned = base + head;
  if (head != 0)
    ::munmap(base, head);
  ::munmap(aligned + length, kHugePage - head);     // head < kHugePage: never empty
  (void)::madvise(aligned, length, MADV_HUGEPAGE);  // advice: fine if refused
  return aligned;
}

void free_large(void* memory, std::size_t bytes) noexcept {
  if (memory == nullptr)
    return;
  if (bytes < kHugePage)
    ::operator delete(memory);
  else
    ::munmap(memory, round_up(bytes));
}

}  // namespace stronghold::vault
