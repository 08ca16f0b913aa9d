// A minimal HTTP/1.1 client for etcd's JSON gateway: one connection per request (Connection:
// close), bounded in time and in size, over TLS for https:// endpoints.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "remote/tls_files.hpp"
#include "stronghold/runtime/status.hpp"

namespace stronghold::cluster {

// host:port of an http:// or https:// URL ("https://10.0.0.1:2379"; "127.0.0.1:2379" is plain
// HTTP); invalid_argument for another scheme, a path, a missing or impossible port.
struct Endpoint {
  std::string host;
  std::uint16_t port = 0;
  bool tls = false;  // https://
  std::string text() const { return host + ":" + std::to_string(port); }
};
Result<Endpoint> parse_endpoint(std::string_view url);

// What https:// endpoints need: the peer's certificate must verify against `files.ca` and name
// the endpoint's host (a DNS name or an IP address); the certificate and key, when given, answer
// a server that asks for a client's (etcd's --client-cert-auth). TLS 1.2 at least. Not the
// system's CAs: any public CA could then vouch for a name of etcd's. Over TLS a peer's reset can
// raise SIGPIPE (OpenSSL writes without MSG_NOSIGNAL): the process ignores it (strongholdd does).
// Thread-safe once made.
class TlsClient {
 public:
  // invalid_argument without a CA, or naming a file that cannot be used (remote::use_tls_files).
  static Result<std::shared_ptr<const TlsClient>> make(const remote::TlsFiles& files);
  SSL_CTX* context() const { return context_.get(); }

 private:
  struct FreeContext {
    void operator()(SSL_CTX* context) const;
  };
  explicit TlsClient(SSL_CTX* context) : context_(context) {}
  std::unique_ptr<SSL_CTX, FreeContext> context_;
};

struct HttpResponse {
  int status = 0;
  std::string body;
};

// POSTs JSON to etcd's members. A connection is kept open after a response that allows it and
// serves the next request to that endpoint (HTTP/1.1 keep-alive): over TLS a handshake per request
// took longer than etcd's transaction itself (bench_cluster --etcd-tls). Thread-safe.
class HttpClient {
 public:
  // `tls`: what https:// endpoints need; null when every endpoint is http://.
  explicit HttpClient(std::shared_ptr<const TlsClient> tls);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // POSTs `body` to `path` and returns the response, its chunked encoding undone. unavailable
  // when the endpoint cannot be reached, closes early or fails TLS's handshake (its certificate
  // does not verify, for one), timeout when the whole exchange takes longer than `timeout`,
  // resource_exhausted for a response larger than `max_body`, corrupted for one that is not HTTP.
  // A request that fails on a kept connection before any answer came is sent once more on a new
  // one (the server may have closed the kept one meanwhile): `body` must be safe to send twice.
  Result<HttpResponse> post(const Endpoint& endpoint, std::string_view path, std::string_view body,
                            std::chrono::milliseconds timeout, std::size_t max_body);

  // POSTs `body` on a connection of its own and reads the response as it streams, handing every
  // new piece of the raw stream to `until`, which returns true to stop; ok when it stopped,
  // timeout when `wait` passed first (for a watch: nothing happened).
  Status post_until(const Endpoint& endpoint, std::string_view path, std::string_view body,
                    std::chrono::milliseconds wait, std::size_t max_bytes,
                    const std::function<bool(std::string_view received)>& until);

 private:
  class Connection;
  // Sends the request and reads its response on `connection`; `reusable` says whether the
  // connection may serve another request afterwards, `heard` whether any answer came.
  Result<HttpResponse> exchange(Connection& connection, const Endpoint& endpoint, std::string_view path,
                                std::string_view body, std::chrono::steady_clock::time_point deadline,
                                std::size_t max_body, bool& reusable, bool& heard);
  std::unique_ptr<Connection> take_kept(const Endpoint& endpoint);
  void keep(const Endpoint& endpoint, std::unique_ptr<Connection> connection);

  std::shared_ptr<const TlsClient> tls_;
  std::mutex mutex_;                                                      // guards kept_
  std::map<std::string, std::vector<std::unique_ptr<Connection>>> kept_;  // by endpoint, idle
};

}  // namespace stronghold::cluster
