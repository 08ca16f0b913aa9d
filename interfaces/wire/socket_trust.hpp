// Whom a client may trust at a socket path, and whom a daemon finds there.
//
// A client hands strongholdd passwords, private keys and secret values, so before it sends
// anything it checks, as OpenSSH's StrictModes does for its files, that no other user could have
// put the socket there or could replace it: the socket belongs to this user or root and only its
// owner may write to it, and its folder belongs to this user or root and no one else may write
// to it unless the folder is sticky (like /tmp, where only a file's owner may remove or rename
// it). Client::connect follows symbolic links first, so the checks apply to the real socket and
// folder.
// These checks can race with a change of the files; the last one cannot: after connecting, the
// process serving the socket (SO_PEERCRED, as it was when that process called listen) must run
// as this user or root. A failed check is unavailable, its message naming the owner and the
// fault.
#pragma once

#include <sys/socket.h>
#include <sys/un.h>

#include <string>

#include "stronghold/runtime/status.hpp"

namespace stronghold::wire {

// The address of the socket at `path`; invalid_argument when the path is too long for one.
Result<sockaddr_un> socket_address(const std::string& path);

// The folder that holds `socket_path`.
Status check_socket_folder(const std::string& socket_path);
// `socket_path` itself (already resolved by the caller).
Status check_socket_file(const std::string& socket_path);
// The credentials of the process at the other end of the connected socket `fd`: for a client,
// the server's as they were when it called listen.
Result<ucred> peer_credentials(int fd);
// That process runs as this user or root.
Status check_server(int fd, const std::string& socket_path);

}  // namespace stronghold::wire
