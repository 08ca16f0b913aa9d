// import.stronghold --preset identity: an IOTA Identity 0.6 account's DIDs, written here in the
// layout its Stronghold storage uses (no real file of this kind is at hand), moved into the
// identity storage with their keys, chain states and documents.
#include <doctest/doctest.h>
#include <sodium.h>

#include "actors/fast_options.hpp"
#include "snapshot/rust_stronghold_writer.hpp"
#include "stronghold/engine.hpp"
#include "stronghold/runtime/base58.hpp"
#include "support/temp_dir.hpp"

using namespace stronghold;
using namespace stronghold::actors;

namespace {

const Bytes kFileKey(32, 0x5a);
const Bytes kSigningSeed(32, 0x01);
const Bytes kAgreementSecret(32, 0x02);
const std::string kChainState =
    R"({"last_integration_message_id":"00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"})";

Bytes ed25519_public(const Bytes& seed) {
  Bytes public_key(crypto_sign_PUBLICKEYBYTES);
  Bytes secret_key(crypto_sign_SECRETKEYBYTES);
  crypto_sign_seed_keypair(public_key.data(), secret_key.data(), seed.data());
  return public_key;
}

Bytes x25519_public(const Bytes& secret) {
  Bytes public_key(crypto_scalarmult_BYTES);
  crypto_scalarmult_base(public_key.data(), secret.data());
  return public_key;
}

std::string method(const vault::Did& did, std::string_view fragment, std::string_view type, const Bytes& key) {
  return fmt::format(R"({{"id":"{0}#{1}","controller":"{0}","type":"{2}","publicKeyMultibase":"z{3}"}})",
                     did.to_string(), fragment, type, to_base58(key));
}

// One DID as Identity 0.6 leaves it: a signing key and an agreement key its document names, one
// key nothing names any more, a chain state and a document.
struct Account {
  vault::Did did = vault::Did::from_public_key("main", ed25519_public(kSigningSeed)).value();
  vault::KeyLocation signing =
      vault::KeyLocation::make(vault::IdentityKeyType::ed25519, "sign-0", ed25519_public(kSigningSeed)).value();
  vault::KeyLocation agreement =
      vault::KeyLocation::make(vault::IdentityKeyType::x25519, "kex-0", x25519_public(kAgreementSecret)).value();
  std::string document =
      fmt::format(R"({{"doc":{{"id":"{0}","capabilityInvocation":[{1}],"keyAgreement":[{2}]}},)"
                  R"("meta":{{"created":"2022-06-01T00:00:00Z","updated":"2022-06-01T00:00:00Z"}}}})",
                  did.to_string(), method(did, "sign-0", "Ed25519VerificationKey2018", ed25519_public(kSigningSeed)),
                  method(did, "kex-0", "X25519KeyAgreementKey2019", x25519_public(kAgreementSecret)));
  std::string index = fmt::format(R"(["{}"])", did.to_string());

  std::vector<test::RustRecord> records() const {
    const std::string& client = did.to_string();
    return {{client, "$vault", signing.canonical(), kSigningSeed},
            {client, "$vault", agreement.canonical(), kAgreementSecret},
            {client, "$vault", "retired:1234", Bytes(32, 0x03)}};
  }
  std::vector<test::RustStoreEntry> store() const {
    const auto bytes = [](const std::string& text) { return Bytes(text.begin(), text.end()); };
    return {{"$index", "$index", bytes(index)},
            {did.to_string(), "$chain_state", bytes(kChainState)},
            {did.to_string(), "$document", bytes(document)}};
  }
  Bytes file() const { return test::rust_snapshot_v2(test::rust_state(records(), store()), kFileKey); }
};

struct IdentityImport {
  test::TempDir dir;
  std::unique_ptr<Engine> engine = [this] {
    auto made = Engine::create(dir.file("identity.stronghold"), as_bytes("engine"), test::fast_engine_options());
    REQUIRE_MESSAGE(made.ok(), made.status().to_string());
    return std::move(made).value();
  }();
  Account account;

  Result<ImportReport> import(Bytes file, vault::Overwrite merge = vault::Overwrite::refuse) {
    return engine->call(
        ImportStronghold{std::move(file), {}, Secret::seal(kFileKey).value(), "identity", "", {}, merge});
  }
  std::vector<vault::ImportAction> actions(const ImportReport& report) {
    std::vector<vault::ImportAction> all;
    for (const ImportedEntry& entry : report.records)
      all.push_back(entry.action);
    return all;
  }
};

using enum vault::ImportAction;

}  // namespace

TEST_CASE_FIXTURE(IdentityImport, "An Identity 0.6 account imports with the keys its document names, and its values") {
  auto report = import(account.file());
  REQUIRE_MESSAGE(report.ok(), report.status().to_string());
  // Two keys, the one nothing names (skipped), the chain state and the document.
  CHECK(actions(*report) == std::vector{add, add, skip, add, add});
  CHECK(engine->call(DidExists{account.did}).value());
  CHECK(engine->call(DidKeyPublic{account.did, account.signing}).value() == ed25519_public(kSigningSeed));
  CHECK(engine->call(DidKeyPublic{account.did, account.agreement}).value() == x25519_public(kAgreementSecret));
  const Bytes message = {'h', 'i'};
  auto signatures = engine->call(DidKeySign{account.did, account.signing, {message}});
  REQUIRE(signatures.ok());
  CHECK(crypto_sign_verify_detached(signatures->at(0).data(), message.data(), message.size(),
                                    ed25519_public(kSigningSeed).data()) == 0);
  CHECK(engine->call(DidValueGet{account.did, vault::IdentityValue::chain_state}).value().json == kChainState);
  CHECK(engine->call(DidValueGet{account.did, vault::IdentityValue::document}).value().json == account.document);
}

TEST_CASE_FIXTURE(IdentityImport, "An imported DID is kept on a second import unless told to replace it") {
  REQUIRE(import(account.file()).ok());
  auto again = import(account.file());
  REQUIRE(again.ok());
  CHECK(actions(*again) == std::vector{keep});
  auto replaced = import(account.file(), vault::Overwrite::replace);
  REQUIRE_MESSAGE(replaced.ok(), replaced.status().to_string());
  CHECK(actions(*replaced) == std::vector{replace, replace, skip, replace, replace});
  CHECK(engine->call(DidKeyExists{account.did, account.signing}).value());
}

TEST_CASE_FIXTURE(IdentityImport, "An identity import that fails anywhere imports nothing") {
  SUBCASE("a method whose public key is not its record's key") {
    std::vector<test::RustRecord> records = account.records();
    records[1].secret = Bytes(32, 0x04);
    CHECK(import(test::rust_snapshot_v2(test::rust_state(records, account.store()), kFileKey)).code() ==
          Errc::invalid_key);
  }
  SUBCASE("an index that is not a JSON array of DIDs") {
    for (const std::string index : {"[\"did:iota:x\"", "{}", "[1]", "[\"did:example:123\"]"}) {
      CAPTURE(index);
      account.index = index;
      CHECK(import(account.file()).code() == Errc::invalid_argument);
    }
  }
  SUBCASE("a document or an index nested deeper than the identity storage takes") {
    const std::string deep = std::string(100'000, '[') + std::string(100'000, ']');
    SUBCASE("document") { account.document = deep; }
    SUBCASE("index") { account.index = deep; }
    const auto refused = import(account.file());
    CHECK(refused.code() == Errc::invalid_argument);
    CHECK(refused.status().message().find("deeper") != std::string::npos);
  }
  SUBCASE("a DID named twice in the index") {
    account.index = fmt::format(R"(["{0}","{0}"])", account.did.to_string());
    CHECK(import(account.file()).code() == Errc::invalid_argument);
  }
  SUBCASE("a file without a DID index") {
    auto store = account.store();
    store.erase(store.begin());
    CHECK(import(test::rust_snapshot_v2(test::rust_state(account.records(), store), kFileKey)).code() ==
          Errc::not_found);
  }
  CHECK_FALSE(engine->call(DidExists{account.did}).value());
  CHECK(engine->call(DidList{}).value().empty());
}
