#include "tunnel.hpp"

#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include <charconv>
#include <map>
#include <optional>
#include <set>

#include <caf/all.hpp>
#include <caf/io/all.hpp>
#include <caf/openssl/all.hpp>

#include "openssl_error_queue.hpp"
#include "stronghold/actors/system_config.hpp"
#include "stronghold/runtime/random.hpp"
#include "tunnel_end.hpp"

namespace stronghold::remote {
namespace {

// The actor system of a listener or a client: the middleman with CAF's OpenSSL module, given all
// three files (tls_files.hpp says why). Nodes of another application are refused by CAF itself.
struct TunnelConfig : caf::actor_system_config {
  TunnelConfig(const TlsFiles& tls, std::size_t threads) {
    load<caf::io::middleman>();
    load<caf::openssl::manager>();
    openssl_certificate = tls.certificate;
    openssl_key = tls.key;
    openssl_cafile = tls.ca;
    actors::configure_scheduler(*this, static_cast<unsigned>(threads));
    set("middleman.app-identifiers", std::vector<std::string>{"stronghold-tunnel-1"});
    // CAF 0.17.6 hands incoming messages to deserialization workers beside its network broker;
    // with them, a connection now and then lost every answer the node sent on it: the node got
    // a client's session request (and a second one), the client never got an answer, both
    // sockets' queues empty (2 to 4 of 1,800 to 3,600 clients connecting nine at a time). With
    // the broker deserializing what it reads itself, none of 5,400 were lost.
    set("middleman.workers", std::size_t{0});
  }
};

std::vector<char> as_chars(ByteView bytes) { return {bytes.begin(), bytes.end()}; }
ByteView as_view(const std::vector<char>& chars) {
  return {reinterpret_cast<const std::uint8_t*>(chars.data()), chars.size()};
}

// ---- the node's side: one endpoint actor, published on the port, holding the sessions

struct Session {
  std::unique_ptr<TunnelEnd> end;
  caf::actor_addr client;
};

struct EndpointState {
  std::map<std::uint64_t, Session> sessions;
  static inline const char* name = "stronghold-tunnel-endpoint";
};

using Endpoint = caf::stateful_actor<EndpointState>;

// A new session: a connection to the node's socket, keys agreed with the client's public key.
Result<std::pair<std::uint64_t, Bytes>> open_session(Endpoint* self, const std::string& socket,
                                                     std::size_t max_sessions, ByteView client_public,
                                                     const caf::actor& client) {
  auto& sessions = self->state.sessions;
  if (!client)
    return Status(Errc::invalid_argument, "a session needs the client's actor");
  if (sessions.size() >= max_sessions)
    return error(Errc::busy, "the node serves {} sessions already", max_sessions);
  SH_ASSIGN_OR_RETURN(const KeyExchange pair, KeyExchange::make());
  SH_ASSIGN_OR_RETURN(SessionKeys keys, pair.server_keys(client_public));
  const auto fd = wire::connect_trusted(socket);
  if (!fd.ok()) {
    // The reason (it names the socket) stays with the node's operator.
    (void)std::fprintf(stderr, "strongholdd: a remote session found no server: %s\n", fd.status().message().c_str());
    return Status(Errc::unavailable, "the node's strongholdd does not serve (yet)");
  }
  std::uint64_t id = 0;
  while (id == 0 || sessions.contains(id))
    runtime::random_bytes(std::span(reinterpret_cast<std::uint8_t*>(&id), sizeof id));
  const caf::actor endpoint = caf::actor_cast<caf::actor>(self);
  auto end = std::make_unique<TunnelEnd>(*fd, std::move(keys), client, id,
                                         [endpoint, id] { caf::anon_send(endpoint, tunnel_close_atom::value, id); });
  SH_RETURN_IF_ERROR(end->start());
  self->monitor(client);
  sessions.emplace(id, Session{std::move(end), client.address()});
  return std::pair{id, pair.public_key()};
}

// Ends a session; `tell` its client, unless the client ended it.
void end_session(Endpoint* self, std::uint64_t id, bool tell) {
  const auto session = self->state.sessions.find(id);
  if (session == self->state.sessions.end())
    return;
  if (tell)
    caf::anon_send(session->second.end->peer(), tunnel_close_atom::value, id);
  self->state.sessions.erase(session);
}

// Whatever a peer sends, the endpoint keeps serving: messages it does not know are dropped, errors
// and exit messages ignored (only the listener ends it, with kill).
void harden(caf::scheduled_actor* self) {
  self->set_default_handler(caf::drop);
  self->set_error_handler([](caf::error&) {});
  self->set_exit_handler([](caf::exit_msg&) {});
}

caf::behavior endpoint(Endpoint* self, const std::string& socket, std::size_t max_sessions) {
  harden(self);
  self->set_down_handler([self](const caf::down_msg& down) {
    auto& sessions = self->state.sessions;
    std::erase_if(sessions, [&](const auto& entry) { return entry.second.client == down.source; });
  });
  return {
      [self, socket, max_sessions](tunnel_open_atom, const std::vector<char>& client_public, const caf::actor& client)
          -> caf::result<std::uint64_t, std::vector<char>, std::string> {
        auto opened = open_session(self, socket, max_sessions, as_view(client_public), client);
        if (!opened.ok())
          return {std::uint64_t{0}, std::vector<char>{}, opened.status().message()};
        return {opened->first, as_chars(opened->second), std::string{}};
      },
      [self](tunnel_data_atom, std::uint64_t id, const std::vector<char>& sealed) {
        const auto session = self->state.sessions.find(id);
        if (session != self->state.sessions.end() && !session->second.end->receive(sealed).ok())
          end_session(self, id, true);
      },
      [self](tunnel_ack_atom, std::uint64_t id, std::uint64_t count) {
        const auto session = self->state.sessions.find(id);
        if (session != self->state.sessions.end() && !session->second.end->acknowledged(count).ok())
          end_session(self, id, true);
      },
      [self](tunnel_close_atom, std::uint64_t id) { end_session(self, id, false); },
  };
}

class TunnelListener final : public Listener {
 public:
  ~TunnelListener() override { caf::anon_send_exit(endpoint_, caf::exit_reason::kill); }
  std::uint16_t port() const override { return port_; }

  std::unique_ptr<TunnelConfig> config_;  // outlives the system, which refers to it
  std::unique_ptr<caf::actor_system> system_;
  caf::actor endpoint_;
  std::uint16_t port_ = 0;
};

// ---- the client's side: a socket pair, one end for the wire::Client, one for the tunnel

// The client's end, once the session is open; the receiver actor finds it here.
struct Slot {
  std::mutex mutex;
  std::shared_ptr<TunnelEnd> end;
  std::uint64_t session = 0;
  bool closed = false;  // the node ended the session (or vanished) before the end was in place
  std::shared_ptr<TunnelEnd> get(std::uint64_t id) {
    std::lock_guard guard(mutex);
    return id == session ? end : nullptr;
  }
  // Ends the session: any, or the one `id` names (a close that comes before the session's id is
  // known is for this one: the slot has no other).
  void close(std::optional<std::uint64_t> id = std::nullopt) {
    std::shared_ptr<TunnelEnd> current;
    {
      std::lock_guard guard(mutex);
      if (id && session != 0 && *id != session)
        return;
      closed = true;
      current = end;
    }
    if (current)
      current->close();
  }
};

// Takes the node's messages to the client's end. The node sends nothing before the client's
// first request (strongholdd speaks only to answer), so none comes before the end is in its slot.
caf::behavior receiver(caf::event_based_actor* self, const std::shared_ptr<Slot>& slot, const caf::actor& node) {
  self->set_default_handler(caf::drop);
  self->set_error_handler([](caf::error&) {});
  self->monitor(node);
  self->set_down_handler([slot](const caf::down_msg&) { slot->close(); });
  const auto refuse = [slot](const std::shared_ptr<TunnelEnd>& end, std::uint64_t id) {
    caf::anon_send(end->peer(), tunnel_close_atom::value, id);
    slot->close();
  };
  return {
      [slot, refuse](tunnel_data_atom, std::uint64_t id, const std::vector<char>& sealed) {
        if (const auto end = slot->get(id); end && !end->receive(sealed).ok())
          refuse(end, id);
      },
      [slot, refuse](tunnel_ack_atom, std::uint64_t id, std::uint64_t count) {
        if (const auto end = slot->get(id); end && !end->acknowledged(count).ok())
          refuse(end, id);
      },
      [slot](tunnel_close_atom, std::uint64_t id) { slot->close(id); },
  };
}

// A client's actor system, shared by the sessions a Connector opens (each keeps it alive).
struct ClientSystem {
  explicit ClientSystem(const TlsFiles& tls) : config(tls, 1), system(config) {}
  TunnelConfig config;  // outlives the system, which refers to it
  caf::actor_system system;
};

class Tunnel final : public wire::Carrier {
 public:
  ~Tunnel() override {
    std::shared_ptr<TunnelEnd> end;
    {
      std::lock_guard guard(slot_->mutex);
      end = std::move(slot_->end);
    }
    if (end) {
      caf::anon_send(node_, tunnel_close_atom::value, session_);
      end.reset();
    }
    if (receiver_)
      caf::anon_send_exit(receiver_, caf::exit_reason::user_shutdown);
  }

  std::shared_ptr<ClientSystem> client_;  // outlives the actors below
  caf::actor node_;
  caf::actor receiver_;
  std::shared_ptr<Slot> slot_ = std::make_shared<Slot>();
  std::uint64_t session_ = 0;
};

std::string where(const Address& address) { return address.host + ":" + std::to_string(address.port); }

// Whether a TCP connection to the node opens within the timeout. CAF's own connect blocks its
// middleman's thread until the kernel gives up (about two minutes on a host that drops packets),
// and the client's exit waits for that thread: this one has a deadline.
Status probe(const RemoteOptions& options) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  const std::string port = std::to_string(options.node.port);
  if (const int failed = ::getaddrinfo(options.node.host.c_str(), port.c_str(), &hints, &found); failed != 0)
    return error(Errc::unavailable, "cannot find the node at {}: {}", where(options.node), ::gai_strerror(failed));
  const std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> addresses(found, ::freeaddrinfo);
  std::string why = "no address";
  for (const addrinfo* address = found; address != nullptr; address = address->ai_next) {
    const int fd = ::socket(address->ai_family, address->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
      continue;
    int failure = ::connect(fd, address->ai_addr, address->ai_addrlen) == 0 ? 0 : errno;
    if (failure == EINPROGRESS) {
      pollfd ready{fd, POLLOUT, 0};
      const auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(options.connect_timeout);
      socklen_t size = sizeof failure;
      failure = ::poll(&ready, 1, static_cast<int>(wait.count())) == 1 &&
                        ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &failure, &size) == 0
                    ? failure
                    : ETIMEDOUT;
    }
    ::close(fd);
    if (failure == 0)
      return {};
    why = errno_text(failure);
  }
  return error(Errc::unavailable, "cannot reach the node at {}: {}", where(options.node), why);
}

// The endpoint published at the node's address, over TLS, within `timeout`.
Result<caf::actor> reach_node(caf::actor_system& system, const RemoteOptions& options) {
  caf::scoped_actor self{system};
  Result<caf::actor> node = Status(Errc::unavailable, "no answer");
  self->request(system.openssl_manager().actor_handle(), options.connect_timeout, caf::connect_atom::value,
                options.node.host, options.node.port)
      .receive(
          [&](const caf::node_id&, caf::strong_actor_ptr& found, const std::set<std::string>&) {
            if (found)
              node = caf::actor_cast<caf::actor>(std::move(found));
            else
              node = error(Errc::unavailable, "{} serves no stronghold node", where(options.node));
          },
          [&](const caf::error& failure) {
            node = error(Errc::unavailable,
                         "cannot reach the node at {} over TLS ({}): is it running, and do both sides' "
                         "certificates come from the same CA?",
                         where(options.node),
                         failure == caf::sec::request_timeout ? "no answer in time" : system.render(failure));
          });
  return node;
}

}  // namespace

Result<Address> parse_address(std::string_view text, bool any_port) {
  const std::size_t colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0)
    return error(Errc::invalid_argument, "'{}' is not HOST:PORT", text);
  std::string_view host = text.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  const std::string_view digits = text.substr(colon + 1);
  unsigned port = 0;
  const auto [end, failed] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
  if (failed != std::errc{} || end != digits.data() + digits.size() || port > 65535 || (port == 0 && !any_port))
    return error(Errc::invalid_argument, "'{}' is not a port (in {})", digits, text);
  if (host.size() > 253 || host.find_first_of(" /\t\r\n") != std::string_view::npos)
    return error(Errc::invalid_argument, "'{}' is not a host name or address", host);
  return Address{std::string(host), static_cast<std::uint16_t>(port)};
}

Result<std::unique_ptr<Listener>> Listener::start(const ListenOptions& options) {
  SH_RETURN_IF_ERROR(check_tls_files(options.tls));
  SH_RETURN_IF_ERROR(check_openssl_error_queue_guard());
  auto listener = std::make_unique<TunnelListener>();
  listener->config_ = std::make_unique<TunnelConfig>(options.tls, 2);
  listener->system_ = std::make_unique<caf::actor_system>(*listener->config_);
  listener->endpoint_ = listener->system_->spawn(endpoint, options.socket, options.max_sessions);
  const auto port =
      caf::openssl::publish(listener->endpoint_, options.address.port, options.address.host.c_str(), true);
  if (!port)
    return error(Errc::unavailable, "cannot listen on {}: {}", where(options.address),
                 listener->system_->render(port.error()));
  listener->port_ = *port;
  return std::unique_ptr<Listener>(std::move(listener));
}

namespace {

// A session with the node, through `client`'s actor system.
Result<wire::Client> open_tunnel(std::shared_ptr<ClientSystem> client, const RemoteOptions& options,
                                 std::chrono::seconds answer_timeout) {
  SH_RETURN_IF_ERROR(probe(options));
  auto tunnel = std::make_unique<Tunnel>();
  tunnel->client_ = std::move(client);
  caf::actor_system& system = tunnel->client_->system;
  SH_ASSIGN_OR_RETURN(tunnel->node_, reach_node(system, options));
  tunnel->receiver_ = system.spawn(receiver, tunnel->slot_, tunnel->node_);
  SH_ASSIGN_OR_RETURN(const KeyExchange pair, KeyExchange::make());
  Result<SessionKeys> keys = Status(Errc::unavailable, "no answer");
  {
    caf::scoped_actor self{system};
    self->request(tunnel->node_, options.connect_timeout, tunnel_open_atom::value, as_chars(pair.public_key()),
                  tunnel->receiver_)
        .receive(
            [&](std::uint64_t id, const std::vector<char>& node_public, const std::string& refusal) {
              tunnel->session_ = id;
              std::lock_guard guard(tunnel->slot_->mutex);
              tunnel->slot_->session = id;
              keys = refusal.empty() ? pair.client_keys(as_view(node_public))
                                     : error(Errc::unavailable, "the node at {} refused a session: {}",
                                             where(options.node), refusal);
            },
            [&](const caf::error& failure) {
              keys = error(Errc::unavailable, "the node at {} did not open a session: {}", where(options.node),
                           system.render(failure));
            });
  }
  SH_RETURN_IF_ERROR(keys.status());
  int pair_fds[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair_fds) != 0)
    return error(Errc::io_error, "socketpair: {}", errno_text(errno));
  auto end = std::make_shared<TunnelEnd>(pair_fds[1], std::move(*keys), tunnel->node_, tunnel->session_, nullptr);
  if (Status started = end->start(); !started.ok()) {
    ::close(pair_fds[0]);
    return started;
  }
  {
    std::lock_guard guard(tunnel->slot_->mutex);
    if (tunnel->slot_->closed) {
      ::close(pair_fds[0]);
      return error(Errc::unavailable, "the node at {} ended the session as it opened", where(options.node));
    }
    tunnel->slot_->end = std::move(end);
  }
  return wire::Client::over(pair_fds[0], std::move(tunnel), answer_timeout);
}

class SharedConnector final : public Connector {
 public:
  SharedConnector(const TlsFiles& tls, std::chrono::seconds timeout)
      : tls_(tls), timeout_(timeout), client_(std::make_shared<ClientSystem>(tls)) {}
  Result<wire::Client> connect(const Address& node) override {
    return open_tunnel(client_, RemoteOptions{node, tls_, timeout_}, timeout_);
  }

 private:
  const TlsFiles tls_;
  const std::chrono::seconds timeout_;
  const std::shared_ptr<ClientSystem> client_;
};

}  // namespace

Result<wire::Client> connect(const RemoteOptions& options, std::chrono::seconds answer_timeout) {
  SH_RETURN_IF_ERROR(check_tls_files(options.tls));
  SH_RETURN_IF_ERROR(check_openssl_error_queue_guard());
  return open_tunnel(std::make_shared<ClientSystem>(options.tls), options, answer_timeout);
}

Result<std::unique_ptr<Connector>> Connector::make(const TlsFiles& tls, std::chrono::seconds timeout) {
  SH_RETURN_IF_ERROR(check_tls_files(tls));
  SH_RETURN_IF_ERROR(check_openssl_error_queue_guard());
  return std::unique_ptr<Connector>(std::make_unique<SharedConnector>(tls, timeout));
}

}  // namespace stronghold::remote
