// The messages of the actor floor: the envelope that carries every request (requests.hpp) and
// its reply, the few internal atoms, CAF's inspect for every request and answer, the type-ID
// block, and the conversion between Status and caf::error.
//
// No plaintext secret travels in a message (docs/security-invariants.md, invariant 2).
// Secrets that must move (a key to import, a secret-store value) travel as Secret: ciphertext
// under this process's shielding key, by shared pointer, which CAF refuses to serialize.
// SigningMaterial and the internal procedure types are local-only message types: they mean
// nothing to another process and are never serialized.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <caf/all.hpp>

#include "stronghold/actors/options.hpp"
#include "stronghold/actors/requests.hpp"
#include "stronghold/runtime/scratch.hpp"
#include "stronghold/runtime/shield.hpp"
#include "stronghold/snapshot/snapshot.hpp"
#include "stronghold/snapshot/transfer.hpp"
#include "stronghold/vault/identity.hpp"
#include "stronghold/vault/keystore.hpp"
#include "stronghold/vault/sign.hpp"
#include "stronghold/vault/slip10.hpp"

namespace stronghold::actors {

using SharedShielded = std::shared_ptr<const runtime::ShieldedSecret>;
using ByteList = std::vector<Bytes>;
using SharedNewPassword = std::shared_ptr<const snapshot::NewPassword>;
using SharedTransferPassword = std::shared_ptr<const snapshot::TransferPassword>;

// One request of any kind (requests.hpp) on its way between the engine's actors: the supervisor
// forwards it, the vault actor or the identity registry dispatches it by kind to its handler.
// `request` holds exactly one value of the kind's type.
struct Envelope {
  RequestKind kind{};
  caf::message request;
  vault::Caller caller;  // who asks: policies name callers
};

// The answer to an Envelope: one value of the request's Answer type.
struct Reply {
  caf::message answer;
};

// Internal messages between the engine's own actors (never requests of a caller).
using append_atom = caf::atom_constant<caf::atom("append")>;
using replace_atom = caf::atom_constant<caf::atom("replace")>;
using flush_atom = caf::atom_constant<caf::atom("flush")>;
using ship_atom = caf::atom_constant<caf::atom("ship")>;  // the entries waiting for the shared journal
using sync_atom = caf::atom_constant<caf::atom("sync")>;
using fold_atom = caf::atom_constant<caf::atom("fold")>;
using signers_atom = caf::atom_constant<caf::atom("signers")>;
using stats_atom = caf::atom_constant<caf::atom("stats")>;
using children_atom = caf::atom_constant<caf::atom("children")>;
using material_atom = caf::atom_constant<caf::atom("material")>;
using idle_atom = caf::atom_constant<caf::atom("idle")>;
using vault_atom = caf::atom_constant<caf::atom("vault")>;
using passwd_atom = caf::atom_constant<caf::atom("passwd")>;
using admitted_atom = caf::atom_constant<caf::atom("admitted")>;
using settle_atom = caf::atom_constant<caf::atom("settle")>;
using audited_atom = caf::atom_constant<caf::atom("audited")>;
using released_atom = caf::atom_constant<caf::atom("released")>;
using receive_atom = caf::atom_constant<caf::atom("receive")>;    // entries of the shared journal
using received_atom = caf::atom_constant<caf::atom("received")>;  // one of them, applied: to the file
using follow_atom = caf::atom_constant<caf::atom("follow")>;
using retry_atom = caf::atom_constant<caf::atom("retry")>;  // requests another node's write refused
using view_atom = caf::atom_constant<caf::atom("view")>;    // the shared journal's view of the cluster

// caf::error in the "stronghold" category, with the Status message as context.
caf::error to_error(const Status& status);
// The Status an error stands for: stronghold errors keep their code, request timeouts become
// timeout, a stopped actor unavailable, anything else internal.
Status to_status(const caf::error& error);

// A request in its envelope.
template <EngineRequest R>
Envelope envelope(R request, vault::Caller caller = {}) {
  return Envelope{kind_of<R>, caf::make_message(std::move(request)), std::move(caller)};
}

// The answer to a request of type R, as a handler returns it.
template <EngineRequest R>
Reply answer(typename R::Answer value) {
  return Reply{caf::make_message(std::move(value))};
}

// A handler's Result as its reply.
template <EngineRequest R>
caf::result<Reply> reply(Result<typename R::Answer> result) {
  if (!result.ok())
    return to_error(result.status());
  return answer<R>(std::move(result).value());
}

// The request of type R in `envelope`'s message, or null when it holds something else.
template <EngineRequest R>
R* request_in(caf::message& message) {
  if (!message.match_elements<R>())
    return nullptr;
  return &message.get_mutable_as<R>(0);
}

// The answer of type T in a reply; internal when it holds something else.
template <class T>
Result<T> answer_in(Reply& reply) {
  if (!reply.answer.match_elements<T>())
    return Status(Errc::internal, "the reply does not hold the answer its request names");
  return std::move(reply.answer.get_mutable_as<T>(0));
}

// Registers the inspectable message types (needed once messages cross a process boundary).
void register_message_types(caf::actor_system_config& config);

}  // namespace stronghold::actors

namespace stronghold::vault {

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, Location& x) {
  return f(caf::meta::type_name("stronghold.Location"), x.vault, x.record);
}

}  // namespace stronghold::vault

namespace stronghold::actors {

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, EngineStats& x) {
  return f(caf::meta::type_name("stronghold.EngineStats"), x.signer_restarts, x.vault_restarts, x.identity_restarts);
}

// Every request and answer struct, from its SH_FIELDS list.
template <class Inspector, class T>
requires requires(T& x) {
  x.fields();
  KindOf<T>::value;
}
typename Inspector::result_type inspect(Inspector& f, T& x) {
  return std::apply([&](auto&... field) { return f(caf::meta::type_name(T::kName.data()), field...); }, x.fields());
}

// Every struct of an answer, from its SH_FIELDS list.
template <class Inspector, class T>
requires requires(T& x) {
  x.fields();
  T::kTypeName;
}
typename Inspector::result_type inspect(Inspector& f, T& x) {
  return std::apply([&](auto&... field) { return f(caf::meta::type_name(T::kTypeName.data()), field...); }, x.fields());
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, Done&) {
  return f(caf::meta::type_name("stronghold.Done"));
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, DidCreated& x) {
  return f(caf::meta::type_name("stronghold.DidCreated"), x.did, x.location);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, IdentityJson& x) {
  return f(caf::meta::type_name("stronghold.IdentityJson"), x.present, x.json);
}

// A secret is sealed under this process's key: it means nothing elsewhere, and CAF's
// serialization must not carry its plaintext either. Serializing one fails; printing one shows
// only its type. Secrets cross processes through the wire codec, over an authenticated channel.
caf::error secret_not_serializable();

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, Secret&) {
  return f(caf::meta::type_name("stronghold.Secret"), caf::meta::save_callback(secret_not_serializable),
           caf::meta::load_callback(secret_not_serializable));
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, Envelope& x) {
  return f(caf::meta::type_name("stronghold.Envelope"), x.kind, x.request, x.caller.name, x.caller.client);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, Reply& x) {
  return f(caf::meta::type_name("stronghold.Reply"), x.answer);
}

}  // namespace stronghold::actors

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(stronghold::vault::SigningMaterial)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(stronghold::actors::SharedNewPassword)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(stronghold::actors::SharedTransferPassword)

#define SH_ADD_REQUEST_TYPE_ID(number, type) CAF_ADD_TYPE_ID(stronghold, (stronghold::actors::type))

CAF_BEGIN_TYPE_ID_BLOCK(stronghold, caf::first_custom_type_id)
  CAF_ADD_TYPE_ID(stronghold, (stronghold::vault::Location))
  CAF_ADD_TYPE_ID(stronghold, (stronghold::actors::EngineStats))
  CAF_ADD_TYPE_ID(stronghold, (stronghold::vault::Did))
  CAF_ADD_TYPE_ID(stronghold, (stronghold::vault::KeyLocation))
  CAF_ADD_TYPE_ID(stronghold, (std::vector<stronghold::vault::Did>))
  CAF_ADD_TYPE_ID(stronghold, (stronghold::actors::Envelope))
  CAF_ADD_TYPE_ID(stronghold, (stronghold::actors::Reply))
  CAF_ADD_TYPE_ID(stronghold, (stronghold::actors::Secret))
  CAF_ADD_TYPE_ID(stronghold, (stronghold::actors::Done))
  CAF_ADD_TYPE_ID(stronghold, (stronghold::actors::DidCreated))
  CAF_ADD_TYPE_ID(stronghold, (stronghold::actors::IdentityJson))
  CAF_ADD_TYPE_ID(stronghold, (stronghold::actors::ExtendedPublic))
  CAF_ADD_TYPE_ID(stronghold, (stronghold::actors::AeadSealed))
  CAF_ADD_TYPE_ID(stronghold, (stronghold::actors::ImportReport))
  CAF_ADD_TYPE_ID(stronghold, (stronghold::actors::PolicyState))
  CAF_ADD_TYPE_ID(stronghold, (stronghold::actors::AuditReport))
  CAF_ADD_TYPE_ID(stronghold, (stronghold::actors::AuditPage))
  CAF_ADD_TYPE_ID(stronghold, (std::vector<std::string>))
  CAF_ADD_TYPE_ID(stronghold, (std::vector<stronghold::actors::RecordEntry>))
  CAF_ADD_TYPE_ID(stronghold, (std::vector<stronghold::actors::ClientEntry>))
  CAF_ADD_TYPE_ID(stronghold, (std::vector<stronghold::actors::PendingRequest>))
  SH_ENGINE_REQUESTS(SH_ADD_REQUEST_TYPE_ID)
CAF_END_TYPE_ID_BLOCK(stronghold)

#undef SH_ADD_REQUEST_TYPE_ID

// The message classes of each request and of the type-ID block's own types (CAF's tuple_vals,
// which serializes, copies and prints a message, and its type-erased value) are compiled once, in
// messages.cpp, and not again in every unit that makes or reads such a message: they were a third
// of the compile time of interfaces/src/engine.cpp (119 s of CPU against 68 s, g++ -O3).
// NOLINTBEGIN(bugprone-macro-parentheses): the arguments are a keyword and a type.
#define SH_MESSAGE_CLASSES(prefix, type)                                               \
  prefix template class caf::detail::tuple_vals_impl<caf::detail::message_data, type>; \
  prefix template class caf::detail::tuple_vals<type>;                                 \
  prefix template class caf::detail::type_erased_value_impl<type>;
// NOLINTEND(bugprone-macro-parentheses)
#define SH_OWN_MESSAGE_TYPES(X)         \
  X(stronghold::vault::Location)        \
  X(stronghold::vault::Did)             \
  X(stronghold::vault::KeyLocation)     \
  X(stronghold::actors::EngineStats)    \
  X(stronghold::actors::Envelope)       \
  X(stronghold::actors::Reply)          \
  X(stronghold::actors::Secret)         \
  X(stronghold::actors::Done)           \
  X(stronghold::actors::DidCreated)     \
  X(stronghold::actors::IdentityJson)   \
  X(stronghold::actors::ExtendedPublic) \
  X(stronghold::actors::AeadSealed)     \
  X(stronghold::actors::ImportReport)   \
  X(stronghold::actors::PolicyState)    \
  X(stronghold::actors::AuditReport)    \
  X(stronghold::actors::AuditPage)
#define SH_EXTERN_OWN_MESSAGE(type) SH_MESSAGE_CLASSES(extern, type)
#define SH_EXTERN_REQUEST_MESSAGE(number, type) SH_MESSAGE_CLASSES(extern, stronghold::actors::type)
SH_OWN_MESSAGE_TYPES(SH_EXTERN_OWN_MESSAGE)
SH_ENGINE_REQUESTS(SH_EXTERN_REQUEST_MESSAGE)
#undef SH_EXTERN_OWN_MESSAGE
#undef SH_EXTERN_REQUEST_MESSAGE
