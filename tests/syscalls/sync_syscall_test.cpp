// The system calls behind durability, seen from outside the code that makes them: a commit's
// answer comes after fdatasync of the snapshot file returned, and a rewritten file is synced,
// renamed over the old one, and its directory synced, before the answer. For the engine in this
// process (the linker's --wrap) and for strongholdd (a preloaded library that logs the calls).
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <thread>

#include <doctest/doctest.h>

#include "stronghold/engine.hpp"
#include "support/temp_dir.hpp"
#include "syscalls/sync_log.hpp"
#include "wire/client.hpp"

using namespace stronghold;
using test::SyncCall;

namespace {

const Bytes kPassword = {'s', 'y', 'n', 'c'};

vault::Location at(std::string_view text) { return vault::Location::parse(text).value(); }

struct EngineFixture {
  test::TempDir dir;
  std::string path = std::filesystem::canonical(dir.path()).string() + "/sync.stronghold";
  std::string folder = std::filesystem::path(path).parent_path().string();

  static EngineOptions options() {
    EngineOptions options;
    options.snapshot.kdf = snapshot::KdfPreset::fast;
    options.actors.signers = 1;
    return options;
  }
};

bool contains(const std::vector<SyncCall>& calls, const SyncCall& wanted) {
  return std::find(calls.begin(), calls.end(), wanted) != calls.end();
}

// `calls` holds the new file's sync, then its rename over `path`, then the directory's sync.
void check_atomic_rewrite(const std::vector<SyncCall>& calls, const std::string& path, const std::string& folder) {
  const std::string temporary = path + ".compact";
  const auto synced = std::find(calls.begin(), calls.end(), SyncCall{"fdatasync", temporary, {}});
  REQUIRE_MESSAGE(synced != calls.end(), "the new file was never synced");
  const auto renamed = std::find(synced, calls.end(), SyncCall{"rename", path, temporary});
  REQUIRE_MESSAGE(renamed != calls.end(), "no rename after the new file's sync");
  CHECK_MESSAGE(std::find(renamed, calls.end(), SyncCall{"fsync", folder, {}}) != calls.end(),
                "the directory was not synced after the rename");
}

}  // namespace

TEST_CASE_FIXTURE(EngineFixture, "a commit is answered after fdatasync of the snapshot file returned") {
  auto engine = Engine::create(path, kPassword, options()).value();
  const std::vector<std::function<Status()>> changes = {
      [&] { return engine->generate(at("w/k"), vault::KeyType::ed25519).status(); },
      [&] { return engine->put_secret("mail", Bytes{'m'}); },
      [&] { return engine->remove(at("w/k")); },
  };
  for (const auto& change : changes) {
    const std::size_t mark = test::sync_call_count();
    REQUIRE(change().ok());
    CHECK(contains(test::sync_calls_since(mark), SyncCall{"fdatasync", path, {}}));
  }
}

TEST_CASE_FIXTURE(EngineFixture,
                  "creation, compaction and a password change sync the new file, rename it, then sync the directory") {
  std::size_t mark = test::sync_call_count();
  auto engine = Engine::create(path, kPassword, options()).value();
  check_atomic_rewrite(test::sync_calls_since(mark), path, folder);
  REQUIRE(engine->generate(at("w/k"), vault::KeyType::ed25519).ok());
  mark = test::sync_call_count();
  REQUIRE(engine->collect_garbage().ok());
  check_atomic_rewrite(test::sync_calls_since(mark), path, folder);
  mark = test::sync_call_count();
  REQUIRE(engine->change_password(kPassword, Bytes{'n', 'e', 'w'}).ok());
  check_atomic_rewrite(test::sync_calls_since(mark), path, folder);
}

namespace {

// strongholdd serving a new snapshot, with the logging library preloaded.
class LoggedDaemon {
 public:
  LoggedDaemon() {
    REQUIRE(Engine::create(snapshot_, kPassword, EngineFixture::options()).ok());
    std::ofstream(password_file_) << "sync\n";
    const std::string preload = "LD_PRELOAD=" SYNC_SHIM_PATH;
    const std::string log = "STRONGHOLD_SYNC_LOG=" + log_;
    // A sanitized strongholdd would refuse a library loaded before its runtime; the sanitizers'
    // other options (halt on error, leak checks) are the suite's.
    const char* asan = std::getenv("ASAN_OPTIONS");
    const char* ubsan = std::getenv("UBSAN_OPTIONS");
    const std::string asan_options =
        std::string("ASAN_OPTIONS=") + (asan != nullptr ? std::string(asan) + ":" : "") + "verify_asan_link_order=0";
    const std::string ubsan_options = std::string("UBSAN_OPTIONS=") + (ubsan != nullptr ? ubsan : "");
    const char* environment[] = {preload.c_str(), log.c_str(), asan_options.c_str(), ubsan_options.c_str(), nullptr};
    const char* args[] = {STRONGHOLDD_PATH, "--snapshot",      snapshot_.c_str(),      "--socket",
                          socket_.c_str(),  "--password-file", password_file_.c_str(), nullptr};
    pid_ = ::fork();
    REQUIRE(pid_ >= 0);
    if (pid_ == 0) {
      ::execve(args[0], const_cast<char* const*>(args), const_cast<char* const*>(environment));
      ::_exit(127);
    }
    for (int i = 0; i < 400 && !wire::Client::connect(socket_).ok(); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  ~LoggedDaemon() {
    ::kill(pid_, SIGTERM);
    ::waitpid(pid_, nullptr, 0);
  }
  wire::Client client() {
    auto client = wire::Client::connect(socket_);
    REQUIRE_MESSAGE(client.ok(), client.status().to_string());
    return std::move(client).value();
  }
  // The lines the library logged so far.
  std::vector<std::string> log() const {
    std::vector<std::string> lines;
    std::ifstream in(log_);
    for (std::string line; std::getline(in, line);)
      lines.push_back(line);
    return lines;
  }
  const std::string& snapshot() const { return snapshot_; }

 private:
  test::TempDir dir_;
  std::string folder_ = std::filesystem::canonical(dir_.path()).string();
  std::string snapshot_ = folder_ + "/d.stronghold";
  std::string socket_ = folder_ + "/d.sock";
  std::string password_file_ = folder_ + "/password";
  std::string log_ = folder_ + "/sync.log";
  pid_t pid_ = -1;
};

Bytes text(std::string_view value) { return Bytes(value.begin(), value.end()); }

}  // namespace

TEST_CASE("strongholdd answers a commit after fdatasync of the snapshot file returned") {
  LoggedDaemon daemon;
  auto client = daemon.client();
  const std::string synced = "fdatasync " + daemon.snapshot();
  for (const char* location : {"w/a", "w/b"}) {
    const std::size_t before = std::ranges::count(daemon.log(), synced);
    const auto generated = client.call(wire::Op::generate, {text(location), text("ed25519")});
    REQUIRE_MESSAGE(generated.ok(), generated.status().to_string());
    // The library logs after the call returned, before the daemon could send its answer.
    CHECK(std::ranges::count(daemon.log(), synced) > before);
  }
  const std::size_t before = std::ranges::count(daemon.log(), synced);
  REQUIRE(client.call(wire::Op::remove, {text("w/a")}).ok());
  CHECK(std::ranges::count(daemon.log(), synced) > before);
}
