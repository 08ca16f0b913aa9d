// The message vocabulary of the actor floor: atoms, the inspectable types and their type-ID
// block, and the conversion between Status and caf::error.
//
// No plaintext secret travels in a message (ARCHITECTURE.md, invariant 2). Secrets that must
// move (a key to import, a secret-store value) travel shielded: ciphertext under this
// process's shielding key, by shared pointer. Such values, and SigningMaterial, are allowed as
// local-only message types: they mean nothing to another process and are never serialized.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <caf/all.hpp>

#include "stronghold/runtime/scratch.hpp"
#include "stronghold/runtime/shield.hpp"
#include "stronghold/snapshot/snapshot.hpp"
#include "stronghold/vault/identity.hpp"
#include "stronghold/vault/keystore.hpp"
#include "stronghold/vault/sign.hpp"
#include "stronghold/vault/slip10.hpp"

namespace stronghold::actors {

using SharedShielded = std::shared_ptr<const runtime::ShieldedSecret>;
using ByteList = std::vector<Bytes>;
using SharedNewPassword = std::shared_ptr<const snapshot::NewPassword>;

using generate_atom = caf::atom_constant<caf::atom("generate")>;
using import_atom = caf::atom_constant<caf::atom("import")>;
using public_atom = caf::atom_constant<caf::atom("public")>;
using sign_atom = caf::atom_constant<caf::atom("sign")>;
using ecdsa_atom = caf::atom_constant<caf::atom("ecdsa")>;
using batch_atom = caf::atom_constant<caf::atom("batch")>;
using derive_atom = caf::atom_constant<caf::atom("derive")>;
using delete_atom = caf::atom_constant<caf::atom("delete")>;
using put_secret_atom = caf::atom_constant<caf::atom("putsecret")>;
using get_secret_atom = caf::atom_constant<caf::atom("getsecret")>;
using sync_atom = caf::atom_constant<caf::atom("sync")>;
using append_atom = caf::atom_constant<caf::atom("append")>;
using replace_atom = caf::atom_constant<caf::atom("replace")>;
using flush_atom = caf::atom_constant<caf::atom("flush")>;
using signers_atom = caf::atom_constant<caf::atom("signers")>;
using stats_atom = caf::atom_constant<caf::atom("stats")>;
using children_atom = caf::atom_constant<caf::atom("children")>;
using material_atom = caf::atom_constant<caf::atom("material")>;
using transact_atom = caf::atom_constant<caf::atom("transact")>;
using idle_atom = caf::atom_constant<caf::atom("idle")>;
using gc_atom = caf::atom_constant<caf::atom("gc")>;
using passwd_atom = caf::atom_constant<caf::atom("passwd")>;
using header_atom = caf::atom_constant<caf::atom("header")>;
// The identity storage's requests.
using did_create_atom = caf::atom_constant<caf::atom("didcreate")>;
using did_list_atom = caf::atom_constant<caf::atom("didlist")>;
using did_exists_atom = caf::atom_constant<caf::atom("didexists")>;
using did_purge_atom = caf::atom_constant<caf::atom("didpurge")>;
using key_generate_atom = caf::atom_constant<caf::atom("keygen")>;
using key_insert_atom = caf::atom_constant<caf::atom("keyinsert")>;
using key_public_atom = caf::atom_constant<caf::atom("keypublic")>;
using key_delete_atom = caf::atom_constant<caf::atom("keydelete")>;
using key_exists_atom = caf::atom_constant<caf::atom("keyexists")>;
using key_sign_atom = caf::atom_constant<caf::atom("keysign")>;
using decrypt_atom = caf::atom_constant<caf::atom("decrypt")>;
using value_get_atom = caf::atom_constant<caf::atom("valueget")>;
using value_set_atom = caf::atom_constant<caf::atom("valueset")>;

// Work of a higher floor that the vault actor runs atomically on its state: `run` fills the
// transaction (or fails, and nothing changes); the changes are journaled before the reply.
// `touches` lists the locations whose records it may replace or remove, so cached signing
// material there is dropped; `touches_everything` drops all of it.
struct TransactProcedure {
  std::function<Status(vault::Transaction&)> run;
  std::vector<vault::Location> touches;
  bool touches_everything = false;
};
using SharedProcedure = std::shared_ptr<const TransactProcedure>;

// Counters a supervisor reports (tests and monitoring).
struct EngineStats {
  std::uint32_t signer_restarts = 0;
  std::uint32_t vault_restarts = 0;
  std::uint32_t identity_restarts = 0;
};

// A secret sealed under this process's shielding key, ready to travel in a message.
Result<SharedShielded> shield(ByteView secret);

// Opens a shielded secret from a message into scratch for `use` (Status(ByteView)), wiped after.
template <class Use>
Status with_shielded(const SharedShielded& shielded, Use&& use) {
  if (!shielded)
    return Status(Errc::invalid_argument, "no secret given");
  runtime::ScratchFrame frame;
  SH_ASSIGN_OR_RETURN(auto secret, frame.take(shielded->size()));
  SH_RETURN_IF_ERROR(shielded->open(secret));
  return use(ByteView(secret));
}

// caf::error in the "stronghold" category, with the Status message as context.
caf::error to_error(const Status& status);
// The Status an error stands for: stronghold errors keep their code, request timeouts become
// timeout, a stopped actor unavailable, anything else internal.
Status to_status(const caf::error& error);

// Registers the inspectable message types (needed once messages cross a process boundary).
void register_message_types(caf::actor_system_config& config);

}  // namespace stronghold::actors

namespace stronghold::vault {

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, Location& x) {
  return f(caf::meta::type_name("stronghold.Location"), x.vault, x.record);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, AgreementInfo& x) {
  return f(caf::meta::type_name("stronghold.AgreementInfo"), x.apu, x.apv, x.pub_info, x.priv_info);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, EncryptedData& x) {
  return f(caf::meta::type_name("stronghold.EncryptedData"), x.associated_data, x.nonce, x.tag, x.ciphertext,
           x.encrypted_cek, x.ephemeral_public_key);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, EcdsaOptions& x) {
  return f(caf::meta::type_name("stronghold.EcdsaOptions"), x.prehashed, x.format);
}

}  // namespace stronghold::vault

namespace stronghold::actors {

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, EngineStats& x) {
  return f(caf::meta::type_name("stronghold.EngineStats"), x.signer_restarts, x.vault_restarts, x.identity_restarts);
}

}  // namespace stronghold::actors

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(stronghold::actors::SharedShielded)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(stronghold::vault::SigningMaterial)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(stronghold::actors::SharedProcedure)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(stronghold::actors::SharedNewPassword)

CAF_BEGIN_TYPE_ID_BLOCK(stronghold, caf::first_custom_type_id)
  CAF_ADD_TYPE_ID(stronghold, (stronghold::vault::Location))
  CAF_ADD_TYPE_ID(stronghold, (stronghold::vault::EcdsaOptions))
  CAF_ADD_TYPE_ID(stronghold, (stronghold::actors::EngineStats))
  CAF_ADD_TYPE_ID(stronghold, (stronghold::vault::Did))
  CAF_ADD_TYPE_ID(stronghold, (stronghold::vault::KeyLocation))
  CAF_ADD_TYPE_ID(stronghold, (stronghold::vault::AgreementInfo))
  CAF_ADD_TYPE_ID(stronghold, (stronghold::vault::EncryptedData))
CAF_END_TYPE_ID_BLOCK(stronghold)
