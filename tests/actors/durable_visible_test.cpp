// Durable before visible: a change is usable only once the file holds it. A key whose generate is
// still being synced does not sign (its request waits), so when that sync fails and the key is
// gone after the restart from the file, no signature was ever made with it.
#include <condition_variable>
#include <filesystem>
#include <future>
#include <mutex>
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

}  // namespace

TEST_CASE("a key signs only once its generate is durable: a failed sync leaves no signature behind") {
  test::TempDir dir;
  const std::string path = dir.file("visible.stronghold");
  GatedFileSystem fs;
  EngineOptions options = test::fast_engine_options();
  options.file_system = &fs;
  const Bytes password = {'v'};
  auto engine = Engine::create(path, password, options);
  REQUIRE(engine.ok());
  const auto location = vault::Location::parse("hot/new").value();

  fs.close();
  auto generated =
      std::async(std::launch::async, [&] { return (*engine)->generate(location, vault::KeyType::ed25519).status(); });
  fs.wait_for_sync();  // the key is in the state and in the file, not yet on the disk
  auto signed_early = std::async(std::launch::async, [&] { return (*engine)->sign(location, as_bytes("m")); });
  CHECK_MESSAGE(signed_early.wait_for(std::chrono::milliseconds(500)) == std::future_status::timeout,
                "a key signed before its generate was durable");
  fs.open(true);
  CHECK_FALSE(generated.get().ok());
  const auto signature = signed_early.get();
  CHECK_MESSAGE(!signature.ok(), "a signature with a key the file never held");
  // The engine restarted from the file, which never held the key.
  CHECK((*engine)->sign(location, as_bytes("m")).code() == Errc::not_found);
}

TEST_CASE("a key generated and acknowledged signs at once, with no write pending") {
  test::TempDir dir;
  GatedFileSystem fs;
  EngineOptions options = test::fast_engine_options();
  options.file_system = &fs;
  auto engine = Engine::create(dir.file("visible.stronghold"), Bytes{'v'}, options);
  REQUIRE(engine.ok());
  const auto location = vault::Location::parse("hot/new").value();
  REQUIRE((*engine)->generate(location, vault::KeyType::ed25519).ok());
  fs.close();  // another place's write pending does not hold this key back
  auto other = std::async(std::launch::async, [&] {
    return (*engine)->generate(vault::Location::parse("hot/other").value(), vault::KeyType::ed25519).status();
  });
  fs.wait_for_sync();
  CHECK((*engine)->sign(location, as_bytes("m")).ok());
  fs.open(false);
  CHECK(other.get().ok());
}
