#include "terminal.hpp"

#include <fcntl.h>
#include <termios.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

#include "stronghold/runtime/hex.hpp"

namespace stronghold::wire {

// Drops one trailing "\n" or "\r\n".
std::size_t without_newline(const std::uint8_t* bytes, std::size_t size) {
  if (size > 0 && bytes[size - 1] == '\n')
    --size;
  if (size > 0 && bytes[size - 1] == '\r')
    --size;
  return size;
}

namespace {

constexpr std::size_t kMaxPasswordSize = 1024;

// The first line of `fd`, at most `limit` bytes: a longer line is refused rather than cut (a
// cut password would open the file for another one sharing its first `limit` bytes).
Result<runtime::SecretBuffer> first_line(int fd, std::size_t limit) {
  SH_ASSIGN_OR_RETURN(runtime::SecretBuffer buffer, runtime::SecretBuffer::create(limit + 1));
  std::size_t size = 0;
  {
    auto view = buffer.write();
    auto bytes = view.bytes();
    for (;;) {
      const ssize_t got = ::read(fd, bytes.data() + size, 1);
      if (got < 0)
        return Status(Errc::io_error, "could not read the password");
      if (got == 0 || bytes[size] == '\n')
        break;
      if (++size > limit)
        return error(Errc::invalid_argument, "the password is longer than {} bytes", limit);
    }
    size = without_newline(bytes.data(), size);
  }
  if (size == 0)
    return Status(Errc::invalid_argument, "the password is empty");
  auto view = buffer.read();
  return runtime::SecretBuffer::from(view.bytes().first(size));
}

Result<runtime::SecretBuffer> prompt(const char* text) {
  const int tty = ::open("/dev/tty", O_RDWR | O_CLOEXEC);
  if (tty < 0)
    return Status(Errc::invalid_argument,
                  "no password: give --password-file, set STRONGHOLD_PASSWORD, or run on a terminal");
  termios saved{};
  const bool is_terminal = ::tcgetattr(tty, &saved) == 0;
  if (is_terminal) {
    termios quiet = saved;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    ::tcsetattr(tty, TCSAFLUSH, &quiet);
  }
  [[maybe_unused]] const ssize_t shown = ::write(tty, text, std::strlen(text));
  auto password = first_line(tty, kMaxPasswordSize);
  if (is_terminal)
    ::tcsetattr(tty, TCSAFLUSH, &saved);
  [[maybe_unused]] const ssize_t newline = ::write(tty, "\n", 1);
  ::close(tty);
  return password;
}

}  // namespace

int exit_code(Errc code) noexcept {
  switch (code) {
    case Errc::ok: return kSuccess;
    case Errc::wrong_password: return kWrongPassword;
    case Errc::not_found:
    case Errc::did_not_found: return kNotFound;
    case Errc::corrupted:
    case Errc::unsupported: return kDamaged;
    case Errc::invalid_argument:
    case Errc::invalid_key:
    case Errc::wrong_key_type:
    case Errc::authentication_failed:
    case Errc::expired:
    case Errc::already_exists: return kInvalidInput;
    case Errc::busy:
    case Errc::conflict:
    case Errc::unavailable:
    case Errc::timeout: return kBusy;
    case Errc::io_error: return kIoError;
    case Errc::denied: return kDenied;
    case Errc::pending_approval: return kPendingApproval;
    default: return kInternal;
  }
}

Result<runtime::SecretBuffer> read_password(const std::string& file, const char* environment, const char* text) {
  if (!file.empty()) {
    const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
      return error(Errc::io_error, "cannot read the password file {}", file);
    auto password = first_line(fd, kMaxPasswordSize);
    ::close(fd);
    return password;
  }
  if (const char* value = environment != nullptr ? std::getenv(environment) : nullptr;
      value != nullptr && *value != '\0') {
    if (std::strlen(value) > kMaxPasswordSize)
      return error(Errc::invalid_argument, "${} is longer than {} bytes", environment, kMaxPasswordSize);
    return runtime::SecretBuffer::from(as_bytes(value));
  }
  return prompt(text);
}

}  // namespace stronghold::wire
