// Runs a piece of a test in a forked child, for behaviour that ends or changes a process.
#pragma once

#include <sys/types.h>

#include <functional>
#include <string>
#include <vector>

namespace stronghold::test {

struct ChildOutcome {
  int signal = 0;      // the signal that killed the child, 0 if it exited
  int exit_code = -1;  // its exit code, -1 if it was killed
};

// The child restores the default handlers of SIGSEGV, SIGBUS and SIGABRT (so a sanitizer's
// handler does not turn a fault into an exit code), disables core files, runs `body` and
// exits with the code `body` returns.
ChildOutcome run_in_child(const std::function<int()>& body);

// Starts the program `args[0]` with `args` in a new process; its pid, or -1.
pid_t spawn_program(std::vector<std::string> args);

}  // namespace stronghold::test
