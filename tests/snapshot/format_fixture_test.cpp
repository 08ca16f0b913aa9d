// Files written by each format version keep opening. tests/fixtures/snapshot-vN.stronghold was
// written by format version N, with the same contents and the password "format-v1" (set
// STRONGHOLD_WRITE_FORMAT_FIXTURE=1 to write the current version's again, which only a format
// change should need).
#include <cstdlib>
#include <filesystem>

#include <doctest/doctest.h>
#include <sodium.h>

#include "fixture.hpp"
#include "stronghold/vault/sign.hpp"

using namespace stronghold;
using stronghold::test::SnapshotFixture;

namespace {

const Bytes kFixturePassword = {'f', 'o', 'r', 'm', 'a', 't', '-', 'v', '1'};
std::string fixture_path(int version) {
  return fmt::format("{}/fixtures/snapshot-v{}.stronghold", STRONGHOLD_TEST_DATA_DIR, version);
}
const Bytes kMessage = {'v', '1'};

void write_fixture(SnapshotFixture& fixture) {
  fixture.options.kdf = snapshot::KdfPreset::fast;
  auto created =
      snapshot::Snapshot::create(snapshot::posix_file_system(), fixture.path, kFixturePassword, fixture.options);
  REQUIRE(created.ok());
  vault::Transaction body((*created)->keystore());
  REQUIRE(vault::import_key(body, SnapshotFixture::at("wallet/ed25519"), vault::KeyType::ed25519, Bytes(32, 1)).ok());
  REQUIRE((*created)->commit(std::move(body)).ok());
  REQUIRE((*created)->compact().ok());  // in the body
  vault::Transaction journal((*created)->keystore());
  REQUIRE(vault::import_key(journal, SnapshotFixture::at("wallet/secp256k1"), vault::KeyType::secp256k1, Bytes(32, 2))
              .ok());
  REQUIRE(journal.put_secret("note", as_bytes("kept since v1")).ok());
  REQUIRE((*created)->commit(std::move(journal)).ok());  // in the journal
  created->reset();
  std::filesystem::copy_file(fixture.path, fixture_path(snapshot::kFormatVersion),
                             std::filesystem::copy_options::overwrite_existing);
}

// Opens the fixture of `version` with everything it held.
void check_fixture(SnapshotFixture& fixture, int version) {
  const std::string file = fixture_path(version);
  REQUIRE_MESSAGE(std::filesystem::exists(file), "missing " << file);
  std::filesystem::copy_file(file, fixture.path, std::filesystem::copy_options::overwrite_existing);
  CHECK(test::read_bytes(fixture.path)[8] == version);
  const auto at = [](std::string_view where) { return SnapshotFixture::at(where); };
  auto opened =
      snapshot::Snapshot::open(snapshot::posix_file_system(), fixture.path, kFixturePassword, fixture.options);
  REQUIRE_MESSAGE(opened.ok(), opened.status().to_string());
  const vault::Keystore& keystore = (*opened)->keystore();
  CHECK((*opened)->open_report().journal_entries == 1);
  CHECK(to_hex(keystore.public_key(at("wallet/ed25519")).value()) ==
        "8a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c");
  CHECK(to_hex(keystore.public_key(at("wallet/secp256k1")).value()) ==
        "024d4b6cd1361032ca9bd2aeb9d900aa4d45d9ead80ac9423374c451a7254d0766");
  std::uint8_t public_key[32], secret_key[64], expected[64];
  const Bytes seed(32, 1);
  crypto_sign_seed_keypair(public_key, secret_key, seed.data());
  crypto_sign_detached(expected, nullptr, kMessage.data(), kMessage.size(), secret_key);
  CHECK(vault::sign_ed25519(keystore, at("wallet/ed25519"), kMessage).value() == Bytes(expected, expected + 64));
  auto note = keystore.read_secret("note");
  REQUIRE(note.ok());
  CHECK(std::string(reinterpret_cast<const char*>(note->read().bytes().data()), note->size()) == "kept since v1");
}

}  // namespace

TEST_CASE_FIXTURE(SnapshotFixture, "a format version 1 file opens with everything it held") { check_fixture(*this, 1); }

TEST_CASE_FIXTURE(SnapshotFixture, "a format version 2 file opens with everything it held") { check_fixture(*this, 2); }

TEST_CASE_FIXTURE(SnapshotFixture, "a format version 3 file opens with everything it held") {
  if (std::getenv("STRONGHOLD_WRITE_FORMAT_FIXTURE") != nullptr)
    write_fixture(*this);
  check_fixture(*this, 3);
}
