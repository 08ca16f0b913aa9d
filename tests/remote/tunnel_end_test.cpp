#include <doctest/doctest.h>

#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <optional>
#include <thread>

#include <caf/all.hpp>

#include "remote/tunnel_end.hpp"

using namespace stronghold;
using namespace stronghold::remote;

namespace {

struct Keys {
  SessionKeys near;  // the tunnel end's
  SessionKeys far;   // its peer's, whom the test plays
};

Keys agreed_keys() {
  const KeyExchange client = KeyExchange::make().value();
  const KeyExchange server = KeyExchange::make().value();
  return {server.server_keys(client.public_key()).value(), client.client_keys(server.public_key()).value()};
}

// A tunnel end over one side of a socket pair, its peer a scoped actor of the test, which holds
// the socket pair's other side.
struct Harness {
  caf::actor_system_config config;
  caf::actor_system system{config};
  caf::scoped_actor peer{system};
  int outside = -1;
  Keys keys = agreed_keys();
  std::optional<TunnelEnd> end;
  std::uint64_t opened = 0;  // data messages from the end

  Harness() {
    int fds[2];
    REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) == 0);
    outside = fds[0];
    end.emplace(fds[1], std::move(keys.near), caf::actor(peer), 7, nullptr);
    REQUIRE(end->start().ok());
  }
  ~Harness() {
    end.reset();
    ::close(outside);
  }

  // The plaintext bytes of the end's data messages, until `enough` came (or 20 s passed), then
  // until none came for `quiet`: what it sends past `enough` shows.
  std::size_t received(std::size_t enough, std::chrono::milliseconds quiet) {
    std::size_t bytes = 0;
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    for (bool more = true; more;) {
      const bool waiting = bytes < enough && std::chrono::steady_clock::now() < give_up;
      peer->receive(
          [&](tunnel_data_atom, std::uint64_t session, const std::vector<char>& sealed) {
            CHECK(session == 7);
            const auto plain = open(keys.far.receive, opened++, sealed);
            REQUIRE(plain.ok());
            bytes += plain->size();
          },
          [](tunnel_ack_atom, std::uint64_t, std::uint64_t) {},
          caf::after(waiting ? std::chrono::milliseconds(100) : quiet) >> [&] { more = waiting; });
    }
    return bytes;
  }
};

}  // namespace

TEST_CASE("a tunnel end reads its socket no further than its window ahead of the acknowledgements") {
  Harness harness;
  std::thread writer([&] {  // blocks while the socket is full; ends when the test closes it
    const std::vector<char> block(kChunk, 'x');
    for (std::size_t written = 0; written < 4 * kWindow;) {
      const ssize_t wrote = ::send(harness.outside, block.data(), block.size(), MSG_NOSIGNAL);
      if (wrote <= 0)
        return;
      written += static_cast<std::size_t>(wrote);
    }
  });
  const std::size_t first = harness.received(kWindow, std::chrono::milliseconds(300));
  CHECK(first >= kWindow);
  CHECK(first < kWindow + kChunk);
  REQUIRE(harness.end->acknowledged(first).ok());
  const std::size_t second = harness.received(kWindow, std::chrono::milliseconds(300));
  CHECK(second >= kWindow);
  CHECK(second < kWindow + kChunk);
  ::shutdown(harness.outside, SHUT_RDWR);
  writer.join();
}

TEST_CASE("a tunnel end refuses an acknowledgement of bytes it never sent") {
  Harness harness;
  CHECK(harness.end->acknowledged(1).code() == Errc::invalid_argument);
}

TEST_CASE("a peer that sends past the window while the socket is not read loses its session") {
  Harness harness;
  const Bytes chunk(kChunk, 0x55);
  Status refused;
  for (std::uint64_t i = 0; i < 256 && refused.ok(); ++i)  // 16 MiB: more than the window and any socket buffer
    refused = harness.end->receive(seal(harness.keys.far.send, i, chunk));
  CHECK(refused.code() == Errc::resource_exhausted);
}

TEST_CASE("what the peer sends reaches the socket whole and in order") {
  Harness harness;
  Bytes sent;
  for (std::uint64_t i = 0; i < 40; ++i) {
    const Bytes part(1000 + i, static_cast<std::uint8_t>(i));
    sent.insert(sent.end(), part.begin(), part.end());
    REQUIRE(harness.end->receive(seal(harness.keys.far.send, i, part)).ok());
  }
  Bytes got(sent.size());
  for (std::size_t have = 0; have < got.size();) {
    const ssize_t read = ::recv(harness.outside, got.data() + have, got.size() - have, 0);
    REQUIRE(read > 0);
    have += static_cast<std::size_t>(read);
  }
  CHECK(got == sent);
  CHECK(harness.end->receive(seal(harness.keys.far.send, 41, sent)).code() ==
        Errc::authentication_failed);  // 40 was next
}
