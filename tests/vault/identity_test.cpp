// Identity building blocks: SeaHash, DIDs, key locations, the Concat KDF and JWE encryption,
// with known answers (this file's SeaHash and DID values, RFC 7518 Appendix C and RFC 8037 A.6).
#include <algorithm>

#include <doctest/doctest.h>
#include <openssl/evp.h>
#include <sodium.h>

#include "stronghold/vault/aead.hpp"
#include "stronghold/vault/identity.hpp"
#include "stronghold/vault/seahash.hpp"
#include "support/identity_document.hpp"

using namespace stronghold;
using namespace stronghold::vault;

namespace {

Bytes hex(std::string_view text) { return from_hex(text).value(); }
Bytes text_bytes(std::string_view text) { return Bytes(text.begin(), text.end()); }

const Bytes kRfc8032Test2Public = hex("3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c");

}  // namespace

TEST_CASE("SeaHash gives the known answers") {
  CHECK(seahash_diffuse(1) == 15197155197312260123ull);
  CHECK(seahash_diffuse(0xDEADBEEF) == 12110756357096144265ull);
  CHECK(seahash(Bytes{187, 104, 26, 87,  133, 152, 0,   180, 17,  232, 218, 46, 190, 140, 102, 34,
                      42,  94,  9,  101, 87,  249, 167, 237, 194, 182, 240, 2,  150, 78,  110, 218}) ==
        74874706796298672ull);
  CHECK(seahash(Bytes{125, 153, 99,  21,  23, 190, 149, 109, 84, 120, 40,  91,  181, 57,  67,  254,
                      11,  25,  152, 214, 84, 46,  105, 186, 16, 39,  141, 151, 100, 163, 138, 222}) ==
        10201576743536852223ull);
  CHECK(seahash(kRfc8032Test2Public) == 15534036041411610771ull);
}

TEST_CASE("DIDs derive, print, parse and normalise") {
  const Did main = Did::from_public_key("main", kRfc8032Test2Public).value();
  CHECK(main.to_string() == "did:iota:8TURG5VChANzPVSsrfwhqbHqNDPWHr6cFg2RuzyUoFke");
  const Did dev = Did::from_public_key("dev", kRfc8032Test2Public).value();
  CHECK(dev.to_string() == "did:iota:dev:8TURG5VChANzPVSsrfwhqbHqNDPWHr6cFg2RuzyUoFke");
  CHECK(dev.network() == "dev");
  CHECK(Did::parse(dev.to_string()).value() == dev);
  CHECK(Did::parse("did:iota:main:8TURG5VChANzPVSsrfwhqbHqNDPWHr6cFg2RuzyUoFke").value() == main);
  CHECK(Did::parse(main.to_string()).value().network() == "main");
  for (const char* bad : {"", "did:iota:", "did:web:8TURG5VChANzPVSsrfwhqbHqNDPWHr6cFg2RuzyUoFke",
                          "did:iota:DEV:8TURG5VChANzPVSsrfwhqbHqNDPWHr6cFg2RuzyUoFke",
                          "did:iota:toolong:8TURG5VChANzPVSsrfwhqbHqNDPWHr6cFg2RuzyUoFke",
                          "did:iota::8TURG5VChANzPVSsrfwhqbHqNDPWHr6cFg2RuzyUoFke",
                          "did:iota:8TURG5VChANzPVSsrfwhqbHqNDPWHr6cFg2Ru",         // 26 bytes
                          "did:iota:8TURG5VChANzPVSsrfwhqbHqNDPWHr6cFg2RuzyUoFk0",  // not base58
                          "did:iota:dev:x:8TURG5VChANzPVSsrfwhqbHqNDPWHr6cFg2RuzyUoFke"})
    CHECK_MESSAGE(Did::parse(bad).code() == Errc::invalid_argument, std::string(bad));
  CHECK(Did::from_public_key("Main", kRfc8032Test2Public).code() == Errc::invalid_argument);
  CHECK(Did::from_public_key("dev", Bytes(31, 1)).code() == Errc::invalid_key);
}

TEST_CASE("key locations: canonical form, equality without the type, bad input") {
  const auto ed = KeyLocation::make(IdentityKeyType::ed25519, "sign-0", kRfc8032Test2Public).value();
  CHECK(ed.canonical() == "sign-0:15534036041411610771");
  const auto x = KeyLocation::parse(IdentityKeyType::x25519, ed.canonical()).value();
  CHECK(x == ed);
  CHECK(x.type() == IdentityKeyType::x25519);
  CHECK(KeyLocation::parse(IdentityKeyType::ed25519, "a:b:7").value().fragment() == "a:b");
  CHECK(ed.names(kRfc8032Test2Public));
  CHECK_FALSE(ed.names(Bytes(32, 0)));
  for (const char* bad :
       {"", "sign-0", ":1", "sign-0:", "sign-0:-1", "sign-0:18446744073709551616", "sign-0:1x", "a\nb:1"})
    CHECK_MESSAGE(KeyLocation::parse(IdentityKeyType::ed25519, bad).code() == Errc::invalid_argument, bad);
  CHECK(KeyLocation::make(IdentityKeyType::ed25519, std::string(201, 'f'), kRfc8032Test2Public).code() ==
        Errc::invalid_argument);
  CHECK(KeyLocation::make(IdentityKeyType::ed25519, "f", Bytes(33, 0)).code() == Errc::invalid_key);
}

TEST_CASE("the Concat KDF gives RFC 7518 Appendix C's key") {
  const Bytes z = {158, 86, 217, 29,  129, 113, 53,  211, 114, 131, 66,  131, 191, 132, 38,  156,
                   251, 49, 110, 163, 218, 128, 106, 72,  246, 218, 167, 121, 140, 254, 144, 196};
  Bytes derived(16);
  const AgreementInfo rfc{text_bytes("Alice"), text_bytes("Bob"), {}, {}, KdfForm::rfc7518};
  REQUIRE(concat_kdf(Hash::sha256, z, "A128GCM", rfc, derived).ok());
  CHECK(derived == Bytes{86, 170, 141, 234, 248, 35, 109, 32, 92, 34, 40, 205, 113, 167, 16, 26});
  Bytes longer(80);  // three rounds; the first 16 bytes differ since keydatalen is part of the input
  REQUIRE(concat_kdf(Hash::sha256, z, "A128GCM", rfc, longer).ok());
  CHECK(Bytes(longer.begin(), longer.begin() + 16) != derived);
  Bytes none;
  CHECK(concat_kdf(Hash::sha256, z, "A128GCM", {}, none).code() == Errc::invalid_argument);
}

namespace {

// RFC 8037 A.6: the ephemeral secret, and Bob's key pair (RFC 7748 §6.1).
const Bytes kEphemeral = hex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
const Bytes kBobSecret = hex("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb");
const Bytes kBobPublic = hex("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f");

// The agreed keys for Z = X25519(kEphemeral, kBobPublic) = 4a5d9d5b...1e161742, apu "Alice",
// apv "Bob", pub_info "pub" and priv_info "priv", computed by hand from the formula in jwe.hpp
// with Python's hashlib, one SHA-256 round:
//   sha256(pack(">I", 1) + Z + pack(">I", len(alg)) + alg + pack(">I", 5) + b"Alice"
//          + pack(">I", 3) + b"Bob" [+ pack(">I", 256)] + b"pub" + b"priv")
// (the keydatalen in brackets only in RFC 7518's form).
struct KdfVector {
  KeyManagement management;
  KdfForm form;
  const char* key;
};
constexpr KdfVector kKdfVectors[] = {
    {KeyManagement::ecdh_es, KdfForm::identity, "531fa58b58b0d77b0ff3952174c717269d5abb6882528ddc6b714416ecef76ec"},
    {KeyManagement::ecdh_es_a256kw, KdfForm::identity,
     "5207c80ed34f7dc48cda9271cbdc58922e328c9b1c61c8fd47c591c63599c399"},
    {KeyManagement::ecdh_es, KdfForm::rfc7518, "a7841885ed4a61168909d8d3098af60330864f19867e9693582341fa00e821fd"},
    {KeyManagement::ecdh_es_a256kw, KdfForm::rfc7518,
     "3ed13f8348e089801ef0182ed991a36ff0e67f671b79b304cbd1f005a1d4637b"},
};

// AES-256 key wrap (RFC 3394) with OpenSSL, independent of the code under test.
Bytes openssl_key_wrap(const Bytes& kek, const Bytes& input, bool wrap) {
  EVP_CIPHER_CTX* context = EVP_CIPHER_CTX_new();
  REQUIRE(context != nullptr);
  EVP_CIPHER_CTX_set_flags(context, EVP_CIPHER_CTX_FLAG_WRAP_ALLOW);
  Bytes out(wrap ? input.size() + 8 : input.size() - 8);
  int written = 0, final_written = 0;
  const bool ok = EVP_CipherInit_ex(context, EVP_aes_256_wrap(), nullptr, kek.data(), nullptr, wrap ? 1 : 0) == 1 &&
                  EVP_CipherUpdate(context, out.data(), &written, input.data(), static_cast<int>(input.size())) == 1 &&
                  EVP_CipherFinal_ex(context, out.data() + written, &final_written) == 1;
  EVP_CIPHER_CTX_free(context);
  REQUIRE(ok);
  return out;
}

}  // namespace

TEST_CASE("the Concat KDF in IOTA Identity 0.6's form and in RFC 7518's gives the keys computed by hand") {
  for (const KdfVector& vector : kKdfVectors) {
    CAPTURE(vector.key);
    const AgreementInfo agreement{text_bytes("Alice"), text_bytes("Bob"), text_bytes("pub"), text_bytes("priv"),
                                  vector.form};
    const Bytes key = hex(vector.key);
    const Bytes plaintext = text_bytes("a message for Bob");
    const Bytes associated = text_bytes("header");

    // What this engine produces, opened with the hand-computed key alone.
    const EncryptedData made = jwe_encrypt_with_ephemeral(plaintext, associated, ContentEncryption::aes256gcm,
                                                          vector.management, agreement, kBobPublic, kEphemeral)
                                   .value();
    const Bytes cek =
        vector.management == KeyManagement::ecdh_es ? key : openssl_key_wrap(key, made.encrypted_cek, false);
    Bytes sealed = made.ciphertext;
    sealed.insert(sealed.end(), made.tag.begin(), made.tag.end());
    Bytes opened(plaintext.size());
    REQUIRE(aead_open_raw(Aead::aes256gcm, cek, made.nonce, sealed, associated, opened).ok());
    CHECK(opened == plaintext);

    // What another implementation produces with that key, accepted.
    EncryptedData given;
    given.associated_data = associated;
    given.nonce = Bytes(12, 0x42);
    given.ephemeral_public_key = made.ephemeral_public_key;
    const Bytes content_key = vector.management == KeyManagement::ecdh_es ? key : Bytes(32, 0x17);
    if (vector.management == KeyManagement::ecdh_es_a256kw)
      given.encrypted_cek = openssl_key_wrap(key, content_key, true);
    Bytes out(plaintext.size() + 16);
    REQUIRE(aead_seal_raw(Aead::aes256gcm, content_key, given.nonce, plaintext, associated, out).ok());
    given.ciphertext.assign(out.begin(), out.end() - 16);
    given.tag.assign(out.end() - 16, out.end());
    CHECK(jwe_decrypt_with_secret(kBobSecret, given, ContentEncryption::aes256gcm, vector.management, agreement)
              .value() == plaintext);
  }
}

TEST_CASE("JWE to an X25519 key: RFC 8037 A.6's agreement, round trips, and every tamper refused") {
  const Bytes& ephemeral = kEphemeral;
  const Bytes& bob_secret = kBobSecret;
  const Bytes& bob_public = kBobPublic;
  Bytes shared(32);
  REQUIRE(crypto_scalarmult(shared.data(), ephemeral.data(), bob_public.data()) == 0);
  CHECK(to_hex(shared) == "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742");

  const AgreementInfo agreement{text_bytes("Alice"), text_bytes("Bob"), {}, {}, KdfForm::identity};
  const Bytes plaintext = text_bytes("a message for Bob");
  const Bytes associated = text_bytes("header");
  for (const KeyManagement management : {KeyManagement::ecdh_es, KeyManagement::ecdh_es_a256kw}) {
    CAPTURE(static_cast<int>(management));
    const EncryptedData data = jwe_encrypt_with_ephemeral(plaintext, associated, ContentEncryption::aes256gcm,
                                                          management, agreement, bob_public, ephemeral)
                                   .value();
    CHECK(to_hex(data.ephemeral_public_key) == "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
    CHECK(data.encrypted_cek.size() == (management == KeyManagement::ecdh_es ? 0u : 40u));
    CHECK(jwe_decrypt_with_secret(bob_secret, data, ContentEncryption::aes256gcm, management, agreement).value() ==
          plaintext);

    const auto refused =
        [&](const EncryptedData& changed,
            const AgreementInfo& info = {text_bytes("Alice"), text_bytes("Bob"), {}, {}, KdfForm::identity}) {
          return jwe_decrypt_with_secret(bob_secret, changed, ContentEncryption::aes256gcm, management, info).code();
        };
    auto flipped = data;
    flipped.ciphertext[0] ^= 1;
    CHECK(refused(flipped) == Errc::authentication_failed);
    flipped = data;
    flipped.tag[3] ^= 1;
    CHECK(refused(flipped) == Errc::authentication_failed);
    flipped = data;
    flipped.associated_data.push_back('!');
    CHECK(refused(flipped) == Errc::authentication_failed);
    CHECK(refused(data, AgreementInfo{text_bytes("Alice"), text_bytes("Eve"), {}, {}, KdfForm::identity}) ==
          Errc::authentication_failed);
    CHECK(refused(data, AgreementInfo{text_bytes("Alice"), text_bytes("Bob"), {1}, {}, KdfForm::identity}) ==
          Errc::authentication_failed);
    CHECK(refused(data, AgreementInfo{text_bytes("Alice"), text_bytes("Bob"), {}, {}, KdfForm::rfc7518}) ==
          Errc::authentication_failed);  // the other form derives another key
    flipped = data;
    flipped.nonce.pop_back();
    CHECK(refused(flipped) == Errc::invalid_argument);
    flipped = data;
    flipped.ephemeral_public_key = Bytes(32, 0);  // low order
    CHECK(refused(flipped) == Errc::invalid_key);
    flipped = data;
    flipped.encrypted_cek.push_back(0);
    CHECK(refused(flipped) == Errc::invalid_argument);
    if (management == KeyManagement::ecdh_es_a256kw) {
      flipped = data;
      flipped.encrypted_cek[5] ^= 1;
      CHECK(refused(flipped) == Errc::authentication_failed);
    }
  }
  // A fresh ephemeral key each time.
  const auto first =
      jwe_encrypt(plaintext, {}, ContentEncryption::aes256gcm, KeyManagement::ecdh_es, agreement, bob_public).value();
  const auto second =
      jwe_encrypt(plaintext, {}, ContentEncryption::aes256gcm, KeyManagement::ecdh_es, agreement, bob_public).value();
  CHECK(first.ephemeral_public_key != second.ephemeral_public_key);
  CHECK(jwe_encrypt(plaintext, {}, ContentEncryption::aes256gcm, KeyManagement::ecdh_es, agreement, Bytes(32, 0))
            .code() == Errc::invalid_key);
}

TEST_CASE("identity procedures keep DIDs, keys and values in one keystore") {
  auto keystore = Keystore::create(Bytes(32, 7)).value();
  Transaction create(keystore);
  const Bytes seed = hex("4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb");
  const CreatedDid created = create_did(create, "main", "sign-0", seed).value();
  REQUIRE(keystore.commit(std::move(create)).ok());
  CHECK(created.did.to_string() == "did:iota:8TURG5VChANzPVSsrfwhqbHqNDPWHr6cFg2RuzyUoFke");
  CHECK(created.location.canonical() == "sign-0:15534036041411610771");
  CHECK(identity_public_key(keystore, created.did, created.location).value() == kRfc8032Test2Public);
  CHECK(list_dids(keystore) == std::vector<Did>{created.did});
  Transaction again(keystore);
  CHECK(create_did(again, "main", "other", seed).code() == Errc::already_exists);

  // A key location whose hash does not name the key is refused; a type mismatch is not found.
  Transaction insert(keystore);
  const auto wrong = KeyLocation::make(IdentityKeyType::ed25519, "k", Bytes(32, 1)).value();
  CHECK(insert_identity_key(insert, created.did, wrong, Bytes(32, 2)).code() == Errc::invalid_key);
  const auto as_x25519 = KeyLocation::parse(IdentityKeyType::x25519, created.location.canonical()).value();
  CHECK_FALSE(identity_key_exists(keystore, created.did, as_x25519));
  CHECK(identity_signing_record(keystore, created.did, as_x25519).code() == Errc::wrong_key_type);

  const Did unknown = Did::from_public_key("dev", Bytes(32, 3)).value();
  Transaction on_unknown(keystore);
  CHECK(generate_identity_key(on_unknown, unknown, IdentityKeyType::ed25519, "k").code() == Errc::did_not_found);
  CHECK(
      set_identity_value(on_unknown, unknown, IdentityValue::document, test::padded_document(unknown.to_string(), 100))
          .code() == Errc::did_not_found);
  CHECK_FALSE(identity_value(keystore, unknown, IdentityValue::document).value().has_value());
  CHECK(std::move(on_unknown).take().empty());

  Transaction purge(keystore);
  CHECK(purge_did(purge, created.did).value());
  REQUIRE(keystore.commit(std::move(purge)).ok());
  CHECK(list_dids(keystore).empty());
  CHECK_FALSE(keystore.has_vault(created.did.to_string()));
  Transaction purge_again(keystore);
  CHECK_FALSE(purge_did(purge_again, created.did).value());
}

namespace {

const Did kDid = Did::parse("did:iota:8TURG5VChANzPVSsrfwhqbHqNDPWHr6cFg2RuzyUoFke").value();  // RFC 8032 TEST 2's key

Errc chain_state_check(std::string_view json) {
  return check_identity_value(kDid, IdentityValue::chain_state, json).code();
}

Errc document_check(std::string_view json) { return check_identity_value(kDid, IdentityValue::document, json).code(); }

std::string message_ids(std::string_view integration, std::string_view diff) {
  return R"({"last_integration_message_id":")" + std::string(integration) + R"(","last_diff_message_id":")" +
         std::string(diff) + R"("})";
}

// `inner` inside `depth` nested arrays, as the member of an object.
std::string nested(std::size_t depth, std::string_view inner) {
  return R"({"a":)" + std::string(depth - 1, '[') + std::string(inner) + std::string(depth - 1, ']') + "}";
}

}  // namespace

TEST_CASE("a chain state is a JSON object whose message ids are 64 hex digits, other members ignored") {
  const std::string id(64, 'a');
  CHECK(chain_state_check("{}") == Errc::ok);  // both ids null: Identity leaves them out
  CHECK(chain_state_check(message_ids(id, std::string(64, 'F'))) == Errc::ok);
  CHECK(chain_state_check(R"({"future_field":[1,2],"last_diff_message_id":")" + id + R"("})") == Errc::ok);
  const std::vector<std::string> refused = {std::string("not json"),
                                            std::string("[]"),
                                            std::string("\"1\""),
                                            std::string(R"({"a":1)"),
                                            message_ids(id, std::string(63, 'a')),
                                            message_ids(std::string(65, 'a'), id),
                                            message_ids(id, "0x" + id.substr(2)),
                                            message_ids(std::string(63, 'a') + "g", id),
                                            std::string(R"({"last_diff_message_id":null})"),
                                            std::string(R"({"last_integration_message_id":7})"),
                                            std::string("{\"a\":\"\xff\"}")};
  for (const std::string& bad : refused) {
    CAPTURE(bad);
    CHECK(chain_state_check(bad) == Errc::invalid_argument);
  }
}

TEST_CASE("a document is a JSON object whose doc.id is the DID it is stored under") {
  const std::string& id = kDid.to_string();
  CHECK(document_check(test::padded_document(id, 200)) == Errc::ok);
  CHECK(document_check(R"({"doc":{"id":"did:iota:main:)" + kDid.tag() + R"("},"meta":{}})") == Errc::ok);  // normalised
  const std::string other = Did::from_public_key("main", Bytes(32, 9)).value().to_string();
  const std::vector<std::string> refused = {std::string("{}"),
                                            R"({"doc":")" + id + R"("})",
                                            R"({"doc":{"id":1}})",
                                            std::string(R"({"doc":{}})"),
                                            R"({"doc":{"id":")" + other + R"("}})",
                                            std::string(R"({"doc":{"id":"did:example:123"}})"),
                                            R"([{"doc":{"id":")" + id + R"("}}])",
                                            std::string("{\"doc\"")};
  for (const std::string& bad : refused) {
    CAPTURE(bad);
    CHECK(document_check(bad) == Errc::invalid_argument);
  }
}

TEST_CASE("a refusal says which rule the value broke, never the value") {
  const Status status = check_identity_value(kDid, IdentityValue::chain_state, R"({"last_diff_message_id":"secret"})");
  CHECK(status.code() == Errc::invalid_argument);
  CHECK(status.message().find("last_diff_message_id must be a message id") != std::string::npos);
  CHECK(status.message().find("secret") == std::string::npos);
  const Status not_json = check_identity_value(kDid, IdentityValue::document, "secret");
  CHECK(not_json.message().find("secret") == std::string::npos);
}

TEST_CASE("a value nested inside more than 64 arrays or objects is refused without being built") {
  CHECK(check_identity_value(kDid, IdentityValue::chain_state, nested(64, "1")).ok());
  const Status deeper = check_identity_value(kDid, IdentityValue::chain_state, nested(65, "1"));
  CHECK(deeper.code() == Errc::invalid_argument);
  CHECK(deeper.message().find("deeper than 64") != std::string::npos);
  // nlohmann's parser keeps its own stack; the callback stops a deep value from being built.
  const std::string deep = std::string(100'000, '[') + std::string(100'000, ']');
  CHECK(check_identity_value(kDid, IdentityValue::chain_state, deep).message().find("deeper than 64") !=
        std::string::npos);
}

TEST_CASE("a value up to 256 KiB is stored in record-sized parts, and a smaller value or a purge removes them") {
  auto keystore = Keystore::create(Bytes(32, 7)).value();
  Transaction create(keystore);
  const Did did = create_did(create, "main", "sign-0", {}).value().did;
  REQUIRE(keystore.commit(std::move(create)).ok());
  const auto document_parts = [&keystore] {
    return std::ranges::count_if(keystore.secret_names(),
                                 [](const std::string& name) { return name.starts_with("identity/document/"); });
  };
  const auto set = [&](const std::string& json) {
    Transaction tx(keystore);
    Status status = set_identity_value(tx, did, IdentityValue::document, json);
    if (status.ok())
      REQUIRE(keystore.commit(std::move(tx)).ok());
    return status;
  };

  const std::string largest = test::padded_document(did.to_string(), kMaxIdentityValueSize);
  REQUIRE(set(largest).ok());
  CHECK(document_parts() == 8);
  CHECK(identity_value(keystore, did, IdentityValue::document).value() == largest);
  const std::string large = test::padded_document(did.to_string(), std::size_t{200} * 1024);
  REQUIRE(set(large).ok());
  CHECK(document_parts() == 7);
  CHECK(identity_value(keystore, did, IdentityValue::document).value() == large);
  const std::string small = test::padded_document(did.to_string(), 100);
  REQUIRE(set(small).ok());
  CHECK(document_parts() == 1);
  CHECK(identity_value(keystore, did, IdentityValue::document).value() == small);
  CHECK(set(test::padded_document(did.to_string(), kMaxIdentityValueSize + 1)).code() == Errc::invalid_argument);
  CHECK(identity_value(keystore, did, IdentityValue::document).value() == small);

  REQUIRE(set(large).ok());
  Transaction purge(keystore);
  REQUIRE(purge_did(purge, did).value());
  REQUIRE(keystore.commit(std::move(purge)).ok());
  CHECK(document_parts() == 0);
}
