#include "cluster/http.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <optional>

namespace stronghold::cluster {
namespace {

using Clock = std::chrono::steady_clock;

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

// What a plain connection that ends before any answer may mean: etcd resets or closes one on a
// port that takes TLS only.
constexpr const char* kHttpsOnly = " (does it take https:// only?)";

// Bytes sent or received (0 for the end of the stream), or nothing when the socket must wait.
using Moved = std::optional<std::size_t>;

}  // namespace

// One connection to an endpoint, plain or TLS, its socket non-blocking: every wait is bounded by
// the caller's deadline.
class HttpClient::Connection {
 public:
  static Result<std::unique_ptr<Connection>> open(const Endpoint& endpoint, const TlsClient* tls,
                                                  Clock::time_point deadline);
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  ~Connection() {
    if (ssl_ != nullptr)
      SSL_free(ssl_);
    if (fd_ >= 0)
      ::close(fd_);
  }

  // Whether the peer has closed or sent something unasked since the last response: then the
  // connection is no use for the next request.
  bool stale() const {
    pollfd ready{fd_, POLLIN | POLLRDHUP, 0};
    return (ssl_ != nullptr && SSL_has_pending(ssl_) == 1) || ::poll(&ready, 1, 0) != 0;
  }
  bool tls() const { return ssl_ != nullptr; }
  Status send_all(std::string_view bytes, Clock::time_point deadline);
  // Reads what arrives into `received` (at most `max_bytes` in all) until the peer closes (true)
  // or `enough` says it has enough (true); false at the deadline.
  Result<bool> receive(std::string& received, std::size_t max_bytes, Clock::time_point deadline,
                       const std::function<bool(std::string_view)>& enough);

 private:
  explicit Connection(int fd) : fd_(fd) {}
  Status handshake(const Endpoint& endpoint, const TlsClient& tls, Clock::time_point deadline);
  // One send or receive; when nothing moved, `wait` is the poll event to wait for.
  Result<Moved> send_some(std::string_view bytes, short& wait);
  Result<Moved> receive_some(char* buffer, std::size_t size, short& wait);
  Result<Moved> tls_outcome(int result, short& wait, const char* doing);

  int fd_;
  SSL* ssl_ = nullptr;
  bool exchanged_ = false;  // a response came on this connection
};

Result<std::unique_ptr<HttpClient::Connection>> HttpClient::Connection::open(const Endpoint& endpoint,
                                                                             const TlsClient* tls,
                                                                             Clock::time_point deadline) {
  if (endpoint.tls && tls == nullptr)
    return Status(Errc::invalid_argument, endpoint.text() + " is an https:// endpoint: it needs TLS's settings");
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  const std::string port = std::to_string(endpoint.port);
  if (::getaddrinfo(endpoint.host.c_str(), port.c_str(), &hints, &found) != 0 || found == nullptr)
    return Status(Errc::unavailable, "cannot resolve " + endpoint.host);
  std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> addresses(found, &::freeaddrinfo);
  for (const addrinfo* at = found; at != nullptr; at = at->ai_next) {
    std::unique_ptr<Connection> connection(
        new Connection(::socket(at->ai_family, at->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)));
    if (connection->fd_ < 0)
      continue;
    if (::connect(connection->fd_, at->ai_addr, at->ai_addrlen) != 0) {
      if (errno != EINPROGRESS || !wait_for(connection->fd_, POLLOUT, deadline))
        continue;
      int error = 0;
      socklen_t length = sizeof error;
      if (::getsockopt(connection->fd_, SOL_SOCKET, SO_ERROR, &error, &length) != 0 || error != 0)
        continue;
    }
    if (endpoint.tls)
      SH_RETURN_IF_ERROR(connection->handshake(endpoint, *tls, deadline));
    return connection;
  }
  return Status(Errc::unavailable, "cannot connect to " + endpoint.text());
}

Status HttpClient::Connection::handshake(const Endpoint& endpoint, const TlsClient& tls, Clock::time_point deadline) {
  ERR_clear_error();
  ssl_ = SSL_new(tls.context());
  if (ssl_ == nullptr || SSL_set_fd(ssl_, fd_) != 1)
    return Status(Errc::internal, "cannot start TLS: " + remote::openssl_reason());
  // The certificate must name the host the URL names: an IP address as an IP address, a host name
  // as a DNS name (also sent as SNI).
  in6_addr address{};
  const bool literal = ::inet_pton(AF_INET, endpoint.host.c_str(), &address) == 1 ||
                       ::inet_pton(AF_INET6, endpoint.host.c_str(), &address) == 1;
  const bool named = literal ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl_), endpoint.host.c_str()) == 1
                             : SSL_set_tlsext_host_name(ssl_, endpoint.host.c_str()) == 1 &&
                                   SSL_set1_host(ssl_, endpoint.host.c_str()) == 1;
  if (!named)
    return Status(Errc::internal, "cannot check the host name of " + endpoint.text() + ": " + remote::openssl_reason());
  for (;;) {
    ERR_clear_error();
    const int result = SSL_connect(ssl_);
    if (result == 1)
      return {};
    const int error = SSL_get_error(ssl_, result);
    if (error != SSL_ERROR_WANT_READ && error != SSL_ERROR_WANT_WRITE) {
      const long verified = SSL_get_verify_result(ssl_);
      if (verified != X509_V_OK)
        return Status(Errc::unavailable,
                      endpoint.text() + "'s certificate does not verify: " + X509_verify_cert_error_string(verified));
      return Status(Errc::unavailable, "TLS with " + endpoint.text() +
                                           " failed (is it an https:// endpoint?): " + remote::openssl_reason());
    }
    if (!wait_for(fd_, error == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, deadline))
      return Status(Errc::timeout, "TLS's handshake with " + endpoint.text() + " timed out");
  }
}

Result<Moved> HttpClient::Connection::tls_outcome(int result, short& wait, const char* doing) {
  if (result > 0)
    return Moved(static_cast<std::size_t>(result));
  switch (SSL_get_error(ssl_, result)) {
    case SSL_ERROR_WANT_READ: wait = POLLIN; return Moved();
    case SSL_ERROR_WANT_WRITE: wait = POLLOUT; return Moved();
    case SSL_ERROR_ZERO_RETURN: return Moved(0);
    case SSL_ERROR_SYSCALL: {
      const int error = errno;
      ERR_clear_error();
      // With TLS 1.3 the server judges a client's certificate after the client's handshake is done,
      // and may close before its alert can be read.
      return Status(Errc::unavailable, std::string("TLS failed while ") + doing + ": " +
                                           (error != 0 ? errno_text(error) : std::string("the peer closed")) +
                                           (exchanged_ ? "" : " (did the server refuse this side's certificate?)"));
    }
    default:
      return Status(Errc::unavailable, std::string("TLS failed while ") + doing + ": " + remote::openssl_reason());
  }
}

Result<Moved> HttpClient::Connection::send_some(std::string_view bytes, short& wait) {
  const std::size_t size = std::min<std::size_t>(bytes.size(), 1U << 20U);
  if (ssl_ != nullptr) {
    ERR_clear_error();
    return tls_outcome(SSL_write(ssl_, bytes.data(), static_cast<int>(size)), wait, "sending");
  }
  for (;;) {
    const ssize_t sent = ::send(fd_, bytes.data(), size, MSG_NOSIGNAL);
    if (sent >= 0)
      return Moved(static_cast<std::size_t>(sent));
    if (errno == EINTR)
      continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK)
      return Status(Errc::unavailable, "the connection closed while sending");
    wait = POLLOUT;
    return Moved();
  }
}

Result<Moved> HttpClient::Connection::receive_some(char* buffer, std::size_t size, short& wait) {
  if (ssl_ != nullptr) {
    ERR_clear_error();
    return tls_outcome(SSL_read(ssl_, buffer, static_cast<int>(size)), wait, "receiving");
  }
  for (;;) {
    const ssize_t got = ::recv(fd_, buffer, size, 0);
    if (got >= 0)
      return Moved(static_cast<std::size_t>(got));
    if (errno == EINTR)
      continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK)
      return Status(Errc::unavailable, "the connection failed while receiving: " + errno_text(errno));
    wait = POLLIN;
    return Moved();
  }
}

Status HttpClient::Connection::send_all(std::string_view bytes, Clock::time_point deadline) {
  while (!bytes.empty()) {
    short wait = 0;
    SH_ASSIGN_OR_RETURN(const auto sent, send_some(bytes, wait));
    if (sent.has_value() && *sent == 0)
      return Status(Errc::unavailable, "the connection closed while sending");
    if (sent.has_value())
      bytes.remove_prefix(*sent);
    else if (!wait_for(fd_, wait, deadline))
      return Status(Errc::timeout, "sending timed out");
  }
  return {};
}

Result<bool> HttpClient::Connection::receive(std::string& received, std::size_t max_bytes, Clock::time_point deadline,
                                             const std::function<bool(std::string_view)>& enough) {
  char buffer[16384];
  for (;;) {
    // A peer that trickles bytes never makes a read wait: the deadline is checked at every piece.
    if (Clock::now() >= deadline)
      return false;
    short wait = 0;
    auto got = receive_some(buffer, sizeof buffer, wait);
    if (!got.ok() && ssl_ == nullptr && received.empty())  // etcd resets plain HTTP on a TLS port
      return Status(got.status().code(), got.status().message() + kHttpsOnly);
    if (!got.ok())
      return got.status();
    if (!got->has_value()) {
      if (!wait_for(fd_, wait, deadline))
        return false;
      continue;
    }
    const std::size_t size = **got;
    if (size == 0)
      return true;
    if (received.size() + size > max_bytes)
      return Status(Errc::resource_exhausted, "the response is larger than " + std::to_string(max_bytes) + " bytes");
    received.append(buffer, size);
    exchanged_ = true;
    if (enough && enough(received))
      return true;
  }
}

namespace {

// `close`: ask the server to close the connection after its answer (a watch's stream, which ends
// with the connection); otherwise the connection is kept for the next request.
std::string request_text(const Endpoint& endpoint, std::string_view path, std::string_view body, bool close) {
  std::string text = "POST ";
  text.append(path);
  // etcd's gateway turns Grpc-Metadata-* headers into gRPC metadata: with hasleader, a member
  // without a leader (no majority) answers at once instead of after its own 6-7 s timeout.
  text += " HTTP/1.1\r\nHost: " + endpoint.text() +
          "\r\nContent-Type: application/json\r\nGrpc-Metadata-hasleader: true\r\n" +
          (close ? "Connection: close\r\n" : "") + "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n";
  text.append(body);
  return text;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size())
    return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  return true;
}

// What the head of a response says about it and its body.
struct Head {
  int status = 0;
  std::size_t size = 0;  // of the head, its blank line included
  bool chunked = false;
  std::optional<std::size_t> content_length;
  bool close = false;    // the connection ends with this response
  bool no_body = false;  // 1xx, 204, 304: the response ends with its head
};

// Whether a header's comma-separated value holds `token`.
bool has_token(std::string_view value, std::string_view token) {
  while (!value.empty()) {
    const std::size_t comma = std::min(value.find(','), value.size());
    std::string_view one = value.substr(0, comma);
    while (!one.empty() && one.front() == ' ')
      one.remove_prefix(1);
    while (!one.empty() && one.back() == ' ')
      one.remove_suffix(1);
    if (iequals(one, token))
      return true;
    value.remove_prefix(std::min(comma + 1, value.size()));
  }
  return false;
}

// The head `text` (up to and without its blank line); corrupted for what is not one, or for one
// whose framing is unclear (two lengths, a transfer coding other than chunked).
Result<Head> parse_head(std::string_view text) {
  if (!text.starts_with("HTTP/1."))
    return Status(Errc::corrupted, "not an HTTP response");
  Head head;
  head.size = text.size() + 4;
  head.close = !text.starts_with("HTTP/1.1");  // HTTP/1.0 closes unless told otherwise: not kept
  const std::size_t space = text.find(' ');
  if (space == std::string_view::npos || text.size() < space + 4)
    return Status(Errc::corrupted, "an HTTP response without a status");
  const auto [end, error] = std::from_chars(text.data() + space + 1, text.data() + space + 4, head.status);
  if (error != std::errc() || end != text.data() + space + 4)
    return Status(Errc::corrupted, "an HTTP response with a damaged status");
  head.no_body = head.status / 100 == 1 || head.status == 204 || head.status == 304;
  std::size_t line_start = text.find("\r\n");
  while (line_start != std::string_view::npos && line_start + 2 <= text.size()) {
    const std::size_t next = text.find("\r\n", line_start + 2);
    const std::string_view line =
        text.substr(line_start + 2, next == std::string_view::npos ? std::string_view::npos : next - line_start - 2);
    line_start = next;
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos)
      continue;
    const std::string_view name = line.substr(0, colon);
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ')
      value.remove_prefix(1);
    if (iequals(name, "transfer-encoding")) {
      if (!iequals(value, "chunked"))
        return Status(Errc::corrupted, "an HTTP response in a transfer coding other than chunked");
      head.chunked = true;
    } else if (iequals(name, "connection") && has_token(value, "close")) {
      head.close = true;
    } else if (iequals(name, "content-length")) {
      std::size_t length = 0;
      const auto [at, failed] = std::from_chars(value.data(), value.data() + value.size(), length);
      if (failed != std::errc() || at != value.data() + value.size() || value.empty() ||
          (head.content_length.has_value() && *head.content_length != length))
        return Status(Errc::corrupted, "an HTTP response with a damaged Content-Length");
      head.content_length = length;
    }
  }
  return head;
}

// Finds where a response ends as its bytes arrive, looking at each byte about once: an answer
// trickled in small pieces costs no more than one that comes whole.
class Framing {
 public:
  // The whole response's size once `raw` (everything received so far) holds all of it; nothing
  // while more must come, and always nothing for a body that ends with the connection. corrupted
  // for what is not HTTP or breaks its framing.
  Result<std::optional<std::size_t>> update(std::string_view raw);
  // The head, once it came.
  const std::optional<Head>& head() const { return head_; }

 private:
  // A head, a chunk size line or a trailer longer than this is no etcd's.
  static constexpr std::size_t kMaxLine = std::size_t{64} << 10;
  Result<std::optional<std::size_t>> chunks(std::string_view raw);

  std::optional<Head> head_;
  std::size_t searched_ = 0;  // where the search for the blank line that ends the head goes on
  std::size_t chunk_ = 0;     // where the next chunk's size line starts
};

Result<std::optional<std::size_t>> Framing::update(std::string_view raw) {
  if (!head_.has_value()) {
    const std::size_t end = raw.find("\r\n\r\n", searched_ < 3 ? 0 : searched_ - 3);
    if (end == std::string_view::npos) {
      searched_ = raw.size();
      if ((raw.size() >= 7 && !raw.starts_with("HTTP/1.")) || raw.size() > kMaxLine)
        return Status(Errc::corrupted, "not an HTTP response");
      return std::optional<std::size_t>();
    }
    SH_ASSIGN_OR_RETURN(head_, parse_head(raw.substr(0, end)));
    chunk_ = head_->size;
  }
  if (head_->no_body)
    return std::optional<std::size_t>(head_->size);
  if (head_->chunked)
    return chunks(raw);
  if (head_->content_length.has_value())
    return raw.size() - head_->size >= *head_->content_length
               ? std::optional<std::size_t>(head_->size + *head_->content_length)
               : std::optional<std::size_t>();
  return std::optional<std::size_t>();
}

Result<std::optional<std::size_t>> Framing::chunks(std::string_view raw) {
  for (;;) {
    const std::size_t line_end = raw.find("\r\n", chunk_);
    if (line_end == std::string_view::npos)
      return raw.size() - chunk_ > kMaxLine ? Status(Errc::corrupted, "a chunked response has a damaged chunk size")
                                            : Result<std::optional<std::size_t>>(std::optional<std::size_t>());
    std::size_t size = 0;
    const auto [end, error] = std::from_chars(raw.data() + chunk_, raw.data() + line_end, size, 16);
    if (error != std::errc() || end == raw.data() + chunk_ || line_end - chunk_ > kMaxLine)
      return Status(Errc::corrupted, "a chunked response has a damaged chunk size");
    if (size == 0) {  // the last chunk; then trailer lines, if any, and a blank line
      const std::size_t blank = raw.find("\r\n\r\n", line_end);
      if (blank == std::string_view::npos && raw.size() - line_end > kMaxLine)
        return Status(Errc::corrupted, "a chunked response's trailer does not end");
      return blank == std::string_view::npos ? std::optional<std::size_t>() : std::optional<std::size_t>(blank + 4);
    }
    if (size > raw.size() || raw.size() - line_end - 2 < size + 2)
      return std::optional<std::size_t>();
    if (raw.substr(line_end + 2 + size, 2) != "\r\n")
      return Status(Errc::corrupted, "a chunked response's chunk is longer than it says");
    chunk_ = line_end + 2 + size + 2;
  }
}

// The body of a chunked response that Framing found whole.
std::string unchunk(std::string_view chunked) {
  std::string body;
  for (;;) {
    const std::size_t line_end = chunked.find("\r\n");
    std::size_t size = 0;
    (void)std::from_chars(chunked.data(), chunked.data() + line_end, size, 16);
    chunked.remove_prefix(line_end + 2);
    if (size == 0)
      return body;
    body.append(chunked.substr(0, size));
    chunked.remove_prefix(size + 2);
  }
}

// The response in `raw`, whose head is `head`: all of it, or, for a body without a length, what
// came before the connection ended.
HttpResponse parse_response(std::string_view raw, const Head& head) {
  HttpResponse response;
  response.status = head.status;
  const std::string_view body = raw.substr(head.size);
  if (head.no_body)
    return response;
  response.body = head.chunked ? unchunk(body) : std::string(body.substr(0, head.content_length.value_or(body.size())));
  return response;
}

}  // namespace

Result<Endpoint> parse_endpoint(std::string_view url) {
  const std::string original(url);
  const bool tls = url.starts_with("https://");
  if (tls)
    url.remove_prefix(8);
  else if (url.starts_with("http://"))
    url.remove_prefix(7);
  if (!url.empty() && url.back() == '/')
    url.remove_suffix(1);
  const std::size_t colon = url.rfind(':');
  if (url.empty() || colon == std::string_view::npos || colon == 0 || url.find('/') != std::string_view::npos)
    return Status(Errc::invalid_argument, original + ": expected http://HOST:PORT or https://HOST:PORT");
  unsigned port = 0;
  const std::string_view digits = url.substr(colon + 1);
  const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
  if (error != std::errc() || end != digits.data() + digits.size() || port == 0 || port > 65535)
    return Status(Errc::invalid_argument, original + ": the port must be 1 to 65535");
  return Endpoint{std::string(url.substr(0, colon)), static_cast<std::uint16_t>(port), tls};
}

void TlsClient::FreeContext::operator()(SSL_CTX* context) const { SSL_CTX_free(context); }

Result<std::shared_ptr<const TlsClient>> TlsClient::make(const remote::TlsFiles& files) {
  ERR_clear_error();
  SSL_CTX* context = SSL_CTX_new(TLS_client_method());
  if (context == nullptr)
    return Status(Errc::internal, "cannot create a TLS context: " + remote::openssl_reason());
  std::shared_ptr<const TlsClient> client(new TlsClient(context));
  if (SSL_CTX_set_min_proto_version(context, TLS1_2_VERSION) != 1)
    return Status(Errc::internal, "cannot require TLS 1.2: " + remote::openssl_reason());
  SSL_CTX_set_verify(context, SSL_VERIFY_PEER, nullptr);
  if (files.ca.empty())
    return Status(Errc::invalid_argument, "TLS to etcd needs the CA that signed etcd's certificates (--etcd-ca)");
  SH_RETURN_IF_ERROR(remote::use_tls_files(context, files));
  return client;
}

HttpClient::HttpClient(std::shared_ptr<const TlsClient> tls) : tls_(std::move(tls)) {}

HttpClient::~HttpClient() = default;

std::unique_ptr<HttpClient::Connection> HttpClient::take_kept(const Endpoint& endpoint) {
  std::lock_guard lock(mutex_);
  auto& idle = kept_[endpoint.text()];
  while (!idle.empty()) {
    std::unique_ptr<Connection> connection = std::move(idle.back());
    idle.pop_back();
    if (!connection->stale())
      return connection;
  }
  return nullptr;
}

void HttpClient::keep(const Endpoint& endpoint, std::unique_ptr<Connection> connection) {
  // As many as requests run at once: a commit, the follower's read, a registration, a status.
  constexpr std::size_t kMaxKept = 4;
  std::lock_guard lock(mutex_);
  auto& idle = kept_[endpoint.text()];
  if (idle.size() < kMaxKept)
    idle.push_back(std::move(connection));
}

Result<HttpResponse> HttpClient::exchange(Connection& connection, const Endpoint& endpoint, std::string_view path,
                                          std::string_view body, Clock::time_point deadline, std::size_t max_body,
                                          bool& reusable, bool& heard) {
  reusable = false;
  heard = false;
  SH_RETURN_IF_ERROR(connection.send_all(request_text(endpoint, path, body, false), deadline));
  std::string raw;
  Framing framing;
  std::optional<std::size_t> size;
  Status broken;
  const auto ended = connection.receive(raw, max_body + std::size_t{64} * 1024, deadline, [&](std::string_view got) {
    auto complete = framing.update(got);
    if (!complete.ok())
      broken = complete.status();
    else
      size = *complete;
    return !complete.ok() || size.has_value();
  });
  heard = !raw.empty();  // what came before a failure too: such a request is not sent again
  SH_RETURN_IF_ERROR(ended.status());
  SH_RETURN_IF_ERROR(broken);
  if (!*ended)
    return Status(Errc::timeout, endpoint.text() + " did not answer in time");
  if (raw.empty())
    return Status(Errc::unavailable, endpoint.text() + " closed the connection without an answer" +
                                         std::string(connection.tls() ? "" : kHttpsOnly));
  const std::optional<Head>& head = framing.head();
  if (size.has_value()) {
    if (*size != raw.size())
      return Status(Errc::corrupted, endpoint.text() + " sent more than its response");
    reusable = !head->close;
  } else if (!head.has_value() || head->chunked || head->content_length.has_value()) {
    return Status(Errc::unavailable, endpoint.text() + " closed the connection inside its answer");
  }
  return parse_response(raw, *head);
}

Result<HttpResponse> HttpClient::post(const Endpoint& endpoint, std::string_view path, std::string_view body,
                                      std::chrono::milliseconds timeout, std::size_t max_body) {
  const auto deadline = Clock::now() + timeout;
  bool reusable = false;
  bool heard = false;
  if (std::unique_ptr<Connection> kept = take_kept(endpoint)) {
    auto response = exchange(*kept, endpoint, path, body, deadline, max_body, reusable, heard);
    if (response.ok() && reusable)
      keep(endpoint, std::move(kept));
    // A kept connection the server closed meanwhile fails before an answer: then once more anew.
    if (response.ok() || heard || response.status().code() != Errc::unavailable)
      return response;
  }
  SH_ASSIGN_OR_RETURN(auto connection, Connection::open(endpoint, tls_.get(), deadline));
  auto response = exchange(*connection, endpoint, path, body, deadline, max_body, reusable, heard);
  if (response.ok() && reusable)
    keep(endpoint, std::move(connection));
  return response;
}

Status HttpClient::post_until(const Endpoint& endpoint, std::string_view path, std::string_view body,
                              std::chrono::milliseconds wait, std::size_t max_bytes,
                              const std::function<bool(std::string_view received)>& until) {
  const auto deadline = Clock::now() + wait;
  SH_ASSIGN_OR_RETURN(auto connection, Connection::open(endpoint, tls_.get(), deadline));
  SH_RETURN_IF_ERROR(connection->send_all(request_text(endpoint, path, body, true), deadline));
  std::string raw;
  bool stopped = false;
  SH_ASSIGN_OR_RETURN(const bool ended, connection->receive(raw, max_bytes, deadline, [&](std::string_view received) {
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
