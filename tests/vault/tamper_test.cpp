// Every field of a record's associated data (vault, record id, version, type, public key), for
// every kind of sealed record: one relabelled in any single field no longer opens, neither where
// it is used nor when an export of it is imported.
#include <doctest/doctest.h>

#include "fixture.hpp"
#include "stronghold/vault/identity.hpp"
#include "support/identity_document.hpp"

using namespace stronghold;
using namespace stronghold::vault;
using stronghold::test::KeystoreFixture;

namespace {

const Bytes kSecret(32, 0x11);
constexpr KeyTypes kAnyType = key_types(KeyType::seed, KeyType::ed25519, KeyType::x25519, KeyType::secp256k1,
                                        KeyType::symmetric, KeyType::opaque);

// Where a record is: a location, or the name of a secret-store entry.
struct Place {
  Location location;
  bool secret_store = false;
};

void commit(Keystore& keystore, Transaction& tx) { REQUIRE(keystore.commit(std::move(tx)).ok()); }

Place key(Keystore& keystore, KeyType type) {
  const Location location{"keys", std::string(key_type_name(type))};
  Transaction tx(keystore);
  REQUIRE(import_key(tx, location, type, kSecret).ok());
  commit(keystore, tx);
  return {location};
}

Did new_did(Keystore& keystore) {
  Transaction tx(keystore);
  auto created = create_did(tx, "main", "sign-0", kSecret);
  REQUIRE(created.ok());
  commit(keystore, tx);
  return created->did;
}

struct Kind {
  const char* name;
  Place (*write)(Keystore&);
};

const Kind kKinds[] = {
    {"an Ed25519 key", [](Keystore& k) { return key(k, KeyType::ed25519); }},
    {"an X25519 key", [](Keystore& k) { return key(k, KeyType::x25519); }},
    {"a secp256k1 key", [](Keystore& k) { return key(k, KeyType::secp256k1); }},
    {"a seed", [](Keystore& k) { return key(k, KeyType::seed); }},
    {"a symmetric key", [](Keystore& k) { return key(k, KeyType::symmetric); }},
    {"a secret-store value",
     [](Keystore& k) {
       Transaction tx(k);
       REQUIRE(tx.put_secret("mail", kSecret).ok());
       commit(k, tx);
       return Place{Location{"", "mail"}, true};
     }},
    {"an identity key",
     [](Keystore& k) {
       new_did(k);
       const auto listed = k.list();
       REQUIRE(listed.size() == 1);  // the DID's signing key, at the location its public key names
       return Place{listed[0].location};
     }},
    {"an identity document",
     [](Keystore& k) {
       const Did did = new_did(k);
       Transaction tx(k);
       REQUIRE(set_identity_value(tx, did, IdentityValue::document, test::padded_document(did.to_string(), 100)).ok());
       commit(k, tx);
       return Place{Location{"", "identity/document/" + did.to_string()}, true};  // its stored name
     }},
};

// The record at `place` in `state`.
PutRecord& record_at(ChangeSet& state, const Place& place) {
  std::vector<std::pair<VaultId, std::string>> vaults;
  for (const Change& change : state.changes)
    if (const auto* vault = std::get_if<PutVault>(&change))
      vaults.emplace_back(vault->id, vault->path);
  const auto in_vault = [&](const VaultId& id) {
    for (const auto& [vault_id, path] : vaults)
      if (vault_id == id)
        return place.secret_store ? path.starts_with('\x01') : path == place.location.vault;
    return false;
  };
  for (Change& change : state.changes)
    if (auto* put = std::get_if<PutRecord>(&change);
        put && put->record.path == place.location.record && in_vault(put->vault))
      return *put;
  FAIL("no record at " << place.location.to_string());
  throw;
}

// Opens the record at `place` where it is used: the secret store reads only opaque values.
Status use(const Keystore& keystore, const Place& place) {
  if (place.secret_store)
    return keystore.read_secret(place.location.record).status();
  return keystore.use(place.location, kAnyType, [](ByteView, const RecordView&) { return Status(); });
}

// Imports an export of every vault of `keystore`: this opens every record, whatever its type.
Status import_all(const KeystoreFixture& fixture, const Keystore& keystore) {
  const Bytes transfer_key(32, 0x7e);
  auto exported = keystore.export_vaults({}, transfer_key);
  REQUIRE(exported.ok());
  Keystore target = fixture.make(0x55);
  Transaction tx(target);
  return tx.import_vaults(*exported, transfer_key, false).status();
}

}  // namespace

TEST_CASE_FIXTURE(KeystoreFixture, "a record relabelled in any field of its associated data is refused as corrupted") {
  for (const Kind& kind : kKinds) {
    CAPTURE(kind.name);
    keystore = make();
    const Place place = kind.write(keystore);
    Transaction decoy(keystore);  // another vault, for the record to be moved into
    REQUIRE(import_key(decoy, Location{"decoy", "key"}, KeyType::symmetric, kSecret).ok());
    commit(keystore, decoy);
    const ChangeSet state = keystore.state();
    VaultId decoy_vault{};
    for (const Change& change : state.changes)
      if (const auto* vault = std::get_if<PutVault>(&change); vault && vault->path == "decoy")
        decoy_vault = vault->id;

    const auto tampered = [&](auto relabel) {
      ChangeSet copy = state;
      relabel(record_at(copy, place));
      Keystore reloaded = make();
      REQUIRE(reloaded.apply(copy).ok());  // records are opened on use, not on load
      return reloaded;
    };
    // A relabelled field that the use still finds the record by: refused there and on import.
    const auto refused_everywhere = [&](auto relabel) {
      const Keystore reloaded = tampered(relabel);
      CHECK(use(reloaded, place).code() == Errc::corrupted);
      CHECK(import_all(*this, reloaded).code() == Errc::corrupted);
    };

    CHECK(use(tampered([](PutRecord&) {}), place).ok());  // untouched, it opens in both ways
    CHECK(import_all(*this, tampered([](PutRecord&) {})).ok());
    INFO("field: version");
    refused_everywhere([](PutRecord& put) { ++put.record.version; });
    INFO("field: public key");
    refused_everywhere([](PutRecord& put) {
      if (put.record.public_key.empty())
        put.record.public_key.assign(32, 0x5a);
      else
        put.record.public_key[1] ^= 0x01;
    });
    INFO("field: type");
    const Keystore retyped = tampered([](PutRecord& put) {
      put.record.type = put.record.type == KeyType::symmetric ? KeyType::ed25519 : KeyType::symmetric;
    });
    // A secret-store reader takes opaque values only, so it refuses the new type before opening.
    CHECK(use(retyped, place).code() == (place.secret_store ? Errc::wrong_key_type : Errc::corrupted));
    CHECK(import_all(*this, retyped).code() == Errc::corrupted);
    // The record's id and vault are how a use finds it, so only the import, which names records
    // by path, reaches a record relabelled in either.
    INFO("field: record id");
    CHECK(import_all(*this, tampered([](PutRecord& put) { put.record.id[0] ^= 0x01; })).code() == Errc::corrupted);
    INFO("field: vault (the record moved into another)");
    CHECK(import_all(*this, tampered([&](PutRecord& put) { put.vault = decoy_vault; })).code() == Errc::corrupted);
  }
}

TEST_CASE_FIXTURE(KeystoreFixture, "a vault key moved to another vault does not load") {
  put("first/key", KeyType::ed25519, kSecret);
  put("second/key", KeyType::ed25519, kSecret);
  ChangeSet state = keystore.state();
  std::vector<PutVault*> vaults;
  for (Change& change : state.changes)
    if (auto* vault = std::get_if<PutVault>(&change))
      vaults.push_back(vault);
  REQUIRE(vaults.size() == 2);
  std::swap(vaults[0]->wrapped_key, vaults[1]->wrapped_key);
  CHECK(make().apply(state).code() == Errc::corrupted);
}
