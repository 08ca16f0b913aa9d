// A keystore with a fixed snapshot key and a clock the test moves.
#pragma once

#include <memory>

#include <doctest/doctest.h>

#include "stronghold/vault/keys.hpp"
#include "stronghold/vault/keystore.hpp"
#include "stronghold/vault/mac.hpp"

namespace stronghold::test {

struct KeystoreFixture {
  std::shared_ptr<std::int64_t> clock = std::make_shared<std::int64_t>(1'700'000'000);
  vault::Keystore keystore = make();

  static Bytes snapshot_key(std::uint8_t fill = 0x42) { return Bytes(32, fill); }

  vault::Keystore make(std::uint8_t fill = 0x42) const {
    auto now = clock;
    auto created = vault::Keystore::create(snapshot_key(fill), [now] { return *now; });
    REQUIRE(created.ok());
    return std::move(created).value();
  }

  static vault::Location at(std::string_view text) { return vault::Location::parse(text).value(); }

  // Imports `secret` at `where` and commits; returns the public key.
  Bytes put(std::string_view where, vault::KeyType type, ByteView secret,
            vault::Overwrite overwrite = vault::Overwrite::refuse) {
    vault::Transaction tx(keystore, overwrite);
    auto public_key = vault::import_key(tx, at(where), type, secret);
    REQUIRE_MESSAGE(public_key.ok(), public_key.status().to_string());
    REQUIRE(keystore.commit(std::move(tx)).ok());
    return std::move(public_key).value();
  }

  // True when the symmetric record at `where` holds exactly `expected`, checked through an HMAC
  // (the record itself is never read back).
  bool holds(std::string_view where, ByteView expected) const {
    const Bytes probe = {'p', 'r', 'o', 'b', 'e'};
    auto tag = vault::hmac(keystore, at(where), vault::Hash::sha256, probe);
    if (!tag.ok())
      return false;
    Bytes reference(32);
    return vault::hmac_raw(vault::Hash::sha256, expected, probe, reference).ok() && *tag == reference;
  }
};

}  // namespace stronghold::test
