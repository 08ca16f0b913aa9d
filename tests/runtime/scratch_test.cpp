#include <cstdint>
#include <cstring>
#include <thread>

#include <doctest/doctest.h>

#include "stronghold/runtime/scratch.hpp"

using stronghold::Errc;
using stronghold::runtime::kScratchCapacity;
using stronghold::runtime::ScratchFrame;
using stronghold::runtime::thread_scratch_is_clear;

TEST_CASE("the scratch area is zero after each operation") {
  REQUIRE(thread_scratch_is_clear());
  {
    ScratchFrame frame;
    auto a = frame.take(32);
    auto b = frame.take(70);
    REQUIRE(a.ok());
    REQUIRE(b.ok());
    std::memset(a->data(), 0x11, a->size());
    std::memset(b->data(), 0x22, b->size());
    CHECK_FALSE(thread_scratch_is_clear());
  }
  CHECK(thread_scratch_is_clear());
}

TEST_CASE("scratch spans are zero, aligned and disjoint") {
  ScratchFrame frame;
  auto a = frame.take(5);
  auto b = frame.take(40);
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  CHECK(reinterpret_cast<std::uintptr_t>(a->data()) % 16 == 0);
  CHECK(reinterpret_cast<std::uintptr_t>(b->data()) % 16 == 0);
  CHECK(b->data() >= a->data() + a->size());
  for (auto byte : *b)
    CHECK(byte == 0);
}

TEST_CASE("an inner frame wipes only what it handed out") {
  ScratchFrame outer;
  auto kept = outer.take(16);
  REQUIRE(kept.ok());
  std::memset(kept->data(), 0x33, kept->size());
  {
    ScratchFrame inner;
    auto temporary = inner.take(16);
    REQUIRE(temporary.ok());
    std::memset(temporary->data(), 0x44, temporary->size());
  }
  CHECK((*kept)[0] == 0x33);
  CHECK((*kept)[15] == 0x33);
  auto reused = outer.take(16);
  REQUIRE(reused.ok());
  CHECK((*reused)[0] == 0);  // the inner frame's bytes were wiped
}

TEST_CASE("asking for more scratch than there is fails cleanly") {
  ScratchFrame frame;
  auto too_big = frame.take(kScratchCapacity + 1);
  CHECK(too_big.code() == Errc::resource_exhausted);
  auto all = frame.take(kScratchCapacity);
  CHECK(all.ok());
  CHECK(frame.take(1).code() == Errc::resource_exhausted);
}

TEST_CASE("each thread has its own scratch area") {
  ScratchFrame frame;
  auto mine = frame.take(16);
  REQUIRE(mine.ok());
  std::uint8_t* other = nullptr;
  bool other_clear_after = false;
  std::thread([&] {
    {
      ScratchFrame other_frame;
      auto span = other_frame.take(16);
      if (span.ok())
        other = span->data();
      std::memset(span->data(), 0x55, 16);
    }
    other_clear_after = thread_scratch_is_clear();
  }).join();
  CHECK(other != nullptr);
  CHECK(other != mine->data());
  CHECK(other_clear_after);
}
