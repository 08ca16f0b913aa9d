// The typed actor interfaces of one open snapshot, and how to start them.
//
//   supervisor ──delegate──▶ vault actor ──delegate──▶ signer (one per core)
//       │   │                    │ entries
//       │   │ monitors, restarts ▼
//       │   └──────────────▶ snapshot actor (detached: writes and syncs the journal)
//       └──delegate──▶ identity registry ──▶ partition per DID
//
// Every request of the vocabulary (requests.hpp) travels in an Envelope and is answered with a
// Reply. The supervisor is the entry point: it forwards each envelope with the original
// response id, to the identity registry for the identity storage's kinds and to the vault actor
// for the rest; each dispatches by kind through a table to the one handler of that kind. The
// vault actor's table has every kind: the identity storage hands its requests on to it, through
// the supervisor, once each DID's partition has put them in order. The
// vault actor forwards a signing request, with the key's shielded material, to a signer that
// answers the requester directly. A change is answered
// once the snapshot actor has made its journal entry durable (group commit: one sync for all
// entries that arrived together). Signers that crash are restarted; if the vault actor or the
// snapshot actor fails, both are restarted from the file, which holds every acknowledged change.
// A change whose write or sync failed is answered with an error (it may or may not survive); the
// restart first rewrites the whole file, since a failed sync may have lost bytes that reads still
// see, and a later change must not be acknowledged on top of them. When that rewrite fails the
// engine stops (fail-stop): every later request fails until the file is opened again.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <memory>
#include <string>

#include <caf/typed_actor.hpp>

#include "stronghold/actors/identity.hpp"
#include "stronghold/actors/messages.hpp"
#include "stronghold/actors/options.hpp"
#include "stronghold/snapshot/snapshot.hpp"

// Entries of the shared journal stay in the process: the follower hands them to the vault actor.
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::vector<stronghold::actors::SharedEntry>)

namespace stronghold::actors {

// The vault actor's interface, which the supervisor extends: every request of the vocabulary
// (requests.hpp) in an Envelope, answered with a Reply, plus what the engine's own layers need.
using engine_actor = caf::typed_actor<caf::replies_to<Envelope>::with<Reply>,
                                      // The shielded material of an Ed25519 or secp256k1 key, for the façade's blocking
                                      // signatures on the caller's thread; without a secret for a key a policy
                                      // governs, whose signatures must go through the vault actor; busy while a write
                                      // of the key is not durable.
                                      caf::replies_to<material_atom, vault::Location>::with<vault::SigningMaterial>,
                                      // Before a clean close: the use counts made exact in the file, so that
                                      // reopening wastes no reserved use (vault/policy.hpp).
                                      caf::replies_to<settle_atom>::with<caf::ok_atom>>;

// The supervisor is the entry point of every request: it forwards the identity storage's
// requests to the identity registry and the rest to the vault actor. It also reports restart
// counts and its children (the vault actor, the snapshot actor, the identity registry, then the
// signers), for monitoring and for tests that make them fail.
using supervisor_actor =
    engine_actor::extend<caf::replies_to<stats_atom>::with<EngineStats>,
                         // An identity request the DID's partition hands on, for the
                         // vault actor itself (a plain Envelope of that kind goes to
                         // the identity registry).
                         caf::replies_to<vault_atom, Envelope>::with<Reply>,
                         caf::replies_to<children_atom>::with<std::vector<caf::actor>>,
                         // Entries of the shared journal (shared_journal.hpp) for
                         // the vault actor to apply, in order: answered with the
                         // sequence number of the entry it needs next.
                         caf::replies_to<receive_atom, std::vector<SharedEntry>>::with<std::uint64_t>,
                         // Sends again the requests refused because another node appended
                         // first (a timer's, in a cluster).
                         caf::reacts_to<retry_atom>>;

// A signer signs with the material the vault actor hands it and answers the requester directly.
using signer_actor = caf::typed_actor<caf::replies_to<vault::SigningMaterial, Sign>::with<Reply>,
                                      caf::replies_to<vault::SigningMaterial, SignEcdsa>::with<Reply>,
                                      caf::replies_to<vault::SigningMaterial, SignBatch>::with<Reply>>;

// Starts the actors of `snapshot` (the engine takes it over) in `system` and returns the
// supervisor. To stop them: send it an exit message (caf::exit_reason::user_shutdown) and wait
// for it; everything acknowledged is durable by then.
Result<supervisor_actor> spawn_engine(caf::actor_system& system, std::unique_ptr<snapshot::Snapshot> snapshot,
                                      const EngineOptions& options);

}  // namespace stronghold::actors
