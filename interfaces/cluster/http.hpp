// A minimal HTTP/1.1 client for etcd's JSON gateway on loopback or a private network: one
// connection per request (Connection: close), bounded in time and in size. No TLS (see
// etcd_journal.hpp).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "stronghold/runtime/status.hpp"

namespace stronghold::cluster {

// host:port of an http:// URL ("http://127.0.0.1:2379" or "127.0.0.1:2379"); invalid_argument
// for https://, a path, a missing or impossible port.
struct Endpoint {
  std::string host;
  std::uint16_t port = 0;
  std::string text() const { return host + ":" + std::to_string(port); }
};
Result<Endpoint> parse_endpoint(std::string_view url);

struct HttpResponse {
  int status = 0;
  std::string body;
};

// POSTs `body` (JSON) to `path` and returns the response, its chunked encoding undone.
// unavailable when the endpoint cannot be reached or closes early, timeout when the whole exchange
// takes longer than `timeout`, resource_exhausted for a response larger than `max_body`.
Result<HttpResponse> post(const Endpoint& endpoint, std::string_view path, std::string_view body,
                          std::chrono::milliseconds timeout, std::size_t max_body);

// POSTs `body` and reads the response as it streams, handing every new piece of the raw stream
// to `until`, which returns true to stop; ok when it stopped, timeout when `wait` passed first
// (for a watch: nothing happened).
Status post_until(const Endpoint& endpoint, std::string_view path, std::string_view body,
                  std::chrono::milliseconds wait, std::size_t max_bytes,
                  const std::function<bool(std::string_view received)>& until);

}  // namespace stronghold::cluster
