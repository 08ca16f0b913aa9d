#include "cluster/http.hpp"

#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>

namespace stronghold::cluster {
namespace {

using Clock = std::chrono::steady_clock;

class Socket {
 public:
  explicit Socket(int fd) : fd_(fd) {}
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  ~Socket() {
    if (fd_ >= 0)
      ::close(fd_);
  }
  int fd() const { return fd_; }

 private:
  int fd_;
};

int remaining_ms(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return left <= 0 ? 0 : static_cast<int>(left);
}

// Waits until `fd` is ready for `events`; false when the deadline passed.
bool wait_for(int fd, short events, Clock::time_point deadline) {
  pollfd ready{fd, events, 0};
  for (;;) {
    const int n = ::poll(&ready, 1, remaining_ms(deadline));
    if (n > 0)
      return true;
    if (n == 0 || errno != EINTR)
      return false;
  }
}

Result<std::unique_ptr<Socket>> connect_to(const Endpoint& endpoint, Clock::time_point deadline) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  const std::string port = std::to_string(endpoint.port);
  if (::getaddrinfo(endpoint.host.c_str(), port.c_str(), &hints, &found) != 0 || found == nullptr)
    return Status(Errc::unavailable, "cannot resolve " + endpoint.host);
  std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> addresses(found, &::freeaddrinfo);
  for (const addrinfo* at = found; at != nullptr; at = at->ai_next) {
    auto socket = std::make_unique<Socket>(::socket(at->ai_family, at->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (socket->fd() < 0)
      continue;
    if (::connect(socket->fd(), at->ai_addr, at->ai_addrlen) != 0) {
      if (errno != EINPROGRESS || !wait_for(socket->fd(), POLLOUT, deadline))
        continue;
      int error = 0;
      socklen_t length = sizeof error;
      if (::getsockopt(socket->fd(), SOL_SOCKET, SO_ERROR, &error, &length) != 0 || error != 0)
        continue;
    }
    return socket;
  }
  return Status(Errc::unavailable, "cannot connect to " + endpoint.text());
}

Status send_all(const Socket& socket, std::string_view bytes, Clock::time_point deadline) {
  while (!bytes.empty()) {
    const ssize_t sent = ::send(socket.fd(), bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (sent > 0) {
      bytes.remove_prefix(static_cast<std::size_t>(sent));
      continue;
    }
    if (sent < 0 && errno == EINTR)
      continue;
    if (sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      if (!wait_for(socket.fd(), POLLOUT, deadline))
        return Status(Errc::timeout, "sending timed out");
      continue;
    }
    return Status(Errc::unavailable, "the connection closed while sending");
  }
  return {};
}

std::string request_text(const Endpoint& endpoint, std::string_view path, std::string_view body) {
  std::string text = "POST ";
  text.append(path);
  // etcd's gateway turns Grpc-Metadata-* headers into gRPC metadata: with hasleader, a member
  // without a leader (no majority) answers at once instead of after its own 6-7 s timeout.
  text += " HTTP/1.1\r\nHost: " + endpoint.text() +
          "\r\nContent-Type: application/json\r\nGrpc-Metadata-hasleader: true\r\nConnection: close\r\n"
          "Content-Length: " +
          std::to_string(body.size()) + "\r\n\r\n";
  text.append(body);
  return text;
}

// Reads what arrives into `received` (at most `max_bytes` in all) until the peer closes (true)
// or `more` says it has enough (true); false at the deadline.
Result<bool> receive(const Socket& socket, std::string& received, std::size_t max_bytes, Clock::time_point deadline,
                     const std::function<bool(std::string_view)>& enough) {
  char buffer[16384];
  for (;;) {
    // A peer that trickles bytes never makes recv wait: the deadline is checked at every piece.
    if (Clock::now() >= deadline)
      return false;
    const ssize_t got = ::recv(socket.fd(), buffer, sizeof buffer, 0);
    if (got > 0) {
      if (received.size() + static_cast<std::size_t>(got) > max_bytes)
        return Status(Errc::resource_exhausted, "the response is larger than " + std::to_string(max_bytes) + " bytes");
      received.append(buffer, static_cast<std::size_t>(got));
      if (enough && enough(received))
        return true;
      continue;
    }
    if (got == 0)
      return true;
    if (errno == EINTR)
      continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK)
      return Status(Errc::unavailable, "the connection failed while receiving");
    if (!wait_for(socket.fd(), POLLIN, deadline))
      return false;
  }
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size())
    return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  return true;
}

// The body of a chunked response; corrupted when the framing is broken.
Result<std::string> unchunk(std::string_view chunked) {
  std::string body;
  for (;;) {
    const std::size_t line_end = chunked.find("\r\n");
    if (line_end == std::string_view::npos)
      return Status(Errc::corrupted, "a chunked response ends inside a chunk header");
    std::size_t size = 0;
    const auto [end, error] = std::from_chars(chunked.data(), chunked.data() + line_end, size, 16);
    if (error != std::errc() || end == chunked.data())
      return Status(Errc::corrupted, "a chunked response has a damaged chunk size");
    chunked.remove_prefix(line_end + 2);
    if (size == 0)
      return body;
    if (size > chunked.size() || chunked.size() - size < 2)
      return Status(Errc::corrupted, "a chunked response ends inside a chunk");
    body.append(chunked.substr(0, size));
    chunked.remove_prefix(size + 2);
  }
}

Result<HttpResponse> parse_response(std::string_view raw) {
  const std::size_t head_end = raw.find("\r\n\r\n");
  if (head_end == std::string_view::npos || !raw.starts_with("HTTP/1."))
    return Status(Errc::corrupted, "not an HTTP response");
  const std::string_view head = raw.substr(0, head_end);
  HttpResponse response;
  const std::size_t space = head.find(' ');
  if (space == std::string_view::npos || head.size() < space + 4)
    return Status(Errc::corrupted, "an HTTP response without a status");
  const auto [end, error] = std::from_chars(head.data() + space + 1, head.data() + space + 4, response.status);
  if (error != std::errc() || end != head.data() + space + 4)
    return Status(Errc::corrupted, "an HTTP response with a damaged status");
  bool chunked = false;
  std::size_t line_start = head.find("\r\n");
  while (line_start != std::string_view::npos && line_start + 2 <= head.size()) {
    const std::size_t next = head.find("\r\n", line_start + 2);
    const std::string_view line =
        head.substr(line_start + 2, next == std::string_view::npos ? std::string_view::npos : next - line_start - 2);
    if (const std::size_t colon = line.find(':'); colon != std::string_view::npos) {
      std::string_view value = line.substr(colon + 1);
      while (!value.empty() && value.front() == ' ')
        value.remove_prefix(1);
      if (iequals(line.substr(0, colon), "transfer-encoding") && iequals(value, "chunked"))
        chunked = true;
    }
    line_start = next;
  }
  const std::string_view body = raw.substr(head_end + 4);
  if (chunked) {
    SH_ASSIGN_OR_RETURN(response.body, unchunk(body));
  } else {
    response.body = std::string(body);
  }
  return response;
}

}  // namespace

Result<Endpoint> parse_endpoint(std::string_view url) {
  const std::string original(url);
  if (url.starts_with("https://"))
    return Status(Errc::invalid_argument,
                  original + ": TLS to etcd is not supported yet; use http:// on a private network");
  if (url.starts_with("http://"))
    url.remove_prefix(7);
  if (!url.empty() && url.back() == '/')
    url.remove_suffix(1);
  const std::size_t colon = url.rfind(':');
  if (url.empty() || colon == std::string_view::npos || colon == 0 || url.find('/') != std::string_view::npos)
    return Status(Errc::invalid_argument, original + ": expected http://HOST:PORT");
  unsigned port = 0;
  const std::string_view digits = url.substr(colon + 1);
  const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
  if (error != std::errc() || end != digits.data() + digits.size() || port == 0 || port > 65535)
    return Status(Errc::invalid_argument, original + ": the port must be 1 to 65535");
  return Endpoint{std::string(url.substr(0, colon)), static_cast<std::uint16_t>(port)};
}

Result<HttpResponse> post(const Endpoint& endpoint, std::string_view path, std::string_view body,
                          std::chrono::milliseconds timeout, std::size_t max_body) {
  const auto deadline = Clock::now() + timeout;
  SH_ASSIGN_OR_RETURN(auto socket, connect_to(endpoint, deadline));
  SH_RETURN_IF_ERROR(send_all(*socket, request_text(endpoint, path, body), deadline));
  std::string raw;
  SH_ASSIGN_OR_RETURN(const bool complete, receive(*socket, raw, max_body + std::size_t{64} * 1024, deadline, {}));
  if (!complete)
    return Status(Errc::timeout, endpoint.text() + " did not answer in " + std::to_string(timeout.count()) + " ms");
  return parse_response(raw);
}

Status post_until(const Endpoint& endpoint, std::string_view path, std::string_view body,
                  std::chrono::milliseconds wait, std::size_t max_bytes,
                  const std::function<bool(std::string_view received)>& until) {
  const auto deadline = Clock::now() + wait;
  SH_ASSIGN_OR_RETURN(auto socket, connect_to(endpoint, deadline));
  SH_RETURN_IF_ERROR(send_all(*socket, request_text(endpoint, path, body), deadline));
  std::string raw;
  bool stopped = false;
  SH_ASSIGN_OR_RETURN(const bool ended, receive(*socket, raw, max_bytes, deadline, [&](std::string_view received) {
                        stopped = until(received);
                        return stopped;
                      }));
  if (stopped)
    return {};
  if (ended)
    return Status(Errc::unavailable, endpoint.text() + " closed the stream");
  return Status(Errc::timeout, "nothing came");
}

}  // namespace stronghold::cluster
