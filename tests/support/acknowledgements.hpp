// The numbers a child process writes to a pipe, one per line, as it acknowledges its work: a
// parent that kills the child at a random moment checks each of them afterwards.
#pragma once

#include <chrono>
#include <functional>
#include <set>
#include <string>

namespace stronghold::test {

class Acknowledgements {
 public:
  explicit Acknowledgements(int read_fd) noexcept : fd_(read_fd) {}
  // Reads what arrives for `duration` (until the pipe closes, at most).
  void collect(std::set<int>& seen, std::chrono::milliseconds duration);
  // Reads until `seen` grows (however slow a loaded machine makes the child), or `patience` ends.
  void wait_for_more(std::set<int>& seen, std::chrono::seconds patience);

 private:
  int fd_;
  std::string buffer_;
};

// Forks a child that runs `work` with the pipe's write end (`work` never returns: it acknowledges
// its work forever), lets it live until its next acknowledgement (however slow a loaded machine
// makes its start) and then `lifetime` more, kills it with SIGKILL and adds what it acknowledged
// to `acknowledged`. False when the child stopped by itself instead.
bool run_and_kill(const std::function<void(int write_fd)>& work, std::chrono::milliseconds lifetime,
                  std::set<int>& acknowledged);

}  // namespace stronghold::test
