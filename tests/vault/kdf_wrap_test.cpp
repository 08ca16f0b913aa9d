// PBKDF2 with SHA-256, SHA-384 and SHA-512, the Concat KDF of a record with each hash, and AES key
// wrap (RFC 3394) between records, against published known answers and independent computations.
#include <string>

#include <doctest/doctest.h>

#include "fixture.hpp"
#include "stronghold/vault/jwe.hpp"
#include "stronghold/vault/key_wrap.hpp"
#include "stronghold/vault/mac.hpp"

namespace stronghold::test {
namespace {

using vault::Hash;
using vault::KeyType;

Bytes hex(std::string_view text) { return from_hex(text).value(); }
Bytes text_bytes(std::string_view text) { return Bytes(text.begin(), text.end()); }

// RFC 7518 Appendix C's shared secret Z (the ECDH-ES example).
const Bytes kZ = hex("9e56d91d817135d372834283bf84269cfb316ea3da806a48f6daa7798cfe90c4");

// RFC 3394 section 4: the KEK and key data its examples take prefixes of.
const Bytes kKek = hex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
const Bytes kKeyData = hex("00112233445566778899aabbccddeeff000102030405060708090a0b0c0d0e0f");

struct WrapExample {
  const char* section;
  std::size_t kek_size;
  std::size_t key_size;
  const char* wrapped;
};
const WrapExample kRfc3394[] = {
    {"4.1", 16, 16, "1fa68b0a8112b447aef34bd8fb5a7b829d3e862371d2cfe5"},
    {"4.2", 24, 16, "96778b25ae6ca435f92b5b97c050aed2468ab8a17ad84e5d"},
    {"4.3", 32, 16, "64e8c3f9ce0f5ba263e9777905818a2a93c8191e7d6e8ae7"},
    {"4.4", 24, 24, "031d33264e15d33268f24ec260743edce1c6c7ddee725a936ba814915c6762d2"},
    {"4.5", 32, 24, "a8f9bc1612c68b3ff6e6f4fbe30e71e4769c8b80a32cb8958cd5d17d6b254da1"},
    {"4.6", 32, 32, "28c9f404c4b810f4cbccb35cfb87f8263f5786e2d80ed326cbc7f0e71a99f43bfb988b9b7a02dd21"},
};

ByteView prefix(const Bytes& bytes, std::size_t size) { return ByteView(bytes).first(size); }

}  // namespace

TEST_CASE("PBKDF2 with SHA-256 gives RFC 7914's answers, and SHA-384 and SHA-512 Python's") {
  // RFC 7914 section 11 for SHA-256; the others from
  //   python3 -c "import hashlib; print(hashlib.pbkdf2_hmac('sha384', b'passwd', b'salt', 1, 64).hex())"
  // and the same with 'sha512', and with b'Password', b'NaCl', 80000.
  struct Vector {
    Hash hash;
    const char* password;
    const char* salt;
    std::uint32_t rounds;
    const char* derived;
  };
  const Vector vectors[] = {
      {Hash::sha256, "passwd", "salt", 1,
       "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc"
       "49ca9cccf179b645991664b39d77ef317c71b845b1e30bd509112041d3a19783"},
      {Hash::sha256, "Password", "NaCl", 80000,
       "4ddcd8f60b98be21830cee5ef22701f9641a4418d04c0414aeff08876b34ab56"
       "a1d425a1225833549adb841b51c9b3176a272bdebba1d078478f62b397f33c8d"},
      {Hash::sha384, "passwd", "salt", 1,
       "cd3443723a41cf1460cca9efeede428a8898a82d2ad4d1fc5cca08ed3f4d3cb4"
       "7a62a70b3cb9ce65dcbfb9fb9d425027a8be69b53e2a22674b0939e5e0a682f7"},
      {Hash::sha384, "Password", "NaCl", 80000,
       "11c198987730fa113458053cd5cc9b51d7024a35f9134f1ee8740923c901aab2"
       "3bbaea43686981b6e6a9f4130a1401daeeec74060246ebac958f3cfc3c65579b"},
      {Hash::sha512, "passwd", "salt", 1,
       "c74319d99499fc3e9013acff597c23c5baf0a0bec5634c46b8352b793e324723"
       "d55caa76b2b25c43402dcfdc06cdcf66f95b7d0429420b39520006749c51a04e"},
      {Hash::sha512, "Password", "NaCl", 80000,
       "e6337d6fbeb645c794d4a9b5b75b7b30dac9ac50376a91df1f4460f6060d5add"
       "b2c1fd1f84409abacc67de7eb4056e6bb06c2d82c3ef4ccd1bded0f675ed97c6"},
  };
  for (const Vector& vector : vectors) {
    Bytes out(64);
    REQUIRE(
        vault::pbkdf2_raw(vector.hash, text_bytes(vector.password), text_bytes(vector.salt), vector.rounds, out).ok());
    CHECK_MESSAGE(to_hex(out) == vector.derived, vector.password, " with hash ", static_cast<int>(vector.hash));
  }
  Bytes out(32);
  CHECK(vault::pbkdf2_raw(Hash::sha256, text_bytes("pw"), {}, 0, out).code() == Errc::invalid_argument);
}

TEST_CASE_FIXTURE(KeystoreFixture, "the Concat KDF of a record gives RFC 7518's key and each hash's") {
  put("kdf/z", KeyType::symmetric, kZ);
  const auto derive = [&](Hash hash, const char* algorithm, const vault::AgreementInfo& info, std::size_t length,
                          const char* into) {
    vault::Transaction tx(keystore);
    const Status derived = vault::concat_kdf(tx, at("kdf/z"), hash, algorithm, info, length, at(into));
    REQUIRE(derived.ok());
    REQUIRE(keystore.commit(std::move(tx)).ok());
  };
  // RFC 7518 Appendix C: "A128GCM", apu "Alice", apv "Bob", SuppPubInfo the 128 bits.
  derive(Hash::sha256, "A128GCM", {text_bytes("Alice"), text_bytes("Bob"), hex("00000080"), {}}, 16, "kdf/rfc");
  CHECK(holds("kdf/rfc", hex("56aa8deaf8236d205c2228cd71a7101a")));
  // 130 bytes (several rounds of each hash) with a private info, computed independently from the
  // formula in jwe.hpp with Python's hashlib (z = bytes.fromhex(kZ's hex)):
  //   python3 -c "import hashlib, struct; be = lambda n: struct.pack('>I', n); z = ...;
  //   print(b''.join(hashlib.new(H, be(i) + z + be(7) + b'A256GCM' + be(5) + b'Alice' + be(3) + b'Bob'
  //   + be(1040) + b'secret').digest() for i in range(1, 6))[:130].hex())"   for H in sha256, sha384, sha512
  const vault::AgreementInfo info{text_bytes("Alice"), text_bytes("Bob"), hex("00000410"), text_bytes("secret")};
  derive(Hash::sha256, "A256GCM", info, 130, "kdf/sha256");
  derive(Hash::sha384, "A256GCM", info, 130, "kdf/sha384");
  derive(Hash::sha512, "A256GCM", info, 130, "kdf/sha512");
  CHECK(holds("kdf/sha256",
              hex("f03c6d59d28e73ca73597a048f4ac6cae7a15582159c066372f59fda81487934579115731abdbf12f47ed0a4ecb5f49"
                  "93bb9cb4ee8521ee5a66afe801deddf82fbac5aedf092a2248c1152179c6884506f575307951e722cac44825f93002d"
                  "382771ce70eb547e9c62db9a622609419e9b55976ed5d21df2185d6b09ffa7315d8b36")));
  CHECK(holds("kdf/sha384",
              hex("c155bd6d196c47b411e87c1859827dc454ac24e22fe7d429a815a0e9fbf5cf56d62ace9560e313c81217fbfa1e7a5b3c"
                  "9d91b4fc67cdbe75198960d66627216ac409654264235cd10e1a9b0da967a13a84958972e2e8d86c9ecf281fb77be9a4"
                  "868222dc859387ec2987d609b6e094d12f07da01f5291d6b73dddc7e93eb08fed4d0")));
  CHECK(holds("kdf/sha512",
              hex("8ed39cd83191725ce2fc44ebfc3159c819e1f879c65eb63bfdf37f7c1af77276d350f955d18588d8b94a01894153c026"
                  "c60eb350e390ec68190a45b14117e7706a2e5105074cd09570783b17e4af2198d93ca786f28b919f474305c326e2a543"
                  "e536b4aa778d950feab983f4322af7b9d3e461641b465e0c5f958593a50bd4edfe70")));
  vault::Transaction tx(keystore);
  CHECK(vault::concat_kdf(tx, at("kdf/z"), Hash::sha256, "A128GCM", {}, 0, at("kdf/none")).code() ==
        Errc::invalid_argument);
  CHECK(vault::concat_kdf(tx, at("kdf/absent"), Hash::sha256, "A128GCM", {}, 16, at("kdf/none")).code() ==
        Errc::not_found);
}

TEST_CASE("AES key wrap gives RFC 3394's answers and unwraps them") {
  for (const WrapExample& example : kRfc3394) {
    const ByteView kek = prefix(kKek, example.kek_size), key = prefix(kKeyData, example.key_size);
    Bytes wrapped(example.key_size + vault::kKeyWrapOverhead), unwrapped(example.key_size);
    REQUIRE(vault::aes_key_wrap_raw(kek, key, wrapped).ok());
    CHECK_MESSAGE(to_hex(wrapped) == example.wrapped, "RFC 3394 ", example.section);
    REQUIRE(vault::aes_key_unwrap_raw(kek, hex(example.wrapped), unwrapped).ok());
    CHECK(unwrapped == Bytes(key.begin(), key.end()));
  }
}

TEST_CASE("AES key unwrap refuses altered bytes, another KEK and bad lengths") {
  const WrapExample& example = kRfc3394[5];
  Bytes unwrapped(32, 0x55);
  for (std::size_t i = 0; i < 40; ++i) {
    Bytes altered = hex(example.wrapped);
    altered[i] ^= 0x01;
    CHECK(vault::aes_key_unwrap_raw(kKek, altered, unwrapped).code() == Errc::authentication_failed);
    CHECK(unwrapped == Bytes(32, 0));  // nothing of a failed unwrap is left
  }
  Bytes other_kek = kKek;
  other_kek[31] ^= 0x80;
  CHECK(vault::aes_key_unwrap_raw(other_kek, hex(example.wrapped), unwrapped).code() == Errc::authentication_failed);
  Bytes short_out(8), wrapped16(16);
  CHECK(vault::aes_key_unwrap_raw(kKek, Bytes(16, 1), short_out).code() == Errc::invalid_argument);
  Bytes out25(25);
  CHECK(vault::aes_key_unwrap_raw(kKek, Bytes(33, 1), out25).code() == Errc::invalid_argument);
  CHECK(vault::aes_key_wrap_raw(kKek, Bytes(8, 1), wrapped16).code() == Errc::invalid_argument);
  Bytes wrapped20(28);
  CHECK(vault::aes_key_wrap_raw(kKek, Bytes(20, 1), wrapped20).code() == Errc::invalid_argument);
  Bytes wrapped24(24);
  CHECK(vault::aes_key_wrap_raw(Bytes(20, 1), Bytes(16, 1), wrapped24).code() == Errc::invalid_key);
  CHECK(vault::aes_key_unwrap_raw(Bytes(0), hex(example.wrapped), unwrapped).code() == Errc::invalid_key);
}

TEST_CASE_FIXTURE(KeystoreFixture, "a symmetric record wraps under a KEK record and unwraps into a new one") {
  put("w/kek", KeyType::symmetric, prefix(kKek, 16));
  put("w/key", KeyType::symmetric, prefix(kKeyData, 16));
  put("w/ed", KeyType::ed25519, Bytes(32, 7));
  auto wrapped = vault::wrap_key(keystore, at("w/key"), at("w/kek"));
  REQUIRE(wrapped.ok());
  CHECK(to_hex(*wrapped) == kRfc3394[0].wrapped);
  vault::Transaction tx(keystore);
  REQUIRE(vault::unwrap_key(tx, *wrapped, at("w/kek"), at("w/back")).ok());
  REQUIRE(keystore.commit(std::move(tx)).ok());
  CHECK(holds("w/back", prefix(kKeyData, 16)));
  CHECK(vault::wrap_key(keystore, at("w/ed"), at("w/kek")).code() == Errc::wrong_key_type);
  CHECK(vault::wrap_key(keystore, at("w/key"), at("w/ed")).code() == Errc::wrong_key_type);
  CHECK(vault::wrap_key(keystore, at("w/key"), at("w/none")).code() == Errc::not_found);
  Bytes altered = *wrapped;
  altered.back() ^= 0x01;
  vault::Transaction refused(keystore);
  CHECK(vault::unwrap_key(refused, altered, at("w/kek"), at("w/bad")).code() == Errc::authentication_failed);
  CHECK(vault::unwrap_key(refused, Bytes(4), at("w/kek"), at("w/bad")).code() == Errc::invalid_argument);
}

}  // namespace stronghold::test
