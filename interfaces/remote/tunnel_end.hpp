// One end of a tunnel session: moves bytes between a local stream socket and the actor at the
// session's other end, sealed (session_crypto.hpp). On a node, the local socket is a connection
// to the node's own strongholdd; on a client, one end of a socket pair whose other end the
// wire::Client speaks through.
//
// The messages between the two ends of session S, in order on one connection (CAF keeps the
// order of messages between two actors):
//   (tunnel_data, S, sealed bytes)   what one end read from its socket
//   (tunnel_ack, S, count)           how many bytes of data the other end has written to its own
//   (tunnel_close, S)                the sender's end stopped
// Flow control: an end stops reading its socket while kWindow bytes it sent are not
// acknowledged, and closes a session whose peer sends beyond that (kMaxPending waiting), so
// neither end's memory grows without bound.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include <caf/actor.hpp>
#include <caf/atom.hpp>

#include "session_crypto.hpp"

namespace stronghold::remote {

using tunnel_open_atom = caf::atom_constant<caf::atom("tun_open")>;
using tunnel_data_atom = caf::atom_constant<caf::atom("tun_data")>;
using tunnel_ack_atom = caf::atom_constant<caf::atom("tun_ack")>;
using tunnel_close_atom = caf::atom_constant<caf::atom("tun_close")>;

inline constexpr std::size_t kChunk = std::size_t{64} << 10;
inline constexpr std::size_t kWindow = std::size_t{1} << 20;
inline constexpr std::size_t kMaxPending = kWindow + kChunk;

class TunnelEnd {
 public:
  // Owns `fd` from here on. `on_end` runs on the end's thread when it stops by itself (its socket
  // closed or failed), after it told the peer.
  TunnelEnd(int fd, SessionKeys keys, caf::actor peer, std::uint64_t session, std::function<void()> on_end);
  ~TunnelEnd();  // close(), then waits for the thread
  TunnelEnd(const TunnelEnd&) = delete;
  TunnelEnd& operator=(const TunnelEnd&) = delete;

  Status start();
  const caf::actor& peer() const noexcept { return peer_; }
  // What the peer sent, in order: authentication_failed (a message changed, lost or replayed) or
  // resource_exhausted (beyond the window); the caller then ends the session.
  Status receive(const std::vector<char>& sealed);
  // invalid_argument when the peer acknowledges more than it was sent; the caller then ends the
  // session.
  Status acknowledged(std::uint64_t count);
  // Stops the thread without telling the peer, after writing what the socket takes at once of what
  // the peer sent, and shuts the socket down, so that whoever reads its other end sees it end.
  void close();

 private:
  void run();
  // Writes what it can of pending_; false when the socket failed.
  bool flush();
  void wake() const;

  const int fd_;
  int wake_ = -1;  // an eventfd: receive, acknowledged and close wake the thread with it
  SessionKeys keys_;
  const caf::actor peer_;
  const std::uint64_t session_;
  std::function<void()> on_end_;
  std::uint64_t sent_ = 0;      // messages sealed: the next one's nonce (the thread's)
  std::uint64_t received_ = 0;  // messages opened (the caller of receive's)

  std::mutex mutex_;  // guards what follows
  std::deque<runtime::SecretBytes> pending_;
  std::size_t pending_offset_ = 0;  // into pending_.front()
  std::size_t pending_bytes_ = 0;
  std::size_t unacknowledged_ = 0;
  bool closing_ = false;

  std::thread thread_;
};

}  // namespace stronghold::remote
