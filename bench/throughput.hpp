// Throughput measurement shared by the engine and identity benchmarks: raw signing on N threads,
// a pipeline that keeps many asynchronous requests in flight, and the summary of interleaved
// rounds.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include <secp256k1.h>
#include <sodium.h>

#include "stronghold/runtime/hex.hpp"
#include "stronghold/runtime/random.hpp"

namespace stronghold::bench {

using Clock = std::chrono::steady_clock;

inline constexpr double kSeconds = 0.4;  // per measurement; kRounds rounds
inline constexpr int kRounds = 7;
inline const Bytes kMessage(64, 0x5a);

inline double elapsed(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

// Signatures per second of `sign` run on `threads` threads for kSeconds.
template <class Sign>
double raw_rate(unsigned threads, Sign sign) {
  std::atomic<std::uint64_t> done{0};
  std::vector<std::thread> workers;
  const auto start = Clock::now();
  for (unsigned t = 0; t < threads; ++t)
    workers.emplace_back([&] {
      auto local = sign;
      std::uint64_t count = 0;
      while (elapsed(start) < kSeconds) {
        local();
        ++count;
      }
      done += count;
    });
  for (auto& worker : workers)
    worker.join();
  return static_cast<double>(done) / elapsed(start);
}

struct RawEd25519 {
  std::uint8_t public_key[32], secret_key[64], signature[64];
  RawEd25519() { crypto_sign_keypair(public_key, secret_key); }
  void operator()() { crypto_sign_detached(signature, nullptr, kMessage.data(), kMessage.size(), secret_key); }
};

struct RawSecp256k1 {
  std::shared_ptr<secp256k1_context> context{secp256k1_context_create(SECP256K1_CONTEXT_NONE),
                                             secp256k1_context_destroy};
  std::uint8_t secret_key[32];
  RawSecp256k1() {
    do
      runtime::random_bytes(secret_key);
    while (!secp256k1_ec_seckey_verify(context.get(), secret_key));
  }
  void operator()() {
    std::uint8_t digest[32], compact[64];
    crypto_hash_sha256(digest, kMessage.data(), kMessage.size());
    secp256k1_ecdsa_signature signature;
    if (!secp256k1_ecdsa_sign(context.get(), &signature, digest, secret_key, nullptr, nullptr))
      std::abort();
    secp256k1_ecdsa_signature_serialize_compact(context.get(), compact, &signature);
  }
};

// Keeps up to `in_flight` requests outstanding for kSeconds, topping up whenever half have come
// back (as a busy server would: completions don't wake the submitter one by one); `submit(done)`
// issues one request whose callback calls done(count).
template <class Submit>
double pipelined_rate(int in_flight, Submit submit) {
  std::mutex mutex;
  std::condition_variable changed;
  int outstanding = 0;
  std::uint64_t done = 0;
  const int refill_below = std::max(1, in_flight / 2);
  auto finished = [&](std::uint64_t count) {
    std::lock_guard guard(mutex);
    done += count;
    if (--outstanding == refill_below - 1 || outstanding == 0)
      changed.notify_one();
  };
  const auto start = Clock::now();
  while (elapsed(start) < kSeconds) {
    std::unique_lock lock(mutex);
    changed.wait(lock, [&] { return outstanding < refill_below; });
    const int room = in_flight - outstanding;
    outstanding = in_flight;
    lock.unlock();
    for (int i = 0; i < room; ++i)
      submit(finished);
  }
  std::unique_lock lock(mutex);
  changed.wait(lock, [&] { return outstanding == 0; });
  return static_cast<double>(done) / elapsed(start);
}

inline double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}
inline double min(const std::vector<double>& values) { return *std::min_element(values.begin(), values.end()); }
inline double max(const std::vector<double>& values) { return *std::max_element(values.begin(), values.end()); }

}  // namespace stronghold::bench
