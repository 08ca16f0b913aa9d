#include "stronghold/identity/mem_store.hpp"

#include <sodium.h>

#include "stronghold/runtime/random.hpp"

namespace stronghold::identity {
namespace {

Status no_did(const Did& did) { return error(Errc::did_not_found, "the storage holds no DID {}", did.to_string()); }

}  // namespace

Result<MemStore::Identity*> MemStore::find(const Did& did) {
  const auto found = identities_.find(did);
  if (found == identities_.end())
    return no_did(did);
  return &found->second;
}

Result<const MemStore::Key*> MemStore::find_key(const Did& did, const KeyLocation& location) {
  SH_ASSIGN_OR_RETURN(Identity * identity, find(did));
  const auto key = identity->keys.find(location);
  if (key == identity->keys.end() || key->second.type != location.type())
    return error(Errc::not_found, "DID {} holds no {} key at {}", did.to_string(),
                 vault::identity_key_type_name(location.type()), location.canonical());
  return &key->second;
}

Result<CreatedDid> MemStore::did_create(std::string_view network, std::string_view fragment, ByteView private_key) {
  SH_RETURN_IF_ERROR(vault::check_network(network));
  Bytes secret(32);
  if (private_key.empty())
    runtime::random_bytes(secret);
  else
    secret.assign(private_key.begin(), private_key.end());
  SH_ASSIGN_OR_RETURN(Bytes public_key, vault::identity_key_public(KeyType::ed25519, secret));
  SH_ASSIGN_OR_RETURN(Did did, Did::from_public_key(network, public_key));
  SH_ASSIGN_OR_RETURN(KeyLocation location, KeyLocation::make(KeyType::ed25519, fragment, public_key));
  std::lock_guard guard(mutex_);
  if (identities_.contains(did))
    return error(Errc::already_exists, "the identity {} already exists", did.to_string());
  identities_[did].keys.emplace(location, Key{KeyType::ed25519, std::move(secret), std::move(public_key)});
  return CreatedDid{std::move(did), std::move(location)};
}

Result<std::vector<Did>> MemStore::did_list() {
  std::lock_guard guard(mutex_);
  std::vector<Did> dids;
  for (const auto& [did, identity] : identities_)
    dids.push_back(did);
  return dids;
}

Result<bool> MemStore::did_exists(const Did& did) {
  std::lock_guard guard(mutex_);
  return identities_.contains(did);
}

Result<bool> MemStore::did_purge(const Did& did) {
  std::lock_guard guard(mutex_);
  return identities_.erase(did) == 1;
}

Result<KeyLocation> MemStore::key_generate(const Did& did, KeyType type, std::string_view fragment) {
  Bytes secret(32);
  runtime::random_bytes(secret);
  SH_ASSIGN_OR_RETURN(Bytes public_key, vault::identity_key_public(type, secret));
  SH_ASSIGN_OR_RETURN(KeyLocation location, KeyLocation::make(type, fragment, public_key));
  std::lock_guard guard(mutex_);
  SH_ASSIGN_OR_RETURN(Identity * identity, find(did));
  identity->keys.insert_or_assign(location, Key{type, std::move(secret), std::move(public_key)});
  return location;
}

Status MemStore::key_insert(const Did& did, const KeyLocation& location, ByteView private_key) {
  std::lock_guard guard(mutex_);
  SH_ASSIGN_OR_RETURN(Identity * identity, find(did));
  SH_ASSIGN_OR_RETURN(Bytes public_key, vault::identity_key_public(location.type(), private_key));
  if (!location.names(public_key))
    return error(Errc::invalid_key, "the key hash of {} does not name this private key's public key",
                 location.canonical());
  identity->keys.insert_or_assign(
      location, Key{location.type(), Bytes(private_key.begin(), private_key.end()), std::move(public_key)});
  return {};
}

Result<Bytes> MemStore::key_public(const Did& did, const KeyLocation& location) {
  std::lock_guard guard(mutex_);
  SH_ASSIGN_OR_RETURN(const Key* key, find_key(did, location));
  return key->public_key;
}

Result<bool> MemStore::key_delete(const Did& did, const KeyLocation& location) {
  std::lock_guard guard(mutex_);
  if (!find_key(did, location).ok())
    return false;
  identities_[did].keys.erase(location);
  return true;
}

Result<Signature> MemStore::key_sign(const Did& did, const KeyLocation& location, ByteView data) {
  if (location.type() != KeyType::ed25519)
    return Status(Errc::wrong_key_type, "only Ed25519 keys sign");
  std::lock_guard guard(mutex_);
  SH_ASSIGN_OR_RETURN(const Key* key, find_key(did, location));
  std::uint8_t public_key[crypto_sign_PUBLICKEYBYTES], expanded[crypto_sign_SECRETKEYBYTES];
  crypto_sign_seed_keypair(public_key, expanded, key->private_key.data());
  Signature signature(crypto_sign_BYTES);
  crypto_sign_detached(signature.data(), nullptr, data.data(), data.size(), expanded);
  sodium_memzero(expanded, sizeof expanded);
  return signature;
}

Result<bool> MemStore::key_exists(const Did& did, const KeyLocation& location) {
  std::lock_guard guard(mutex_);
  return find_key(did, location).ok();
}

Result<Bytes> MemStore::data_decrypt(const Did& did, const EncryptedData& data, ContentEncryption content,
                                     const CekAlgorithm& cek, const KeyLocation& location) {
  if (location.type() != KeyType::x25519)
    return Status(Errc::wrong_key_type, "only X25519 keys decrypt");
  std::lock_guard guard(mutex_);
  SH_ASSIGN_OR_RETURN(const Key* key, find_key(did, location));
  return vault::jwe_decrypt_with_secret(key->private_key, data, content, cek.kind, cek.agreement);
}

Result<std::optional<ChainState>> MemStore::chain_state_get(const Did& did) {
  std::lock_guard guard(mutex_);
  const auto found = identities_.find(did);
  return found == identities_.end() ? std::nullopt : found->second.chain_state;
}

Status MemStore::chain_state_set(const Did& did, const ChainState& state) {
  std::lock_guard guard(mutex_);
  SH_ASSIGN_OR_RETURN(Identity * identity, find(did));
  SH_RETURN_IF_ERROR(vault::check_identity_value(did, vault::IdentityValue::chain_state, state.json));
  identity->chain_state = state;
  return {};
}

Result<std::optional<Document>> MemStore::document_get(const Did& did) {
  std::lock_guard guard(mutex_);
  const auto found = identities_.find(did);
  return found == identities_.end() ? std::nullopt : found->second.document;
}

Status MemStore::document_set(const Did& did, const Document& document) {
  std::lock_guard guard(mutex_);
  SH_ASSIGN_OR_RETURN(Identity * identity, find(did));
  SH_RETURN_IF_ERROR(vault::check_identity_value(did, vault::IdentityValue::document, document.json));
  identity->document = document;
  return {};
}

Status MemStore::flush_changes() { return {}; }

}  // namespace stronghold::identity
