// strongholdd over the network: a node of a cluster listens on a TCP port with mutual TLS (CAF's
// OpenSSL module), and each session a client opens there is a connection to the node's own
// Unix socket. Everything the socket serves, the port serves, under the same bounds: requests,
// lock and unlock, client identities, the watch stream.
//
// Who may connect: whoever holds a certificate that the cluster's CA signed (tls_files.hpp), and
// nobody else; such a peer is the snapshot's owner, unless it proves a client identity.
// The actor framework is kept out of this header.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "tls_files.hpp"
#include "wire/client.hpp"

namespace stronghold::remote {

struct Address {
  std::string host;
  std::uint16_t port = 0;
};
// HOST:PORT (a port from 0 to 65535 when `any_port`, else 1 to 65535), or invalid_argument.
Result<Address> parse_address(std::string_view text, bool any_port);

struct ListenOptions {
  Address address;     // where to listen; port 0: any free port
  TlsFiles tls;        // checked by Listener::start
  std::string socket;  // the node's own strongholdd socket: each session connects to it
  std::size_t max_sessions = 64;
};

class Listener {
 public:
  // invalid_argument for TLS files that do not work together; unavailable when the port cannot
  // be bound. Sessions are served until the listener is destroyed.
  static Result<std::unique_ptr<Listener>> start(const ListenOptions& options);
  virtual ~Listener() = default;
  virtual std::uint16_t port() const = 0;
};

struct RemoteOptions {
  Address node;
  TlsFiles tls;
  std::chrono::seconds connect_timeout{10};
};

// A client of the node's strongholdd, as Client::connect gives for a local socket. unavailable
// when the node cannot be reached, refuses this side's certificate, or refuses the session.
Result<wire::Client> connect(const RemoteOptions& options, std::chrono::seconds answer_timeout);

// Opens sessions as connect() does, all through one actor system: its threads, and the one TLS
// connection CAF keeps with each node, are shared by the sessions (strongholdd's forwarder opens
// several with each peer, on a core that is busy signing). Its clients may outlive it.
class Connector {
 public:
  // invalid_argument for TLS files that do not work together. `timeout` bounds both reaching a
  // node and each answer of its clients.
  static Result<std::unique_ptr<Connector>> make(const TlsFiles& tls, std::chrono::seconds timeout);
  virtual ~Connector() = default;
  virtual Result<wire::Client> connect(const Address& node) = 0;
};

}  // namespace stronghold::remote
