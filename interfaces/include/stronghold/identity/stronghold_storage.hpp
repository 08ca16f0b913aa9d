// StrongholdStorage: the identity Storage on an engine. Each request goes through the engine's
// supervisor to the identity registry and the partition actor of its DID (different DIDs run in
// parallel, the work on one DID is ordered); every change is one procedure in the vault actor,
// journaled before the call returns, so the DID index, keys, chain states and documents survive
// a crash together and come back on reopen.
//
// key_sign is the exception, for speed: like Engine::sign it runs on the caller's thread with
// the key's shielded material, trusted while the key's location is unchanged. key_sign_async
// keeps many signatures in flight (requests for one key go out as batches).
#pragma once

#include <memory>

#include "stronghold/engine.hpp"
#include "stronghold/identity/storage.hpp"

namespace stronghold::identity {

class StrongholdStorage final : public Storage {
 public:
  static Result<std::unique_ptr<StrongholdStorage>> create(const std::string& path, ByteView password,
                                                           const EngineOptions& options = {});
  static Result<std::unique_ptr<StrongholdStorage>> open(const std::string& path, ByteView password,
                                                         const EngineOptions& options = {});
  // Shares an open engine (its snapshot may hold other vaults too; vault names starting with
  // "did:" belong to the identity storage).
  explicit StrongholdStorage(std::shared_ptr<Engine> engine) noexcept;

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

  // The callback runs on an engine thread: keep it short.
  void key_sign_async(const Did& did, const KeyLocation& location, Bytes data, Engine::SignCallback done);

  Engine& engine() noexcept { return *engine_; }

 private:
  Result<std::optional<std::string>> value_get(const Did& did, vault::IdentityValue which);
  Status value_set(const Did& did, vault::IdentityValue which, const std::string& json);
  Status explain_not_found(Status status, const Did& did);

  std::shared_ptr<Engine> engine_;
};

}  // namespace stronghold::identity
