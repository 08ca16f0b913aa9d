// The shapes of the JSON values the identity storage keeps for a DID, as IOTA Identity 0.6 writes
// them. Both storages (the vault's and MemStore) refuse anything else, so a value read back is one
// Identity can deserialise.
//
//   chain state (Identity's ChainState): a JSON object; its `last_integration_message_id` and
//     `last_diff_message_id`, when present, are strings of 64 hex digits (a 32-byte message id).
//     Other members are accepted, as serde ignores unknown fields.
//   document (Identity's IotaDocument, serialised): a JSON object whose `doc` member is an object
//     whose `id` is the DID the value is stored under. `meta`, `proof` and the rest of `doc` are
//     Identity's to judge: the storage does not resolve or verify documents.
//
// Every value is at most kMaxIdentityValueSize bytes of UTF-8 JSON nested at most
// kMaxIdentityJsonDepth deep; the size is checked before parsing and the depth while parsing, so a
// hostile value costs neither much memory nor stack.
#pragma once

#include <cstddef>
#include <string_view>

#include "stronghold/vault/did.hpp"

namespace stronghold::vault {

enum class IdentityValue { chain_state, document };

inline constexpr std::size_t kMaxIdentityValueSize = std::size_t{256} * 1024;
inline constexpr int kMaxIdentityJsonDepth = 64;

// invalid_argument, with a message that names the rule broken and never quotes the value.
Status check_identity_value(const Did& did, IdentityValue which, std::string_view json);

}  // namespace stronghold::vault
