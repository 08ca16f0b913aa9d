#include "server.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <unistd.h>

#include <sodium.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstring>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <utility>

#include "image_copy.hpp"
#include "socket_claim.hpp"
#include "stronghold/actors/wire.hpp"
#include "stronghold/runtime/random.hpp"
#include "wire/protocol.hpp"
#include "wire/socket_trust.hpp"
#include "workers.hpp"

namespace stronghold::daemon {
namespace {

using wire::FrameReader;
using wire::kMaxFrame;
using wire::kMaxWireMessage;
using wire::Message;
using wire::Op;

// Bounds that keep a flood of connections or requests from exhausting the daemon's descriptors,
// memory or threads. At kMaxConnections, or when the process runs out of descriptors, the
// connection idle the longest is closed to make room, else the new one is.
constexpr std::size_t kMaxConnections = 256;
// A request is charged its size, at least kMinCharge (its bookkeeping), and one whose answer may
// be long at least a frame (what its answer may take), until it is answered. A connection is read while its own
// requests in flight are charged less than kMaxConnectionCharge, all connections' less than
// kMaxCharge, and it has less than kMaxOutbox bytes of answers unsent.
constexpr std::size_t kMinCharge = 1 << 10;
constexpr std::size_t kMaxConnectionCharge = 4 << 20;
constexpr std::size_t kMaxCharge = 64 << 20;
constexpr std::size_t kMaxOutbox = 1 << 20;
constexpr std::size_t kWorkers = 2;  // for requests that block (key generation waits for its journal sync)
// Password KDFs (unlock, and engine requests that stretch a password) run one at a
// time on a thread of their own, so that they never hold up other requests; beyond these many
// waiting, busy.
constexpr std::size_t kMaxKdfWaiting = 4;
// A request op's request and answer both fit the codec's bound: a frame is the tighter one.
static_assert(kMaxWireMessage <= actors::wire::kMaxMessage);

using Clock = std::chrono::steady_clock;

// A request being served: where its answer goes, and what it is charged until then.
struct Ticket {
  std::uint64_t connection = 0;
  std::uint64_t id = 0;  // the request's (0 when it could not be read)
  std::size_t charge = 0;
};

// A request on its way to its handler, with what its route asked for.
struct Call {
  Ticket ticket;
  Message request;
  std::shared_ptr<Engine> engine;  // when the route needs the engine
  vault::Location location;        // when the route needs a location (the request's first field)
  vault::Caller caller;            // the connection's peer: policies name it
  bool from_peer = false;          // the connection's (Connection::from_peer)
  std::uint64_t fence = 0;         // the connection's (Connection::fence)
};

// A challenge issued on a connection (Op::challenge) and not yet answered: single-use.
struct Challenge {
  std::string name;
  Bytes nonce;
};

struct Connection {
  int fd = -1;
  FrameReader reader;
  runtime::SecretBytes outbox;  // answers may hold secrets: wiped as it grows and once sent
  std::size_t sent = 0;         // of outbox
  std::size_t charged = 0;      // for its requests in flight
  Clock::time_point last_read = Clock::now();
  vault::Caller caller;  // "uid:N" of the peer process, and the client identity it proved
  std::optional<Challenge> challenge;
  unsigned failed_proofs = 0;
  // The watch stream (Op::watch): the connection's queue in the hub and the id its events carry.
  std::shared_ptr<actors::EventHub::Subscription> watching;
  std::uint64_t watch_id = 0;
  bool closing = false;     // closed once its answers are sent (too many failed proofs)
  bool from_peer = false;   // another node forwards its requests here (Op::from_peer): never forwarded on
  std::uint64_t fence = 0;  // how far that node had applied the cluster's journal (Op::from_peer)
  bool reading = true;
  bool writing = false;
  // No request in flight and no answer unsent: closing it to make room loses no answer (a frame
  // half sent, stalled or not, is lost: the longest idle goes first).
  bool idle() const noexcept { return charged == 0 && sent == outbox.size(); }
};

class Server;

// How one op is served: a row of Server::route's table. The dispatcher checks what the row
// needs before the handler runs, and runs it where the row says; the handler answers its ticket
// with reply, at once or from the thread it hands its work to.
struct Route {
  enum class Needs : std::uint8_t { nothing, engine, location };  // location: the engine too
  // loop: the handler does not block (it answers at once or hands its work to the engine's
  // asynchronous API or a thread of its choosing); workers: it may block, so it runs on the pool.
  enum class Where : std::uint8_t { loop, workers };
  Op op;
  Needs needs;
  Where where;
  bool long_answer;  // its answer may fill a frame: charged that much while in flight
  void (Server::*handler)(Call& call);
};

class Server {
 public:
  explicit Server(const ServerOptions& options) : options_(options) {}
  ~Server();
  Status start(std::optional<runtime::SecretBuffer> password);
  Status run();
  // The row of `op`, or null for an op the table lacks.
  static const Route* route(Op op);

 private:
  // What an answer changes on its connection, applied on the loop before it is queued.
  using Effect = std::function<void(Connection&)>;
  // Answers from any thread reach the loop through this queue and the eventfd.
  void complete(const Ticket& ticket, Message answer, Effect effect = {});
  // The one way a request is answered: a success's fields (none for a Status, one for a value)
  // or a failure's status and message.
  void reply(const Ticket& ticket, Result<std::vector<Bytes>> fields);
  void reply(const Ticket& ticket, const Status& status);
  void reply(const Ticket& ticket, Result<Bytes> field);
  void drain_completions();
  void accept_all();
  void admit(int fd);
  bool evict_idle();
  bool refuse_pending();
  void rest_listener(bool resting);
  void on_readable(std::uint64_t id, bool hung_up);
  void on_writable(std::uint64_t id);
  void handle(const Ticket& ticket, Message request);
  // One handler per op (see route).
  void handle_ping(Call& call);
  void handle_unlock(Call& call);
  void handle_lock(Call& call);
  void handle_generate(Call& call);
  void handle_public_key(Call& call);
  void handle_sign(Call& call);
  void handle_sign_batch(Call& call);
  void sign_here(Call& call);
  void sign_batch_here(Call& call);
  void handle_remove(Call& call);
  void handle_sync(Call& call);
  void handle_retired_command(Call& call);
  void handle_request(Call& call);
  void request_here(Call& call);
  void handle_challenge(Call& call);
  void handle_prove(Call& call);
  void handle_watch(Call& call);
  void handle_from_peer(Call& call);
  void handle_image(Call& call);
  // unavailable when `call` came from a node that had applied more of the cluster's journal than
  // this one has: its answer could miss a change that node had (a key deleted there).
  Status check_fence(const Call& call) const;
  // Hands a signature request to a peer (forwarder.hpp) when this node signs more than
  // --forward-above messages already, and the request may go: no client identity asked it (its
  // policies and rate limits are counted where it connected) and no peer sent it. `here` serves
  // it when the peer does not answer with a signature. False, `call` untouched, when it stays.
  bool forward(Call& call, void (Server::*here)(Call&));
  // Moves a watching connection's queued events into its outbox while it has room; false when
  // none moved.
  bool feed_watcher(Connection& connection);
  // Wakes the loop (drain_completions) from any thread.
  void wake();
  // Tells watchers of something strongholdd saw itself (a wrong password, a refused proof).
  void announce(actors::EventType type, const vault::Caller& caller, std::string kind, std::string detail);
  // Answers a proof: the connection is the client `name`, or (an empty name) denied with `why`.
  void proved(const Ticket& ticket, const std::string& name, const std::string& why);
  // Runs `task` on the KDF thread, or answers busy when too many wait already.
  void post_kdf(const Ticket& ticket, std::function<void()> task);
  void close_connection(std::uint64_t id);
  bool may_read(const Connection& connection) const;
  void update_interest(std::uint64_t id);
  void lock_engine();
  // Opens the engine with `password`, or checks it when the engine is open; `caller` asked.
  Status unlock_engine(ByteView password, const vault::Caller& caller);
  // For a node whose file stands before the cluster journal's first entry (`behind`, from the
  // engine's open): takes a live node's copy of the file (image_copy.hpp) and opens that, or puts
  // the file back as it was.
  Result<std::unique_ptr<Engine>> open_from_peer(ByteView password, const Status& behind);
  std::shared_ptr<Engine> engine();

  ServerOptions options_;
  int epoll_ = -1, listener_ = -1, signals_ = -1, timer_ = -1, wakeup_ = -1;
  int spare_ = -1;  // given up for a moment to turn a connection away when no descriptor is left
  bool listener_resting_ = false;
  std::map<std::uint64_t, Connection> connections_;
  std::uint64_t next_connection_ = 1;
  std::size_t charged_ = 0;  // for all requests in flight, of connections open or gone
  std::mutex completions_mutex_;
  struct Completion {
    Ticket ticket;
    Message answer;
    Effect effect;
  };
  std::vector<Completion> completions_;
  std::mutex engine_mutex_;
  std::shared_ptr<Engine> engine_;  // null while locked
  std::string snapshot_file_;       // options_.snapshot with its symbolic links resolved at start (Op::image)
  std::chrono::steady_clock::time_point last_request_ = std::chrono::steady_clock::now();
  std::unique_ptr<Workers> workers_ = std::make_unique<Workers>(kWorkers);
  std::unique_ptr<Forwarder> forwarder_;  // with --forward-to
  std::atomic<std::size_t> signing_{0};   // messages being signed here
  std::unique_ptr<Workers> kdf_workers_ = std::make_unique<Workers>(1, kMaxKdfWaiting);
  // The watch stream's hub: the engine publishes to it (options_.engine.actors.events), and so
  // does the server; it outlives every engine the server opens.
  std::shared_ptr<actors::EventHub> events_ = std::make_shared<actors::EventHub>();
};

const sigset_t& stop_signals() {
  static const sigset_t set = [] {
    sigset_t made;
    sigemptyset(&made);
    sigaddset(&made, SIGTERM);
    sigaddset(&made, SIGINT);
    return made;
  }();
  return set;
}

Message failure(std::uint64_t id, const Status& status) {
  const std::string& text = status.message();
  return Message{id, static_cast<std::uint8_t>(status.code()), {Bytes(text.begin(), text.end())}};
}

Status system_error(const char* what) { return error(Errc::io_error, "{}: {}", what, errno_text(errno)); }

// The request kinds whose answers are a few hundred bytes at most (a key, a signature, a tag, a
// mnemonic, a location, done or not; an error's message, at most 4 KiB) and whose work is small:
// charged like any small request rather than the frame a listing, an export or a batch may fill,
// so that a connection keeps thousands of signature requests in flight, not four. gc and sync are
// not among them: each compacts or syncs the whole file, so they keep the frame's charge, which
// bounds how many wait.
bool has_short_answer(actors::RequestKind kind) {
  using enum actors::RequestKind;
  static constexpr actors::RequestKind kShort[] = {
      GenerateKey,     ImportKey,      PublicKey,      DeleteKey,    DeriveKey,    Sign,           SignEcdsa,
      PutSecret,       ChangePassword, CheckPassword,  ExpireKey,    SignSchnorr,  NodePublicKey,  GenerateMnemonic,
      RecoverMnemonic, AgreeKey,       Hmac,           Hkdf,         Pbkdf2,       DeleteSecret,   DidCreate,
      DidExists,       DidPurge,       DidKeyGenerate, DidKeyInsert, DidKeyPublic, DidKeyDelete,   DidKeyExists,
      DidValueSet,     ClientAdd,      ClientRemove,   SetAuditMode, ApproverAdd,  ApproverRemove, SetApprovalRule,
      SignKeccak,      EvmAddress,     CompareRecord,  ConcatKdf,    WrapKey,      UnwrapKey,      GenerateSeed};
  return std::find(std::begin(kShort), std::end(kShort), kind) != std::end(kShort);
}

// Whether `request`'s answer may fill a frame.
bool may_answer_long(const Message& request) {
  const Route* const route = Server::route(static_cast<Op>(request.code));
  if (route == nullptr || !route->long_answer)
    return false;
  if (static_cast<Op>(request.code) != Op::request || request.fields.size() != 1)
    return true;
  const auto kind = actors::wire::message_kind(request.fields[0]);
  return !kind.ok() || !has_short_answer(*kind);
}

// What a request of `size` bytes is charged while it is in flight.
std::size_t charge_for(std::size_t size, const Result<Message>& request) {
  const bool long_answer = request.ok() && may_answer_long(*request);
  return std::max({size, kMinCharge, long_answer ? kMaxFrame : 0});
}

Server::~Server() {
  forwarder_.reset();  // its lanes may still serve requests here
  workers_.reset();    // finishes the tasks that still hold the engine
  kdf_workers_.reset();
  for (auto& [id, connection] : connections_)
    ::close(connection.fd);
  for (const int fd : {epoll_, listener_, signals_, timer_, wakeup_, spare_})
    if (fd >= 0)
      ::close(fd);
}

Status Server::start(std::optional<runtime::SecretBuffer> password) {
  options_.engine.actors.events = events_;
  // Resolved once: a link put at the path later does not make Op::image serve another file.
  auto resolved = snapshot::posix_file_system().resolve(options_.snapshot);
  snapshot_file_ = resolved.ok() ? *resolved : options_.snapshot;
  if (password) {
    auto view = password->read();
    SH_RETURN_IF_ERROR(unlock_engine(view.bytes(), vault::Caller{}));
  }
  SH_ASSIGN_OR_RETURN(const sockaddr_un address, wire::socket_address(options_.socket));
  SH_RETURN_IF_ERROR(claim_socket_path(options_.socket, options_.snapshot));
  listener_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (listener_ < 0)
    return system_error("socket");
  const mode_t saved = ::umask(0177);  // created 0600: only this user may connect
  const int bound = ::bind(listener_, reinterpret_cast<const sockaddr*>(&address), sizeof address);
  ::umask(saved);
  if (bound != 0)
    return system_error("bind");
  if (::listen(listener_, 512) != 0)
    return system_error("listen");
  spare_ = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (!options_.forward.peers.empty()) {
    options_.forward.journal = options_.engine.actors.shared_journal;
    SH_ASSIGN_OR_RETURN(forwarder_, Forwarder::start(options_.forward));
  }

  signals_ = ::signalfd(-1, &stop_signals(), SFD_NONBLOCK | SFD_CLOEXEC);
  timer_ = ::timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  wakeup_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  epoll_ = ::epoll_create1(EPOLL_CLOEXEC);
  if (signals_ < 0 || timer_ < 0 || wakeup_ < 0 || epoll_ < 0)
    return system_error("event setup");
  const itimerspec every_second{{1, 0}, {1, 0}};
  ::timerfd_settime(timer_, 0, &every_second, nullptr);
  for (const int fd : {listener_, signals_, timer_, wakeup_}) {
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.u64 = static_cast<std::uint64_t>(fd) << 32;  // high half: a control fd
    if (::epoll_ctl(epoll_, EPOLL_CTL_ADD, fd, &event) != 0)
      return system_error("epoll_ctl");
  }
  return {};
}

std::shared_ptr<Engine> Server::engine() {
  std::lock_guard guard(engine_mutex_);
  return engine_;
}

void Server::lock_engine() {
  std::shared_ptr<Engine> engine;
  {
    std::lock_guard guard(engine_mutex_);
    engine = std::move(engine_);
  }
  // Requests still running hold their own reference; the last one closes the engine, which
  // stops its actors and drops every key from memory.
}

Status Server::unlock_engine(ByteView password, const vault::Caller& caller) {
  if (const auto open = engine()) {
    // Already unlocked: the answer still tells a wrong password (and the engine tells watchers).
    SH_ASSIGN_OR_RETURN(actors::Secret sealed, actors::Secret::seal(password));
    return open->call(actors::CheckPassword{std::move(sealed)}, caller).status();
  }
  auto opened = Engine::open(options_.snapshot, password, options_.engine);
  if (opened.code() == Errc::expired && !options_.tls.ca.empty())
    opened = open_from_peer(password, opened.status());
  if (!opened.ok()) {
    if (opened.code() == Errc::wrong_password)
      announce(actors::EventType::unlock_failed, caller, "unlock", opened.status().message());
    return opened.status();
  }
  std::lock_guard guard(engine_mutex_);
  if (!engine_)
    engine_ = std::move(*opened);
  return {};
}

Result<std::unique_ptr<Engine>> Server::open_from_peer(ByteView password, const Status& behind) {
  (void)std::fprintf(stderr, "strongholdd: %s; copying a live node's file instead\n", behind.message().c_str());
  const ImageFetchOptions fetch{
      options_.snapshot, options_.tls, options_.engine.actors.shared_journal.get(),
      options_.engine.file_system != nullptr ? options_.engine.file_system : &snapshot::posix_file_system(),
      options_.engine.snapshot.max_file_size};
  std::unique_ptr<Engine> engine;
  auto fetched = fetch_image(fetch, [&]() -> Status {
    SH_ASSIGN_OR_RETURN(engine, Engine::open(options_.snapshot, password, options_.engine));
    return {};
  });
  if (!fetched.ok())
    return Status(behind.code(), behind.message() + "; " + fetched.status().message());
  (void)std::fprintf(stderr,
                     "strongholdd: started from node %s's copy of the file; this node's file as it was is kept at %s\n",
                     fetched->node.c_str(), fetched->kept.c_str());
  return engine;
}

Status Server::run() {
  bool stopping = false;
  epoll_event events[64];
  while (!stopping) {
    const int ready = ::epoll_wait(epoll_, events, 64, -1);
    if (ready < 0 && errno == EINTR)
      continue;
    if (ready < 0)
      return system_error("epoll_wait");
    for (int i = 0; i < ready; ++i) {
      const std::uint64_t tag = events[i].data.u64;
      const int control = static_cast<int>(tag >> 32);
      if (control == listener_) {
        accept_all();
      } else if (control == signals_) {
        signalfd_siginfo info;
        while (::read(signals_, &info, sizeof info) == sizeof info)
          stopping = true;
      } else if (control == timer_) {
        std::uint64_t expirations;
        [[maybe_unused]] const auto got = ::read(timer_, &expirations, sizeof expirations);
        if (options_.idle_lock.count() > 0 && std::chrono::steady_clock::now() - last_request_ > options_.idle_lock)
          lock_engine();
        if (listener_resting_)
          rest_listener(false);
      } else if (control == wakeup_) {
        std::uint64_t count;
        [[maybe_unused]] const auto got = ::read(wakeup_, &count, sizeof count);
        drain_completions();
      } else {
        // A connection may have been closed by an earlier event of this batch.
        if (connections_.contains(tag) && (events[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
          on_readable(tag, (events[i].events & (EPOLLHUP | EPOLLERR)) != 0);
        if (connections_.contains(tag) && (events[i].events & EPOLLOUT))
          on_writable(tag);
      }
    }
  }
  // Shutdown: no new connections; everything acknowledged is durable once the engine closes.
  ::close(listener_);
  listener_ = -1;
  ::unlink(options_.socket.c_str());
  if (forwarder_) {
    forwarder_->stop();  // serves here what waited for a peer
    const Forwarder::Counts counts = forwarder_->counts();
    forwarder_.reset();
    (void)std::fprintf(stderr, "strongholdd: %llu signature requests went to peers; %llu came back to be signed here\n",
                       static_cast<unsigned long long>(counts.forwarded),
                       static_cast<unsigned long long>(counts.came_back));
  }
  workers_.reset();
  kdf_workers_.reset();
  std::shared_ptr<Engine> engine;
  {
    std::lock_guard guard(engine_mutex_);
    engine = std::move(engine_);
  }
  if (engine) {
    Status synced = engine->sync();
    engine->close();
    return synced;
  }
  return {};
}

void Server::accept_all() {
  for (;;) {
    if (connections_.size() >= kMaxConnections && !evict_idle()) {
      if (!refuse_pending())
        return;
      continue;
    }
    const int fd = ::accept4(listener_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd >= 0) {
      admit(fd);
      continue;
    }
    if (errno == EINTR || errno == ECONNABORTED)
      continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK)
      return;
    // Out of descriptors (or memory): the epoll loop is level-triggered, so the pending
    // connection must be taken now or it is reported again at once.
    if (!evict_idle() && !refuse_pending())
      return;
  }
}

void Server::admit(int fd) {
  const auto peer = wire::peer_credentials(fd);
  if (!peer.ok() || peer->uid != ::geteuid()) {
    ::close(fd);  // another user: no answer at all
    return;
  }
  const std::uint64_t id = next_connection_++;
  connections_[id].fd = fd;
  connections_[id].caller.name = fmt::format("uid:{}", peer->uid);
  epoll_event event{};
  event.events = EPOLLIN;
  event.data.u64 = id;
  if (::epoll_ctl(epoll_, EPOLL_CTL_ADD, fd, &event) != 0)
    close_connection(id);
}

// Closes the connection idle the longest, to make room for a new one; false when none is idle.
bool Server::evict_idle() {
  auto oldest = connections_.end();
  for (auto it = connections_.begin(); it != connections_.end(); ++it)
    if (it->second.idle() && (oldest == connections_.end() || it->second.last_read < oldest->second.last_read))
      oldest = it;
  if (oldest == connections_.end())
    return false;
  close_connection(oldest->first);
  return true;
}

// Accepts the oldest pending connection and hangs up on it, giving up the spare descriptor for a
// moment when none is left. False when none is pending, or when even that failed: then the
// listener rests until the next timer tick.
bool Server::refuse_pending() {
  int fd = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
  int failed = fd < 0 ? errno : 0;
  if ((failed == EMFILE || failed == ENFILE) && spare_ >= 0) {
    ::close(spare_);
    fd = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
    failed = fd < 0 ? errno : 0;
    spare_ = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  }
  if (fd >= 0)
    ::close(fd);
  if (fd >= 0 || failed == EINTR || failed == ECONNABORTED)
    return true;
  if (failed != EAGAIN && failed != EWOULDBLOCK)
    rest_listener(true);
  return false;
}

void Server::rest_listener(bool resting) {
  epoll_event event{};
  event.events = resting ? 0u : static_cast<std::uint32_t>(EPOLLIN);
  event.data.u64 = static_cast<std::uint64_t>(listener_) << 32;
  ::epoll_ctl(epoll_, EPOLL_CTL_MOD, listener_, &event);
  listener_resting_ = resting;
}

void Server::close_connection(std::uint64_t id) {
  const auto found = connections_.find(id);
  if (found == connections_.end())
    return;
  ::close(found->second.fd);  // also leaves the epoll set
  connections_.erase(found);
}

bool Server::may_read(const Connection& connection) const {
  return !connection.closing && connection.charged < kMaxConnectionCharge && charged_ < kMaxCharge &&
         connection.outbox.size() - connection.sent < kMaxOutbox;
}

void Server::update_interest(std::uint64_t id) {
  Connection& connection = connections_.at(id);
  const bool read = may_read(connection);
  const bool write = connection.sent < connection.outbox.size();
  if (read == connection.reading && write == connection.writing)
    return;
  connection.reading = read;
  connection.writing = write;
  epoll_event event{};
  event.events = (read ? EPOLLIN : 0u) | (write ? EPOLLOUT : 0u);
  event.data.u64 = id;
  ::epoll_ctl(epoll_, EPOLL_CTL_MOD, connection.fd, &event);
}

void Server::on_readable(std::uint64_t id, bool hung_up) {
  Connection& connection = connections_.at(id);
  if (!may_read(connection)) {
    // Over the daemon-wide charge since its interest was last set: it waits (unless its peer left).
    if (hung_up)
      close_connection(id);
    else
      update_interest(id);
    return;
  }
  connection.last_read = Clock::now();
  std::uint8_t buffer[64 * 1024];
  const ssize_t got = ::recv(connection.fd, buffer, sizeof buffer, 0);
  if (got == 0 || (got < 0 && errno != EAGAIN && errno != EINTR)) {
    close_connection(id);  // answers still in flight are dropped when they arrive
    return;
  }
  if (got < 0)
    return;
  if (const Status fed = connection.reader.feed(ByteView(buffer, static_cast<std::size_t>(got))); !fed.ok()) {
    // An oversized or empty frame: say why, then hang up (the stream cannot be resynchronised).
    const runtime::SecretBytes frame = wire::encode_frame(failure(0, fed));
    [[maybe_unused]] const auto sent = ::send(connection.fd, frame.data(), frame.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    close_connection(id);
    return;
  }
  sodium_memzero(buffer, static_cast<std::size_t>(got));
  runtime::SecretBytes body;
  while (connections_.contains(id) && connections_.at(id).reader.next(body)) {
    auto request = wire::decode_body(body.view(), true);
    const Ticket ticket{id, request.ok() ? request->id : 0, charge_for(body.size(), request)};
    connections_.at(id).charged += ticket.charge;
    charged_ += ticket.charge;
    if (request.ok())
      handle(ticket, std::move(*request));
    else
      reply(ticket, request.status());
  }
  if (connections_.contains(id))
    update_interest(id);
}

void Server::on_writable(std::uint64_t id) {
  Connection& connection = connections_.at(id);
  do {
    while (connection.sent < connection.outbox.size()) {
      const ssize_t wrote = ::send(connection.fd, connection.outbox.data() + connection.sent,
                                   connection.outbox.size() - connection.sent, MSG_NOSIGNAL);
      if (wrote < 0 && (errno == EAGAIN || errno == EINTR))
        break;
      if (wrote <= 0) {
        close_connection(id);
        return;
      }
      connection.sent += static_cast<std::size_t>(wrote);
    }
    if (connection.sent < connection.outbox.size())
      break;
    connection.outbox.clear();
    connection.sent = 0;
    if (connection.closing) {
      close_connection(id);
      return;
    }
  } while (feed_watcher(connection));  // events that waited for room
  update_interest(id);
}

bool Server::feed_watcher(Connection& connection) {
  if (!connection.watching || connection.outbox.size() - connection.sent >= kMaxOutbox)
    return false;
  const std::vector<actors::Event> events = connection.watching->take();
  for (const actors::Event& event : events)
    connection.outbox.append(wire::encode_frame(Message{connection.watch_id, 0, wire::event_fields(event)}).view());
  return !events.empty();
}

void Server::wake() {
  const std::uint64_t one = 1;
  [[maybe_unused]] const auto wrote = ::write(wakeup_, &one, sizeof one);
}

void Server::announce(actors::EventType type, const vault::Caller& caller, std::string kind, std::string detail) {
  events_->publish(actors::Event{
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count(),
      type,
      caller.to_string(),
      std::move(kind),
      {},
      std::move(detail)});
}

// Wakes the loop only for the first completion it has not taken yet: the loop reads the eventfd
// before it takes the completions, so a later one is either taken with them or wakes it again.
// One eventfd write per answer cost the daemon a system call per signature.
void Server::complete(const Ticket& ticket, Message answer, Effect effect) {
  bool first = false;
  {
    std::lock_guard guard(completions_mutex_);
    first = completions_.empty();
    completions_.push_back(Completion{ticket, std::move(answer), std::move(effect)});
  }
  if (first)
    wake();
}

void Server::drain_completions() {
  std::vector<Completion> done;
  {
    std::lock_guard guard(completions_mutex_);
    done.swap(completions_);
  }
  const bool was_over = charged_ >= kMaxCharge;
  std::vector<std::uint64_t> touched;
  for (Completion& completion : done) {
    const Ticket& ticket = completion.ticket;
    charged_ -= ticket.charge;
    const auto found = connections_.find(ticket.connection);
    if (found != connections_.end()) {
      found->second.charged -= ticket.charge;
      if (completion.effect)
        completion.effect(found->second);
      found->second.outbox.append(wire::encode_frame(completion.answer).view());
      touched.push_back(ticket.connection);
    }
    // An answer may hold a secret (a secret's value): the Message wipes it, sent or dropped
    // because its client left, and the frame and the outbox wipe their copies.
  }
  if (was_over && charged_ < kMaxCharge)  // the connections that waited for the daemon-wide charge
    for (const auto& [id, connection] : connections_)
      update_interest(id);
  for (const auto& [id, connection] : connections_)  // at most kMaxConnections
    if (connection.watching)
      touched.push_back(id);
  for (const std::uint64_t id : touched)
    if (connections_.contains(id))
      on_writable(id);
}

Result<vault::Location> location_field(const Message& request) {
  if (request.fields.empty())
    return Status(Errc::invalid_argument, "the request needs a location");
  return vault::Location::parse(std::string(request.fields[0].begin(), request.fields[0].end()));
}

void Server::reply(const Ticket& ticket, Result<std::vector<Bytes>> fields) {
  complete(ticket, fields.ok() ? Message{ticket.id, 0, std::move(*fields)} : failure(ticket.id, fields.status()));
}
void Server::reply(const Ticket& ticket, const Status& status) {
  reply(ticket, status.ok() ? Result<std::vector<Bytes>>(std::vector<Bytes>{}) : status);
}
void Server::reply(const Ticket& ticket, Result<Bytes> field) {
  if (!field.ok()) {
    reply(ticket, field.status());
    return;
  }
  std::vector<Bytes> fields;
  fields.push_back(std::move(*field));
  reply(ticket, std::move(fields));
}

void Server::post_kdf(const Ticket& ticket, std::function<void()> task) {
  if (!kdf_workers_->post(std::move(task)))
    reply(ticket,
          error(Errc::busy, "strongholdd runs one password KDF at a time and {} are waiting already; try again shortly",
                kMaxKdfWaiting));
}

// Adding an op is adding its row here and its handler below.
const Route* Server::route(Op op) {
  using enum Route::Needs;
  using enum Route::Where;
  static constexpr Route kRoutes[] = {
      {Op::ping, nothing, loop, false, &Server::handle_ping},
      {Op::unlock, nothing, loop, false, &Server::handle_unlock},  // hands its KDF to the KDF thread
      {Op::lock, nothing, loop, false, &Server::handle_lock},
      {Op::generate, location, workers, false, &Server::handle_generate},  // waits for its journal sync
      {Op::public_key, location, workers, false, &Server::handle_public_key},
      {Op::sign, location, loop, false, &Server::handle_sign},  // the engine's asynchronous API
      {Op::sign_batch, location, loop, false, &Server::handle_sign_batch},
      {Op::remove, location, workers, false, &Server::handle_remove},
      {Op::sync, engine, workers, false, &Server::handle_sync},
      {Op::retired_command, nothing, loop, false, &Server::handle_retired_command},
      {Op::request, engine, loop, true, &Server::handle_request},  // the asynchronous API or the KDF thread
      {Op::challenge, nothing, loop, false, &Server::handle_challenge},
      {Op::prove, engine, loop, false, &Server::handle_prove},   // looks the key up through the asynchronous API
      {Op::watch, nothing, loop, false, &Server::handle_watch},  // also while locked: failed unlocks are news
      {Op::from_peer, nothing, loop, false, &Server::handle_from_peer},
      {Op::image, engine, workers, true, &Server::handle_image},  // reads the file: only while unlocked
  };
  const auto* const found =
      std::find_if(std::begin(kRoutes), std::end(kRoutes), [op](const Route& row) { return row.op == op; });
  return found == std::end(kRoutes) ? nullptr : found;
}

void Server::handle(const Ticket& ticket, Message request) {
  last_request_ = Clock::now();
  const Route* const row = route(static_cast<Op>(request.code));
  if (row == nullptr) {
    reply(ticket, Status(Errc::internal, "unhandled operation"));
    return;
  }
  Call call{ticket, std::move(request), nullptr, {}, {}};
  if (const auto connection = connections_.find(ticket.connection); connection != connections_.end()) {
    call.caller = connection->second.caller;
    call.from_peer = connection->second.from_peer;
    call.fence = connection->second.fence;
  }
  if (row->needs != Route::Needs::nothing) {
    call.engine = engine();
    if (!call.engine) {
      reply(ticket, Status(Errc::busy, "strongholdd is locked"));
      return;
    }
    if (Status behind = check_fence(call); !behind.ok()) {
      reply(ticket, behind);
      return;
    }
  }
  if (row->needs == Route::Needs::location) {
    auto location = location_field(call.request);
    if (!location.ok()) {
      reply(ticket, location.status());
      return;
    }
    call.location = std::move(*location);
  }
  if (row->where == Route::Where::loop) {
    (this->*row->handler)(call);
    return;
  }
  // Held until the task ends, run or dropped at shutdown; the request's fields are wiped then.
  workers_->post(
      [this, handler = row->handler, held = std::make_shared<Call>(std::move(call))] { (this->*handler)(*held); });
}

void Server::handle_ping(Call& call) { reply(call.ticket, Result<Bytes>(Bytes{wire::kProtocolVersion})); }

void Server::handle_lock(Call& call) {
  lock_engine();
  reply(call.ticket, Status{});
}

void Server::handle_unlock(Call& call) {
  if (call.request.fields.size() != 1) {
    reply(call.ticket, Status(Errc::invalid_argument, "unlock takes the password"));
    return;
  }
  auto password = std::make_shared<Result<runtime::SecretBuffer>>(runtime::SecretBuffer::from(call.request.fields[0]));
  post_kdf(call.ticket, [this, ticket = call.ticket, caller = call.caller, password] {
    if (!password->ok()) {
      reply(ticket, password->status());
      return;
    }
    auto view = (*password)->read();
    reply(ticket, unlock_engine(view.bytes(), caller));
  });
}

void Server::handle_generate(Call& call) {
  if (call.request.fields.size() != 2) {
    reply(call.ticket, Status(Errc::invalid_argument, "generate takes a location and a key type"));
    return;
  }
  auto type = vault::parse_key_type(std::string(call.request.fields[1].begin(), call.request.fields[1].end()));
  reply(call.ticket, type.ok() ? call.engine->call(actors::GenerateKey{call.location, *type}, call.caller)
                               : Result<Bytes>(type.status()));
}

void Server::handle_public_key(Call& call) {
  reply(call.ticket, call.engine->call(actors::PublicKey{call.location}, call.caller));
}

void Server::handle_sign(Call& call) {
  if (call.request.fields.size() != 2) {
    reply(call.ticket, Status(Errc::invalid_argument, "sign takes a location and a message"));
    return;
  }
  if (!forward(call, &Server::sign_here))
    sign_here(call);
}

void Server::sign_here(Call& call) {
  ++signing_;
  call.engine->call_async(actors::Sign{call.location, std::move(call.request.fields[1])}, call.caller,
                          [this, ticket = call.ticket](Result<Bytes> signature) {
                            --signing_;
                            reply(ticket, std::move(signature));
                          });
}

void Server::handle_sign_batch(Call& call) {
  if (!forward(call, &Server::sign_batch_here))
    sign_batch_here(call);
}

void Server::sign_batch_here(Call& call) {
  std::vector<Bytes> messages(std::make_move_iterator(call.request.fields.begin() + 1),
                              std::make_move_iterator(call.request.fields.end()));
  const std::size_t count = messages.size();
  signing_ += count;
  call.engine->call_async(actors::SignBatch{call.location, std::move(messages)}, call.caller,
                          [this, ticket = call.ticket, count](Result<std::vector<Bytes>> signatures) {
                            signing_ -= count;
                            reply(ticket, std::move(signatures));
                          });
}

bool Server::forward(Call& call, void (Server::*here)(Call&)) {
  if (!forwarder_ || call.from_peer || !call.caller.client.empty() || signing_.load() < forwarder_->above())
    return false;
  // Held until the peer answers or the request is served here.
  auto held = std::make_shared<Call>(std::move(call));
  const bool taken = forwarder_->offer(static_cast<Op>(held->request.code), held->request.fields,
                                       [this, held, here](std::optional<std::vector<Bytes>> answer) {
                                         if (answer)
                                           reply(held->ticket, std::move(*answer));
                                         else
                                           (this->*here)(*held);
                                       });
  if (!taken)
    call = std::move(*held);
  return taken;
}

void Server::handle_from_peer(Call& call) {
  std::uint64_t fence = 0;
  if (call.request.fields.size() > 1) {
    reply(call.ticket, Status(Errc::invalid_argument, "from_peer takes nothing, or how far the peer applied (u64)"));
    return;
  }
  if (call.request.fields.size() == 1) {
    auto applied = wire::u64_from_field(call.request.fields[0]);
    if (!applied.ok()) {
      reply(call.ticket, applied.status());
      return;
    }
    fence = *applied;
  }
  // On the loop: the connection's next request sees it, however soon it follows.
  if (const auto connection = connections_.find(call.ticket.connection); connection != connections_.end()) {
    connection->second.from_peer = true;
    connection->second.fence = std::max(connection->second.fence, fence);
  }
  reply(call.ticket, Status{});
}

void Server::handle_image(Call& call) {
  if (!call.caller.client.empty()) {
    reply(call.ticket, Status(Errc::denied, "a client identity cannot copy the snapshot file"));
    return;
  }
  if (!options_.engine.actors.shared_journal) {
    reply(call.ticket, Status(Errc::unavailable, "this node is in no cluster: it gives no copy of its file"));
    return;
  }
  if (call.request.fields.size() != 1) {
    reply(call.ticket, Status(Errc::invalid_argument, "image takes where the piece starts (u64)"));
    return;
  }
  auto offset = wire::u64_from_field(call.request.fields[0]);
  if (offset.ok() && *offset == 0)
    announce(actors::EventType::exported, call.caller, "image", "a copy of the snapshot file");
  reply(call.ticket,
        offset.ok() ? read_image_piece(snapshot_file_, *offset) : Result<std::vector<Bytes>>(offset.status()));
}

Status Server::check_fence(const Call& call) const {
  if (call.fence == 0)
    return {};
  const auto& journal = options_.engine.actors.shared_journal;
  if (!journal)
    return Status(Errc::unavailable, "this node is in no cluster: it cannot serve what another node forwards");
  const std::uint64_t applied = journal->applied();
  if (applied < call.fence)
    return error(Errc::unavailable,
                 "this node has applied the cluster's journal before entry {}, the forwarding node before entry {}",
                 applied, call.fence);
  return {};
}

void Server::handle_remove(Call& call) {
  reply(call.ticket, call.engine->call(actors::DeleteKey{call.location}, call.caller).status());
}

void Server::handle_sync(Call& call) {
  reply(call.ticket, call.engine->call(actors::SyncSnapshot{}, call.caller).status());
}

// An older client's `stronghold --socket`, which sent command words: told what to do.
void Server::handle_retired_command(Call& call) {
  reply(call.ticket,
        error(Errc::unsupported,
              "this strongholdd speaks protocol version {}, in which clients send engine requests (op {}) "
              "and command words (op {}) are no longer run: use the stronghold client of the same "
              "version as strongholdd",
              wire::kProtocolVersion, static_cast<int>(Op::request), static_cast<int>(Op::retired_command)));
}

// The request kinds whose handlers stretch a password (or a mnemonic's passphrase) with a KDF:
// they take the KDF thread, so that no client starts more KDF work than it bounds.
bool stretches_password(actors::RequestKind kind) {
  using enum actors::RequestKind;
  static constexpr actors::RequestKind kStretching[] = {
      ChangePassword,     CheckPassword,      Pbkdf2,         GenerateMnemonic, RecoverMnemonic,
      ExportWithPassword, ImportWithPassword, ClientAdd,      ClientRemove,     SetAuditMode,
      ApproverAdd,        ApproverRemove,     SetApprovalRule};
  return std::find(std::begin(kStretching), std::end(kStretching), kind) != std::end(kStretching);
}

// An engine's answer as the request op's one field. The request fit in a frame, below the codec's
// bound, so resource_exhausted is its answer's encoding outgrowing that bound: like an answer
// larger than a frame holds, it becomes an error answer of the request's kind. Any other failure
// is the request's (it did not decode): an ordinary error answer.
Result<Bytes> answer_field(actors::RequestKind kind, Result<runtime::SecretBytes> answer) {
  const bool too_large =
      answer.ok() ? answer->size() > kMaxWireMessage : answer.status().code() == Errc::resource_exhausted;
  if (too_large)
    answer = actors::wire::encode_error(
        kind, error(Errc::resource_exhausted, "an answer larger than one frame of strongholdd holds ({} bytes)",
                    kMaxWireMessage));
  if (!answer.ok())
    return answer.status();
  return Bytes(answer->view().begin(), answer->view().end());  // wiped with the answer's Message
}

void Server::handle_request(Call& call) {
  if (call.request.fields.size() == 1) {
    const auto kind = actors::wire::message_kind(call.request.fields[0]);
    if (kind.ok() && forwards_kind(*kind) && forward(call, &Server::request_here))
      return;
  }
  request_here(call);
}

void Server::request_here(Call& call) {
  if (call.request.fields.size() != 1) {
    reply(call.ticket, Status(Errc::invalid_argument, "the request op takes one request in its wire form"));
    return;
  }
  const auto kind = actors::wire::message_kind(call.request.fields[0]);
  if (!kind.ok()) {
    reply(call.ticket, kind.status());
    return;
  }
  if (stretches_password(*kind)) {
    // Held until the task ends, run or refused; the request (a password) is wiped then.
    auto held = std::make_shared<Call>(std::move(call));
    post_kdf(held->ticket, [this, held, kind = *kind] {
      reply(held->ticket, answer_field(kind, held->engine->call_wire(held->request.fields[0], held->caller)));
    });
    return;
  }
  // Decoded (its secrets sealed) before this returns: the request's bytes are wiped with the call.
  const std::size_t signatures = forwards_kind(*kind) ? 1 : 0;
  signing_ += signatures;
  call.engine->call_wire_async(
      call.request.fields[0], call.caller,
      [this, ticket = call.ticket, kind = *kind, signatures](Result<runtime::SecretBytes> answer) {
        signing_ -= signatures;
        reply(ticket, answer_field(kind, std::move(answer)));
      });
}

// ---- client identities: a challenge, then its signature (docs/wire-protocol.md)

void Server::handle_challenge(Call& call) {
  const auto connection = connections_.find(call.ticket.connection);
  if (call.request.fields.size() != 1 || connection == connections_.end()) {
    reply(call.ticket, Status(Errc::invalid_argument, "a challenge request takes the client's name"));
    return;
  }
  std::string name(call.request.fields[0].begin(), call.request.fields[0].end());
  if (Status valid = vault::check_client_name(name); !valid.ok()) {
    reply(call.ticket, valid);
    return;
  }
  // Fresh for each request, so a signature answers one challenge of one connection only.
  Bytes nonce(wire::kChallengeSize);
  runtime::random_bytes(nonce);
  connection->second.challenge = Challenge{std::move(name), nonce};
  reply(call.ticket, Result<Bytes>(std::move(nonce)));
}

void Server::handle_prove(Call& call) {
  const auto connection = connections_.find(call.ticket.connection);
  if (connection == connections_.end())
    return;
  // Taken whatever happens next: a challenge is answered once.
  std::optional<Challenge> challenge = std::exchange(connection->second.challenge, std::nullopt);
  if (!challenge || call.request.fields.size() != 1) {
    proved(call.ticket, {}, "give a signature of a challenge this connection was sent and has not answered");
    return;
  }
  // The key is the snapshot's, looked up now: a client removed meanwhile proves nothing. The
  // lookup is made before the challenge moves into the callback (an empty name lists everyone).
  actors::ClientList lookup{challenge->name};
  call.engine->call_async(
      std::move(lookup), vault::Caller{},
      [this, ticket = call.ticket, challenge = std::move(*challenge),
       signature = std::move(call.request.fields[0])](Result<std::vector<actors::ClientEntry>> found) {
        const Bytes message = wire::client_proof_message(challenge.nonce, challenge.name);
        const bool valid = found.ok() && found->size() == 1 && found->front().name == challenge.name &&
                           signature.size() == crypto_sign_BYTES &&
                           crypto_sign_verify_detached(signature.data(), message.data(), message.size(),
                                                       found->front().public_key.data()) == 0;
        proved(ticket, valid ? challenge.name : std::string(),
               fmt::format("the signature does not prove client {} (not registered, or signed with another key)",
                           challenge.name));
      });
}

void Server::proved(const Ticket& ticket, const std::string& name, const std::string& why) {
  if (!name.empty()) {
    complete(ticket, Message{ticket.id, 0, {}}, [name](Connection& connection) { connection.caller.client = name; });
    return;
  }
  complete(ticket, failure(ticket.id, error(Errc::denied, "client proof refused: {}", why)),
           [this, why](Connection& connection) {
             announce(actors::EventType::denied, connection.caller, "prove", why);
             connection.closing = ++connection.failed_proofs >= wire::kMaxFailedProofs;
           });
}

// The first answer says the connection watches; its events follow under the request's id
// (feed_watcher), as the connection's outbox has room: a watcher that reads slowly loses events
// in its own queue (an overflow event says how many), never slows the engine.
void Server::handle_watch(Call& call) {
  constexpr std::uint32_t kDefaultCapacity = 1024;
  std::uint32_t capacity = kDefaultCapacity;
  if (call.request.fields.size() > 1 || (call.request.fields.size() == 1 && call.request.fields[0].size() != 4)) {
    reply(call.ticket, Status(Errc::invalid_argument, "watch takes nothing, or its queue's capacity (u32)"));
    return;
  }
  if (call.request.fields.size() == 1) {
    capacity = 0;
    for (std::size_t i = 0; i < 4; ++i)
      capacity = (capacity << 8) | call.request.fields[0][i];
  }
  const auto connection = connections_.find(call.ticket.connection);
  if (connection == connections_.end())
    return;
  if (connection->second.watching) {
    reply(call.ticket, Status(Errc::already_exists, "this connection watches already"));
    return;
  }
  auto subscription = events_->subscribe(capacity, [this] { wake(); });
  if (!subscription.ok()) {
    reply(call.ticket, subscription.status());
    return;
  }
  connection->second.watching = std::move(*subscription);
  connection->second.watch_id = call.ticket.id;
  reply(call.ticket, Status{});
}

}  // namespace

Status prepare_signals() {
  pthread_sigmask(SIG_BLOCK, &stop_signals(), nullptr);
  // A client that hangs up must not stop the daemon with SIGPIPE.
  if (::signal(SIGPIPE, SIG_IGN) == SIG_ERR)
    return system_error("signal");
  return {};
}

Status serve(const ServerOptions& options, std::optional<runtime::SecretBuffer> password) {
  SH_RETURN_IF_ERROR(prepare_signals());
  Server server(options);
  SH_RETURN_IF_ERROR(server.start(std::move(password)));
  return server.run();
}

}  // namespace stronghold::daemon
