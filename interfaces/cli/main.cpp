// stronghold: the command-line front end.
#include <cstdio>
#include <exception>
#include <new>
#include <string_view>

#include "run.hpp"
#include "stronghold/runtime/hardening.hpp"
#include "stronghold/stronghold.hpp"

int main(int argc, char** argv) {
  using namespace stronghold::cli;
  // The CLI holds the password and, on the file, every key it uses: symbols bound before any
  // secret passes through a register, no core dump, no ptrace.
  stronghold::runtime::exec_with_symbols_bound_now(argv);
  stronghold::runtime::harden_process();
  if (argc >= 2 && std::string_view(argv[1]) == "--version") {
    std::printf("stronghold %s\n", stronghold::version());
    return kSuccess;
  }
  try {
    auto parsed = parse_global(argc, argv);
    if (!parsed.ok())
      return usage_error(parsed.status().message(), "");
    auto& [options, words] = *parsed;
    return run_command(options, words);
  } catch (const std::bad_alloc&) {
    (void)std::fputs("stronghold: out of memory\n", stderr);
  } catch (const std::exception& failure) {
    (void)std::fprintf(stderr, "stronghold: unexpected error: %s; this is a bug: please report it\n", failure.what());
  }
  return kInternal;
}
