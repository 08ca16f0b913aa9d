#include <algorithm>
#include <thread>

#include <doctest/doctest.h>

#include "fixture.hpp"
#include "stronghold/runtime/scratch.hpp"
#include "stronghold/vault/compare.hpp"
#include "stronghold/vault/exchange.hpp"
#include "stronghold/vault/sign.hpp"
#include "stronghold/vault/verify.hpp"

using namespace stronghold;
using namespace stronghold::vault;
using stronghold::test::KeystoreFixture;

namespace {

const Bytes kSeed(32, 0x11);
const Bytes kMessage = {'h', 'e', 'l', 'l', 'o'};

PutRecord& only_record(ChangeSet& set) {
  for (Change& change : set.changes)
    if (auto* put = std::get_if<PutRecord>(&change))
      return *put;
  FAIL("no record in change set");
  throw;
}

}  // namespace

TEST_CASE_FIXTURE(KeystoreFixture, "a stored key signs, lists and reports its metadata, never its secret") {
  const Bytes public_key = put("wallet/main", KeyType::ed25519, kSeed);
  CHECK(public_key.size() == 32);
  CHECK(keystore.exists(at("wallet/main")));
  CHECK(keystore.public_key(at("wallet/main")).value() == public_key);
  auto signature = sign_ed25519(keystore, at("wallet/main"), kMessage);
  REQUIRE(signature.ok());
  CHECK(verify_ed25519(public_key, kMessage, *signature));
  CHECK(runtime::thread_scratch_is_clear());

  const auto listed = keystore.list();
  REQUIRE(listed.size() == 1);
  CHECK(listed[0].location.to_string() == "wallet/main");
  CHECK(listed[0].type == KeyType::ed25519);
  CHECK(listed[0].version == 1);
  CHECK(listed[0].created_at == *clock);
}

TEST_CASE_FIXTURE(KeystoreFixture, "unknown locations, wrong key types and bad locations are clear errors") {
  put("wallet/ed", KeyType::ed25519, kSeed);
  CHECK(sign_ed25519(keystore, at("wallet/none"), kMessage).code() == Errc::not_found);
  CHECK(sign_ed25519(keystore, at("other/none"), kMessage).code() == Errc::not_found);
  CHECK(sign_ecdsa(keystore, at("wallet/ed"), kMessage).code() == Errc::wrong_key_type);
  CHECK(sign_ed25519(keystore, Location{"bad/vault", "r"}, kMessage).code() == Errc::invalid_argument);
  CHECK(hmac(keystore, at("wallet/ed"), Hash::sha256, kMessage).code() == Errc::wrong_key_type);
}

TEST_CASE_FIXTURE(KeystoreFixture, "ids are keyed hashes that reveal neither the path nor repeat across snapshots") {
  put("wallet/main", KeyType::ed25519, kSeed);
  ChangeSet state = keystore.state();
  const Record& record = only_record(state).record;
  const std::string id(record.id.begin(), record.id.end());
  CHECK(id.find("main") == std::string::npos);

  KeystoreFixture other;
  other.keystore = other.make(0x43);
  other.put("wallet/main", KeyType::ed25519, kSeed);
  ChangeSet other_state = other.keystore.state();
  CHECK(only_record(other_state).record.id != record.id);
}

TEST_CASE_FIXTURE(KeystoreFixture, "a record is rejected after tampering, moving or rollback") {
  put("wallet/a", KeyType::ed25519, kSeed);
  const ChangeSet first = keystore.state();
  put("wallet/a", KeyType::ed25519, Bytes(32, 0x22), Overwrite::replace);  // version 2
  put("wallet/b", KeyType::ed25519, Bytes(32, 0x33));

  auto reload = [&](const ChangeSet& set) {
    Keystore copy = make();
    REQUIRE(copy.apply(set).ok());
    return copy;
  };
  ChangeSet current = keystore.state();
  auto record_at = [&](ChangeSet& set, std::string_view path) -> Record& {
    for (Change& change : set.changes)
      if (auto* put = std::get_if<PutRecord>(&change); put && put->record.path == path)
        return put->record;
    FAIL("missing record");
    throw;
  };
  SUBCASE("untouched state signs") { CHECK(sign_ed25519(reload(current), at("wallet/a"), kMessage).ok()); }
  SUBCASE("a flipped bit") {
    record_at(current, "a").sealed[30] ^= 1;
    CHECK(sign_ed25519(reload(current), at("wallet/a"), kMessage).code() == Errc::corrupted);
  }
  SUBCASE("a blob moved to another record") {
    record_at(current, "b").sealed = record_at(current, "a").sealed;
    CHECK(sign_ed25519(reload(current), at("wallet/b"), kMessage).code() == Errc::corrupted);
  }
  SUBCASE("a blob rolled back to an older version") {
    ChangeSet old = first;
    record_at(current, "a").sealed = record_at(old, "a").sealed;
    CHECK(sign_ed25519(reload(current), at("wallet/a"), kMessage).code() == Errc::corrupted);
  }
  SUBCASE("a relabelled public key") {
    record_at(current, "a").public_key = record_at(current, "b").public_key;
    CHECK(sign_ed25519(reload(current), at("wallet/a"), kMessage).code() == Errc::corrupted);
  }
}

TEST_CASE_FIXTURE(KeystoreFixture, "state does not open under another snapshot key") {
  put("wallet/a", KeyType::ed25519, kSeed);
  Keystore other = make(0x99);
  CHECK(other.apply(keystore.state()).code() == Errc::corrupted);
  CHECK(other.list().empty());
}

TEST_CASE_FIXTURE(KeystoreFixture, "a rented key stops working when it expires and is collected afterwards") {
  Transaction tx(keystore);
  REQUIRE(import_key(tx, at("rent/key"), KeyType::symmetric, Bytes(32, 5), {"rented", *clock + std::int64_t{48} * 3600})
              .ok());
  REQUIRE(keystore.commit(std::move(tx)).ok());
  CHECK(hmac(keystore, at("rent/key"), Hash::sha256, kMessage).ok());
  *clock += 48 * 3600 - 1;
  CHECK(hmac(keystore, at("rent/key"), Hash::sha256, kMessage).ok());
  CHECK(keystore.garbage().empty());
  *clock += 1;
  CHECK(hmac(keystore, at("rent/key"), Hash::sha256, kMessage).code() == Errc::expired);
  CHECK_FALSE(keystore.exists(at("rent/key")));
  REQUIRE(keystore.apply(keystore.garbage()).ok());
  CHECK(keystore.list().empty());
}

TEST_CASE_FIXTURE(KeystoreFixture, "delete revokes at once, and garbage collection removes the record") {
  put("wallet/a", KeyType::ed25519, kSeed);
  Transaction tx(keystore);
  REQUIRE(tx.revoke(at("wallet/a")).ok());
  REQUIRE(keystore.commit(std::move(tx)).ok());
  CHECK(sign_ed25519(keystore, at("wallet/a"), kMessage).code() == Errc::not_found);
  REQUIRE(keystore.list().size() == 1);
  CHECK(keystore.list()[0].revoked);
  Transaction again(keystore);
  CHECK(again.revoke(at("wallet/a")).code() == Errc::not_found);
  REQUIRE(keystore.apply(keystore.garbage()).ok());
  CHECK(keystore.list().empty());
  // A new record at the same place gets a version never used before.
  put("wallet/a", KeyType::ed25519, kSeed);
  CHECK(keystore.list()[0].version == 3);
}

TEST_CASE_FIXTURE(KeystoreFixture, "copy and move re-seal under the target vault") {
  const Bytes public_key = put("hot/key", KeyType::ed25519, kSeed);
  Transaction copy(keystore);
  REQUIRE(copy_record(copy, at("hot/key"), at("cold/key")).ok());
  REQUIRE(keystore.commit(std::move(copy)).ok());
  CHECK(keystore.public_key(at("cold/key")).value() == public_key);
  CHECK(verify_ed25519(public_key, kMessage, sign_ed25519(keystore, at("cold/key"), kMessage).value()));

  Transaction move(keystore);
  REQUIRE(move_record(move, at("cold/key"), at("archive/key")).ok());
  REQUIRE(keystore.commit(std::move(move)).ok());
  CHECK_FALSE(keystore.exists(at("cold/key")));
  CHECK(sign_ed25519(keystore, at("archive/key"), kMessage).ok());
}

TEST_CASE_FIXTURE(KeystoreFixture, "a failed multi-write leaves nothing behind") {
  put("wallet/a", KeyType::ed25519, kSeed);
  const auto before = keystore.list();
  SUBCASE("a procedure that fails half-way is never committed") {
    Transaction tx(keystore);
    REQUIRE(import_key(tx, at("wallet/b"), KeyType::ed25519, kSeed).ok());
    CHECK(import_key(tx, at("wallet/c"), KeyType::secp256k1, Bytes(32, 0)).code() == Errc::invalid_key);
  }
  SUBCASE("a change set with one bad change applies none of its changes") {
    Transaction tx(keystore);
    REQUIRE(import_key(tx, at("new-vault/b"), KeyType::ed25519, kSeed).ok());
    REQUIRE(tx.revoke(at("wallet/a")).ok());
    ChangeSet set = std::move(tx).take();
    set.changes.emplace_back(RemoveRecord{VaultId{}, RecordId{}, 1});  // refers to nothing
    CHECK(keystore.apply(set).code() == Errc::not_found);
  }
  const auto after = keystore.list();
  REQUIRE(after.size() == before.size());
  CHECK(after[0].location == before[0].location);
  CHECK(after[0].version == before[0].version);
  CHECK_FALSE(after[0].revoked);
}

TEST_CASE_FIXTURE(KeystoreFixture, "the secret store reads values back into self-wiping buffers") {
  const Bytes password = {'h', 'u', 'n', 't', 'e', 'r', '2'};
  Transaction tx(keystore);
  REQUIRE(tx.put_secret("mail", password).ok());
  REQUIRE(tx.put_secret("bank", Bytes{'x'}).ok());
  CHECK(tx.put_secret("", password).code() == Errc::invalid_argument);
  REQUIRE(keystore.commit(std::move(tx)).ok());

  CHECK(keystore.secret_names() == std::vector<std::string>{"bank", "mail"});
  CHECK(keystore.list().empty());  // secrets are not records
  auto value = keystore.read_secret("mail");
  REQUIRE(value.ok());
  auto view = value->read();
  CHECK(std::equal(view.bytes().begin(), view.bytes().end(), password.begin(), password.end()));
  CHECK(keystore.read_secret("none").code() == Errc::not_found);

  Transaction remove(keystore);
  REQUIRE(remove.delete_secret("mail").ok());
  CHECK(remove.delete_secret("none").code() == Errc::not_found);
  CHECK(keystore.read_secret(std::string(300, 'n')).code() == Errc::invalid_argument);  // no overflow of the id buffer
  CHECK(remove.delete_secret(std::string(300, 'n')).code() == Errc::invalid_argument);
  REQUIRE(keystore.commit(std::move(remove)).ok());
  CHECK(keystore.secret_names() == std::vector<std::string>{"bank"});
}

TEST_CASE_FIXTURE(KeystoreFixture, "the whole state reloads into an equal keystore") {
  put("a/1", KeyType::ed25519, kSeed);
  put("a/2", KeyType::secp256k1, Bytes(32, 7));
  put("b/1", KeyType::symmetric, Bytes(48, 9));
  Keystore copy = make();
  REQUIRE(copy.apply(keystore.state()).ok());
  CHECK(copy.list().size() == 3);
  CHECK(sign_ed25519(copy, at("a/1"), kMessage).value() == sign_ed25519(keystore, at("a/1"), kMessage).value());
  CHECK(hmac(copy, at("b/1"), Hash::sha512, kMessage).value() ==
        hmac(keystore, at("b/1"), Hash::sha512, kMessage).value());
}

TEST_CASE_FIXTURE(KeystoreFixture, "empty and malformed public inputs are refused, never a crash") {
  put("k/secp", KeyType::secp256k1, Bytes(32, 7));
  put("k/x", KeyType::x25519, Bytes(32, 7));
  const Bytes empty;
  CHECK_FALSE(verify_ecdsa(empty, kMessage, Bytes(64, 1)));
  CHECK_FALSE(verify_ecdsa(Bytes(33, 2), kMessage, empty, {EcdsaEncoding::der, false, true}));
  CHECK_FALSE(verify_ecdsa(Bytes(33, 2), kMessage, empty));
  CHECK_FALSE(verify_ed25519(empty, kMessage, empty));
  CHECK_FALSE(verify_schnorr(empty, kMessage, empty));
  Transaction tx(keystore);
  CHECK(ecdh_secp256k1(tx, at("k/secp"), empty, at("k/shared")).code() == Errc::invalid_key);
  CHECK(ecdh_secp256k1(tx, at("k/secp"), Bytes(33, 0xff), at("k/shared")).code() == Errc::invalid_key);
  CHECK(x25519_agree(tx, at("k/x"), empty, at("k/shared")).code() == Errc::invalid_argument);
  CHECK(x25519_agree(tx, at("k/x"), Bytes(32, 0), at("k/shared")).code() == Errc::invalid_key);
  CHECK(import_key(tx, at("k/bad"), KeyType::ed25519, Bytes(31, 1)).code() == Errc::invalid_argument);
  CHECK(import_key(tx, at("k/bad"), KeyType::secp256k1, from_hex(std::string(64, 'f')).value()).code() ==
        Errc::invalid_key);
  CHECK(sign_ecdsa(keystore, at("k/secp"), Bytes(31, 0), {true, EcdsaFormat::compact}).code() ==
        Errc::invalid_argument);
  CHECK(sign_schnorr(keystore, at("k/secp"), empty).ok());  // BIP340 signs any length, even none
  CHECK(std::move(tx).take().empty());
}

TEST_CASE_FIXTURE(KeystoreFixture, "secp256k1 signatures come in every format, always low-S") {
  const Bytes compressed = put("k/secp", KeyType::secp256k1, Bytes(32, 9));
  const Bytes uncompressed = public_key_uncompressed(keystore, at("k/secp")).value();
  CHECK(compressed.size() == 33);
  CHECK(uncompressed.size() == 65);
  for (int i = 0; i < 20; ++i) {
    const Bytes message = {static_cast<std::uint8_t>(i)};
    const Bytes compact = sign_ecdsa(keystore, at("k/secp"), message).value();
    CHECK(verify_ecdsa(compressed, message, compact));  // require_low_s by default
    CHECK(verify_ecdsa(uncompressed, message, compact));
    const Bytes der = sign_ecdsa(keystore, at("k/secp"), message, {false, EcdsaFormat::der}).value();
    CHECK(verify_ecdsa(compressed, message, der, {EcdsaEncoding::der, false, true}));
    const Bytes recoverable = sign_ecdsa(keystore, at("k/secp"), message, {false, EcdsaFormat::recoverable}).value();
    CHECK(recoverable.size() == 65);
    CHECK(Bytes(recoverable.begin(), recoverable.begin() + 64) == compact);  // RFC 6979: deterministic
    CHECK(recoverable[64] <= 1);
  }
  const Bytes schnorr = sign_schnorr(keystore, at("k/secp"), kMessage).value();
  CHECK(verify_schnorr(Bytes(compressed.begin() + 1, compressed.end()), kMessage, schnorr));
}

TEST_CASE_FIXTURE(KeystoreFixture, "concurrent first uses of a record agree") {
  for (int i = 0; i < 20; ++i)
    put(fmt::format("shared/{}", i), KeyType::ed25519, Bytes(32, static_cast<std::uint8_t>(i + 1)));
  constexpr int kThreads = 4;
  std::vector<std::vector<Bytes>> signatures(kThreads);
  std::vector<std::thread> threads;
  threads.reserve(kThreads);
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      for (int round = 0; round < 50; ++round)
        for (int i = 0; i < 20; ++i)
          signatures[t].push_back(sign_ed25519(keystore, at(fmt::format("shared/{}", i)), kMessage).value());
    });
  for (auto& thread : threads)
    thread.join();
  for (int t = 1; t < kThreads; ++t)
    CHECK(signatures[t] == signatures[0]);
  for (int i = 0; i < 20; ++i)
    CHECK(verify_ed25519(keystore.public_key(at(fmt::format("shared/{}", i))).value(), kMessage, signatures[0][i]));
}

TEST_CASE_FIXTURE(KeystoreFixture, "a vault removed and put back in one change set keeps working") {
  put("v/a", KeyType::ed25519, kSeed);
  ChangeSet state = keystore.state();
  const auto& vault = std::get<PutVault>(state.changes.front());
  ChangeSet replace;
  replace.changes.emplace_back(RemoveVault{vault.id});
  for (const Change& change : state.changes)
    replace.changes.push_back(change);
  REQUIRE(keystore.apply(replace).ok());
  CHECK(sign_ed25519(keystore, at("v/a"), kMessage).ok());
  // prepare + apply, the two halves used by the snapshot floor
  auto prepared = keystore.prepare(replace);
  REQUIRE(prepared.ok());
  keystore.apply(std::move(*prepared));
  CHECK(sign_ed25519(keystore, at("v/a"), kMessage).ok());
}

TEST_CASE_FIXTURE(KeystoreFixture, "signing material signs elsewhere exactly as the keystore does") {
  put("m/ed", KeyType::ed25519, kSeed);
  put("m/k1", KeyType::secp256k1, Bytes(32, 3));
  const auto ed = keystore.signing_material(at("m/ed"), key_types(KeyType::ed25519, KeyType::secp256k1)).value();
  const auto k1 = keystore.signing_material(at("m/k1"), key_types(KeyType::ed25519, KeyType::secp256k1)).value();
  CHECK(ed.type == KeyType::ed25519);
  CHECK(ed.public_key == keystore.public_key(at("m/ed")).value());
  Bytes from_thread;
  std::thread([&] { from_thread = sign_ed25519(ed, kMessage).value(); }).join();
  CHECK(from_thread == sign_ed25519(keystore, at("m/ed"), kMessage).value());
  CHECK(sign_ecdsa(k1, kMessage).value() == sign_ecdsa(keystore, at("m/k1"), kMessage).value());
  CHECK(sign_ecdsa(ed, kMessage).code() == Errc::wrong_key_type);
  CHECK(keystore.signing_material(at("m/ed"), key_types(KeyType::x25519)).code() == Errc::wrong_key_type);
  CHECK(keystore.signing_material(at("m/none"), key_types(KeyType::ed25519)).code() == Errc::not_found);
}

TEST_CASE("key types print and parse by name") {
  for (const KeyType type :
       {KeyType::seed, KeyType::ed25519, KeyType::x25519, KeyType::secp256k1, KeyType::symmetric, KeyType::opaque})
    CHECK(parse_key_type(key_type_name(type)).value() == type);
  CHECK(parse_key_type("rsa").code() == Errc::invalid_argument);
}

TEST_CASE_FIXTURE(KeystoreFixture, "every write refuses an occupied location unless told to replace it") {
  const Bytes first = put("wallet/main", KeyType::ed25519, kSeed);
  {
    Transaction tx(keystore);
    CHECK(generate_key(tx, at("wallet/main"), KeyType::ed25519).code() == Errc::already_exists);
    CHECK(import_key(tx, at("wallet/main"), KeyType::ed25519, Bytes(32, 0x22)).code() == Errc::already_exists);
    CHECK(tx.put(at("wallet/main"), KeyType::symmetric, Bytes(32, 1), {}).code() == Errc::already_exists);
    CHECK(tx.empty());
  }
  {  // twice in one transaction is refused too
    Transaction tx(keystore);
    REQUIRE(generate_key(tx, at("wallet/new"), KeyType::ed25519).ok());
    CHECK(generate_key(tx, at("wallet/new"), KeyType::ed25519).code() == Errc::already_exists);
  }
  CHECK(keystore.public_key(at("wallet/main")).value() == first);
  const Bytes second = put("wallet/main", KeyType::ed25519, Bytes(32, 0x22), Overwrite::replace);
  CHECK(second != first);
  CHECK(keystore.public_key(at("wallet/main")).value() == second);

  // A deleted record's place is free again.
  Transaction remove(keystore);
  REQUIRE(remove.revoke(at("wallet/main")).ok());
  REQUIRE(keystore.commit(std::move(remove)).ok());
  CHECK(put("wallet/main", KeyType::ed25519, kSeed) == first);
}

TEST_CASE_FIXTURE(KeystoreFixture,
                  "secret-store values are not replaced silently and the identity names are reserved") {
  Transaction tx(keystore);
  REQUIRE(tx.put_secret("mail", as_bytes("one")).ok());
  REQUIRE(keystore.commit(std::move(tx)).ok());
  Transaction again(keystore);
  CHECK(again.put_secret("mail", as_bytes("two")).code() == Errc::already_exists);
  again.set_overwrite(Overwrite::replace);
  CHECK(again.put_secret("mail", as_bytes("two")).ok());
  CHECK(again.put_secret("identity/index/did:iota:abc", {}).code() == Errc::invalid_argument);
  CHECK(again.delete_secret("identity/document/did:iota:abc").code() == Errc::invalid_argument);
}

TEST_CASE_FIXTURE(KeystoreFixture, "a vault path of any length is checked before it is hashed") {
  put("wallet/main", KeyType::ed25519, kSeed);
  const std::string long_path(400, 'B');
  const Bytes transfer_key(32, 5);
  CHECK(keystore.export_vaults({long_path}, transfer_key).code() == Errc::invalid_argument);
  CHECK(keystore.export_vaults({std::string(100'000, 'v')}, transfer_key).code() == Errc::invalid_argument);
  CHECK(keystore.export_vaults({"nope"}, transfer_key).code() == Errc::not_found);
  CHECK_FALSE(keystore.has_vault(long_path));
  CHECK_FALSE(keystore.exists(Location{long_path, "r"}));
  CHECK(keystore.public_key(Location{"wallet", std::string(4096, 'r')}).code() == Errc::invalid_argument);
  Transaction tx(keystore);
  CHECK(tx.put(Location{long_path, "r"}, KeyType::symmetric, Bytes(32, 1), {}).code() == Errc::invalid_argument);
  CHECK(tx.remove_vault(long_path).code() == Errc::not_found);
}

TEST_CASE_FIXTURE(KeystoreFixture,
                  "an import reports what it did with each record, and refuses a location named twice") {
  put("wallet/main", KeyType::ed25519, kSeed);
  put("wallet/other", KeyType::ed25519, Bytes(32, 0x22));
  const Bytes transfer_key(32, 5);
  ChangeSet exported = keystore.export_vaults({"wallet"}, transfer_key).value();
  Transaction remove(keystore);
  REQUIRE(remove.revoke(at("wallet/other")).ok());  // a deleted record's place is free
  REQUIRE(keystore.commit(std::move(remove)).ok());

  Transaction keep(keystore);
  auto kept = keep.import_vaults(exported, transfer_key, false).value();
  std::sort(kept.begin(), kept.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  REQUIRE(kept.size() == 2);
  CHECK((kept[0].name == "wallet/main" && kept[0].action == ImportAction::keep &&
         kept[0].kind == ImportedRecord::Kind::record));
  CHECK((kept[1].name == "wallet/other" && kept[1].action == ImportAction::add));
  Transaction replace(keystore);
  const auto replaced = replace.import_vaults(exported, transfer_key, true).value();
  CHECK(std::count_if(replaced.begin(), replaced.end(),
                      [](const auto& r) { return r.action == ImportAction::replace; }) == 1);

  exported.changes.push_back(exported.changes.back());  // the last record again
  for (const bool replace_existing : {false, true}) {
    Transaction twice(keystore);
    CHECK(twice.import_vaults(exported, transfer_key, replace_existing).code() == Errc::corrupted);
  }
}

TEST_CASE_FIXTURE(KeystoreFixture, "a record compares equal only to its exact secret") {
  const Bytes value = {1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15, 16,
                       17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32};
  put("cmp/sym", KeyType::symmetric, value);
  put("cmp/ed", KeyType::ed25519, value);
  CHECK(record_equals(keystore, at("cmp/sym"), value).value());
  CHECK(record_equals(keystore, at("cmp/ed"), value).value());
  Bytes last_differs = value;
  last_differs.back() ^= 1;
  CHECK_FALSE(record_equals(keystore, at("cmp/sym"), last_differs).value());
  CHECK_FALSE(record_equals(keystore, at("cmp/sym"), ByteView(value).first(31)).value());  // a prefix
  Bytes longer = value;
  longer.push_back(0);
  CHECK_FALSE(record_equals(keystore, at("cmp/sym"), longer).value());
  CHECK_FALSE(record_equals(keystore, at("cmp/sym"), {}).value());
  CHECK(record_equals(keystore, at("cmp/none"), value).code() == Errc::not_found);
}
