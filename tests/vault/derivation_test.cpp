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
#include "stronghold/vault/compare.hpp"
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
constexpr std::size_t kLanguages = 10;
const std::string kIdeographicSpace = "\xe3\x80\x80";  // U+3000

std::string separator(Bip39Language language) { return language == Bip39Language::japanese ? kIdeographicSpace : " "; }

// The published list the library compiles in (vault/wordlists/<name>.txt, "_" for "-").
std::string wordlist_path(Bip39Language language) {
  std::string name(bip39_language_name(language));
  std::replace(name.begin(), name.end(), '-', '_');
  return "../vault/wordlists/" + name + ".txt";
}

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

// Recovers a vector's mnemonic at `where` and checks its seed and that the vector's xprv is the
// seed's master node (its chain code and key).
void recovers_vector(KeystoreFixture& f, const std::string& where, std::string_view mnemonic, ByteView passphrase,
                     const std::string& seed_hex, const std::string& xprv_text) {
  Transaction tx(f.keystore);
  REQUIRE(recover_mnemonic(tx, f.at(where), as_bytes(mnemonic), passphrase).ok());
  REQUIRE(f.keystore.commit(std::move(tx)).ok());
  CHECK(f.holds(where, from_hex(seed_hex).value()));
  const Bytes xprv = from_base58check(xprv_text).value();
  REQUIRE(xprv.size() == 78);
  const NodePublic master = derive_node_public(f.keystore, f.at(where), "m", Curve::secp256k1).value();
  CHECK(master.chain_code == Bytes(xprv.begin() + 13, xprv.begin() + 45));
  CHECK(master.public_key == secp256k1_public_of(ByteView(xprv.data() + 46, 32)));
}

std::size_t count_of(std::string_view text, std::string_view part) {
  std::size_t count = 0;
  for (std::size_t at = text.find(part); at != std::string_view::npos; at = text.find(part, at + part.size()))
    ++count;
  return count;
}

std::string canonical(std::string_view mnemonic, Bip39Language language = Bip39Language::any) {
  char text[kMaxMnemonicSize];
  const auto length = bip39_canonical(as_bytes(mnemonic), text, language);
  REQUIRE(length.ok());
  return std::string(text, *length);
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

    recovers_vector(*this, fmt::format("bip39/{}", ran), mnemonic, kTrezor, vector.at(2).get<std::string>(),
                    vector.at(3).get<std::string>());
    ++ran;
  }
  CHECK(ran == 24);
  CHECK(runtime::thread_scratch_is_clear());
}

// Word k of a list is the first word of the mnemonic of an entropy whose first 11 bits are k.
TEST_CASE("BIP39: each built-in wordlist is the published one, word for word") {
  for (std::size_t l = 0; l < kLanguages; ++l) {
    const auto language = static_cast<Bip39Language>(l);
    INFO(bip39_language_name(language));
    std::istringstream published(test::read_test_file(wordlist_path(language)));
    std::string word;
    unsigned index = 0;
    while (std::getline(published, word)) {
      INFO("word " << index);
      Bytes entropy(16, 0);
      entropy[0] = static_cast<std::uint8_t>(index >> 3);
      entropy[1] = static_cast<std::uint8_t>((index & 7) << 5);
      char text[kMaxMnemonicSize];
      const auto length = bip39_mnemonic_from_entropy(entropy, text, language);
      REQUIRE(length.ok());
      const std::string mnemonic(text, *length);
      CHECK(mnemonic.substr(0, mnemonic.find(separator(language))) == word);
      ++index;
    }
    CHECK(index == 2048);
  }
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

TEST_CASE_FIXTURE(KeystoreFixture, "BIP39: all 24 Japanese vectors, with ideographic spaces and NFKD passphrases") {
  const Json vectors = Json::parse(test::read_test_file("vectors/bip39/japanese-vectors.json"));
  int ran = 0;
  for (const Json& vector : vectors) {
    INFO("vector " << ran);
    const std::string mnemonic = vector.at("mnemonic").get<std::string>();
    REQUIRE(mnemonic.find(kIdeographicSpace) != std::string::npos);
    char text[kMaxMnemonicSize];
    const auto length = bip39_mnemonic_from_entropy(from_hex(vector.at("entropy").get<std::string>()).value(), text,
                                                    Bip39Language::japanese);
    REQUIRE(length.ok());
    // The vectors' kana are composed and the published list's decomposed: the words are the
    // same once read, and both forms join them with U+3000.
    CHECK(std::string(text, *length) == canonical(mnemonic));
    CHECK(std::string(text, *length) == canonical(mnemonic, Bip39Language::japanese));

    recovers_vector(*this, fmt::format("jp/{}", ran), mnemonic, as_bytes(vector.at("passphrase").get<std::string>()),
                    vector.at("seed").get<std::string>(), vector.at("bip32_xprv").get<std::string>());
    ++ran;
  }
  CHECK(ran == 24);
  CHECK(runtime::thread_scratch_is_clear());
}

TEST_CASE_FIXTURE(KeystoreFixture,
                  "BIP39: a mnemonic in each of the ten languages recovers the seed it was made with") {
  const Bytes probe = {1, 2, 3};
  for (std::size_t l = 0; l < kLanguages; ++l) {
    const auto language = static_cast<Bip39Language>(l);
    INFO(bip39_language_name(language));
    const std::string made = fmt::format("lang/{}", l);
    Transaction tx(keystore);
    auto mnemonic = generate_mnemonic(tx, at(made), 24, kTrezor, {}, language);
    REQUIRE(mnemonic.ok());
    {
      auto view = mnemonic->read();
      const std::string text(reinterpret_cast<const char*>(view.bytes().data()), view.bytes().size());
      // 23 separators: U+3000 in Japanese only.
      CHECK(count_of(text, separator(language)) == 23);
      CHECK(count_of(text, kIdeographicSpace) == (language == Bip39Language::japanese ? 23u : 0u));
      REQUIRE(recover_mnemonic(tx, at(made + "-found"), view.bytes(), kTrezor).ok());
      REQUIRE(recover_mnemonic(tx, at(made + "-named"), view.bytes(), kTrezor, {}, language).ok());
    }
    REQUIRE(keystore.commit(std::move(tx)).ok());
    const Bytes seed_mac = hmac(keystore, at(made), Hash::sha512, probe).value();
    CHECK(hmac(keystore, at(made + "-found"), Hash::sha512, probe).value() == seed_mac);
    CHECK(hmac(keystore, at(made + "-named"), Hash::sha512, probe).value() == seed_mac);
  }
  CHECK(runtime::thread_scratch_is_clear());
}

// The known answers were computed apart from this code, with Python's hashlib and unicodedata:
//   python3 -c "import hashlib, unicodedata as u; n = lambda s: u.normalize('NFKD', s).encode();
//     print(hashlib.pbkdf2_hmac('sha512', n(MNEMONIC), b'mnemonic' + n(PASSPHRASE), 2048).hex())"
// with MNEMONIC 'abandon ' * 11 + 'about' and PASSPHRASE 'P\u00e4ss' (or 'Pa\u0308ss': the same),
// and with the French mnemonic below (the list's words for entropy 7f * 16) and 'TREZOR'.
TEST_CASE_FIXTURE(KeystoreFixture, "BIP39: composed and decomposed text give the seed of their NFKD form") {
  const std::string abandon =
      "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about";
  const Bytes pass_seed =
      from_hex(
          "07e2d44e3e88af67f797618ed58708d133b235171ead7f697a09fe52cf320a4a3f0aa7c053bd1a7ff53ffb73b6cf"
          "00fdeff11512157db3ba1b7fdec0dde4e72f")
          .value();
  // "vélo..." with é as one character (U+00E9), as a keyboard types it; the list has e + U+0301.
  const std::string french =
      "implorer visage sonnette voyage v\xc3\xa9loce pourpre volaille tribunal implorer visage sonnette voyelle";
  const Bytes french_seed =
      from_hex(
          "ab9180b7dfdde74e5cf8781e5692e2c0b55afa8bc1987fa8e14e3fb83c88b195c53e9f939f8febc33d2958f5fc"
          "d8add57843cb318d8886130ef9c9879c826357")
          .value();
  Transaction tx(keystore);
  REQUIRE(recover_mnemonic(tx, at("nfkd/composed"), as_bytes(abandon), as_bytes("P\xc3\xa4ss")).ok());
  REQUIRE(recover_mnemonic(tx, at("nfkd/decomposed"), as_bytes(abandon), as_bytes("Pa\xcc\x88ss")).ok());
  REQUIRE(recover_mnemonic(tx, at("nfkd/french"), as_bytes(french), kTrezor).ok());
  REQUIRE(keystore.commit(std::move(tx)).ok());
  CHECK(holds("nfkd/composed", pass_seed));
  CHECK(holds("nfkd/decomposed", pass_seed));
  CHECK(holds("nfkd/french", french_seed));
  CHECK(canonical(french, Bip39Language::french) ==
        "implorer visage sonnette voyage ve\xcc\x81loce pourpre volaille tribunal implorer visage sonnette voyelle");
}

TEST_CASE("BIP39: Japanese words may be split by ASCII or ideographic spaces, and any other whitespace") {
  const Json vectors = Json::parse(test::read_test_file("vectors/bip39/japanese-vectors.json"));
  const std::string ideographic = vectors.at(0).at("mnemonic").get<std::string>();
  std::string ascii = ideographic;
  for (std::size_t at = ascii.find(kIdeographicSpace); at != std::string::npos; at = ascii.find(kIdeographicSpace))
    ascii.replace(at, kIdeographicSpace.size(), at % 2 ? " \t" : "\n");
  CHECK(canonical(ascii) == canonical(ideographic));
  CHECK(canonical(ascii).find(kIdeographicSpace) != std::string::npos);
}

TEST_CASE_FIXTURE(KeystoreFixture,
                  "BIP39: words of two lists, unknown words and oversized input are refused by position") {
  // Word 3 is French only, words 1 and 2 English only ("abandon", in both lists, would not do).
  const std::string mixed = "legal winner implorer year wave sausage worth useful legal winner thank yellow";
  Transaction tx(keystore);
  const Status two_lists = recover_mnemonic(tx, at("x/a"), as_bytes(mixed), {});
  CHECK(two_lists.code() == Errc::invalid_argument);
  CHECK(two_lists.message().find("word 3") != std::string::npos);
  CHECK(two_lists.message().find("another BIP39 wordlist") != std::string::npos);
  CHECK(two_lists.message().find("implorer") == std::string::npos);
  // A Japanese mnemonic named English: its first word is not in the English list.
  const std::string japanese =
      Json::parse(test::read_test_file("vectors/bip39/japanese-vectors.json")).at(0).at("mnemonic").get<std::string>();
  const Status named = recover_mnemonic(tx, at("x/b"), as_bytes(japanese), {}, {}, Bip39Language::english);
  CHECK(named.message().find("word 1 of the mnemonic is not in the BIP39 english list") != std::string::npos);
  const std::string unknown =
      "abandon abandon abandon abandon abandon abandon abandon zzyzx abandon abandon abandon about";
  const Status none = recover_mnemonic(tx, at("x/c"), as_bytes(unknown), {});
  CHECK(none.message().find("word 8 of the mnemonic is in no BIP39 wordlist") != std::string::npos);
  CHECK(none.message().find("zzyzx") == std::string::npos);
  const std::string valid =
      "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about";
  CHECK(recover_mnemonic(tx, at("x/d"), as_bytes(valid + std::string(kMaxMnemonicInput, ' ')), {}).code() ==
        Errc::invalid_argument);
  CHECK(recover_mnemonic(tx, at("x/e"), as_bytes(valid), Bytes(kMaxBip39Passphrase + 1, 'p')).code() ==
        Errc::invalid_argument);
  CHECK(recover_mnemonic(tx, at("x/f"), as_bytes(valid), Bytes{0xc3}).code() == Errc::invalid_argument);  // not UTF-8
  CHECK(generate_mnemonic(tx, at("x/g"), 12, {}, {}, Bip39Language::any).code() == Errc::invalid_argument);
  CHECK(std::move(tx).take().changes.empty());
  CHECK(runtime::thread_scratch_is_clear());
}

TEST_CASE("BIP39: language names are the wordlists' and read back") {
  for (std::size_t l = 0; l <= kLanguages; ++l) {
    const auto language = static_cast<Bip39Language>(l);
    CHECK(bip39_language_named(bip39_language_name(language)) == language);
  }
  CHECK(bip39_language_name(Bip39Language::chinese_traditional) == "chinese-traditional");
  CHECK_FALSE(bip39_language_named("chinese_simplified").has_value());
  CHECK_FALSE(bip39_language_named("English").has_value());
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

namespace {

// The path of one more step: "m/0'/1" for "m/0'" and "1".
std::string last_step(std::string_view path) { return fmt::format("m{}", path.substr(path.rfind('/'))); }

Bytes fingerprint_bytes(std::uint32_t fingerprint) {
  return {static_cast<std::uint8_t>(fingerprint >> 24), static_cast<std::uint8_t>(fingerprint >> 16),
          static_cast<std::uint8_t>(fingerprint >> 8), static_cast<std::uint8_t>(fingerprint)};
}

Bytes derive_into(Keystore& keystore, const Location& from, std::string_view path, Curve curve, const Location& into) {
  Transaction tx(keystore);
  auto public_key = derive_key(tx, from, path, curve, into);
  REQUIRE_MESSAGE(public_key.ok(), public_key.status().to_string());
  REQUIRE(keystore.commit(std::move(tx)).ok());
  return std::move(public_key).value();
}

}  // namespace

TEST_CASE_FIXTURE(KeystoreFixture, "SLIP-10: every vector again, one step at a time from the key before") {
  int nodes = 0;
  int vectors = 0;
  for (const SlipVector& vector : read_slip10_vectors()) {
    if (vector.curve != "ed25519" && vector.curve != "secp256k1")
      continue;
    const Curve curve = vector.curve == "ed25519" ? Curve::ed25519 : Curve::secp256k1;
    const std::string seed = fmt::format("steps/seed{}", vectors++);
    put(seed, KeyType::seed, vector.seed);
    std::string parent = seed;
    for (const SlipNode& node : vector.nodes) {
      if (node.path == "m")
        continue;  // the master node is the seed's, not a key's
      INFO(vector.curve << " " << node.path);
      const std::string key = fmt::format("steps/key{}", nodes++);
      const Bytes public_key = derive_into(keystore, at(parent), last_step(node.path), curve, at(key));
      CHECK(public_key == Bytes(node.public_key.begin() + (curve == Curve::ed25519 ? 1 : 0), node.public_key.end()));
      const NodePublic kept = derive_node_public(keystore, at(key), "m", curve).value();
      CHECK(kept.chain_code == node.chain_code);
      CHECK(kept.public_key == node.public_key);
      CHECK(fingerprint_bytes(kept.parent_fingerprint) == node.fingerprint);
      CHECK(kept.depth == std::count(node.path.begin(), node.path.end(), '/'));
      CHECK(record_equals(keystore, at(key), node.private_key).value());
      parent = key;
    }
  }
  CHECK(vectors == 4);
  CHECK(nodes == 20);
  CHECK(runtime::thread_scratch_is_clear());
}

TEST_CASE_FIXTURE(KeystoreFixture, "SLIP-10: a path from a derived key is the rest of the path from the seed") {
  put("seed/s", KeyType::seed, from_hex("000102030405060708090a0b0c0d0e0f").value());
  for (const Curve curve : {Curve::ed25519, Curve::secp256k1}) {
    const std::string name = curve == Curve::ed25519 ? "ed" : "k1";
    derive_into(keystore, at("seed/s"), "m/44'/0'", curve, at("k/" + name + "-account"));
    const Bytes two_steps =
        derive_into(keystore, at("k/" + name + "-account"), "m/7'/2147483647'", curve, at("k/" + name + "-leaf"));
    const Bytes whole =
        derive_into(keystore, at("seed/s"), "m/44'/0'/7'/2147483647'", curve, at("k/" + name + "-whole"));
    CHECK(two_steps == whole);
    CHECK(derive_node_public(keystore, at("k/" + name + "-leaf"), "m", curve).value().chain_code ==
          derive_node_public(keystore, at("seed/s"), "m/44'/0'/7'/2147483647'", curve).value().chain_code);
  }
  // secp256k1 takes unhardened steps from a key too, and its xpub is the seed's path's.
  CHECK(derive_xpub(keystore, at("k/k1-account"), "m/1/2").value() ==
        derive_xpub(keystore, at("seed/s"), "m/44'/0'/1/2").value());
}

namespace {

// SLIP-10 test vector 1 (seed 000102...0f): the private keys of m/0' on each curve.
const Bytes kVector1Seed = from_hex("000102030405060708090a0b0c0d0e0f").value();
const Bytes kEd25519Child = from_hex("68e0fe46dfb67e368c75379acec591dad19df3cde26e63b93a8e704f1dade7a3").value();
const Bytes kSecp256k1Child = from_hex("edb2e14f9ee77d26dd93b4ecede8d16ed408ce149b6cd80b0715a2d911a0afea").value();

}  // namespace

TEST_CASE_FIXTURE(KeystoreFixture, "SLIP-10: keys without a chain code and other records are no start") {
  put("seed/s", KeyType::seed, kVector1Seed);
  derive_into(keystore, at("seed/s"), "m/0'", Curve::ed25519, at("k/derived"));
  put("k/symmetric", KeyType::symmetric, Bytes(32, 1));
  // The same key as an older version stored a derived key: without its chain code.
  put("k/older", KeyType::ed25519, kEd25519Child);
  Transaction tx(keystore);
  REQUIRE(generate_key(tx, at("k/generated"), KeyType::ed25519).ok());
  REQUIRE(keystore.commit(std::move(tx)).ok());

  Transaction attempt(keystore);
  for (const char* plain : {"k/generated", "k/older"}) {
    const Status refused = derive_key(attempt, at(plain), "m/1'", Curve::ed25519, at("k/x")).status();
    CHECK(refused.code() == Errc::wrong_key_type);
    CHECK(refused.message().find("no chain code") != std::string::npos);
  }
  CHECK(derive_key(attempt, at("k/symmetric"), "m/1'", Curve::ed25519, at("k/x")).code() == Errc::wrong_key_type);
  CHECK(derive_key(attempt, at("k/derived"), "m/1'", Curve::secp256k1, at("k/x")).code() == Errc::invalid_argument);
  CHECK(derive_key(attempt, at("k/derived"), "m/1", Curve::ed25519, at("k/x")).code() == Errc::invalid_argument);
  CHECK(derive_key(attempt, at("k/none"), "m/1'", Curve::ed25519, at("k/x")).code() == Errc::not_found);
  std::string deep = "m";
  for (int step = 0; step < 255; ++step)
    deep += "/0'";
  CHECK(derive_key(attempt, at("seed/s"), deep, Curve::ed25519, at("k/x")).ok());  // depth 255 from the seed
  CHECK(derive_key(attempt, at("k/derived"), deep, Curve::ed25519, at("k/y")).code() == Errc::invalid_argument);
  CHECK(std::move(attempt).take().changes.size() == 2);  // k/x's key and its chain code: the failures wrote nothing
  Transaction again(keystore);
  CHECK(derive_key(again, at("k/derived"), "m/1'", Curve::ed25519, at("k/x")).ok());
}

TEST_CASE_FIXTURE(KeystoreFixture, "SLIP-10: a chain code is bound to its key, deleted and collected with it") {
  put("seed/s", KeyType::seed, kVector1Seed);
  const NodePublic node = derive_node_public(keystore, at("seed/s"), "m/0'", Curve::secp256k1).value();
  const auto chain_code_of = [&](const char* where) {
    return derive_node_public(keystore, at(where), "m", Curve::secp256k1);
  };
  // A key put over a derived one does not inherit its chain code.
  derive_into(keystore, at("seed/s"), "m/0'", Curve::secp256k1, at("k/a"));
  put("k/a", KeyType::secp256k1, Bytes(32, 7), Overwrite::replace);
  CHECK(chain_code_of("k/a").code() == Errc::wrong_key_type);

  // Deleted: the same key imported again has none.
  derive_into(keystore, at("seed/s"), "m/0'", Curve::secp256k1, at("k/b"));
  CHECK(chain_code_of("k/b").value().chain_code == node.chain_code);
  Transaction remove(keystore);
  REQUIRE(remove.revoke(at("k/b")).ok());
  REQUIRE(keystore.commit(std::move(remove)).ok());
  put("k/b", KeyType::secp256k1, kSecp256k1Child);
  CHECK(chain_code_of("k/b").code() == Errc::wrong_key_type);

  // Expired and collected: likewise.
  Transaction expiring(keystore);
  REQUIRE(derive_key(expiring, at("seed/s"), "m/0'", Curve::secp256k1, at("k/c"), {{}, *clock + 10}).ok());
  REQUIRE(keystore.commit(std::move(expiring)).ok());
  CHECK(chain_code_of("k/c").value().chain_code == node.chain_code);
  *clock += 10;
  REQUIRE(keystore.apply(keystore.garbage()).ok());
  CHECK(keystore.garbage().empty());
  put("k/c", KeyType::secp256k1, kSecp256k1Child);
  CHECK(chain_code_of("k/c").code() == Errc::wrong_key_type);
  CHECK(keystore.list().size() == 4);  // the seed, k/a, k/b, k/c: chain codes are not listed
}

TEST_CASE_FIXTURE(KeystoreFixture, "SLIP-10: a derived key's chain code travels with its vault's export") {
  put("seed/s", KeyType::seed, kVector1Seed);
  derive_into(keystore, at("seed/s"), "m/0'", Curve::ed25519, at("wallet/account"));
  const Bytes transfer_key(32, 0x33);
  for (const std::vector<std::string>& vaults : {std::vector<std::string>{"wallet"}, std::vector<std::string>{}}) {
    Keystore other = make(0x17);
    Transaction tx(other);
    const auto imported = tx.import_vaults(keystore.export_vaults(vaults, transfer_key).value(), transfer_key, false);
    REQUIRE(imported.ok());
    CHECK(imported->size() == (vaults.empty() ? 2 : 1));  // records only: the chain code goes unreported
    REQUIRE(other.commit(std::move(tx)).ok());
    CHECK(derive_node_public(other, at("wallet/account"), "m/1'", Curve::ed25519).value().public_key ==
          derive_node_public(keystore, at("seed/s"), "m/0'/1'", Curve::ed25519).value().public_key);
  }
}

TEST_CASE_FIXTURE(KeystoreFixture, "SLIP-10: a copied or moved derived key derives on where it lands") {
  put("seed/s", KeyType::seed, kVector1Seed);
  derive_into(keystore, at("seed/s"), "m/0'", Curve::secp256k1, at("k/a"));
  Transaction tx(keystore);
  REQUIRE(copy_record(tx, at("k/a"), at("k/copy")).ok());
  REQUIRE(keystore.commit(std::move(tx)).ok());
  Transaction move(keystore);
  REQUIRE(move_record(move, at("k/a"), at("other/moved")).ok());
  REQUIRE(keystore.commit(std::move(move)).ok());
  const Bytes expected = derive_node_public(keystore, at("seed/s"), "m/0'/1/2'", Curve::secp256k1).value().public_key;
  for (const char* where : {"k/copy", "other/moved"})
    CHECK(derive_node_public(keystore, at(where), "m/1/2'", Curve::secp256k1).value().public_key == expected);
  CHECK(derive_node_public(keystore, at("k/a"), "m/1/2'", Curve::secp256k1).code() == Errc::not_found);
}

TEST_CASE_FIXTURE(KeystoreFixture, "seeds: 16 to 64 random bytes, each a start for derivation") {
  Transaction tx(keystore);
  for (const std::size_t size : {std::size_t{0}, std::size_t{15}, std::size_t{65}}) {
    const Status refused = generate_seed(tx, at("seed/bad"), size);
    CHECK(refused.code() == Errc::invalid_argument);
    CHECK(refused.message().find("16 to 64") != std::string::npos);
  }
  REQUIRE(generate_seed(tx, at("seed/short"), 16).ok());
  REQUIRE(generate_seed(tx, at("seed/long"), 64).ok());
  REQUIRE(generate_seed(tx, at("seed/other"), 64).ok());
  CHECK(generate_seed(tx, at("seed/long"), 32).code() == Errc::already_exists);
  REQUIRE(keystore.commit(std::move(tx)).ok());
  for (const auto& [where, size] : {std::pair{"seed/short", 16u}, std::pair{"seed/long", 64u}}) {
    const std::size_t expected = size;  // a lambda may not capture a structured binding (C++17)
    REQUIRE(keystore
                .use(at(where), key_types(KeyType::seed),
                     [&](ByteView secret, const RecordView&) {
                       CHECK(secret.size() == expected);
                       return Status();
                     })
                .ok());
  }
  CHECK(derive_node_public(keystore, at("seed/long"), "m/0'", Curve::ed25519).value().public_key !=
        derive_node_public(keystore, at("seed/other"), "m/0'", Curve::ed25519).value().public_key);
  CHECK(!record_equals(keystore, at("seed/long"), Bytes(64, 0)).value());
}

TEST_CASE_FIXTURE(KeystoreFixture,
                  "a transaction reads what it staged: a seed derived from, a key copied, a deletion") {
  const Bytes seed(64, 0x42);
  vault::Transaction tx(keystore);
  REQUIRE(vault::import_key(tx, at("w/seed"), KeyType::seed, seed).ok());
  auto derived = vault::derive_key(tx, at("w/seed"), "m/44'/4218'/0'", vault::Curve::ed25519, at("w/derived"));
  REQUIRE_MESSAGE(derived.ok(), derived.status().to_string());
  auto child = vault::derive_key(tx, at("w/derived"), "m/1'", vault::Curve::ed25519, at("w/child"));
  REQUIRE_MESSAGE(child.ok(), child.status().to_string());  // the staged key's staged chain code
  REQUIRE(vault::copy_record(tx, at("w/child"), at("w/copy")).ok());
  REQUIRE(tx.revoke(at("w/derived")).ok());
  CHECK(vault::copy_record(tx, at("w/derived"), at("w/gone")).code() == Errc::not_found);
  REQUIRE(keystore.commit(std::move(tx)).ok());

  // The same keys as when each step commits before the next reads.
  vault::Transaction step(keystore);
  auto again = vault::derive_key(step, at("w/seed"), "m/44'/4218'/0'/1'", vault::Curve::ed25519, at("w/again"));
  REQUIRE(again.ok());
  REQUIRE(keystore.commit(std::move(step)).ok());
  CHECK(*again == *child);
  CHECK(keystore.public_key(at("w/copy")).value() == *child);
  CHECK_FALSE(keystore.exists(at("w/derived")));
  CHECK_FALSE(keystore.exists(at("w/gone")));
  // The copy kept the child's chain code: it derives as the child does.
  vault::Transaction from_copy(keystore);
  auto grandchild = vault::derive_key(from_copy, at("w/copy"), "m/2'", vault::Curve::ed25519, at("w/grandchild"));
  CHECK(grandchild.ok());
}

TEST_CASE_FIXTURE(KeystoreFixture, "a transaction reads the last of its own writes to a place") {
  put("w/key", KeyType::symmetric, Bytes(32, 1));
  vault::Transaction tx(keystore, vault::Overwrite::replace);
  REQUIRE(vault::import_key(tx, at("w/key"), KeyType::symmetric, Bytes(32, 2)).ok());
  REQUIRE(vault::import_key(tx, at("w/key"), KeyType::symmetric, Bytes(32, 3)).ok());
  Bytes seen;
  REQUIRE(tx.use(at("w/key"), vault::key_types(KeyType::symmetric), [&](ByteView secret, const vault::RecordView&) {
              seen.assign(secret.begin(), secret.end());
              return Status();
            }).ok());
  CHECK(seen == Bytes(32, 3));
  CHECK(tx.use(at("w/key"), vault::key_types(KeyType::ed25519), [](ByteView, const vault::RecordView&) {
            return Status();
          }).code() == Errc::wrong_key_type);
  CHECK(keystore
            .use(at("w/key"), vault::key_types(KeyType::symmetric),
                 [&](ByteView secret, const vault::RecordView&) {
                   seen.assign(secret.begin(), secret.end());
                   return Status();
                 })
            .ok());
  CHECK(seen == Bytes(32, 1));  // the keystore is as committed
}
