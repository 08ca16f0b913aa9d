// Load on strongholdd's Unix socket, shared by the daemon and cluster benchmarks: Ed25519
// signature requests kept in flight on each connection for kSeconds, by the sign op, in batches
// of kBatch, or by the request op that carries any request of the vocabulary, all to the key at
// b/ed.
#pragma once

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "stronghold/actors/wire.hpp"
#include "throughput.hpp"
#include "wire/protocol.hpp"

namespace stronghold::bench {

enum class Mode { sign_op, batch_op, request_op };
inline constexpr int kBatch = 64;

// The fields of one request of `mode` (what the answer then holds: a signature per message).
inline std::pair<wire::Op, std::vector<Bytes>> request_for(Mode mode) {
  const Bytes location = {'b', '/', 'e', 'd'};
  switch (mode) {
    case Mode::sign_op: return {wire::Op::sign, {location, kMessage}};
    case Mode::batch_op: {
      std::vector<Bytes> fields(kBatch + 1, kMessage);
      fields[0] = location;
      return {wire::Op::sign_batch, std::move(fields)};
    }
    case Mode::request_op: {
      const auto sign = actors::Sign{vault::Location::parse("b/ed").value(), kMessage};
      const auto encoded = actors::wire::encode_request(sign).value();
      return {wire::Op::request, {Bytes(encoded.view().begin(), encoded.view().end())}};
    }
  }
  std::abort();
}

// Keeps `in_flight` signature requests (or messages in batches) outstanding on one connection for
// kSeconds; returns the signatures received.
inline std::uint64_t drive_connection(const std::string& socket, int in_flight, Mode mode) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::memcpy(address.sun_path, socket.c_str(), socket.size() + 1);
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0)
    std::abort();
  const auto [op, fields] = request_for(mode);
  auto frame_for = [&, op = op, fields = fields](std::uint64_t id) {
    const auto frame = wire::encode_frame({id, static_cast<std::uint8_t>(op), fields});
    return Bytes(frame.view().begin(), frame.view().end());
  };
  const int requests = mode == Mode::batch_op ? in_flight / kBatch : in_flight;
  std::uint64_t next_id = 1, outstanding = 0, signatures = 0;
  Bytes pending;
  for (int i = 0; i < requests; ++i) {
    const Bytes frame = frame_for(next_id++);
    pending.insert(pending.end(), frame.begin(), frame.end());
    ++outstanding;
  }
  wire::FrameReader reader;
  const auto start = Clock::now();
  std::uint8_t buffer[1 << 16];
  while (outstanding > 0) {
    if (!pending.empty()) {
      const ssize_t wrote = ::send(fd, pending.data(), pending.size(), MSG_NOSIGNAL);
      if (wrote <= 0)
        std::abort();
      pending.erase(pending.begin(), pending.begin() + wrote);
    }
    const ssize_t got = ::recv(fd, buffer, sizeof buffer, 0);
    if (got <= 0 || !reader.feed(ByteView(buffer, static_cast<std::size_t>(got))).ok())
      std::abort();
    runtime::SecretBytes body;
    while (reader.next(body)) {
      auto answer = wire::decode_body(body.view(), false);
      if (!answer.ok() || answer->code != 0 ||
          (mode == Mode::request_op && !actors::wire::decode_answer<actors::Sign>(answer->fields.at(0)).ok()))
        std::abort();
      signatures += answer->fields.size();
      --outstanding;
      if (elapsed(start) < kSeconds) {
        const Bytes frame = frame_for(next_id++);
        pending.insert(pending.end(), frame.begin(), frame.end());
        ++outstanding;
      }
    }
  }
  ::close(fd);
  return signatures;
}

// Signatures per second with `connections` connections to each of `sockets`, `in_flight` on each.
inline double daemon_rate(const std::vector<std::string>& sockets, int connections, int in_flight, Mode mode) {
  std::atomic<std::uint64_t> total{0};
  std::vector<std::thread> clients;
  const auto start = Clock::now();
  for (const std::string& socket : sockets)
    for (int c = 0; c < connections; ++c)
      clients.emplace_back([&total, &socket, in_flight, mode] { total += drive_connection(socket, in_flight, mode); });
  for (auto& client : clients)
    client.join();
  return static_cast<double>(total) / elapsed(start);
}

}  // namespace stronghold::bench
