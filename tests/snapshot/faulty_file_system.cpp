#include "faulty_file_system.hpp"

#include <algorithm>
#include <filesystem>

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
    if (fs_.step() != FaultyFileSystem::Outcome::proceed) {
      file_->lost.emplace_back(file_->durable.size(), file_->current.size());
      return io_failure("fdatasync");
    }
    file_->make_durable();
    return {};
  }

 private:
  FaultyFileSystem& fs_;
  std::shared_ptr<FaultyFileSystem::File> file_;
};

void FaultyFileSystem::File::make_durable() {
  durable = current;
  for (const auto& [from, to] : lost)
    std::fill(durable.begin() + static_cast<std::ptrdiff_t>(std::min(from, durable.size())),
              durable.begin() + static_cast<std::ptrdiff_t>(std::min(to, durable.size())), std::uint8_t{0});
}

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

Result<std::vector<std::string>> FaultyFileSystem::list(const std::string& directory) {
  std::vector<std::string> names;
  for (const auto& [name, file] : names_)
    if (const std::filesystem::path path(name); path.parent_path() == directory)
      names.push_back(path.filename().string());
  return names;
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
  // Bytes written past the cut from now on are new pages, whatever was lost there before.
  std::erase_if(file.lost, [&](const auto& range) { return range.first >= file.current.size(); });
  for (auto& range : file.lost)
    range.second = std::min(range.second, file.current.size());
  file.make_durable();  // the real implementation syncs after truncating
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
