// Client key files: the 32-byte Ed25519 seed with which a strongholdd client proves its name
// (wire::Client::prove). Kept as OpenSSH keeps a private key: a regular file of this user that no
// one else may read or write, never reached through a symbolic link.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "session.hpp"
#include "stronghold/runtime/secret_bytes.hpp"

namespace stronghold::cli {

// The 32-byte key in the file at `path` (a client's seed, or a Rust Stronghold snapshot's key),
// named `what` in errors: not_found when there is none; invalid_argument for a symbolic link,
// anything but a regular file, a file of another user, one that others may read or write, or
// one that is not 32 bytes.
Result<runtime::SecretBytes> read_key_file(const std::string& path, std::string_view what);

// `client keygen --out FILE`: a new seed in a new file (mode 0600; already_exists for anything at
// FILE, a symbolic link included), and its public key printed, for `client add`.
Status client_keygen(const GlobalOptions& options, const std::vector<std::string>& words);

}  // namespace stronghold::cli
