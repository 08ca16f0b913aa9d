// A child process commits in a loop and reports each acknowledgement through a pipe; the parent
// kills it with SIGKILL at a random moment, reopens the snapshot and checks that every
// acknowledged commit is there. Fifty rounds, each continuing the same file.
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <random>
#include <set>

#include <doctest/doctest.h>

#include "fixture.hpp"

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

// Reads acknowledgements until `deadline`; returns the numbers seen.
void collect_acks(int read_fd, std::chrono::steady_clock::time_point deadline, std::string& buffer,
                  std::set<int>& acknowledged) {
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd poll_fd{read_fd, POLLIN, 0};
    if (poll(&poll_fd, 1, 1) <= 0)
      continue;
    char chunk[256];
    const ssize_t got = read(read_fd, chunk, sizeof chunk);
    if (got <= 0)
      return;
    buffer.append(chunk, static_cast<std::size_t>(got));
    for (std::size_t newline; (newline = buffer.find('\n')) != std::string::npos; buffer.erase(0, newline + 1))
      acknowledged.insert(std::stoi(buffer.substr(0, newline)));
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
    int pipe_fds[2];
    REQUIRE(pipe(pipe_fds) == 0);
    const pid_t child = fork();
    REQUIRE(child >= 0);
    if (child == 0) {
      close(pipe_fds[0]);
      commit_forever(path, pipe_fds[1], options);
    }
    close(pipe_fds[1]);
    // The child lives until its first acknowledgement (however slow a loaded machine makes its
    // open), then a random while longer: every round kills a child that is committing.
    std::string buffer;
    const std::size_t before = acknowledged.size();
    const auto patience = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (acknowledged.size() == before && std::chrono::steady_clock::now() < patience)
      collect_acks(pipe_fds[0], std::chrono::steady_clock::now() + std::chrono::milliseconds(10), buffer, acknowledged);
    const auto lifetime = std::chrono::milliseconds(random() % 60);
    collect_acks(pipe_fds[0], std::chrono::steady_clock::now() + lifetime, buffer, acknowledged);
    kill(child, SIGKILL);
    int status = 0;
    waitpid(child, &status, 0);
    collect_acks(pipe_fds[0], std::chrono::steady_clock::now() + std::chrono::milliseconds(5), buffer, acknowledged);
    close(pipe_fds[0]);
    CHECK_MESSAGE((WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL),
                  "round " << round << ": the child stopped by itself, exit code " << WEXITSTATUS(status));
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
