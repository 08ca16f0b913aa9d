// BIP39 and SLIP-10 vectors through the vault.
#include <regex>
#include <sstream>

#include <doctest/doctest.h>
#include <secp256k1.h>
#include <sodium.h>
#include <nlohmann/json.hpp>

#include "fixture.hpp"
#include "stronghold/runtime/base58.hpp"
#include "stronghold/runtime/scratch.hpp"
#include "stronghold/vault/bip39.hpp"
#include "stronghold/vault/sign.hpp"
#include "stronghold/vault/slip10.hpp"
#include "stronghold/vault/verify.hpp"
#include "support/test_files.hpp"

using namespace stronghold;
using namespace stronghold::vault;
using Json = nlohmann::json;
using stronghold::test::KeystoreFixture;

namespace {

const Bytes kTrezor = {'T', 'R', 'E', 'Z', 'O', 'R'};

// An independent computation with libsecp256k1 itself.
Bytes secp256k1_public_of(ByteView secret) {
  static secp256k1_context* const context = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
  secp256k1_pubkey point;
  REQUIRE(secp256k1_ec_pubkey_create(context, &point, secret.data()));
  Bytes out(33);
  std::size_t size = out.size();
  secp256k1_ec_pubkey_serialize(secp256k1_context_static, out.data(), &size, &point, SECP256K1_EC_COMPRESSED);
  return out;
}

}  // namespace

TEST_CASE_FIXTURE(KeystoreFixture, "BIP39: all 24 English vectors, entropy to mnemonic to seed to master key") {
  const Json vectors = nlohmann::json::parse(test::read_test_file("vectors/bip39/vectors.json"));
  int ran = 0;
  for (const Json& vector : vectors.at("english")) {
    const Bytes entropy = from_hex(vector.at(0).get<std::string>()).value();
    const std::string mnemonic = vector.at(1).get<std::string>();
    char text[kMaxMnemonicSize];
    const auto length = bip39_mnemonic_from_entropy(entropy, text);
    REQUIRE(length.ok());
    CHECK(std::string(text, *length) == mnemonic);

    const std::string where = fmt::format("bip39/{}", ran);
    Transaction tx(keystore);
    REQUIRE(recover_mnemonic(tx, at(where), as_bytes(mnemonic), kTrezor).ok());
    REQUIRE(keystore.commit(std::move(tx)).ok());
    CHECK(holds(where, from_hex(vector.at(2).get<std::string>()).value()));

    // The xprv of the vector is the master node of the seed: compare its chain code and key.
    const Bytes xprv = from_base58check(vector.at(3).get<std::string>()).value();
    REQUIRE(xprv.size() == 78);
    const NodePublic master = derive_node_public(keystore, at(where), "m", Curve::secp256k1).value();
    CHECK(master.chain_code == Bytes(xprv.begin() + 13, xprv.begin() + 45));
    CHECK(master.public_key == secp256k1_public_of(ByteView(xprv.data() + 46, 32)));
    ++ran;
  }
  CHECK(ran == 24);
  CHECK(runtime::thread_scratch_is_clear());
}

// Word k is the first word of the mnemonic of an entropy whose first 11 bits are k.
TEST_CASE("BIP39: the built-in English wordlist is the published one, word for word") {
  std::istringstream published(test::read_test_file("vectors/bip39/wordlists/english.txt"));
  std::string word;
  unsigned index = 0;
  while (std::getline(published, word)) {
    INFO("word " << index);
    Bytes entropy(16, 0);
    entropy[0] = static_cast<std::uint8_t>(index >> 3);
    entropy[1] = static_cast<std::uint8_t>((index & 7) << 5);
    char text[kMaxMnemonicSize];
    const auto length = bip39_mnemonic_from_entropy(entropy, text);
    REQUIRE(length.ok());
    const std::string mnemonic(text, *length);
    CHECK(mnemonic.substr(0, mnemonic.find(' ')) == word);
    ++index;
  }
  CHECK(index == 2048);
}

TEST_CASE_FIXTURE(KeystoreFixture, "BIP39: bad words, checksums and lengths are clear errors, and nothing is stored") {
  const std::string valid =
      "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about";
  Transaction tx(keystore);
  CHECK(recover_mnemonic(tx, at("m/a"), as_bytes("  " + valid + "\n"), {}).ok());  // whitespace is forgiven
  const auto bad_word = recover_mnemonic(tx, at("m/b"), as_bytes("abandon abandonn" + valid.substr(15)), {});
  CHECK(bad_word.code() == Errc::invalid_argument);
  CHECK(bad_word.message().find("word 2") != std::string::npos);
  CHECK(bad_word.message().find("abandonn") == std::string::npos);  // never echo the secret
  CHECK(recover_mnemonic(tx, at("m/c"), as_bytes(valid.substr(0, valid.size() - 5) + "abandon"), {}).code() ==
        Errc::invalid_argument);  // checksum
  CHECK(recover_mnemonic(tx, at("m/d"), as_bytes("abandon abandon abandon"), {}).code() == Errc::invalid_argument);
  CHECK(recover_mnemonic(tx, at("m/e"), as_bytes("abandonabandonabandon"), {}).code() == Errc::invalid_argument);
  CHECK(generate_mnemonic(tx, at("m/f"), 13, {}).code() == Errc::invalid_argument);
  // A word with a NUL or a control character after it is not that word (the seed would differ).
  std::string with_nul = valid;
  with_nul.insert(7, 1, '\0');
  const auto nul = recover_mnemonic(tx, at("m/g"), as_bytes(with_nul), {});
  CHECK(nul.code() == Errc::invalid_argument);
  CHECK(nul.message().find("word 1") != std::string::npos);
  CHECK(recover_mnemonic(tx, at("m/h"), as_bytes("Abandon" + valid.substr(7)), {}).code() == Errc::invalid_argument);
  CHECK(recover_mnemonic(tx, at("m/i"), as_bytes(valid + "\x01"), {}).code() == Errc::invalid_argument);
  const ChangeSet changes = std::move(tx).take();
  CHECK(changes.changes.size() == 2);  // the vault and the one good seed
}

TEST_CASE_FIXTURE(KeystoreFixture, "BIP39: a generated mnemonic recovers to the same seed") {
  for (const unsigned words : {12u, 24u}) {
    Transaction tx(keystore);
    const std::string first = fmt::format("gen/{}", words);
    auto mnemonic = generate_mnemonic(tx, at(first), words, kTrezor);
    REQUIRE(mnemonic.ok());
    const std::string recovered = fmt::format("gen/{}-again", words);
    {
      auto view = mnemonic->read();
      std::size_t spaces = std::count(view.bytes().begin(), view.bytes().end(), ' ');
      CHECK(spaces + 1 == words);
      REQUIRE(recover_mnemonic(tx, at(recovered), view.bytes(), kTrezor).ok());
    }
    REQUIRE(keystore.commit(std::move(tx)).ok());
    const Bytes probe = {1, 2, 3};
    CHECK(hmac(keystore, at(first), Hash::sha512, probe).value() ==
          hmac(keystore, at(recovered), Hash::sha512, probe).value());
  }
}

namespace {

struct SlipNode {
  std::string path;
  Bytes fingerprint, chain_code, private_key, public_key;
};
struct SlipVector {
  std::string curve;
  Bytes seed;
  std::vector<SlipNode> nodes;
};

// The test vectors of slip-0010.md ("### Test vector N for CURVE", "Seed (hex): ...", then one
// "* Chain m/0<sub>H</sub>/..." item per node with fingerprint, chain code, private, public).
std::vector<SlipVector> read_slip10_vectors() {
  std::istringstream in(test::read_test_file("vectors/slip10/slip-0010.md"));
  std::vector<SlipVector> vectors;
  const std::regex heading(R"(^### Test vector \d+ for (\w+))");
  std::string line;
  std::smatch match;
  while (std::getline(in, line)) {
    if (std::regex_search(line, match, heading)) {
      vectors.push_back({match[1], {}, {}});
    } else if (vectors.empty()) {
      continue;
    } else if (line.rfind("Seed (hex): ", 0) == 0) {
      vectors.back().seed = from_hex(line.substr(12)).value();
    } else if (line.rfind("* Chain ", 0) == 0) {
      vectors.back().nodes.push_back(
          {std::regex_replace(line.substr(8), std::regex("<sub>H</sub>"), "'"), {}, {}, {}, {}});
    } else if (!vectors.back().nodes.empty()) {
      SlipNode& node = vectors.back().nodes.back();
      const auto field = [&](const char* name, Bytes& out) {
        const std::string prefix = std::string("  * ") + name + ": ";
        if (line.rfind(prefix, 0) == 0)
          out = from_hex(line.substr(prefix.size())).value();
      };
      field("fingerprint", node.fingerprint);
      field("chain code", node.chain_code);
      field("private", node.private_key);
      field("public", node.public_key);
    }
  }
  return vectors;
}

}  // namespace

TEST_CASE_FIXTURE(KeystoreFixture,
                  "SLIP-10: every ed25519 and secp256k1 vector (chain codes, private and public keys)") {
  int nodes = 0;
  int vectors = 0;
  const Bytes message = {'s', 'l', 'i', 'p'};
  for (const SlipVector& vector : read_slip10_vectors()) {
    if (vector.curve != "ed25519" && vector.curve != "secp256k1")
      continue;
    const Curve curve = vector.curve == "ed25519" ? Curve::ed25519 : Curve::secp256k1;
    const std::string seed = fmt::format("slip10/seed{}", vectors++);
    put(seed, KeyType::seed, vector.seed);
    for (const SlipNode& node : vector.nodes) {
      INFO(vector.curve << " " << node.path);
      const NodePublic derived = derive_node_public(keystore, at(seed), node.path, curve).value();
      CHECK(derived.chain_code == node.chain_code);
      CHECK(derived.public_key == node.public_key);
      CHECK(derived.parent_fingerprint ==
            (std::uint32_t{node.fingerprint[0]} << 24 | std::uint32_t{node.fingerprint[1]} << 16 |
             std::uint32_t{node.fingerprint[2]} << 8 | node.fingerprint[3]));

      // The private key: the derived record signs exactly as the vector's key does.
      const std::string key = fmt::format("slip10/key{}", nodes++);
      Transaction tx(keystore);
      REQUIRE(derive_key(tx, at(seed), node.path, curve, at(key)).ok());
      REQUIRE(keystore.commit(std::move(tx)).ok());
      const std::string reference = key + "-reference";
      put(reference, curve == Curve::ed25519 ? KeyType::ed25519 : KeyType::secp256k1, node.private_key);
      if (curve == Curve::ed25519)
        CHECK(sign_ed25519(keystore, at(key), message).value() ==
              sign_ed25519(keystore, at(reference), message).value());
      else
        CHECK(sign_ecdsa(keystore, at(key), message).value() == sign_ecdsa(keystore, at(reference), message).value());
    }
  }
  CHECK(vectors == 4);
  CHECK(nodes == 24);
}

TEST_CASE_FIXTURE(KeystoreFixture, "SLIP-10: paths, hardening rules and extended public keys") {
  CHECK(parse_derivation_path("m/44'/4218'/0'/0'/0'").value() ==
        std::vector<std::uint32_t>{44 | kHardened, 4218 | kHardened, kHardened, kHardened, kHardened});
  CHECK(parse_derivation_path("m/0/1h/2H").value() == std::vector<std::uint32_t>{0, 1 | kHardened, 2 | kHardened});
  CHECK(parse_derivation_path("m").value().empty());
  for (const char* bad : {"", "x/1", "m/", "m//1", "m/1''", "m/2147483648", "m/-1", "m/1/a"})
    CHECK_MESSAGE(parse_derivation_path(bad).code() == Errc::invalid_argument, bad);

  put("seed/s", KeyType::seed, from_hex("000102030405060708090a0b0c0d0e0f").value());
  put("seed/not-a-seed", KeyType::symmetric, Bytes(32, 1));
  Transaction tx(keystore);
  CHECK(derive_key(tx, at("seed/s"), "m/0'/1", Curve::ed25519, at("k/x")).code() == Errc::invalid_argument);
  CHECK(derive_key(tx, at("seed/not-a-seed"), "m/0'", Curve::ed25519, at("k/x")).code() == Errc::wrong_key_type);
  CHECK(derive_key(tx, at("seed/none"), "m/0'", Curve::ed25519, at("k/x")).code() == Errc::not_found);
  // BIP32 test vector 1: the extended public keys of m and m/0'.
  CHECK(
      derive_xpub(keystore, at("seed/s"), "m").value() ==
      "xpub661MyMwAqRbcFtXgS5sYJABqqG9YLmC4Q1Rdap9gSE8NqtwybGhePY2gZ29ESFjqJoCu1Rupje8YtGqsefD265TMg7usUDFdp6W1EGMcet8");
  CHECK(
      derive_xpub(keystore, at("seed/s"), "m/0'").value() ==
      "xpub68Gmy5EdvgibQVfPdqkBBCHxA5htiqg55crXYuXoQRKfDBFA1WEjWgP6LHhwBZeNK1VTsfTFUHCdrfp1bgwQ9xv5ski8PX9rL2dZXvgGDnw");
}
