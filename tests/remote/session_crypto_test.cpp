#include <doctest/doctest.h>

#include <vector>

#include "remote/session_crypto.hpp"
#include "remote/tunnel.hpp"

using namespace stronghold;
using namespace stronghold::remote;

namespace {

struct Pair {
  SessionKeys client;
  SessionKeys server;
};

Pair agreed_keys() {
  const KeyExchange client = KeyExchange::make().value();
  const KeyExchange server = KeyExchange::make().value();
  return {client.client_keys(server.public_key()).value(), server.server_keys(client.public_key()).value()};
}

const Bytes kMessage = {'u', 'n', 'l', 'o', 'c', 'k', 0, 1, 2};

}  // namespace

TEST_CASE("what one side of a session seals, the other side opens, in each direction") {
  const Pair keys = agreed_keys();
  const auto to_server = open(keys.server.receive, 0, seal(keys.client.send, 0, kMessage));
  REQUIRE(to_server.ok());
  CHECK(Bytes(to_server->view().begin(), to_server->view().end()) == kMessage);
  const auto to_client = open(keys.client.receive, 7, seal(keys.server.send, 7, kMessage));
  REQUIRE(to_client.ok());
  CHECK(Bytes(to_client->view().begin(), to_client->view().end()) == kMessage);
}

TEST_CASE("a sealed message does not open out of its place, changed, cut, or in the other direction") {
  const Pair keys = agreed_keys();
  std::vector<char> sealed = seal(keys.client.send, 3, kMessage);
  CHECK(open(keys.server.receive, 4, sealed).status().code() == Errc::authentication_failed);  // replayed or lost
  CHECK(open(keys.client.receive, 3, sealed).status().code() == Errc::authentication_failed);  // reflected
  std::vector<char> changed = sealed;
  changed[0] ^= 1;
  CHECK(open(keys.server.receive, 3, changed).status().code() == Errc::authentication_failed);
  CHECK(open(keys.server.receive, 3, std::vector<char>(sealed.begin(), sealed.begin() + 15)).status().code() ==
        Errc::authentication_failed);
  CHECK(open(keys.server.receive, 3, sealed).ok());
}

TEST_CASE("sessions of two key exchanges do not share keys") {
  const Pair first = agreed_keys();
  const Pair second = agreed_keys();
  CHECK(open(second.server.receive, 0, seal(first.client.send, 0, kMessage)).status().code() ==
        Errc::authentication_failed);
}

TEST_CASE("a peer's session key of the wrong size or a weak point is refused") {
  const KeyExchange side = KeyExchange::make().value();
  CHECK(side.client_keys(Bytes(31, 9)).status().code() == Errc::invalid_argument);
  CHECK(side.server_keys(Bytes(33, 9)).status().code() == Errc::invalid_argument);
  CHECK(side.server_keys(Bytes(32, 0)).status().code() == Errc::invalid_argument);  // the identity point
}

TEST_CASE("a node's address is HOST:PORT, and a listening one may take port 0") {
  const auto address = parse_address("node-1.example:7443", false);
  REQUIRE(address.ok());
  CHECK(address->host == "node-1.example");
  CHECK(address->port == 7443);
  CHECK(parse_address("[::1]:9", false)->host == "::1");
  CHECK(parse_address("0.0.0.0:0", true)->port == 0);
  for (const char* bad : {"node", ":80", "node:", "node:0", "node:65536", "node:8x", "a b:1", "node:-1"})
    CHECK_MESSAGE(parse_address(bad, false).status().code() == Errc::invalid_argument, bad);
}

TEST_CASE("TLS files are all required, and must be usable regular files") {
  CHECK(check_tls_files({"", "", ""}).code() == Errc::invalid_argument);
  CHECK(check_tls_files({"/dev/null", "/dev/null", ""}).code() == Errc::invalid_argument);
  const Status device = check_tls_files({"/dev/zero", "/dev/zero", "/dev/zero"});
  CHECK(device.code() == Errc::invalid_argument);
  CHECK(device.message().find("not a regular file") != std::string::npos);
  CHECK(check_tls_files({"/nonexistent/cert.pem", "/nonexistent/key", "/nonexistent/ca"}).code() ==
        Errc::invalid_argument);
}
