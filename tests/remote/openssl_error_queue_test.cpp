#include <doctest/doctest.h>

#include <sys/socket.h>
#include <unistd.h>

#include <memory>
#include <vector>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "remote/openssl_error_queue.hpp"

using namespace stronghold;

namespace {

using Context = std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)>;
using Connection = std::unique_ptr<SSL, decltype(&SSL_free)>;

// Anonymous TLS 1.2, so that the test needs no certificate: what it checks is how a call that
// waits is reported, which does not depend on authentication.
Context anonymous_context(const SSL_METHOD* method) {
  Context context(SSL_CTX_new(method), SSL_CTX_free);
  REQUIRE(context);
  REQUIRE(SSL_CTX_set_max_proto_version(context.get(), TLS1_2_VERSION) == 1);
  REQUIRE(SSL_CTX_set_cipher_list(context.get(), "AECDH-AES256-SHA@SECLEVEL=0") == 1);
  return context;
}

// A client and a server over a non-blocking socket pair; nothing moves unless a test calls.
struct Pair {
  int fds[2] = {-1, -1};
  Context client_context = anonymous_context(TLS_client_method());
  Context server_context = anonymous_context(TLS_server_method());
  Connection client{nullptr, SSL_free};
  Connection server{nullptr, SSL_free};
  Pair() {
    REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds) == 0);
    client.reset(SSL_new(client_context.get()));
    server.reset(SSL_new(server_context.get()));
    REQUIRE((client && server));
    REQUIRE(SSL_set_fd(client.get(), fds[0]) == 1);
    REQUIRE(SSL_set_fd(server.get(), fds[1]) == 1);
    SSL_set_connect_state(client.get());
    SSL_set_accept_state(server.get());
  }
  Pair(const Pair&) = delete;
  Pair& operator=(const Pair&) = delete;
  ~Pair() {
    ::close(fds[0]);
    ::close(fds[1]);
  }
  void handshake() {
    for (int turn = 0; turn < 10; ++turn) {
      const int connected = SSL_connect(client.get());
      const int accepted = SSL_accept(server.get());
      if (connected == 1 && accepted == 1)
        return;
    }
    FAIL("the handshake did not finish");
  }
};

// What another connection's failure leaves on the thread when nobody takes it off the queue.
void leave_an_error_in_the_queue() {
  ERR_raise(ERR_LIB_SSL, SSL_R_UNEXPECTED_EOF_WHILE_READING);
  REQUIRE(ERR_peek_error() != 0);
}

}  // namespace

TEST_CASE("the program's own SSL functions are the ones a library's calls reach") {
  CHECK(remote::check_openssl_error_queue_guard().ok());
}

TEST_CASE("a read that waits is reported as waiting, whatever another connection left in the queue") {
  Pair pair;
  pair.handshake();
  leave_an_error_in_the_queue();
  char buffer[16];
  const int read = SSL_read(pair.server.get(), buffer, sizeof buffer);
  CHECK(read <= 0);
  CHECK(SSL_get_error(pair.server.get(), read) == SSL_ERROR_WANT_READ);
}

TEST_CASE("a write that waits is reported as waiting, whatever another connection left in the queue") {
  Pair pair;
  pair.handshake();
  const std::vector<char> chunk(16384, 'x');
  int written = 1;
  for (int round = 0; round < 10000 && written > 0; ++round)  // until the socket's buffer is full
    written = SSL_write(pair.server.get(), chunk.data(), static_cast<int>(chunk.size()));
  REQUIRE(written <= 0);
  leave_an_error_in_the_queue();
  written = SSL_write(pair.server.get(), chunk.data(), static_cast<int>(chunk.size()));
  CHECK(written <= 0);
  CHECK(SSL_get_error(pair.server.get(), written) == SSL_ERROR_WANT_WRITE);
}
