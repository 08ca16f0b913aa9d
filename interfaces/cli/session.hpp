// What every `stronghold` command shares: the global options, where the snapshot is, the
// password, the output format, and the exit code of an error.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

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

// The password: --password-file (its first line), $STRONGHOLD_PASSWORD, or a no-echo prompt on
// the terminal; invalid_argument when none is available.
Result<runtime::SecretBuffer> read_password(const std::string& file, const char* environment, const char* prompt);

// Prints results: plain (one value per line) or JSON (one object per result).
class Output {
 public:
  explicit Output(bool json) : json_(json) {}
  // One result: pairs of field name and text value. Plain output prints a record (a row of a
  // listing) on one line, its values separated by tabs, and other results one value per line.
  enum class Layout { value_per_line, record };
  void result(const std::vector<std::pair<std::string, std::string>>& fields, Layout layout = Layout::value_per_line) const;
  // One value under `name`.
  void value(const std::string& name, const std::string& text) const { result({{name, text}}); }
  // A secret read back on purpose (a mnemonic, a secret-store value): printed without a copy left
  // in ordinary memory.
  void secret_value(const std::string& name, ByteView bytes) const;

 private:
  bool json_;
};

std::string json_quote(std::string_view text);

// Prints "stronghold: <message>; <what to do>" to stderr and returns the exit code.
int report(const Status& status);
int usage_error(const std::string& message, const std::string& command);

// Reads all of stdin (at most `limit` bytes) into a self-wiping buffer.
Result<runtime::SecretBuffer> read_stdin_secret(std::size_t limit);
// Reads a file of public data (at most `limit` bytes).
Result<Bytes> read_public_file(const std::string& path, std::size_t limit);

// Opens the snapshot of `options` with the password from its sources.
Result<std::unique_ptr<snapshot::Snapshot>> open_snapshot(const GlobalOptions& options);

}  // namespace stronghold::cli
