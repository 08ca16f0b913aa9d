// Where strongholdd puts its socket: a path no other user could take over, and where nothing but
// a socket left by a daemon that stopped is replaced.
#pragma once

#include <string>

#include "stronghold/runtime/status.hpp"

namespace stronghold::daemon {

// Makes `path` free for our socket, or says why it cannot be ours: its folder is one clients
// would refuse (see wire/socket_trust.hpp), it is one of the snapshot's files, it is a file other than
// a socket (already_exists), or somebody serves it (busy, naming the uid and pid). A socket
// nobody answers on (ECONNREFUSED) is removed.
Status claim_socket_path(const std::string& path, const std::string& snapshot);

}  // namespace stronghold::daemon
