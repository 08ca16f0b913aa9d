// Snapshot costs: a commit against a raw 4 KiB write + fdatasync in the same folder (at 100 and
// at 100,000 records), opening 100,000 and 1,000,000 records, and bytes per record on disk.
#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <map>

#include "ratio_report.hpp"
#include "stronghold/runtime/random.hpp"
#include "stronghold/snapshot/snapshot.hpp"
#include "stronghold/vault/keys.hpp"

namespace {

using namespace stronghold;
using Clock = std::chrono::steady_clock;

const Bytes kPassword = {'b', 'e', 'n', 'c', 'h'};

// Benchmark files live next to the build ($STRONGHOLD_BENCH_DIR or ./bench-data), on the disk
// the snapshot would use, not in a RAM-backed /tmp.
std::filesystem::path bench_dir() {
  const char* configured = std::getenv("STRONGHOLD_BENCH_DIR");
  std::filesystem::path dir = configured != nullptr ? configured : "bench-data";
  std::filesystem::create_directories(dir);
  return dir;
}

vault::Location location(std::size_t i) { return vault::Location::parse(fmt::format("bench/key-{:07}", i)).value(); }

// A snapshot at `path` holding `count` records of `type`, compacted into its body.
std::unique_ptr<snapshot::Snapshot> make_snapshot(const std::string& path, std::size_t count, vault::KeyType type,
                                                  snapshot::Durability durability) {
  std::filesystem::remove(path);
  snapshot::SnapshotOptions options;
  options.kdf = snapshot::KdfPreset::fast;
  options.durability = durability;
  options.compaction_threshold = std::uint64_t{1} << 40;
  auto snapshot = snapshot::Snapshot::create(snapshot::posix_file_system(), path, kPassword, options).value();
  constexpr std::size_t kBatch = 50'000;
  for (std::size_t start = 0; start < count; start += kBatch) {
    vault::Transaction tx(snapshot->keystore());
    for (std::size_t i = start; i < std::min(count, start + kBatch); ++i) {
      Bytes secret(32);
      runtime::random_bytes(secret);
      secret[0] |= 1;
      if (!vault::import_key(tx, location(i), type, secret).ok())
        std::abort();
    }
    if (!snapshot->commit(std::move(tx)).ok())
      std::abort();
  }
  if (!snapshot->compact().ok())
    std::abort();
  return snapshot;
}

void BM_CommitVersusRawSync(benchmark::State& state) {
  const auto records = static_cast<std::size_t>(state.range(0));
  const std::string path = (bench_dir() / fmt::format("commit-{}.stronghold", records)).string();
  auto snapshot = make_snapshot(path, records, vault::KeyType::symmetric, snapshot::Durability::sync);
  const std::string raw_path = (bench_dir() / "raw-4k").string();
  const int raw = ::open(raw_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0600);
  const Bytes page(4096, 0x5a);
  std::size_t next = records;
  stronghold::bench::paired(
      state, fmt::format("commit of one change at {} records / 4 KiB write + fdatasync", records),
      [&] {
        vault::Transaction tx(snapshot->keystore());
        if (!vault::import_key(tx, location(next++), vault::KeyType::symmetric, Bytes(32, 7)).ok() ||
            !snapshot->commit(std::move(tx)).ok())
          std::abort();
      },
      [&] {
        if (::write(raw, page.data(), page.size()) != static_cast<ssize_t>(page.size()) || ::fdatasync(raw) != 0)
          std::abort();
      });
  ::close(raw);
  snapshot.reset();
  std::filesystem::remove(path);
  std::filesystem::remove(raw_path);
}
BENCHMARK(BM_CommitVersusRawSync)->Arg(100)->Arg(100'000)->Iterations(400)->Unit(benchmark::kMicrosecond);

// Opening: time to open minus the time of the KDF alone (measured on an empty snapshot).
void report_open_and_size() {
  auto seconds_to_open = [](const std::string& path) {
    snapshot::SnapshotOptions options;
    const auto start = Clock::now();
    auto opened = snapshot::Snapshot::open(snapshot::posix_file_system(), path, kPassword, options);
    const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    if (!opened.ok())
      std::abort();
    return seconds;
  };
  const std::string empty = (bench_dir() / "open-empty.stronghold").string();
  make_snapshot(empty, 0, vault::KeyType::symmetric, snapshot::Durability::none).reset();
  double kdf = 1e9;
  for (int i = 0; i < 5; ++i)
    kdf = std::min(kdf, seconds_to_open(empty));
  std::filesystem::remove(empty);
  fmt::print("\nopen (after the KDF, {:.1f} ms):\n", kdf * 1e3);
  std::map<std::size_t, double> rates;
  for (const std::size_t records : {std::size_t{100'000}, std::size_t{1'000'000}}) {
    const std::string path = (bench_dir() / fmt::format("open-{}.stronghold", records)).string();
    make_snapshot(path, records, vault::KeyType::symmetric, snapshot::Durability::none).reset();
    const double seconds = seconds_to_open(path) - kdf;
    rates[records] = static_cast<double>(records) / seconds;
    fmt::print("  {:>9} records: {:.3f} s, {:.0f} records/s, {:.1f} bytes per record on disk\n", records, seconds,
               rates[records], static_cast<double>(std::filesystem::file_size(path)) / static_cast<double>(records));
    std::filesystem::remove(path);
  }
  fmt::print("  records/s at 1,000,000 / records/s at 100,000 = {:.2f} (1.00 is linear)\n",
             rates[1'000'000] / rates[100'000]);
  for (const auto type : {vault::KeyType::ed25519, vault::KeyType::secp256k1}) {
    const std::string path = (bench_dir() / "size.stronghold").string();
    make_snapshot(path, 100'000, type, snapshot::Durability::none).reset();
    fmt::print("  file size per {} record (32-byte key and its public key): {:.1f} bytes\n", vault::key_type_name(type),
               static_cast<double>(std::filesystem::file_size(path)) / 100'000.0);
    std::filesystem::remove(path);
  }
}

}  // namespace

int main(int argc, char** argv) {
  const int status = stronghold::bench::run(argc, argv, {});
  report_open_and_size();
  return status;
}
