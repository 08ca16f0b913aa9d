// Memory for the record tables' slot arrays, in 2 MiB-aligned mappings that the kernel may back
// with transparent huge pages: a table grows in one page fault per 2 MiB instead of 512, and a
// probe that lands on a random slot misses the TLB less. Filling a table with 10,000,000 records
// took 11.2-11.9 s instead of 13.1-17.7 s on a 2-core VM (runs alternated, same binary).
#pragma once

#include <cstddef>
#include <new>

namespace stronghold::vault {

// Memory for `bytes`: when it is at least 2 MiB, a zeroed mapping, 2 MiB-aligned and advised for
// huge pages; else from operator new. Throws std::bad_alloc.
void* allocate_large(std::size_t bytes);
// Frees what allocate_large(bytes) returned.
void free_large(void* memory, std::size_t bytes) noexcept;

// An allocator for std::vector over allocate_large.
template <class T>
struct LargePageAllocator {
  using value_type = T;
  LargePageAllocator() = default;
  template <class U>
  explicit LargePageAllocator(const LargePageAllocator<U>& /*other*/) noexcept {}
  T* allocate(std::size_t count) {
    if (count > static_cast<std::size_t>(-1) / sizeof(T))
      throw std::bad_alloc();
    return static_cast<T*>(allocate_large(count * sizeof(T)));
  }
  void deallocate(T* memory, std::size_t count) noexcept { free_large(memory, count * sizeof(T)); }
  friend bool operator==(const LargePageAllocator&, const LargePageAllocator&) noexcept { return true; }
};

}  // namespace stronghold::vault
