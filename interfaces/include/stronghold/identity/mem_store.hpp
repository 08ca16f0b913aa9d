// MemStore: the identity Storage in ordinary memory. INSECURE: private keys sit in plain heap
// memory, nothing is persisted, nothing is wiped on swap or core dump. For tests, and as a
// readable example of the Storage contract; use StrongholdStorage for anything real.
#pragma once

#include <map>
#include <mutex>

#include "stronghold/identity/storage.hpp"

namespace stronghold::identity {

class MemStore final : public Storage {
 public:
  Result<CreatedDid> did_create(std::string_view network, std::string_view fragment, ByteView private_key) override;
  Result<std::vector<Did>> did_list() override;
  Result<bool> did_exists(const Did& did) override;
  Result<bool> did_purge(const Did& did) override;
  Result<KeyLocation> key_generate(const Did& did, KeyType type, std::string_view fragment) override;
  Status key_insert(const Did& did, const KeyLocation& location, ByteView private_key) override;
  Result<Bytes> key_public(const Did& did, const KeyLocation& location) override;
  Result<bool> key_delete(const Did& did, const KeyLocation& location) override;
  Result<Signature> key_sign(const Did& did, const KeyLocation& location, ByteView data) override;
  Result<bool> key_exists(const Did& did, const KeyLocation& location) override;
  Result<Bytes> data_decrypt(const Did& did, const EncryptedData& data, ContentEncryption content,
                             const CekAlgorithm& cek, const KeyLocation& location) override;
  Result<std::optional<ChainState>> chain_state_get(const Did& did) override;
  Status chain_state_set(const Did& did, const ChainState& state) override;
  Result<std::optional<Document>> document_get(const Did& did) override;
  Status document_set(const Did& did, const Document& document) override;
  Status flush_changes() override;

 private:
  struct Key {
    KeyType type;
    Bytes private_key;
    Bytes public_key;
  };
  struct Identity {
    std::map<KeyLocation, Key> keys;  // ordered by fragment and key hash, as KeyLocation compares
    std::optional<ChainState> chain_state;
    std::optional<Document> document;
  };
  Result<Identity*> find(const Did& did);
  Result<const Key*> find_key(const Did& did, const KeyLocation& location);

  std::mutex mutex_;
  std::map<Did, Identity> identities_;
};

}  // namespace stronghold::identity
