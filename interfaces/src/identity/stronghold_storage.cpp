#include "stronghold/identity/stronghold_storage.hpp"

namespace stronghold::identity {

using actors::Secret;

namespace {

// A private key for a request: sealed, or empty for "generate one".
Result<Secret> optional_secret(ByteView private_key) {
  if (private_key.empty())
    return Secret{};
  return Secret::seal(private_key);
}

}  // namespace

StrongholdStorage::StrongholdStorage(std::shared_ptr<Engine> engine) noexcept : engine_(std::move(engine)) {}

Result<std::unique_ptr<StrongholdStorage>> StrongholdStorage::create(const std::string& path, ByteView password,
                                                                     const stronghold::EngineOptions& options) {
  SH_ASSIGN_OR_RETURN(std::unique_ptr<Engine> engine, Engine::create(path, password, options));
  return std::make_unique<StrongholdStorage>(std::move(engine));
}

Result<std::unique_ptr<StrongholdStorage>> StrongholdStorage::open(const std::string& path, ByteView password,
                                                                   const stronghold::EngineOptions& options) {
  SH_ASSIGN_OR_RETURN(std::unique_ptr<Engine> engine, Engine::open(path, password, options));
  return std::make_unique<StrongholdStorage>(std::move(engine));
}

Result<CreatedDid> StrongholdStorage::did_create(std::string_view network, std::string_view fragment,
                                                 ByteView private_key) {
  SH_ASSIGN_OR_RETURN(Secret key, optional_secret(private_key));
  SH_ASSIGN_OR_RETURN(actors::DidCreated created,
                      engine_->call(actors::DidCreate{std::string(network), std::string(fragment), std::move(key)}));
  return CreatedDid{std::move(created.did), std::move(created.location)};
}

Result<std::vector<Did>> StrongholdStorage::did_list() { return engine_->call(actors::DidList{}); }

Result<bool> StrongholdStorage::did_exists(const Did& did) { return engine_->call(actors::DidExists{did}); }

Result<bool> StrongholdStorage::did_purge(const Did& did) { return engine_->call(actors::DidPurge{did}); }

Result<KeyLocation> StrongholdStorage::key_generate(const Did& did, KeyType type, std::string_view fragment) {
  return engine_->call(actors::DidKeyGenerate{did, type, std::string(fragment)});
}

Status StrongholdStorage::key_insert(const Did& did, const KeyLocation& location, ByteView private_key) {
  SH_ASSIGN_OR_RETURN(Secret key, Secret::seal(private_key));
  return engine_->call(actors::DidKeyInsert{did, location, std::move(key)}).status();
}

Result<Bytes> StrongholdStorage::key_public(const Did& did, const KeyLocation& location) {
  return engine_->call(actors::DidKeyPublic{did, location});
}

Result<bool> StrongholdStorage::key_delete(const Did& did, const KeyLocation& location) {
  return engine_->call(actors::DidKeyDelete{did, location});
}

// A key the vault does not find may be missing because its DID is: say which.
Status StrongholdStorage::explain_not_found(Status status, const Did& did) {
  if (const auto exists = did_exists(did); status.code() == Errc::not_found && exists.ok() && !*exists)
    return error(Errc::did_not_found, "the storage holds no DID {}", did.to_string());
  return status;
}

Result<Signature> StrongholdStorage::key_sign(const Did& did, const KeyLocation& location, ByteView data) {
  if (location.type() != KeyType::ed25519)
    return Status(Errc::wrong_key_type, "only Ed25519 keys sign");
  auto signature = engine_->sign(vault::identity_record(did, location), data);
  if (!signature.ok())
    return explain_not_found(signature.status(), did);
  return signature;
}

void StrongholdStorage::key_sign_async(const Did& did, const KeyLocation& location, Bytes data,
                                       Engine::SignCallback done) {
  if (location.type() != KeyType::ed25519) {
    done(Status(Errc::wrong_key_type, "only Ed25519 keys sign"));
    return;
  }
  engine_->sign_async(vault::identity_record(did, location), std::move(data), std::move(done));
}

Result<bool> StrongholdStorage::key_exists(const Did& did, const KeyLocation& location) {
  return engine_->call(actors::DidKeyExists{did, location});
}

Result<Bytes> StrongholdStorage::data_decrypt(const Did& did, const EncryptedData& data, ContentEncryption content,
                                              const CekAlgorithm& cek, const KeyLocation& location) {
  SH_ASSIGN_OR_RETURN(const Secret plaintext,
                      engine_->call(actors::DidDecrypt{did, location, data, content, cek.kind, cek.agreement}));
  if (plaintext.empty())
    return Status(Errc::internal, "the engine answered with no plaintext");
  Bytes opened(plaintext.size());
  SH_RETURN_IF_ERROR(plaintext.shielded->open(opened));
  return opened;
}

Result<std::optional<std::string>> StrongholdStorage::value_get(const Did& did, vault::IdentityValue which) {
  SH_ASSIGN_OR_RETURN(actors::IdentityJson value, engine_->call(actors::DidValueGet{did, which}));
  return value.present ? std::optional<std::string>(std::move(value.json)) : std::nullopt;
}

Status StrongholdStorage::value_set(const Did& did, vault::IdentityValue which, const std::string& json) {
  return engine_->call(actors::DidValueSet{did, which, json}).status();
}

Result<std::optional<ChainState>> StrongholdStorage::chain_state_get(const Did& did) {
  SH_ASSIGN_OR_RETURN(auto json, value_get(did, vault::IdentityValue::chain_state));
  return json ? std::optional<ChainState>(ChainState{std::move(*json)}) : std::nullopt;
}

Status StrongholdStorage::chain_state_set(const Did& did, const ChainState& state) {
  return value_set(did, vault::IdentityValue::chain_state, state.json);
}

Result<std::optional<Document>> StrongholdStorage::document_get(const Did& did) {
  SH_ASSIGN_OR_RETURN(auto json, value_get(did, vault::IdentityValue::document));
  return json ? std::optional<Document>(Document{std::move(*json)}) : std::nullopt;
}

Status StrongholdStorage::document_set(const Did& did, const Document& document) {
  return value_set(did, vault::IdentityValue::document, document.json);
}

Status StrongholdStorage::flush_changes() { return engine_->sync(); }

}  // namespace stronghold::identity
