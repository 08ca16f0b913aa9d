#include "server.hpp"

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

#include <cstring>
#include <map>
#include <mutex>

#include "../cli/remote.hpp"
#include "protocol.hpp"
#include "socket_claim.hpp"
#include "socket_trust.hpp"
#include "workers.hpp"

namespace stronghold::daemon {
namespace {

constexpr std::size_t kMaxInFlight = 4096;
constexpr std::size_t kMaxOutbox = 8 << 20;
constexpr std::size_t kWorkers = 2;  // for requests that block (key generation waits for its journal sync)

struct Connection {
  int fd = -1;
  FrameReader reader;
  Bytes outbox;
  std::size_t sent = 0;  // of outbox
  std::size_t in_flight = 0;
  bool reading = true;
  bool writing = false;
};

class Server {
 public:
  explicit Server(const ServerOptions& options) : options_(options) {}
  ~Server();
  Status start(std::optional<runtime::SecretBuffer> password);
  Status run();

 private:
  // Answers from any thread reach the loop through this queue and the eventfd.
  // `counted`: the answer to a request counted in flight (not a protocol error).
  void complete(std::uint64_t connection, Message answer, bool counted = true);
  // A long answer in frames of at most kMaxFrame bytes (status kPartial on all but the last).
  void complete_in_parts(std::uint64_t connection, std::uint64_t id, std::vector<Bytes> fields);
  void drain_completions();
  void accept_all();
  void on_readable(std::uint64_t id);
  void on_writable(std::uint64_t id);
  void handle(std::uint64_t connection, Message request);
  void close_connection(std::uint64_t id);
  void update_interest(std::uint64_t id);
  void lock_engine();
  Status unlock_engine(ByteView password);
  std::shared_ptr<Engine> engine();

  ServerOptions options_;
  int epoll_ = -1, listener_ = -1, signals_ = -1, timer_ = -1, wakeup_ = -1;
  std::map<std::uint64_t, Connection> connections_;
  std::uint64_t next_connection_ = 1;
  std::mutex completions_mutex_;
  struct Completion {
    std::uint64_t connection;
    Message answer;
    bool counted;
  };
  std::vector<Completion> completions_;
  std::mutex engine_mutex_;
  std::shared_ptr<Engine> engine_;  // null while locked
  std::chrono::steady_clock::time_point last_request_ = std::chrono::steady_clock::now();
  std::unique_ptr<Workers> workers_ = std::make_unique<Workers>(kWorkers);
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

Status system_error(const char* what) { return error(Errc::io_error, "{}: {}", what, std::strerror(errno)); }

Server::~Server() {
  workers_.reset();  // finishes the tasks that still hold the engine
  for (auto& [id, connection] : connections_)
    ::close(connection.fd);
  for (const int fd : {epoll_, listener_, signals_, timer_, wakeup_})
    if (fd >= 0)
      ::close(fd);
}

Status Server::start(std::optional<runtime::SecretBuffer> password) {
  if (password) {
    auto view = password->read();
    SH_RETURN_IF_ERROR(unlock_engine(view.bytes()));
  }
  SH_ASSIGN_OR_RETURN(const sockaddr_un address, socket_address(options_.socket));
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

Status Server::unlock_engine(ByteView password) {
  if (engine())
    return {};  // already unlocked: whoever may connect may use it anyway
  SH_ASSIGN_OR_RETURN(auto opened, Engine::open(options_.snapshot, password, options_.engine));
  std::lock_guard guard(engine_mutex_);
  if (!engine_)
    engine_ = std::move(opened);
  return {};
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
      } else if (control == wakeup_) {
        std::uint64_t count;
        [[maybe_unused]] const auto got = ::read(wakeup_, &count, sizeof count);
        drain_completions();
      } else {
        // A connection may have been closed by an earlier event of this batch.
        if (connections_.contains(tag) && (events[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
          on_readable(tag);
        if (connections_.contains(tag) && (events[i].events & EPOLLOUT))
          on_writable(tag);
      }
    }
  }
  // Shutdown: no new connections; everything acknowledged is durable once the engine closes.
  ::close(listener_);
  listener_ = -1;
  ::unlink(options_.socket.c_str());
  workers_.reset();
  std::shared_ptr<Engine> engine;
  {
    std::lock_guard guard(engine_mutex_);
    engine = std::move(engine_);
  }
  if (engine) {
    const Status synced = engine->sync();
    engine->close();
    return synced;
  }
  return {};
}

void Server::accept_all() {
  for (;;) {
    const int fd = ::accept4(listener_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0)
      return;  // EAGAIN, or a connection that went away already
    ucred peer{};
    socklen_t size = sizeof peer;
    if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &peer, &size) != 0 || peer.uid != ::geteuid()) {
      ::close(fd);  // another user: no answer at all
      continue;
    }
    const std::uint64_t id = next_connection_++;
    connections_[id].fd = fd;
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.u64 = id;
    if (::epoll_ctl(epoll_, EPOLL_CTL_ADD, fd, &event) != 0)
      close_connection(id);
  }
}

void Server::close_connection(std::uint64_t id) {
  const auto found = connections_.find(id);
  if (found == connections_.end())
    return;
  ::close(found->second.fd);  // also leaves the epoll set
  connections_.erase(found);
}

void Server::update_interest(std::uint64_t id) {
  Connection& connection = connections_.at(id);
  const bool read = connection.in_flight < kMaxInFlight && connection.outbox.size() - connection.sent < kMaxOutbox;
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

void Server::on_readable(std::uint64_t id) {
  Connection& connection = connections_.at(id);
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
    const Bytes frame = encode_frame(failure(0, fed));
    [[maybe_unused]] const auto sent = ::send(connection.fd, frame.data(), frame.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    close_connection(id);
    return;
  }
  sodium_memzero(buffer, static_cast<std::size_t>(got));
  Bytes body;
  while (connections_.contains(id) && connections_.at(id).reader.next(body)) {
    auto request = decode_body(body, true);
    sodium_memzero(body.data(), body.size());
    if (!request.ok()) {
      complete(id, failure(0, request.status()), false);
      continue;
    }
    ++connections_.at(id).in_flight;
    handle(id, std::move(*request));
  }
  if (connections_.contains(id))
    update_interest(id);
}

void Server::on_writable(std::uint64_t id) {
  Connection& connection = connections_.at(id);
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
  if (connection.sent == connection.outbox.size()) {
    sodium_memzero(connection.outbox.data(), connection.outbox.size());
    connection.outbox.clear();
    connection.sent = 0;
  }
  update_interest(id);
}

void Server::complete(std::uint64_t connection, Message answer, bool counted) {
  {
    std::lock_guard guard(completions_mutex_);
    completions_.push_back(Completion{connection, std::move(answer), counted});
  }
  const std::uint64_t one = 1;
  [[maybe_unused]] const auto wrote = ::write(wakeup_, &one, sizeof one);
}

void Server::complete_in_parts(std::uint64_t connection, std::uint64_t id, std::vector<Bytes> fields) {
  constexpr std::size_t kBudget = kMaxFrame - 64;  // room for the frame's id and code
  std::vector<Bytes> part;
  std::size_t size = 0;
  for (Bytes& field : fields) {
    if (4 + field.size() > kBudget) {
      for (Bytes& unsent : fields)
        sodium_memzero(unsent.data(), unsent.size());
      complete(connection, failure(id, error(Errc::invalid_argument,
                                             "an output of {} bytes is more than one answer of strongholdd holds; "
                                             "run the command without --socket while strongholdd is stopped",
                                             field.size())));
      return;
    }
    if (size + 4 + field.size() > kBudget || part.size() + 1 == kMaxFields) {
      complete(connection, Message{id, kPartial, std::move(part)}, false);
      part.clear();
      size = 0;
    }
    size += 4 + field.size();
    part.push_back(std::move(field));
  }
  complete(connection, Message{id, 0, std::move(part)});
}

void Server::drain_completions() {
  std::vector<Completion> done;
  {
    std::lock_guard guard(completions_mutex_);
    done.swap(completions_);
  }
  std::vector<std::uint64_t> touched;
  for (Completion& completion : done) {
    const auto found = connections_.find(completion.connection);
    if (found != connections_.end()) {
      if (completion.counted)
        --found->second.in_flight;
      Bytes frame = encode_frame(completion.answer);
      found->second.outbox.insert(found->second.outbox.end(), frame.begin(), frame.end());
      sodium_memzero(frame.data(), frame.size());
      touched.push_back(completion.connection);
    }
    // An answer may hold a secret (a command's output): no copy stays behind, sent or dropped
    // because its client left.
    for (Bytes& field : completion.answer.fields)
      sodium_memzero(field.data(), field.size());
  }
  for (const std::uint64_t id : touched)
    if (connections_.contains(id))
      on_writable(id);
}

Result<vault::Location> location_field(const Message& request) {
  if (request.fields.empty())
    return Status(Errc::invalid_argument, "the request needs a location");
  return vault::Location::parse(std::string(request.fields[0].begin(), request.fields[0].end()));
}

void Server::handle(std::uint64_t connection, Message request) {
  last_request_ = std::chrono::steady_clock::now();
  const std::uint64_t id = request.id;
  const auto op = static_cast<Op>(request.code);
  if (op == Op::ping) {
    complete(connection, Message{id, 0, {}});
    return;
  }
  if (op == Op::lock) {
    lock_engine();
    complete(connection, Message{id, 0, {}});
    return;
  }
  if (op == Op::unlock) {
    if (request.fields.size() != 1) {
      complete(connection, failure(id, Status(Errc::invalid_argument, "unlock takes the password")));
      return;
    }
    // The password KDF takes a while: off the loop.
    auto password = std::make_shared<Result<runtime::SecretBuffer>>(runtime::SecretBuffer::from(request.fields[0]));
    sodium_memzero(request.fields[0].data(), request.fields[0].size());
    workers_->post([this, connection, id, password] {
      if (!password->ok()) {
        complete(connection, failure(id, password->status()));
        return;
      }
      auto view = (*password)->read();
      const Status unlocked = unlock_engine(view.bytes());
      complete(connection, unlocked.ok() ? Message{id, 0, {}} : failure(id, unlocked));
    });
    return;
  }
  std::shared_ptr<Engine> engine = this->engine();
  if (!engine) {
    complete(connection, failure(id, Status(Errc::busy, "strongholdd is locked")));
    return;
  }
  if (op == Op::command) {
    workers_->post([this, connection, id, engine, request = std::move(request)]() mutable {
      auto answer = cli::serve_command(*engine, request.fields);
      if (answer.ok())
        complete_in_parts(connection, id, std::move(*answer));
      else
        complete(connection, failure(id, answer.status()));
    });
    return;
  }
  auto location = location_field(request);
  if (!location.ok() && op != Op::sync) {
    complete(connection, failure(id, location.status()));
    return;
  }
  switch (op) {
    case Op::sign:
      if (request.fields.size() != 2) {
        complete(connection, failure(id, Status(Errc::invalid_argument, "sign takes a location and a message")));
        return;
      }
      engine->sign_async(*location, std::move(request.fields[1]), [this, connection, id](Result<Bytes> signature) {
        complete(connection, signature.ok() ? Message{id, 0, {std::move(*signature)}} : failure(id, signature.status()));
      });
      return;
    case Op::sign_batch: {
      std::vector<Bytes> messages(std::make_move_iterator(request.fields.begin() + 1),
                                  std::make_move_iterator(request.fields.end()));
      engine->sign_batch_async(*location, std::move(messages), [this, connection, id](Result<std::vector<Bytes>> signatures) {
        complete(connection, signatures.ok() ? Message{id, 0, std::move(*signatures)} : failure(id, signatures.status()));
      });
      return;
    }
    default: break;
  }
  workers_->post([this, connection, id, op, engine, request = std::move(request), location]() {
    switch (op) {
      case Op::generate: {
        if (request.fields.size() != 2) {
          complete(connection, failure(id, Status(Errc::invalid_argument, "generate takes a location and a key type")));
          return;
        }
        auto type = vault::parse_key_type(std::string(request.fields[1].begin(), request.fields[1].end()));
        auto public_key = type.ok() ? engine->generate(*location, *type) : Result<Bytes>(type.status());
        complete(connection, public_key.ok() ? Message{id, 0, {std::move(*public_key)}} : failure(id, public_key.status()));
        return;
      }
      case Op::public_key: {
        auto public_key = engine->public_key(*location);
        complete(connection, public_key.ok() ? Message{id, 0, {std::move(*public_key)}} : failure(id, public_key.status()));
        return;
      }
      case Op::remove: {
        const Status removed = engine->remove(*location);
        complete(connection, removed.ok() ? Message{id, 0, {}} : failure(id, removed));
        return;
      }
      case Op::sync: {
        const Status synced = engine->sync();
        complete(connection, synced.ok() ? Message{id, 0, {}} : failure(id, synced));
        return;
      }
      default: complete(connection, failure(id, Status(Errc::internal, "unhandled operation")));
    }
  });
}

}  // namespace

Status serve(const ServerOptions& options, std::optional<runtime::SecretBuffer> password) {
  // Blocked before any thread starts (the engine's, the workers'), so that every thread inherits
  // the mask and the signals reach only the signalfd.
  pthread_sigmask(SIG_BLOCK, &stop_signals(), nullptr);
  ::signal(SIGPIPE, SIG_IGN);
  Server server(options);
  SH_RETURN_IF_ERROR(server.start(std::move(password)));
  return server.run();
}

}  // namespace stronghold::daemon
