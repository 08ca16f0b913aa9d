#include "stronghold/engine.hpp"

#include <atomic>
#include <map>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <utility>

#include "stronghold/actors/pending.hpp"
#include "stronghold/actors/system_config.hpp"

namespace stronghold {
namespace {

using actors::batch_atom;
using actors::ByteList;
using actors::delete_atom;
using actors::derive_atom;
using actors::ecdsa_atom;
using actors::EngineStats;
using actors::generate_atom;
using actors::get_secret_atom;
using actors::import_atom;
using actors::public_atom;
using actors::put_secret_atom;
using actors::SharedShielded;
using actors::shield;
using actors::sign_atom;
using actors::stats_atom;
using actors::supervisor_actor;
using actors::sync_atom;
using actors::to_status;

using drain_atom = caf::atom_constant<caf::atom("drain")>;
using batch_async_atom = caf::atom_constant<caf::atom("batchasync")>;
using SharedBatchCallback = std::shared_ptr<Engine::BatchCallback>;

struct PendingSign {
  vault::Location location;
  Bytes message;
  Engine::SignCallback done;
};

// Asynchronous signing requests from any thread wait here until the client actor takes them all
// at once: one actor message per burst rather than one per request.
class SubmitQueue {
 public:
  enum class Pushed { wake_client, queued, closed };

  Pushed push(PendingSign& request) {
    std::lock_guard guard(mutex_);
    if (closed_)
      return Pushed::closed;
    queue_.push_back(std::move(request));
    return std::exchange(idle_, false) ? Pushed::wake_client : Pushed::queued;
  }
  std::vector<PendingSign> take() {
    std::lock_guard guard(mutex_);
    idle_ = true;
    return std::exchange(queue_, {});
  }
  // Refuses further requests; returns those never taken.
  std::vector<PendingSign> close() {
    std::lock_guard guard(mutex_);
    closed_ = true;
    return std::exchange(queue_, {});
  }

 private:
  std::mutex mutex_;
  std::vector<PendingSign> queue_;
  bool idle_ = true;
  bool closed_ = false;
};

Status engine_closed() { return Status(Errc::unavailable, "the engine is closed"); }

// A caller's procedure that may refer to the caller's stack: it runs while the caller waits for
// the answer or never (a request that timed out may still reach the vault actor later).
class GuardedBody {
 public:
  explicit GuardedBody(std::function<Status(vault::Transaction&)> body) : body_(std::move(body)) {}
  Status run(vault::Transaction& tx) {
    std::lock_guard guard(mutex_);
    if (abandoned_)
      return Status(Errc::timeout, "the caller stopped waiting");
    return body_(tx);
  }
  // Waits for a run in progress; no run starts afterwards.
  void abandon() {
    std::lock_guard guard(mutex_);
    abandoned_ = true;
  }

 private:
  std::mutex mutex_;
  bool abandoned_ = false;
  std::function<Status(vault::Transaction&)> body_;
};

}  // namespace
}  // namespace stronghold

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(stronghold::SharedBatchCallback)

namespace stronghold {
namespace {

// Issues asynchronous requests for non-actor callers. Signing requests for one key taken from
// the queue together go out as batches, so many requests in flight cost about what batches cost
// (the vault actor shares a large batch among the signers); each still gets its own callback.
using client_actor = caf::typed_actor<caf::reacts_to<drain_atom>,
                                      caf::reacts_to<batch_async_atom, vault::Location, ByteList, SharedBatchCallback>>;

constexpr std::size_t kMaxCoalesced = 64;  // a few batches in flight keep every signer busy

struct ClientState {
  std::shared_ptr<SubmitQueue> queue;
  supervisor_actor engine;
  std::chrono::milliseconds timeout{};
  actors::PendingAnswers in_flight;  // callbacks failed if this actor stops before their answer
  static const char* name;
};
const char* ClientState::name = "stronghold.client";

using ClientSelf = client_actor::stateful_pointer<ClientState>;

// Sends one batch request; `answer` gets the signatures or the failure, exactly once.
template <class Answer>
void request_batch(ClientSelf self, const vault::Location& location, ByteList messages, Answer answer) {
  auto& state = self->state;
  auto shared = std::make_shared<Answer>(std::move(answer));
  const std::uint64_t id = state.in_flight.add([shared](const caf::error&) { (*shared)(engine_closed()); });
  self->request(state.engine, state.timeout, batch_atom::value, location, std::move(messages))
      .then(
          [self, id, shared](ByteList& signatures) {
            self->state.in_flight.done(id);
            (*shared)(std::move(signatures));
          },
          [self, id, shared](caf::error& failure) {
            self->state.in_flight.done(id);
            (*shared)(to_status(failure));
          });
}

void send_signs(ClientSelf self, const vault::Location& location, const std::vector<PendingSign*>& requests) {
  ByteList messages;
  messages.reserve(requests.size());
  std::vector<Engine::SignCallback> callbacks;
  callbacks.reserve(requests.size());
  for (PendingSign* request : requests) {
    messages.push_back(std::move(request->message));
    callbacks.push_back(std::move(request->done));
  }
  request_batch(self, location, std::move(messages),
                [callbacks = std::move(callbacks)](Result<ByteList> signatures) mutable {
                  for (std::size_t i = 0; i < callbacks.size(); ++i)
                    callbacks[i](signatures.ok() ? Result<Bytes>(std::move((*signatures)[i]))
                                                 : Result<Bytes>(signatures.status()));
                });
}

client_actor::behavior_type async_client(ClientSelf self, supervisor_actor engine, std::chrono::milliseconds timeout,
                                         std::shared_ptr<SubmitQueue> queue) {
  self->state.engine = std::move(engine);
  self->state.timeout = timeout;
  self->state.queue = std::move(queue);
  self->state.in_flight.fail_on_exit(self);
  return {
      [self](drain_atom) {
        std::vector<PendingSign> taken = self->state.queue->take();
        std::map<vault::Location, std::vector<PendingSign*>> by_key;
        for (PendingSign& request : taken) {
          auto& waiting = by_key[request.location];
          waiting.push_back(&request);
          if (waiting.size() == kMaxCoalesced)
            send_signs(self, request.location, std::exchange(waiting, {}));
        }
        for (auto& [location, waiting] : by_key)
          if (!waiting.empty())
            send_signs(self, location, waiting);
      },
      [self](batch_async_atom, const vault::Location& location, ByteList& messages, const SharedBatchCallback& done) {
        request_batch(self, location, std::move(messages),
                      [done](Result<ByteList> signatures) { (*done)(std::move(signatures)); });
      },
  };
}

// An actor system of the engine's own, with its configuration (which the system refers to for
// its whole life).
struct OwnSystem {
  caf::actor_system_config config;
  std::optional<caf::actor_system> system;
  OwnSystem() {
    actors::register_message_types(config);
    actors::configure_scheduler(config);
    system.emplace(config);
  }
};

}  // namespace

struct Engine::State {
  std::unique_ptr<OwnSystem> own_system;  // when the application gave none
  // Blocking signatures run on the caller's thread with material the vault actor handed out,
  // trusted while the location's change counter is unchanged (see actors::KeyGenerations).
  struct CachedKey {
    vault::SigningMaterial material;
    std::uint64_t generation = 0;
  };
  std::shared_ptr<actors::KeyGenerations> generations = std::make_shared<actors::KeyGenerations>();
  std::shared_mutex cache_mutex;
  std::map<vault::Location, CachedKey> cache;
  vault::Keystore::Clock clock;
  caf::actor_system* system = nullptr;
  supervisor_actor engine;
  client_actor client;
  std::shared_ptr<SubmitQueue> submitted = std::make_shared<SubmitQueue>();
  std::chrono::milliseconds timeout{};
  std::atomic<bool> closed{false};

  // Sends one request and waits for its reply.
  template <class T, class... Args>
  Result<T> call(Args&&... args) {
    if (closed)
      return engine_closed();
    actors::ReleaseThreadLogger release;
    caf::scoped_actor self{*system};
    std::optional<Result<T>> result;
    self->request(engine, timeout, std::forward<Args>(args)...)
        .receive([&](T& value) { result.emplace(std::move(value)); },
                 [&](caf::error& failure) { result.emplace(to_status(failure)); });
    return std::move(*result);
  }

  Status call_ok(auto&&... args) { return call<caf::ok_atom>(std::forward<decltype(args)>(args)...).status(); }

  // The key's material: cached while its location is unchanged, else one request.
  Result<vault::SigningMaterial> material(const vault::Location& location) {
    const std::uint64_t generation = generations->current(location);
    {
      std::shared_lock lock(cache_mutex);
      if (const auto found = cache.find(location); found != cache.end() && found->second.generation == generation)
        return check_expiry(found->second.material, location);
    }
    SH_ASSIGN_OR_RETURN(vault::SigningMaterial fetched,
                        call<vault::SigningMaterial>(actors::material_atom::value, location));
    {
      std::unique_lock lock(cache_mutex);
      cache.insert_or_assign(location, CachedKey{fetched, generation});
    }
    return check_expiry(std::move(fetched), location);
  }

  Result<vault::SigningMaterial> check_expiry(vault::SigningMaterial material, const vault::Location& location) const {
    if (material.expires_at != 0 && clock() >= material.expires_at)
      return error(Errc::expired, "the record at {} has expired", location.to_string());
    return material;
  }
};

Engine::Engine(std::unique_ptr<State> state) noexcept : state_(std::move(state)) {}
Engine::~Engine() { close(); }

namespace {

// The engine's actors write the journal themselves, with group commit: the file is opened in
// group mode and the snapshot actor syncs before it acknowledges (unless durability is none).
snapshot::SnapshotOptions file_options(const EngineOptions& options) {
  snapshot::SnapshotOptions file = options.snapshot;
  file.durability = snapshot::Durability::group;
  return file;
}

snapshot::FileSystem& file_system(const EngineOptions& options) {
  return options.file_system != nullptr ? *options.file_system : snapshot::posix_file_system();
}

}  // namespace

Result<std::unique_ptr<Engine>> Engine::start(std::unique_ptr<snapshot::Snapshot> snapshot,
                                              const EngineOptions& options) {
  actors::ReleaseThreadLogger release;  // the system's constructor and the spawns below set it
  auto state = std::make_unique<State>();
  if (options.system == nullptr)
    state->own_system = std::make_unique<OwnSystem>();
  state->system = options.system != nullptr ? options.system : &*state->own_system->system;
  state->timeout = options.timeout;
  state->clock = options.snapshot.clock ? options.snapshot.clock : vault::Keystore::Clock(vault::unix_now);
  actors::EngineOptions actor_options = options.actors;
  actor_options.durability = options.snapshot.durability;
  actor_options.generations = state->generations;
  SH_ASSIGN_OR_RETURN(state->engine, actors::spawn_engine(*state->system, std::move(snapshot), actor_options));
  state->client = state->system->spawn(async_client, state->engine, options.timeout, state->submitted);
  return std::unique_ptr<Engine>(new Engine(std::move(state)));
}

Result<std::unique_ptr<Engine>> Engine::create(const std::string& path, ByteView password,
                                               const EngineOptions& options) {
  SH_ASSIGN_OR_RETURN(auto snapshot,
                      snapshot::Snapshot::create(file_system(options), path, password, file_options(options)));
  return start(std::move(snapshot), options);
}

Result<std::unique_ptr<Engine>> Engine::open(const std::string& path, ByteView password, const EngineOptions& options) {
  SH_ASSIGN_OR_RETURN(auto snapshot,
                      snapshot::Snapshot::open(file_system(options), path, password, file_options(options)));
  return start(std::move(snapshot), options);
}

void Engine::close() {
  State& state = *state_;
  if (state.closed.exchange(true))
    return;
  {
    actors::ReleaseThreadLogger release;
    caf::scoped_actor self{*state.system};
    self->send_exit(state.client, caf::exit_reason::user_shutdown);
    self->send_exit(state.engine, caf::exit_reason::user_shutdown);
    self->wait_for(state.engine, state.client);
  }
  for (PendingSign& never_sent : state.submitted->close())
    never_sent.done(engine_closed());
  state.engine = nullptr;
  state.client = nullptr;
  state.own_system.reset();  // waits for every actor of its own system
}

Result<Bytes> Engine::generate(const vault::Location& location, vault::KeyType type, vault::Overwrite overwrite) {
  return state_->call<Bytes>(generate_atom::value, location, type, overwrite);
}

Result<Bytes> Engine::import_key(const vault::Location& location, vault::KeyType type, ByteView secret,
                                 vault::Overwrite overwrite) {
  SH_ASSIGN_OR_RETURN(auto shielded, shield(secret));
  return state_->call<Bytes>(import_atom::value, location, type, std::move(shielded), overwrite);
}

Result<Bytes> Engine::public_key(const vault::Location& location) {
  return state_->call<Bytes>(public_atom::value, location);
}

Result<Bytes> Engine::sign(const vault::Location& location, ByteView message) {
  if (state_->closed)
    return engine_closed();
  SH_ASSIGN_OR_RETURN(const vault::SigningMaterial key, state_->material(location));
  return key.type == vault::KeyType::secp256k1 ? vault::sign_ecdsa(key, message) : vault::sign_ed25519(key, message);
}

Result<Bytes> Engine::sign_ecdsa(const vault::Location& location, ByteView message,
                                 const vault::EcdsaOptions& options) {
  if (state_->closed)
    return engine_closed();
  SH_ASSIGN_OR_RETURN(const vault::SigningMaterial key, state_->material(location));
  return vault::sign_ecdsa(key, message, options);
}

Result<std::vector<Bytes>> Engine::sign_batch(const vault::Location& location, std::vector<Bytes> messages) {
  return state_->call<ByteList>(batch_atom::value, location, std::move(messages));
}

Result<Bytes> Engine::derive(const vault::Location& seed, const std::string& path, vault::Curve curve,
                             const vault::Location& into, vault::Overwrite overwrite) {
  return state_->call<Bytes>(derive_atom::value, seed, path, curve, into, overwrite);
}

Status Engine::remove(const vault::Location& location) { return state_->call_ok(delete_atom::value, location); }

Status Engine::put_secret(const std::string& name, ByteView value, vault::Overwrite overwrite) {
  SH_ASSIGN_OR_RETURN(auto shielded, shield(value));
  return state_->call_ok(put_secret_atom::value, name, std::move(shielded), overwrite);
}

Result<runtime::SecretBuffer> Engine::get_secret(const std::string& name) {
  SH_ASSIGN_OR_RETURN(const SharedShielded shielded, state_->call<SharedShielded>(get_secret_atom::value, name));
  SH_ASSIGN_OR_RETURN(runtime::SecretBuffer value, runtime::SecretBuffer::create(shielded->size()));
  {
    auto view = value.write();
    SH_RETURN_IF_ERROR(shielded->open(view.bytes()));
  }
  return value;
}

Status Engine::sync() { return state_->call_ok(sync_atom::value); }

Status Engine::collect_garbage() { return state_->call_ok(actors::gc_atom::value); }

Status Engine::change_password(ByteView current_password, ByteView new_password) {
  SH_ASSIGN_OR_RETURN(const Bytes header, state_->call<Bytes>(actors::header_atom::value));
  SH_ASSIGN_OR_RETURN(snapshot::NewPassword prepared,
                      snapshot::Snapshot::prepare_password_change(header, current_password, new_password));
  return state_->call_ok(actors::passwd_atom::value,
                         actors::SharedNewPassword(std::make_shared<const snapshot::NewPassword>(std::move(prepared))));
}

Status Engine::check_password(ByteView password) {
  SH_ASSIGN_OR_RETURN(const Bytes header, state_->call<Bytes>(actors::header_atom::value));
  return snapshot::Snapshot::check_password(header, password);
}

Status Engine::transact(std::function<Status(vault::Transaction&)> body) {
  auto guarded = std::make_shared<GuardedBody>(std::move(body));
  auto procedure = std::make_shared<actors::TransactProcedure>();
  procedure->run = [guarded](vault::Transaction& tx) { return guarded->run(tx); };
  procedure->touches_everything = true;  // an empty transaction (a read) drops nothing
  Status done = state_->call_ok(actors::transact_atom::value, actors::SharedProcedure(std::move(procedure)));
  guarded->abandon();
  return done;
}

Status Engine::read(std::function<Status(const vault::Keystore&)> body) {
  return transact([&body](vault::Transaction& tx) { return body(tx.keystore()); });
}

void Engine::sign_async(const vault::Location& location, Bytes message, SignCallback done) {
  PendingSign request{location, std::move(message), std::move(done)};
  switch (state_->submitted->push(request)) {
    case SubmitQueue::Pushed::wake_client: caf::anon_send(state_->client, drain_atom::value); break;
    case SubmitQueue::Pushed::queued: break;
    case SubmitQueue::Pushed::closed: request.done(engine_closed()); break;
  }
}

void Engine::sign_batch_async(const vault::Location& location, std::vector<Bytes> messages, BatchCallback done) {
  if (state_->closed) {
    done(engine_closed());
    return;
  }
  caf::anon_send(state_->client, batch_async_atom::value, location, std::move(messages),
                 std::make_shared<BatchCallback>(std::move(done)));
}

std::future<Result<Bytes>> Engine::sign_future(const vault::Location& location, Bytes message) {
  auto promise = std::make_shared<std::promise<Result<Bytes>>>();
  auto future = promise->get_future();
  sign_async(location, std::move(message), [promise](Result<Bytes> result) { promise->set_value(std::move(result)); });
  return future;
}

actors::supervisor_actor Engine::handle() const { return state_->engine; }
caf::actor_system& Engine::actor_system() const { return *state_->system; }
std::chrono::milliseconds Engine::timeout() const { return state_->timeout; }

Result<actors::EngineStats> Engine::stats() { return state_->call<EngineStats>(stats_atom::value); }

}  // namespace stronghold
