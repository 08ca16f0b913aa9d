// A child process runs an engine whose journal is folded beside the commits every few kilobytes;
// two threads generate keys and report each acknowledged one through a pipe. The parent kills the
// child with SIGKILL at random moments (during folds too: one starts every ~20 commits), reopens
// the file and checks every acknowledged key. Twenty rounds, each continuing the same file.
#include <unistd.h>

#include <random>
#include <set>
#include <thread>

#include <doctest/doctest.h>

#include "actors/fast_options.hpp"
#include "stronghold/engine.hpp"
#include "stronghold/snapshot/snapshot.hpp"
#include "support/acknowledgements.hpp"
#include "support/temp_dir.hpp"

using namespace stronghold;

namespace {

constexpr int kRounds = 20;
constexpr int kPerThread = 1'000'000;  // acknowledgement numbers: round, thread, key
const Bytes kPassword = {'f', 'o', 'l', 'd'};

EngineOptions folding_options() {
  EngineOptions options = test::fast_engine_options();
  options.snapshot.compaction_threshold = 4096;
  options.snapshot.max_fold_tail = 512;  // a fold's end copies a few entries; workers copy the rest
  return options;
}

vault::Location key_at(int number) { return vault::Location::parse(fmt::format("k/{}", number)).value(); }

[[noreturn]] void generate_forever(const std::string& path, int round, int write_fd) {
  auto engine = Engine::open(path, kPassword, folding_options());
  if (!engine.ok()) {
    fmt::print(stderr, "child: {}\n", engine.status());
    _exit(3);
  }
  auto generate = [&](int thread) {
    for (int i = 0;; ++i) {
      const int number = (round * 2 + thread) * kPerThread + i;
      if (!(*engine)->generate(key_at(number), vault::KeyType::ed25519).ok())
        _exit(4);
      const std::string ack = fmt::format("{}\n", number);
      if (write(write_fd, ack.data(), ack.size()) != static_cast<ssize_t>(ack.size()))  // atomic: < PIPE_BUF
        _exit(5);
    }
  };
  std::thread other(generate, 1);
  generate(0);
  other.join();
  _exit(6);
}

}  // namespace

TEST_CASE("SIGKILL while the journal is folded beside the commits never loses an acknowledged key") {
  test::TempDir dir;
  const std::string path = dir.file("folding.stronghold");
  REQUIRE(Engine::create(path, kPassword, folding_options()).ok());
  std::mt19937 random(20261202);  // NOLINT(cert-msc32-c,cert-msc51-cpp): the same kill times each run
  std::set<int> acknowledged;
  std::uint64_t entries = 0;
  for (int round = 0; round < kRounds; ++round) {
    const bool killed = test::run_and_kill([&](int write_fd) { generate_forever(path, round, write_fd); },
                                           std::chrono::milliseconds(50 + random() % 150), acknowledged);
    CHECK_MESSAGE(killed, "round " << round << ": the child stopped by itself");
    auto reopened =
        snapshot::Snapshot::open(snapshot::posix_file_system(), path, kPassword, folding_options().snapshot);
    REQUIRE_MESSAGE(reopened.ok(), "round " << round << ": " << reopened.status().to_string());
    for (const int number : acknowledged)
      REQUIRE_MESSAGE((*reopened)->keystore().exists(key_at(number)),
                      "round " << round << ": key " << number << " lost");
    entries = (*reopened)->open_report().journal_entries;
  }
  MESSAGE(kRounds << " SIGKILL rounds, " << acknowledged.size() << " acknowledged keys, every one found; " << entries
                  << " journal entries after the last");
  CHECK(entries < acknowledged.size() / 2);  // the rest were folded into the body
}
