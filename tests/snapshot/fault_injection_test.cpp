// At every step of a workload (create, commits, compactions, a password change; or commits with
// folds beside them), a failure and a power loss; then the file is reopened from what survived.
// It must hold every acknowledged commit and never half of one.
#include <optional>
#include <set>

#include <doctest/doctest.h>

#include "faulty_file_system.hpp"
#include "fixture.hpp"

using namespace stronghold;
using namespace stronghold::snapshot;
using stronghold::test::FaultyFileSystem;
using stronghold::test::kPassword;
using stronghold::test::SnapshotFixture;

namespace {

const std::string kPath = "/snapshots/wallet.stronghold";
const Bytes kNewPassword = {'n', 'e', 'w'};
constexpr int kCommits = 12;

struct WorkloadResult {
  bool created = false;
  bool password_changed = false;  // acknowledged
  int folds = 0;                  // put in place
  std::set<int> acknowledged;
};

SnapshotOptions workload_options(Durability durability) {
  SnapshotOptions options;
  options.kdf = KdfPreset::fast;
  options.durability = durability;
  options.compaction_threshold = 1500;  // several compactions during the workload
  return options;
}

// Each commit writes two records; group mode acknowledges commits at each successful sync().
WorkloadResult run_workload(FileSystem& fs, Durability durability) {
  WorkloadResult result;
  auto created = Snapshot::create(fs, kPath, kPassword, workload_options(durability));
  if (!created.ok())
    return result;
  result.created = true;
  Snapshot& snapshot = **created;
  std::set<int> pending;
  for (int i = 0; i < kCommits; ++i) {
    vault::Transaction tx(snapshot.keystore());
    if (!vault::generate_key(tx, SnapshotFixture::at(fmt::format("w/{}", i)), vault::KeyType::ed25519).ok() ||
        !vault::generate_key(tx, SnapshotFixture::at(fmt::format("w/{}-marker", i)), vault::KeyType::symmetric).ok())
      continue;
    if (snapshot.commit(std::move(tx)).ok())
      pending.insert(i);
    if (durability == Durability::sync || (i % 3 == 2 && snapshot.sync().ok())) {
      result.acknowledged.insert(pending.begin(), pending.end());
      pending.clear();
    }
    if (i == kCommits / 2 && snapshot.change_password(kNewPassword).ok())
      result.password_changed = true;
  }
  return result;
}

// Commits as the engine does, with a fold running beside them twice (begun after commits 2 and 7,
// folded and caught up after commits 3 and 8, put in place after commits 4 and 9), all on this
// thread so that every file step is swept.
WorkloadResult run_fold_workload(FileSystem& fs, Durability) {
  WorkloadResult result;
  SnapshotOptions options = workload_options(Durability::sync);
  options.compaction_threshold = std::uint64_t{1} << 40;  // no compaction but the folds
  auto created = Snapshot::create(fs, kPath, kPassword, options);
  if (!created.ok())
    return result;
  result.created = true;
  Snapshot::Parts parts = Snapshot::split(std::move(*created));
  std::optional<FoldJob> job;
  FoldStart start;
  FoldProgress progress;
  for (int i = 0; i < kCommits; ++i) {
    vault::Transaction tx(parts.chain.keystore());
    if (!vault::generate_key(tx, SnapshotFixture::at(fmt::format("w/{}", i)), vault::KeyType::ed25519).ok() ||
        !vault::generate_key(tx, SnapshotFixture::at(fmt::format("w/{}-marker", i)), vault::KeyType::symmetric).ok())
      continue;
    auto entry = parts.chain.stage(std::move(tx).take());
    if (entry.ok() && parts.journal.append(*entry).ok() && parts.journal.sync().ok())
      result.acknowledged.insert(i);
    if (i == 2 || i == 7) {
      auto next = parts.chain.fold_job();
      auto begun = next.ok() ? parts.journal.begin_fold(next->position) : Result<FoldStart>(next.status());
      if (begun.ok()) {
        job = std::move(*next);
        start = *begun;
      }
    } else if ((i == 3 || i == 8) && job) {
      auto folded = fold_file(*job, start.covers);
      if (folded.ok())
        folded = copy_fold_tail(fs, kPath, *folded, parts.journal.size());  // what it lags, beside the commits
      if (folded.ok()) {
        progress = *folded;
      } else {
        parts.journal.drop_fold(start);
        job.reset();
      }
    } else if ((i == 4 || i == 9) && job) {
      if (parts.journal.finish_fold(start, progress).ok())
        ++result.folds;
      job.reset();
    }
  }
  return result;
}

// Opens what `fs` holds and checks it against the workload's acknowledgements.
void check_survivor(FileSystem& fs, const WorkloadResult& result, const std::string& scenario) {
  INFO(scenario);
  auto opened = Snapshot::open(fs, kPath, kNewPassword, workload_options(Durability::sync));
  if (opened.code() == Errc::wrong_password) {
    CHECK_FALSE(result.password_changed);
    opened = Snapshot::open(fs, kPath, kPassword, workload_options(Durability::sync));
  }
  if (!result.created) {
    // create was not acknowledged: there may be no file, or an empty snapshot
    if (opened.ok())
      CHECK((*opened)->keystore().list().empty());
    else
      CHECK(opened.code() == Errc::not_found);
    return;
  }
  REQUIRE_MESSAGE(opened.ok(), opened.status().to_string());
  const vault::Keystore& keystore = (*opened)->keystore();
  for (const int i : result.acknowledged)
    CHECK_MESSAGE(keystore.exists(SnapshotFixture::at(fmt::format("w/{}", i))), "acknowledged commit " << i << " lost");
  for (int i = 0; i < kCommits; ++i)
    CHECK_MESSAGE(keystore.exists(SnapshotFixture::at(fmt::format("w/{}", i))) ==
                      keystore.exists(SnapshotFixture::at(fmt::format("w/{}-marker", i))),
                  "commit " << i << " half applied");
  CHECK(keystore.list().size() % 2 == 0);
}

using Workload = WorkloadResult (*)(FileSystem&, Durability);

void sweep(Durability durability, const char* name, Workload workload = run_workload) {
  FaultyFileSystem clean(-1, FaultyFileSystem::Fault::none, 1);
  const WorkloadResult full = workload(clean, durability);
  REQUIRE(full.created);
  REQUIRE(full.acknowledged.size() == kCommits);
  const int steps = clean.steps();
  int scenarios = 0;
  for (int step = 0; step < steps; ++step) {
    for (const auto fault : {FaultyFileSystem::Fault::error, FaultyFileSystem::Fault::power_loss}) {
      for (std::uint32_t seed = 1; seed <= 2; ++seed) {
        FaultyFileSystem fs(step, fault, seed * 7919 + static_cast<std::uint32_t>(step));
        const WorkloadResult result = workload(fs, durability);
        const std::string scenario =
            fmt::format("{} durability, {} at step {} of {}, seed {}", name,
                        fault == FaultyFileSystem::Fault::error ? "failure" : "power loss", step, steps, seed);
        if (fault == FaultyFileSystem::Fault::error)
          check_survivor(fs, result, scenario + ", process kept running");
        check_survivor(*fs.crash_image(), result, scenario + ", then power loss");
        ++scenarios;
      }
    }
  }
  MESSAGE(std::string(name) << " durability: " << steps << " steps, " << scenarios
                            << " fault scenarios, each reopened");
  CHECK(scenarios == steps * 4);
}

}  // namespace

TEST_CASE("a failure or a power loss at any step keeps every acknowledged commit (sync durability)") {
  sweep(Durability::sync, "sync");
}

TEST_CASE("a failure or a power loss at any step keeps every acknowledged commit (group durability)") {
  sweep(Durability::group, "group");
}

TEST_CASE("a failure or a power loss at any step of a fold beside the commits keeps every acknowledged commit") {
  FaultyFileSystem clean(-1, FaultyFileSystem::Fault::none, 1);
  REQUIRE(run_fold_workload(clean, Durability::sync).folds == 2);
  sweep(Durability::sync, "fold", run_fold_workload);
}
