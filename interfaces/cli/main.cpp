// stronghold: the command-line front end.
#include <cstdio>
#include <string_view>

#include "run.hpp"
#include "stronghold/stronghold.hpp"

int main(int argc, char** argv) {
  using namespace stronghold::cli;
  if (argc >= 2 && std::string_view(argv[1]) == "--version") {
    std::printf("stronghold %s\n", stronghold::version());
    return kSuccess;
  }
  auto parsed = parse_global(argc, argv);
  if (!parsed.ok())
    return usage_error(parsed.status().message(), "");
  auto& [options, words] = *parsed;
  return run_command(options, words);
}
