#include "stronghold/identity/stronghold_storage.hpp"

#include "stronghold/actors/system_config.hpp"
#include "stronghold/runtime/shield.hpp"

namespace stronghold::identity {
namespace {

using actors::SharedShielded;
using actors::shield;
using actors::to_status;
using namespace actors;  // the atoms

// One request through the engine's supervisor; `on_reply` takes the reply's values.
template <class OnReply, class... Args>
Status ask(Engine& engine, OnReply on_reply, Args&&... args) {
  if (!engine.handle())
    return Status(Errc::unavailable, "the engine is closed");
  actors::ReleaseThreadLogger release;
  caf::scoped_actor self{engine.actor_system()};
  Status status;
  self->request(engine.handle(), engine.timeout(), std::forward<Args>(args)...)
      .receive(on_reply, [&](caf::error& failure) { status = to_status(failure); });
  return status;
}

template <class T, class... Args>
Result<T> ask_for(Engine& engine, Args&&... args) {
  std::optional<T> value;
  SH_RETURN_IF_ERROR(ask(
      engine, [&](T& reply) { value.emplace(std::move(reply)); }, std::forward<Args>(args)...));
  return std::move(*value);
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
  SharedShielded key;
  if (!private_key.empty()) {
    SH_ASSIGN_OR_RETURN(key, shield(private_key));
  }
  std::optional<CreatedDid> created;
  SH_RETURN_IF_ERROR(ask(
      *engine_,
      [&](Did& did, KeyLocation& location) {
        created.emplace(CreatedDid{std::move(did), std::move(location)});
      },
      did_create_atom::value, std::string(network), std::string(fragment), std::move(key)));
  return std::move(*created);
}

Result<std::vector<Did>> StrongholdStorage::did_list() {
  return ask_for<std::vector<Did>>(*engine_, did_list_atom::value);
}

Result<bool> StrongholdStorage::did_exists(const Did& did) {
  return ask_for<bool>(*engine_, did_exists_atom::value, did);
}

Result<bool> StrongholdStorage::did_purge(const Did& did) {
  return ask_for<bool>(*engine_, did_purge_atom::value, did);
}

Result<KeyLocation> StrongholdStorage::key_generate(const Did& did, KeyType type, std::string_view fragment) {
  return ask_for<KeyLocation>(*engine_, key_generate_atom::value, did, type, std::string(fragment));
}

Status StrongholdStorage::key_insert(const Did& did, const KeyLocation& location, ByteView private_key) {
  SH_ASSIGN_OR_RETURN(SharedShielded key, shield(private_key));
  return ask_for<caf::ok_atom>(*engine_, key_insert_atom::value, did, location, std::move(key)).status();
}

Result<Bytes> StrongholdStorage::key_public(const Did& did, const KeyLocation& location) {
  return ask_for<Bytes>(*engine_, key_public_atom::value, did, location);
}

Result<bool> StrongholdStorage::key_delete(const Did& did, const KeyLocation& location) {
  return ask_for<bool>(*engine_, key_delete_atom::value, did, location);
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
  return ask_for<bool>(*engine_, key_exists_atom::value, did, location);
}

Result<Bytes> StrongholdStorage::data_decrypt(const Did& did, const EncryptedData& data, ContentEncryption content,
                                              const CekAlgorithm& cek, const KeyLocation& location) {
  SH_ASSIGN_OR_RETURN(
      const SharedShielded shielded,
      ask_for<SharedShielded>(*engine_, decrypt_atom::value, did, location, data, content, cek.kind, cek.agreement));
  Bytes plaintext(shielded->size());
  SH_RETURN_IF_ERROR(shielded->open(plaintext));
  return plaintext;
}

Result<std::optional<std::string>> StrongholdStorage::value_get(const Did& did, vault::IdentityValue which) {
  std::optional<std::string> value;
  SH_RETURN_IF_ERROR(ask(
      *engine_,
      [&](bool present, std::string& json) {
        if (present)
          value.emplace(std::move(json));
      },
      value_get_atom::value, did, which));
  return value;
}

Status StrongholdStorage::value_set(const Did& did, vault::IdentityValue which, const std::string& json) {
  return ask_for<caf::ok_atom>(*engine_, value_set_atom::value, did, which, json).status();
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
