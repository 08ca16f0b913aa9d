// One `stronghold` command, wherever it runs: on the snapshot file or, with --socket, in
// strongholdd. The user's process reads what the command needs (standard input, the files its
// options name, passwords) into Inputs, then the command builds requests of the engine's
// vocabulary and sends them through Requests (requests.hpp), and prints their answers.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "args.hpp"
#include "stronghold/runtime/hex.hpp"
#include "stronghold/runtime/secret_buffer.hpp"
#include "stronghold/runtime/status.hpp"

namespace stronghold::cli {

// What the user's process read for the command, by name: "stdin", an option that names a file
// ("--file", "--passphrase-file"), "new password", "password".
class Inputs {
 public:
  void add_secret(const std::string& name, runtime::SecretBuffer value) { secrets_[name] = std::move(value); }
  void add_file(const std::string& name, Bytes content) { files_[name] = std::move(content); }
  // invalid_argument when the command asks for an input its caller did not read.
  Result<const runtime::SecretBuffer*> secret(const std::string& name) const;
  Result<const Bytes*> file(const std::string& name) const;
  bool has_secret(const std::string& name) const { return secrets_.contains(name); }

 private:
  std::map<std::string, runtime::SecretBuffer> secrets_;
  std::map<std::string, Bytes> files_;
};

// Prints results: plain (one value per line) or JSON (one object per result).
class Output {
 public:
  explicit Output(bool json) : json_(json) {}
  // Plain output prints a record (a row of a listing) on one line, its values separated by tabs,
  // and other results one value per line.
  enum class Layout { value_per_line, record };
  using Fields = std::vector<std::pair<std::string, std::string>>;
  void result(const Fields& fields, Layout layout);
  void value(const std::string& name, const std::string& text) { result({{name, text}}, Layout::value_per_line); }
  // A secret read back on purpose (a mnemonic, a secret-store value): no plaintext copy is left
  // in ordinary memory.
  void secret_value(const std::string& name, ByteView bytes);
  // Writes a new file (export --out); already_exists rather than overwrite.
  Status new_file(const std::string& path, ByteView content);

 private:
  bool json_;
};

class Requests;

// What a command reads before it runs.
struct Reads {
  std::size_t stdin_limit = 0;        // reads standard input, up to this many bytes, when not 0
  const char* stdin_flag = nullptr;   // ... and only when this flag is given
  bool new_password = false;          // asks for a new password (passwd)
  const char* file_option = nullptr;  // reads the file of public data this option names, if given
  bool password = false;              // takes the snapshot's password (asked for when run in strongholdd)
};

struct Command {
  const char* name;  // "key generate"
  const char* usage;
  OptionSpec options;
  Reads reads;
  std::function<Status(const Args&, const Inputs&, Requests&, Output&)> run;
  bool takes_name = false;  // one positional NAME (the secret store)
};

// The commands that send requests (every command but init, lock, unlock and demo): those on
// keys, signatures, secrets and transfers, then policies, clients, and the identity storage.
const std::vector<Command>& commands();
const std::vector<Command>& vault_commands();
const std::vector<Command>& policy_commands();
const std::vector<Command>& audit_commands();
const std::vector<Command>& client_commands();
const std::vector<Command>& approval_commands();
const std::vector<Command>& identity_commands();
const std::vector<Command>& rust_commands();
const std::vector<Command>& cluster_commands();
const Command* find_command(const std::string& name);
// The command's words checked against its options.
Result<Args> parse_command_words(const Command& command, const std::vector<std::string>& words);

// The options that may name a file of public data (Reads::file_option), and the most a command
// reads from it.
inline const std::map<std::string, std::size_t>& public_file_options() {
  static const std::map<std::string, std::size_t> all = {
      {"--file", std::size_t{64} << 20}, {"--in", std::size_t{1} << 30}, {"--public-key-file", std::size_t{4} << 10}};
  return all;
}
// Options whose value names a file whose first line is a password.
inline const std::vector<std::string>& password_file_options() {
  static const std::vector<std::string> all = {"--passphrase-file", "--export-password-file", "--source-password-file"};
  return all;
}

}  // namespace stronghold::cli
