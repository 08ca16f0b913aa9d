// Keccak-256, ECDSA over it and EVM addresses, against published known answers.
#include <cctype>
#include <string>

#include <doctest/doctest.h>

#include "fixture.hpp"
#include "stronghold/vault/evm.hpp"
#include "stronghold/vault/keccak.hpp"
#include "stronghold/vault/sign.hpp"
#include "stronghold/vault/verify.hpp"

namespace stronghold::test {
namespace {

using vault::EcdsaFormat;
using vault::EcdsaHash;
using vault::KeyType;

Bytes hex(std::string_view text) { return from_hex(text).value(); }
Bytes text_bytes(std::string_view text) { return Bytes(text.begin(), text.end()); }
std::string keccak_hex(ByteView message) { return to_hex(vault::keccak256(message)); }

// The web3.js documentation's account: its private key, address and the signature of
// "Some data" as an EIP-191 personal message (r || s || v, v = 27 + recovery id).
constexpr std::string_view kWeb3Key = "4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318";
constexpr std::string_view kWeb3Address = "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23";
constexpr std::string_view kWeb3Signature =
    "b91467e570a6466aa9e9876cbcd013baba02900b8979d43fe208a4a4f339f5fd"
    "6007e74cd82e037b800186422fc2da167c747ef045e5d18a5f5d4300f8e1a029";
constexpr std::string_view kPersonalMessage =
    "\x19"
    "Ethereum Signed Message:\n9Some data";

}  // namespace

TEST_CASE("Keccak-256 gives the Keccak team's known answers, not SHA3-256's") {
  // ShortMsgKAT_256 (KeccakKAT-3), byte-aligned lengths.
  CHECK(keccak_hex({}) == "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470");
  CHECK(keccak_hex(hex("cc")) == "eead6dbfc7340a56caedc044696a168870549a6a7f6f56961e84a54bd9970b8a");
  CHECK(keccak_hex(hex("41fb")) == "a8eaceda4d47b3281a795ad9e1ea2122b407baf9aabcb9e18b5717b7873537d2");
  CHECK(keccak_hex(hex("1f877c")) == "627d7bc1491b2ab127282827b8de2d276b13d7d70fb4c5957fdf20655bc7ac30");
  CHECK(keccak_hex(hex("c1ecfdfc")) == "b149e766d7612eaf7d55f74e1a4fdd63709a8115b14f61fcd22aa4abc8b8e122");
  CHECK(keccak_hex(hex("9f2fcc7c90de090d6b87cd7e9718c1ea6cb21118fc2d5de9f97e5db6ac1e9c10")) ==
        "24dd2ee02482144f539f810d2caa8a7b75d0fa33657e47932122d273c3f6f6d1");
  // SHA3-256 of the empty string is a7ffc6f8...: the padding is what differs.
  CHECK(keccak_hex({}) != "a7ffc6f8bf1ed76651c14756a061d662f580ff4de43b49fa82d80a4b80f8434a");
}

TEST_CASE("Keccak-256 of messages longer than one 136-byte block matches the reference") {
  CHECK(keccak_hex(text_bytes("abc")) == "4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45");
  CHECK(keccak_hex(text_bytes("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")) ==
        "45d3b367a6904e6e8d502ee04999a7c27647f91fa845d456525fd352ae3d7371");
  CHECK(keccak_hex(text_bytes("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopq"
                              "klmnopqrlmnopqrsmnopqrstnopqrstu")) ==
        "f519747ed599024f3882238e5ab43960132572b7345fbeb9a90769dafd21ad67");
  const Bytes million(1'000'000, 'a');
  CHECK(keccak_hex(million) == "fadae6b49f129bbb812be8407b7b2894f34aecf6dbd1f9b0f0c7e9853098fc96");
}

TEST_CASE("Keccak-256 is the digest Ethereum uses for selectors and personal messages") {
  CHECK(keccak_hex(text_bytes("transfer(address,uint256)")).starts_with("a9059cbb"));
  CHECK(keccak_hex(text_bytes(kPersonalMessage)) == "1da44b586eb0729ff70a73c326926f6ed5a25f5b056e7f47fbc6e58d86871655");
}

TEST_CASE("EIP-55 checksums give the EIP's own examples") {
  for (const std::string_view expected :
       {"0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
        "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB", "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb",
        "0x52908400098527886E0F7030069857D2E4169EE7", "0x8617E340B3D01FA5F11F306F4090FD50E238070D",
        "0xde709f2102306220921060314715629080e2fb77", "0x27b1fdb04752bbc536007a920d24acb045561c26"}) {
    std::string lower(expected.substr(2));
    for (char& c : lower)
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    CHECK(vault::eip55_address(hex(lower)).value() == expected);
  }
  CHECK(vault::eip55_address(Bytes(19, 0)).code() == Errc::invalid_argument);
  CHECK(vault::eip55_address(Bytes(21, 0)).code() == Errc::invalid_argument);
}

TEST_CASE("an EVM address needs an uncompressed public key") {
  CHECK(vault::evm_address(Bytes(64, 4)).code() == Errc::invalid_argument);
  Bytes compressed_prefix(65, 0);
  compressed_prefix[0] = 0x02;
  CHECK(vault::evm_address(compressed_prefix).code() == Errc::invalid_argument);
}

TEST_CASE_FIXTURE(KeystoreFixture, "a stored secp256k1 key has its known EVM address") {
  Bytes one(32, 0);
  one[31] = 1;
  put("eth/one", KeyType::secp256k1, one);
  put("eth/web3", KeyType::secp256k1, hex(kWeb3Key));
  CHECK(vault::evm_address(keystore, at("eth/one")).value() == "0x7E5F4552091A69125d5DfCb7b8C2659029395Bdf");
  CHECK(vault::evm_address(keystore, at("eth/web3")).value() == kWeb3Address);
  put("eth/ed", KeyType::ed25519, Bytes(32, 7));
  CHECK(vault::evm_address(keystore, at("eth/ed")).code() == Errc::wrong_key_type);
  CHECK(vault::evm_address(keystore, at("eth/missing")).code() == Errc::not_found);
}

TEST_CASE_FIXTURE(KeystoreFixture, "ECDSA over Keccak-256 gives web3's signature of a personal message") {
  put("eth/web3", KeyType::secp256k1, hex(kWeb3Key));
  const Bytes message = text_bytes(kPersonalMessage);
  const vault::EcdsaOptions recoverable{false, EcdsaFormat::recoverable, EcdsaHash::keccak256};
  const Bytes signature = vault::sign_ecdsa(keystore, at("eth/web3"), message, recoverable).value();
  REQUIRE(signature.size() == 65);
  CHECK(to_hex(ByteView(signature).first(64)) == kWeb3Signature);
  CHECK(signature[64] == 0x1c - 27);
  const vault::EcdsaOptions compact{false, EcdsaFormat::compact, EcdsaHash::keccak256};
  CHECK(vault::sign_ecdsa(keystore, at("eth/web3"), message, compact).value() ==
        Bytes(signature.begin(), signature.begin() + 64));
  // The same signature as over the Keccak digest given prehashed, and not the SHA-256 one.
  const auto digest = vault::keccak256(message);
  const Bytes prehashed = vault::sign_ecdsa(keystore, at("eth/web3"), digest, {true, EcdsaFormat::recoverable}).value();
  CHECK(prehashed == signature);
  CHECK(vault::sign_ecdsa(keystore, at("eth/web3"), message, {false, EcdsaFormat::recoverable}).value() != signature);
}

}  // namespace stronghold::test
