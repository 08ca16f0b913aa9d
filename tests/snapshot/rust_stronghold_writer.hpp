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

// The bincode state: every record in a vault of its own client, each vault under a fresh key.
Bytes rust_state(const std::vector<RustRecord>& records);
// "PARTI" | 02 00 | the X25519 envelope around the LZ4 block of `state`, for the 32-byte `key`.
Bytes rust_snapshot_v2(ByteView state, ByteView key);

}  // namespace stronghold::test
