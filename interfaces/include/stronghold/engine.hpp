// The C++ façade: one open snapshot served by its actors.
//
//   auto engine = stronghold::Engine::open("wallet.stronghold", password, {});
//   auto location = stronghold::vault::Location::parse("wallet/main").value();
//   auto public_key = (*engine)->generate(location, stronghold::vault::KeyType::ed25519);
//   auto signature = (*engine)->sign(location, message);
//
// Every operation is a request of the engine's vocabulary (stronghold/actors/requests.hpp):
// `call(request)` sends any of them and waits for its answer, `call_async` returns at once; the
// named methods below are shorthands for the common ones.
//
// Every call sends a request to the engine's actors and waits for the reply, with a timeout;
// the asynchronous calls return at once and run a callback (on an engine thread: keep it short,
// never block in it) when the reply comes. A blocking signature is the exception: it runs on
// the caller's thread (which would only wait otherwise) with the key's shielded material,
// fetched from the vault actor on first use and trusted while the key's location is unchanged,
// so it costs about one signature rather than a round trip through three actors (a key that a
// policy governs signs through the actors, where its policy applies). Errors come back as Status values.
// Private keys never come out; secret-store values come back in self-wiping buffers. Thread-safe. Several engines may
// live in one process, each in its own actor system or in one the application provides.
#pragma once

#include <chrono>
#include <functional>
#include <future>
#include <memory>
#include <string>
#include <vector>

#include "stronghold/actors/options.hpp"
#include "stronghold/actors/requests.hpp"
#include "stronghold/runtime/secret_buffer.hpp"
#include "stronghold/runtime/secret_bytes.hpp"

// This header is free of the actor framework (an application that wants the engine's actor
// handle includes stronghold/engine_actors.hpp).
namespace caf {
class actor_system;
}  // namespace caf

namespace stronghold {

struct EngineOptions {
  snapshot::SnapshotOptions snapshot;
  actors::EngineOptions actors;
  std::chrono::milliseconds timeout{10'000};  // for every request
  // Run in this actor system (its config must have called actors::register_message_types);
  // when null, the engine starts its own with one worker thread per core.
  caf::actor_system* system = nullptr;
  // The files' home; null for the operating system's. Must outlive the engine (tests pass one
  // that injects faults or simulates a power loss).
  snapshot::FileSystem* file_system = nullptr;
  // Who asks, for every request that names no caller: policies (vault/policy.hpp) name callers.
  std::string caller = "owner";
};

class Engine {
 public:
  static Result<std::unique_ptr<Engine>> create(const std::string& path, ByteView password,
                                                const EngineOptions& options = {});
  static Result<std::unique_ptr<Engine>> open(const std::string& path, ByteView password,
                                              const EngineOptions& options = {});
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Any request of the vocabulary, answered with its Answer type or an error; asked by the
  // engine's caller (EngineOptions::caller), or by `caller` (a server names its clients).
  template <actors::EngineRequest R>
  Result<typename R::Answer> call(R request);
  template <actors::EngineRequest R>
  Result<typename R::Answer> call(R request, const vault::Caller& caller);
  // Returns at once; `done` runs exactly once, on an engine thread, with the answer or the error
  // (unavailable once the engine closes).
  template <actors::EngineRequest R>
  void call_async(R request, std::function<void(Result<typename R::Answer>)> done);
  template <actors::EngineRequest R>
  void call_async(R request, const vault::Caller& caller, std::function<void(Result<typename R::Answer>)> done);

  // The same for a request in its wire form (actors/wire.hpp, docs/wire-protocol.md), for other
  // processes and other languages: the answer in its wire form (an error answer when the request
  // ran and failed), or an error Status when the request does not decode. The request's bytes
  // may hold secrets: the caller wipes them; the answer is in a wiping buffer.
  Result<runtime::SecretBytes> call_wire(ByteView request);
  Result<runtime::SecretBytes> call_wire(ByteView request, const vault::Caller& caller);
  void call_wire_async(ByteView request, std::function<void(Result<runtime::SecretBytes>)> done);
  void call_wire_async(ByteView request, const vault::Caller& caller,
                       std::function<void(Result<runtime::SecretBytes>)> done);

  // Every write refuses a location (or secret name) that holds a live record with
  // already_exists, unless `overwrite` is Overwrite::replace: the caller says so explicitly.
  Result<Bytes> generate(const vault::Location& location, vault::KeyType type,
                         vault::Overwrite overwrite = vault::Overwrite::refuse);
  // The private key is shielded before it is sent; the caller wipes its own copy.
  Result<Bytes> import_key(const vault::Location& location, vault::KeyType type, ByteView secret,
                           vault::Overwrite overwrite = vault::Overwrite::refuse);
  Result<Bytes> public_key(const vault::Location& location);
  // Ed25519 for an Ed25519 key; ECDSA over SHA-256 (compact, low-S) for a secp256k1 key.
  Result<Bytes> sign(const vault::Location& location, ByteView message);
  Result<Bytes> sign_ecdsa(const vault::Location& location, ByteView message, const vault::EcdsaOptions& options);
  // One request, many messages, one signature each.
  Result<std::vector<Bytes>> sign_batch(const vault::Location& location, std::vector<Bytes> messages);
  // From a seed, or from a key derive made (the path is then relative to that key).
  Result<Bytes> derive(const vault::Location& from, const std::string& path, vault::Curve curve,
                       const vault::Location& into, vault::Overwrite overwrite = vault::Overwrite::refuse);
  Status remove(const vault::Location& location);
  Status put_secret(const std::string& name, ByteView value, vault::Overwrite overwrite = vault::Overwrite::refuse);
  Result<runtime::SecretBuffer> get_secret(const std::string& name);
  // Everything acknowledged so far is durable (it already is in sync durability).
  Status sync();
  // Removes deleted and expired records for good and compacts the file.
  Status collect_garbage();
  // wrong_password when `current_password` is not the snapshot's. The password KDFs run in a
  // worker of the engine's; the new password keeps the file's KDF cost. A full re-key
  // (snapshot::Snapshot::change_password): the vault actor seals every record again meanwhile.
  Status change_password(ByteView current_password, ByteView new_password);
  // wrong_password when `password` is not the snapshot's; the KDF runs in a worker of the engine's.
  Status check_password(ByteView password);

  // What opening the file found: a torn final write it ignored, for one.
  const snapshot::OpenReport& open_report() const noexcept;
  // Stops the actors; later calls answer unavailable. Also done by the destructor. Calls running
  // on other threads must have returned (asynchronous requests still in flight are answered).
  void close();

  using SignCallback = std::function<void(Result<Bytes>)>;
  using BatchCallback = std::function<void(Result<std::vector<Bytes>>)>;
  void sign_async(const vault::Location& location, Bytes message, SignCallback done);
  void sign_batch_async(const vault::Location& location, std::vector<Bytes> messages, BatchCallback done);
  std::future<Result<Bytes>> sign_future(const vault::Location& location, Bytes message);

  std::chrono::milliseconds timeout() const;
  Result<actors::EngineStats> stats();

 private:
  friend class EngineAccess;  // the actor handle (stronghold/engine_actors.hpp)
  struct State;
  explicit Engine(std::unique_ptr<State> state) noexcept;
  static Result<std::unique_ptr<Engine>> start(std::unique_ptr<snapshot::Snapshot> snapshot, const std::string& path,
                                               const EngineOptions& options);
  std::unique_ptr<State> state_;
};

}  // namespace stronghold
