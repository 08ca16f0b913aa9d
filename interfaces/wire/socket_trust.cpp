#include "socket_trust.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace stronghold::wire {
namespace {

bool trusted(uid_t uid) { return uid == ::geteuid() || uid == 0; }

Status untrusted(std::string fault) { return Status(Errc::unavailable, std::move(fault)); }

std::string not_ours(uid_t owner) {
  return fmt::format("uid {}, not to this user (uid {}) or root", owner, ::geteuid());
}

}  // namespace

Result<sockaddr_un> socket_address(const std::string& path) {
  sockaddr_un address{};
  if (path.size() >= sizeof address.sun_path)
    return error(Errc::invalid_argument, "the socket path {} is too long (at most {} bytes)", path,
                 sizeof address.sun_path - 1);
  address.sun_family = AF_UNIX;
  std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
  return address;
}

Status check_socket_folder(const std::string& socket_path) {
  const std::string folder = std::filesystem::path(socket_path).parent_path().string();
  struct stat info {};
  if (::stat(folder.empty() ? "." : folder.c_str(), &info) != 0)
    return untrusted(fmt::format("the folder of {} cannot be examined: {}", socket_path, errno_text(errno)));
  if (!trusted(info.st_uid))
    return untrusted(fmt::format("the folder {} of {} belongs to {}", folder, socket_path, not_ours(info.st_uid)));
  if ((info.st_mode & (S_IWGRP | S_IWOTH)) != 0 && (info.st_mode & S_ISVTX) == 0)
    return untrusted(
        fmt::format("the folder {} of {} is writable by others and not sticky (mode {:04o}), so another "
                    "user could replace the socket",
                    folder, socket_path, info.st_mode & 07777));
  return {};
}

Status check_socket_file(const std::string& socket_path) {
  struct stat info {};
  if (::lstat(socket_path.c_str(), &info) != 0)
    return untrusted(fmt::format("{} cannot be examined: {}", socket_path, errno_text(errno)));
  if (!S_ISSOCK(info.st_mode))
    return untrusted(fmt::format("{} is not a socket", socket_path));
  if (!trusted(info.st_uid))
    return untrusted(fmt::format("{} belongs to {}", socket_path, not_ours(info.st_uid)));
  if ((info.st_mode & (S_IWGRP | S_IWOTH)) != 0)
    return untrusted(fmt::format("{} is writable by others (mode {:04o})", socket_path, info.st_mode & 07777));
  return {};
}

Result<ucred> peer_credentials(int fd) {
  ucred peer{};
  socklen_t size = sizeof peer;
  if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &peer, &size) != 0)
    return error(Errc::io_error, "cannot tell who serves the socket: {}", errno_text(errno));
  return peer;
}

Status check_server(int fd, const std::string& socket_path) {
  SH_ASSIGN_OR_RETURN(const ucred server, peer_credentials(fd));
  if (!trusted(server.uid))
    return untrusted(fmt::format("the process serving {} (pid {}) runs as uid {}, not as this user (uid {}) or root",
                                 socket_path, server.pid, server.uid, ::geteuid()));
  return {};
}

}  // namespace stronghold::wire
