#include "support/foreign_listener.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>

#include "support/other_user.hpp"

namespace stronghold::test {
namespace {

constexpr int kMaxClients = 16;

// The child's life: only system calls, since the parent may have threads. It ends when the
// parent closes `stop`: a parent that is not root may not signal a child of another user.
[[noreturn]] void listen_and_record(const sockaddr_un& address, int ready, int record, int stop) {
  if (!become_other_user())
    _exit(3);
  umask(0);  // anyone may connect: a client must refuse it for whose it is, not fail to connect
  const int listener = socket(AF_UNIX, SOCK_STREAM, 0);
  if (listener < 0 || bind(listener, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0 ||
      listen(listener, kMaxClients) != 0)
    _exit(4);
  if (write(ready, "1", 1) != 1)
    _exit(5);
  close(ready);
  pollfd fds[kMaxClients + 2] = {{listener, POLLIN, 0}, {stop, POLLIN, 0}};
  constexpr int kFirstClient = 2;
  int count = kFirstClient;
  char buffer[4096];
  for (;;) {
    const int ready_count = poll(fds, static_cast<nfds_t>(count), 200);
    if (ready_count < 0)
      continue;
    if (fds[1].revents != 0)
      _exit(0);
    if (ready_count == 0) {
      // Quiet for a while: hang up, so that a client waiting for an answer stops waiting.
      for (int i = kFirstClient; i < count; ++i)
        close(fds[i].fd);
      count = kFirstClient;
      continue;
    }
    for (int i = count - 1; i >= kFirstClient; --i) {
      if (fds[i].revents == 0)
        continue;
      const ssize_t got = read(fds[i].fd, buffer, sizeof buffer);
      if (got > 0 && write(record, buffer, static_cast<std::size_t>(got)) == got)
        continue;
      close(fds[i].fd);
      fds[i] = fds[--count];
    }
    if (fds[0].revents & POLLIN) {
      const int client = accept(listener, nullptr, nullptr);
      if (client >= 0 && count < kFirstClient + kMaxClients)
        fds[count++] = {client, POLLIN, 0};
      else if (client >= 0)
        close(client);
    }
  }
}

}  // namespace

ForeignListener::ForeignListener(const std::string& socket_path) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (socket_path.size() >= sizeof address.sun_path)
    return;
  std::memcpy(address.sun_path, socket_path.c_str(), socket_path.size() + 1);
  int ready[2], record[2], stop[2];
  // Close-on-exec: a program that a test starts meanwhile must not hold the stop pipe open.
  if (pipe2(ready, O_CLOEXEC) != 0)
    return;
  if (pipe2(record, O_CLOEXEC) != 0 || pipe2(stop, O_CLOEXEC) != 0) {
    close(ready[0]);
    close(ready[1]);
    return;
  }
  (void)std::fflush(nullptr);
  pid_ = fork();
  if (pid_ == 0) {
    close(ready[0]);
    close(record[0]);
    close(stop[1]);
    listen_and_record(address, ready[1], record[1], stop[0]);
  }
  close(ready[1]);
  close(record[1]);
  close(stop[0]);
  stop_ = stop[1];
  record_ = record[0];
  char byte = 0;
  listening_ = pid_ > 0 && read(ready[0], &byte, 1) == 1;
  close(ready[0]);
}

ForeignListener::~ForeignListener() {
  stop();
  if (record_ >= 0)
    close(record_);
}

void ForeignListener::stop() {
  if (pid_ <= 0)
    return;
  close(stop_);
  stop_ = -1;
  waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

std::string ForeignListener::received() {
  stop();
  std::string all;
  char buffer[4096];
  for (ssize_t got; record_ >= 0 && (got = read(record_, buffer, sizeof buffer)) > 0;)
    all.append(buffer, static_cast<std::size_t>(got));
  return all;
}

}  // namespace stronghold::test
