#include "session.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>

#include <fmt/format.h>

#include "stronghold/runtime/compare.hpp"
#include "stronghold/runtime/secret_bytes.hpp"
#include "stronghold/snapshot/journal_writer.hpp"

namespace stronghold::cli {
namespace {

std::string default_snapshot_path() {
  if (const char* path = std::getenv("STRONGHOLD_SNAPSHOT"); path != nullptr && *path != '\0')
    return path;
  std::filesystem::path data;
  if (const char* xdg = std::getenv("XDG_DATA_HOME"); xdg != nullptr && *xdg != '\0')
    data = xdg;
  else if (const char* home = std::getenv("HOME"); home != nullptr && *home != '\0')
    data = std::filesystem::path(home) / ".local" / "share";
  else
    data = ".";
  return (data / "stronghold" / "default.stronghold").string();
}

std::string hint(const Status& status) {
  if (status.code() == Errc::unavailable && status.message().find("the node at ") != std::string::npos)
    return "check --remote, and that strongholdd runs there with --listen";
  // A node of a cluster refuses writes it cannot append to etcd's journal (strongholdd --cluster).
  if (status.message().starts_with("etcd at "))
    return "a majority of the cluster's etcd members must run for writes; signing goes on meanwhile";
  switch (status.code()) {
    case Errc::conflict: return "another node of the cluster wrote at the same moment: send it again";
    case Errc::wrong_password: return "check the password (--password-file or STRONGHOLD_PASSWORD)";
    case Errc::not_found: return "run 'stronghold list' to see what is stored";
    case Errc::did_not_found: return "run 'stronghold did list' to see the DIDs";
    case Errc::corrupted: return "the file is damaged: restore it from a backup";
    case Errc::unsupported: return "this version of stronghold does not read the file's format";
    case Errc::busy:
      return "a running strongholdd holds the snapshot (use --socket) or is locked ('stronghold --socket PATH unlock')";
    case Errc::already_exists: return "choose another name or remove the existing one first";
    case Errc::unavailable: return "start it (strongholdd --snapshot PATH --socket PATH) or check the --socket path";
    case Errc::timeout: return "strongholdd did not answer in time; try again";
    case Errc::io_error: return "check the path, its permissions and the free space";
    case Errc::denied: return "'stronghold policy show' prints the policy; its owner may change it on the file";
    case Errc::pending_approval:
      return "'stronghold approve --request ID' by enough approvers, then send the same request again";
    case Errc::invalid_argument:
    case Errc::invalid_key:
    case Errc::wrong_key_type:
    case Errc::authentication_failed:
    case Errc::expired: return "check the input (see --help)";
    default: return "this is a bug: please report it";
  }
}

}  // namespace

Result<std::pair<GlobalOptions, std::vector<std::string>>> parse_global(int argc, char** argv) {
  GlobalOptions options;
  std::string snapshot;
  int i = 1;
  for (; i < argc; ++i) {
    const std::string_view word = argv[i];
    if (word == "--json") {
      options.json = true;
      continue;
    }
    const std::map<std::string_view, std::string*> targets = {{"--snapshot", &snapshot},
                                                              {"--password-file", &options.password_file},
                                                              {"--socket", &options.socket},
                                                              {"--client", &options.client},
                                                              {"--client-key", &options.client_key},
                                                              {"--remote", &options.remote},
                                                              {"--tls-cert", &options.tls_cert},
                                                              {"--tls-key", &options.tls_key},
                                                              {"--tls-ca", &options.tls_ca}};
    const auto target = targets.find(word);
    if (target == targets.end())
      break;
    if (i + 1 == argc)
      return error(Errc::invalid_argument, "{} needs a value", word);
    *target->second = argv[++i];
  }
  if (options.client.empty() != options.client_key.empty())
    return Status(Errc::invalid_argument, "--client and --client-key go together: the name and the file of its key");
  if (!options.client.empty() && !options.through_daemon())
    return Status(Errc::invalid_argument,
                  "--client proves a client identity to strongholdd: give --socket or --remote");
  if (!options.remote.empty() && !options.socket.empty())
    return Status(Errc::invalid_argument, "--socket and --remote each name a strongholdd: give one of them");
  const bool tls_given = !options.tls_cert.empty() || !options.tls_key.empty() || !options.tls_ca.empty();
  if (!options.remote.empty() && (options.tls_cert.empty() || options.tls_key.empty() || options.tls_ca.empty()))
    return Status(Errc::invalid_argument,
                  "--remote needs --tls-cert, --tls-key and --tls-ca: a node accepts mutual TLS only");
  if (options.remote.empty() && tls_given)
    return Status(Errc::invalid_argument, "--tls-cert, --tls-key and --tls-ca go with --remote");
  options.snapshot = snapshot.empty() ? default_snapshot_path() : snapshot;
  std::vector<std::string> words(argv + i, argv + argc);
  if (words.size() > 1 && words.back() == "--json") {  // `audit show --json`, as well as `--json audit show`
    options.json = true;
    words.pop_back();
  }
  return std::pair{options, std::move(words)};
}

Result<runtime::SecretBuffer> snapshot_password(const GlobalOptions& options, const char* prompt_text) {
  return read_password(options.password_file, "STRONGHOLD_PASSWORD", prompt_text);
}

namespace {

void append_text(std::string& out, std::string_view text) { out.append(text); }
void append_text(runtime::SecretBytes& out, std::string_view text) { out.append(as_bytes(text)); }

// `text` as a JSON string, appended to `out` (a std::string, or SecretBytes for a secret).
template <class Out>
void append_json_quoted(Out& out, std::string_view text) {
  append_text(out, "\"");
  for (const char c : text) {
    switch (c) {
      case '"': append_text(out, "\\\""); break;
      case '\\': append_text(out, "\\\\"); break;
      case '\n': append_text(out, "\\n"); break;
      case '\r': append_text(out, "\\r"); break;
      case '\t': append_text(out, "\\t"); break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char escaped[8];
          (void)std::snprintf(escaped, sizeof escaped, "\\u%04x", static_cast<unsigned>(c));
          append_text(out, escaped);
        } else {
          append_text(out, std::string_view(&c, 1));
        }
    }
  }
  append_text(out, "\"");
}

}  // namespace

std::string json_quote(std::string_view text) {
  std::string quoted;
  append_json_quoted(quoted, text);
  return quoted;
}

void Output::result(const Fields& fields, Layout layout) {
  std::string line;
  if (json_) {
    line.push_back('{');
    for (std::size_t i = 0; i < fields.size(); ++i) {
      if (i > 0)
        line.push_back(',');
      line.append(json_quote(fields[i].first)).append(":").append(json_quote(fields[i].second));
    }
    line.push_back('}');
    std::puts(line.c_str());
    return;
  }
  for (std::size_t i = 0; i < fields.size(); ++i) {
    if (i > 0)
      line.push_back(layout == Layout::record ? '\t' : '\n');
    line.append(fields[i].second);
  }
  std::puts(line.c_str());
}

void Output::secret_value(const std::string& name, ByteView bytes) {
  // Built in a container that wipes what it frees and written past stdio's buffers, so that no
  // plaintext copy is left in ordinary memory.
  runtime::SecretBytes line;
  line.reserve(name.size() + 6 * bytes.size() + 8);
  if (json_) {
    append_text(line, "{");
    append_json_quoted(line, name);
    append_text(line, ":");
    append_json_quoted(line, std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
    append_text(line, "}");
  } else {
    line.append(bytes);
  }
  line.push_back('\n');
  (void)std::fflush(stdout);
  for (std::size_t written = 0; written < line.size();) {
    const ssize_t wrote = ::write(STDOUT_FILENO, line.data() + written, line.size() - written);
    if (wrote <= 0 && errno != EINTR)
      break;
    written += wrote > 0 ? static_cast<std::size_t>(wrote) : 0;
  }
}

int report(const Status& status) {
  (void)std::fprintf(stderr, "stronghold: %s; %s\n", status.message().c_str(), hint(status).c_str());
  return exit_code(status.code());
}

int usage_error(const std::string& message, const std::string& command) {
  (void)std::fprintf(stderr, "stronghold: %s; run 'stronghold %s--help'\n", message.c_str(),
                     command.empty() ? "" : (command + " ").c_str());
  return kUsage;
}

Result<runtime::SecretBuffer> read_stdin_secret(std::size_t limit) {
  SH_ASSIGN_OR_RETURN(runtime::SecretBuffer buffer, runtime::SecretBuffer::create(limit + 1));
  std::size_t size = 0;
  {
    auto view = buffer.write();
    auto bytes = view.bytes();
    while (size <= limit) {
      const ssize_t got = ::read(STDIN_FILENO, bytes.data() + size, limit + 1 - size);
      if (got < 0)
        return Status(Errc::io_error, "could not read standard input");
      if (got == 0)
        break;
      size += static_cast<std::size_t>(got);
    }
    if (size > limit)
      return error(Errc::invalid_argument, "standard input holds more than {} bytes", limit);
    size = wire::without_newline(bytes.data(), size);
  }
  auto view = buffer.read();
  return runtime::SecretBuffer::from(view.bytes().first(size));
}

namespace {

Status file_error(const std::string& path, int error_number) {
  if (error_number == ENOENT)
    return error(Errc::not_found, "there is no file {}", path);
  return error(Errc::io_error, "cannot read {}: {}", path, errno_text(error_number));
}

// Reads `fd` to its end, growing in steps that are never larger than what arrived: a pipe or a
// device gets no more memory than the bytes it sends (and at most `limit` of them).
Result<Bytes> read_bounded(int fd, const std::string& path, std::size_t expected, std::size_t limit) {
  Bytes bytes;
  std::size_t size = 0;
  for (;;) {
    if (size == bytes.size())
      bytes.resize(std::min(limit + 1, std::max<std::size_t>({expected + 1, 2 * size, std::size_t{64} * 1024})));
    const ssize_t got = ::read(fd, bytes.data() + size, bytes.size() - size);
    if (got < 0 && errno == EINTR)
      continue;
    if (got < 0)
      return file_error(path, errno);
    if (got == 0)
      break;
    size += static_cast<std::size_t>(got);
    if (size > limit)
      return error(Errc::invalid_argument, "{} is larger than {} bytes", path, limit);
  }
  bytes.resize(size);
  return bytes;
}

}  // namespace

Result<Bytes> read_public_file(const std::string& path, std::size_t limit) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0)
    return file_error(path, errno);
  struct stat info {};
  if (::fstat(fd, &info) != 0) {
    const int failed = errno;
    ::close(fd);
    return file_error(path, failed);
  }
  Result<Bytes> content = Status(Errc::internal, "not read");
  if (S_ISDIR(info.st_mode))
    content = error(Errc::invalid_argument, "{} is a directory, not a file", path);
  else if (S_ISREG(info.st_mode) && static_cast<std::uint64_t>(info.st_size) > limit)
    content = error(Errc::invalid_argument, "{} is larger than {} bytes", path, limit);
  else
    content = read_bounded(fd, path, S_ISREG(info.st_mode) ? static_cast<std::size_t>(info.st_size) : 0, limit);
  ::close(fd);
  return content;
}

Result<bool> path_exists(const std::string& path) {
  struct stat info {};
  if (::lstat(path.c_str(), &info) == 0)
    return true;
  if (errno == ENOENT)
    return false;
  return error(Errc::io_error, "cannot look at {}: {}", path, errno_text(errno));
}

Status Output::new_file(const std::string& path, ByteView content) {
  // lstat: a symbolic link there, even one to nothing, is neither followed nor replaced.
  struct stat info {};
  if (::lstat(path.c_str(), &info) == 0 && S_ISLNK(info.st_mode))
    return error(Errc::already_exists, "{} is a symbolic link; it is never followed or replaced", path);
  SH_ASSIGN_OR_RETURN(const bool exists, path_exists(path));
  if (exists)
    return error(Errc::already_exists, "{} already exists; it is never overwritten", path);
  return snapshot::write_file_atomically(snapshot::posix_file_system(), path, content);
}

namespace {

// The new password: --new-password-file, $STRONGHOLD_NEW_PASSWORD, or typed twice.
Result<runtime::SecretBuffer> new_password(const Args& args) {
  const std::string file = args.value("--new-password-file").value_or("");
  const char* const variable = std::getenv("STRONGHOLD_NEW_PASSWORD");
  SH_ASSIGN_OR_RETURN(runtime::SecretBuffer password, read_password(file, "STRONGHOLD_NEW_PASSWORD", "New password: "));
  if (file.empty() && (variable == nullptr || *variable == '\0')) {  // typed: typed again
    SH_ASSIGN_OR_RETURN(runtime::SecretBuffer again, read_password("", nullptr, "Repeat it: "));
    auto first = password.read();
    auto second = again.read();
    if (!runtime::constant_time_equal(first.bytes(), second.bytes()))
      return Status(Errc::invalid_argument, "the two passwords differ");
  }
  return password;
}

}  // namespace

Result<Inputs> read_inputs(const GlobalOptions& options, const Command& command, const Args& args, bool remote) {
  Inputs inputs;
  const Reads& reads = command.reads;
  if (reads.file_option != nullptr)
    if (const auto path = args.value(reads.file_option)) {
      SH_ASSIGN_OR_RETURN(Bytes content, read_public_file(*path, public_file_options().at(reads.file_option)));
      inputs.add_file(reads.file_option, std::move(content));
    }
  for (const std::string& option : password_file_options())
    if (const auto path = args.value(option)) {
      SH_ASSIGN_OR_RETURN(runtime::SecretBuffer password, read_password(*path, nullptr, ""));
      inputs.add_secret(option, std::move(password));
    }
  if (reads.stdin_limit > 0 && (reads.stdin_flag == nullptr || args.has(reads.stdin_flag))) {
    SH_ASSIGN_OR_RETURN(runtime::SecretBuffer in, read_stdin_secret(reads.stdin_limit));
    inputs.add_secret("stdin", std::move(in));
  }
  if (remote && (reads.new_password || reads.password)) {
    SH_ASSIGN_OR_RETURN(runtime::SecretBuffer current, snapshot_password(options, "Current password: "));
    inputs.add_secret("password", std::move(current));
  }
  if (reads.new_password) {
    SH_ASSIGN_OR_RETURN(runtime::SecretBuffer next, new_password(args));
    inputs.add_secret("new password", std::move(next));
  }
  return inputs;
}

}  // namespace stronghold::cli
