// The identity storage's actors: a registry that owns one partition actor per DID.
//
//   supervisor ──delegate──▶ identity registry ──delegate──▶ partition (one per DID, on demand)
//                                   │                            │ transact / batch
//                                   └── did_create, did_list ───▶ supervisor ──▶ vault actor
//
// A partition serialises the work on its DID, keeps its chain state and document cached, and
// runs each change as one procedure in the vault actor (so the DID index and the keys never
// disagree, and the change is journaled before the answer). Partitions of different DIDs run in
// parallel; one that stays idle is stopped.
#pragma once

#include <string>
#include <vector>

#include <caf/typed_actor.hpp>

#include "stronghold/actors/messages.hpp"

namespace stronghold::actors {

using identity_actor = caf::typed_actor<
    // network, fragment, the private key (null: generate one)
    caf::replies_to<did_create_atom, std::string, std::string, SharedShielded>::with<vault::Did, vault::KeyLocation>,
    caf::replies_to<did_list_atom>::with<std::vector<vault::Did>>,
    caf::replies_to<did_exists_atom, vault::Did>::with<bool>, caf::replies_to<did_purge_atom, vault::Did>::with<bool>,
    caf::replies_to<key_generate_atom, vault::Did, vault::IdentityKeyType, std::string>::with<vault::KeyLocation>,
    caf::replies_to<key_insert_atom, vault::Did, vault::KeyLocation, SharedShielded>::with<caf::ok_atom>,
    caf::replies_to<key_public_atom, vault::Did, vault::KeyLocation>::with<Bytes>,
    caf::replies_to<key_delete_atom, vault::Did, vault::KeyLocation>::with<bool>,
    caf::replies_to<key_exists_atom, vault::Did, vault::KeyLocation>::with<bool>,
    // Ed25519 signatures of each message, in order.
    caf::replies_to<key_sign_atom, vault::Did, vault::KeyLocation, ByteList>::with<ByteList>,
    // The plaintext, shielded.
    caf::replies_to<decrypt_atom, vault::Did, vault::KeyLocation, vault::EncryptedData, vault::ContentEncryption,
                    vault::KeyManagement, vault::AgreementInfo>::with<SharedShielded>,
    // (present, JSON text)
    caf::replies_to<value_get_atom, vault::Did, vault::IdentityValue>::with<bool, std::string>,
    caf::replies_to<value_set_atom, vault::Did, vault::IdentityValue, std::string>::with<caf::ok_atom>>;

}  // namespace stronghold::actors
