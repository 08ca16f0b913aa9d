#include "support/child_process.hpp"
#include "support/file_bytes.hpp"

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <ostream>
#include <thread>

#include "support/temp_dir.hpp"

namespace stronghold::test {

ChildOutcome run_in_child(const std::function<int()>& body) {
  (void)std::fflush(nullptr);
  const pid_t pid = fork();
  if (pid == 0) {
    for (const int sig : {SIGSEGV, SIGBUS, SIGABRT})
      (void)std::signal(sig, SIG_DFL);
    const rlimit no_core{0, 0};
    setrlimit(RLIMIT_CORE, &no_core);
    const int code = body();
    (void)std::fflush(nullptr);
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
  argv.reserve(args.size() + 1);
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

namespace {

std::vector<char*> null_terminated(std::vector<std::string>& strings) {
  std::vector<char*> pointers;
  pointers.reserve(strings.size() + 1);
  for (auto& text : strings)
    pointers.push_back(text.data());
  pointers.push_back(nullptr);
  return pointers;
}

// The wait status of `pid`, which is killed once `deadline` has passed.
int wait_at_most(pid_t pid, std::chrono::seconds deadline) {
  const auto give_up = std::chrono::steady_clock::now() + deadline;
  int status = 0;
  while (waitpid(pid, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > give_up) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return status;
}

}  // namespace

std::ostream& operator<<(std::ostream& out, const ExitCode& code) {
  return out << code.value << " (its standard error: \"" << code.err << "\")";
}

ProgramRun run_program(std::vector<std::string> args, std::vector<std::string> environment, const std::string& input,
                       std::chrono::seconds deadline, std::uint64_t address_space) {
  const TempDir dir;
  const std::string in = dir.file("stdin"), out = dir.file("stdout"), err = dir.file("stderr");
  std::ofstream(in, std::ios::binary) << input;
  // Everything the child needs is made before fork: it may not allocate in a threaded process.
  const std::vector<char*> argv = null_terminated(args);
  const std::vector<char*> envp = null_terminated(environment);
  (void)std::fflush(nullptr);
  const pid_t pid = fork();
  if (pid == 0) {
    if (address_space != 0) {
      const rlimit limit{address_space, address_space};
      setrlimit(RLIMIT_AS, &limit);
    }
    setsid();
    const int fds[3] = {open(in.c_str(), O_RDONLY), open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600),
                        open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600)};
    for (int i = 0; i < 3; ++i)
      dup2(fds[i], i);
    execve(argv[0], argv.data(), envp.data());
    _exit(127);
  }
  ProgramRun run;
  if (pid < 0)
    return run;
  const int status = wait_at_most(pid, deadline);
  run.out = read_text(out);
  run.err = read_text(err);
  run.exit_code = {WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status), run.err};
  return run;
}

}  // namespace stronghold::test
