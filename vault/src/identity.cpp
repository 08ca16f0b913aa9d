#include "stronghold/vault/identity.hpp"

#include <sodium.h>

#include "stronghold/runtime/random.hpp"
#include "stronghold/runtime/scratch.hpp"

namespace stronghold::vault {

// The identity layer's door to the secret-store names reserved for it (kReservedSecretPrefix),
// and to key writes that follow the identity storage's contract rather than the transaction's.
struct IdentityEntries {
  static Status put(Transaction& tx, std::string_view name, ByteView value, Overwrite overwrite) {
    return tx.put_entry(name, value, overwrite);
  }
  static Status remove(Transaction& tx, std::string_view name) { return tx.delete_entry(name); }
  // key_insert overwrites; the location names the key's public key, so what it replaces can only
  // be the same key.
  static Status insert_key(Transaction& tx, const Location& location, KeyType type, ByteView secret,
                           ByteView public_key) {
    SH_RETURN_IF_ERROR(location.check());
    return tx.put_at(location, type, secret, public_key, {}, Overwrite::replace);
  }
};

namespace {

constexpr std::string_view kIndexPrefix = "identity/index/";
constexpr std::size_t kSecretKeySize = 32;

std::string entry(std::string_view prefix, const Did& did) { return std::string(prefix) + did.to_string(); }

// A value longer than a record holds is kept in parts of kMaxSecretSize bytes: part 0 at the
// value's own entry (where a value of one record always was), part i at "<entry>/<i>".
constexpr std::size_t kMaxValueParts = (kMaxIdentityValueSize + kMaxSecretSize - 1) / kMaxSecretSize;

std::string part_entry(const Did& did, IdentityValue which, std::size_t part) {
  std::string name = entry(which == IdentityValue::chain_state ? "identity/chain-state/" : "identity/document/", did);
  return part == 0 ? name : name + "/" + std::to_string(part);
}

// How many parts the stored value has: 0 when it has none.
std::size_t stored_parts(const Keystore& keystore, const Did& did, IdentityValue which) {
  std::size_t parts = 0;
  while (parts < kMaxValueParts && keystore.has_secret(part_entry(did, which, parts)))
    ++parts;
  return parts;
}

Status remove_parts(Transaction& tx, const Did& did, IdentityValue which, std::size_t from) {
  for (std::size_t part = from, end = stored_parts(tx.keystore(), did, which); part < end; ++part)
    SH_RETURN_IF_ERROR(IdentityEntries::remove(tx, part_entry(did, which, part)));
  return {};
}

Status require_did(const Keystore& keystore, const Did& did) {
  if (!did_exists(keystore, did))
    return error(Errc::did_not_found, "the storage holds no DID {}", did.to_string());
  return {};
}

// Stores a private key at the location named by its public key under `fragment`.
Result<KeyLocation> put_identity_key(Transaction& tx, const Did& did, IdentityKeyType type, std::string_view fragment,
                                     ByteView secret) {
  SH_ASSIGN_OR_RETURN(const Bytes public_key, identity_key_public(type, secret));
  SH_ASSIGN_OR_RETURN(KeyLocation location, KeyLocation::make(type, fragment, public_key));
  SH_RETURN_IF_ERROR(tx.put(identity_record(did, location), record_type(type), secret, public_key));
  return location;
}

// The usable record of `location` whose type matches the location's.
Status require_key(const Keystore& keystore, const Did& did, const KeyLocation& location) {
  SH_RETURN_IF_ERROR(require_did(keystore, did));
  SH_ASSIGN_OR_RETURN(const RecordInfo info, keystore.info(identity_record(did, location)));
  if (info.revoked || info.type != record_type(location.type()))
    return error(Errc::not_found, "DID {} holds no {} key at {}", did.to_string(),
                 identity_key_type_name(location.type()), location.canonical());
  return {};
}

// The writes of key_insert and of chain state and document setters, on a DID the caller vouches
// for (one the index holds, or one the same transaction adds).
Status stage_key(Transaction& tx, const Did& did, const KeyLocation& location, ByteView private_key) {
  SH_ASSIGN_OR_RETURN(const Bytes public_key, identity_key_public(location.type(), private_key));
  if (!location.names(public_key))
    return error(Errc::invalid_key, "the key hash of {} does not name this private key's public key",
                 location.canonical());
  return IdentityEntries::insert_key(tx, identity_record(did, location), record_type(location.type()), private_key,
                                     public_key);
}

Status stage_value(Transaction& tx, const Did& did, IdentityValue which, std::string_view json) {
  SH_RETURN_IF_ERROR(check_identity_value(did, which, json));
  const std::size_t parts = (json.size() + kMaxSecretSize - 1) / kMaxSecretSize;  // a JSON value is never empty
  for (std::size_t part = 0; part < parts; ++part)
    SH_RETURN_IF_ERROR(IdentityEntries::put(tx, part_entry(did, which, part),
                                            as_bytes(json.substr(part * kMaxSecretSize, kMaxSecretSize)),
                                            Overwrite::replace));
  return remove_parts(tx, did, which, parts);
}

}  // namespace

Result<Bytes> identity_key_public(IdentityKeyType type, ByteView secret) {
  if (secret.size() != kSecretKeySize)
    return Status(Errc::invalid_key, "an Ed25519 or X25519 private key is 32 bytes");
  Bytes public_key(32);
  if (type == IdentityKeyType::x25519) {
    crypto_scalarmult_base(public_key.data(), secret.data());
    return public_key;
  }
  runtime::ScratchFrame frame;
  SH_ASSIGN_OR_RETURN(auto expanded, frame.take(crypto_sign_SECRETKEYBYTES));
  crypto_sign_seed_keypair(public_key.data(), expanded.data(), secret.data());
  return public_key;
}

Location identity_record(const Did& did, const KeyLocation& key) { return Location{did.to_string(), key.canonical()}; }

Result<CreatedDid> create_did(Transaction& tx, std::string_view network, std::string_view fragment,
                              ByteView private_key) {
  SH_RETURN_IF_ERROR(check_network(network));
  runtime::ScratchFrame frame;
  SH_ASSIGN_OR_RETURN(auto secret, frame.take(kSecretKeySize));
  if (private_key.empty())
    runtime::random_bytes(secret);
  else if (private_key.size() == kSecretKeySize)
    std::copy(private_key.begin(), private_key.end(), secret.begin());
  else
    return Status(Errc::invalid_key, "an Ed25519 private key is 32 bytes");
  SH_ASSIGN_OR_RETURN(const Bytes public_key, identity_key_public(IdentityKeyType::ed25519, secret));
  SH_ASSIGN_OR_RETURN(Did did, Did::from_public_key(network, public_key));
  if (did_exists(tx.keystore(), did))
    return error(Errc::already_exists, "the identity {} already exists", did.to_string());
  SH_ASSIGN_OR_RETURN(KeyLocation location, put_identity_key(tx, did, IdentityKeyType::ed25519, fragment, secret));
  SH_RETURN_IF_ERROR(IdentityEntries::put(tx, entry(kIndexPrefix, did), {}, Overwrite::refuse));
  return CreatedDid{std::move(did), std::move(location)};
}

bool did_exists(const Keystore& keystore, const Did& did) { return keystore.has_secret(entry(kIndexPrefix, did)); }

std::vector<Did> list_dids(const Keystore& keystore) {
  std::vector<Did> dids;
  for (const std::string& name : keystore.secret_names())
    if (name.starts_with(kIndexPrefix))
      if (auto did = Did::parse(std::string_view(name).substr(kIndexPrefix.size())); did.ok())
        dids.push_back(std::move(*did));
  return dids;
}

Result<bool> purge_did(Transaction& tx, const Did& did) {
  const Keystore& keystore = tx.keystore();
  if (!did_exists(keystore, did))
    return false;
  if (keystore.has_vault(did.to_string()))
    SH_RETURN_IF_ERROR(tx.remove_vault(did.to_string()));
  for (const IdentityValue which : {IdentityValue::chain_state, IdentityValue::document})
    SH_RETURN_IF_ERROR(remove_parts(tx, did, which, 0));
  SH_RETURN_IF_ERROR(IdentityEntries::remove(tx, entry(kIndexPrefix, did)));
  return true;
}

Result<KeyLocation> generate_identity_key(Transaction& tx, const Did& did, IdentityKeyType type,
                                          std::string_view fragment) {
  SH_RETURN_IF_ERROR(require_did(tx.keystore(), did));
  // The key is made in scratch and stored once, at the place its public key names: no error
  // path leaves a key behind.
  runtime::ScratchFrame frame;
  SH_ASSIGN_OR_RETURN(auto secret, frame.take(kSecretKeySize));
  runtime::random_bytes(secret);
  return put_identity_key(tx, did, type, fragment, secret);
}

Status insert_identity_key(Transaction& tx, const Did& did, const KeyLocation& location, ByteView private_key) {
  SH_RETURN_IF_ERROR(require_did(tx.keystore(), did));
  return stage_key(tx, did, location, private_key);
}

Result<Bytes> identity_public_key(const Keystore& keystore, const Did& did, const KeyLocation& location) {
  SH_RETURN_IF_ERROR(require_key(keystore, did, location));
  return keystore.public_key(identity_record(did, location));
}

bool identity_key_exists(const Keystore& keystore, const Did& did, const KeyLocation& location) {
  return require_key(keystore, did, location).ok();
}

Result<bool> delete_identity_key(Transaction& tx, const Did& did, const KeyLocation& location) {
  if (!identity_key_exists(tx.keystore(), did, location))
    return false;
  SH_RETURN_IF_ERROR(tx.revoke(identity_record(did, location)));
  return true;
}

Result<Location> identity_signing_record(const Keystore& keystore, const Did& did, const KeyLocation& location) {
  if (location.type() != IdentityKeyType::ed25519)
    return Status(Errc::wrong_key_type, "only Ed25519 keys sign");
  SH_RETURN_IF_ERROR(require_key(keystore, did, location));
  return identity_record(did, location);
}

Result<std::optional<std::string>> identity_value(const Keystore& keystore, const Did& did, IdentityValue which) {
  const std::size_t parts = stored_parts(keystore, did, which);
  if (parts == 0)
    return std::optional<std::string>();
  std::string json;
  for (std::size_t part = 0; part < parts; ++part) {
    SH_ASSIGN_OR_RETURN(const runtime::SecretBuffer value, keystore.read_secret(part_entry(did, which, part)));
    const auto view = value.read();
    json.append(view.bytes().begin(), view.bytes().end());
  }
  return std::optional<std::string>(std::move(json));
}

Status set_identity_value(Transaction& tx, const Did& did, IdentityValue which, std::string_view json) {
  SH_RETURN_IF_ERROR(require_did(tx.keystore(), did));
  return stage_value(tx, did, which, json);
}

Status import_identity(Transaction& tx, const ImportedIdentity& identity) {
  SH_RETURN_IF_ERROR(IdentityEntries::put(tx, entry(kIndexPrefix, identity.did), {}, tx.overwrite()));
  for (const auto& [location, private_key] : identity.keys)
    SH_RETURN_IF_ERROR(stage_key(tx, identity.did, location, private_key));
  if (identity.chain_state)
    SH_RETURN_IF_ERROR(stage_value(tx, identity.did, IdentityValue::chain_state, *identity.chain_state));
  if (identity.document)
    SH_RETURN_IF_ERROR(stage_value(tx, identity.did, IdentityValue::document, *identity.document));
  return {};
}

Result<Bytes> identity_decrypt(const Keystore& keystore, const Did& did, const KeyLocation& location,
                               const EncryptedData& data, ContentEncryption content, KeyManagement management,
                               const AgreementInfo& agreement) {
  if (location.type() != IdentityKeyType::x25519)
    return Status(Errc::wrong_key_type, "only X25519 keys decrypt");
  SH_RETURN_IF_ERROR(require_key(keystore, did, location));
  return jwe_decrypt(keystore, identity_record(did, location), data, content, management, agreement);
}

}  // namespace stronghold::vault
