#include <map>
#include <optional>
#include <utility>

#include "dispatch.hpp"
#include "identity_registry.hpp"
#include "stronghold/actors/pending.hpp"

namespace stronghold::actors {
namespace {

using vault::Did;
using vault::IdentityValue;

// ---- a partition: one DID

using partition_actor = identity_actor::extend<caf::reacts_to<idle_atom>>;

struct PartitionState {
  Did did;
  supervisor_actor engine;
  std::chrono::milliseconds timeout{};
  PendingAnswers answers;
  // Cached values (empty: not loaded yet), trusted while no change of them is in flight.
  std::optional<IdentityJson> values[2];
  int writes_in_flight = 0;
  std::uint64_t completed = 0;  // requests answered or handed on, reported to the registry when idle
  caf::actor registry;
  static const char* name;
};
const char* PartitionState::name = "stronghold.identity.partition";

using PartitionSelf = partition_actor::stateful_pointer<PartitionState>;

std::size_t slot_of(IdentityValue which) { return which == IdentityValue::chain_state ? 0 : 1; }

// The vault actor serves every request; the partition hands them on in their order, so the work
// on one DID is serialised. Most need nothing more: the vault actor answers the requester.
template <EngineRequest R>
caf::result<Reply> serve(PartitionSelf self, R&, Envelope& envelope) {
  return self->delegate(self->state.engine, vault_atom::value, std::move(envelope));
}

// Hands `envelope` on and answers with the vault actor's reply once `settle` saw it (null when the
// request failed). Until then the request is in `answers`, so it fails if the partition stops.
template <class Settle>
caf::result<Reply> through_vault(PartitionSelf self, Envelope& envelope, Settle settle) {
  auto& s = self->state;
  auto promise = self->make_response_promise<Reply>();
  const std::uint64_t id = s.answers.add(promise);
  self->request(s.engine, s.timeout, vault_atom::value, std::move(envelope))
      .then(
          [self, id, promise, settle](Reply& reply) mutable {
            self->state.answers.done(id);
            settle(&reply);
            promise.deliver(std::move(reply));
          },
          [self, id, promise, settle](caf::error& failure) mutable {
            self->state.answers.done(id);
            settle(nullptr);
            promise.deliver(failure);
          });
  return promise;
}

// A change of the cached values: none is trusted again until every change in flight is answered,
// failed or not; the next read then fills the cache.
caf::result<Reply> write_values(PartitionSelf self, Envelope& envelope) {
  ++self->state.writes_in_flight;
  return through_vault(self, envelope, [self](const Reply*) { --self->state.writes_in_flight; });
}

caf::result<Reply> serve(PartitionSelf self, DidPurge&, Envelope& envelope) {
  self->state.values[0].reset();
  self->state.values[1].reset();
  return write_values(self, envelope);
}

caf::result<Reply> serve(PartitionSelf self, DidValueSet& request, Envelope& envelope) {
  self->state.values[slot_of(request.which)].reset();
  return write_values(self, envelope);
}

caf::result<Reply> serve(PartitionSelf self, DidValueGet& request, Envelope& envelope) {
  auto& s = self->state;
  const std::size_t slot = slot_of(request.which);
  if (s.values[slot] && s.writes_in_flight == 0)
    return answer<DidValueGet>(*s.values[slot]);
  return through_vault(self, envelope, [self, slot](const Reply* reply) {
    if (reply != nullptr && self->state.writes_in_flight == 0 && reply->answer.match_elements<IdentityJson>())
      self->state.values[slot] = reply->answer.get_as<IdentityJson>(0);
  });
}

// Requests about one DID have a `did` field; the registry hands the others to the vault actor.
template <class R>
concept AboutOneDid = requires(R request) {
  request.did;
};

using PartitionHandler = caf::result<Reply> (*)(PartitionSelf, Envelope&);

// Each request counts when it starts; requests still waiting for the vault actor are in
// `answers`, and an idle partition reports only when there are none.
template <EngineRequest R>
caf::result<Reply> unpack_in_partition(PartitionSelf self, Envelope& envelope) {
  R* request = request_in<R>(envelope.request);
  if (request == nullptr)
    return envelope_mismatch();
  ++self->state.completed;
  return serve(self, *request, envelope);
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

partition_actor::behavior_type partition(PartitionSelf self, Did did, supervisor_actor engine,
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
        return handler(self, envelope);
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
  supervisor_actor engine;
  IdentityOptions options;
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

using RegistryHandler = caf::result<Reply> (*)(RegistrySelf, Envelope&);

// A request about one DID goes to that DID's partition, the others (DidCreate, DidList) to the
// vault actor, with the original response id.
template <EngineRequest R>
caf::result<Reply> route_in_registry(RegistrySelf self, Envelope& envelope) {
  R* request = request_in<R>(envelope.request);
  if (request == nullptr)
    return envelope_mismatch();
  if constexpr (AboutOneDid<R>)
    return self->delegate(partition_of(self, request->did), std::move(envelope));
  else
    return self->delegate(self->state.engine, vault_atom::value, std::move(envelope));
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

registry_actor::behavior_type registry(RegistrySelf self, supervisor_actor engine, IdentityOptions options) {
  auto& state = self->state;
  state.engine = std::move(engine);
  state.options = options;
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

identity_actor spawn_identity_registry(caf::actor_system& system, supervisor_actor engine, IdentityOptions options) {
  return caf::actor_cast<identity_actor>(system.spawn(registry, std::move(engine), options));
}

}  // namespace stronghold::actors
