// What every `stronghold` command shares: the global options, where the snapshot is, the
// password, the output format, and the exit code of an error.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "command.hpp"
#include "stronghold/runtime/secret_buffer.hpp"
#include "wire/terminal.hpp"

namespace stronghold::cli {

using wire::exit_code;
using wire::ExitCode;
using wire::read_password;
using enum wire::ExitCode;

struct GlobalOptions {
  std::string snapshot;       // resolved: --snapshot, $STRONGHOLD_SNAPSHOT, the XDG default
  std::string password_file;  // --password-file
  std::string socket;         // --socket
  std::string remote;         // --remote HOST:PORT: a node of a cluster, over mutual TLS
  std::string tls_cert;       // --tls-cert, --tls-key, --tls-ca: this client's certificate, its
  std::string tls_key;        // key, and the cluster's CA (all three with --remote)
  std::string tls_ca;
  std::string client;      // --client: the client identity to prove to strongholdd
  std::string client_key;  // --client-key: the file of its key
  bool json = false;
  // Whether commands run in a strongholdd (--socket or --remote) rather than on the file.
  bool through_daemon() const { return !socket.empty() || !remote.empty(); }
};

// Splits the global options off the front of argv; the rest is the command and its words.
Result<std::pair<GlobalOptions, std::vector<std::string>>> parse_global(int argc, char** argv);

// The snapshot's: --password-file, $STRONGHOLD_PASSWORD, or the prompt.
Result<runtime::SecretBuffer> snapshot_password(const GlobalOptions& options, const char* prompt);

// Reads what `command` needs before it runs (see Reads); `remote`: it runs in strongholdd, which
// also needs the current password to change it.
Result<Inputs> read_inputs(const GlobalOptions& options, const Command& command, const Args& args, bool remote);

std::string json_quote(std::string_view text);

// Prints "stronghold: <message>; <what to do>" to stderr and returns the exit code.
int report(const Status& status);
int usage_error(const std::string& message, const std::string& command);

// Reads all of stdin (at most `limit` bytes) into a self-wiping buffer.
Result<runtime::SecretBuffer> read_stdin_secret(std::size_t limit);
// Reads a file of public data (at most `limit` bytes).
Result<Bytes> read_public_file(const std::string& path, std::size_t limit);
// Whether `path` names anything (a symlink counts); io_error when that cannot be told (a path
// too long, a directory that cannot be searched), rather than an exception.
Result<bool> path_exists(const std::string& path);

}  // namespace stronghold::cli
