// What every `stronghold` command shares: the global options, where the snapshot is, the
// password, the output format, and the exit code of an error.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "command.hpp"
#include "stronghold/runtime/secret_buffer.hpp"
#include "stronghold/snapshot/snapshot.hpp"

namespace stronghold::cli {

// Exit codes (documented in --help and the README).
enum ExitCode : int {
  kSuccess = 0,
  kUsage = 1,
  kWrongPassword = 2,
  kNotFound = 3,
  kDamaged = 4,
  kInvalidInput = 5,
  kBusy = 6,
  kIoError = 7,  // a file that cannot be read or written, a full disk
  kInternal = 10,
};

int exit_code(Errc code) noexcept;

struct GlobalOptions {
  std::string snapshot;       // resolved: --snapshot, $STRONGHOLD_SNAPSHOT, the XDG default
  std::string password_file;  // --password-file
  std::string socket;         // --socket
  bool json = false;
};

// Splits the global options off the front of argv; the rest is the command and its words.
Result<std::pair<GlobalOptions, std::vector<std::string>>> parse_global(int argc, char** argv);

// A password: the first line of `file` (when not empty), else the variable `environment` (when
// not null), else a no-echo prompt on the terminal; invalid_argument when none is available.
Result<runtime::SecretBuffer> read_password(const std::string& file, const char* environment, const char* prompt);
// The snapshot's: --password-file, $STRONGHOLD_PASSWORD, or the prompt.
Result<runtime::SecretBuffer> snapshot_password(const GlobalOptions& options, const char* prompt);

// Prints results here: plain (one value per line) or JSON (one object per result).
class PrintedOutput final : public Output {
 public:
  explicit PrintedOutput(bool json) : json_(json) {}
  void result(const Fields& fields, Layout layout) override;
  void secret_value(const std::string& name, ByteView bytes) override;
  Status new_file(const std::string& path, ByteView content) override;

 private:
  bool json_;
};

// The snapshot file, opened by this process on first use with the password from its sources.
class LocalStore final : public Store {
 public:
  explicit LocalStore(const GlobalOptions& options) : options_(options) {}
  Status transact(const std::function<Status(vault::Transaction&)>& body) override;
  Status read(const std::function<Status(const vault::Keystore&)>& body) override;
  Status collect_garbage() override;
  Status change_password(ByteView new_password) override;

 private:
  Result<snapshot::Snapshot*> snapshot();
  const GlobalOptions& options_;
  std::unique_ptr<snapshot::Snapshot> snapshot_;
};

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
