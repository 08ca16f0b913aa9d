// A blocking client of strongholdd: one connection, one request at a time (the CLI's --socket).
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "protocol.hpp"

namespace stronghold::wire {

inline constexpr std::chrono::seconds kDefaultAnswerTimeout{60};

// What carries a connection's bytes when they do not go straight to a local strongholdd (a
// tunnel to a node of a cluster: remote/tunnel.hpp); it lives as long as the client.
class Carrier {
 public:
  virtual ~Carrier() = default;
};

// A connected socket to the strongholdd at `socket_path`, checked as Client::connect says.
Result<int> connect_trusted(const std::string& socket_path);

class Client {
 public:
  // unavailable when nothing listens there, or when the socket or the process serving it is not
  // one this user may trust (socket_trust.hpp); io_error for other failures. A call whose answer
  // takes longer than `answer_timeout` fails with timeout.
  static Result<Client> connect(const std::string& socket_path,
                                std::chrono::seconds answer_timeout = kDefaultAnswerTimeout);
  // A client speaking through `fd` (one end of a socket pair), whose other end `carrier` takes
  // elsewhere; owns both.
  static Client over(int fd, std::unique_ptr<Carrier> carrier,
                     std::chrono::seconds answer_timeout = kDefaultAnswerTimeout) noexcept;
  Client(Client&& other) noexcept;
  Client& operator=(Client&&) = delete;
  ~Client();

  // Sends one request and waits for its response; a failure status comes back as a Status.
  Result<std::vector<Bytes>> call(Op op, std::vector<Bytes> fields);
  // Sends an engine request in its wire form (the request op) and returns its answer in its wire
  // form, an engine error included; a Status only when it could not be served (locked, busy, a
  // request that does not decode). resource_exhausted, nothing sent, when the request is larger
  // than kMaxWireMessage. The answer may hold a secret: it comes in a wiping buffer.
  Result<runtime::SecretBytes> call(ByteView request);
  // Proves the client identity `name` on this connection (Op::challenge, then Op::prove) with the
  // Ed25519 key of `seed` (32 bytes), whose secret key exists only in guarded scratch memory while
  // it signs. denied when strongholdd does not take the proof.
  Status prove(const std::string& name, ByteView seed);
  // Subscribes this connection to the watch stream (Op::watch) with a queue of `capacity` events
  // in strongholdd, then calls `on_event` for each event as it comes, until it returns false (ok)
  // or the connection ends (unavailable). Waits for events without a deadline.
  Status watch(std::uint32_t capacity, const std::function<bool(const actors::Event&)>& on_event);

 private:
  Client(int fd, std::chrono::seconds answer_timeout) noexcept : fd_(fd), answer_timeout_(answer_timeout) {}
  // Waits until the connection is ready for `events` (poll's), until `deadline`.
  Status wait_for(short events, std::chrono::steady_clock::time_point deadline) const;
  Status send_all(ByteView frame, std::chrono::steady_clock::time_point deadline) const;
  // The next message, which must answer request `id`; waits until `deadline` (max(): for ever).
  Result<std::vector<Bytes>> receive(std::uint64_t id, std::chrono::steady_clock::time_point deadline);
  int fd_ = -1;
  std::unique_ptr<Carrier> carrier_;  // destroyed after fd_ is closed, so its end sees the close
  std::chrono::seconds answer_timeout_;
  std::uint64_t next_id_ = 1;
  FrameReader reader_;  // frames may arrive together: what follows one is kept for the next
};

}  // namespace stronghold::wire
