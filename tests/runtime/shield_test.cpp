#include <malloc.h>

#include <cstring>
#include <string>
#include <vector>

#include <doctest/doctest.h>
#include <fmt/format.h>

#include "stronghold/runtime/guarded_memory.hpp"
#include "stronghold/runtime/random.hpp"
#include "stronghold/runtime/sanitizers.hpp"
#include "stronghold/runtime/scratch.hpp"
#include "stronghold/runtime/shield.hpp"
#include "support/child_process.hpp"

using stronghold::Errc;
using stronghold::runtime::ScratchFrame;
using stronghold::runtime::ShieldedSecret;

namespace {

// Deterministic content, so a sample can be checked without keeping the plaintexts.
void secret_for(std::size_t index, std::uint8_t out[32]) {
  for (std::size_t i = 0; i < 32; ++i)
    out[i] = static_cast<std::uint8_t>(index * 31 + i * 7 + (index >> 8));
}

bool opens_to(const ShieldedSecret& secret, const std::uint8_t* expected, std::size_t size) {
  ScratchFrame frame;
  auto plain = frame.take(size);
  return plain.ok() && secret.open(*plain).ok() && std::memcmp(plain->data(), expected, size) == 0;
}

}  // namespace

TEST_CASE("a shielded secret round-trips through the scratch area") {
  std::uint8_t secret[64];
  stronghold::runtime::random_bytes(secret);
  auto shielded = ShieldedSecret::seal(secret);
  REQUIRE(shielded.ok());
  CHECK(shielded->size() == 64);
  CHECK(opens_to(*shielded, secret, 64));
  CHECK(stronghold::runtime::thread_scratch_is_clear());
}

TEST_CASE("two seals of the same secret differ") {
  const std::uint8_t secret[32] = {9};
  auto a = ShieldedSecret::seal(secret);
  auto b = ShieldedSecret::seal(secret);
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  CHECK(opens_to(*a, secret, 32));
  CHECK(opens_to(*b, secret, 32));
}

TEST_CASE("opening into a wrong-sized output or from an empty secret is an error") {
  const std::uint8_t secret[32] = {1};
  auto shielded = ShieldedSecret::seal(secret);
  REQUIRE(shielded.ok());
  std::uint8_t small[31];
  CHECK(shielded->open(small).code() == Errc::invalid_argument);
  CHECK(ShieldedSecret{}.open(small).code() == Errc::invalid_argument);
  std::vector<std::uint8_t> huge(ShieldedSecret::kMaxSize + 1);
  CHECK(ShieldedSecret::seal(huge).code() == Errc::invalid_argument);
}

TEST_CASE("a forked child cannot open its parent's shielded secrets, and shields its own") {
  const std::uint8_t secret[32] = {7, 7, 7};
  auto shielded = ShieldedSecret::seal(secret);
  REQUIRE(shielded.ok());
  const auto outcome = stronghold::test::run_in_child([&] {
    std::uint8_t out[32];
    if (shielded->open(out).code() != Errc::unavailable)
      return 1;
    const std::uint8_t mine[32] = {9};
    auto fresh = ShieldedSecret::seal(mine);
    return fresh.ok() && opens_to(*fresh, mine, 32) ? 0 : 2;
  });
  CHECK(outcome.exit_code == 0);
  CHECK(opens_to(*shielded, secret, 32));  // the parent is unaffected
}

TEST_CASE("printing a shielded secret shows a redacted marker") {
  const std::uint8_t secret[4] = {0xab, 0xab, 0xab, 0xab};
  auto shielded = ShieldedSecret::seal(secret);
  REQUIRE(shielded.ok());
  CHECK(fmt::format("{}", *shielded) == "ShieldedSecret(<redacted>)");
}

TEST_CASE("one million shielded 32-byte secrets, with no guarded allocation per secret") {
  constexpr std::size_t kCount = 1'000'000;
  const auto guarded_before = stronghold::runtime::guarded_memory_stats().live_allocations;
  const auto heap_before = mallinfo2().uordblks;

  std::vector<ShieldedSecret> secrets;
  secrets.reserve(kCount);
  for (std::size_t i = 0; i < kCount; ++i) {
    std::uint8_t plain[32];
    secret_for(i, plain);
    auto sealed = ShieldedSecret::seal(plain);
    REQUIRE(sealed.ok());
    secrets.push_back(std::move(*sealed));
  }

  const auto guarded_after = stronghold::runtime::guarded_memory_stats().live_allocations;
  CHECK(guarded_after <= guarded_before + 2);  // at most the shielding key and this thread's scratch
  const double bytes_each = static_cast<double>(mallinfo2().uordblks - heap_before) / kCount;
  const double total_each = bytes_each + sizeof(ShieldedSecret);  // the handle in the vector
  MESSAGE(
      fmt::format("1,000,000 shielded 32-byte secrets: {:.1f} bytes each ({:.1f} on the heap + {} handle), "
                  "{:.1f} MiB in all",
                  total_each, bytes_each, sizeof(ShieldedSecret), total_each * kCount / (1024.0 * 1024.0)));
#if !STRONGHOLD_ADDRESS_SANITIZER
  CHECK(bytes_each < 100.0);  // 56-byte blob in a 64-byte heap chunk, plus the 8-byte handle
#endif

  std::size_t checked = 0;
  for (std::size_t i = 0; i < kCount; i += 997) {
    std::uint8_t expected[32];
    secret_for(i, expected);
    CHECK(opens_to(secrets[i], expected, 32));
    ++checked;
  }
  CHECK(checked == 1004);
}
