#include <csignal>
#include <cstring>
#include <sstream>

#include <doctest/doctest.h>
#include <fmt/format.h>

#include "stronghold/runtime/compare.hpp"
#include "stronghold/runtime/guarded_memory.hpp"
#include "stronghold/runtime/secret_buffer.hpp"
#include "support/child_process.hpp"

using stronghold::runtime::SecretBuffer;
using stronghold::test::run_in_child;

namespace {

SecretBuffer filled(std::size_t size, std::uint8_t value) {
  auto buffer = SecretBuffer::create(size);
  REQUIRE(buffer.ok());
  auto view = buffer->write();
  std::memset(view.bytes().data(), value, size);
  return std::move(buffer).value();
}

bool is_fault(int signal) { return signal == SIGSEGV || signal == SIGBUS; }

}  // namespace

TEST_CASE("a new secret buffer is zero and round-trips what is written") {
  auto buffer = SecretBuffer::create(48);
  REQUIRE(buffer.ok());
  CHECK(buffer->size() == 48);
  {
    auto view = buffer->read();
    CHECK(stronghold::runtime::constant_time_is_zero(view.bytes()));
  }
  const std::uint8_t expected[3] = {1, 2, 3};
  auto copy = SecretBuffer::from(expected);
  REQUIRE(copy.ok());
  auto view = copy->read();
  CHECK(std::memcmp(view.bytes().data(), expected, 3) == 0);
}

TEST_CASE("read views nest") {
  SecretBuffer buffer = filled(16, 0x5a);
  auto outer = buffer.read();
  {
    auto inner = buffer.read();
    CHECK(inner.bytes()[0] == 0x5a);
  }
  CHECK(outer.bytes()[15] == 0x5a);  // the inner view closing did not revoke access
}

TEST_CASE("reading a secret buffer outside a view kills the process") {
  const auto outcome = run_in_child([] {
    SecretBuffer buffer = filled(32, 7);
    const volatile std::uint8_t* bytes = nullptr;
    {
      auto view = buffer.read();
      bytes = view.bytes().data();
      if (bytes[0] != 7)
        return 2;  // the view itself must work
    }
    return static_cast<int>(bytes[0]);  // must fault
  });
  CHECK(is_fault(outcome.signal));
}

TEST_CASE("writing past the end of a secret buffer kills the process") {
  const auto outcome = run_in_child([] {
    SecretBuffer buffer = filled(32, 7);
    auto view = buffer.write();
    volatile std::uint8_t* bytes = view.bytes().data();
    for (std::size_t i = 0; i < 4096; ++i)
      bytes[32 + i] = 1;  // the guard page starts right after the last byte
    return 0;
  });
  CHECK(is_fault(outcome.signal));
}

TEST_CASE("a write view while a read view is open is refused") {
  const auto outcome = run_in_child([] {
    SecretBuffer buffer = filled(8, 1);
    auto reading = buffer.read();
    auto writing = buffer.write();  // aborts
    return 0;
  });
  CHECK(outcome.signal == SIGABRT);
}

TEST_CASE("wipe zeroes every byte") {
  SecretBuffer buffer = filled(100, 0xff);
  buffer.wipe();
  CHECK(buffer.size() == 100);
  auto view = buffer.read();
  CHECK(stronghold::runtime::constant_time_is_zero(view.bytes()));
}

TEST_CASE("a moved-from buffer holds no bytes and the target keeps them") {
  SecretBuffer source = filled(24, 0x42);
  SecretBuffer target = std::move(source);
  CHECK(source.empty());  // NOLINT(bugprone-use-after-move): checking the moved-from state
  CHECK(source.read().bytes().empty());
  CHECK(target.size() == 24);
  CHECK(target.read().bytes()[23] == 0x42);

  SecretBuffer assigned = filled(4, 1);
  assigned = std::move(target);
  CHECK(target.empty());  // NOLINT(bugprone-use-after-move)
  CHECK(assigned.read().bytes()[0] == 0x42);
}

TEST_CASE("a destroyed buffer returns its guarded allocation") {
  const auto before = stronghold::runtime::guarded_memory_stats().live_allocations;
  {
    SecretBuffer buffer = filled(64, 0xee);
    CHECK(stronghold::runtime::guarded_memory_stats().live_allocations == before + 1);
  }
  CHECK(stronghold::runtime::guarded_memory_stats().live_allocations == before);
}

TEST_CASE("printing a secret buffer shows a redacted marker, never its bytes") {
  SecretBuffer buffer = filled(4, 0xab);
  const std::string formatted = fmt::format("{}", buffer);
  std::ostringstream streamed;
  streamed << buffer;
  for (const std::string& text : {formatted, streamed.str()}) {
    CHECK(text.find("redacted") != std::string::npos);
    CHECK(text.find("ab") == std::string::npos);
    CHECK(text.find('\xab') == std::string::npos);
  }
}

TEST_CASE("an empty buffer needs no guarded memory") {
  auto buffer = SecretBuffer::create(0);
  REQUIRE(buffer.ok());
  CHECK(buffer->empty());
  CHECK(buffer->read().bytes().empty());
}
