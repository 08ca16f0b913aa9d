// The identity Storage interface (IOTA Identity 0.6 `Storage`, in C++): a KMS for identity
// accounts. Once a private key is inside, it never comes back out; every use goes through the
// storage. Two implementations: MemStore (insecure, in memory, for tests and as a readable
// example) and StrongholdStorage (the engine's actors, persisted in a snapshot).
//
// Errors (Status codes): malformed DID, network, fragment or key location: invalid_argument;
// identity already exists: already_exists; DID not held: did_not_found; key not found:
// not_found; invalid private or public key: invalid_key; wrong key type for the operation:
// wrong_key_type; decryption failure: authentication_failed; a chain state or document that is
// not JSON of the shape IOTA Identity 0.6 reads (vault/identity_json.hpp): invalid_argument.
//
// Keys on a DID that was never created (or was purged): key_generate, key_insert, key_public,
// key_sign, data_decrypt, chain_state_set and document_set are did_not_found; key_exists and
// key_delete are false; chain_state_get and document_get are none. One behaviour for both
// implementations, checked by the conformance suite's eleventh check.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "stronghold/vault/identity.hpp"

namespace stronghold::identity {

using vault::AgreementInfo;
using vault::ContentEncryption;
using vault::CreatedDid;
using vault::Did;
using vault::EncryptedData;
using vault::KeyLocation;
using vault::KeyManagement;
using KeyType = vault::IdentityKeyType;
using Signature = Bytes;  // Ed25519, 64 bytes

inline constexpr std::string_view kMainNetwork = vault::kMainNetwork;

// The key-management algorithm with its Concat KDF agreement info.
struct CekAlgorithm {
  KeyManagement kind = KeyManagement::ecdh_es;
  AgreementInfo agreement;
};

// JSON text the storage keeps as it is given, once vault::check_identity_value accepted it (a DID
// has been checked first: a value for a DID not held is did_not_found whatever it is).
struct ChainState {
  std::string json;
  bool operator==(const ChainState&) const = default;
};
struct Document {
  std::string json;
  bool operator==(const Document&) const = default;
};

class Storage {
 public:
  virtual ~Storage() = default;

  // Stores `private_key` (a 32-byte Ed25519 private key), or a new key when it is empty, at
  // KeyLocation(Ed25519, fragment, its public key); derives the DID from the public key on
  // `network` and adds it to the index. already_exists when that DID is there. Writes no chain
  // state or document.
  virtual Result<CreatedDid> did_create(std::string_view network, std::string_view fragment, ByteView private_key) = 0;
  virtual Result<std::vector<Did>> did_list() = 0;
  virtual Result<bool> did_exists(const Did& did) = 0;
  // Wipes the DID's keys, chain state, document and index entry; false when it was not there.
  virtual Result<bool> did_purge(const Did& did) = 0;

  // A new key at KeyLocation(type, fragment, its public key).
  virtual Result<KeyLocation> key_generate(const Did& did, KeyType type, std::string_view fragment) = 0;
  // Stores a 32-byte private key at `location` (whose key hash must name its public key),
  // replacing what is there.
  virtual Status key_insert(const Did& did, const KeyLocation& location, ByteView private_key) = 0;
  virtual Result<Bytes> key_public(const Did& did, const KeyLocation& location) = 0;
  // false when there was no such key.
  virtual Result<bool> key_delete(const Did& did, const KeyLocation& location) = 0;
  // Ed25519 (RFC 8032, deterministic); an X25519 key is wrong_key_type.
  virtual Result<Signature> key_sign(const Did& did, const KeyLocation& location, ByteView data) = 0;
  virtual Result<bool> key_exists(const Did& did, const KeyLocation& location) = 0;

  // To `recipient_public_key` (X25519) with a fresh ephemeral key: uses no stored key.
  virtual Result<EncryptedData> data_encrypt(const Did& did, ByteView plaintext, ByteView associated_data,
                                             ContentEncryption content, const CekAlgorithm& cek,
                                             ByteView recipient_public_key);
  // With the X25519 key at `location`.
  virtual Result<Bytes> data_decrypt(const Did& did, const EncryptedData& data, ContentEncryption content,
                                     const CekAlgorithm& cek, const KeyLocation& location) = 0;

  virtual Result<std::optional<ChainState>> chain_state_get(const Did& did) = 0;
  virtual Status chain_state_set(const Did& did, const ChainState& state) = 0;
  virtual Result<std::optional<Document>> document_get(const Did& did) = 0;
  virtual Status document_set(const Did& did, const Document& document) = 0;

  // Makes every change so far durable (they already are with synced durability).
  virtual Status flush_changes() = 0;
};

}  // namespace stronghold::identity
