// Runs a piece of a test in a forked child, for behaviour that ends or changes a process.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <ostream>
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

// A program's exit code (or 128 + the signal that ended it), which prints with what the program
// wrote to standard error: a failed check of the code then shows why the program ended so, even
// when the failure comes once in hundreds of runs.
struct ExitCode {
  int value = -1;
  std::string err;

  friend bool operator==(const ExitCode& code, int value) { return code.value == value; }
  friend auto operator<=>(const ExitCode& code, int value) { return code.value <=> value; }
};
std::ostream& operator<<(std::ostream& out, const ExitCode& code);

struct ProgramRun {
  ExitCode exit_code;
  std::string out;
  std::string err;
};

// Runs the program `args[0]` with `args`, only `environment`, `input` on standard input and
// no controlling terminal (so a missing password cannot prompt), and collects its output. One
// still running after `deadline` is killed, so that a test that would hang fails instead.
// `address_space`, when not 0, is the program's RLIMIT_AS in bytes.
ProgramRun run_program(std::vector<std::string> args, std::vector<std::string> environment, const std::string& input,
                       std::chrono::seconds deadline = std::chrono::seconds(120), std::uint64_t address_space = 0);

}  // namespace stronghold::test
