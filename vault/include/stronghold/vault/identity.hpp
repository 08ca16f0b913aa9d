// The identity storage's procedures on a keystore: DIDs, their keys, chain states and documents.
//
// Layout: a DID's keys live in a vault named after the DID ("did:iota:..."; vault names starting
// with "did:" are reserved for this), each at the record "<fragment>:<key hash>". The DID index,
// chain states and documents are entries of the secret store ("identity/index/<did>",
// "identity/chain-state/<did>", "identity/document/<did>"; a value longer than a record holds
// continues at "<entry>/1" to "<entry>/7"), so creating or purging a DID is one transaction: the
// index never disagrees with the keys.
//
// Keys on a DID that was never created (or was purged): generating, inserting, signing with,
// reading or setting anything is did_not_found; key_exists is false, key_delete is false and
// reading a chain state or document gives none.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "stronghold/vault/did.hpp"
#include "stronghold/vault/identity_json.hpp"
#include "stronghold/vault/jwe.hpp"
#include "stronghold/vault/keystore.hpp"

namespace stronghold::vault {

Location identity_record(const Did& did, const KeyLocation& key);
// The public key of a 32-byte Ed25519 or X25519 private key.
Result<Bytes> identity_key_public(IdentityKeyType type, ByteView private_key);

struct CreatedDid {
  Did did;
  KeyLocation location;
};

// Stores `private_key` (32 bytes, Ed25519 seed), or a new key when it is empty, derives the DID
// from its public key and adds it to the index. already_exists when that DID is there.
Result<CreatedDid> create_did(Transaction& tx, std::string_view network, std::string_view fragment,
                              ByteView private_key);
bool did_exists(const Keystore& keystore, const Did& did);
std::vector<Did> list_dids(const Keystore& keystore);
// Removes the DID's keys, chain state, document and index entry; false when it was not there.
Result<bool> purge_did(Transaction& tx, const Did& did);

Result<KeyLocation> generate_identity_key(Transaction& tx, const Did& did, IdentityKeyType type,
                                          std::string_view fragment);
// Stores `private_key` (32 bytes) at `location`, replacing what is there. invalid_key when the
// location's key hash does not name this key's public key.
Status insert_identity_key(Transaction& tx, const Did& did, const KeyLocation& location, ByteView private_key);
Result<Bytes> identity_public_key(const Keystore& keystore, const Did& did, const KeyLocation& location);
bool identity_key_exists(const Keystore& keystore, const Did& did, const KeyLocation& location);
// false when there was no such key.
Result<bool> delete_identity_key(Transaction& tx, const Did& did, const KeyLocation& location);
// The record to sign with, after checking the DID and the key type (Ed25519 only).
Result<Location> identity_signing_record(const Keystore& keystore, const Did& did, const KeyLocation& location);

// JSON text, none when never set. Setting refuses what check_identity_value refuses.
Result<std::optional<std::string>> identity_value(const Keystore& keystore, const Did& did, IdentityValue which);
Status set_identity_value(Transaction& tx, const Did& did, IdentityValue which, std::string_view json);

// A DID as another identity storage held it. Each key must be the one its location names
// (invalid_key otherwise); the values are JSON text.
struct ImportedIdentity {
  Did did;
  std::vector<std::pair<KeyLocation, ByteView>> keys;  // location, 32-byte private key
  std::optional<std::string> chain_state;
  std::optional<std::string> document;
};
// Stages the DID's index entry, keys and values in one go. A DID already here is an error
// unless `tx` replaces (Overwrite::replace): then each imported key and value takes the place
// of its namesake, and the DID's other keys stay.
Status import_identity(Transaction& tx, const ImportedIdentity& identity);

Result<Bytes> identity_decrypt(const Keystore& keystore, const Did& did, const KeyLocation& location,
                               const EncryptedData& data, ContentEncryption content, KeyManagement management,
                               const AgreementInfo& agreement);

}  // namespace stronghold::vault
