#include "client_keys.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include <sodium.h>

#include "stronghold/runtime/random.hpp"
#include "stronghold/runtime/scratch.hpp"

namespace stronghold::cli {
namespace {

Status open_error(const std::string& path, std::string_view what, int error_number) {
  if (error_number == ENOENT)
    return error(Errc::not_found, "there is no {} {}", what, path);
  if (error_number == ELOOP)
    return error(Errc::invalid_argument, "the {} {} is a symbolic link, which is never followed", what, path);
  return error(Errc::io_error, "cannot open {}: {}", path, errno_text(error_number));
}

// What a private key file must be: this user's regular file, closed to everyone else.
Status check_key_file(const std::string& path, std::string_view what, const struct stat& info) {
  if (!S_ISREG(info.st_mode))
    return error(Errc::invalid_argument, "the {} {} is not a regular file", what, path);
  if (info.st_uid != ::geteuid())
    return error(Errc::invalid_argument, "the {} {} belongs to uid {}, not to this user (uid {})", what, path,
                 info.st_uid, ::geteuid());
  if ((info.st_mode & 077) != 0)
    return error(Errc::invalid_argument,
                 "the {} {} has mode {:04o}: others may read or write it (chmod 600 it, or make a new key)", what, path,
                 info.st_mode & 07777);
  if (info.st_size != crypto_sign_SEEDBYTES)
    return error(Errc::invalid_argument, "the {} {} is not a {}-byte key", what, path, crypto_sign_SEEDBYTES);
  return {};
}

Status write_all(int fd, ByteView bytes, const std::string& path) {
  for (std::size_t written = 0; written < bytes.size();) {
    const ssize_t wrote = ::write(fd, bytes.data() + written, bytes.size() - written);
    if (wrote < 0 && errno == EINTR)
      continue;
    if (wrote <= 0)
      return error(Errc::io_error, "cannot write {}: {}", path, errno_text(errno));
    written += static_cast<std::size_t>(wrote);
  }
  return ::fsync(fd) == 0 ? Status() : error(Errc::io_error, "cannot sync {}: {}", path, errno_text(errno));
}

// The key in the open file `fd`, once the file passed the checks.
Result<runtime::SecretBytes> read_key(int fd, const std::string& path, std::string_view what) {
  struct stat info {};
  if (::fstat(fd, &info) != 0)
    return open_error(path, what, errno);
  SH_RETURN_IF_ERROR(check_key_file(path, what, info));
  runtime::SecretBytes seed(crypto_sign_SEEDBYTES);
  for (std::size_t got = 0; got < seed.size();) {
    const ssize_t read = ::read(fd, seed.data() + got, seed.size() - got);
    if (read < 0 && errno == EINTR)
      continue;
    if (read <= 0)
      return error(Errc::io_error, "cannot read {}", path);
    got += static_cast<std::size_t>(read);
  }
  return seed;
}

}  // namespace

Result<runtime::SecretBytes> read_key_file(const std::string& path, std::string_view what) {
  // O_NOFOLLOW refuses a link at the last component; fstat then checks the file that was opened,
  // so nothing can be swapped in between.
  const int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0)
    return open_error(path, what, errno);
  auto seed = read_key(fd, path, what);
  ::close(fd);
  return seed;
}

Status client_keygen(const GlobalOptions& options, const std::vector<std::string>& words) {
  SH_ASSIGN_OR_RETURN(const Args args, Args::parse(words, {{"--out"}, {}, {}}));
  if (!args.positional().empty())
    return error(Errc::invalid_argument, "unexpected argument '{}'", args.positional().front());
  SH_ASSIGN_OR_RETURN(const std::string path, args.required("--out"));
  runtime::SecretBytes seed(crypto_sign_SEEDBYTES);
  runtime::random_bytes(seed.span());
  runtime::ScratchFrame frame;
  SH_ASSIGN_OR_RETURN(const auto secret_key, frame.take(crypto_sign_SECRETKEYBYTES));
  Bytes public_key(crypto_sign_PUBLICKEYBYTES);
  crypto_sign_seed_keypair(public_key.data(), secret_key.data(), seed.data());
  // O_EXCL creates the file or fails, a symbolic link there included (never followed).
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0 && errno == EEXIST)
    return error(Errc::already_exists, "{} already exists; a key file is never overwritten", path);
  if (fd < 0)
    return error(Errc::io_error, "cannot create {}: {}", path, errno_text(errno));
  const Status written = write_all(fd, seed.view(), path);
  ::close(fd);
  SH_RETURN_IF_ERROR(written);
  Output(options.json).value("public_key", to_hex(public_key));
  return {};
}

}  // namespace stronghold::cli
