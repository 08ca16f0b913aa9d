// Where a command's requests go (stronghold/actors/requests.hpp): to the snapshot file, through
// an engine this process opens on the first request, or with --socket to strongholdd, which gets
// each request in its wire form (docs/wire-protocol.md, "The request op"). A command builds the
// same requests either way, so its output, errors and exit codes are the same.
#pragma once

#include <memory>
#include <optional>

#include "session.hpp"
#include "stronghold/actors/wire.hpp"
#include "stronghold/engine.hpp"
#include "wire/client.hpp"

namespace stronghold::cli {

// A connection to the strongholdd at `options.socket`, or through the node at `options.remote`, whose answers are
// awaited for $STRONGHOLD_TIMEOUT seconds (default 60; invalid_argument for a value that is not a number of seconds),
// on which the client identity --client names is proven with --client-key's key.
Result<wire::Client> connect_to_daemon(const GlobalOptions& options);

class Requests {
 public:
  explicit Requests(const GlobalOptions& options) : options_(options) {}

  // The request's answer, or its error.
  template <actors::EngineRequest R>
  Result<typename R::Answer> call(R request) {
    if (!options_.through_daemon()) {
      SH_ASSIGN_OR_RETURN(Engine* const engine, local_engine());
      return engine->call(std::move(request));
    }
    SH_ASSIGN_OR_RETURN(const runtime::SecretBytes answer, call_daemon(actors::wire::encode_request(request)));
    return actors::wire::decode_answer<R>(answer.view());
  }

  // Calls `visit` with each item of a listing (ListRecords, ListSecrets, DidList), asking for
  // it page by page; `key` gives the item's key, which the next page starts after.
  template <actors::EngineRequest R, class Key, class Visit>
  Status for_each_listed(R request, Key key, Visit visit) {
    for (;;) {
      SH_ASSIGN_OR_RETURN(const typename R::Answer page, call(request));
      for (const auto& item : page)
        visit(item);
      if (page.size() < request.limit)
        return {};
      if (page.size() > request.limit || key(page.back()) == request.after)
        return Status(Errc::internal, "a page of the listing does not move past the one before");
      request.after = key(page.back());
    }
  }

  const GlobalOptions& options() const noexcept { return options_; }

  // The password the snapshot was opened with: what passwd on the file changes.
  Result<actors::Secret> opening_password();
  // The snapshot's password for a request that takes it: read for the command (Reads::password)
  // when it runs in strongholdd, which did not open the file with it here; else the opening one.
  Result<actors::Secret> command_password(const Inputs& inputs);

 private:
  // Opens the snapshot with the password from its sources, once.
  Result<Engine*> local_engine();
  // `request` in its wire form (resource_exhausted: larger than the codec takes).
  Result<runtime::SecretBytes> call_daemon(const Result<runtime::SecretBytes>& request);

  const GlobalOptions& options_;
  std::optional<actors::Secret> password_;
  std::unique_ptr<Engine> engine_;
  std::optional<wire::Client> client_;
};

}  // namespace stronghold::cli
