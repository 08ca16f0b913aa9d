#include "run.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include <fmt/format.h>

#include "client_keys.hpp"
#include "demo.hpp"
#include "requests.hpp"
#include "watch.hpp"

namespace stronghold::cli {
namespace {

// The commands that send no requests: they create the file or talk to strongholdd itself.
struct SpecialCommand {
  const char* name;
  const char* usage;
};
constexpr SpecialCommand kInit{"init",
                               "init [--kdf fast|default|strong]\n  Creates a new snapshot; never overwrites one."};
constexpr SpecialCommand kUnlock{
    "unlock", "unlock   (with --socket)\n  Gives strongholdd the password again after it locked itself."};
constexpr SpecialCommand kLock{
    "lock", "lock   (with --socket)\n  Makes strongholdd drop every key from memory until the next unlock."};
constexpr SpecialCommand kWatch{"watch", kWatchUsage};
constexpr SpecialCommand kDemo{"demo", "demo\n  The end-to-end tour, in a temporary folder."};
constexpr SpecialCommand kKeygen{
    "client keygen",
    "client keygen --out FILE\n  Makes a client key: its 32-byte seed in FILE (mode 0600, never over anything), its\n"
    "  public key printed for 'client add'."};

// Creates the missing folders of `folder` with mode 0700, as they will hold secrets. A folder
// that exists is left as it is: its mode is its owner's choice (/tmp stays sticky and open).
Status create_private_folders(const std::filesystem::path& folder) {
  std::error_code ignored;
  if (folder.empty() || std::filesystem::exists(folder, ignored))
    return {};
  SH_RETURN_IF_ERROR(create_private_folders(folder.parent_path()));
  if (::mkdir(folder.c_str(), 0700) != 0 && errno != EEXIST)
    return error(Errc::io_error, "cannot create {}: {}", folder.string(), errno_text(errno));
  return {};
}

Status init(const GlobalOptions& options, const std::vector<std::string>& words) {
  SH_ASSIGN_OR_RETURN(const Args args, Args::parse(words, {{"--kdf"}, {}, {}}));
  if (!args.positional().empty())
    return error(Errc::invalid_argument, "unexpected argument '{}'", args.positional().front());
  if (options.through_daemon())
    return Status(Errc::invalid_argument, "init creates a snapshot file: run it without --socket or --remote");
  snapshot::SnapshotOptions file;
  SH_ASSIGN_OR_RETURN(file.kdf, snapshot::parse_kdf_preset(args.value("--kdf").value_or("default")));
  if (file.kdf == snapshot::KdfPreset::fast)
    (void)std::fputs(
        "stronghold: warning: --kdf fast (one pass over 1 MiB) is for tests: it makes guessing the password "
        "cheap\n",
        stderr);
  SH_ASSIGN_OR_RETURN(const bool exists, path_exists(options.snapshot));
  if (exists)
    return error(Errc::already_exists, "{} already exists; init never overwrites a snapshot", options.snapshot);
  SH_RETURN_IF_ERROR(create_private_folders(std::filesystem::path(options.snapshot).parent_path()));
  SH_ASSIGN_OR_RETURN(runtime::SecretBuffer password, snapshot_password(options, "New snapshot password: "));
  auto view = password.read();
  return snapshot::Snapshot::create(snapshot::posix_file_system(), options.snapshot, view.bytes(), file).status();
}

Status lock_or_unlock(const GlobalOptions& options, const std::string& name, const std::vector<std::string>& words) {
  if (!words.empty())
    return error(Errc::invalid_argument, "unexpected argument '{}'", words.front());
  if (!options.through_daemon())
    return Status(Errc::invalid_argument, "lock and unlock talk to strongholdd: give --socket or --remote");
  SH_ASSIGN_OR_RETURN(wire::Client client, connect_to_daemon(options));
  if (name == kLock.name)
    return client.call(wire::Op::lock, {}).status();
  SH_ASSIGN_OR_RETURN(runtime::SecretBuffer password, snapshot_password(options, "Snapshot password: "));
  auto view = password.read();
  std::vector<Bytes> fields;  // not an initializer list: that would copy the password and free it unwiped
  fields.emplace_back(view.bytes().begin(), view.bytes().end());
  return client.call(wire::Op::unlock, std::move(fields)).status();
}

Status run_requests(const GlobalOptions& options, const Command& command, const std::vector<std::string>& words) {
  SH_ASSIGN_OR_RETURN(const Args args, parse_command_words(command, words));
  SH_ASSIGN_OR_RETURN(const Inputs inputs, read_inputs(options, command, args, options.through_daemon()));
  Output out(options.json);
  Requests requests(options);
  return command.run(args, inputs, requests, out);
}

std::string first_line(const char* text) {
  const std::string_view all(text);
  return std::string(all.substr(0, all.find('\n')));
}

const std::string& overall_usage() {
  static const std::string text = [] {
    std::string usage =
        "usage: stronghold [--snapshot PATH] [--password-file PATH]\n"
        "                  [--socket PATH | --remote HOST:PORT --tls-cert FILE --tls-key FILE --tls-ca FILE]\n"
        "                  [--client NAME --client-key FILE] [--json] COMMAND [options]\n"
        "\n"
        "The snapshot: --snapshot, else $STRONGHOLD_SNAPSHOT, else $XDG_DATA_HOME/stronghold/default.stronghold\n"
        "(~/.local/share/stronghold/default.stronghold). The password: --password-file, else $STRONGHOLD_PASSWORD,\n"
        "else a prompt on the terminal. --socket PATH: run the command in the strongholdd serving that socket\n"
        "(no password needed while it is unlocked; its answer awaited $STRONGHOLD_TIMEOUT seconds, default 60);\n"
        "--remote HOST:PORT: the same, in the strongholdd of a cluster's node (strongholdd --listen), over mutual\n"
        "TLS with this client's certificate and key, signed by the cluster's CA (--tls-ca).\n"
        "--client NAME --client-key FILE: prove the client identity NAME to it first (see 'client add').\n"
        "Output: one value per line, bytes as lowercase hex; --json\n"
        "prints one JSON object per result. Locations are written VAULT/RECORD.\n\ncommands:\n";
    usage.append("  ").append(first_line(kInit.usage)).append("\n");
    for (const Command& command : commands())
      usage.append("  ").append(first_line(command.usage)).append("\n");
    for (const SpecialCommand& special : {kKeygen, kUnlock, kLock, kWatch, kDemo})
      usage.append("  ").append(first_line(special.usage)).append("\n");
    usage.append(
        "\nexit codes: 0 success, 1 usage, 2 wrong password, 3 not found, 4 damaged or unsupported file,\n"
        "5 invalid input, 6 locked or busy, 7 denied, 8 waits for approvals, 9 I/O error, 10 internal error.\n"
        "'stronghold COMMAND --help' for one command.\n");
    return usage;
  }();
  return text;
}

// The command `words` name and how many words its name takes; null for an unknown one.
std::pair<const char*, std::size_t> command_name(const std::vector<std::string>& words) {
  for (const std::size_t size : {std::size_t{3}, std::size_t{2}, std::size_t{1}}) {
    if (words.size() < size)
      continue;
    std::string given = words[0];
    for (std::size_t i = 1; i < size; ++i)
      given.append(" ").append(words[i]);
    if (const Command* command = find_command(given))
      return {command->name, size};
    for (const SpecialCommand& special : {kInit, kKeygen, kUnlock, kLock, kWatch, kDemo})
      if (given == special.name)
        return {special.name, size};
  }
  return {nullptr, 0};
}

const char* usage_of(const std::string& name) {
  if (const Command* command = find_command(name))
    return command->usage;
  for (const SpecialCommand& special : {kInit, kKeygen, kUnlock, kLock, kWatch, kDemo})
    if (name == special.name)
      return special.usage;
  return "";
}

}  // namespace

int run_command(const GlobalOptions& options, const std::vector<std::string>& words) {
  if (words.empty())
    return usage_error("no command given", "");
  if (words.front() == "--help" || words.front() == "-h") {
    (void)std::fputs(overall_usage().c_str(), stdout);
    return kSuccess;
  }
  const auto [name, size] = command_name(words);
  if (name == nullptr)
    return usage_error(fmt::format("unknown command '{}'", words.front()), "");
  const std::vector<std::string> rest(words.begin() + static_cast<std::ptrdiff_t>(size), words.end());
  if (std::find(rest.begin(), rest.end(), "--help") != rest.end()) {
    std::printf("usage: stronghold %s\n", usage_of(name));
    return kSuccess;
  }
  const std::string command = name;
  if (command == kDemo.name)
    return run_demo();
  Status done;
  if (command == kInit.name)
    done = init(options, rest);
  else if (command == kKeygen.name)
    done = client_keygen(options, rest);
  else if (command == kLock.name || command == kUnlock.name)
    done = lock_or_unlock(options, command, rest);
  else if (command == kWatch.name)
    done = watch(options, rest);
  else
    done = run_requests(options, *find_command(command), rest);
  if (done.ok())
    return kSuccess;
  // A mistake in the command line itself, found locally or by strongholdd.
  const std::string& message = done.message();
  if (done.code() == Errc::invalid_argument &&
      (message.ends_with("is required") || message.starts_with("unknown option") ||
       message.ends_with("needs a value") || message.ends_with("given twice") ||
       message.starts_with("unexpected argument") || message.ends_with("give --socket or --remote")))
    return usage_error(message, command);
  return report(done);
}

}  // namespace stronghold::cli
