// The bincode 1.x state inside a Rust Stronghold snapshot: little-endian fixed-width integers,
// u64 lengths and counts, Option as a 0/1 byte.
#pragma once

#include "stronghold/snapshot/rust_stronghold.hpp"

namespace stronghold::snapshot::rust_stronghold {

// Parses the inflated state and opens every record under its vault's key; corrupted for
// anything out of shape, trailing bytes included.
Result<Contents> parse_state(ByteView state, unsigned version);

}  // namespace stronghold::snapshot::rust_stronghold
