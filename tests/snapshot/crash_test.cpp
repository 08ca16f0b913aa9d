// A child process commits in a loop and reports each acknowledgement through a pipe; the parent
// kills it with SIGKILL at a random moment, reopens the snapshot and checks that every
// acknowledged commit is there. Fifty rounds, each continuing the same file.
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <random>
#include <set>

#include <doctest/doctest.h>

#include "fixture.hpp"
#include "support/acknowledgements.hpp"

using namespace stronghold;
using namespace stronghold::snapshot;
using stronghold::test::kPassword;
using stronghold::test::SnapshotFixture;

namespace {

constexpr int kRounds = 50;

[[noreturn]] void commit_forever(const std::string& path, int write_fd, const SnapshotOptions& options) {
  auto snapshot = Snapshot::open(posix_file_system(), path, kPassword, options);
  if (!snapshot.ok()) {
    fmt::print(stderr, "child: {}\n", snapshot.status());
    _exit(3);
  }
  int next = static_cast<int>((*snapshot)->keystore().list().size() / 2);
  for (;; ++next) {
    vault::Transaction tx((*snapshot)->keystore());
    if (!vault::generate_key(tx, SnapshotFixture::at(fmt::format("c/{}", next)), vault::KeyType::ed25519).ok() ||
        !vault::generate_key(tx, SnapshotFixture::at(fmt::format("c/{}-pair", next)), vault::KeyType::symmetric).ok() ||
        !(*snapshot)->commit(std::move(tx)).ok())
      _exit(4);
    const std::string ack = fmt::format("{}\n", next);
    if (write(write_fd, ack.data(), ack.size()) != static_cast<ssize_t>(ack.size()))
      _exit(5);
  }
}

}  // namespace

TEST_CASE_FIXTURE(SnapshotFixture, "SIGKILL at random moments never loses an acknowledged commit") {
  options.compaction_threshold = std::uint64_t{16} * 1024;  // compactions happen while the child is being killed
  create().reset();
  std::mt19937 random(20261121);  // NOLINT(cert-msc32-c,cert-msc51-cpp): the same kill times each run
  std::set<int> acknowledged;
  std::size_t rounds_with_progress = 0;
  for (int round = 0; round < kRounds; ++round) {
    // Every round kills a child that is committing.
    const std::size_t before = acknowledged.size();
    const bool killed = test::run_and_kill([&](int write_fd) { commit_forever(path, write_fd, options); },
                                           std::chrono::milliseconds(random() % 60), acknowledged);
    CHECK_MESSAGE(killed, "round " << round << ": the child stopped by itself");
    rounds_with_progress += acknowledged.size() > before;

    auto reopened = open();
    REQUIRE_MESSAGE(reopened.ok(), "round " << round << ": " << reopened.status().to_string());
    const vault::Keystore& keystore = (*reopened)->keystore();
    for (const int i : acknowledged)
      REQUIRE_MESSAGE(keystore.exists(at(fmt::format("c/{}", i))), "round " << round << ": commit " << i << " lost");
    CHECK(keystore.list().size() % 2 == 0);  // never half a commit
  }
  MESSAGE(kRounds << " SIGKILL rounds, " << acknowledged.size()
                  << " acknowledged commits, every one found after reopening");
  CHECK(rounds_with_progress == kRounds);
}
