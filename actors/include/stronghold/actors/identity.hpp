// The identity storage's actors: a registry that owns one partition actor per DID.
//
//   supervisor ──delegate──▶ identity registry ──delegate──▶ partition (one per DID, on demand)
//                                   │                            │ the DID's requests, in order
//                                   └── DidCreate, DidList ─────▶ supervisor ──▶ vault actor
//
// Every identity request is served by the vault actor, which runs each change as one journaled
// transaction (so the DID index and the keys never disagree, and the change is durable before the
// answer). A partition serialises the work on its DID by handing its requests on in order, and
// keeps its chain state and document cached. Partitions of different DIDs run in parallel; one
// that stays idle is stopped. Only requests cross these actors, never procedures.
#pragma once

#include <string>
#include <vector>

#include <caf/typed_actor.hpp>

#include "stronghold/actors/messages.hpp"

namespace stronghold::actors {

// The identity storage's requests (is_identity_request), each in an Envelope.
using identity_actor = caf::typed_actor<caf::replies_to<Envelope>::with<Reply>>;

}  // namespace stronghold::actors
