#include <doctest/doctest.h>

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <functional>
#include <string>
#include <thread>

#include "cluster/http.hpp"

using namespace stronghold;
using namespace stronghold::cluster;

namespace {

constexpr std::chrono::milliseconds kTimeout{3'000};
constexpr std::size_t kMaxBody = 4096;

void write_all(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t sent = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (sent <= 0)
      return;
    bytes.remove_prefix(static_cast<std::size_t>(sent));
  }
}

// One HTTP request read from `fd` (its head and a Content-Length body); false at the end of the stream.
bool read_request(int fd) {
  std::string raw;
  char buffer[4096];
  for (;;) {
    const std::size_t head_end = raw.find("\r\n\r\n");
    if (head_end != std::string::npos) {
      const std::size_t length_at = raw.find("Content-Length: ");
      const std::size_t length =
          length_at == std::string::npos ? 0 : std::stoul(raw.substr(length_at + 16, raw.find("\r\n", length_at)));
      if (raw.size() >= head_end + 4 + length)
        return true;
    }
    const ssize_t got = ::recv(fd, buffer, sizeof buffer, 0);
    if (got <= 0)
      return false;
    raw.append(buffer, static_cast<std::size_t>(got));
  }
}

// A server on a loopback port that answers each request as `answer` says, one connection at a
// time. `answer(fd, n)` writes what it wants for the n-th request (from 0, over all connections)
// and returns whether the connection stays open.
class ScriptedServer {
 public:
  explicit ScriptedServer(std::function<bool(int fd, int request)> answer) : answer_(std::move(answer)) {
    listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
    REQUIRE(::listen(listener_, 8) == 0);
    socklen_t length = sizeof address;
    REQUIRE(::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length) == 0);
    endpoint_ = Endpoint{"127.0.0.1", ntohs(address.sin_port), false};
    thread_ = std::thread([this] { serve(); });
  }
  ~ScriptedServer() {
    stop_ = true;
    thread_.join();
    ::close(listener_);
  }
  const Endpoint& endpoint() const { return endpoint_; }
  int connections() const { return connections_; }
  int requests() const { return requests_; }

 private:
  void serve() {
    while (!stop_) {
      pollfd ready{listener_, POLLIN, 0};
      if (::poll(&ready, 1, 20) <= 0)
        continue;
      const int fd = ::accept(listener_, nullptr, nullptr);
      if (fd < 0)
        continue;
      ++connections_;
      while (read_request(fd) && answer_(fd, requests_++)) {
      }
      ::close(fd);
    }
  }

  std::function<bool(int, int)> answer_;
  int listener_ = -1;
  Endpoint endpoint_;
  std::atomic<bool> stop_{false};
  std::atomic<int> connections_{0};
  std::atomic<int> requests_{0};
  std::thread thread_;
};

std::string with_length(std::string_view body, std::string_view extra_headers = "") {
  return "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n" + std::string(extra_headers) +
         "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + std::string(body);
}

Result<HttpResponse> post(HttpClient& client, const ScriptedServer& server) {
  return client.post(server.endpoint(), "/v3/kv/range", "{}", kTimeout, kMaxBody);
}

}  // namespace

TEST_CASE("a kept connection serves the next requests to the same endpoint") {
  ScriptedServer server([](int fd, int request) {
    write_all(fd, with_length("{\"n\":" + std::to_string(request) + "}"));
    return true;
  });
  HttpClient client(nullptr);
  for (int i = 0; i < 3; ++i) {
    auto response = post(client, server);
    REQUIRE(response.ok());
    CHECK(response->status == 200);
    CHECK(response->body == "{\"n\":" + std::to_string(i) + "}");
  }
  CHECK(server.connections() == 1);
}

TEST_CASE("a chunked answer ends after its last chunk and trailer, and its connection is kept") {
  ScriptedServer server([](int fd, int) {
    write_all(fd, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\n{\"a\"\r\n");
    write_all(fd, "3\r\n:1}\r\n0\r\nX-Trailer: yes\r\n\r\n");
    return true;
  });
  HttpClient client(nullptr);
  for (int i = 0; i < 2; ++i) {
    auto response = post(client, server);
    REQUIRE(response.ok());
    CHECK(response->body == "{\"a\":1}");
  }
  CHECK(server.connections() == 1);
}

TEST_CASE("a request the server drops on a kept connection is sent again on a new one") {
  // The second request arrives on the kept connection, which the server closes unanswered (as a
  // server does with a connection it found idle too long); the client sends it once more.
  ScriptedServer server([](int fd, int request) {
    if (request == 1)
      return false;
    write_all(fd, with_length("{\"n\":" + std::to_string(request) + "}"));
    return true;
  });
  HttpClient client(nullptr);
  REQUIRE(post(client, server).ok());
  auto again = post(client, server);
  REQUIRE(again.ok());
  CHECK(again->body == "{\"n\":2}");
  CHECK(server.connections() == 2);
  CHECK(server.requests() == 3);
}

TEST_CASE("an answer cut off on a kept connection, closed or reset, is an error, and is not sent again") {
  for (const bool reset : {false, true}) {
    ScriptedServer server([reset](int fd, int request) {
      if (request == 0) {
        write_all(fd, with_length("{}"));
        return true;
      }
      write_all(fd, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{\"cut\":");
      if (reset) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));  // the bytes reach the client first
        const linger abort{1, 0};                                    // close with a reset: the client's next read fails
        ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &abort, sizeof abort);
      }
      return false;
    });
    HttpClient client(nullptr);
    REQUIRE(post(client, server).ok());
    auto cut = post(client, server);
    REQUIRE_FALSE(cut.ok());
    CHECK(cut.status().code() == Errc::unavailable);
    CHECK(server.requests() == 2);
  }
}

TEST_CASE("a request that times out on a kept connection is not sent again") {
  ScriptedServer server([](int fd, int request) {
    if (request == 1) {
      std::this_thread::sleep_for(std::chrono::milliseconds(400));
      return false;
    }
    write_all(fd, with_length("{}"));
    return true;
  });
  HttpClient client(nullptr);
  REQUIRE(post(client, server).ok());
  auto late = client.post(server.endpoint(), "/v3/kv/range", "{}", std::chrono::milliseconds(150), kMaxBody);
  CHECK(late.status().code() == Errc::timeout);
  CHECK(server.requests() == 2);
}

TEST_CASE("a kept connection the server closed while idle is replaced") {
  ScriptedServer server([](int fd, int) {
    write_all(fd, with_length("{}"));
    return false;  // closed after the answer, without saying so
  });
  HttpClient client(nullptr);
  REQUIRE(post(client, server).ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  REQUIRE(post(client, server).ok());
  CHECK(server.connections() == 2);
  CHECK(server.requests() == 2);
}

TEST_CASE("an answer trickled a byte at a time, or without a body, keeps its connection") {
  ScriptedServer server([](int fd, int request) {
    const std::string answer = request == 0 ? with_length("{\"slow\":1}") : "HTTP/1.1 204 No Content\r\n\r\n";
    for (const char byte : answer)
      write_all(fd, std::string_view(&byte, 1));
    return true;
  });
  HttpClient client(nullptr);
  auto slow = post(client, server);
  REQUIRE(slow.ok());
  CHECK(slow->body == "{\"slow\":1}");
  auto empty = post(client, server);
  REQUIRE(empty.ok());
  CHECK(empty->status == 204);
  CHECK(empty->body.empty());
  CHECK(server.connections() == 1);
}

TEST_CASE("an answer that says Connection: close is not kept") {
  ScriptedServer server([](int fd, int) {
    write_all(fd, with_length("{}", "Connection: close\r\n"));
    return false;
  });
  HttpClient client(nullptr);
  REQUIRE(post(client, server).ok());
  REQUIRE(post(client, server).ok());
  CHECK(server.connections() == 2);
}

TEST_CASE("an answer without a length ends with its connection") {
  ScriptedServer server([](int fd, int) {
    write_all(fd, "HTTP/1.1 400 Bad Request\r\n\r\nClient sent an HTTP request to an HTTPS server.\n");
    return false;
  });
  HttpClient client(nullptr);
  auto response = post(client, server);
  REQUIRE(response.ok());
  CHECK(response->status == 400);
  CHECK(response->body == "Client sent an HTTP request to an HTTPS server.\n");
}

TEST_CASE("what is not an HTTP answer, or is larger than the bound, is refused") {
  struct Case {
    const char* what;
    std::string answer;
    Errc refused;
  };
  const Case cases[] = {
      {"not HTTP", "SSH-2.0-OpenSSH_9.2\r\n\r\n", Errc::corrupted},
      {"a damaged chunk size", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n",
       Errc::corrupted},
      {"a damaged Content-Length", "HTTP/1.1 200 OK\r\nContent-Length: 12x\r\n\r\n{}", Errc::corrupted},
      {"two lengths", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}", Errc::corrupted},
      {"another transfer coding", "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n{}", Errc::corrupted},
      {"a chunk longer than it says", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\n{}\r\n0\r\n\r\n",
       Errc::corrupted},
      {"more than its response", with_length("{}") + "HTTP/1.1 200 OK\r\n", Errc::corrupted},
      {"larger than the bound", with_length(std::string(kMaxBody + std::size_t{128} * 1024, 'x')),
       Errc::resource_exhausted},
  };
  for (const Case& bad : cases) {
    ScriptedServer server([&bad](int fd, int) {
      write_all(fd, bad.answer);
      return false;
    });
    HttpClient client(nullptr);
    CHECK_MESSAGE(post(client, server).status().code() == bad.refused, bad.what);
  }
}

TEST_CASE("an https endpoint without TLS's settings is refused before connecting") {
  HttpClient client(nullptr);
  const Endpoint endpoint = parse_endpoint("https://127.0.0.1:1").value();
  CHECK(endpoint.tls);
  CHECK(client.post(endpoint, "/v3/kv/range", "{}", kTimeout, kMaxBody).status().code() == Errc::invalid_argument);
}

TEST_CASE("etcd's URLs are http:// or https://, host and port") {
  CHECK_FALSE(parse_endpoint("http://127.0.0.1:2379").value().tls);
  CHECK_FALSE(parse_endpoint("127.0.0.1:2379").value().tls);
  const Endpoint secure = parse_endpoint("https://etcd-1.internal:2379/").value();
  CHECK(secure.tls);
  CHECK(secure.host == "etcd-1.internal");
  CHECK(secure.port == 2379);
  for (const char* bad : {"ftp://127.0.0.1:2379", "https://127.0.0.1", "https://127.0.0.1:0", "http://h:2379/v3",
                          "https://:2379", "http://h:65536", ""})
    CHECK_MESSAGE(parse_endpoint(bad).status().code() == Errc::invalid_argument, bad);
}
