#include "client.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <iterator>

#include <sodium.h>

#include "socket_trust.hpp"
#include "stronghold/runtime/scratch.hpp"

namespace stronghold::wire {

Result<int> connect_trusted(const std::string& socket_path) {
  char resolved[PATH_MAX];
  if (::realpath(socket_path.c_str(), resolved) == nullptr)
    return error(Errc::unavailable, "no strongholdd answers at {}", socket_path);
  const std::string real_path = resolved;
  SH_ASSIGN_OR_RETURN(const sockaddr_un address, socket_address(real_path));
  // Nothing is sent before the socket and then the process serving it are known to be ours.
  const auto refused = [](const Status& fault) {
    return Status(fault.code(), fault.message() + ": nothing was sent to it");
  };
  if (Status folder = check_socket_folder(real_path); !folder.ok())
    return refused(folder);
  if (Status file = check_socket_file(real_path); !file.ok())
    return refused(file);
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return Status(Errc::io_error, "cannot create a socket");
  Status checked;
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0)
    checked = error(Errc::unavailable, "no strongholdd answers at {}", socket_path);
  else if (Status server = check_server(fd, socket_path); !server.ok())
    checked = refused(server);
  if (!checked.ok()) {
    ::close(fd);
    return checked;
  }
  return fd;
}

Result<Client> Client::connect(const std::string& socket_path, std::chrono::seconds answer_timeout) {
  SH_ASSIGN_OR_RETURN(const int fd, connect_trusted(socket_path));
  return Client(fd, answer_timeout);
}

Client Client::over(int fd, std::unique_ptr<Carrier> carrier, std::chrono::seconds answer_timeout) noexcept {
  Client client(fd, answer_timeout);
  client.carrier_ = std::move(carrier);
  return client;
}

Client::Client(Client&& other) noexcept
    : fd_(other.fd_),
      carrier_(std::move(other.carrier_)),
      answer_timeout_(other.answer_timeout_),
      next_id_(other.next_id_),
      reader_(std::move(other.reader_)) {
  other.fd_ = -1;
}

Client::~Client() {
  if (fd_ >= 0)
    ::close(fd_);
}

Status Client::wait_for(short events, std::chrono::steady_clock::time_point deadline) const {
  for (;;) {
    const bool forever = deadline == std::chrono::steady_clock::time_point::max();
    const auto left = forever
                          ? std::chrono::milliseconds(-1)
                          : std::chrono::ceil<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    pollfd ready{fd_, events, 0};
    const int got = forever || left.count() > 0 ? ::poll(&ready, 1, static_cast<int>(left.count())) : 0;
    if (got > 0)
      return {};
    if (got == 0)
      return error(Errc::timeout, "strongholdd did not answer within {} s (STRONGHOLD_TIMEOUT sets how long to wait)",
                   answer_timeout_.count());
    if (errno != EINTR)
      return error(Errc::io_error, "poll: {}", errno_text(errno));
  }
}

Status Client::send_all(ByteView frame, std::chrono::steady_clock::time_point deadline) const {
  for (std::size_t sent = 0; sent < frame.size();) {
    SH_RETURN_IF_ERROR(wait_for(POLLOUT, deadline));
    const ssize_t wrote = ::send(fd_, frame.data() + sent, frame.size() - sent, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (wrote < 0 && (errno == EAGAIN || errno == EINTR))
      continue;
    if (wrote <= 0)
      return Status(Errc::unavailable, "strongholdd closed the connection");
    sent += static_cast<std::size_t>(wrote);
  }
  return {};
}

Result<std::vector<Bytes>> Client::call(Op op, std::vector<Bytes> fields) {
  const auto deadline = std::chrono::steady_clock::now() + answer_timeout_;
  const std::uint64_t id = next_id_++;
  runtime::SecretBytes frame = encode_frame(Message{id, static_cast<std::uint8_t>(op), std::move(fields)});
  SH_RETURN_IF_ERROR(send_all(frame.view(), deadline));
  return receive(id, deadline);
}

Result<std::vector<Bytes>> Client::receive(std::uint64_t id, std::chrono::steady_clock::time_point deadline) {
  runtime::SecretBytes body;
  std::uint8_t buffer[64 * 1024];
  while (!reader_.next(body)) {
    SH_RETURN_IF_ERROR(wait_for(POLLIN, deadline));
    const ssize_t got = ::recv(fd_, buffer, sizeof buffer, 0);
    if (got < 0 && errno == EINTR)
      continue;
    if (got <= 0)
      return Status(Errc::unavailable, "strongholdd closed the connection");
    SH_RETURN_IF_ERROR(reader_.feed(ByteView(buffer, static_cast<std::size_t>(got))));
    sodium_memzero(buffer, static_cast<std::size_t>(got));
  }
  auto response = decode_body(body.view(), false);
  SH_RETURN_IF_ERROR(response.status());
  if (response->id != id)
    return Status(Errc::internal, "strongholdd answered another request");
  if (response->code != 0) {
    const std::string text =
        response->fields.empty() ? "" : std::string(response->fields[0].begin(), response->fields[0].end());
    return Status(static_cast<Errc>(response->code), text);
  }
  return std::move(response->fields);
}

Status Client::watch(std::uint32_t capacity, const std::function<bool(const actors::Event&)>& on_event) {
  Bytes asked(4);
  for (std::size_t i = 0; i < 4; ++i)
    asked[i] = static_cast<std::uint8_t>(capacity >> (8 * (3 - i)));
  const std::uint64_t id = next_id_;
  SH_RETURN_IF_ERROR(call(Op::watch, {std::move(asked)}).status());
  for (;;) {
    SH_ASSIGN_OR_RETURN(const std::vector<Bytes> fields, receive(id, std::chrono::steady_clock::time_point::max()));
    SH_ASSIGN_OR_RETURN(const actors::Event event, event_from_fields(fields));
    if (!on_event(event))
      return {};
  }
}

Result<runtime::SecretBytes> Client::call(ByteView request) {
  if (request.size() > kMaxWireMessage)
    return error(Errc::resource_exhausted, "a request of {} bytes is more than strongholdd takes ({} bytes)",
                 request.size(), kMaxWireMessage);
  Message answer;  // wipes the answer's copy
  SH_ASSIGN_OR_RETURN(answer.fields, call(Op::request, {Bytes(request.begin(), request.end())}));
  if (answer.fields.size() != 1)
    return Status(Errc::internal, "strongholdd answered a request with other than one field");
  return runtime::SecretBytes(ByteView(answer.fields[0]));
}

Status Client::prove(const std::string& name, ByteView seed) {
  if (seed.size() != crypto_sign_SEEDBYTES)
    return error(Errc::invalid_argument, "a client key is a {}-byte Ed25519 seed", crypto_sign_SEEDBYTES);
  SH_ASSIGN_OR_RETURN(const std::vector<Bytes> challenge, call(Op::challenge, {Bytes(name.begin(), name.end())}));
  if (challenge.size() != 1 || challenge[0].size() != kChallengeSize)
    return Status(Errc::internal, "strongholdd answered a challenge request with no challenge");
  runtime::ScratchFrame frame;
  SH_ASSIGN_OR_RETURN(const auto secret_key, frame.take(crypto_sign_SECRETKEYBYTES));
  std::uint8_t public_key[crypto_sign_PUBLICKEYBYTES];
  crypto_sign_seed_keypair(public_key, secret_key.data(), seed.data());
  const Bytes message = client_proof_message(challenge[0], name);
  Bytes signature(crypto_sign_BYTES);
  crypto_sign_detached(signature.data(), nullptr, message.data(), message.size(), secret_key.data());
  std::vector<Bytes> fields;
  fields.push_back(std::move(signature));
  return call(Op::prove, std::move(fields)).status();
}

}  // namespace stronghold::wire
