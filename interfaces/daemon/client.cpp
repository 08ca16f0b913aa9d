#include "client.hpp"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <iterator>

#include <sodium.h>

namespace stronghold::daemon {

Result<Client> Client::connect(const std::string& socket_path) {
  sockaddr_un address{};
  if (socket_path.size() >= sizeof address.sun_path)
    return Status(Errc::invalid_argument, "the socket path is too long");
  address.sun_family = AF_UNIX;
  std::memcpy(address.sun_path, socket_path.c_str(), socket_path.size() + 1);
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return Status(Errc::io_error, "cannot create a socket");
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
    ::close(fd);
    return error(Errc::unavailable, "no strongholdd answers at {}", socket_path);
  }
  return Client(fd);
}

Client::Client(Client&& other) noexcept : fd_(other.fd_), next_id_(other.next_id_) { other.fd_ = -1; }

Client::~Client() {
  if (fd_ >= 0)
    ::close(fd_);
}

Result<std::vector<Bytes>> Client::call(Op op, std::vector<Bytes> fields) {
  const std::uint64_t id = next_id_++;
  Message request{id, static_cast<std::uint8_t>(op), std::move(fields)};
  Bytes frame = encode_frame(request);
  for (Bytes& field : request.fields)  // a field may be a password or a command's input
    sodium_memzero(field.data(), field.size());
  std::size_t sent = 0;
  while (sent < frame.size()) {
    const ssize_t wrote = ::send(fd_, frame.data() + sent, frame.size() - sent, MSG_NOSIGNAL);
    if (wrote <= 0)
      break;
    sent += static_cast<std::size_t>(wrote);
  }
  std::fill(frame.begin(), frame.end(), std::uint8_t{0});
  if (sent < frame.size())
    return Status(Errc::unavailable, "strongholdd closed the connection");
  FrameReader reader;
  runtime::SecretBytes body;
  std::vector<Bytes> fields_so_far;
  std::uint8_t buffer[64 * 1024];
  for (;;) {
    while (!reader.next(body)) {
      const ssize_t got = ::recv(fd_, buffer, sizeof buffer, 0);
      if (got <= 0)
        return Status(Errc::unavailable, "strongholdd closed the connection");
      SH_RETURN_IF_ERROR(reader.feed(ByteView(buffer, static_cast<std::size_t>(got))));
      sodium_memzero(buffer, static_cast<std::size_t>(got));
    }
    auto response = decode_body(body.view(), false);
    SH_RETURN_IF_ERROR(response.status());
    if (response->id != id)
      return Status(Errc::internal, "strongholdd answered another request");
    if (response->code == kPartial) {
      std::move(response->fields.begin(), response->fields.end(), std::back_inserter(fields_so_far));
      continue;
    }
    if (response->code != 0) {
      const std::string text =
          response->fields.empty() ? "" : std::string(response->fields[0].begin(), response->fields[0].end());
      return Status(static_cast<Errc>(response->code), text);
    }
    std::move(response->fields.begin(), response->fields.end(), std::back_inserter(fields_so_far));
    return fields_so_far;
  }
}

}  // namespace stronghold::daemon
