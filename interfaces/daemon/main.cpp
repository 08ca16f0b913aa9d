// strongholdd: serves one snapshot to local clients over a Unix socket.
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "server.hpp"
#include "stronghold/runtime/hardening.hpp"
#include "wire/terminal.hpp"

namespace {

constexpr const char* kUsage =
    "usage: strongholdd --snapshot PATH --socket PATH [--idle-lock SECONDS] [--password-file PATH]\n"
    "\n"
    "Serves the snapshot to this user's processes over a Unix socket (created 0600; peers of other\n"
    "users are refused). The password comes from --password-file, $STRONGHOLD_PASSWORD or a prompt;\n"
    "without any, it starts locked and a client unlocks it. After --idle-lock seconds without a\n"
    "request (default 300, 0 for never) it locks itself: keys leave memory until the next unlock.\n"
    "SIGTERM or SIGINT: everything acknowledged is made durable, the socket removed, exit 0.\n";

// The CLI's hints speak of its own commands: the daemon's messages say what to do themselves.
int fail(const stronghold::Status& status) {
  (void)std::fprintf(stderr, "strongholdd: %s\n", status.message().c_str());
  return stronghold::wire::exit_code(status.code());
}

}  // namespace

int main(int argc, char** argv) {
  using namespace stronghold;
  runtime::exec_with_symbols_bound_now(argv);  // before any secret passes through a register
  daemon::ServerOptions options;
  std::string password_file;
  for (int i = 1; i < argc; ++i) {
    const std::string_view word = argv[i];
    if (word == "--help" || word == "-h") {
      (void)std::fputs(kUsage, stdout);
      return 0;
    }
    if (i + 1 == argc ||
        (word != "--snapshot" && word != "--socket" && word != "--idle-lock" && word != "--password-file")) {
      (void)std::fprintf(stderr, "strongholdd: unexpected '%s'; run 'strongholdd --help'\n", argv[i]);
      return wire::kUsage;
    }
    const std::string value = argv[++i];
    if (word == "--snapshot")
      options.snapshot = value;
    else if (word == "--socket")
      options.socket = value;
    else if (word == "--password-file")
      password_file = value;
    else {
      char* end = nullptr;
      const long seconds = std::strtol(value.c_str(), &end, 10);
      if (*end != '\0' || seconds < 0) {
        (void)std::fprintf(stderr, "strongholdd: --idle-lock takes a number of seconds\n");
        return wire::kUsage;
      }
      options.idle_lock = std::chrono::seconds(seconds);
    }
  }
  if (options.snapshot.empty() || options.socket.empty()) {
    (void)std::fputs(kUsage, stderr);
    return wire::kUsage;
  }
  runtime::harden_process();
  std::optional<runtime::SecretBuffer> password;
  if (auto read = wire::read_password(password_file, "STRONGHOLD_PASSWORD", "Snapshot password: "); read.ok())
    password = std::move(*read);
  else if (!password_file.empty())
    return fail(read.status());
  const Status served = daemon::serve(options, std::move(password));
  if (!served.ok())
    return fail(served);
  return 0;
}
