#include "requests.hpp"

#include <cstdlib>

#include <fmt/format.h>

#include "client_keys.hpp"
#include "remote/tunnel.hpp"

namespace stronghold::cli {

namespace {

// Through the local socket, or the tunnel to a node (remote/tunnel.hpp).
Result<wire::Client> open_connection(const GlobalOptions& options, std::chrono::seconds timeout) {
  if (options.remote.empty())
    return wire::Client::connect(options.socket, timeout);
  SH_ASSIGN_OR_RETURN(const remote::Address node, remote::parse_address(options.remote, false));
  return remote::connect({node, {options.tls_cert, options.tls_key, options.tls_ca}}, timeout);
}

}  // namespace

Result<wire::Client> connect_to_daemon(const GlobalOptions& options) {
  std::chrono::seconds timeout = wire::kDefaultAnswerTimeout;
  if (const char* value = std::getenv("STRONGHOLD_TIMEOUT"); value != nullptr && *value != '\0') {
    char* end = nullptr;
    const long seconds = std::strtol(value, &end, 10);
    if (*end != '\0' || seconds < 1 || seconds > 86'400)
      return error(Errc::invalid_argument, "STRONGHOLD_TIMEOUT is a number of seconds from 1 to 86400, not '{}'",
                   value);
    timeout = std::chrono::seconds(seconds);
  }
  SH_ASSIGN_OR_RETURN(wire::Client client, open_connection(options, timeout));
  if (!options.client.empty()) {
    SH_ASSIGN_OR_RETURN(const runtime::SecretBytes seed, read_key_file(options.client_key, "client key file"));
    SH_RETURN_IF_ERROR(client.prove(options.client, seed.view()));
  }
  return client;
}

Result<Engine*> Requests::local_engine() {
  if (engine_)
    return engine_.get();
  SH_ASSIGN_OR_RETURN(const bool exists, path_exists(options_.snapshot));
  if (!exists)
    return error(Errc::not_found, "there is no snapshot at {} (create one with 'stronghold init')", options_.snapshot);
  SH_ASSIGN_OR_RETURN(const actors::Secret password, opening_password());
  // No timeout to speak of: the work is this command's alone (a password change of a strong-KDF
  // file, a large import), and giving up would not stop it.
  EngineOptions engine_options;
  engine_options.timeout = std::chrono::hours(24);
  SH_RETURN_IF_ERROR(password.open([&](ByteView plain) -> Status {
    SH_ASSIGN_OR_RETURN(engine_, Engine::open(options_.snapshot, plain, engine_options));
    return {};
  }));
  if (const std::uint64_t dropped = engine_->open_report().dropped_tail_bytes; dropped > 0)
    fmt::print(stderr,
               "stronghold: warning: ignored the last {} bytes of {}: an unfinished write, as a crash leaves (if "
               "none happened, someone changed the file); the next change removes them\n",
               dropped, options_.snapshot);
  return engine_.get();
}

Result<actors::Secret> Requests::opening_password() {
  if (!password_) {
    SH_ASSIGN_OR_RETURN(const runtime::SecretBuffer typed, snapshot_password(options_, "Snapshot password: "));
    auto view = typed.read();
    SH_ASSIGN_OR_RETURN(password_, actors::Secret::seal(view.bytes()));
  }
  return *password_;
}

Result<actors::Secret> Requests::command_password(const Inputs& inputs) {
  if (!inputs.has_secret("password"))
    return opening_password();
  SH_ASSIGN_OR_RETURN(const runtime::SecretBuffer* const typed, inputs.secret("password"));
  auto view = typed->read();
  return actors::Secret::seal(view.bytes());
}

Result<runtime::SecretBytes> Requests::call_daemon(const Result<runtime::SecretBytes>& request) {
  if ((request.ok() && request->size() > wire::kMaxWireMessage) || request.status().code() == Errc::resource_exhausted)
    return error(Errc::invalid_argument,
                 "the request is more than strongholdd takes in one request ({} bytes); run the command without "
                 "--socket or --remote while strongholdd is stopped",
                 wire::kMaxWireMessage);
  SH_RETURN_IF_ERROR(request.status());
  if (!client_) {
    SH_ASSIGN_OR_RETURN(wire::Client connected, connect_to_daemon(options_));
    client_.emplace(std::move(connected));
  }
  return client_->call(request->view());
}

}  // namespace stronghold::cli
