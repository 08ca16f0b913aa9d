// Known-answer tests from Project Wycheproof and RFC 8032, through the vault's procedures.
// Each test checks how many cases it ran, so a missing file or a parse slip fails.
#include <doctest/doctest.h>

#include "fixture.hpp"
#include "stronghold/vault/aead.hpp"
#include "stronghold/vault/exchange.hpp"
#include "stronghold/vault/sign.hpp"
#include "stronghold/vault/verify.hpp"
#include "support/wycheproof.hpp"

using namespace stronghold;
using namespace stronghold::vault;
using stronghold::test::for_each_wycheproof;
using stronghold::test::hex_field;
using stronghold::test::Json;
using stronghold::test::KeystoreFixture;

namespace {

std::string case_location(const char* vault, const Json& test, const char* suffix = "") {
  return fmt::format("{}/{}{}", vault, test.at("tcId").get<long>(), suffix);
}

// Wycheproof writes private scalars as signed big-endian integers: strip or pad to 32 bytes.
Bytes scalar32(Bytes bytes) {
  while (bytes.size() > 32 && bytes.front() == 0)
    bytes.erase(bytes.begin());
  while (bytes.size() < 32)
    bytes.insert(bytes.begin(), 0);
  return bytes;
}

// The SEC1 point inside a SubjectPublicKeyInfo for secp256k1 with a named curve; empty for any
// other encoding (other curves, explicit parameters, malformed ASN.1).
Bytes secp256k1_point_from_spki(const Bytes& spki) {
  static const Bytes uncompressed_prefix = from_hex("3056301006072a8648ce3d020106052b8104000a034200").value();
  static const Bytes compressed_prefix = from_hex("3036301006072a8648ce3d020106052b8104000a032200").value();
  for (const auto& [prefix, point_size] : {std::pair{uncompressed_prefix, 65u}, std::pair{compressed_prefix, 33u}})
    if (spki.size() == prefix.size() + point_size && std::equal(prefix.begin(), prefix.end(), spki.begin()))
      return Bytes(spki.begin() + static_cast<std::ptrdiff_t>(prefix.size()), spki.end());
  return {};
}

}  // namespace

TEST_CASE("Wycheproof ed25519: verification agrees with every verdict") {
  std::size_t valid = 0;
  const auto count = for_each_wycheproof("ed25519_test.json", [&](const Json& group, const Json& test) {
    const bool expected = test.at("result").get<std::string>() == "valid";
    valid += expected;
    CHECK_MESSAGE(
        verify_ed25519(hex_field(group["publicKey"], "pk"), hex_field(test, "msg"), hex_field(test, "sig")) == expected,
        "tcId " << test.at("tcId").get<int>());
  });
  CHECK(count == 151);
  MESSAGE("ed25519_test.json: " << count << " cases, " << valid << " valid");
}

TEST_CASE_FIXTURE(KeystoreFixture, "RFC 8032 tests 1 to 3: signing inside the vault") {
  struct Case {
    const char* secret;
    const char* public_key;
    const char* message;
    const char* signature;
  };
  const Case cases[] = {
      {"9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
       "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
       "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"},
      {"4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
       "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
       "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"},
      {"c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
       "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025", "af82",
       "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a"},
  };
  int ran = 0;
  for (const Case& c : cases) {
    const std::string where = fmt::format("rfc8032/test{}", ++ran);
    CHECK(to_hex(put(where, KeyType::ed25519, from_hex(c.secret).value())) == c.public_key);
    CHECK(to_hex(sign_ed25519(keystore, at(where), from_hex(c.message).value()).value()) == c.signature);
  }
  CHECK(ran == 3);
}

TEST_CASE_FIXTURE(KeystoreFixture, "Wycheproof x25519: agreement into a record") {
  std::size_t compared = 0;
  std::size_t refused_low_order = 0;
  const auto count = for_each_wycheproof("x25519_test.json", [&](const Json&, const Json& test) {
    const std::string key = case_location("x25519", test);
    const std::string shared = case_location("x25519", test, "-shared");
    put(key, KeyType::x25519, hex_field(test, "private"));
    Transaction tx(keystore);
    const Status agreed = x25519_agree(tx, at(key), hex_field(test, "public"), at(shared));
    const Bytes expected = hex_field(test, "shared");
    if (std::all_of(expected.begin(), expected.end(), [](auto b) { return b == 0; })) {
      CHECK(test.at("result").get<std::string>() != "valid");
      CHECK(agreed.code() == Errc::invalid_key);
      ++refused_low_order;
      return;
    }
    REQUIRE_MESSAGE(agreed.ok(), "tcId " << test.at("tcId").get<int>() << ": " << agreed.to_string());
    REQUIRE(keystore.commit(std::move(tx)).ok());
    CHECK_MESSAGE(holds(shared, expected), "tcId " << test.at("tcId").get<int>());
    ++compared;
  });
  CHECK(count == 518);
  CHECK(refused_low_order == 31);
  MESSAGE("x25519_test.json: " << count << " cases, " << compared << " shared secrets matched, " << refused_low_order
                               << " low-order peers refused");
}

namespace {

void check_ecdsa_file(const char* file, std::size_t expected_count, EcdsaVerifyOptions options) {
  std::size_t valid = 0;
  const auto count = for_each_wycheproof(file, [&](const Json& group, const Json& test) {
    const bool expected = test.at("result").get<std::string>() == "valid";
    valid += expected;
    CHECK_MESSAGE(verify_ecdsa(hex_field(group["publicKey"], "uncompressed"), hex_field(test, "msg"),
                               hex_field(test, "sig"), options) == expected,
                  file << " tcId " << test.at("tcId").get<int>() << " " << test.at("comment").get<std::string>());
  });
  CHECK(count == expected_count);
  MESSAGE(std::string(file) << ": " << count << " cases, " << valid << " valid");
}

}  // namespace

TEST_CASE("Wycheproof secp256k1 ECDSA (DER, any S): verification agrees with every verdict") {
  check_ecdsa_file("ecdsa_secp256k1_sha256_test.json", 476, {EcdsaEncoding::der, false, false});
}

TEST_CASE("Wycheproof secp256k1 ECDSA (Bitcoin, low S only): verification agrees with every verdict") {
  check_ecdsa_file("ecdsa_secp256k1_sha256_bitcoin_test.json", 463, {EcdsaEncoding::der, false, true});
}

TEST_CASE("Wycheproof secp256k1 ECDSA (IEEE P1363, r || s): verification agrees with every verdict") {
  check_ecdsa_file("ecdsa_secp256k1_sha256_p1363_test.json", 252, {EcdsaEncoding::compact, false, false});
}

TEST_CASE_FIXTURE(KeystoreFixture, "Wycheproof secp256k1 ECDH: agreement into a record") {
  std::size_t matched = 0;
  std::size_t refused = 0;
  const auto count = for_each_wycheproof("ecdh_secp256k1_test.json", [&](const Json&, const Json& test) {
    const std::string result = test.at("result").get<std::string>();
    const std::string key = case_location("ecdh", test);
    const std::string shared = case_location("ecdh", test, "-shared");
    put(key, KeyType::secp256k1, scalar32(hex_field(test, "private")));
    const Bytes point = secp256k1_point_from_spki(hex_field(test, "public"));
    Transaction tx(keystore);
    const Status agreed = point.empty() ? Status(Errc::invalid_key, "not a named-curve secp256k1 key")
                                        : ecdh_secp256k1(tx, at(key), point, at(shared));
    if (!agreed.ok()) {
      CHECK_MESSAGE(result != "valid", "tcId " << test.at("tcId").get<int>() << ": " << agreed.to_string());
      ++refused;
      return;
    }
    CHECK_MESSAGE(result != "invalid", "tcId " << test.at("tcId").get<int>() << " accepted");
    REQUIRE(keystore.commit(std::move(tx)).ok());
    CHECK_MESSAGE(holds(shared, hex_field(test, "shared")), "tcId " << test.at("tcId").get<int>());
    ++matched;
  });
  CHECK(count == 752);
  MESSAGE("ecdh_secp256k1_test.json: " << count << " cases, " << matched << " shared secrets matched, " << refused
                                       << " refused (all invalid or acceptable)");
}

namespace {

void check_hmac_file(KeystoreFixture& fixture, const char* file, Hash hash, std::size_t expected_count) {
  const auto count = for_each_wycheproof(file, [&](const Json&, const Json& test) {
    const std::string where = case_location(file, test);
    fixture.put(where, KeyType::symmetric, hex_field(test, "key"));
    const Bytes expected = hex_field(test, "tag");
    const Bytes tag = hmac(fixture.keystore, fixture.at(where), hash, hex_field(test, "msg")).value();
    const bool matches = expected.size() <= tag.size() && std::equal(expected.begin(), expected.end(), tag.begin());
    CHECK_MESSAGE(matches == (test.at("result").get<std::string>() == "valid"),
                  file << " tcId " << test.at("tcId").get<int>());
  });
  CHECK(count == expected_count);
}

void check_hkdf_file(KeystoreFixture& fixture, const char* file, Hash hash, std::size_t expected_count) {
  const auto count = for_each_wycheproof(file, [&](const Json&, const Json& test) {
    const std::string ikm = case_location(file, test);
    const std::string okm = case_location(file, test, "-okm");
    fixture.put(ikm, KeyType::symmetric, hex_field(test, "ikm"));
    Transaction tx(fixture.keystore);
    const Status derived = hkdf(tx, fixture.at(ikm), hash, hex_field(test, "salt"), hex_field(test, "info"),
                                test.at("size").get<std::size_t>(), fixture.at(okm));
    if (test.at("result").get<std::string>() != "valid") {
      CHECK(derived.code() == Errc::invalid_argument);
      return;
    }
    REQUIRE_MESSAGE(derived.ok(), derived.to_string());
    REQUIRE(fixture.keystore.commit(std::move(tx)).ok());
    CHECK_MESSAGE(fixture.holds(okm, hex_field(test, "okm")), file << " tcId " << test.at("tcId").get<int>());
  });
  CHECK(count == expected_count);
}

}  // namespace

TEST_CASE_FIXTURE(KeystoreFixture, "Wycheproof HMAC-SHA256, HMAC-SHA384 and HMAC-SHA512 with keys in records") {
  check_hmac_file(*this, "hmac_sha256_test.json", Hash::sha256, 174);
  check_hmac_file(*this, "hmac_sha384_test.json", Hash::sha384, 174);
  check_hmac_file(*this, "hmac_sha512_test.json", Hash::sha512, 174);
}

TEST_CASE_FIXTURE(KeystoreFixture, "Wycheproof HKDF-SHA256, HKDF-SHA384 and HKDF-SHA512 into records") {
  check_hkdf_file(*this, "hkdf_sha256_test.json", Hash::sha256, 86);
  check_hkdf_file(*this, "hkdf_sha384_test.json", Hash::sha384, 83);
  check_hkdf_file(*this, "hkdf_sha512_test.json", Hash::sha512, 83);
}

TEST_CASE_FIXTURE(KeystoreFixture, "Wycheproof PBKDF2-HMAC-SHA512 with the password in a record") {
  const auto count = for_each_wycheproof("pbkdf2_hmacsha512_test.json", [&](const Json&, const Json& test) {
    const std::string password = case_location("pbkdf2", test);
    const std::string derived = case_location("pbkdf2", test, "-dk");
    put(password, KeyType::opaque, hex_field(test, "password"));
    Transaction tx(keystore);
    REQUIRE(pbkdf2_sha512(tx, at(password), hex_field(test, "salt"), test.at("iterationCount").get<std::uint32_t>(),
                          test.at("dkLen").get<std::size_t>(), at(derived))
                .ok());
    REQUIRE(keystore.commit(std::move(tx)).ok());
    CHECK_MESSAGE(holds(derived, hex_field(test, "dk")), "tcId " << test.at("tcId").get<int>());
  });
  CHECK(count == 58);
}

namespace {

// Wycheproof AEAD files: encryption reproduces every valid case, decryption refuses every
// invalid one.
void check_aead_file(KeystoreFixture& fixture, const char* file, Aead aead, std::size_t expected_count,
                     std::size_t expected_run, std::size_t expected_long_nonces = 0) {
  std::size_t ran = 0;
  std::size_t long_nonces = 0;
  const auto count = for_each_wycheproof(file, [&](const Json& group, const Json& test) {
    if (group.at("keySize").get<double>() != 256)
      return;  // AES-128 and AES-192 are not offered
    ++ran;
    const std::string where = case_location(file, test);
    fixture.put(where, KeyType::symmetric, hex_field(test, "key"));
    const Bytes nonce = hex_field(test, "iv");
    if (nonce.size() > kMaxAeadNonceSize) {  // valid GCM, but past what libcrypto accepts: refused
      CHECK(aead_encrypt_with_nonce(fixture.keystore, fixture.at(where), aead, nonce, {}, {}).code() ==
            Errc::invalid_argument);
      ++long_nonces;
      return;
    }
    const Bytes message = hex_field(test, "msg");
    const Bytes aad = hex_field(test, "aad");
    Bytes expected = hex_field(test, "ct");
    const Bytes tag = hex_field(test, "tag");
    expected.insert(expected.end(), tag.begin(), tag.end());
    const auto opened = aead_decrypt(fixture.keystore, fixture.at(where), aead, nonce, expected, aad);
    if (test.at("result").get<std::string>() == "valid") {
      const auto sealed = aead_encrypt_with_nonce(fixture.keystore, fixture.at(where), aead, nonce, message, aad);
      CHECK_MESSAGE((sealed.ok() && *sealed == expected),
                    std::string(file) << " tcId " << test.at("tcId").get<int>() << ": " << sealed.status().to_string());
      CHECK_MESSAGE((opened.ok() && *opened == message), std::string(file) << " tcId " << test.at("tcId").get<int>());
    } else {
      CHECK_MESSAGE(!opened.ok(), std::string(file) << " tcId " << test.at("tcId").get<int>() << " opened");
    }
  });
  CHECK(count == expected_count);
  CHECK(ran == expected_run);
  CHECK(long_nonces == expected_long_nonces);
  MESSAGE(std::string(file) << ": " << count << " cases, " << ran << " with 256-bit keys, " << long_nonces
                            << " with a nonce over 128 bytes refused");
}

}  // namespace

TEST_CASE_FIXTURE(KeystoreFixture, "Wycheproof XChaCha20-Poly1305 with the key in a record") {
  check_aead_file(*this, "xchacha20_poly1305_test.json", Aead::xchacha20poly1305, 315, 315);
}

TEST_CASE_FIXTURE(KeystoreFixture, "Wycheproof AES-256-GCM with the key in a record") {
  check_aead_file(*this, "aes_gcm_test.json", Aead::aes256gcm, 316, 105, 1);
}

TEST_CASE_FIXTURE(KeystoreFixture, "AEAD round trip with fresh nonces, and refusal of a changed byte") {
  put("aead/key", KeyType::symmetric, Bytes(32, 3));
  for (const Aead aead : {Aead::xchacha20poly1305, Aead::aes256gcm}) {
    const Bytes message = {'s', 'e', 'c', 'r', 'e', 't'};
    const Bytes aad = {'h', 'd', 'r'};
    auto sealed = aead_encrypt(keystore, at("aead/key"), aead, message, aad);
    REQUIRE(sealed.ok());
    CHECK(sealed->nonce.size() == aead_nonce_size(aead));
    CHECK(aead_decrypt(keystore, at("aead/key"), aead, sealed->nonce, sealed->ciphertext, aad).value() == message);
    sealed->ciphertext[0] ^= 1;
    CHECK(aead_decrypt(keystore, at("aead/key"), aead, sealed->nonce, sealed->ciphertext, aad).code() ==
          Errc::authentication_failed);
    CHECK(aead_decrypt(keystore, at("aead/key"), aead, sealed->nonce, Bytes(3), aad).code() == Errc::invalid_argument);
  }
}
