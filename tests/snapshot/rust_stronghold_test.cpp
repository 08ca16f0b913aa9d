// The reader of Rust Stronghold snapshots against the three files in
// tests/fixtures/rust-stronghold, which iota-sdk's own tests use.
#include <algorithm>
#include <array>
#include <string>

#include <doctest/doctest.h>

#include "snapshot/rust_fixtures.hpp"
#include "snapshot/rust_stronghold_writer.hpp"
#include "stronghold/snapshot/rust_stronghold.hpp"
#include "stronghold/vault/bip39.hpp"

using namespace stronghold;
namespace rs = stronghold::snapshot::rust_stronghold;

namespace {

using Fixture = test::RustWallet;
const auto& kFixtures = test::kRustWallets;

Bytes fixture_bytes(const Fixture& fixture) { return test::rust_wallet_bytes(fixture); }

Result<rs::Contents> read_with_password(ByteView file, std::string_view password) {
  SH_ASSIGN_OR_RETURN(unsigned version, rs::format_version(file));
  SH_ASSIGN_OR_RETURN(runtime::SecretBytes key, rs::key_from_password(version, as_bytes(password)));
  return rs::read(file, key.view());
}

Bytes wallet_seed(const Fixture& fixture) {
  Bytes seed(64);
  REQUIRE(vault::bip39_seed(as_bytes(fixture.mnemonic), {}, seed).ok());
  return seed;
}

}  // namespace

TEST_CASE("Each Rust Stronghold fixture opens and holds the seed of its mnemonic") {
  for (const Fixture& fixture : kFixtures) {
    CAPTURE(fixture.file);
    Bytes file = fixture_bytes(fixture);
    auto contents = read_with_password(file, fixture.password);
    REQUIRE_MESSAGE(contents.ok(), contents.status().to_string());
    const rs::Record* seed = rs::find_record(*contents, "iota_seed", "iota-wallet-secret", "iota-wallet-seed");
    REQUIRE(seed != nullptr);
    Bytes expected = wallet_seed(fixture);
    CHECK(Bytes(seed->data.view().begin(), seed->data.view().end()) == expected);
    CHECK(rs::find_record(*contents, "iota_seed", "iota-wallet-secret", "another-record") == nullptr);
  }
}

TEST_CASE("A Rust Stronghold store's entries are read with their keys") {
  Bytes file = fixture_bytes(kFixtures[1]);
  auto contents = read_with_password(file, kFixtures[1].password);
  REQUIRE(contents.ok());
  REQUIRE(contents->clients.size() == 1);
  std::vector<std::string> keys;
  for (const rs::StoreEntry& entry : contents->clients[0].store)
    keys.emplace_back(entry.key.begin(), entry.key.end());
  std::sort(keys.begin(), keys.end());
  CHECK(keys ==
        std::vector<std::string>{"accounts", "client_options", "coin_type", "migration-version", "secret_manager"});
}

TEST_CASE("A wrong password for a Rust Stronghold snapshot is wrong_password in both versions") {
  for (const Fixture& fixture : {kFixtures[0], kFixtures[2]}) {
    CAPTURE(fixture.file);
    Bytes file = fixture_bytes(fixture);
    CHECK(read_with_password(file, "not the password").code() == Errc::wrong_password);
  }
}

TEST_CASE("A Rust Stronghold snapshot of another version is unsupported and one without magic corrupted") {
  Bytes file = fixture_bytes(kFixtures[0]);
  file[5] = 4;
  CHECK(rs::format_version(file).code() == Errc::unsupported);
  file[0] = 'Q';
  CHECK(rs::format_version(file).code() == Errc::corrupted);
  Bytes key(rs::kKeySize);
  CHECK(rs::read(file, key).code() == Errc::corrupted);
}

TEST_CASE("Every truncation of a version 3 snapshot is corrupted") {
  Bytes file = fixture_bytes(kFixtures[2]);
  auto key = rs::key_from_password(3, as_bytes(kFixtures[2].password));
  REQUIRE(key.ok());
  for (std::size_t size = 0; size < file.size(); ++size) {
    CAPTURE(size);
    CHECK(rs::read(ByteView(file).first(size), key->view()).code() == Errc::corrupted);
  }
}

TEST_CASE("A version 2 snapshot cut inside its envelope header is corrupted, and cut later does not open") {
  Bytes file = fixture_bytes(kFixtures[0]);
  auto key = rs::key_from_password(2, as_bytes(kFixtures[0].password));
  REQUIRE(key.ok());
  constexpr std::size_t kEnvelopeHeader = 7 + 32 + 16;
  for (std::size_t size = 0; size < file.size(); ++size) {
    CAPTURE(size);
    // Nothing but the key authenticates the v2 envelope, so past its header damage and a
    // wrong key read the same.
    CHECK(rs::read(ByteView(file).first(size), key->view()).code() ==
          (size < kEnvelopeHeader ? Errc::corrupted : Errc::wrong_password));
  }
}

TEST_CASE("A flipped byte in a version 3 header MAC or payload is corrupted") {
  Bytes file = fixture_bytes(kFixtures[2]);
  auto key = rs::key_from_password(3, as_bytes(kFixtures[2].password));
  REQUIRE(key.ok());
  std::string text(file.begin(), file.end());
  std::size_t mac_line = text.find("\n--- ") + 5;
  for (std::size_t at = 0; at < file.size(); ++at) {
    CAPTURE(at);
    file[at] ^= 0x01;
    Errc code = rs::read(file, key->view()).code();
    // A damaged salt, work factor or wrapped key gives another wrapping key: a wrong password.
    if (at >= mac_line)
      CHECK(code == Errc::corrupted);
    else
      CHECK((code == Errc::corrupted || code == Errc::wrong_password || code == Errc::unsupported));
    file[at] ^= 0x01;
  }
}

namespace {

const Bytes kWriterKey(rs::kKeySize, 0x42);
const std::vector<test::RustRecord> kWritten = {{"iota_seed", "iota-wallet-secret", "iota-wallet-seed", Bytes(64, 7)},
                                                {"identity", "keys", "key-1", Bytes(32, 9)}};

}  // namespace

TEST_CASE("A version 2 snapshot written in the Rust layout reads back record by record") {
  Bytes state = test::rust_state(kWritten);
  auto contents = rs::read(test::rust_snapshot_v2(state, kWriterKey), kWriterKey);
  REQUIRE_MESSAGE(contents.ok(), contents.status().to_string());
  CHECK(contents->clients.size() == 2);
  for (const test::RustRecord& written : kWritten) {
    const rs::Record* record = rs::find_record(*contents, written.client, written.vault, written.record);
    REQUIRE(record != nullptr);
    CHECK(Bytes(record->data.view().begin(), record->data.view().end()) == written.secret);
  }
}

TEST_CASE("Every truncation of a Rust Stronghold state, and a byte after it, is corrupted") {
  Bytes state = test::rust_state(kWritten);
  for (std::size_t size = 0; size < state.size(); ++size) {
    CAPTURE(size);
    CHECK(rs::read(test::rust_snapshot_v2(ByteView(state).first(size), kWriterKey), kWriterKey).code() ==
          Errc::corrupted);
  }
  state.push_back(0);
  CHECK(rs::read(test::rust_snapshot_v2(state, kWriterKey), kWriterKey).code() == Errc::corrupted);
}

TEST_CASE("A flipped byte in a Rust Stronghold state's counts, keys or seals is corrupted") {
  Bytes state = test::rust_state({kWritten[0]});
  // client count 0..8, client id ..32, vault keys ..104, vault id ..136, vault key ..176,
  // record count ..184, record ids ..232, sealed transaction ..392, revocation tag 392, sealed blob
  // 393..505, store ..: the ids are names, the rest must hold.
  const std::vector<std::pair<std::size_t, std::size_t>> checked = {{0, 8}, {136, 184}, {232, 505}};
  for (auto [begin, end] : checked) {
    for (std::size_t at = begin; at < end; ++at) {
      CAPTURE(at);
      state[at] ^= 0x01;
      CHECK(rs::read(test::rust_snapshot_v2(state, kWriterKey), kWriterKey).code() == Errc::corrupted);
      state[at] ^= 0x01;
    }
  }
}
