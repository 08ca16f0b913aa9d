// Spreading signing over a cluster: when a node is busy signing, it hands new signature requests
// to other nodes (strongholdd --forward-to), over the same mutual TLS sessions clients use
// (remote/tunnel.hpp), and answers with what the peer answered.
//
// A peer only ever adds capacity: a request it does not answer with a signature (unreachable,
// locked, a key it has not applied yet, any error) comes back to be served here, so a client
// sees the answer this node would have given. Each peer gets kLanesPerPeer sessions, each with
// one request at a time; a request is handed over only to a lane that is idle, so nothing waits
// behind a slow peer. A peer's session first says so (Op::from_peer), and requests that arrive
// that way are never forwarded again: two busy nodes do not pass a request back and forth. The
// session also says how far this node has applied the cluster's journal, again whenever that
// moved, and a peer that has applied less answers an error (the request comes back): a key
// deleted here, or a policy set, is never undone by a peer that has not seen it yet.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "remote/tunnel.hpp"
#include "stronghold/actors/requests.hpp"
#include "stronghold/actors/shared_journal.hpp"
#include "wire/protocol.hpp"

namespace stronghold::daemon {

// The signature requests (of the request op) a node forwards.
bool forwards_kind(actors::RequestKind kind);

struct ForwardOptions {
  std::vector<remote::Address> peers;  // none: nothing is forwarded
  remote::TlsFiles tls;                // this node's own certificate and the cluster's CA
  // Signatures being made here at once from which on new signature requests go to a peer (0:
  // always; a request op's batch counts as one).
  std::size_t above = 256;
  // This node's journal: a peer serves a request only once it has applied as much of it as this
  // node had when the request went (wire::Op::from_peer). Set by the server from its engine's.
  std::shared_ptr<const actors::SharedJournal> journal;
};

class Forwarder {
 public:
  static constexpr std::size_t kLanesPerPeer = 8;
  // How long a peer may take to answer, or to open a session, before the request is served here.
  static constexpr std::chrono::seconds kAnswerTimeout{5};
  // How long a lane waits before it tries an unreachable peer again.
  static constexpr std::chrono::seconds kRetryDelay{1};

  // A peer's answer's fields, or none: the caller serves the request itself. Runs on a lane's
  // thread (or the destructor's).
  using Done = std::function<void(std::optional<std::vector<Bytes>>)>;

  // invalid_argument for TLS files that do not work together.
  static Result<std::unique_ptr<Forwarder>> start(ForwardOptions options);
  Forwarder(ForwardOptions options, std::unique_ptr<remote::Connector> connector);
  // Stops the lanes; requests that waited for a lane get none (they are signed here). A lane
  // waits for the call it is in: kAnswerTimeout for an answer, up to four times that for a
  // session it is opening with a peer that stopped answering. Called again, does nothing.
  void stop();
  ~Forwarder();  // stop()
  Forwarder(const Forwarder&) = delete;
  Forwarder& operator=(const Forwarder&) = delete;

  std::size_t above() const noexcept { return options_.above; }
  // Hands `fields` of a request of `op` (sign, sign_batch, or request holding a signature
  // request of `kind`) to an idle lane; false, nothing taken, when none is idle.
  bool offer(wire::Op op, const std::vector<Bytes>& fields, Done done);

  struct Counts {
    std::uint64_t forwarded = 0;  // answered by a peer
    std::uint64_t came_back = 0;  // handed to a peer, served here
  };
  Counts counts() const noexcept { return {forwarded_.load(), came_back_.load()}; }

 private:
  struct Task {
    wire::Op op;
    std::vector<Bytes> fields;
    Done done;
  };
  void run_lane(std::size_t peer);
  // Waits for the next task; none when stopping.
  std::optional<Task> next_task();
  // What the peer answered with a signature, or none. `told` is how far this node had applied
  // the journal when the session last said so.
  std::optional<std::vector<Bytes>> ask(wire::Client& client, std::uint64_t& told, Task& task) const;
  // Says on stderr when a peer becomes reachable or unreachable.
  void report(std::size_t peer, bool reachable, const std::string& why);
  // Sleeps kRetryDelay or until stopping; false when stopping.
  bool pause();
  bool stopping();

  const ForwardOptions options_;
  const std::unique_ptr<remote::Connector> connector_;  // the lanes' sessions share its actor system
  std::atomic<std::uint64_t> forwarded_{0}, came_back_{0};
  std::mutex mutex_;                 // guards what follows
  std::condition_variable work_;     // a task, or stopping: for lanes waiting for a task
  std::condition_variable stopped_;  // for lanes waiting to try a peer again
  std::deque<Task> tasks_;
  std::size_t idle_ = 0;                        // lanes with a session, waiting for a task
  std::vector<std::optional<bool>> reachable_;  // per peer: as last reported
  bool stopping_ = false;
  std::vector<std::thread> lanes_;
};

}  // namespace stronghold::daemon
