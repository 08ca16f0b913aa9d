#include "faulty_file_system.hpp"

namespace stronghold::test {
namespace {

Status io_failure(const char* what) { return Status(Errc::io_error, std::string("injected failure: ") + what); }

}  // namespace

class FaultyAppendFile final : public snapshot::AppendFile {
 public:
  FaultyAppendFile(FaultyFileSystem& fs, std::shared_ptr<FaultyFileSystem::File> file)
      : fs_(fs), file_(std::move(file)) {}

  Status append(ByteView bytes) override {
    switch (fs_.step()) {
      case FaultyFileSystem::Outcome::proceed:
        file_->current.insert(file_->current.end(), bytes.begin(), bytes.end());
        return {};
      case FaultyFileSystem::Outcome::fail_partially: {
        const std::size_t written = fs_.random_below(bytes.size() + 1);
        file_->current.insert(file_->current.end(), bytes.begin(),
                              bytes.begin() + static_cast<std::ptrdiff_t>(written));
        return io_failure("write");
      }
      case FaultyFileSystem::Outcome::fail: return io_failure("write");
    }
    return {};
  }

  Status sync() override {
    if (fs_.step() != FaultyFileSystem::Outcome::proceed)
      return io_failure("fdatasync");
    file_->durable = file_->current;
    return {};
  }

 private:
  FaultyFileSystem& fs_;
  std::shared_ptr<FaultyFileSystem::File> file_;
};

FaultyFileSystem::Outcome FaultyFileSystem::step() {
  const int index = step_++;
  if (dead_)
    return Outcome::fail;
  if (index != fail_at_ || fault_ == Fault::none)
    return Outcome::proceed;
  if (fault_ == Fault::power_loss)
    dead_ = true;
  return Outcome::fail_partially;
}

std::unique_ptr<FaultyFileSystem> FaultyFileSystem::crash_image() {
  auto image = std::make_unique<FaultyFileSystem>(-1, Fault::none, random_());
  for (const auto& [name, file] : durable_names_) {
    auto survived = std::make_shared<File>();
    survived->durable = file->durable;
    // Unsynced appends may have reached the disk in part, or as zeros the file system
    // allocated without writing.
    const bool grew = file->current.size() > file->durable.size() &&
                      std::equal(file->durable.begin(), file->durable.end(), file->current.begin());
    if (grew) {
      const std::size_t tail = random_below(file->current.size() - file->durable.size() + 1);
      if (random_below(4) == 0)
        survived->durable.insert(survived->durable.end(), tail, 0);
      else
        survived->durable.insert(survived->durable.end(),
                                 file->current.begin() + static_cast<std::ptrdiff_t>(file->durable.size()),
                                 file->current.begin() + static_cast<std::ptrdiff_t>(file->durable.size() + tail));
    }
    survived->current = survived->durable;
    image->names_[name] = survived;
    image->durable_names_[name] = survived;
  }
  return image;
}

Result<Bytes> FaultyFileSystem::read_file(const std::string& path, std::uint64_t max_size) {
  const auto found = names_.find(path);
  if (found == names_.end())
    return Status(Errc::not_found, "no file " + path);
  if (found->second->current.size() > max_size)
    return Status(Errc::resource_exhausted, "file too large");
  return found->second->current;
}

Result<std::unique_ptr<snapshot::AppendFile>> FaultyFileSystem::open_append(const std::string& path, bool create) {
  if (step() != Outcome::proceed)
    return io_failure("open");
  auto found = names_.find(path);
  if (create) {
    if (found != names_.end())
      return Status(Errc::already_exists, path + " exists");
    found = names_.emplace(path, std::make_shared<File>()).first;
  } else if (found == names_.end()) {
    return Status(Errc::not_found, "no file " + path);
  }
  return std::unique_ptr<snapshot::AppendFile>(std::make_unique<FaultyAppendFile>(*this, found->second));
}

Status FaultyFileSystem::truncate(const std::string& path, std::uint64_t size) {
  if (step() != Outcome::proceed)
    return io_failure("truncate");
  const auto found = names_.find(path);
  if (found == names_.end())
    return Status(Errc::not_found, "no file " + path);
  File& file = *found->second;
  file.current.resize(std::min<std::size_t>(file.current.size(), static_cast<std::size_t>(size)));
  file.durable = file.current;  // the real implementation syncs after truncating
  return {};
}

Status FaultyFileSystem::rename(const std::string& from, const std::string& to) {
  if (step() != Outcome::proceed)
    return io_failure("rename");
  const auto found = names_.find(from);
  if (found == names_.end())
    return Status(Errc::not_found, "no file " + from);
  names_[to] = found->second;
  names_.erase(found);
  return {};
}

Status FaultyFileSystem::remove(const std::string& path) {
  if (step() != Outcome::proceed)
    return io_failure("unlink");
  names_.erase(path);
  return {};
}

Status FaultyFileSystem::sync_directory(const std::string&) {
  if (step() != Outcome::proceed)
    return io_failure("directory fsync");
  durable_names_ = names_;
  return {};
}

Result<std::unique_ptr<snapshot::FileLock>> FaultyFileSystem::lock(const std::string&) {
  return std::make_unique<snapshot::FileLock>();
}

}  // namespace stronghold::test
