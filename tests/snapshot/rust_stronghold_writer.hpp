// Writes Rust Stronghold version 2 snapshots in the layout the Rust code uses, so tests can
// damage any part of the state and build layouts no real file was found for.
#pragma once

#include <string>
#include <vector>

#include "stronghold/runtime/hex.hpp"

namespace stronghold::test {

struct RustRecord {
  std::string client;
  std::string vault;
  std::string record;
  Bytes secret;
};

struct RustStoreEntry {
  std::string client;
  std::string key;
  Bytes value;
};

// The bincode state: clients in the order they first appear among `records` and then `store`,
// each with its vaults (each under a fresh key) in the order they first appear, and its store.
Bytes rust_state(const std::vector<RustRecord>& records, const std::vector<RustStoreEntry>& store = {});
// "PARTI" | 02 00 | the X25519 envelope around the LZ4 block of `state`, for the 32-byte `key`.
Bytes rust_snapshot_v2(ByteView state, ByteView key);

}  // namespace stronghold::test
