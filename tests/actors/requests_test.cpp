// The vocabulary's later kinds through the façade's Engine::call: known answers where published
// vectors exist, round trips, and the errors a caller meets.
#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <future>
#include <limits>
#include <memory>
#include <mutex>

#include <doctest/doctest.h>

#include "stronghold/engine.hpp"
#include "stronghold/vault/aead.hpp"
#include "stronghold/vault/mac.hpp"
#include "stronghold/vault/verify.hpp"
#include "support/temp_dir.hpp"

using namespace stronghold;
using namespace stronghold::actors;
using vault::KeyType;
using vault::Location;

namespace {

const Bytes kPassword = {'r', 'e', 'q'};
const Bytes kMessage = {'H', 'i', ' ', 'T', 'h', 'e', 'r', 'e'};
constexpr std::int64_t kStart = 1'700'000'000;

Location at(std::string_view text) { return Location::parse(text).value(); }
Bytes hex(std::string_view text) { return from_hex(text).value(); }
Secret sealed(ByteView plaintext) { return Secret::seal(plaintext).value(); }
Secret sealed(std::string_view text) {
  return sealed(ByteView(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()));
}

// A secret's plaintext, opened for comparison in a test (test values only).
Bytes opened(const Secret& secret) {
  Bytes plaintext;
  REQUIRE(secret
              .open([&](ByteView bytes) {
                plaintext.assign(bytes.begin(), bytes.end());
                return Status();
              })
              .ok());
  return plaintext;
}

Bytes local_hmac(vault::Hash hash, ByteView key, ByteView message) {
  Bytes tag(vault::hash_size(hash));
  REQUIRE(vault::hmac_raw(hash, key, message, tag).ok());
  return tag;
}

// An engine on a fresh file whose keystore reads the test's clock.
struct RequestsFixture {
  test::TempDir dir;
  std::shared_ptr<std::atomic<std::int64_t>> now = std::make_shared<std::atomic<std::int64_t>>(kStart);
  std::unique_ptr<Engine> engine = [this] {
    stronghold::EngineOptions options;
    options.snapshot.kdf = snapshot::KdfPreset::fast;
    options.snapshot.clock = [now = now] { return now->load(); };
    options.actors.signers = 1;
    auto created = Engine::create(dir.file("requests.stronghold"), kPassword, options);
    REQUIRE_MESSAGE(created.ok(), created.status().to_string());
    return std::move(created).value();
  }();

  Bytes import(const Location& location, KeyType type, ByteView secret) {
    auto imported = engine->call(ImportKey{location, type, sealed(secret)});
    REQUIRE_MESSAGE(imported.ok(), imported.status().to_string());
    return *imported;
  }
  // The HMAC-SHA256 of kMessage under the record at `location`: how a test sees a stored key.
  Bytes tag_of(const Location& location) { return engine->call(Hmac{location, vault::Hash::sha256, kMessage}).value(); }
};

}  // namespace

TEST_CASE_FIXTURE(RequestsFixture, "symmetric keys are generated and imported, and key HMACs with known answers") {
  const Bytes generated = engine->call(GenerateKey{at("k/gen"), KeyType::symmetric}).value();
  CHECK(generated.empty());  // a symmetric key has no public side
  CHECK(engine->call(PublicKey{at("k/gen")}).code() == Errc::wrong_key_type);
  CHECK(tag_of(at("k/gen")).size() == 32);

  // RFC 4231, test case 1.
  CHECK(import(at("k/rfc4231"), KeyType::symmetric, Bytes(20, 0x0b)).empty());
  CHECK(tag_of(at("k/rfc4231")) == hex("b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"));
  CHECK(engine->call(Hmac{at("k/rfc4231"), vault::Hash::sha512, kMessage}).value() ==
        hex("87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cde"
            "daa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854"));

  // RFC 4231, test cases 1 and 2 for HMAC-SHA-384.
  CHECK(engine->call(Hmac{at("k/rfc4231"), vault::Hash::sha384, kMessage}).value() ==
        hex("afd03944d84895626b0825f4ab46907f15f9dadbe4101ec682aa034c7cebc59cfaea9ea9076ede7f4af152e8b2fa9cb6"));
  import(at("k/jefe"), KeyType::symmetric, Bytes{'J', 'e', 'f', 'e'});
  const std::string_view question = "what do ya want for nothing?";
  CHECK(engine->call(Hmac{at("k/jefe"), vault::Hash::sha384, Bytes(question.begin(), question.end())}).value() ==
        hex("af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e8e2240ca5e69e2c78b3239ecfab21649"));

  CHECK(engine->call(GenerateKey{at("k/gen"), KeyType::symmetric}).code() == Errc::already_exists);
  CHECK(engine->call(GenerateKey{at("k/gen"), KeyType::symmetric, vault::Overwrite::replace}).ok());
  REQUIRE(engine->call(GenerateKey{at("k/ed"), KeyType::ed25519}).ok());
  CHECK(engine->call(Hmac{at("k/ed"), vault::Hash::sha256, kMessage}).code() == Errc::wrong_key_type);
  CHECK(engine->call(Hmac{at("k/none"), vault::Hash::sha256, kMessage}).code() == Errc::not_found);
}

TEST_CASE_FIXTURE(RequestsFixture, "keys expire at a time or after a while, and an expired key is refused") {
  REQUIRE(engine->call(GenerateKey{at("k/short"), KeyType::ed25519, vault::Overwrite::refuse, kStart + 10}).ok());
  REQUIRE(
      engine
          ->call(ImportKey{at("k/imported"), KeyType::symmetric, sealed("key"), vault::Overwrite::refuse, kStart + 10})
          .ok());
  const Bytes public_key = engine->call(GenerateKey{at("k/long"), KeyType::ed25519}).value();
  REQUIRE(engine->call(ExpireKey{at("k/long"), 0, 100}).ok());
  CHECK(engine->call(PublicKey{at("k/long")}).value() == public_key);  // the same key, with an expiry
  const auto listed = engine->call(ListRecords{}).value();
  REQUIRE(listed.size() == 3);
  CHECK(listed[0].location == at("k/imported"));
  CHECK(listed[0].expires_at == kStart + 10);
  CHECK(listed[1].location == at("k/long"));
  CHECK(listed[1].expires_at == kStart + 100);
  CHECK(listed[2].expires_at == kStart + 10);

  now->store(kStart + 10);
  CHECK(engine->call(Sign{at("k/short"), kMessage}).code() == Errc::expired);
  CHECK(engine->call(Hmac{at("k/imported"), vault::Hash::sha256, kMessage}).code() == Errc::expired);
  CHECK(engine->call(ExpireKey{at("k/short"), 0, 100}).code() == Errc::expired);
  CHECK(vault::verify_ed25519(public_key, kMessage, engine->call(Sign{at("k/long"), kMessage}).value()));
  REQUIRE(engine->call(ExpireKey{at("k/long")}).ok());  // never again
  now->store(kStart + 1000);
  CHECK(engine->call(Sign{at("k/long"), kMessage}).ok());

  CHECK(engine->call(ExpireKey{at("k/long"), kStart + 2000, 5}).code() == Errc::invalid_argument);
  CHECK(engine->call(ExpireKey{at("k/none"), kStart + 2000}).code() == Errc::not_found);
  CHECK(engine->call(GenerateKey{at("k/far"), KeyType::ed25519, vault::Overwrite::refuse, ~std::uint64_t{0}}).code() ==
        Errc::invalid_argument);
}

TEST_CASE_FIXTURE(RequestsFixture, "an expiry too far from now is refused and the key keeps signing") {
  const Bytes public_key = engine->call(GenerateKey{at("k/kept"), KeyType::ed25519}).value();
  // Added to the clock, these would wrap past zero (or past the largest time) to an expiry in
  // the past: the key would be refused at once and wiped at the next gc.
  for (const std::uint64_t in : {~std::uint64_t{0}, ~std::uint64_t{0} - kStart + 1,
                                 static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())})
    CHECK(engine->call(ExpireKey{at("k/kept"), 0, in}).code() == Errc::invalid_argument);
  REQUIRE(engine->call(CollectGarbage{}).ok());
  CHECK(engine->call(ListRecords{}).value().at(0).expires_at == 0);
  CHECK(vault::verify_ed25519(public_key, kMessage, engine->call(Sign{at("k/kept"), kMessage}).value()));
}

TEST_CASE_FIXTURE(RequestsFixture, "BIP340 Schnorr signs the published vector and fresh messages") {
  // Vector 1 of tests/vectors/bip340/test-vectors.csv.
  import(at("k/k1"), KeyType::secp256k1, hex("B7E151628AED2A6ABF7158809CF4F3C762E7160F38B4DA56A784D9045190CFEF"));
  const Bytes message = hex("243F6A8885A308D313198A2E03707344A4093822299F31D0082EFA98EC4E6C89");
  const Bytes aux = hex("0000000000000000000000000000000000000000000000000000000000000001");
  CHECK(engine->call(SignSchnorr{at("k/k1"), message, aux}).value() ==
        hex("6896BD60EEAE296DB48A229FF71DFE071BDE413E6D43F917DC8DCF8C78DE3341"
            "8906D11AC976ABCCB20B091292BFF4EA897EFCB639EA871CFA95F6DE339E4B0A"));
  const Bytes x_only = hex("DFF1D77F2A671C5F36183726DB2341BE58FEAE1DA2DECED843240F7B502BA659");
  CHECK(vault::verify_schnorr(x_only, kMessage, engine->call(SignSchnorr{at("k/k1"), kMessage}).value()));

  REQUIRE(engine->call(GenerateKey{at("k/ed"), KeyType::ed25519}).ok());
  CHECK(engine->call(SignSchnorr{at("k/ed"), kMessage}).code() == Errc::wrong_key_type);
  CHECK(engine->call(SignSchnorr{at("k/none"), kMessage}).code() == Errc::not_found);
  CHECK(engine->call(SignSchnorr{at("k/k1"), kMessage, Bytes(31)}).code() == Errc::invalid_argument);
}

TEST_CASE_FIXTURE(RequestsFixture, "an extended public key matches SLIP-10 test vector 1") {
  import(at("k/seed"), KeyType::seed, hex("000102030405060708090a0b0c0d0e0f"));
  const ExtendedPublic node = engine->call(NodePublicKey{at("k/seed"), "m/0'"}).value();
  CHECK(node.depth == 1);
  CHECK(node.parent_fingerprint == 0x3442193eu);
  CHECK(node.child_number == 0x8000'0000u);
  CHECK(node.chain_code == hex("47fdacbd0f1097043b78c63c20c34ef4ed9a111d980047ad16282c7ae6236141"));
  CHECK(node.public_key == hex("035a784662a4a20a65bf6aab9ae98a6c068a81c52e4b032c0fb5400c706cfccc56"));
  CHECK(
      node.xpub ==
      "xpub68Gmy5EdvgibQVfPdqkBBCHxA5htiqg55crXYuXoQRKfDBFA1WEjWgP6LHhwBZeNK1VTsfTFUHCdrfp1bgwQ9xv5ski8PX9rL2dZXvgGDnw");
  const ExtendedPublic ed = engine->call(NodePublicKey{at("k/seed"), "m/0'", vault::Curve::ed25519}).value();
  CHECK(ed.public_key.size() == 33);
  CHECK(ed.xpub.empty());

  CHECK(engine->call(NodePublicKey{at("k/seed"), "m/x"}).code() == Errc::invalid_argument);
  CHECK(engine->call(NodePublicKey{at("k/none"), "m/0'"}).code() == Errc::not_found);
}

TEST_CASE_FIXTURE(RequestsFixture,
                  "a mnemonic recovers the BIP39 vector's seed, and a generated one recovers its own") {
  const std::string_view words =
      "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon "
      "abandon about";
  REQUIRE(engine->call(RecoverMnemonic{at("m/vector"), sealed(words), sealed("TREZOR")}).ok());
  const Bytes seed =
      hex("c55257c360c07c72029aebc1b53c05ed0362ada38ead3e3e9efa3708e53495531f09a6987599d18264c1e1c92f2cf141"
          "630c7a3c4ab7c81b2f001698e7463b04");
  CHECK(tag_of(at("m/vector")) == local_hmac(vault::Hash::sha256, seed, kMessage));

  const Secret mnemonic = engine->call(GenerateMnemonic{at("m/new"), 12}).value();
  const Bytes text = opened(mnemonic);
  CHECK(std::count(text.begin(), text.end(), ' ') == 11);
  REQUIRE(engine->call(RecoverMnemonic{at("m/again"), mnemonic}).ok());
  CHECK(tag_of(at("m/again")) == tag_of(at("m/new")));

  CHECK(engine->call(RecoverMnemonic{at("m/again"), mnemonic}).code() == Errc::already_exists);
  CHECK(engine->call(GenerateMnemonic{at("m/odd"), 13}).code() == Errc::invalid_argument);
  CHECK(engine->call(RecoverMnemonic{at("m/bad"), sealed("abandon abandon")}).code() == Errc::invalid_argument);
  CHECK(engine->call(RecoverMnemonic{at("m/none")}).code() == Errc::invalid_argument);
}

TEST_CASE_FIXTURE(RequestsFixture, "a mnemonic is made in the language asked for and recovered in it or found") {
  const Secret mnemonic =
      engine->call(GenerateMnemonic{.at = at("ko/new"), .words = 12, .language = vault::Bip39Language::korean}).value();
  const Bytes text = opened(mnemonic);
  CHECK(std::count(text.begin(), text.end(), ' ') == 11);
  CHECK(std::all_of(text.begin(), text.end(), [](std::uint8_t c) { return c == ' ' || c >= 0x80; }));  // Hangul
  REQUIRE(engine->call(RecoverMnemonic{.at = at("ko/found"), .mnemonic = mnemonic}).ok());
  REQUIRE(
      engine
          ->call(RecoverMnemonic{.at = at("ko/named"), .mnemonic = mnemonic, .language = vault::Bip39Language::korean})
          .ok());
  CHECK(tag_of(at("ko/found")) == tag_of(at("ko/new")));
  CHECK(tag_of(at("ko/named")) == tag_of(at("ko/new")));
  const Status wrong =
      engine->call(RecoverMnemonic{.at = at("ko/wrong"), .mnemonic = mnemonic, .language = vault::Bip39Language::czech})
          .status();
  CHECK(wrong.message().find("word 1 of the mnemonic is not in the BIP39 czech list") != std::string::npos);
  CHECK(engine->call(GenerateMnemonic{.at = at("ko/any"), .words = 12, .language = vault::Bip39Language::any}).code() ==
        Errc::invalid_argument);
}

TEST_CASE_FIXTURE(RequestsFixture, "agreement stores the Wycheproof shared secrets, which never come back") {
  import(at("a/x"), KeyType::x25519, hex("c8a9d5a91091ad851c668b0736c1c9a02936c0d3ad62670858088047ba057475"));
  REQUIRE(engine
              ->call(AgreeKey{at("a/x"), hex("504a36999f489cd2fdbc08baff3d88fa00569ba986cba22548ffde80f9806829"),
                              at("a/x-shared")})
              .ok());
  CHECK(tag_of(at("a/x-shared")) == local_hmac(vault::Hash::sha256,
                                               hex("436a2c040cf45fea9b29a0cb81b1f41458f863d0d61b453d0a982720d6d61320"),
                                               kMessage));

  import(at("a/k1"), KeyType::secp256k1, hex("f4b7ff7cccc98813a69fae3df222bfe3f4e28f764bf91b4a10d8096ce446b254"));
  const Bytes peer =
      hex("04d8096af8a11e0b80037e1ee68246b5dcbb0aeb1cf1244fd767db80f3fa27da2b396812ea1686e7472e9692eaf3e958"
          "e50e9500d3b4c77243db1f2acd67ba9cc4");
  REQUIRE(engine->call(AgreeKey{at("a/k1"), peer, at("a/k1-shared")}).ok());
  CHECK(tag_of(at("a/k1-shared")) == local_hmac(vault::Hash::sha256,
                                                hex("544dfae22af6af939042b1d85b71a1e49e9a5614123c4d6ad0c8af65baf87d65"),
                                                kMessage));

  CHECK(engine->call(AgreeKey{at("a/k1"), peer, at("a/k1-shared")}).code() == Errc::already_exists);
  REQUIRE(engine->call(GenerateKey{at("a/ed"), KeyType::ed25519}).ok());
  CHECK(engine->call(AgreeKey{at("a/ed"), peer, at("a/out")}).code() == Errc::wrong_key_type);
  CHECK(engine->call(AgreeKey{at("a/none"), peer, at("a/out")}).code() == Errc::not_found);
  CHECK(engine->call(AgreeKey{at("a/x"), Bytes(32, 0), at("a/out")}).code() == Errc::invalid_key);
}

TEST_CASE_FIXTURE(RequestsFixture, "HKDF and PBKDF2 store the keys of RFC 5869 and Wycheproof") {
  import(at("d/ikm"), KeyType::symmetric, Bytes(22, 0x0b));
  REQUIRE(engine
              ->call(Hkdf{at("d/ikm"), vault::Hash::sha256, hex("000102030405060708090a0b0c"),
                          hex("f0f1f2f3f4f5f6f7f8f9"), 42, at("d/okm")})
              .ok());
  CHECK(tag_of(at("d/okm")) ==
        local_hmac(vault::Hash::sha256,
                   hex("3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865"),
                   kMessage));

  REQUIRE(
      engine->call(Pbkdf2{sealed(hex("7130577430643470")), hex("798acc7c76739d75"), 4096, 16, at("d/pbkdf2")}).ok());
  CHECK(tag_of(at("d/pbkdf2")) == local_hmac(vault::Hash::sha256, hex("4935390897319c3efc15d19304109c79"), kMessage));

  CHECK(engine->call(Pbkdf2{sealed("pw"), {}, kMaxPbkdf2Rounds + 1, 32, at("d/slow")}).code() ==
        Errc::invalid_argument);
  CHECK(engine->call(Pbkdf2{sealed("pw"), {}, 1, 32, at("d/pbkdf2")}).code() == Errc::already_exists);
  CHECK(engine->call(Hkdf{at("d/none"), vault::Hash::sha256, {}, {}, 32, at("d/out")}).code() == Errc::not_found);
  CHECK(engine->call(Hkdf{at("d/ikm"), vault::Hash::sha256, {}, {}, 0, at("d/out")}).code() == Errc::invalid_argument);
}

TEST_CASE_FIXTURE(RequestsFixture, "PBKDF2 runs with the hash the request names") {
  const auto derive = [&](vault::Hash hash, const char* into) {
    REQUIRE(
        engine->call(Pbkdf2{sealed("passwd"), hex("73616c74"), 1, 64, at(into), vault::Overwrite::refuse, hash}).ok());
  };
  derive(vault::Hash::sha256, "p/sha256");
  derive(vault::Hash::sha384, "p/sha384");
  // RFC 7914 section 11; SHA-384: python3 -c "import hashlib;
  // print(hashlib.pbkdf2_hmac('sha384', b'passwd', b'salt', 1, 64).hex())"
  CHECK(tag_of(at("p/sha256")) == local_hmac(vault::Hash::sha256,
                                             hex("55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc"
                                                 "49ca9cccf179b645991664b39d77ef317c71b845b1e30bd509112041d3a19783"),
                                             kMessage));
  CHECK(tag_of(at("p/sha384")) == local_hmac(vault::Hash::sha256,
                                             hex("cd3443723a41cf1460cca9efeede428a8898a82d2ad4d1fc5cca08ed3f4d3cb4"
                                                 "7a62a70b3cb9ce65dcbfb9fb9d425027a8be69b53e2a22674b0939e5e0a682f7"),
                                             kMessage));
}

TEST_CASE_FIXTURE(RequestsFixture, "the Concat KDF of an agreement gives both parties one key, and RFC 7518's") {
  const Bytes alice = import(at("c/alice"), KeyType::x25519, Bytes(32, 0x0a));
  const Bytes bob = import(at("c/bob"), KeyType::x25519, Bytes(32, 0x0b));
  REQUIRE(engine->call(AgreeKey{at("c/alice"), bob, at("c/alice-z")}).ok());
  REQUIRE(engine->call(AgreeKey{at("c/bob"), alice, at("c/bob-z")}).ok());
  const auto concat = [&](const char* from, vault::Hash hash, const char* into) {
    return engine->call(
        ConcatKdf{at(from), hash, "ECDH-ES+A256KW", Bytes{'A'}, Bytes{'B'}, Bytes{0, 0, 1, 0}, Bytes{}, 32, at(into)});
  };
  REQUIRE(concat("c/alice-z", vault::Hash::sha512, "c/alice-kek").ok());
  REQUIRE(concat("c/bob-z", vault::Hash::sha512, "c/bob-kek").ok());
  REQUIRE(concat("c/bob-z", vault::Hash::sha256, "c/bob-sha256").ok());
  CHECK(tag_of(at("c/alice-kek")) == tag_of(at("c/bob-kek")));
  CHECK(tag_of(at("c/bob-sha256")) != tag_of(at("c/bob-kek")));
  CHECK(concat("c/bob-z", vault::Hash::sha256, "c/bob-sha256").code() == Errc::already_exists);
  CHECK(concat("c/bob", vault::Hash::sha256, "c/out").code() == Errc::wrong_key_type);
  CHECK(concat("c/none", vault::Hash::sha256, "c/out").code() == Errc::not_found);

  // RFC 7518 Appendix C: Z, "A128GCM", apu "Alice", apv "Bob", 128 bits.
  import(at("c/z"), KeyType::symmetric, hex("9e56d91d817135d372834283bf84269cfb316ea3da806a48f6daa7798cfe90c4"));
  REQUIRE(engine
              ->call(ConcatKdf{at("c/z"), vault::Hash::sha256, "A128GCM", Bytes{'A', 'l', 'i', 'c', 'e'},
                               Bytes{'B', 'o', 'b'}, Bytes{0, 0, 0, 128}, Bytes{}, 16, at("c/rfc")})
              .ok());
  CHECK(tag_of(at("c/rfc")) == local_hmac(vault::Hash::sha256, hex("56aa8deaf8236d205c2228cd71a7101a"), kMessage));
}

TEST_CASE_FIXTURE(RequestsFixture, "a key wraps under a KEK record as RFC 3394 says and unwraps into a record") {
  // RFC 3394 section 4.4: a 192-bit key under a 192-bit KEK.
  import(at("w/kek"), KeyType::symmetric, hex("000102030405060708090a0b0c0d0e0f1011121314151617"));
  import(at("w/key"), KeyType::symmetric, hex("00112233445566778899aabbccddeeff0001020304050607"));
  const Bytes wrapped = engine->call(WrapKey{at("w/key"), at("w/kek")}).value();
  CHECK(to_hex(wrapped) == "031d33264e15d33268f24ec260743edce1c6c7ddee725a936ba814915c6762d2");
  REQUIRE(engine->call(UnwrapKey{wrapped, at("w/kek"), at("w/back")}).ok());
  CHECK(tag_of(at("w/back")) == tag_of(at("w/key")));

  CHECK(engine->call(UnwrapKey{wrapped, at("w/kek"), at("w/back")}).code() == Errc::already_exists);
  CHECK(engine->call(UnwrapKey{wrapped, at("w/kek"), at("w/back"), vault::Overwrite::replace}).ok());
  Bytes altered = wrapped;
  altered[3] ^= 0x10;
  CHECK(engine->call(UnwrapKey{altered, at("w/kek"), at("w/altered")}).code() == Errc::authentication_failed);
  CHECK(engine->call(Hmac{at("w/altered"), vault::Hash::sha256, kMessage}).code() == Errc::not_found);
  CHECK(engine->call(UnwrapKey{wrapped, at("w/key"), at("w/other")}).code() == Errc::authentication_failed);
  CHECK(engine->call(UnwrapKey{Bytes(20, 1), at("w/kek"), at("w/short")}).code() == Errc::invalid_argument);
  import(at("w/ed"), KeyType::ed25519, Bytes(32, 3));
  CHECK(engine->call(WrapKey{at("w/ed"), at("w/kek")}).code() == Errc::wrong_key_type);
  CHECK(engine->call(WrapKey{at("w/key"), at("w/none")}).code() == Errc::not_found);
}

TEST_CASE_FIXTURE(RequestsFixture, "AEAD seals the Wycheproof vector and refuses a changed byte") {
  const Bytes message =
      hex("4c616469657320616e642047656e746c656d656e206f662074686520636c617373206f66202739393a2049662049"
          "20636f756c64206f6666657220796f75206f6e6c79206f6e652074697020666f7220746865206675747572652c"
          "2073756e73637265656e20776f756c642062652069742e");
  const Bytes aad = hex("50515253c0c1c2c3c4c5c6c7");
  import(at("e/key"), KeyType::symmetric, hex("808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f"));
  const AeadSealed known = engine
                               ->call(AeadEncrypt{at("e/key"), vault::Aead::xchacha20poly1305, sealed(message), aad,
                                                  hex("404142434445464748494a4b4c4d4e4f5051525354555657")})
                               .value();
  CHECK(known.ciphertext ==
        hex("bd6d179d3e83d43b9576579493c0e939572a1700252bfaccbed2902c21396cbb731c7f1b0b4aa6440bf3a82f4eda7e39ae64c6708c"
            "54c216cb96b72e1213b4522f8c9ba40db5d945b11b69b982c1bb9e3f3fac2bc369488f76b2383565d3fff921f9664c97637da97688"
            "12f615c68b13b52e"));
  CHECK(known.tag == hex("c0875924c1c7987947deafd8780acf49"));
  CHECK(opened(engine->call(AeadDecrypt{at("e/key"), vault::Aead::xchacha20poly1305, known, aad}).value()) == message);

  for (const vault::Aead cipher : {vault::Aead::xchacha20poly1305, vault::Aead::aes256gcm}) {
    AeadSealed fresh = engine->call(AeadEncrypt{at("e/key"), cipher, sealed(kMessage), aad}).value();
    CHECK(fresh.nonce.size() == vault::aead_nonce_size(cipher));
    CHECK(opened(engine->call(AeadDecrypt{at("e/key"), cipher, fresh, aad}).value()) == kMessage);
    fresh.ciphertext[0] ^= 1;
    CHECK(engine->call(AeadDecrypt{at("e/key"), cipher, fresh, aad}).code() == Errc::authentication_failed);
  }
  REQUIRE(engine->call(GenerateKey{at("e/ed"), KeyType::ed25519}).ok());
  CHECK(engine->call(AeadEncrypt{at("e/ed"), vault::Aead::aes256gcm, sealed(kMessage)}).code() == Errc::wrong_key_type);
  CHECK(engine->call(AeadDecrypt{at("e/none"), vault::Aead::aes256gcm, known}).code() == Errc::not_found);
  CHECK(engine->call(AeadDecrypt{at("e/key"), vault::Aead::aes256gcm, {known.nonce, known.ciphertext, {}}}).code() ==
        Errc::invalid_argument);
}

TEST_CASE_FIXTURE(RequestsFixture, "secrets are listed and deleted, and records are listed with their public keys") {
  REQUIRE(engine->call(PutSecret{"mail", sealed("pw")}).ok());
  REQUIRE(engine->call(PutSecret{"bank", sealed("pin")}).ok());
  REQUIRE(engine->call(DidCreate{"main", "sign-0", Secret{}}).ok());  // its entries are the identity storage's
  CHECK(engine->call(ListSecrets{}).value() == std::vector<std::string>{"bank", "mail"});
  REQUIRE(engine->call(DeleteSecret{"mail"}).ok());
  CHECK(engine->call(ListSecrets{}).value() == std::vector<std::string>{"bank"});
  CHECK(engine->call(GetSecret{"mail"}).code() == Errc::not_found);
  CHECK(engine->call(DeleteSecret{"mail"}).code() == Errc::not_found);

  const Bytes ed = engine->call(GenerateKey{at("v1/ed"), KeyType::ed25519}).value();
  REQUIRE(engine->call(GenerateKey{at("v2/sym"), KeyType::symmetric}).ok());
  REQUIRE(engine->call(GenerateKey{at("v2/gone"), KeyType::x25519}).ok());
  REQUIRE(engine->call(DeleteKey{at("v2/gone")}).ok());
  const auto v1 = engine->call(ListRecords{"v1"}).value();
  REQUIRE(v1.size() == 1);
  CHECK(v1[0].location == at("v1/ed"));
  CHECK(v1[0].type == KeyType::ed25519);
  CHECK(v1[0].public_key == ed);
  CHECK(v1[0].created_at == kStart);
  const auto v2 = engine->call(ListRecords{"v2"}).value();
  REQUIRE(v2.size() == 1);  // the deleted record is not listed
  CHECK(v2[0].type == KeyType::symmetric);
  CHECK(v2[0].public_key.empty());
  CHECK(engine->call(ListRecords{"v3"}).value().empty());
}

TEST_CASE_FIXTURE(RequestsFixture, "vaults exported to a key import into another engine once the sender is confirmed") {
  const Bytes sender = engine->call(GenerateKey{at("me/sign"), KeyType::ed25519}).value();
  REQUIRE(engine->call(GenerateKey{at("share/k1"), KeyType::secp256k1}).ok());
  const Bytes k1 = engine->call(PublicKey{at("share/k1")}).value();

  RequestsFixture other;
  const Bytes recipient = other.engine->call(GenerateKey{at("in/x"), KeyType::x25519}).value();
  const Bytes file = engine->call(ExportVaults{recipient, at("me/sign"), {"share"}}).value();

  const ImportReport planned = other.engine->call(ImportVaults{file, at("in/x")}).value();
  CHECK_FALSE(planned.imported);
  CHECK(planned.sender == sender);
  REQUIRE(planned.records.size() == 1);
  CHECK(planned.records[0].name == "share/k1");
  CHECK(other.engine->call(PublicKey{at("share/k1")}).code() == Errc::not_found);

  CHECK(other.engine->call(ImportVaults{file, at("in/x"), recipient}).code() == Errc::authentication_failed);
  const ImportReport done = other.engine->call(ImportVaults{file, at("in/x"), sender}).value();
  CHECK(done.imported);
  CHECK(done.records[0].action == vault::ImportAction::add);
  CHECK(other.engine->call(PublicKey{at("share/k1")}).value() == k1);
  const ImportReport again = other.engine->call(ImportVaults{file, at("in/x"), sender}).value();
  CHECK(again.records[0].action == vault::ImportAction::keep);

  CHECK(engine->call(ExportVaults{recipient, at("share/k1")}).code() == Errc::wrong_key_type);
  Bytes damaged = file;
  damaged[damaged.size() / 2] ^= 1;
  CHECK(other.engine->call(ImportVaults{damaged, at("in/x"), sender}).code() == Errc::authentication_failed);
}

TEST_CASE_FIXTURE(RequestsFixture, "vaults exported with a password import into another engine with that password") {
  const Bytes sender = engine->call(GenerateKey{at("me/sign"), KeyType::ed25519}).value();
  REQUIRE(engine->call(GenerateKey{at("share/k1"), KeyType::secp256k1}).ok());
  const Bytes k1 = engine->call(PublicKey{at("share/k1")}).value();
  const Bytes file = engine->call(ExportWithPassword{sealed("transfer"), at("me/sign"), {"share"}}).value();

  RequestsFixture other;
  const Bytes stranger = other.engine->call(GenerateKey{at("in/ed"), KeyType::ed25519}).value();
  CHECK(other.engine->call(ImportWithPassword{file, sealed("wrong")}).code() == Errc::authentication_failed);
  CHECK(other.engine->call(ImportWithPassword{file, sealed("transfer"), stranger}).code() ==
        Errc::authentication_failed);
  CHECK(other.engine->call(PublicKey{at("share/k1")}).code() == Errc::not_found);

  // No sender named: the password vouches for it, and the report names who signed.
  const ImportReport done = other.engine->call(ImportWithPassword{file, sealed("transfer")}).value();
  CHECK(done.imported);
  CHECK(done.sender == sender);
  REQUIRE(done.records.size() == 1);
  CHECK(done.records[0].name == "share/k1");
  CHECK(done.records[0].action == vault::ImportAction::add);
  CHECK(other.engine->call(PublicKey{at("share/k1")}).value() == k1);
  const ImportReport again =
      other.engine->call(ImportWithPassword{file, sealed("transfer"), sender, vault::Overwrite::replace}).value();
  CHECK(again.records.at(0).action == vault::ImportAction::replace);

  // The import was journaled: the file holds it.
  other.engine.reset();
  const auto reopened = Engine::open(other.dir.file("requests.stronghold"), kPassword, {}).value();
  CHECK(reopened->call(PublicKey{at("share/k1")}).value() == k1);

  CHECK(engine->call(ExportWithPassword{sealed("transfer"), at("share/k1")}).code() == Errc::wrong_key_type);
  CHECK(engine->call(ExportWithPassword{Secret{}, at("me/sign")}).code() == Errc::invalid_argument);
}

TEST_CASE_FIXTURE(RequestsFixture, "the vault actor answers other requests while a password export's KDF runs") {
  REQUIRE(engine->call(GenerateKey{at("me/sign"), KeyType::ed25519}).ok());
  import(at("k/mac"), KeyType::symmetric, Bytes(20, 0x0b));
  // Both through the façade's one asynchronous client, so the vault actor gets the export first.
  // The callbacks own what they set: they may still run while the test reads the futures.
  struct Answers {
    std::atomic<bool> exported{false};
    std::promise<Result<Bytes>> file;
    std::promise<bool> export_done_before_mac;
  };
  auto answers = std::make_shared<Answers>();
  auto file = answers->file.get_future();
  auto export_done_before_mac = answers->export_done_before_mac.get_future();
  engine->call_async(ExportWithPassword{sealed("transfer"), at("me/sign")}, [answers](Result<Bytes> exported) {
    answers->exported = true;
    answers->file.set_value(std::move(exported));
  });
  engine->call_async(Hmac{at("k/mac"), vault::Hash::sha256, kMessage}, [answers](const Result<Bytes>&) {
    answers->export_done_before_mac.set_value(answers->exported.load());
  });
  CHECK_FALSE(export_done_before_mac.get());
  CHECK_FALSE(file.get().value().empty());
}

TEST_CASE_FIXTURE(RequestsFixture, "password KDFs beyond four at once are answered busy, and the four finish") {
  // Six PBKDF2 requests reach the vault actor within microseconds; each KDF takes a good part of
  // a second. The callbacks own what they fill: they may run after the wait below gave up.
  struct Codes {
    std::mutex mutex;
    std::condition_variable answered;
    std::vector<Errc> codes;
  };
  auto codes = std::make_shared<Codes>();
  constexpr int kRequests = 6;
  for (int i = 0; i < kRequests; ++i)
    engine->call_async(Pbkdf2{sealed("pw"), hex("00"), 200'000, 32, at("kdf/k" + std::to_string(i))},
                       [codes](const Result<Done>& done) {
                         const std::lock_guard guard(codes->mutex);
                         codes->codes.push_back(done.status().code());
                         codes->answered.notify_all();
                       });
  std::unique_lock lock(codes->mutex);
  REQUIRE(codes->answered.wait_for(lock, std::chrono::seconds(120), [&] { return codes->codes.size() == kRequests; }));
  CHECK(std::count(codes->codes.begin(), codes->codes.end(), Errc::busy) == 2);
  CHECK(std::count(codes->codes.begin(), codes->codes.end(), Errc::ok) == 4);
}
