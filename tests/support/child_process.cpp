#include "support/child_process.hpp"

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>

namespace stronghold::test {

ChildOutcome run_in_child(const std::function<int()>& body) {
  std::fflush(nullptr);
  const pid_t pid = fork();
  if (pid == 0) {
    for (const int sig : {SIGSEGV, SIGBUS, SIGABRT})
      std::signal(sig, SIG_DFL);
    const rlimit no_core{0, 0};
    setrlimit(RLIMIT_CORE, &no_core);
    const int code = body();
    std::fflush(nullptr);
    _exit(code);
  }
  ChildOutcome outcome;
  int status = 0;
  if (pid < 0 || waitpid(pid, &status, 0) != pid)
    return outcome;
  if (WIFSIGNALED(status))
    outcome.signal = WTERMSIG(status);
  else if (WIFEXITED(status))
    outcome.exit_code = WEXITSTATUS(status);
  return outcome;
}

pid_t spawn_program(std::vector<std::string> args) {
  std::vector<char*> argv;
  for (auto& arg : args)
    argv.push_back(arg.data());
  argv.push_back(nullptr);
  const pid_t pid = fork();
  if (pid == 0) {
    execv(argv[0], argv.data());
    _exit(127);
  }
  return pid;
}

}  // namespace stronghold::test
