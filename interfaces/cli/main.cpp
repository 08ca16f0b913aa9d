// stronghold: the command-line front end.
#include <cstdio>
#include <string_view>

#include "demo.hpp"
#include "stronghold/stronghold.hpp"

namespace {

constexpr const char* kUsage =
    "usage: stronghold [--help] [--version] COMMAND\n"
    "\n"
    "commands:\n"
    "  demo     a tour of the engine on a throw-away state\n";

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fputs(kUsage, stderr);
    return 1;
  }
  const std::string_view command = argv[1];
  if (command == "--help" || command == "-h") {
    std::fputs(kUsage, stdout);
    return 0;
  }
  if (command == "--version") {
    std::printf("stronghold %s\n", stronghold::version());
    return 0;
  }
  if (command == "demo")
    return stronghold::cli::run_demo();
  std::fprintf(stderr, "stronghold: unknown command '%s'; run 'stronghold --help' for the list\n", argv[1]);
  return 1;
}
