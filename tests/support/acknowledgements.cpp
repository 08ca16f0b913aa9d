#include "support/acknowledgements.hpp"

#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>

namespace stronghold::test {

void Acknowledgements::collect(std::set<int>& seen, std::chrono::milliseconds duration) {
  const auto deadline = std::chrono::steady_clock::now() + duration;
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd poll_fd{fd_, POLLIN, 0};
    if (poll(&poll_fd, 1, 1) <= 0)
      continue;
    char chunk[256];
    const ssize_t got = read(fd_, chunk, sizeof chunk);
    if (got <= 0)
      return;
    buffer_.append(chunk, static_cast<std::size_t>(got));
    for (std::size_t newline; (newline = buffer_.find('\n')) != std::string::npos; buffer_.erase(0, newline + 1))
      seen.insert(std::stoi(buffer_.substr(0, newline)));
  }
}

void Acknowledgements::wait_for_more(std::set<int>& seen, std::chrono::seconds patience) {
  const std::size_t before = seen.size();
  const auto deadline = std::chrono::steady_clock::now() + patience;
  while (seen.size() == before && std::chrono::steady_clock::now() < deadline)
    collect(seen, std::chrono::milliseconds(10));
}

bool run_and_kill(const std::function<void(int write_fd)>& work, std::chrono::milliseconds lifetime,
                  std::set<int>& acknowledged) {
  int pipe_fds[2];
  if (pipe(pipe_fds) != 0)
    return false;
  const pid_t child = fork();
  if (child < 0)
    return false;
  if (child == 0) {
    close(pipe_fds[0]);
    work(pipe_fds[1]);
    _exit(6);  // `work` returned
  }
  close(pipe_fds[1]);
  Acknowledgements acks(pipe_fds[0]);
  acks.wait_for_more(acknowledged, std::chrono::seconds(60));
  acks.collect(acknowledged, lifetime);
  kill(child, SIGKILL);
  int status = 0;
  waitpid(child, &status, 0);
  acks.collect(acknowledged, std::chrono::milliseconds(5));
  close(pipe_fds[0]);
  return WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
}

}  // namespace stronghold::test
