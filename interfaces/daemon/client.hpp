// A blocking client of strongholdd: one connection, one request at a time (the CLI's --socket).
#pragma once

#include <string>

#include "protocol.hpp"

namespace stronghold::daemon {

class Client {
 public:
  // unavailable when nothing listens there; io_error for other failures.
  static Result<Client> connect(const std::string& socket_path);
  Client(Client&& other) noexcept;
  Client& operator=(Client&&) = delete;
  ~Client();

  // Sends one request and waits for its response; a failure status comes back as a Status.
  Result<std::vector<Bytes>> call(Op op, std::vector<Bytes> fields);

 private:
  explicit Client(int fd) noexcept : fd_(fd) {}
  int fd_ = -1;
  std::uint64_t next_id_ = 1;
};

}  // namespace stronghold::daemon
