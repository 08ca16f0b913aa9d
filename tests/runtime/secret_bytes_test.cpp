#include <algorithm>
#include <type_traits>
#include <vector>

#include <doctest/doctest.h>

#include "stronghold/runtime/secret_bytes.hpp"

using namespace stronghold;
using runtime::SecretBytes;
using runtime::WipingAllocator;

namespace {

// Frees nothing: keeps each block to look at it after the container let it go.
std::vector<std::pair<std::uint8_t*, std::size_t>> g_freed;

template <class T>
struct KeepingAllocator {
  using value_type = T;
  KeepingAllocator() = default;
  template <class U>
  KeepingAllocator(const KeepingAllocator<U>&) noexcept {}
  T* allocate(std::size_t count) { return static_cast<T*>(::operator new(count * sizeof(T))); }
  void deallocate(T* block, std::size_t count) noexcept {
    g_freed.emplace_back(reinterpret_cast<std::uint8_t*>(block), count * sizeof(T));
  }
  friend bool operator==(const KeepingAllocator&, const KeepingAllocator&) noexcept { return true; }
};

bool all_zero(const std::pair<std::uint8_t*, std::size_t>& block) {
  return std::all_of(block.first, block.first + block.second, [](std::uint8_t b) { return b == 0; });
}

}  // namespace

TEST_CASE("every block a wiping container frees is wiped first, growth included") {
  g_freed.clear();
  {
    std::vector<std::uint8_t, WipingAllocator<std::uint8_t, KeepingAllocator<std::uint8_t>>> bytes;
    for (int i = 0; i < 1000; ++i)
      // NOLINTNEXTLINE(performance-inefficient-vector-operation): the reallocations are the point
      bytes.push_back(0xa5);  // many reallocations, each freeing a block full of 0xa5
  }
  REQUIRE(g_freed.size() > 5);
  for (const auto& block : g_freed) {
    CHECK(all_zero(block));
    ::operator delete(block.first);
  }
  g_freed.clear();
}

TEST_CASE("secret bytes are not copied by accident and consume wipes what it leaves behind") {
  static_assert(!std::is_copy_constructible_v<SecretBytes>);
  static_assert(!std::is_copy_assignable_v<SecretBytes>);
  static_assert(std::is_nothrow_move_constructible_v<SecretBytes>);
  SecretBytes frame(as_bytes("password:hunter2"));
  const SecretBytes copy = frame.clone();
  CHECK(std::equal(copy.view().begin(), copy.view().end(), frame.view().begin(), frame.view().end()));
  const std::uint8_t* const block = frame.data();
  const std::size_t size = frame.size();
  frame.consume(9);
  CHECK(std::string(frame.view().begin(), frame.view().end()) == "hunter2");
  REQUIRE(frame.data() == block);  // the same block: its tail must hold no copy
  CHECK(std::all_of(block + frame.size(), block + size, [](std::uint8_t b) { return b == 0; }));
  frame.clear();
  CHECK(frame.empty());
  CHECK(std::all_of(block, block + size, [](std::uint8_t b) { return b == 0; }));
}
