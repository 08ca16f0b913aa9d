#include <map>
#include <optional>
#include <type_traits>
#include <utility>

#include "dispatch.hpp"
#include "identity_registry.hpp"
#include "stronghold/actors/pending.hpp"
#include "stronghold/runtime/scratch.hpp"

namespace stronghold::actors {
namespace {

using vault::Did;
using vault::IdentityValue;
using vault::KeyLocation;

// Secret::open, or `use` of an empty view when no secret was given.
template <class Use>
Status open_optional(const Secret& secret, Use&& use) {
  if (secret.empty())
    return use(ByteView());
  return secret.open(std::forward<Use>(use));
}

// Runs `body` (Result<R::Answer>(vault::Transaction&)) in the vault actor; once the change is
// durable, calls deliver(promise, value). `answers` tracks the promise so that it fails if the
// caller stops first.
template <class Self, class Promise, class Body, class Deliver>
void transact_then(Self* self, const engine_actor& engine, std::chrono::milliseconds timeout, PendingAnswers& answers,
                   Promise promise, Body body, Deliver deliver, std::vector<vault::Location> touches = {},
                   bool touches_everything = false) {
  using T = typename std::invoke_result_t<Body&, vault::Transaction&>::value_type;
  auto value = std::make_shared<std::optional<T>>();
  auto procedure = std::make_shared<TransactProcedure>();
  procedure->run = [value, body = std::move(body)](vault::Transaction& tx) -> Status {
    Result<T> result = body(tx);
    if (!result.ok())
      return result.status();
    value->emplace(std::move(result).value());
    return {};
  };
  procedure->touches = std::move(touches);
  procedure->touches_everything = touches_everything;
  const std::uint64_t id = answers.add([promise](const caf::error& failure) mutable { promise.deliver(failure); });
  self->request(engine, timeout, transact_atom::value, SharedProcedure(std::move(procedure)))
      .then(
          [&answers, id, promise, value, deliver = std::move(deliver)](caf::ok_atom) mutable {
            answers.done(id);
            deliver(promise, std::move(**value));
          },
          [&answers, id, promise](caf::error& failure) mutable {
            answers.done(id);
            promise.deliver(failure);
          });
}

// The answer of request R, once `body` ran and its change is durable.
template <EngineRequest R, class Self, class Body>
caf::result<Reply> transact(Self* self, const engine_actor& engine, std::chrono::milliseconds timeout,
                            PendingAnswers& answers, Body body, std::vector<vault::Location> touches = {},
                            bool touches_everything = false) {
  auto promise = self->template make_response_promise<Reply>();
  transact_then(
      self, engine, timeout, answers, promise, std::move(body),
      [](auto& reply_promise, typename R::Answer&& value) { reply_promise.deliver(answer<R>(std::move(value))); },
      std::move(touches), touches_everything);
  return promise;
}

// A read: the same path, since only the vault actor may touch the keystore.
template <EngineRequest R, class Self, class Read>
caf::result<Reply> read(Self* self, const engine_actor& engine, std::chrono::milliseconds timeout,
                        PendingAnswers& answers, Read read_keystore) {
  return transact<R>(self, engine, timeout, answers,
                     [read_keystore = std::move(read_keystore)](vault::Transaction& tx) -> Result<typename R::Answer> {
                       return read_keystore(tx.keystore());
                     });
}

// ---- a partition: one DID

using partition_actor = identity_actor::extend<caf::reacts_to<idle_atom>>;

struct PartitionState {
  Did did;
  engine_actor engine;
  std::chrono::milliseconds timeout{};
  PendingAnswers answers;
  // Cached JSON values (outer optional: not loaded yet), trusted while no change of them is in flight.
  std::optional<std::optional<std::string>> values[2];
  int writes_in_flight = 0;
  std::uint64_t completed = 0;  // requests answered or handed on, reported to the registry when idle
  caf::actor registry;
  static const char* name;
};
const char* PartitionState::name = "stronghold.identity.partition";

using PartitionSelf = partition_actor::stateful_pointer<PartitionState>;

std::size_t slot_of(IdentityValue which) { return which == IdentityValue::chain_state ? 0 : 1; }

// The partition's handlers, one per request kind about one DID. Each counts its request when it
// starts; requests still waiting for the vault actor are in `answers`, and an idle partition
// reports only when there are none.

caf::result<Reply> serve(PartitionSelf self, DidExists& request) {
  auto& s = self->state;
  return read<DidExists>(self, s.engine, s.timeout, s.answers, [did = request.did](const vault::Keystore& keystore) {
    return Result<bool>(vault::did_exists(keystore, did));
  });
}

caf::result<Reply> serve(PartitionSelf self, DidPurge& request) {
  auto& s = self->state;
  s.values[0].reset();
  s.values[1].reset();
  return transact<DidPurge>(
      self, s.engine, s.timeout, s.answers,
      [did = request.did](vault::Transaction& tx) { return vault::purge_did(tx, did); }, {}, true);
}

caf::result<Reply> serve(PartitionSelf self, DidKeyGenerate& request) {
  auto& s = self->state;
  return transact<DidKeyGenerate>(
      self, s.engine, s.timeout, s.answers, [request = std::move(request)](vault::Transaction& tx) {
        return vault::generate_identity_key(tx, request.did, request.type, request.fragment);
      });
}

caf::result<Reply> serve(PartitionSelf self, DidKeyInsert& request) {
  auto& s = self->state;
  if (request.private_key.empty())
    return to_error(Status(Errc::invalid_key, "no private key given"));
  const vault::Location touched = vault::identity_record(request.did, request.location);
  return transact<DidKeyInsert>(self, s.engine, s.timeout, s.answers,
                                [request = std::move(request)](vault::Transaction& tx) -> Result<Done> {
                                  SH_RETURN_IF_ERROR(request.private_key.open([&](ByteView plain) {
                                    return vault::insert_identity_key(tx, request.did, request.location, plain);
                                  }));
                                  return Done{};
                                },
                                {touched});
}

caf::result<Reply> serve(PartitionSelf self, DidKeyPublic& request) {
  auto& s = self->state;
  return read<DidKeyPublic>(self, s.engine, s.timeout, s.answers,
                            [request = std::move(request)](const vault::Keystore& keystore) {
                              return vault::identity_public_key(keystore, request.did, request.location);
                            });
}

caf::result<Reply> serve(PartitionSelf self, DidKeyDelete& request) {
  auto& s = self->state;
  const vault::Location touched = vault::identity_record(request.did, request.location);
  return transact<DidKeyDelete>(self, s.engine, s.timeout, s.answers,
                                [request = std::move(request)](vault::Transaction& tx) {
                                  return vault::delete_identity_key(tx, request.did, request.location);
                                },
                                {touched});
}

caf::result<Reply> serve(PartitionSelf self, DidKeyExists& request) {
  auto& s = self->state;
  return read<DidKeyExists>(self, s.engine, s.timeout, s.answers,
                            [request = std::move(request)](const vault::Keystore& keystore) -> Result<bool> {
                              return vault::identity_key_exists(keystore, request.did, request.location);
                            });
}

caf::result<Reply> serve(PartitionSelf self, DidKeySign& request) {
  if (request.location.type() != vault::IdentityKeyType::ed25519)
    return to_error(Status(Errc::wrong_key_type, "only Ed25519 keys sign"));
  // Straight to the vault actor and its signers: the answer goes to the requester.
  return self->delegate(self->state.engine, envelope(SignBatch{vault::identity_record(request.did, request.location),
                                                               std::move(request.messages)}));
}

caf::result<Reply> serve(PartitionSelf self, DidDecrypt& request) {
  auto& s = self->state;
  return read<DidDecrypt>(self, s.engine, s.timeout, s.answers,
                          [request = std::move(request)](const vault::Keystore& keystore) -> Result<Secret> {
                            SH_ASSIGN_OR_RETURN(
                                const Bytes plaintext,
                                vault::identity_decrypt(keystore, request.did, request.location, request.data,
                                                        request.content, request.management, request.agreement));
                            return Secret::seal(plaintext);
                          });
}

IdentityJson json_of(const std::optional<std::string>& value) {
  return IdentityJson{value.has_value(), value.value_or(std::string())};
}

caf::result<Reply> serve(PartitionSelf self, DidValueGet& request) {
  auto& s = self->state;
  const IdentityValue which = request.which;
  auto& slot = s.values[slot_of(which)];
  if (slot && s.writes_in_flight == 0)
    return answer<DidValueGet>(json_of(*slot));
  auto promise = self->make_response_promise<Reply>();
  transact_then(
      self, s.engine, s.timeout, s.answers, promise,
      [did = request.did, which](vault::Transaction& tx) { return vault::identity_value(tx.keystore(), did, which); },
      [self, which](auto& reply_promise, std::optional<std::string>&& value) {
        if (self->state.writes_in_flight == 0)
          self->state.values[slot_of(which)] = value;
        reply_promise.deliver(answer<DidValueGet>(json_of(value)));
      });
  return promise;
}

caf::result<Reply> serve(PartitionSelf self, DidValueSet& request) {
  auto& s = self->state;
  s.values[slot_of(request.which)].reset();
  ++s.writes_in_flight;
  auto promise = self->make_response_promise<Reply>();
  // The cache is filled again by the next read once no write is in flight, failed or not.
  transact_then(
      self, s.engine, s.timeout, s.answers, promise,
      [request = std::move(request)](vault::Transaction& tx) -> Result<Done> {
        SH_RETURN_IF_ERROR(vault::set_identity_value(tx, request.did, request.which, request.json));
        return Done{};
      },
      [self](auto& reply_promise, Done&&) {
        --self->state.writes_in_flight;
        reply_promise.deliver(answer<DidValueSet>(Done{}));
      });
  return promise;
}

// Requests about one DID have a `did` field; the registry serves the others.
template <class R>
concept AboutOneDid = requires(R request) {
  request.did;
};

using PartitionHandler = caf::result<Reply> (*)(PartitionSelf, caf::message&);

template <EngineRequest R>
caf::result<Reply> unpack_in_partition(PartitionSelf self, caf::message& message) {
  R* request = request_in<R>(message);
  if (request == nullptr)
    return envelope_mismatch();
  ++self->state.completed;
  return serve(self, *request);
}

const DispatchTable<PartitionHandler>& partition_handlers() {
  static const auto table = make_dispatch_table<PartitionHandler>([](auto request) -> PartitionHandler {
    using R = decltype(request);
    if constexpr (is_identity_request(kind_of<R>) && AboutOneDid<R>)
      return &unpack_in_partition<R>;
    else
      return nullptr;
  });
  return table;
}

partition_actor::behavior_type partition(PartitionSelf self, Did did, engine_actor engine,
                                         std::chrono::milliseconds timeout, std::chrono::milliseconds idle,
                                         caf::actor registry) {
  auto& state = self->state;
  state.did = std::move(did);
  state.engine = std::move(engine);
  state.timeout = timeout;
  state.registry = std::move(registry);
  state.answers.fail_on_exit(self);
  return {
      [self](Envelope& envelope) -> caf::result<Reply> {
        const PartitionHandler handler = handler_of(partition_handlers(), envelope.kind);
        if (handler == nullptr)
          return not_served(envelope.kind);
        return handler(self, envelope.request);
      },
      [self](idle_atom) {
        // Asks the registry to stop this partition if nothing reached it since this count.
        auto& s = self->state;
        if (s.answers.empty())
          caf::anon_send(s.registry, idle_atom::value, s.did, s.completed);
      },
      caf::after(idle) >> [self] { self->send(self, idle_atom::value); },
  };
}

// ---- the registry

using registry_actor = identity_actor::extend<caf::reacts_to<idle_atom, Did, std::uint64_t>>;

struct RegistryState {
  struct Partition {
    partition_actor actor;
    std::uint64_t forwarded = 0;
  };
  std::map<Did, Partition> partitions;
  engine_actor engine;
  IdentityOptions options;
  PendingAnswers answers;
  static const char* name;
};
const char* RegistryState::name = "stronghold.identity.registry";

using RegistrySelf = registry_actor::stateful_pointer<RegistryState>;

partition_actor& partition_of(RegistrySelf self, const Did& did) {
  auto& state = self->state;
  auto found = state.partitions.find(did);
  if (found == state.partitions.end()) {
    auto actor = self->spawn<caf::linked>(partition, did, state.engine, state.options.timeout,
                                          state.options.partition_idle, caf::actor_cast<caf::actor>(self));
    found = state.partitions.emplace(did, RegistryState::Partition{std::move(actor), 0}).first;
  }
  ++found->second.forwarded;
  return found->second.actor;
}

caf::result<Reply> serve(RegistrySelf self, DidCreate& request) {
  auto& s = self->state;
  auto promise = self->make_response_promise<Reply>();
  transact_then(
      self, s.engine, s.options.timeout, s.answers, promise,
      [request = std::move(request)](vault::Transaction& tx) -> Result<vault::CreatedDid> {
        Result<vault::CreatedDid> created = Status(Errc::internal, "no DID was created");
        SH_RETURN_IF_ERROR(open_optional(request.private_key, [&](ByteView plain) {
          created = vault::create_did(tx, request.network, request.fragment, plain);
          return created.status();
        }));
        return created;
      },
      [](auto& reply_promise, vault::CreatedDid&& created) {
        reply_promise.deliver(answer<DidCreate>(DidCreated{std::move(created.did), std::move(created.location)}));
      });
  return promise;
}

caf::result<Reply> serve(RegistrySelf self, DidList&) {
  auto& s = self->state;
  return read<DidList>(
      self, s.engine, s.options.timeout, s.answers,
      [](const vault::Keystore& keystore) -> Result<std::vector<Did>> { return vault::list_dids(keystore); });
}

using RegistryHandler = caf::result<Reply> (*)(RegistrySelf, Envelope&);

// A request about one DID goes to that DID's partition, with the original response id.
template <EngineRequest R>
caf::result<Reply> route_in_registry(RegistrySelf self, Envelope& envelope) {
  R* request = request_in<R>(envelope.request);
  if (request == nullptr)
    return envelope_mismatch();
  if constexpr (AboutOneDid<R>)
    return self->delegate(partition_of(self, request->did), std::move(envelope));
  else
    return serve(self, *request);
}

const DispatchTable<RegistryHandler>& registry_handlers() {
  static const auto table = make_dispatch_table<RegistryHandler>([](auto request) -> RegistryHandler {
    using R = decltype(request);
    if constexpr (is_identity_request(kind_of<R>))
      return &route_in_registry<R>;
    else
      return nullptr;
  });
  return table;
}

registry_actor::behavior_type registry(RegistrySelf self, engine_actor engine, IdentityOptions options) {
  auto& state = self->state;
  state.engine = std::move(engine);
  state.options = options;
  state.answers.fail_on_exit(self);
  // A partition that fails takes its requests with it; the registry stays and makes a new one on demand.
  self->set_exit_handler([self](caf::exit_msg& exit) {
    auto& partitions = self->state.partitions;
    for (auto it = partitions.begin(); it != partitions.end(); ++it)
      if (it->second.actor.address() == exit.source) {
        partitions.erase(it);
        return;
      }
    self->quit(exit.reason);  // from the supervisor
  });
  return {
      [self](Envelope& envelope) -> caf::result<Reply> {
        const RegistryHandler handler = handler_of(registry_handlers(), envelope.kind);
        if (handler == nullptr)
          return not_served(envelope.kind);
        return handler(self, envelope);
      },
      [self](idle_atom, const Did& did, std::uint64_t completed) {
        auto& partitions = self->state.partitions;
        const auto found = partitions.find(did);
        if (found == partitions.end() || found->second.forwarded != completed)
          return;  // requests reached it since it reported
        self->unlink_from(found->second.actor);
        self->send_exit(found->second.actor, caf::exit_reason::user_shutdown);
        partitions.erase(found);
      },
  };
}

}  // namespace

identity_actor spawn_identity_registry(caf::actor_system& system, engine_actor engine, IdentityOptions options) {
  return caf::actor_cast<identity_actor>(system.spawn(registry, std::move(engine), options));
}

}  // namespace stronghold::actors
