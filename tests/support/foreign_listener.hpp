// A server of another user at a socket path: a forked child that becomes other_uid() (see
// other_user.hpp), listens there and records every byte it is sent without ever answering. For
// checking that a client refuses to talk to it (and that a daemon refuses to start there).
#pragma once

#include <sys/types.h>

#include <string>

namespace stronghold::test {

class ForeignListener {
 public:
  // Returns once the child listens at `socket_path` (or has failed to: see listening()).
  explicit ForeignListener(const std::string& socket_path);
  ~ForeignListener();
  ForeignListener(const ForeignListener&) = delete;
  ForeignListener& operator=(const ForeignListener&) = delete;

  bool listening() const noexcept { return listening_; }
  // Stops the listener; every byte any client sent it.
  std::string received();

 private:
  void stop();
  pid_t pid_ = -1;
  int stop_ = -1;    // the write end of the pipe whose closing ends the child
  int record_ = -1;  // the read end of the pipe into which the child copies what it receives
  bool listening_ = false;
};

}  // namespace stronghold::test
