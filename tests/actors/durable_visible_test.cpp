// Durable before visible: a change is usable only once the file holds it. A key whose generate is
// still being synced does not sign (its request waits), so when that sync fails and the key is
// gone after the restart from the file, no signature was ever made with it.
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <future>
#include <mutex>
#include <thread>
#include <utility>

#include <doctest/doctest.h>

#include "actors/fast_options.hpp"
#include "stronghold/engine.hpp"
#include "support/temp_dir.hpp"

using namespace stronghold;

namespace {

// The operating system's files, with a gate on the syncs of appended files: while it is closed a
// sync waits, and it opens failing the sync that waits (the bytes appended since the last sync are
// lost, as the disk never got them) or working.
class GatedFileSystem final : public snapshot::FileSystem {
 public:
  void close() {
    std::lock_guard lock(mutex_);
    closed_ = true;
  }
  void open(bool fail) {
    std::lock_guard lock(mutex_);
    closed_ = false;
    fail_ = fail;
    changed_.notify_all();
  }
  // Waits until a sync waits at the gate.
  void wait_for_sync() {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] { return waiting_ > 0; });
  }

  Result<std::string> resolve(const std::string& path) override { return os_.resolve(path); }
  Result<Bytes> read_file(const std::string& path, std::uint64_t max_size) override {
    return os_.read_file(path, max_size);
  }
  bool exists(const std::string& path) override { return os_.exists(path); }
  Result<std::vector<std::string>> list(const std::string& directory) override { return os_.list(directory); }
  Result<std::unique_ptr<snapshot::AppendFile>> open_append(const std::string& path, bool create) override {
    SH_ASSIGN_OR_RETURN(auto file, os_.open_append(path, create));
    return std::unique_ptr<snapshot::AppendFile>(new Gated(*this, path, std::move(file)));
  }
  Status truncate(const std::string& path, std::uint64_t size) override { return os_.truncate(path, size); }
  Status rename(const std::string& from, const std::string& to) override { return os_.rename(from, to); }
  Status remove(const std::string& path) override { return os_.remove(path); }
  Status sync_directory(const std::string& path) override { return os_.sync_directory(path); }
  Result<std::unique_ptr<snapshot::FileLock>> lock(const std::string& path) override { return os_.lock(path); }

 private:
  class Gated final : public snapshot::AppendFile {
   public:
    Gated(GatedFileSystem& fs, std::string path, std::unique_ptr<snapshot::AppendFile> file)
        : fs_(fs), path_(std::move(path)), file_(std::move(file)), synced_(std::filesystem::file_size(path_)) {}
    Status append(ByteView bytes) override { return file_->append(bytes); }
    Status sync() override {
      std::unique_lock lock(fs_.mutex_);
      ++fs_.waiting_;
      fs_.changed_.notify_all();
      fs_.changed_.wait(lock, [&] { return !fs_.closed_; });
      --fs_.waiting_;
      if (std::exchange(fs_.fail_, false)) {  // once: the restart from the file writes again
        std::filesystem::resize_file(path_, synced_);
        return Status(Errc::io_error, "the disk is gone");
      }
      SH_RETURN_IF_ERROR(file_->sync());
      synced_ = std::filesystem::file_size(path_);
      return {};
    }

   private:
    GatedFileSystem& fs_;
    std::string path_;
    std::unique_ptr<snapshot::AppendFile> file_;
    std::uintmax_t synced_;
  };

  snapshot::FileSystem& os_ = snapshot::posix_file_system();
  std::mutex mutex_;
  std::condition_variable changed_;
  bool closed_ = false;
  bool fail_ = false;
  int waiting_ = 0;
};

// Runs `write` with the syncs held at the gate and checks that `read` does not answer meanwhile;
// then fails the sync: the write fails and so does the read, which never saw the lost change.
void check_unseen_until_durable(GatedFileSystem& fs, const std::function<Status()>& write,
                                const std::function<Status()>& read) {
  fs.close();
  auto written = std::async(std::launch::async, write);
  fs.wait_for_sync();  // the change is in the state and in the file, not yet on the disk
  auto early = std::async(std::launch::async, read);
  CHECK_MESSAGE(early.wait_for(std::chrono::milliseconds(500)) == std::future_status::timeout,
                "a change was used before it was durable");
  fs.open(true);
  CHECK_FALSE(written.get().ok());
  CHECK_MESSAGE(!early.get().ok(), "a change the file never held was used");
}

// The answer to `request` once the engine restarted from the file (unavailable meanwhile).
Status after_restart(const std::function<Status()>& request) {
  Status answer = request();
  for (int tries = 0; answer.code() == Errc::unavailable && tries < 1000; ++tries) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    answer = request();
  }
  return answer;
}

struct GatedEngine {
  test::TempDir dir;
  GatedFileSystem fs;
  std::unique_ptr<Engine> engine = [this] {
    EngineOptions options = test::fast_engine_options();
    options.file_system = &fs;
    auto created = Engine::create(dir.file("visible.stronghold"), Bytes{'v'}, options);
    REQUIRE(created.ok());
    return std::move(created).value();
  }();
};

}  // namespace

TEST_CASE_FIXTURE(GatedEngine, "a key signs only once its generate is durable: a failed sync leaves no signature") {
  const auto location = vault::Location::parse("hot/new").value();
  check_unseen_until_durable(
      fs, [&] { return engine->generate(location, vault::KeyType::ed25519).status(); },
      [&] { return engine->sign(location, as_bytes("m")).status(); });
  // The engine restarted from the file, which never held the key.
  CHECK(after_restart([&] { return engine->sign(location, as_bytes("m")).status(); }).code() == Errc::not_found);
}

TEST_CASE_FIXTURE(GatedEngine, "a secret reads back only once its put is durable") {
  check_unseen_until_durable(
      fs, [&] { return engine->put_secret("db/password", as_bytes("hunter2")); },
      [&] { return engine->get_secret("db/password").status(); });
  CHECK(after_restart([&] { return engine->get_secret("db/password").status(); }).code() == Errc::not_found);
}

TEST_CASE_FIXTURE(GatedEngine, "a key generated and acknowledged signs at once, with no write pending") {
  const auto location = vault::Location::parse("hot/new").value();
  REQUIRE(engine->generate(location, vault::KeyType::ed25519).ok());
  fs.close();  // another place's write pending does not hold this key back
  auto other = std::async(std::launch::async, [&] {
    return engine->generate(vault::Location::parse("hot/other").value(), vault::KeyType::ed25519).status();
  });
  fs.wait_for_sync();
  CHECK(engine->sign(location, as_bytes("m")).ok());
  fs.open(false);
  CHECK(other.get().ok());
}
