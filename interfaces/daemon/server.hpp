// strongholdd's server: one snapshot served to local clients over a Unix socket.
//
// One thread runs an epoll loop over the listening socket, the connections, a signalfd
// (SIGTERM, SIGINT), a timerfd (the idle lock) and an eventfd (answers coming back). Signing
// goes to the engine's asynchronous API; password KDFs to a thread of their own, other requests
// to a small worker pool, so a slow request never stalls the loop. Connections are bounded, and so
// are the bytes of requests in flight, per connection and in all (server.cpp says how): a client
// that stops reading stops being read, and the others are served meanwhile.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "forwarder.hpp"
#include "stronghold/engine.hpp"
#include "stronghold/runtime/secret_buffer.hpp"

namespace stronghold::daemon {

struct ServerOptions {
  std::string snapshot;
  std::string socket;
  std::chrono::seconds idle_lock{300};  // 0: never lock
  EngineOptions engine;
  ForwardOptions forward;  // peers: signing goes to them too when this node is busy
  // A node's own certificate and the cluster's CA, when it listens (--listen): with them, a node
  // whose file stands before the cluster journal's first entry starts from a live node's copy of
  // the file (image_copy.hpp) rather than not at all.
  remote::TlsFiles tls;
};

// Blocks SIGTERM and SIGINT, so that they reach only the server's signalfd, and ignores SIGPIPE.
// Threads inherit the mask: call it before any thread starts (serve calls it too).
Status prepare_signals();

// Serves until SIGTERM or SIGINT; then makes everything acknowledged durable, removes the socket
// and returns. `password`: unlock at start (none: start locked).
Status serve(const ServerOptions& options, std::optional<runtime::SecretBuffer> password);

}  // namespace stronghold::daemon
