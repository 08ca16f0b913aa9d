// Signing through the engine's actors against the raw libraries, all in one run:
//   throughput with many asynchronous requests in flight, and with batches, as a ratio of raw
//   signing on the same number of threads; the latency of one blocking request at a time; and
//   what a policy costs, as a ratio to signing without one; and what the audit log costs (with a
//   policy too), as a ratio to signing with neither, and per request against a raw fdatasync.
// Raw, async and batch run in interleaved short rounds and each round gives its own ratios, so
// a neighbour's load on a shared machine hits both sides of a ratio; the median round is shown.
#include <fcntl.h>
#include <unistd.h>

#include <filesystem>

#include <fmt/format.h>

#include "stronghold/engine.hpp"
#include "throughput.hpp"

namespace {

using namespace stronghold;
using namespace stronghold::bench;
double async_rate(Engine& engine, const vault::Location& key, int in_flight) {
  return pipelined_rate(in_flight, [&](auto& finished) {
    engine.sign_async(key, kMessage, [&finished](const Result<Bytes>& signature) {
      if (!signature.ok())
        std::abort();
      finished(1);
    });
  });
}

double batch_rate(Engine& engine, const vault::Location& key, int batch, int in_flight) {
  const std::vector<Bytes> messages(static_cast<std::size_t>(batch), kMessage);
  return pipelined_rate(in_flight, [&](auto& finished) {
    engine.sign_batch_async(key, messages, [&finished](Result<std::vector<Bytes>> signatures) {
      if (!signatures.ok())
        std::abort();
      finished(signatures->size());
    });
  });
}

struct Latency {
  double median_us, p99_us;
};

// Latencies of `measured` and `baseline` called alternately, so both see the same machine state.
template <class Measured, class Baseline>
std::pair<Latency, Latency> paired_latency(int samples, Measured measured, Baseline baseline) {
  std::vector<double> measured_us, baseline_us;
  const auto time = [](auto& call, std::vector<double>& us) {
    const auto start = Clock::now();
    call();
    us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - start).count());
  };
  for (int i = 0; i < samples; ++i) {
    time(measured, measured_us);
    time(baseline, baseline_us);
  }
  const auto summary = [](std::vector<double>& us) {
    std::sort(us.begin(), us.end());
    return Latency{us[us.size() / 2], us[us.size() * 99 / 100]};
  };
  return {summary(measured_us), summary(baseline_us)};
}

// Signing with a key a policy governs (every counted rule on, so that each request is counted
// and every 64th waits for a durable reservation) against the same key type without one, in
// interleaved rounds; and one blocking signature, which a policy sends through the vault actor
// rather than the caller's thread.
const vault::Location kPoliced = vault::Location::parse("bench/policed").value();

// A key at kPoliced under a policy with every counted rule on.
void make_policed_key(Engine& engine) {
  actors::PolicyRules rules;
  rules.callers = {"owner"};
  rules.max_uses = std::uint64_t{1} << 40;
  rules.rate_count = 100'000'000;
  rules.rate_seconds = 1;
  rules.max_message = 1024;
  if (!engine.generate(kPoliced, vault::KeyType::ed25519).ok() ||
      !engine.call(actors::SetPolicy{kPoliced.vault, kPoliced.record, rules}).ok())
    std::abort();
}

const auto sign_with = [](Engine& engine, const vault::Location& key) {
  return [&engine, key] {
    if (!engine.sign(key, kMessage).ok())
      std::abort();
  };
};

void policy_cost(Engine& engine, const vault::Location& free_key) {
  const vault::Location& policed = kPoliced;
  make_policed_key(engine);
  std::vector<double> async_ratio;
  for (int round = 0; round < kRounds; ++round) {
    const double free_rate = async_rate(engine, free_key, 256);
    async_ratio.push_back(async_rate(engine, policed, 256) / free_rate);
  }
  fmt::print("  {:<16} {:<28} {:.2f} x without (rounds {:.2f}..{:.2f})\n", "Ed25519 policed", "async, 256 in flight",
             median(async_ratio), min(async_ratio), max(async_ratio));
  const auto [with_policy, fast_path] = paired_latency(3000, sign_with(engine, policed), sign_with(engine, free_key));
  fmt::print(
      "  {:<16} blocking one at a time: median {:.1f} us (= {:.2f} x the fast path without a policy, {:.1f} us), "
      "p99 {:.1f} us\n",
      "Ed25519 policed", with_policy.median_us, with_policy.median_us / fast_path.median_us, fast_path.median_us,
      with_policy.p99_us);
}

// A 4 KiB write and fdatasync in `dir`, in microseconds: what one durable append costs here.
Latency raw_fdatasync(const std::filesystem::path& dir) {
  const std::string path = (dir / "raw-sync").string();
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0)
    std::abort();
  const std::vector<char> page(4096, 'x');
  const auto sync_once = [&] {
    if (::write(fd, page.data(), page.size()) != static_cast<ssize_t>(page.size()) || ::fdatasync(fd) != 0)
      std::abort();
  };
  const auto [synced, unused] = paired_latency(300, sync_once, [] {});
  ::close(fd);
  return synced;
}

// Signing with a policy and the audit log, in a second snapshot (the log's mode is the snapshot's),
// against the first engine's signing with neither, in interleaved rounds: best effort, then fail
// closed, whose every request waits for its entry's fdatasync (shared by a batch: group commit).
void audit_cost(Engine& plain, const vault::Location& free_key, const std::filesystem::path& dir,
                const EngineOptions& options) {
  auto audited = Engine::create((dir / "audited.stronghold").string(), Bytes{'b'}, options).value();
  make_policed_key(*audited);
  for (const vault::AuditMode mode : {vault::AuditMode::best_effort, vault::AuditMode::fail_closed}) {
    if (!audited->call(actors::SetAuditMode{mode, actors::Secret::seal(Bytes{'b'}).value()}).ok())
      std::abort();
    const std::string label = fmt::format("policy+{}", vault::audit_mode_name(mode));
    std::vector<double> async_ratio;
    for (int round = 0; round < kRounds; ++round) {
      const double free_rate = async_rate(plain, free_key, 256);
      async_ratio.push_back(async_rate(*audited, kPoliced, 256) / free_rate);
    }
    fmt::print("  {:<24} {:<24} {:.2f} x neither (rounds {:.2f}..{:.2f})\n", label, "async, 256 in flight",
               median(async_ratio), min(async_ratio), max(async_ratio));
    const auto [logged, fast_path] = paired_latency(1000, sign_with(*audited, kPoliced), sign_with(plain, free_key));
    fmt::print("  {:<24} blocking one at a time: median {:.1f} us (fast path with neither {:.1f} us), p99 {:.1f} us\n",
               label, logged.median_us, fast_path.median_us, logged.p99_us);
  }
  fmt::print("  {:<24} 4 KiB write + fdatasync here: median {:.1f} us\n", "raw", raw_fdatasync(dir).median_us);
  audited->close();
}

}  // namespace

int main() {
  const unsigned threads = std::max(1u, std::thread::hardware_concurrency());
  const std::filesystem::path dir = std::filesystem::path("bench-data") / "engine";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  EngineOptions options;
  options.snapshot.kdf = snapshot::KdfPreset::fast;
  options.actors.signers = threads;
  auto engine = Engine::create((dir / "engine.stronghold").string(), Bytes{'b'}, options).value();
  const auto ed = vault::Location::parse("bench/ed25519").value();
  const auto k1 = vault::Location::parse("bench/secp256k1").value();
  if (!engine->generate(ed, vault::KeyType::ed25519).ok() || !engine->generate(k1, vault::KeyType::secp256k1).ok())
    return 1;

  fmt::print(
      "signing throughput on {} threads, median of {} interleaved rounds (signatures per second, ratio to raw "
      "on the same threads in the same round)\n",
      threads, kRounds);
  for (const bool secp : {false, true}) {
    const auto& key = secp ? k1 : ed;
    const char* curve = secp ? "secp256k1 ECDSA" : "Ed25519";
    std::vector<double> raw, async_ratio, deep_ratio, batch_ratio;
    for (int round = 0; round < kRounds; ++round) {
      raw.push_back(secp ? raw_rate(threads, RawSecp256k1{}) : raw_rate(threads, RawEd25519{}));
      async_ratio.push_back(async_rate(*engine, key, 256) / raw.back());
      deep_ratio.push_back(async_rate(*engine, key, 1024) / raw.back());
      batch_ratio.push_back(batch_rate(*engine, key, 64, 8) / raw.back());
    }
    fmt::print("  {:<16} raw {:>8.0f}/s\n", curve, median(raw));
    const auto print_ratio = [&](const char* what, const std::vector<double>& ratios) {
      fmt::print("  {:<16} {:<28} {:.2f} x raw (rounds {:.2f}..{:.2f})\n", curve, what, median(ratios), min(ratios),
                 max(ratios));
    };
    print_ratio("async, 256 in flight", async_ratio);
    print_ratio("async, 1024 in flight", deep_ratio);
    print_ratio("batch(64), 8 in flight", batch_ratio);
    RawEd25519 raw_ed;
    RawSecp256k1 raw_k1;
    const auto blocking_sign = [&] {
      if (!engine->sign(key, kMessage).ok())
        std::abort();
    };
    const auto [blocking, one_raw] = secp ? paired_latency(3000, blocking_sign, [&] { raw_k1(); })
                                          : paired_latency(3000, blocking_sign, [&] { raw_ed(); });
    fmt::print(
        "  {:<16} one raw signature: median {:.1f} us; blocking façade one at a time: median {:.1f} us "
        "(= {:.2f} x raw), p99 {:.1f} us\n",
        curve, one_raw.median_us, blocking.median_us, blocking.median_us / one_raw.median_us, blocking.p99_us);
  }
  policy_cost(*engine, ed);
  audit_cost(*engine, ed, dir, options);
  engine->close();
  std::filesystem::remove_all(dir);
  return 0;
}
