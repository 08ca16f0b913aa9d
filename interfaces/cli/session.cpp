#include "session.hpp"

#include <fcntl.h>
#include <termios.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include <fmt/format.h>
#include <sodium.h>

#include "stronghold/snapshot/journal_file.hpp"

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

// Drops one trailing "\n" or "\r\n".
std::size_t without_newline(const std::uint8_t* bytes, std::size_t size) {
  if (size > 0 && bytes[size - 1] == '\n')
    --size;
  if (size > 0 && bytes[size - 1] == '\r')
    --size;
  return size;
}

Result<runtime::SecretBuffer> first_line(int fd, std::size_t limit) {
  SH_ASSIGN_OR_RETURN(runtime::SecretBuffer buffer, runtime::SecretBuffer::create(limit));
  std::size_t size = 0;
  {
    auto view = buffer.write();
    auto bytes = view.bytes();
    while (size < limit) {
      const ssize_t got = ::read(fd, bytes.data() + size, 1);
      if (got < 0)
        return Status(Errc::io_error, "could not read the password");
      if (got == 0 || bytes[size] == '\n')
        break;
      ++size;
    }
    size = without_newline(bytes.data(), size);
  }
  if (size == 0)
    return Status(Errc::invalid_argument, "the password is empty");
  auto view = buffer.read();
  return runtime::SecretBuffer::from(view.bytes().first(size));
}

Result<runtime::SecretBuffer> prompt(const char* text) {
  const int tty = ::open("/dev/tty", O_RDWR | O_CLOEXEC);
  if (tty < 0)
    return Status(Errc::invalid_argument,
                  "no password: give --password-file, set STRONGHOLD_PASSWORD, or run on a terminal");
  termios saved{};
  const bool is_terminal = ::tcgetattr(tty, &saved) == 0;
  if (is_terminal) {
    termios quiet = saved;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    ::tcsetattr(tty, TCSAFLUSH, &quiet);
  }
  [[maybe_unused]] const ssize_t shown = ::write(tty, text, std::strlen(text));
  auto password = first_line(tty, 1024);
  if (is_terminal)
    ::tcsetattr(tty, TCSAFLUSH, &saved);
  [[maybe_unused]] const ssize_t newline = ::write(tty, "\n", 1);
  ::close(tty);
  return password;
}

std::string hint(Errc code) {
  switch (code) {
    case Errc::wrong_password: return "check the password (--password-file or STRONGHOLD_PASSWORD)";
    case Errc::not_found: return "run 'stronghold list' to see what is stored";
    case Errc::did_not_found: return "run 'stronghold did list' to see the DIDs";
    case Errc::corrupted: return "the file is damaged: restore it from a backup";
    case Errc::unsupported: return "the file needs a newer stronghold";
    case Errc::busy:
      return "a running strongholdd holds the snapshot (use --socket) or is locked ('stronghold --socket PATH unlock')";
    case Errc::already_exists: return "choose another name or remove the existing one first";
    case Errc::unavailable:
      return "start it (strongholdd --snapshot PATH --socket PATH) or check the --socket path";
    case Errc::timeout: return "strongholdd did not answer in time; try again";
    case Errc::io_error: return "check the path and its permissions";
    case Errc::invalid_argument:
    case Errc::invalid_key:
    case Errc::wrong_key_type:
    case Errc::authentication_failed:
    case Errc::expired: return "check the input (see --help)";
    default: return "this is a bug: please report it";
  }
}

}  // namespace

int exit_code(Errc code) noexcept {
  switch (code) {
    case Errc::ok: return kSuccess;
    case Errc::wrong_password: return kWrongPassword;
    case Errc::not_found:
    case Errc::did_not_found: return kNotFound;
    case Errc::corrupted:
    case Errc::unsupported: return kDamaged;
    case Errc::invalid_argument:
    case Errc::invalid_key:
    case Errc::wrong_key_type:
    case Errc::authentication_failed:
    case Errc::expired:
    case Errc::already_exists: return kInvalidInput;
    case Errc::busy:
    case Errc::unavailable:
    case Errc::timeout: return kBusy;
    default: return kInternal;
  }
}

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
    if (word != "--snapshot" && word != "--password-file" && word != "--socket")
      break;
    if (i + 1 == argc)
      return error(Errc::invalid_argument, "{} needs a value", word);
    std::string& target = word == "--snapshot" ? snapshot : word == "--socket" ? options.socket : options.password_file;
    target = argv[++i];
  }
  options.snapshot = snapshot.empty() ? default_snapshot_path() : snapshot;
  return std::pair{options, std::vector<std::string>(argv + i, argv + argc)};
}

Result<runtime::SecretBuffer> read_password(const std::string& file, const char* environment, const char* text) {
  if (!file.empty()) {
    const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
      return error(Errc::io_error, "cannot read the password file {}", file);
    auto password = first_line(fd, 1024);
    ::close(fd);
    return password;
  }
  if (const char* value = environment != nullptr ? std::getenv(environment) : nullptr; value != nullptr && *value != '\0')
    return runtime::SecretBuffer::from(as_bytes(value));
  return prompt(text);
}

Result<runtime::SecretBuffer> snapshot_password(const GlobalOptions& options, const char* prompt_text) {
  return read_password(options.password_file, "STRONGHOLD_PASSWORD", prompt_text);
}

std::string json_quote(std::string_view text) {
  std::string quoted = "\"";
  for (const char c : text) {
    switch (c) {
      case '"': quoted += "\\\""; break;
      case '\\': quoted += "\\\\"; break;
      case '\n': quoted += "\\n"; break;
      case '\r': quoted += "\\r"; break;
      case '\t': quoted += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20)
          quoted += fmt::format("\\u{:04x}", static_cast<unsigned>(c));
        else
          quoted += c;
    }
  }
  return quoted + "\"";
}

void PrintedOutput::result(const Fields& fields, Layout layout) {
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

void PrintedOutput::secret_value(const std::string& name, ByteView bytes) {
  std::string text(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  std::string line;
  if (json_)
    line.append("{").append(json_quote(name)).append(":").append(json_quote(text)).append("}");
  else
    line.append(text);
  std::fwrite(line.data(), 1, line.size(), stdout);
  std::fputc('\n', stdout);
  std::fflush(stdout);
  sodium_memzero(text.data(), text.size());
  sodium_memzero(line.data(), line.size());
}

int report(const Status& status) {
  std::fprintf(stderr, "stronghold: %s; %s\n", status.message().c_str(), hint(status.code()).c_str());
  return exit_code(status.code());
}

int usage_error(const std::string& message, const std::string& command) {
  std::fprintf(stderr, "stronghold: %s; run 'stronghold %s--help'\n", message.c_str(),
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
    size = without_newline(bytes.data(), size);
  }
  auto view = buffer.read();
  return runtime::SecretBuffer::from(view.bytes().first(size));
}

Result<Bytes> read_public_file(const std::string& path, std::size_t limit) {
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (file == nullptr)
    return error(Errc::io_error, "cannot read {}", path);
  Bytes bytes(limit + 1);
  const std::size_t size = std::fread(bytes.data(), 1, bytes.size(), file);
  std::fclose(file);
  if (size > limit)
    return error(Errc::invalid_argument, "{} is larger than {} bytes", path, limit);
  bytes.resize(size);
  return bytes;
}

Status PrintedOutput::new_file(const std::string& path, ByteView content) {
  // symlink_status: a symbolic link there, even one to nothing, is not replaced either.
  std::error_code ignored;
  const auto status = std::filesystem::symlink_status(path, ignored);
  if (std::filesystem::is_symlink(status))
    return error(Errc::already_exists, "{} is a symbolic link; it is never followed or replaced", path);
  if (std::filesystem::exists(status))
    return error(Errc::already_exists, "{} already exists; it is never overwritten", path);
  return snapshot::write_file_atomically(snapshot::posix_file_system(), path, content);
}

Result<snapshot::Snapshot*> LocalStore::snapshot() {
  if (snapshot_)
    return snapshot_.get();
  if (!std::filesystem::exists(options_.snapshot))
    return error(Errc::not_found, "there is no snapshot at {} (create one with 'stronghold init')", options_.snapshot);
  SH_ASSIGN_OR_RETURN(runtime::SecretBuffer password, snapshot_password(options_, "Snapshot password: "));
  auto view = password.read();
  SH_ASSIGN_OR_RETURN(snapshot_, snapshot::Snapshot::open(snapshot::posix_file_system(), options_.snapshot, view.bytes(), {}));
  if (const std::uint64_t dropped = snapshot_->open_report().dropped_tail_bytes; dropped > 0)
    fmt::print(stderr,
               "stronghold: warning: ignored the last {} bytes of {}: an unfinished write, as a crash leaves (if "
               "none happened, someone changed the file); the next change removes them\n",
               dropped, options_.snapshot);
  return snapshot_.get();
}

Status LocalStore::transact(const std::function<Status(vault::Transaction&)>& body) {
  SH_ASSIGN_OR_RETURN(snapshot::Snapshot* const open, snapshot());
  vault::Transaction tx(open->keystore());
  SH_RETURN_IF_ERROR(body(tx));
  return open->commit(std::move(tx));
}

Status LocalStore::read(const std::function<Status(const vault::Keystore&)>& body) {
  SH_ASSIGN_OR_RETURN(snapshot::Snapshot* const open, snapshot());
  return body(open->keystore());
}

Status LocalStore::collect_garbage() {
  SH_ASSIGN_OR_RETURN(snapshot::Snapshot* const open, snapshot());
  SH_RETURN_IF_ERROR(open->commit(open->keystore().garbage()));
  return open->compact();
}

Status LocalStore::change_password(ByteView new_password) {
  SH_ASSIGN_OR_RETURN(snapshot::Snapshot* const open, snapshot());
  return open->change_password(new_password);
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
    if (first.bytes().size() != second.bytes().size() ||
        sodium_memcmp(first.bytes().data(), second.bytes().data(), first.bytes().size()) != 0)
      return Status(Errc::invalid_argument, "the two passwords differ");
  }
  return password;
}

}  // namespace

Result<Inputs> read_inputs(const GlobalOptions& options, const Command& command, const Args& args, bool remote) {
  Inputs inputs;
  for (const auto& [option, limit] : public_file_options())
    if (const auto path = args.value(option)) {
      SH_ASSIGN_OR_RETURN(Bytes content, read_public_file(*path, limit));
      inputs.add_file(option, std::move(content));
    }
  for (const std::string& option : password_file_options())
    if (const auto path = args.value(option)) {
      SH_ASSIGN_OR_RETURN(runtime::SecretBuffer password, read_password(*path, nullptr, ""));
      inputs.add_secret(option, std::move(password));
    }
  const Reads& reads = command.reads;
  if (reads.stdin_limit > 0 && (reads.stdin_flag == nullptr || args.has(reads.stdin_flag))) {
    SH_ASSIGN_OR_RETURN(runtime::SecretBuffer in, read_stdin_secret(reads.stdin_limit));
    inputs.add_secret("stdin", std::move(in));
  }
  if (reads.new_password) {
    if (remote) {
      SH_ASSIGN_OR_RETURN(runtime::SecretBuffer current, snapshot_password(options, "Current password: "));
      inputs.add_secret("password", std::move(current));
    }
    SH_ASSIGN_OR_RETURN(runtime::SecretBuffer next, new_password(args));
    inputs.add_secret("new password", std::move(next));
  }
  return inputs;
}

}  // namespace stronghold::cli
