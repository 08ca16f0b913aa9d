#include "stronghold/identity/conformance.hpp"

#include <sodium.h>

#include <fmt/format.h>

#include "stronghold/runtime/base58.hpp"

namespace stronghold::identity {
namespace {

const Bytes kTest2Seed = from_hex("4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb").value();
const Bytes kTest2Public = from_hex("3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c").value();
const Bytes kTest2Signature =
    from_hex(
        "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00")
        .value();

// Thrown by a failed expectation, caught by the runner: ends the check with its message.
struct Failed {
  std::string what;
};

void expect(bool condition, std::string_view what) {
  if (!condition)
    throw Failed{std::string(what)};
}

template <class T>
T expect_ok(Result<T> result, std::string_view what) {
  if (!result.ok())
    throw Failed{fmt::format("{}: {}", what, result.status().to_string())};
  return std::move(result).value();
}

void expect_ok(const Status& status, std::string_view what) {
  if (!status.ok())
    throw Failed{fmt::format("{}: {}", what, status.to_string())};
}

template <class T>
void expect_code(const Result<T>& result, Errc code, std::string_view what) {
  if (result.code() != code)
    throw Failed{fmt::format("{}: expected {}, got {}", what, errc_name(code), result.status().to_string())};
}

void expect_code(const Status& status, Errc code, std::string_view what) {
  if (status.code() != code)
    throw Failed{fmt::format("{}: expected {}, got {}", what, errc_name(code), status.to_string())};
}

void create_with_private_key(const StorageFactory& fresh) {
  auto storage = fresh();
  const CreatedDid created = expect_ok(storage->did_create(kMainNetwork, "sign-0", kTest2Seed), "did_create");
  expect(created.did.to_string() == "did:iota:8TURG5VChANzPVSsrfwhqbHqNDPWHr6cFg2RuzyUoFke",
         "the DID of the RFC 8032 key");
  expect(created.location.canonical() == "sign-0:15534036041411610771", "the key location");
  expect(created.location.type() == KeyType::ed25519, "an Ed25519 location");
  expect(expect_ok(storage->key_exists(created.did, created.location), "key_exists"), "the key exists");
  expect_code(storage->did_create(kMainNetwork, "sign-0", kTest2Seed), Errc::already_exists, "creating it again");
  expect_code(storage->did_create(kMainNetwork, "other", kTest2Seed), Errc::already_exists, "again, other fragment");
  expect(expect_ok(storage->key_public(created.did, created.location), "key_public") == kTest2Public,
         "the public key round-trips");
}

void create_with_generated_key(const StorageFactory& fresh) {
  auto storage = fresh();
  const CreatedDid created = expect_ok(storage->did_create("dev", "key-1", {}), "did_create on dev");
  expect(created.did.network() == "dev", "the DID's network is dev");
  expect(expect_ok(storage->key_exists(created.did, created.location), "key_exists"), "the generated key exists");
  const Bytes public_key = expect_ok(storage->key_public(created.did, created.location), "key_public");
  expect(created.did == expect_ok(Did::from_public_key("dev", public_key), "derive"), "the DID derives from the key");
  expect(created.location.names(public_key), "the location names the key");
}

void generate_keys(const StorageFactory& fresh) {
  auto storage = fresh();
  const Did did = expect_ok(storage->did_create(kMainNetwork, "root", {}), "did_create").did;
  for (const KeyType type : {KeyType::ed25519, KeyType::x25519}) {
    const KeyLocation location = expect_ok(storage->key_generate(did, type, "gen"), "key_generate");
    expect(location.type() == type, "the location keeps the type");
    expect(expect_ok(storage->key_exists(did, location), "key_exists"), "the generated key exists");
    const Bytes public_key = expect_ok(storage->key_public(did, location), "key_public");
    expect(public_key.size() == 32 && location.names(public_key), "its public key is the one the location names");
  }
}

void delete_keys(const StorageFactory& fresh) {
  auto storage = fresh();
  const Did did = expect_ok(storage->did_create(kMainNetwork, "root", {}), "did_create").did;
  std::vector<KeyLocation> locations;
  locations.reserve(20);
  for (int i = 0; i < 20; ++i)
    locations.push_back(expect_ok(storage->key_generate(did, KeyType::ed25519, fmt::format("k{}", i)), "key_generate"));
  for (const auto& location : locations) {
    expect(expect_ok(storage->key_exists(did, location), "key_exists"), "a key exists before its delete");
    expect(expect_ok(storage->key_delete(did, location), "key_delete"), "the first delete is true");
    expect(!expect_ok(storage->key_delete(did, location), "key_delete again"), "the second delete is false");
    expect(!expect_ok(storage->key_exists(did, location), "key_exists"), "a deleted key does not exist");
  }
}

void list_dids(const StorageFactory& fresh) {
  auto storage = fresh();
  expect(expect_ok(storage->did_list(), "did_list").empty(), "a fresh storage lists no DID");
  for (std::size_t i = 0; i < 20; ++i) {
    const Did did = expect_ok(storage->did_create(kMainNetwork, "root", {}), "did_create").did;
    expect(expect_ok(storage->did_exists(did), "did_exists"), "the new DID exists");
    expect(expect_ok(storage->did_list(), "did_list").size() == i + 1, "the list grows by one");
  }
}

void insert_keys(const StorageFactory& fresh) {
  auto storage = fresh();
  const Did did = expect_ok(storage->did_create(kMainNetwork, "root", {}), "did_create").did;
  Bytes ed_public(crypto_sign_PUBLICKEYBYTES), ed_secret(crypto_sign_SECRETKEYBYTES), x_secret(32), x_public(32);
  crypto_sign_keypair(ed_public.data(), ed_secret.data());
  const Bytes ed_seed(ed_secret.begin(), ed_secret.begin() + 32);
  randombytes_buf(x_secret.data(), x_secret.size());
  crypto_scalarmult_base(x_public.data(), x_secret.data());
  const auto ed = expect_ok(KeyLocation::make(KeyType::ed25519, "ins-ed", ed_public), "location");
  const auto x = expect_ok(KeyLocation::make(KeyType::x25519, "ins-x", x_public), "location");
  expect_ok(storage->key_insert(did, ed, ed_seed), "key_insert Ed25519");
  expect_ok(storage->key_insert(did, x, x_secret), "key_insert X25519");
  expect(expect_ok(storage->key_exists(did, ed), "key_exists") && expect_ok(storage->key_exists(did, x), "key_exists"),
         "both exist");
  expect(expect_ok(storage->key_public(did, ed), "key_public") == ed_public, "the Ed25519 public key matches");
  expect(expect_ok(storage->key_public(did, x), "key_public") == x_public, "the X25519 public key matches");
  sodium_memzero(ed_secret.data(), ed_secret.size());
}

void sign(const StorageFactory& fresh) {
  auto storage = fresh();
  const CreatedDid created = expect_ok(storage->did_create(kMainNetwork, "sign-0", kTest2Seed), "did_create");
  const Signature signature = expect_ok(storage->key_sign(created.did, created.location, Bytes{0x72}), "key_sign");
  expect(signature == kTest2Signature, "RFC 8032 TEST 2's signature");
  const KeyLocation x = expect_ok(storage->key_generate(created.did, KeyType::x25519, "x"), "key_generate");
  expect_code(storage->key_sign(created.did, x, Bytes{0x72}), Errc::wrong_key_type, "signing with an X25519 key");
}

// A DID document as IOTA Identity 0.6 serialises an IotaDocument: the DID, its first key as an
// Ed25519VerificationKey2018 method with the public key in multibase (base58btc, prefix 'z'), and
// the metadata.
std::string iota_document(const Did& did, const KeyLocation& location, ByteView public_key) {
  return fmt::format(R"({{"doc":{{"id":"{0}","capabilityInvocation":[{{"id":"{0}#{1}","controller":"{0}",)"
                     R"("type":"Ed25519VerificationKey2018","publicKeyMultibase":"z{2}"}}]}},)"
                     R"("meta":{{"created":"2022-06-13T08:44:03Z","updated":"2022-06-13T08:44:03Z"}}}})",
                     did.to_string(), location.fragment(), to_base58(public_key));
}

// A chain state as Identity 0.6 serialises one: two 32-byte message ids in hex.
const ChainState kChainState{
    R"({"last_integration_message_id":"a1cd3c9c4dfa7bf4a0f26c0a5e2bb7b32b7a3f8b1dd2f5f08b33e5f5d9be4f70",)"
    R"("last_diff_message_id":"5f1b7d0e0c0a8a5c3c5b1e2e5e3d9c1d8f6c4a2b0e9d7c5b3a1f0e2d4c6b8a09"})"};

void key_values(const StorageFactory& fresh) {
  auto storage = fresh();
  const CreatedDid created = expect_ok(storage->did_create(kMainNetwork, "sign-0", {}), "did_create");
  const Did& did = created.did;
  expect(!expect_ok(storage->chain_state_get(did), "chain_state_get"), "no chain state at first");
  expect(!expect_ok(storage->document_get(did), "document_get"), "no document at first");
  const Document document{
      iota_document(did, created.location, expect_ok(storage->key_public(did, created.location), "key_public"))};
  expect_ok(storage->chain_state_set(did, kChainState), "chain_state_set");
  expect_ok(storage->document_set(did, document), "document_set");
  expect(expect_ok(storage->chain_state_get(did), "chain_state_get") == kChainState, "the chain state round-trips");
  expect(expect_ok(storage->document_get(did), "document_get") == document, "the document round-trips");

  const Did other = expect_ok(Did::from_public_key(kMainNetwork, kTest2Public), "DID");
  const std::pair<const char*, ChainState> bad_states[] = {
      {"a chain state that is not JSON", ChainState{R"({"last_diff_message_id":)"}},
      {"a chain state that is an array", ChainState{"[]"}},
      {"a message id of 63 hex digits", ChainState{R"({"last_diff_message_id":")" + std::string(63, 'a') + R"("})"}},
  };
  for (const auto& [what, state] : bad_states)
    expect_code(storage->chain_state_set(did, state), Errc::invalid_argument, what);
  const std::pair<const char*, Document> bad_documents[] = {
      {"a document that is not JSON", Document{"doc"}},
      {"a document whose doc is a string", Document{R"({"doc":")" + did.to_string() + R"(","meta":{}})"}},
      {"a document of another DID", Document{iota_document(other, created.location, kTest2Public)}},
  };
  for (const auto& [what, bad] : bad_documents)
    expect_code(storage->document_set(did, bad), Errc::invalid_argument, what);
  expect(expect_ok(storage->chain_state_get(did), "chain_state_get") == kChainState,
         "a refused chain state changes nothing");
  expect(expect_ok(storage->document_get(did), "document_get") == document, "a refused document changes nothing");
}

void purge(const StorageFactory& fresh) {
  auto storage = fresh();
  const CreatedDid created = expect_ok(storage->did_create(kMainNetwork, "root", {}), "did_create");
  expect(expect_ok(storage->did_list(), "did_list").size() == 1, "one DID listed");
  expect_ok(storage->chain_state_set(created.did, ChainState{"{}"}), "chain_state_set");
  expect(expect_ok(storage->did_purge(created.did), "did_purge"), "purge says true");
  expect(!expect_ok(storage->chain_state_get(created.did), "chain_state_get"), "no chain state after purge");
  expect(!expect_ok(storage->key_exists(created.did, created.location), "key_exists after purge"),
         "the key is gone (and asking is no error)");
  expect(expect_ok(storage->did_list(), "did_list").empty(), "the list is empty");
  expect(!expect_ok(storage->did_purge(created.did), "did_purge again"), "purging again says false");
}

void encrypt_between_storages(const StorageFactory& fresh) {
  auto alice = fresh();
  auto bob = fresh();
  const Did alice_did = expect_ok(alice->did_create(kMainNetwork, "root", {}), "did_create").did;
  const Did bob_did = expect_ok(bob->did_create(kMainNetwork, "root", {}), "did_create").did;
  const KeyLocation bob_key = expect_ok(bob->key_generate(bob_did, KeyType::x25519, "kex"), "key_generate");
  const Bytes bob_public = expect_ok(bob->key_public(bob_did, bob_key), "key_public");
  const Bytes plaintext = {'s', 'e', 'c', 'r', 'e', 't', ' ', 'm', 'e', 's', 's', 'a', 'g', 'e'};
  const Bytes associated = {'h', 'e', 'a', 'd', 'e', 'r'};
  for (const KeyManagement kind : {KeyManagement::ecdh_es, KeyManagement::ecdh_es_a256kw}) {
    const CekAlgorithm cek{kind,
                           AgreementInfo{{'A', 'l', 'i', 'c', 'e'}, {'B', 'o', 'b'}, {}, {}, vault::KdfForm::identity}};
    const EncryptedData data =
        expect_ok(alice->data_encrypt(alice_did, plaintext, associated, ContentEncryption::aes256gcm, cek, bob_public),
                  "data_encrypt");
    expect(expect_ok(bob->data_decrypt(bob_did, data, ContentEncryption::aes256gcm, cek, bob_key), "data_decrypt") ==
               plaintext,
           "Bob reads Alice's plaintext");
    const CekAlgorithm other{
        kind, AgreementInfo{{'A', 'l', 'i', 'c', 'e'}, {'E', 'v', 'e'}, {}, {}, vault::KdfForm::identity}};
    expect_code(bob->data_decrypt(bob_did, data, ContentEncryption::aes256gcm, other, bob_key),
                Errc::authentication_failed, "other agreement info");
  }
}

void never_created_did(const StorageFactory& fresh) {
  auto storage = fresh();
  const Did ghost = expect_ok(Did::from_public_key("dev", kTest2Public), "DID");
  const auto location = expect_ok(KeyLocation::make(KeyType::ed25519, "sign-0", kTest2Public), "location");
  expect_code(storage->key_generate(ghost, KeyType::ed25519, "k"), Errc::did_not_found, "key_generate");
  expect_code(storage->key_insert(ghost, location, kTest2Seed), Errc::did_not_found, "key_insert");
  expect_code(storage->key_public(ghost, location), Errc::did_not_found, "key_public");
  expect_code(storage->key_sign(ghost, location, Bytes{1}), Errc::did_not_found, "key_sign");
  expect(!expect_ok(storage->key_exists(ghost, location), "key_exists"), "key_exists is false");
  expect(!expect_ok(storage->key_delete(ghost, location), "key_delete"), "key_delete is false");
  expect_code(storage->chain_state_set(ghost, ChainState{"{}"}), Errc::did_not_found, "chain_state_set");
  expect_code(storage->document_set(ghost, Document{"{}"}), Errc::did_not_found, "document_set");
  expect(!expect_ok(storage->document_get(ghost), "document_get"), "document_get is none");
  expect(!expect_ok(storage->did_exists(ghost), "did_exists"), "the DID still does not exist");
  expect(expect_ok(storage->did_list(), "did_list").empty(), "nothing was listed");
}

}  // namespace

std::vector<ConformanceResult> run_conformance(const StorageFactory& fresh_storage) {
  const std::pair<const char*, void (*)(const StorageFactory&)> checks[] = {
      {"1. create with a given private key", create_with_private_key},
      {"2. create with a generated key on dev", create_with_generated_key},
      {"3. generate Ed25519 and X25519 keys", generate_keys},
      {"4. delete 20 keys", delete_keys},
      {"5. list 20 DIDs", list_dids},
      {"6. insert Ed25519 and X25519 private keys", insert_keys},
      {"7. sign with the RFC 8032 TEST 2 key", sign},
      {"8. Identity 0.6 chain state and document round-trip, other JSON is refused", key_values},
      {"9. purge", purge},
      {"10. encryption between two storages", encrypt_between_storages},
      {"11. keys on a DID that was never created", never_created_did},
  };
  std::vector<ConformanceResult> results;
  for (const auto& [name, check] : checks) {
    ConformanceResult result{name, true, {}};
    try {
      check(fresh_storage);
    } catch (const Failed& failed) {
      result.passed = false;
      result.failure = failed.what;
    }
    results.push_back(std::move(result));
  }
  return results;
}

}  // namespace stronghold::identity
