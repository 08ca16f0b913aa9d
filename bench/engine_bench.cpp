// Signing through the engine's actors against the raw libraries, all in one run:
//   throughput with many asynchronous requests in flight, and with batches, as a ratio of raw
//   signing on the same number of threads; the latency of one blocking request at a time; and
//   what a policy costs, as a ratio to signing without one.
// Raw, async and batch run in interleaved short rounds and each round gives its own ratios, so
// a neighbour's load on a shared machine hits both sides of a ratio; the median round is shown.
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
void policy_cost(Engine& engine, const vault::Location& free_key) {
  const auto policed = vault::Location::parse("bench/policed").value();
  actors::PolicyRules rules;
  rules.callers = {"owner"};
  rules.max_uses = std::uint64_t{1} << 40;
  rules.rate_count = 100'000'000;
  rules.rate_seconds = 1;
  rules.max_message = 1024;
  if (!engine.generate(policed, vault::KeyType::ed25519).ok() ||
      !engine.call(actors::SetPolicy{policed.vault, policed.record, rules}).ok())
    std::abort();
  std::vector<double> async_ratio;
  for (int round = 0; round < kRounds; ++round) {
    const double free_rate = async_rate(engine, free_key, 256);
    async_ratio.push_back(async_rate(engine, policed, 256) / free_rate);
  }
  fmt::print("  {:<16} {:<28} {:.2f} x without (rounds {:.2f}..{:.2f})\n", "Ed25519 policed", "async, 256 in flight",
             median(async_ratio), min(async_ratio), max(async_ratio));
  const auto sign_with = [&](const vault::Location& key) {
    return [&engine, key] {
      if (!engine.sign(key, kMessage).ok())
        std::abort();
    };
  };
  const auto [with_policy, fast_path] = paired_latency(3000, sign_with(policed), sign_with(free_key));
  fmt::print(
      "  {:<16} blocking one at a time: median {:.1f} us (= {:.2f} x the fast path without a policy, {:.1f} us), "
      "p99 {:.1f} us\n",
      "Ed25519 policed", with_policy.median_us, with_policy.median_us / fast_path.median_us, fast_path.median_us,
      with_policy.p99_us);
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
  engine->close();
  std::filesystem::remove_all(dir);
  return 0;
}
