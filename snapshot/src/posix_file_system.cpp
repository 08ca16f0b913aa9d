#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <utility>

#include "stronghold/snapshot/file_system.hpp"

namespace stronghold::snapshot {
namespace {

Status os_error(std::string_view what, const std::string& path) {
  const int code = errno;
  if (code == ELOOP)  // what O_NOFOLLOW answers for a symbolic link
    return error(Errc::io_error, "{} {}: it is a symbolic link, which is never followed; remove it", what, path);
  const Errc errc = code == ENOENT                     ? Errc::not_found
                    : code == EEXIST                   ? Errc::already_exists
                    : code == EWOULDBLOCK              ? Errc::busy
                    : code == ENOSPC || code == EDQUOT ? Errc::resource_exhausted
                                                       : Errc::io_error;
  return error(errc, "{} {}: {}", what, path, errno_text(code));
}

class Descriptor {
 public:
  explicit Descriptor(int fd) noexcept : fd_(fd) {}
  Descriptor(Descriptor&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  Descriptor& operator=(Descriptor&&) = delete;
  Descriptor(const Descriptor&) = delete;
  Descriptor& operator=(const Descriptor&) = delete;
  ~Descriptor() {
    if (fd_ >= 0)
      ::close(fd_);
  }
  int get() const noexcept { return fd_; }

 private:
  int fd_;
};

class PosixAppendFile final : public AppendFile {
 public:
  PosixAppendFile(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  Status append(ByteView bytes) override {
    std::size_t done = 0;
    while (done < bytes.size()) {
      const ssize_t written = ::write(fd_.get(), bytes.data() + done, bytes.size() - done);
      if (written < 0 && errno == EINTR)
        continue;
      if (written <= 0)
        return os_error("cannot write", path_);
      done += static_cast<std::size_t>(written);
    }
    return {};
  }
  Status sync() override {
    if (::fdatasync(fd_.get()) != 0)
      return os_error("cannot sync", path_);
    return {};
  }

 private:
  Descriptor fd_;
  std::string path_;
};

class PosixReadFile final : public ReadFile {
 public:
  PosixReadFile(Descriptor fd, std::uint64_t size, std::string path) noexcept
      : fd_(std::move(fd)), size_(size), path_(std::move(path)) {}

  std::uint64_t size() const noexcept override { return size_; }

  Status read_at(std::uint64_t offset, std::span<std::uint8_t> out) override {
    SH_ASSIGN_OR_RETURN(const std::size_t read, read_up_to(offset, out));
    if (read != out.size())
      return error(Errc::io_error, "{} ends before the {} bytes at {} were read", path_, out.size(), offset);
    return {};
  }

  // What is there of `out.size()` bytes from `offset`: fewer at the end of the file.
  Result<std::size_t> read_up_to(std::uint64_t offset, std::span<std::uint8_t> out) {
    std::size_t done = 0;
    while (done < out.size()) {
      const ssize_t got = ::pread(fd_.get(), out.data() + done, out.size() - done, static_cast<off_t>(offset + done));
      if (got < 0 && errno == EINTR)
        continue;
      if (got < 0)
        return os_error("cannot read", path_);
      if (got == 0)
        break;
      done += static_cast<std::size_t>(got);
    }
    return done;
  }

 private:
  Descriptor fd_;
  std::uint64_t size_;
  std::string path_;
};

// `path` opened for reading, once it is known to be a regular file of at most `max_size` bytes.
Result<std::unique_ptr<PosixReadFile>> open_regular(const std::string& path, std::uint64_t max_size) {
  // O_NONBLOCK: a FIFO put where a file belongs must not hold the open until a writer comes.
  Descriptor fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK));
  if (fd.get() < 0)
    return os_error("cannot open", path);
  struct stat info {};
  if (::fstat(fd.get(), &info) != 0)
    return os_error("cannot stat", path);
  if (!S_ISREG(info.st_mode))
    return error(Errc::io_error, "{} is not a regular file", path);
  if (static_cast<std::uint64_t>(info.st_size) > max_size)
    return error(Errc::resource_exhausted, "{} is larger than {} bytes", path, max_size);
  return std::make_unique<PosixReadFile>(std::move(fd), static_cast<std::uint64_t>(info.st_size), path);
}

class PosixLock final : public FileLock {
 public:
  explicit PosixLock(int fd) : fd_(fd) {}

 private:
  Descriptor fd_;  // closing it releases the lock
};

// realpath(3) into a string.
Result<std::string> real_path(const std::string& path) {
  std::unique_ptr<char, decltype(&std::free)> resolved(::realpath(path.c_str(), nullptr), &std::free);
  if (!resolved)
    return os_error("cannot resolve", path);
  return std::string(resolved.get());
}

class PosixFileSystem final : public FileSystem {
 public:
  Result<std::string> resolve(const std::string& path) override {
    auto resolved = real_path(path);
    if (resolved.ok() || resolved.code() != Errc::not_found)
      return resolved;
    struct stat link {};
    if (::lstat(path.c_str(), &link) == 0)
      return error(Errc::not_found, "{} is a symbolic link to a file that does not exist", path);
    const std::filesystem::path name(path);
    const std::filesystem::path parent = name.parent_path();
    SH_ASSIGN_OR_RETURN(const std::string folder, real_path(parent.empty() ? std::string(".") : parent.string()));
    return (std::filesystem::path(folder) / name.filename()).string();
  }

  Result<Bytes> read_file(const std::string& path, std::uint64_t max_size) override {
    SH_ASSIGN_OR_RETURN(auto file, open_regular(path, max_size));
    Bytes content(static_cast<std::size_t>(file->size()));
    SH_ASSIGN_OR_RETURN(const std::size_t read, file->read_up_to(0, content));
    content.resize(read);  // it shrank while read
    return content;
  }

  Result<std::unique_ptr<ReadFile>> open_read(const std::string& path, std::uint64_t max_size) override {
    SH_ASSIGN_OR_RETURN(auto file, open_regular(path, max_size));
    return std::unique_ptr<ReadFile>(std::move(file));
  }

  bool exists(const std::string& path) override { return ::access(path.c_str(), F_OK) == 0; }

  Result<std::vector<std::string>> list(const std::string& directory) override {
    std::error_code failure;
    std::vector<std::string> names;
    for (std::filesystem::directory_iterator it(directory, failure), end; !failure && it != end; it.increment(failure))
      names.push_back(it->path().filename().string());
    if (failure) {
      errno = failure.value();
      return os_error("cannot list", directory);
    }
    return names;
  }

  Result<std::unique_ptr<AppendFile>> open_append(const std::string& path, bool create) override {
    // Paths here are resolved (FileSystem::resolve): a symbolic link found now was put there since.
    // O_NONBLOCK: a FIFO there fails at once (no reader) instead of blocking the writer.
    const int flags = O_WRONLY | O_APPEND | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | (create ? O_CREAT | O_EXCL : 0);
    const int fd = ::open(path.c_str(), flags, 0600);
    if (fd < 0)
      return os_error(create ? "cannot create" : "cannot open", path);
    struct stat info {};
    if (::fstat(fd, &info) != 0 || !S_ISREG(info.st_mode)) {
      ::close(fd);
      return error(Errc::io_error, "{} is not a regular file", path);
    }
    return std::unique_ptr<AppendFile>(std::make_unique<PosixAppendFile>(fd, path));
  }

  Status truncate(const std::string& path, std::uint64_t size) override {
    Descriptor fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC | O_NOFOLLOW));
    if (fd.get() < 0 || ::ftruncate(fd.get(), static_cast<off_t>(size)) != 0 || ::fdatasync(fd.get()) != 0)
      return os_error("cannot truncate", path);
    return {};
  }

  Status rename(const std::string& from, const std::string& to) override {
    if (::rename(from.c_str(), to.c_str()) != 0)
      return os_error("cannot rename", from);
    return {};
  }

  Status link(const std::string& from, const std::string& to) override {
    if (::link(from.c_str(), to.c_str()) != 0)
      return os_error("cannot link", to);
    return {};
  }

  Status remove(const std::string& path) override {
    if (::unlink(path.c_str()) != 0 && errno != ENOENT)
      return os_error("cannot remove", path);
    return {};
  }

  Status sync_directory(const std::string& path) override {
    const std::filesystem::path parent = std::filesystem::path(path).parent_path();
    const std::string directory = parent.empty() ? std::string(".") : parent.string();
    Descriptor fd(::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (fd.get() < 0 || ::fsync(fd.get()) != 0)
      return os_error("cannot sync directory", directory);
    return {};
  }

  Result<std::unique_ptr<FileLock>> lock(const std::string& path) override {
    // Never through a symbolic link: one planted here would make us create or lock its target.
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0)
      return os_error("cannot open", path);
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
      const Status status = os_error("another process holds", path);
      ::close(fd);
      return status;
    }
    return std::unique_ptr<FileLock>(std::make_unique<PosixLock>(fd));
  }
};

}  // namespace

FileSystem& posix_file_system() {
  static PosixFileSystem file_system;
  return file_system;
}

}  // namespace stronghold::snapshot
