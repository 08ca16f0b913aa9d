// The engine's central promise, on a file system that loses power or fails at a chosen step: a
// change answered ok is in what a power loss leaves (in group durability: once sync() answered
// ok), and a failed write is answered with an error, never with ok.
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <thread>

#include <doctest/doctest.h>

#include "actors/durability.hpp"
#include "snapshot/faulty_file_system.hpp"
#include "stronghold/identity/stronghold_storage.hpp"

using namespace stronghold;
using snapshot::Durability;
using test::FaultyFileSystem;
using test::Ledger;

namespace {

const std::string kPath = "durable.stronghold";
const Bytes kPassword = {'o', 'l', 'd'};
const Bytes kNewPassword = {'n', 'e', 'w'};

EngineOptions options_for(Durability durability) {
  EngineOptions options;
  options.snapshot.kdf = snapshot::KdfPreset::fast;
  options.snapshot.durability = durability;
  options.actors.signers = 1;
  return options;
}

vault::Location at(const std::string& name) { return vault::Location::parse(name).value(); }

struct Session {
  Engine& engine;
  identity::StrongholdStorage& storage;
  Ledger& ledger;
};

// One change of the workload; it tells the ledger its answer, and returns it.
using Change = std::function<Status(Session&)>;

Change generate(const std::string& name, vault::KeyType type) {
  return [name, type](Session& session) {
    auto key = session.engine.generate(at(name), type);
    session.ledger.keys(name, key.status(), key.ok() ? std::optional<Bytes>(*key) : std::nullopt);
    return key.status();
  };
}

Change remove(const std::string& name) {
  return [name](Session& session) {
    Status removed = session.engine.remove(at(name));
    session.ledger.keys(name, removed, std::nullopt);
    return removed;
  };
}

Change put_secret(const std::string& name, const Bytes& value) {
  return [name, value](Session& session) {
    Status put = session.engine.put_secret(name, value, vault::Overwrite::replace);
    session.ledger.secret(name, put, value);
    return put;
  };
}

Change create_did(const std::string& network, const std::string& fragment) {
  return [network, fragment](Session& session) {
    auto created = session.storage.did_create(network, fragment, {});
    if (created.ok())
      session.ledger.did(created->did);
    return created.status();
  };
}

Change change_password() {
  return [](Session& session) {
    Status changed = session.engine.change_password(kPassword, kNewPassword);
    session.ledger.password(changed, kNewPassword);
    return changed;
  };
}

// Keys, secrets, DIDs, removals, a password change and a compaction, each a separate request.
const std::vector<Change>& workload() {
  static const std::vector<Change> changes = {
      generate("w/a", vault::KeyType::ed25519),
      put_secret("mail", {'m', '1'}),
      create_did("main", "sign-0"),
      generate("w/b", vault::KeyType::secp256k1),
      remove("w/a"),
      change_password(),
      generate("w/c", vault::KeyType::ed25519),
      put_secret("mail", {'m', '2'}),
      create_did("dev", "sign-1"),
      [](Session& session) { return session.engine.collect_garbage(); },
      remove("w/b"),
      generate("w/d", vault::KeyType::ed25519),
  };
  return changes;
}

// A write that failed stops the engine's core, which restarts from the file (or the engine stops
// when it cannot): waits for either, so that the next change meets the restarted core.
void await_restart(Engine& engine, std::uint32_t& restarts) {
  for (int attempt = 0; attempt < 2000; ++attempt) {
    const auto stats = engine.stats();
    if (!stats.ok() || stats->vault_restarts > restarts) {
      restarts = stats.ok() ? stats->vault_restarts : restarts;
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  FAIL("the engine's core neither restarted nor stopped");
}

struct Run {
  Ledger ledger{kPassword};
  std::vector<Status> answers;                    // one per change of the workload
  std::vector<int> steps_after;                   // the file system's step count after each change
  std::unique_ptr<FaultyFileSystem> crash_image;  // taken before the engine closes
};

// Runs the workload on a new engine on `fs`. Sync durability promises every ok answer; group
// durability calls sync() after every third change and promises what came before its ok.
// `promised` runs after each promise, with the engine still running.
Run run_workload(FaultyFileSystem& fs, Durability durability, const std::function<void(const Ledger&)>& promised = {}) {
  Run run;
  EngineOptions options = options_for(durability);
  options.file_system = &fs;
  auto created = Engine::create(kPath, kPassword, options);
  if (!created.ok()) {
    run.crash_image = fs.crash_image();
    return run;
  }
  std::shared_ptr<Engine> engine = std::move(created).value();
  identity::StrongholdStorage storage(engine);
  Session session{*engine, storage, run.ledger};
  const auto promise = [&] {
    run.ledger.promise();
    if (promised)
      promised(run.ledger);
  };
  std::uint32_t restarts = 0;
  for (std::size_t i = 0; i < workload().size(); ++i) {
    run.answers.push_back(workload()[i](session));
    run.steps_after.push_back(fs.steps());
    // not_found: removing a key whose creation failed
    if (!run.answers.back().ok() && run.answers.back().code() != Errc::not_found) {
      INFO("change " << i << ": " << run.answers.back().to_string());
      await_restart(*engine, restarts);
    }
    if (durability == Durability::sync && run.answers.back().ok())
      promise();
    if (durability != Durability::group || i % 3 != 2)
      continue;
    if (engine->sync().ok())
      promise();
    else
      await_restart(*engine, restarts);
  }
  run.crash_image = fs.crash_image();
  return run;
}

// A failure, then a power loss, at every step of the workload: each crash image opens and holds
// every promised change.
void sweep(Durability durability, const char* name) {
  FaultyFileSystem clean(-1, FaultyFileSystem::Fault::none, 1);
  const Run full = run_workload(clean, durability);
  for (const Status& answer : full.answers)
    REQUIRE_MESSAGE(answer.ok(), answer.to_string());
  const int steps = clean.steps();
  for (int step = 0; step < steps; ++step) {
    for (const auto fault : {FaultyFileSystem::Fault::error, FaultyFileSystem::Fault::power_loss}) {
      FaultyFileSystem fs(step, fault, static_cast<std::uint32_t>(step) * 7919 + 3);
      const Run run = run_workload(fs, durability);
      INFO(fmt::format("{} durability, {} at step {} of {}", name,
                       fault == FaultyFileSystem::Fault::error ? "failure" : "power loss", step, steps));
      if (!run.answers.empty())  // else create failed, and nothing was promised
        run.ledger.check(*run.crash_image, kPath, options_for(durability));
    }
  }
  MESSAGE(std::string(name) << " durability: " << steps << " steps, each failed and powered off in turn");
}

// Runs the workload and cuts the power at each promise, with the engine running: how many cuts.
int cut_at_each_promise(Durability durability, std::uint32_t seed) {
  FaultyFileSystem disk(-1, FaultyFileSystem::Fault::none, seed);
  int cuts = 0;
  run_workload(disk, durability, [&](const Ledger& ledger) {
    ++cuts;
    ledger.check(*disk.crash_image(), kPath, options_for(durability));
  });
  return cuts;
}

// The index of the change whose last step (the sync of its journal entry) is `step`.
std::size_t change_ending_at(const Run& run, int step) {
  const auto found = std::find(run.steps_after.begin(), run.steps_after.end(), step + 1);
  REQUIRE(found != run.steps_after.end());
  return static_cast<std::size_t>(found - run.steps_after.begin());
}

}  // namespace

TEST_CASE("the power cut after each acknowledged change keeps every change acknowledged so far") {
  CHECK(cut_at_each_promise(Durability::sync, 11) == static_cast<int>(workload().size()));
}

TEST_CASE("in group durability, the power cut after each sync keeps everything acknowledged before it") {
  CHECK(cut_at_each_promise(Durability::group, 13) == static_cast<int>(workload().size() / 3));
}

TEST_CASE("a failure or a power loss at any step of the engine keeps every acknowledged change (sync durability)") {
  sweep(Durability::sync, "sync");
}

TEST_CASE("a failure or a power loss at any step of the engine keeps every change synced (group durability)") {
  sweep(Durability::group, "group");
}

TEST_CASE("a change whose sync fails is answered with an error, and later ones do not build on its bytes") {
  FaultyFileSystem clean(-1, FaultyFileSystem::Fault::none, 1);
  const Run full = run_workload(clean, Durability::sync);
  // The sync of the secp256k1 key: the disk may have dropped its bytes while reads still see them.
  const int sync_step = full.steps_after[3] - 1;
  REQUIRE(change_ending_at(full, sync_step) == 3);
  FaultyFileSystem fs(sync_step, FaultyFileSystem::Fault::error, 5);
  // The engine restarts on the file: what it acknowledges from then on must survive a power cut.
  int cuts_after_failure = 0;
  const Run run = run_workload(fs, Durability::sync, [&](const Ledger& ledger) {
    cuts_after_failure += fs.steps() > sync_step;
    ledger.check(*fs.crash_image(), kPath, options_for(Durability::sync));
  });
  CHECK_FALSE(run.answers[3].ok());
  CHECK(run.answers[4].ok());  // the removal right after the restart
  CHECK(cuts_after_failure > 0);
}

TEST_CASE("after a power loss during a sync, that change and every later one is answered with an error") {
  FaultyFileSystem clean(-1, FaultyFileSystem::Fault::none, 1);
  const Run full = run_workload(clean, Durability::sync);
  FaultyFileSystem fs(full.steps_after[0] - 1, FaultyFileSystem::Fault::power_loss, 5);
  const Run run = run_workload(fs, Durability::sync);
  for (std::size_t i = 0; i < run.answers.size(); ++i)
    CHECK_MESSAGE(!run.answers[i].ok(), "change " << i << " answered ok after the power failed");
  run.ledger.check(*run.crash_image, kPath, options_for(Durability::sync));
}
