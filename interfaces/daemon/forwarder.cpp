#include "forwarder.hpp"

#include <cstdio>

#include "stronghold/actors/wire.hpp"

namespace stronghold::daemon {
namespace {

// Whether `answer`, a peer's answer in its wire form to a signature request of `kind`, is a
// signature rather than an error.
bool is_signature(actors::RequestKind kind, ByteView answer) {
  using enum actors::RequestKind;
  switch (kind) {
    case Sign: return actors::wire::decode_answer<actors::Sign>(answer).ok();
    case SignEcdsa: return actors::wire::decode_answer<actors::SignEcdsa>(answer).ok();
    case SignBatch: return actors::wire::decode_answer<actors::SignBatch>(answer).ok();
    case SignSchnorr: return actors::wire::decode_answer<actors::SignSchnorr>(answer).ok();
    case SignKeccak: return actors::wire::decode_answer<actors::SignKeccak>(answer).ok();
    default: return false;
  }
}

// A session with a peer that says it carries forwarded requests.
Result<wire::Client> open_session(remote::Connector& connector, const remote::Address& peer) {
  SH_ASSIGN_OR_RETURN(wire::Client client, connector.connect(peer));
  SH_RETURN_IF_ERROR(client.call(wire::Op::from_peer, {}).status());
  return client;
}

std::string where(const remote::Address& address) { return address.host + ":" + std::to_string(address.port); }

}  // namespace

bool forwards_kind(actors::RequestKind kind) {
  using enum actors::RequestKind;
  return kind == Sign || kind == SignEcdsa || kind == SignBatch || kind == SignSchnorr || kind == SignKeccak;
}

Result<std::unique_ptr<Forwarder>> Forwarder::start(ForwardOptions options) {
  SH_ASSIGN_OR_RETURN(auto connector, remote::Connector::make(options.tls, kAnswerTimeout));
  return std::make_unique<Forwarder>(std::move(options), std::move(connector));
}

Forwarder::Forwarder(ForwardOptions options, std::unique_ptr<remote::Connector> connector)
    : options_(std::move(options)), connector_(std::move(connector)), reachable_(options_.peers.size()) {
  for (std::size_t peer = 0; peer < options_.peers.size(); ++peer)
    for (std::size_t lane = 0; lane < kLanesPerPeer; ++lane)
      lanes_.emplace_back([this, peer] { run_lane(peer); });
}

Forwarder::~Forwarder() { stop(); }

void Forwarder::stop() {
  std::deque<Task> waiting;
  {
    std::lock_guard guard(mutex_);
    stopping_ = true;
    waiting.swap(tasks_);
  }
  work_.notify_all();
  stopped_.notify_all();
  came_back_ += waiting.size();
  for (Task& task : waiting)
    task.done(std::nullopt);
  for (auto& lane : lanes_)
    if (lane.joinable())
      lane.join();
}

bool Forwarder::offer(wire::Op op, const std::vector<Bytes>& fields, Done done) {
  {
    std::lock_guard guard(mutex_);
    if (stopping_ || tasks_.size() >= idle_)
      return false;
    tasks_.push_back(Task{op, fields, std::move(done)});
  }
  work_.notify_one();
  return true;
}

std::optional<Forwarder::Task> Forwarder::next_task() {
  std::unique_lock lock(mutex_);
  ++idle_;
  work_.wait(lock, [&] { return stopping_ || !tasks_.empty(); });
  --idle_;
  if (stopping_)
    return std::nullopt;
  Task task = std::move(tasks_.front());
  tasks_.pop_front();
  return task;
}

bool Forwarder::pause() {
  std::unique_lock lock(mutex_);
  return !stopped_.wait_for(lock, kRetryDelay, [&] { return stopping_; });
}

bool Forwarder::stopping() {
  std::lock_guard guard(mutex_);
  return stopping_;
}

void Forwarder::report(std::size_t peer, bool reachable, const std::string& why) {
  {
    std::lock_guard guard(mutex_);
    if (reachable_[peer] == reachable)
      return;
    reachable_[peer] = reachable;
  }
  const std::string address = where(options_.peers[peer]);
  if (reachable)
    (void)std::fprintf(stderr,
                       "strongholdd: signing goes to peer %s too while %zu signatures or more are being made here\n",
                       address.c_str(), options_.above);
  else
    (void)std::fprintf(stderr, "strongholdd: peer %s cannot take signing (%s); signing here meanwhile\n",
                       address.c_str(), why.c_str());
}

// Only an answer of the request's shape is taken: a signature per message of a batch, one for a
// single message, an answer of the request's kind for the request op.
std::optional<std::vector<Bytes>> Forwarder::ask(wire::Client& client, std::uint64_t& told, Task& task) const {
  // Read once the task is here: as far as this node had applied when the request came, or further.
  const std::uint64_t applied = options_.journal ? options_.journal->applied() : 0;
  if (applied > told) {
    if (!client.call(wire::Op::from_peer, {wire::u64_field(applied)}).ok())
      return std::nullopt;
    told = applied;
  }
  const std::size_t fields = task.fields.size();
  const auto asked = task.op == wire::Op::request && fields == 1
                         ? actors::wire::message_kind(task.fields[0])
                         : Result<actors::RequestKind>(Status(Errc::invalid_argument, "not a request"));
  auto answer = client.call(task.op, std::move(task.fields));
  if (!answer.ok())
    return std::nullopt;
  switch (task.op) {
    case wire::Op::sign: return answer->size() == 1 ? std::move(answer).value() : std::optional<std::vector<Bytes>>();
    case wire::Op::sign_batch:
      return fields > 0 && answer->size() == fields - 1 ? std::move(answer).value()
                                                        : std::optional<std::vector<Bytes>>();
    case wire::Op::request: {
      if (!asked.ok() || answer->size() != 1)
        return std::nullopt;
      const auto kind = actors::wire::message_kind((*answer)[0]);
      if (!kind.ok() || *kind != *asked || !is_signature(*kind, (*answer)[0]))
        return std::nullopt;
      return std::move(answer).value();
    }
    default: return std::nullopt;
  }
}

void Forwarder::run_lane(std::size_t peer) {
  while (!stopping()) {
    auto connected = open_session(*connector_, options_.peers[peer]);
    if (!connected.ok()) {
      report(peer, false, connected.status().message());
      if (!pause())
        return;
      continue;
    }
    report(peer, true, "");
    std::uint64_t told = 0;
    for (;;) {
      std::optional<Task> task = next_task();
      if (!task)
        return;
      std::optional<std::vector<Bytes>> answer = ask(*connected, told, *task);
      const bool answered = answer.has_value();
      (answered ? forwarded_ : came_back_)++;
      task->done(std::move(answer));
      if (!answered && (stopping() || !connected->call(wire::Op::ping, {}).ok()))
        break;  // the session failed (a peer's error answer leaves it usable)
    }
  }
}

}  // namespace stronghold::daemon
