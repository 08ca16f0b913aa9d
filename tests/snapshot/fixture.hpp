// A snapshot in a temporary directory, with the fast KDF and a test clock.
#pragma once

#include <memory>

#include <doctest/doctest.h>

#include "stronghold/snapshot/snapshot.hpp"
#include "stronghold/vault/keys.hpp"
#include "support/file_bytes.hpp"
#include "support/temp_dir.hpp"

namespace stronghold::test {

inline const Bytes kPassword = {'c', 'o', 'r', 'r', 'e', 'c', 't', ' ', 'h', 'o', 'r', 's', 'e'};

struct SnapshotFixture {
  TempDir dir;
  std::string path = dir.file("test.stronghold");
  snapshot::SnapshotOptions options = [] {
    snapshot::SnapshotOptions o;
    o.kdf = snapshot::KdfPreset::fast;
    return o;
  }();

  std::unique_ptr<snapshot::Snapshot> create() {
    auto created = snapshot::Snapshot::create(snapshot::posix_file_system(), path, kPassword, options);
    REQUIRE_MESSAGE(created.ok(), created.status().to_string());
    return std::move(created).value();
  }
  Result<std::unique_ptr<snapshot::Snapshot>> open(ByteView password = kPassword) {
    return snapshot::Snapshot::open(snapshot::posix_file_system(), path, password, options);
  }
  static vault::Location at(std::string_view text) { return vault::Location::parse(text).value(); }

  // Generates an Ed25519 key at `where` in its own commit; returns the public key.
  static Bytes add_key(snapshot::Snapshot& snapshot, std::string_view where) {
    vault::Transaction tx(snapshot.keystore());
    auto public_key = vault::generate_key(tx, at(where), vault::KeyType::ed25519);
    REQUIRE(public_key.ok());
    REQUIRE(snapshot.commit(std::move(tx)).ok());
    return std::move(public_key).value();
  }

  Bytes read_file() const { return read_bytes(path); }
  void write_file(ByteView bytes) const { write_bytes(path, bytes); }
};

}  // namespace stronghold::test
