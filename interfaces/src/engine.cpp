#include "stronghold/engine.hpp"

#include <caf/all.hpp>

#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <utility>

#include "material_cache.hpp"
#include "stronghold/actors/pending.hpp"
#include "stronghold/actors/system_config.hpp"
#include "stronghold/actors/wire.hpp"
#include "stronghold/engine_actors.hpp"
#include "stronghold/vault/sign.hpp"

namespace stronghold {
namespace {

using actors::ByteList;
using actors::EngineStats;
using actors::Envelope;
using actors::Reply;
using actors::Secret;
using actors::supervisor_actor;
using actors::to_status;

using drain_atom = caf::atom_constant<caf::atom("drain")>;
using call_atom = caf::atom_constant<caf::atom("call")>;
using ReplyCallback = std::function<void(Result<Reply>)>;
using SharedReplyCallback = std::shared_ptr<ReplyCallback>;

struct PendingSign {
  vault::Location location;
  Bytes message;
  Engine::SignCallback done;
  vault::Caller caller;
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

// Calls an application's callback from an engine thread. What it throws is the application's own,
// and must not stop the actor that answers every later request.
template <class Callback, class Answer>
void call_back(Callback&& done, Answer&& answer) noexcept {
  try {
    done(std::forward<Answer>(answer));
  } catch (...) {
    return;
  }
}

// Asynchronous signatures for one key, signed by a share signer with cached material. Every
// request is answered exactly once: a share dropped unsigned (the engine closing) answers the rest
// as the engine closed. The answers go out together once the share is signed: a consumer that
// takes a lock per answer (the daemon's completion queue) then meets the other signer's answers
// less often; answering each at once cost strongholdd 0.65 -> 0.52 x raw (bench_daemon).
class SignShare {
 public:
  explicit SignShare(vault::SigningMaterial key) : key_(std::move(key)) {}
  SignShare(const SignShare&) = delete;
  SignShare& operator=(const SignShare&) = delete;
  ~SignShare() {
    for (PendingSign& request : requests_)
      if (request.done)
        call_back(request.done, engine_closed());
  }

  void add(PendingSign&& request) { requests_.push_back(std::move(request)); }

  void sign_all() {
    std::vector<Result<Bytes>> signatures;
    signatures.reserve(requests_.size());
    for (PendingSign& request : requests_)
      signatures.push_back(vault::sign_default(key_, request.message));
    for (std::size_t i = 0; i < requests_.size(); ++i)
      call_back(std::exchange(requests_[i].done, nullptr), std::move(signatures[i]));
  }

 private:
  vault::SigningMaterial key_;
  std::vector<PendingSign> requests_;
};
using SharedSignShare = std::shared_ptr<SignShare>;

}  // namespace
}  // namespace stronghold

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(stronghold::SharedReplyCallback)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(stronghold::SharedSignShare)

namespace stronghold {
namespace {

// Signs shares of asynchronous signatures with cached material, one per core, and answers each
// request's callback itself.
using share_signer_actor = caf::typed_actor<caf::reacts_to<SharedSignShare>>;

share_signer_actor::behavior_type share_signer() {
  return {[](const SharedSignShare& share) { share->sign_all(); }};
}

// Issues asynchronous requests for non-actor callers. Signing requests for one key taken from
// the queue together are signed with the key's cached material by the share signers, or, when
// the façade may not hold the key's secret, go out as batches (the vault actor shares a large
// batch among its signers); each still gets its own callback. The short path matters on a
// virtual machine: every actor hop can cost a thread wake-up, and the four hops of a batch through
// the vault actor cost 0.84 x raw signing at 256 requests in flight (bench_engine).
using client_actor =
    caf::typed_actor<caf::reacts_to<drain_atom>, caf::reacts_to<call_atom, Envelope, SharedReplyCallback>>;

constexpr std::size_t kMaxCoalesced = 64;  // a few batches in flight keep every signer busy

struct ClientState {
  std::shared_ptr<SubmitQueue> queue;
  supervisor_actor engine;
  std::chrono::milliseconds timeout{};
  actors::PendingAnswers in_flight;  // callbacks failed if this actor stops before their answer
  std::shared_ptr<MaterialCache> cache;
  vault::Keystore::Clock clock;
  std::vector<share_signer_actor> share_signers;
  std::size_t next_share_signer = 0;
  std::set<vault::Location> fetching;  // material asked of the vault actor, not answered yet
  static const char* name;
};
const char* ClientState::name = "stronghold.client";

using ClientSelf = client_actor::stateful_pointer<ClientState>;

// Sends one request; `answer` gets the reply or the failure, exactly once.
void send_request(ClientSelf self, Envelope envelope, const SharedReplyCallback& answer) {
  auto& state = self->state;
  const std::uint64_t id = state.in_flight.add([answer](const caf::error&) { call_back(*answer, engine_closed()); });
  self->request(state.engine, state.timeout, std::move(envelope))
      .then(
          [self, id, answer](Reply& reply) {
            self->state.in_flight.done(id);
            call_back(*answer, std::move(reply));
          },
          [self, id, answer](caf::error& failure) {
            self->state.in_flight.done(id);
            call_back(*answer, to_status(failure));
          });
}

// Sends one request's signature alone.
void send_sign(ClientSelf self, const vault::Location& location, Bytes message, Engine::SignCallback done,
               const vault::Caller& caller) {
  auto answer = [done = std::move(done)](Result<Reply> reply) {
    call_back(done, reply.ok() ? actors::answer_in<Bytes>(*reply) : Result<Bytes>(reply.status()));
  };
  send_request(self, actors::envelope(actors::Sign{location, std::move(message)}, caller),
               std::make_shared<ReplyCallback>(std::move(answer)));
}

// Sends the requests of one caller for one key as one batch. A policy admits a batch whole or
// not at all (its uses, its longest message), so a refused batch is sent again one request at a
// time: each request gets the answer it would have had alone.
void send_signs(ClientSelf self, const vault::Location& location, const std::vector<PendingSign*>& requests) {
  if (requests.size() == 1) {
    send_sign(self, location, std::move(requests[0]->message), std::move(requests[0]->done), requests[0]->caller);
    return;
  }
  auto messages = std::make_shared<ByteList>();
  messages->reserve(requests.size());
  std::vector<Engine::SignCallback> callbacks;
  callbacks.reserve(requests.size());
  for (PendingSign* request : requests) {
    messages->push_back(std::move(request->message));
    callbacks.push_back(std::move(request->done));
  }
  const vault::Caller& caller = requests[0]->caller;
  auto answer = [self, location, caller, messages, callbacks = std::move(callbacks)](Result<Reply> reply) mutable {
    if (reply.status().code() == Errc::denied) {
      for (std::size_t i = 0; i < callbacks.size(); ++i)
        send_sign(self, location, std::move((*messages)[i]), std::move(callbacks[i]), caller);
      return;
    }
    Result<ByteList> signatures = reply.ok() ? actors::answer_in<ByteList>(*reply) : Result<ByteList>(reply.status());
    for (std::size_t i = 0; i < callbacks.size(); ++i)
      call_back(callbacks[i],
                signatures.ok() ? Result<Bytes>(std::move((*signatures)[i])) : Result<Bytes>(signatures.status()));
  };
  send_request(self, actors::envelope(actors::SignBatch{location, *messages}, caller),
               std::make_shared<ReplyCallback>(std::move(answer)));
}

// Asks the vault actor for a key's material, for the signatures that follow.
void fetch_material(ClientSelf self, const vault::Location& location) {
  auto& state = self->state;
  if (!state.fetching.insert(location).second)
    return;
  const std::uint64_t asked_at = state.cache->generation(location);
  self->request(state.engine, state.timeout, actors::material_atom::value, location)
      .then(
          [self, location, asked_at](vault::SigningMaterial& material) {
            self->state.fetching.erase(location);
            self->state.cache->put(location, std::move(material), asked_at);
          },
          // Busy or missing: the requests for it go through the vault actor, which says why.
          [self, location](caf::error&) { self->state.fetching.erase(location); });
}

// The key's material if this façade may sign with it: cached, current, holding the secret and
// unexpired. On a miss it is asked for, and these requests go through the vault actor.
std::optional<vault::SigningMaterial> usable_material(ClientSelf self, const vault::Location& location) {
  auto& state = self->state;
  auto key = state.cache->find(location);
  if (!key) {
    fetch_material(self, location);
    return std::nullopt;
  }
  if (key->secret == nullptr || (key->expires_at != 0 && state.clock() >= key->expires_at))
    return std::nullopt;  // the vault actor's policies, log or expiry answer these
  return key;
}

// Splits requests for one key into shares as the vault actor splits a batch (actors::share_count).
// Shares go to the signers in turn, so that small drains (a daemon's requests arrive a few at a
// time) still use every core; this actor signs none itself, which would make it the bottleneck.
void share_out(ClientSelf self, const vault::SigningMaterial& key, const std::vector<PendingSign*>& requests) {
  auto& state = self->state;
  const std::size_t count = actors::share_count(requests.size(), state.share_signers.size());
  for (std::size_t share = 0; share < count; ++share) {
    auto signs = std::make_shared<SignShare>(key);
    for (std::size_t i = share; i < requests.size(); i += count)
      signs->add(std::move(*requests[i]));
    self->send(state.share_signers[state.next_share_signer++ % state.share_signers.size()], std::move(signs));
  }
}

void sign_coalesced(ClientSelf self, const vault::Location& location, const std::vector<PendingSign*>& requests) {
  if (auto key = usable_material(self, location))
    share_out(self, *key, requests);
  else
    send_signs(self, location, requests);
}

struct ClientSetup {
  supervisor_actor engine;
  std::chrono::milliseconds timeout{};
  std::shared_ptr<SubmitQueue> queue;
  std::shared_ptr<MaterialCache> cache;
  vault::Keystore::Clock clock;
  std::vector<share_signer_actor> share_signers;
};

client_actor::behavior_type async_client(ClientSelf self, ClientSetup setup) {
  self->state.engine = std::move(setup.engine);
  self->state.timeout = setup.timeout;
  self->state.queue = std::move(setup.queue);
  self->state.cache = std::move(setup.cache);
  self->state.clock = std::move(setup.clock);
  self->state.share_signers = std::move(setup.share_signers);
  self->state.in_flight.fail_on_exit(self);
  return {
      [self](drain_atom) {
        std::vector<PendingSign> taken = self->state.queue->take();
        std::map<std::pair<vault::Location, std::string>, std::vector<PendingSign*>> by_key_and_caller;
        for (PendingSign& request : taken) {
          auto& waiting = by_key_and_caller[{request.location, request.caller.to_string()}];
          waiting.push_back(&request);
          if (waiting.size() == kMaxCoalesced)
            sign_coalesced(self, request.location, std::exchange(waiting, {}));
        }
        for (auto& [key_and_caller, waiting] : by_key_and_caller)
          if (!waiting.empty())
            sign_coalesced(self, key_and_caller.first, waiting);
      },
      [self](call_atom, Envelope& envelope, SharedReplyCallback& done) {
        send_request(self, std::move(envelope), done);
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
  std::shared_ptr<actors::KeyGenerations> generations = std::make_shared<actors::KeyGenerations>();
  std::shared_ptr<MaterialCache> cache = std::make_shared<MaterialCache>(generations);
  vault::Keystore::Clock clock;
  caf::actor_system* system = nullptr;
  supervisor_actor engine;
  client_actor client;
  std::vector<share_signer_actor> share_signers;
  std::shared_ptr<SubmitQueue> submitted = std::make_shared<SubmitQueue>();
  std::chrono::milliseconds timeout{};
  snapshot::OpenReport open_report;
  vault::Caller caller;                      // of every request that names none
  std::shared_ptr<actors::EventHub> events;  // watchers (EngineOptions::actors.events), or null
  std::atomic<bool> closed{false};

  // Sends one message and waits for its reply.
  template <class T, class... Args>
  Result<T> ask(Args&&... args) {
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

  // Sends one request of the vocabulary and waits for its answer.
  template <actors::EngineRequest R>
  Result<typename R::Answer> call(R request, const vault::Caller& as) {
    SH_ASSIGN_OR_RETURN(Reply reply, ask<Reply>(actors::envelope(std::move(request), as)));
    return actors::answer_in<typename R::Answer>(reply);
  }

  // A blocking signature: on the caller's thread with the key's material, or through the actors
  // when a policy governs the key (the vault actor then hands out no secret).
  template <actors::EngineRequest R, class SignHere>
  Result<Bytes> sign(R& request, const vault::Caller& as, SignHere sign_here) {
    if (closed)
      return engine_closed();
    auto found = material(request.at);
    if (!found.ok()) {
      if (found.code() == Errc::expired)
        announce_expired(R::kName, request.at, as, found.status());  // the actors never saw it
      return found.status();
    }
    const vault::SigningMaterial& key = *found;
    if (key.secret == nullptr)
      return call(std::move(request), as);
    return sign_here(key, request);
  }

  // Has the vault actor write exact use counts before the engine closes (vault/policy.hpp). Best
  // effort: when it fails, the reservations stay in the file, which can only waste uses.
  void settle_use_counts() noexcept {
    try {
      (void)ask<caf::ok_atom>(actors::settle_atom::value);
    } catch (...) {
      return;  // nothing is lost: see above
    }
  }

  // Queues an asynchronous signature for the client actor, which coalesces them.
  void submit_sign(PendingSign request) {
    switch (submitted->push(request)) {
      case SubmitQueue::Pushed::wake_client: caf::anon_send(client, drain_atom::value); break;
      case SubmitQueue::Pushed::queued: break;
      case SubmitQueue::Pushed::closed: request.done(engine_closed()); break;
    }
  }

  // The key's material: cached while its location is unchanged, else one request.
  Result<vault::SigningMaterial> material(const vault::Location& location) {
    if (auto found = cache->find(location))
      return check_expiry(std::move(*found), location);
    const std::uint64_t asked_at = cache->generation(location);
    auto asked = ask<vault::SigningMaterial>(actors::material_atom::value, location);
    if (asked.code() == Errc::busy)
      return vault::SigningMaterial{};  // a write of the key is not durable yet: through the vault actor, uncached
    SH_ASSIGN_OR_RETURN(vault::SigningMaterial fetched, std::move(asked));
    cache->put(location, fetched, asked_at);
    return check_expiry(std::move(fetched), location);
  }

  void announce_expired(std::string_view kind, const vault::Location& location, const vault::Caller& as,
                        const Status& why) const {
    if (events == nullptr || !events->watched())
      return;
    events->publish(actors::Event{
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
            .count(),
        actors::EventType::expired, as.to_string(), std::string(kind), location.to_string(), why.message()});
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
// group mode and the snapshot actor syncs before it acknowledges (unless durability is none); in
// a cluster its chain is shared.
snapshot::SnapshotOptions file_options(const EngineOptions& options) {
  snapshot::SnapshotOptions file = options.snapshot;
  file.durability = snapshot::Durability::group;
  file.shared_chain = options.actors.shared_journal != nullptr;
  return file;
}

snapshot::FileSystem& file_system(const EngineOptions& options) {
  return options.file_system != nullptr ? *options.file_system : snapshot::posix_file_system();
}

}  // namespace

Result<std::unique_ptr<Engine>> Engine::start(std::unique_ptr<snapshot::Snapshot> snapshot, const std::string& path,
                                              const EngineOptions& options) {
  actors::ReleaseThreadLogger release;  // the system's constructor and the spawns below set it
  auto state = std::make_unique<State>();
  if (options.system == nullptr)
    state->own_system = std::make_unique<OwnSystem>();
  state->system = options.system != nullptr ? options.system : &*state->own_system->system;
  state->timeout = options.timeout;
  state->open_report = snapshot->open_report();
  state->caller.name = options.caller;
  state->events = options.actors.events;
  state->clock = options.snapshot.clock ? options.snapshot.clock : vault::Keystore::Clock(vault::unix_now);
  actors::EngineOptions actor_options = options.actors;
  actor_options.durability = options.snapshot.durability;
  actor_options.generations = state->generations;
  // The audit log lies beside the file the snapshot is, whichever link opened it.
  SH_ASSIGN_OR_RETURN(actor_options.audit_path, file_system(options).resolve(path));
  actor_options.audit_path += ".audit";
  actor_options.audit_file_system = &file_system(options);
  SH_ASSIGN_OR_RETURN(state->engine, actors::spawn_engine(*state->system, std::move(snapshot), actor_options));
  for (unsigned i = 0; i < actors::signer_count(options.actors); ++i)
    state->share_signers.push_back(state->system->spawn(share_signer));
  state->client = state->system->spawn(async_client, ClientSetup{state->engine, options.timeout, state->submitted,
                                                                 state->cache, state->clock, state->share_signers});
  return std::unique_ptr<Engine>(new Engine(std::move(state)));
}

Result<std::unique_ptr<Engine>> Engine::create(const std::string& path, ByteView password,
                                               const EngineOptions& options) {
  SH_ASSIGN_OR_RETURN(auto snapshot,
                      snapshot::Snapshot::create(file_system(options), path, password, file_options(options)));
  return start(std::move(snapshot), path, options);
}

Result<std::unique_ptr<Engine>> Engine::open(const std::string& path, ByteView password, const EngineOptions& options) {
  SH_ASSIGN_OR_RETURN(auto snapshot,
                      snapshot::Snapshot::open(file_system(options), path, password, file_options(options)));
  return start(std::move(snapshot), path, options);
}

const snapshot::OpenReport& Engine::open_report() const noexcept { return state_->open_report; }

void Engine::close() {
  State& state = *state_;
  if (state.closed)
    return;
  state.settle_use_counts();
  if (state.closed.exchange(true))
    return;
  {
    actors::ReleaseThreadLogger release;
    caf::scoped_actor self{*state.system};
    self->send_exit(state.client, caf::exit_reason::user_shutdown);
    self->send_exit(state.engine, caf::exit_reason::user_shutdown);
    for (const auto& signer : state.share_signers)
      self->send_exit(signer, caf::exit_reason::user_shutdown);
    self->wait_for(state.engine, state.client);
    for (const auto& signer : state.share_signers)
      self->wait_for(signer);
  }
  for (PendingSign& never_sent : state.submitted->close())
    never_sent.done(engine_closed());
  state.engine = nullptr;
  state.client = nullptr;
  state.share_signers.clear();
  state.own_system.reset();  // waits for every actor of its own system
}

template <actors::EngineRequest R>
Result<typename R::Answer> Engine::call(R request) {
  return call(std::move(request), state_->caller);
}

template <actors::EngineRequest R>
Result<typename R::Answer> Engine::call(R request, const vault::Caller& caller) {
  // Blocking signatures take the fast path: the caller's thread, with cached material.
  if constexpr (std::is_same_v<R, actors::Sign>) {
    return state_->sign(request, caller, [](const vault::SigningMaterial& key, const actors::Sign& sign) {
      return vault::sign_default(key, sign.message);
    });
  } else if constexpr (std::is_same_v<R, actors::SignEcdsa> || std::is_same_v<R, actors::SignKeccak>) {
    return state_->sign(request, caller, [](const vault::SigningMaterial& key, const R& sign) {
      return vault::sign_ecdsa(key, sign.message, sign.options);
    });
  } else {
    return state_->call(std::move(request), caller);
  }
}

template <actors::EngineRequest R>
void Engine::call_async(R request, std::function<void(Result<typename R::Answer>)> done) {
  call_async(std::move(request), state_->caller, std::move(done));
}

template <actors::EngineRequest R>
void Engine::call_async(R request, const vault::Caller& caller, std::function<void(Result<typename R::Answer>)> done) {
  if constexpr (std::is_same_v<R, actors::Sign>) {
    // Through the submission queue, coalesced into batches with other signatures for the key.
    state_->submit_sign(PendingSign{request.at, std::move(request.message), std::move(done), caller});
    return;
  }
  if (state_->closed) {
    done(engine_closed());
    return;
  }
  auto answer = [done = std::move(done)](Result<Reply> reply) {
    done(reply.ok() ? actors::answer_in<typename R::Answer>(*reply) : Result<typename R::Answer>(reply.status()));
  };
  caf::anon_send(state_->client, call_atom::value, actors::envelope(std::move(request), caller),
                 std::make_shared<ReplyCallback>(std::move(answer)));
}

// Every request type has them all.
#define SH_INSTANTIATE_CALLS(number, type)                                                                         \
  template Result<actors::type::Answer> Engine::call<actors::type>(actors::type);                                  \
  template Result<actors::type::Answer> Engine::call<actors::type>(actors::type, const vault::Caller&);            \
  template void Engine::call_async<actors::type>(actors::type, std::function<void(Result<actors::type::Answer>)>); \
  template void Engine::call_async<actors::type>(actors::type, const vault::Caller&,                               \
                                                 std::function<void(Result<actors::type::Answer>)>);
SH_ENGINE_REQUESTS(SH_INSTANTIATE_CALLS)
#undef SH_INSTANTIATE_CALLS

Result<runtime::SecretBytes> Engine::call_wire(ByteView request) { return call_wire(request, state_->caller); }

Result<runtime::SecretBytes> Engine::call_wire(ByteView request, const vault::Caller& caller) {
  return actors::wire::decode_and_visit(request, [&](auto& decoded) -> Result<runtime::SecretBytes> {
    using R = std::decay_t<decltype(decoded)>;
    return actors::wire::encode_reply<R>(call(std::move(decoded), caller));
  });
}

void Engine::call_wire_async(ByteView request, std::function<void(Result<runtime::SecretBytes>)> done) {
  call_wire_async(request, state_->caller, std::move(done));
}

void Engine::call_wire_async(ByteView request, const vault::Caller& caller,
                             std::function<void(Result<runtime::SecretBytes>)> done) {
  const Status decoded = actors::wire::decode_and_visit(request, [&](auto& decoded_request) -> Status {
    using R = std::decay_t<decltype(decoded_request)>;
    call_async(std::move(decoded_request), caller,
               [done](Result<typename R::Answer> answer) { done(actors::wire::encode_reply<R>(answer)); });
    return {};
  });
  if (!decoded.ok())
    done(decoded);
}

Result<Bytes> Engine::generate(const vault::Location& location, vault::KeyType type, vault::Overwrite overwrite) {
  return call(actors::GenerateKey{location, type, overwrite});
}

Result<Bytes> Engine::import_key(const vault::Location& location, vault::KeyType type, ByteView secret,
                                 vault::Overwrite overwrite) {
  SH_ASSIGN_OR_RETURN(Secret key, Secret::seal(secret));
  return call(actors::ImportKey{location, type, std::move(key), overwrite});
}

Result<Bytes> Engine::public_key(const vault::Location& location) { return call(actors::PublicKey{location}); }

Result<Bytes> Engine::sign(const vault::Location& location, ByteView message) {
  return call(actors::Sign{location, Bytes(message.begin(), message.end())});
}

Result<Bytes> Engine::sign_ecdsa(const vault::Location& location, ByteView message,
                                 const vault::EcdsaOptions& options) {
  return call(actors::SignEcdsa{location, Bytes(message.begin(), message.end()), options});
}

Result<std::vector<Bytes>> Engine::sign_batch(const vault::Location& location, std::vector<Bytes> messages) {
  return call(actors::SignBatch{location, std::move(messages)});
}

Result<Bytes> Engine::derive(const vault::Location& from, const std::string& path, vault::Curve curve,
                             const vault::Location& into, vault::Overwrite overwrite) {
  return call(actors::DeriveKey{from, path, curve, into, overwrite});
}

Status Engine::remove(const vault::Location& location) { return call(actors::DeleteKey{location}).status(); }

Status Engine::put_secret(const std::string& name, ByteView value, vault::Overwrite overwrite) {
  SH_ASSIGN_OR_RETURN(Secret sealed, Secret::seal(value));
  return call(actors::PutSecret{name, std::move(sealed), overwrite}).status();
}

Result<runtime::SecretBuffer> Engine::get_secret(const std::string& name) {
  SH_ASSIGN_OR_RETURN(const Secret sealed, call(actors::GetSecret{name}));
  if (sealed.empty())
    return Status(Errc::internal, "the engine answered with no secret");
  SH_ASSIGN_OR_RETURN(runtime::SecretBuffer value, runtime::SecretBuffer::create(sealed.size()));
  {
    auto view = value.write();
    SH_RETURN_IF_ERROR(sealed.shielded->open(view.bytes()));
  }
  return value;
}

Status Engine::sync() { return call(actors::SyncSnapshot{}).status(); }

Status Engine::collect_garbage() { return call(actors::CollectGarbage{}).status(); }

Status Engine::change_password(ByteView current_password, ByteView new_password) {
  SH_ASSIGN_OR_RETURN(Secret current, Secret::seal(current_password));
  SH_ASSIGN_OR_RETURN(Secret next, Secret::seal(new_password));
  return call(actors::ChangePassword{std::move(current), std::move(next)}).status();
}

Status Engine::check_password(ByteView password) {
  SH_ASSIGN_OR_RETURN(Secret sealed, Secret::seal(password));
  return call(actors::CheckPassword{std::move(sealed)}).status();
}

void Engine::sign_async(const vault::Location& location, Bytes message, SignCallback done) {
  state_->submit_sign(PendingSign{location, std::move(message), std::move(done), state_->caller});
}

void Engine::sign_batch_async(const vault::Location& location, std::vector<Bytes> messages, BatchCallback done) {
  call_async(actors::SignBatch{location, std::move(messages)}, std::move(done));
}

std::future<Result<Bytes>> Engine::sign_future(const vault::Location& location, Bytes message) {
  auto promise = std::make_shared<std::promise<Result<Bytes>>>();
  auto future = promise->get_future();
  sign_async(location, std::move(message), [promise](Result<Bytes> result) { promise->set_value(std::move(result)); });
  return future;
}

std::chrono::milliseconds Engine::timeout() const { return state_->timeout; }

Result<actors::EngineStats> Engine::stats() { return state_->ask<EngineStats>(actors::stats_atom::value); }

actors::supervisor_actor EngineAccess::supervisor(const Engine& engine) { return engine.state_->engine; }
caf::actor_system& EngineAccess::actor_system(const Engine& engine) { return *engine.state_->system; }

}  // namespace stronghold
