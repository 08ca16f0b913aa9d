#include "demo.hpp"

#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <vector>

#include <fmt/format.h>

#include "stronghold/runtime/compare.hpp"
#include "stronghold/runtime/random.hpp"
#include "stronghold/runtime/scratch.hpp"
#include "stronghold/stronghold.hpp"

namespace stronghold::cli {
namespace {

long max_rss_kib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss;
}

int fail(const Status& status) {
  fmt::print(stderr, "demo failed: {}\n", status);
  return 10;
}

}  // namespace

int run_demo() {
  fmt::print("stronghold {}: a tour of the engine\n\n", version());

  const runtime::HardeningReport report = runtime::harden_process();
  fmt::print("1. The process hardens itself against memory disclosure:\n{}\n", report.to_string());

  auto key = runtime::SecretBuffer::create(32);
  if (!key.ok())
    return fail(key.status());
  {
    auto view = key->write();
    runtime::random_bytes(view.bytes());
  }
  fmt::print("2. A 32-byte key lives in guarded memory, readable only inside a view. Printed, it shows as {}.\n\n",
             *key);

  constexpr std::size_t kCount = 100'000;
  const long rss_before = max_rss_kib();
  const auto start = std::chrono::steady_clock::now();
  std::vector<runtime::ShieldedSecret> shielded;
  shielded.reserve(kCount);
  for (std::size_t i = 0; i < kCount; ++i) {
    std::uint8_t secret[32];
    runtime::random_bytes(secret);
    auto sealed = runtime::ShieldedSecret::seal(secret);
    runtime::secure_wipe(secret);
    if (!sealed.ok())
      return fail(sealed.status());
    shielded.push_back(std::move(*sealed));
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  fmt::print(
      "3. {} secrets are shielded ({}) in ordinary memory in {:.2f} s, using about {} bytes each and no guarded\n"
      "   allocation per secret.\n\n",
      kCount, runtime::shield_cipher_name(), seconds, (max_rss_kib() - rss_before) * 1024 / long{kCount});

  {
    runtime::ScratchFrame frame;
    auto plain = frame.take(32);
    if (!plain.ok())
      return fail(plain.status());
    if (Status opened = shielded[kCount / 2].open(*plain); !opened.ok())
      return fail(opened);
  }
  fmt::print("4. One of them was unshielded into this thread's guarded scratch area for one operation; the\n"
             "   area is wiped afterwards: {}.\n",
             runtime::thread_scratch_is_clear() ? "clear" : "NOT CLEAR");
  return runtime::thread_scratch_is_clear() ? 0 : 10;
}

}  // namespace stronghold::cli
