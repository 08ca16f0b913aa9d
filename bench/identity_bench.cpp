// The identity storage on the engine, in one run:
//   key_sign throughput with many requests in flight (key_sign_async), as a ratio of raw
//   libsodium signing on the same number of threads, in interleaved rounds;
//   did_create per second: one creator waiting for each sync, eight creators sharing syncs
//   (group commit), and without syncs (durability none) for reference.
#include <filesystem>

#include <fmt/format.h>

#include "stronghold/identity/stronghold_storage.hpp"
#include "throughput.hpp"

namespace {

using namespace stronghold;
using namespace stronghold::bench;
using namespace stronghold::identity;

const std::filesystem::path kDir = std::filesystem::path("bench-data") / "identity";

std::unique_ptr<StrongholdStorage> make_storage(const std::string& name, snapshot::Durability durability) {
  EngineOptions options;
  options.snapshot.kdf = snapshot::KdfPreset::fast;
  options.snapshot.durability = durability;
  auto storage = StrongholdStorage::create((kDir / name).string(), Bytes{'b'}, options);
  if (!storage.ok()) {
    fmt::print(stderr, "{}\n", storage.status().to_string());
    std::exit(1);  // NOLINT(concurrency-mt-unsafe): no other thread ever calls exit
  }
  return std::move(storage).value();
}

double sign_rate(StrongholdStorage& storage, const CreatedDid& identity, int in_flight) {
  return pipelined_rate(in_flight, [&](auto& finished) {
    storage.key_sign_async(identity.did, identity.location, kMessage, [&finished](const Result<Bytes>& signature) {
      if (!signature.ok())
        std::abort();
      finished(1);
    });
  });
}

// DIDs created per second by `creators` threads for kSeconds.
double create_rate(StrongholdStorage& storage, unsigned creators) {
  std::atomic<std::uint64_t> created{0};
  std::vector<std::thread> threads;
  const auto start = Clock::now();
  for (unsigned t = 0; t < creators; ++t)
    threads.emplace_back([&] {
      while (elapsed(start) < kSeconds * 2) {
        if (!storage.did_create("main", "key-0", {}).ok())
          std::abort();
        ++created;
      }
    });
  for (auto& thread : threads)
    thread.join();
  return static_cast<double>(created) / elapsed(start);
}

}  // namespace

int main() {
  const unsigned threads = std::max(1u, std::thread::hardware_concurrency());
  std::filesystem::remove_all(kDir);
  std::filesystem::create_directories(kDir);

  auto storage = make_storage("sign.stronghold", snapshot::Durability::sync);
  const CreatedDid identity = storage->did_create("main", "sign-0", {}).value();
  std::vector<double> raw, ratio;
  for (int round = 0; round < kRounds; ++round) {
    raw.push_back(raw_rate(threads, RawEd25519{}));
    ratio.push_back(sign_rate(*storage, identity, 256) / raw.back());
  }
  fmt::print("identity key_sign on {} threads, median of {} interleaved rounds\n", threads, kRounds);
  fmt::print("  raw libsodium Ed25519           {:>8.0f}/s\n", median(raw));
  fmt::print("  key_sign_async, 256 in flight   {:.2f} x raw (rounds {:.2f}..{:.2f})\n", median(ratio), min(ratio),
             max(ratio));
  storage.reset();

  fmt::print("did_create per second\n");
  for (const auto durability : {snapshot::Durability::sync, snapshot::Durability::none}) {
    const char* mode = durability == snapshot::Durability::sync ? "synced" : "no sync";
    for (const unsigned creators : {1u, 8u}) {
      auto creating = make_storage(fmt::format("create-{}-{}.stronghold", mode, creators), durability);
      fmt::print("  {:<8} {} creator{}  {:>8.0f}/s\n", mode, creators,
                 creators > 1 ? "s (group commit)" : "                ", create_rate(*creating, creators));
    }
  }
  std::filesystem::remove_all(kDir);
  return 0;
}
