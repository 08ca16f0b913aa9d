// The identity storage's actors: a registry that owns one partition actor per DID.
//
//   supervisor ──delegate──▶ identity registry ──delegate──▶ partition (one per DID, on demand)
//                                   │                            │ transact / batch
//                                   └── DidCreate, DidList ─────▶ supervisor ──▶ vault actor
//
// A partition serialises the work on its DID, keeps its chain state and document cached, and
// runs each change as one procedure in the vault actor (so the DID index and the keys never
// disagree, and the change is journaled before the answer). Partitions of different DIDs run in
// parallel; one that stays idle is stopped.
#pragma once

#include <string>
#include <vector>

#include <caf/typed_actor.hpp>

#include "stronghold/actors/messages.hpp"

namespace stronghold::actors {

// The identity storage's requests (is_identity_request), each in an Envelope.
using identity_actor = caf::typed_actor<caf::replies_to<Envelope>::with<Reply>>;

}  // namespace stronghold::actors
