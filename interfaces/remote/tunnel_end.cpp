#include "tunnel_end.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include <caf/send.hpp>

namespace stronghold::remote {

TunnelEnd::TunnelEnd(int fd, SessionKeys keys, caf::actor peer, std::uint64_t session, std::function<void()> on_end)
    : fd_(fd), keys_(std::move(keys)), peer_(std::move(peer)), session_(session), on_end_(std::move(on_end)) {}

TunnelEnd::~TunnelEnd() {
  close();
  if (thread_.joinable())
    thread_.join();
  ::close(fd_);
  if (wake_ >= 0)
    ::close(wake_);
}

Status TunnelEnd::start() {
  wake_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wake_ < 0 || ::fcntl(fd_, F_SETFL, ::fcntl(fd_, F_GETFL) | O_NONBLOCK) != 0)
    return error(Errc::io_error, "cannot set up a tunnel session: {}", errno_text(errno));
  thread_ = std::thread([this] { run(); });
  return {};
}

void TunnelEnd::wake() const {
  const std::uint64_t one = 1;
  (void)!::write(wake_, &one, sizeof one);
}

Status TunnelEnd::receive(const std::vector<char>& sealed) {
  SH_ASSIGN_OR_RETURN(runtime::SecretBytes plain, open(keys_.receive, received_++, sealed));
  {
    std::lock_guard guard(mutex_);
    if (pending_bytes_ + plain.size() > kMaxPending)
      return Status(Errc::resource_exhausted, "the other end of a tunnel sent past its window");
    pending_bytes_ += plain.size();
    pending_.push_back(std::move(plain));
  }
  wake();
  return {};
}

Status TunnelEnd::acknowledged(std::uint64_t count) {
  {
    std::lock_guard guard(mutex_);
    if (count > unacknowledged_)
      return Status(Errc::invalid_argument, "the other end of a tunnel acknowledged bytes it was never sent");
    unacknowledged_ -= count;
  }
  wake();
  return {};
}

void TunnelEnd::close() {
  {
    std::lock_guard guard(mutex_);
    if (closing_)
      return;
    closing_ = true;
  }
  if (wake_ >= 0)
    wake();
}

bool TunnelEnd::flush() {
  std::size_t written = 0;
  {
    std::lock_guard guard(mutex_);
    while (!pending_.empty()) {
      const runtime::SecretBytes& front = pending_.front();
      const ssize_t wrote = ::send(fd_, front.data() + pending_offset_, front.size() - pending_offset_, MSG_NOSIGNAL);
      if (wrote < 0 && (errno == EAGAIN || errno == EINTR))
        break;
      if (wrote < 0)
        return false;
      pending_offset_ += static_cast<std::size_t>(wrote);
      written += static_cast<std::size_t>(wrote);
      if (pending_offset_ < front.size())
        break;
      pending_.pop_front();
      pending_offset_ = 0;
    }
    pending_bytes_ -= written;
  }
  if (written > 0)
    caf::anon_send(peer_, tunnel_ack_atom::value, session_, static_cast<std::uint64_t>(written));
  return true;
}

void TunnelEnd::run() {
  runtime::SecretBytes chunk(kChunk);
  bool by_itself = false;
  for (;;) {
    short events = 0;
    {
      std::lock_guard guard(mutex_);
      if (closing_)
        break;
      if (unacknowledged_ < kWindow)
        events |= POLLIN;
      if (!pending_.empty())
        events |= POLLOUT;
    }
    pollfd ready[2] = {{fd_, events, 0}, {wake_, POLLIN, 0}};
    if (::poll(ready, 2, -1) < 0) {
      if (errno == EINTR)
        continue;
      by_itself = true;
      break;
    }
    if ((ready[1].revents & POLLIN) != 0) {
      std::uint64_t count = 0;
      (void)!::read(wake_, &count, sizeof count);
    }
    if ((ready[0].revents & POLLOUT) != 0 && !flush()) {
      by_itself = true;
      break;
    }
    if ((events & POLLIN) != 0 && (ready[0].revents & (POLLIN | POLLHUP | POLLERR)) != 0) {
      const ssize_t got = ::recv(fd_, chunk.data(), chunk.size(), 0);
      if (got < 0 && (errno == EAGAIN || errno == EINTR))
        continue;
      if (got <= 0) {
        by_itself = true;
        break;
      }
      const auto size = static_cast<std::size_t>(got);
      {
        // Counted before it is sent: its acknowledgement may come back before send returns.
        std::lock_guard guard(mutex_);
        unacknowledged_ += size;
      }
      caf::anon_send(peer_, tunnel_data_atom::value, session_, seal(keys_.send, sent_++, chunk.view().first(size)));
    } else if ((ready[0].revents & (POLLHUP | POLLERR)) != 0 && (events & POLLIN) == 0) {
      by_itself = true;  // the socket's other end is gone while this end waits for acknowledgements
      break;
    }
  }
  if (!by_itself)
    (void)flush();  // what the peer sent before it closed, as far as the socket takes it now
  ::shutdown(fd_, SHUT_RDWR);
  if (by_itself) {
    caf::anon_send(peer_, tunnel_close_atom::value, session_);
    if (on_end_)
      on_end_();
  }
}

}  // namespace stronghold::remote
