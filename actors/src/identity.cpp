#include <map>
#include <optional>
#include <type_traits>
#include <utility>

#include "identity_registry.hpp"
#include "stronghold/actors/pending.hpp"
#include "stronghold/runtime/scratch.hpp"

namespace stronghold::actors {
namespace {

using vault::Did;
using vault::IdentityValue;
using vault::KeyLocation;

// with_shielded, or `use` of an empty view when no secret was given.
template <class Use>
Status with_optional_secret(const SharedShielded& shielded, Use&& use) {
  if (!shielded)
    return use(ByteView());
  return with_shielded(shielded, std::forward<Use>(use));
}

// Runs `body` (Result<T>(vault::Transaction&)) in the vault actor; once the change is durable,
// calls deliver(promise, value). `answers` tracks the promise so that it fails if the caller
// stops first.
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

template <class T, class Self, class Body>
caf::result<T> transact(Self* self, const engine_actor& engine, std::chrono::milliseconds timeout,
                        PendingAnswers& answers, Body body, std::vector<vault::Location> touches = {},
                        bool touches_everything = false) {
  auto promise = self->template make_response_promise<T>();
  transact_then(
      self, engine, timeout, answers, promise, std::move(body),
      [](auto& answer, T&& value) { answer.deliver(std::move(value)); }, std::move(touches), touches_everything);
  return promise;
}

// A read: the same path, since only the vault actor may touch the keystore.
template <class T, class Self, class Read>
caf::result<T> read(Self* self, const engine_actor& engine, std::chrono::milliseconds timeout, PendingAnswers& answers,
                    Read read_keystore) {
  return transact<T>(self, engine, timeout, answers,
                     [read_keystore = std::move(read_keystore)](vault::Transaction& tx) -> Result<T> {
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

partition_actor::behavior_type partition(PartitionSelf self, Did did, engine_actor engine,
                                         std::chrono::milliseconds timeout, std::chrono::milliseconds idle,
                                         caf::actor registry) {
  auto& state = self->state;
  state.did = std::move(did);
  state.engine = std::move(engine);
  state.timeout = timeout;
  state.registry = std::move(registry);
  state.answers.fail_on_exit(self);
  // Every handler counts its request when it starts; requests still waiting for the vault actor
  // are in `answers`, and an idle partition reports only when there are none.
  auto& s = state;
  return {
      [](did_create_atom, std::string&, std::string&, SharedShielded&) -> caf::result<Did, KeyLocation> {
        return to_error(Status(Errc::internal, "DIDs are created by the registry"));
      },
      [](did_list_atom) -> caf::result<std::vector<Did>> {
        return to_error(Status(Errc::internal, "the registry lists DIDs"));
      },
      [self, &s](did_exists_atom, const Did& did) -> caf::result<bool> {
        ++s.completed;
        return read<bool>(self, s.engine, s.timeout, s.answers, [did](const vault::Keystore& keystore) -> Result<bool> {
          return vault::did_exists(keystore, did);
        });
      },
      [self, &s](did_purge_atom, const Did& did) -> caf::result<bool> {
        ++s.completed;
        s.values[0].reset();
        s.values[1].reset();
        return transact<bool>(
            self, s.engine, s.timeout, s.answers, [did](vault::Transaction& tx) { return vault::purge_did(tx, did); },
            {}, true);
      },
      [self, &s](key_generate_atom, const Did& did, vault::IdentityKeyType type,
                 const std::string& fragment) -> caf::result<KeyLocation> {
        ++s.completed;
        return transact<KeyLocation>(self, s.engine, s.timeout, s.answers,
                                     [did, type, fragment](vault::Transaction& tx) {
                                       return vault::generate_identity_key(tx, did, type, fragment);
                                     });
      },
      [self, &s](key_insert_atom, const Did& did, const KeyLocation& location,
                 const SharedShielded& secret) -> caf::result<caf::ok_atom> {
        ++s.completed;
        if (!secret)
          return to_error(Status(Errc::invalid_key, "no private key given"));
        return transact<caf::ok_atom>(self, s.engine, s.timeout, s.answers,
                                      [did, location, secret](vault::Transaction& tx) -> Result<caf::ok_atom> {
                                        SH_RETURN_IF_ERROR(with_optional_secret(secret, [&](ByteView plain) {
                                          return vault::insert_identity_key(tx, did, location, plain);
                                        }));
                                        return caf::ok_atom::value;
                                      },
                                      {vault::identity_record(did, location)});
      },
      [self, &s](key_public_atom, const Did& did, const KeyLocation& location) -> caf::result<Bytes> {
        ++s.completed;
        return read<Bytes>(self, s.engine, s.timeout, s.answers, [did, location](const vault::Keystore& keystore) {
          return vault::identity_public_key(keystore, did, location);
        });
      },
      [self, &s](key_delete_atom, const Did& did, const KeyLocation& location) -> caf::result<bool> {
        ++s.completed;
        return transact<bool>(
            self, s.engine, s.timeout, s.answers,
            [did, location](vault::Transaction& tx) { return vault::delete_identity_key(tx, did, location); },
            {vault::identity_record(did, location)});
      },
      [self, &s](key_exists_atom, const Did& did, const KeyLocation& location) -> caf::result<bool> {
        ++s.completed;
        return read<bool>(self, s.engine, s.timeout, s.answers,
                          [did, location](const vault::Keystore& keystore) -> Result<bool> {
                            return vault::identity_key_exists(keystore, did, location);
                          });
      },
      [self, &s](key_sign_atom, const Did& did, const KeyLocation& location,
                 ByteList& messages) -> caf::result<ByteList> {
        ++s.completed;
        if (location.type() != vault::IdentityKeyType::ed25519)
          return to_error(Status(Errc::wrong_key_type, "only Ed25519 keys sign"));
        // Straight to the vault actor and its signers: the answer goes to the requester.
        return self->delegate(s.engine, batch_atom::value, vault::identity_record(did, location), std::move(messages));
      },
      [self, &s](decrypt_atom, const Did& did, const KeyLocation& location, const vault::EncryptedData& data,
                 vault::ContentEncryption content, vault::KeyManagement management,
                 const vault::AgreementInfo& agreement) -> caf::result<SharedShielded> {
        ++s.completed;
        return read<SharedShielded>(
            self, s.engine, s.timeout, s.answers, [=](const vault::Keystore& keystore) -> Result<SharedShielded> {
              SH_ASSIGN_OR_RETURN(const Bytes plaintext, vault::identity_decrypt(keystore, did, location, data, content,
                                                                                 management, agreement));
              auto shielded = runtime::ShieldedSecret::seal(plaintext);
              if (!shielded.ok())
                return shielded.status();
              return SharedShielded(std::make_shared<const runtime::ShieldedSecret>(std::move(*shielded)));
            });
      },
      [self, &s](value_get_atom, const Did& did, IdentityValue which) -> caf::result<bool, std::string> {
        ++s.completed;
        auto& slot = s.values[slot_of(which)];
        auto promise = self->make_response_promise<bool, std::string>();
        if (slot && s.writes_in_flight == 0) {
          promise.deliver(slot->has_value(), slot->value_or(std::string()));
          return promise;
        }
        transact_then(
            self, s.engine, s.timeout, s.answers, promise,
            [did, which](vault::Transaction& tx) { return vault::identity_value(tx.keystore(), did, which); },
            [self, which](auto& answer, std::optional<std::string>&& value) {
              if (self->state.writes_in_flight == 0)
                self->state.values[slot_of(which)] = value;
              answer.deliver(value.has_value(), value.value_or(std::string()));
            });
        return promise;
      },
      [self, &s](value_set_atom, const Did& did, IdentityValue which, std::string& json) -> caf::result<caf::ok_atom> {
        ++s.completed;
        s.values[slot_of(which)].reset();
        ++s.writes_in_flight;
        auto promise = self->make_response_promise<caf::ok_atom>();
        // The cache is filled again by the next read once no write is in flight, failed or not.
        transact_then(
            self, s.engine, s.timeout, s.answers, promise,
            [did, which, json](vault::Transaction& tx) -> Result<caf::ok_atom> {
              SH_RETURN_IF_ERROR(vault::set_identity_value(tx, did, which, json));
              return caf::ok_atom::value;
            },
            [self](auto& answer, caf::ok_atom&&) {
              --self->state.writes_in_flight;
              answer.deliver(caf::ok_atom::value);
            });
        return promise;
      },
      [&s](idle_atom) {
        // Asks the registry to stop this partition if nothing reached it since this count.
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
  auto& s = state;
  return {
      [self, &s](did_create_atom, std::string& network, std::string& fragment,
                 SharedShielded& key) -> caf::result<Did, KeyLocation> {
        auto promise = self->make_response_promise<Did, KeyLocation>();
        transact_then(
            self, s.engine, s.options.timeout, s.answers, promise,
            [network, fragment, key](vault::Transaction& tx) -> Result<vault::CreatedDid> {
              Result<vault::CreatedDid> created = Status(Errc::internal, "no DID was created");
              SH_RETURN_IF_ERROR(with_optional_secret(key, [&](ByteView plain) {
                created = vault::create_did(tx, network, fragment, plain);
                return created.status();
              }));
              return created;
            },
            [](auto& answer, vault::CreatedDid&& created) {
              answer.deliver(std::move(created.did), std::move(created.location));
            });
        return promise;
      },
      [self, &s](did_list_atom) -> caf::result<std::vector<Did>> {
        return read<std::vector<Did>>(
            self, s.engine, s.options.timeout, s.answers,
            [](const vault::Keystore& keystore) -> Result<std::vector<Did>> { return vault::list_dids(keystore); });
      },
      [self](did_exists_atom a, Did& did) { return self->delegate(partition_of(self, did), a, std::move(did)); },
      [self](did_purge_atom a, Did& did) { return self->delegate(partition_of(self, did), a, std::move(did)); },
      [self](key_generate_atom a, Did& did, vault::IdentityKeyType type, std::string& fragment) {
        return self->delegate(partition_of(self, did), a, std::move(did), type, std::move(fragment));
      },
      [self](key_insert_atom a, Did& did, KeyLocation& location, SharedShielded& secret) {
        return self->delegate(partition_of(self, did), a, std::move(did), std::move(location), std::move(secret));
      },
      [self](key_public_atom a, Did& did, KeyLocation& location) {
        return self->delegate(partition_of(self, did), a, std::move(did), std::move(location));
      },
      [self](key_delete_atom a, Did& did, KeyLocation& location) {
        return self->delegate(partition_of(self, did), a, std::move(did), std::move(location));
      },
      [self](key_exists_atom a, Did& did, KeyLocation& location) {
        return self->delegate(partition_of(self, did), a, std::move(did), std::move(location));
      },
      [self](key_sign_atom a, Did& did, KeyLocation& location, ByteList& messages) {
        return self->delegate(partition_of(self, did), a, std::move(did), std::move(location), std::move(messages));
      },
      [self](decrypt_atom a, Did& did, KeyLocation& location, vault::EncryptedData& data,
             vault::ContentEncryption content, vault::KeyManagement management, vault::AgreementInfo& agreement) {
        return self->delegate(partition_of(self, did), a, std::move(did), std::move(location), std::move(data), content,
                              management, std::move(agreement));
      },
      [self](value_get_atom a, Did& did, IdentityValue which) {
        return self->delegate(partition_of(self, did), a, std::move(did), which);
      },
      [self](value_set_atom a, Did& did, IdentityValue which, std::string& json) {
        return self->delegate(partition_of(self, did), a, std::move(did), which, std::move(json));
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
