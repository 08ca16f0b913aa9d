// The binary form of change sets: snapshot bodies, journal entries and export files.
//
// Compact (varints; a record in the vault of the change before it omits the vault id) and
// safe on hostile input: every length is checked against the bytes that remain before anything
// is allocated, and any inconsistency is `corrupted`. cereal's binary archives do neither (they
// size a container from the input before reading it, and spend 8 bytes per length), hence this
// small codec of our own.
#pragma once

#include <cstddef>

#include "stronghold/runtime/hex.hpp"
#include "stronghold/vault/function_ref.hpp"
#include "stronghold/vault/record.hpp"

namespace stronghold::snapshot {

Bytes encode_changes(const vault::ChangeSet& changes);
void encode_changes_into(const vault::ChangeSet& changes, Bytes& out);
Result<vault::ChangeSet> decode_changes(ByteView bytes);
// The same, handing the changes to `take` in parts of at most `part_size` changes, in order, as they
// are decoded: what a large body needs in memory at once is one part, not the whole change set.
// Stops at the first error of the bytes (corrupted) or of `take` (returned as it is); the parts
// taken before it stay taken.
Status decode_changes_in_parts(ByteView bytes, std::size_t part_size,
                               vault::FunctionRef<Status(vault::ChangeSet&& part)> take);

}  // namespace stronghold::snapshot
