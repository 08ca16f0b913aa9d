#include "socket_claim.hpp"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <optional>

#include "wire/socket_trust.hpp"

namespace stronghold::daemon {
namespace {

// What a file of `mode` is, for a message.
const char* file_kind(mode_t mode) {
  if (S_ISREG(mode))
    return "a regular file";
  if (S_ISDIR(mode))
    return "a directory";
  if (S_ISLNK(mode))
    return "a symbolic link";
  if (S_ISFIFO(mode))
    return "a named pipe";
  return S_ISSOCK(mode) ? "a socket" : "a device";
}

// Whether `a` and `b` name one file: the same device and inode, or, while either is missing,
// the same path once resolved.
bool same_file(const std::string& a, const std::string& b) {
  struct stat first {
  }, second{};
  if (::stat(a.c_str(), &first) == 0 && ::stat(b.c_str(), &second) == 0)
    return first.st_dev == second.st_dev && first.st_ino == second.st_ino;
  std::error_code failed_a, failed_b;
  const auto resolved_a = std::filesystem::weakly_canonical(a, failed_a);
  const auto resolved_b = std::filesystem::weakly_canonical(b, failed_b);
  return !failed_a && !failed_b && resolved_a == resolved_b;
}

// The socket must not be one of the snapshot's files: the file, its lock (PATH.lock) or its
// compactions' temporaries (PATH.compact, PATH.fold), as the snapshot floor names them.
Status check_not_snapshot(const std::string& socket, const std::string& snapshot) {
  for (const char* suffix : {"", ".lock", ".compact", ".fold"})
    if (same_file(socket, snapshot + suffix))
      return error(Errc::invalid_argument, "--socket {} is the snapshot{} {}: give the socket a path of its own",
                   socket, *suffix == '\0' ? "" : fmt::format("'s {} file", suffix + 1), snapshot + suffix);
  return {};
}

// Who answers at the socket `path`, a socket of uid `owner`: nobody (none: a socket left by a
// daemon that stopped) or a process of some user; busy when it cannot be told.
Result<std::optional<ucred>> server_at(const std::string& path, uid_t owner) {
  SH_ASSIGN_OR_RETURN(const sockaddr_un address, wire::socket_address(path));
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return error(Errc::io_error, "socket: {}", errno_text(errno));
  Result<std::optional<ucred>> server = std::optional<ucred>();
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0) {
    auto credentials = wire::peer_credentials(fd);
    server = credentials.ok() ? Result<std::optional<ucred>>(*credentials) : credentials.status();
  } else if (errno != ECONNREFUSED) {
    server =
        error(Errc::busy, "{} is a socket of uid {} that this user cannot connect to ({}): choose another --socket",
              path, owner, errno_text(errno));
  }
  ::close(fd);
  return server;
}

}  // namespace

// Our socket goes where no other user could replace it (as clients check), and replaces nothing
// but a socket that nobody answers on any more: no other file (the snapshot itself, notes), no
// other strongholdd, no process of another user waiting for our clients' secrets.
Status claim_socket_path(const std::string& path, const std::string& snapshot) {
  SH_RETURN_IF_ERROR(check_not_snapshot(path, snapshot));
  if (Status folder = wire::check_socket_folder(path); !folder.ok())
    return Status(folder.code(), folder.message() +
                                     "; clients would refuse a socket there: choose a folder only you "
                                     "can write to");
  struct stat info {};
  if (::lstat(path.c_str(), &info) != 0)
    return errno == ENOENT ? Status() : error(Errc::io_error, "cannot examine {}: {}", path, errno_text(errno));
  if (!S_ISSOCK(info.st_mode))
    return error(Errc::already_exists,
                 "{} is {}, not a socket: strongholdd replaces only a socket left by a daemon "
                 "that stopped; choose another --socket",
                 path, file_kind(info.st_mode));
  SH_ASSIGN_OR_RETURN(const std::optional<ucred> server, server_at(path, info.st_uid));
  if (server && server->uid == ::geteuid())
    return error(Errc::busy,
                 "a process of this user (uid {}, pid {}) already serves {}: another strongholdd? Stop it "
                 "or choose another socket",
                 server->uid, server->pid, path);
  if (server)
    return error(Errc::busy,
                 "a process of another user (uid {}, pid {}) serves {}: choose a socket in a folder "
                 "only you can write to",
                 server->uid, server->pid, path);
  if (::unlink(path.c_str()) != 0)
    return error(Errc::io_error, "cannot remove the socket {} (of uid {}) left by a daemon that stopped: {}", path,
                 info.st_uid, errno_text(errno));
  return {};
}

}  // namespace stronghold::daemon
