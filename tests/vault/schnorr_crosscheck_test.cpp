// BIP340 vectors, and signatures made inside the vault checked by a separate implementation
// (OpenSSL's libcrypto).
#include <set>
#include <sstream>

#include <doctest/doctest.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "fixture.hpp"
#include "stronghold/vault/sign.hpp"
#include "stronghold/vault/verify.hpp"
#include "support/test_files.hpp"

using namespace stronghold;
using namespace stronghold::vault;
using stronghold::test::KeystoreFixture;

namespace {

std::vector<std::string> split_csv(const std::string& line) {
  std::vector<std::string> fields;
  std::stringstream in(line);
  std::string field;
  while (std::getline(in, field, ','))
    fields.push_back(field);
  if (!line.empty() && line.back() == ',')
    fields.emplace_back();
  return fields;
}

struct PkeyDeleter {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
struct MdContextDeleter {
  void operator()(EVP_MD_CTX* context) const { EVP_MD_CTX_free(context); }
};

bool openssl_verify(EVP_PKEY* key, const EVP_MD* digest, ByteView message, ByteView signature) {
  std::unique_ptr<EVP_MD_CTX, MdContextDeleter> context(EVP_MD_CTX_new());
  return EVP_DigestVerifyInit(context.get(), nullptr, digest, nullptr, key) == 1 &&
         EVP_DigestVerify(context.get(), signature.data(), signature.size(), message.data(), message.size()) == 1;
}

// A secp256k1 public key as libcrypto reads it: SubjectPublicKeyInfo in DER.
std::unique_ptr<EVP_PKEY, PkeyDeleter> openssl_secp256k1_key(const Bytes& uncompressed) {
  Bytes der = from_hex("3056301006072a8648ce3d020106052b8104000a034200").value();
  der.insert(der.end(), uncompressed.begin(), uncompressed.end());
  const unsigned char* cursor = der.data();
  return std::unique_ptr<EVP_PKEY, PkeyDeleter>(d2i_PUBKEY(nullptr, &cursor, static_cast<long>(der.size())));
}

}  // namespace

// The final BIP340 vectors (bitcoin/bips bip-0340/test-vectors.csv): every verification result
// must match the file's, and for each row with a secret key our signature (made in the vault with
// the row's aux_rand) must be the file's signature, byte for byte. Rows 15 to 18 sign messages of
// 0, 1, 17 and 100 bytes: BIP340 signs messages of any length, not only 32-byte digests.
TEST_CASE_FIXTURE(KeystoreFixture, "BIP340: every vector of the final standard signs and verifies as published") {
  std::istringstream in(test::read_test_file("vectors/bip340/test-vectors.csv"));
  std::string line;
  std::getline(in, line);  // header
  int rows = 0;
  int signed_rows = 0;
  int refused = 0;
  std::set<std::size_t> message_sizes;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r')
      line.pop_back();
    const auto fields = split_csv(line);
    REQUIRE(fields.size() >= 7);
    INFO("BIP340 vector " << fields[0]);
    const Bytes public_key = from_hex(fields[2]).value();
    const Bytes message = from_hex(fields[4]).value();
    const Bytes signature = from_hex(fields[5]).value();
    REQUIRE((fields[6] == "TRUE" || fields[6] == "FALSE"));
    const bool valid = fields[6] == "TRUE";
    CHECK(verify_schnorr(public_key, message, signature) == valid);
    refused += !valid;
    message_sizes.insert(message.size());
    if (!fields[1].empty()) {
      const std::string where = "bip340/" + fields[0];
      const Bytes stored = put(where, KeyType::secp256k1, from_hex(fields[1]).value());
      CHECK(Bytes(stored.begin() + 1, stored.end()) == public_key);  // the x-only key of the file
      const Bytes ours = sign_schnorr(keystore, at(where), message, from_hex(fields[3]).value()).value();
      CHECK(to_hex(ours) == to_hex(signature));
      CHECK(verify_schnorr(public_key, message, ours));
      ++signed_rows;
    }
    ++rows;
  }
  CHECK(rows == 19);
  CHECK(signed_rows == 8);
  CHECK(refused == 10);
  CHECK(message_sizes == std::set<std::size_t>{0, 1, 17, 32, 100});
}

TEST_CASE_FIXTURE(KeystoreFixture, "signatures made in the vault verify with OpenSSL") {
  Transaction tx(keystore);
  const Bytes ed_public = generate_key(tx, at("x/ed"), KeyType::ed25519).value();
  generate_key(tx, at("x/k1"), KeyType::secp256k1).value();
  REQUIRE(keystore.commit(std::move(tx)).ok());
  std::unique_ptr<EVP_PKEY, PkeyDeleter> ed_key(
      EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, ed_public.data(), ed_public.size()));
  auto k1_key = openssl_secp256k1_key(public_key_uncompressed(keystore, at("x/k1")).value());
  REQUIRE(ed_key);
  REQUIRE(k1_key);
  for (int i = 0; i < 32; ++i) {
    const Bytes message(static_cast<std::size_t>(i * 7), static_cast<std::uint8_t>(i));
    const Bytes ed_signature = sign_ed25519(keystore, at("x/ed"), message).value();
    CHECK(openssl_verify(ed_key.get(), nullptr, message, ed_signature));
    const Bytes der = sign_ecdsa(keystore, at("x/k1"), message, {false, EcdsaFormat::der}).value();
    CHECK(openssl_verify(k1_key.get(), EVP_sha256(), message, der));
    Bytes tampered = der;
    tampered[tampered.size() - 1] ^= 1;
    CHECK_FALSE(openssl_verify(k1_key.get(), EVP_sha256(), message, tampered));
  }
}
