// The client registry in the vault floor: keys read back by name, never listed with the user's
// records, never exported, bounded, and only valid names and Ed25519 points.
#include <doctest/doctest.h>
#include <sodium.h>

#include <vector>

#include <fmt/format.h>

#include "stronghold/vault/clients.hpp"
#include "vault/fixture.hpp"

namespace stronghold::vault {
namespace {

Bytes client_key(std::uint8_t fill) {
  const Bytes seed(crypto_sign_SEEDBYTES, fill);
  Bytes public_key(crypto_sign_PUBLICKEYBYTES);
  unsigned char secret_key[crypto_sign_SECRETKEYBYTES];
  crypto_sign_seed_keypair(public_key.data(), secret_key, seed.data());
  sodium_memzero(secret_key, sizeof secret_key);
  return public_key;
}

Status add(Keystore& keystore, const std::string& name, ByteView key, Overwrite overwrite = Overwrite::refuse) {
  Transaction tx(keystore);
  SH_RETURN_IF_ERROR(add_client(tx, name, key, overwrite));
  return keystore.commit(std::move(tx));
}

}  // namespace

TEST_CASE("client keys read back by name, are never listed or exported, and replace only when asked") {
  test::KeystoreFixture f;
  f.put("w/k", KeyType::ed25519, Bytes(32, 1));
  REQUIRE(add(f.keystore, "alice", client_key(1)).ok());
  REQUIRE(add(f.keystore, "bob.2_x-y", client_key(2)).ok());
  CHECK(read_client_key(f.keystore, "alice").value() == client_key(1));
  CHECK(read_client_key(f.keystore, "carol").status().code() == Errc::not_found);
  const auto clients = list_clients(f.keystore).value();
  REQUIRE(clients.size() == 2);
  CHECK(clients[0].name == "alice");
  CHECK(clients[1].public_key == client_key(2));
  CHECK(f.keystore.list().size() == 1);  // w/k only

  CHECK(add(f.keystore, "alice", client_key(3)).code() == Errc::already_exists);
  CHECK(read_client_key(f.keystore, "alice").value() == client_key(1));
  REQUIRE(add(f.keystore, "alice", client_key(3), Overwrite::replace).ok());
  CHECK(read_client_key(f.keystore, "alice").value() == client_key(3));

  // An export of every vault leaves the registry out: an import never makes anyone a client.
  const Bytes transfer_key(32, 9);
  const ChangeSet exported = f.keystore.export_vaults({}, transfer_key).value();
  auto other = f.make(0x43);
  Transaction import(other);
  REQUIRE(import.import_vaults(exported, transfer_key, false).ok());
  REQUIRE(other.commit(std::move(import)).ok());
  CHECK(list_clients(other).value().empty());

  Transaction removal(f.keystore);
  REQUIRE(remove_client(removal, "alice").ok());
  REQUIRE(f.keystore.commit(std::move(removal)).ok());
  CHECK(read_client_key(f.keystore, "alice").status().code() == Errc::not_found);
  Transaction again(f.keystore);
  CHECK(remove_client(again, "alice").code() == Errc::not_found);
}

TEST_CASE("client names and keys are checked, and the registry holds at most 4096 clients") {
  test::KeystoreFixture f;
  for (const std::string& bad :
       std::vector<std::string>{"", std::string(65, 'a'), "a/b", "a b", "caf\xc3\xa9", std::string("a\0b", 3)})
    CHECK(add(f.keystore, bad, client_key(1)).code() == Errc::invalid_argument);
  CHECK(add(f.keystore, std::string(64, 'a'), client_key(1)).ok());
  CHECK(add(f.keystore, "short", Bytes(31, 1)).code() == Errc::invalid_key);
  CHECK(add(f.keystore, "small-order", Bytes(32, 0)).code() == Errc::invalid_key);  // the identity point

  Transaction fill(f.keystore);
  for (std::size_t i = 1; i < kMaxClients; ++i)
    REQUIRE(add_client(fill, fmt::format("c{}", i), client_key(2), Overwrite::refuse).ok());
  REQUIRE(f.keystore.commit(std::move(fill)).ok());
  CHECK(list_clients(f.keystore).value().size() == kMaxClients);
  CHECK(add(f.keystore, "one-more", client_key(3)).code() == Errc::resource_exhausted);
  CHECK(add(f.keystore, "c1", client_key(3), Overwrite::replace).ok());  // replacing adds none
}

}  // namespace stronghold::vault
