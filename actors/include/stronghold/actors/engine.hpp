// The typed actor interfaces of one open snapshot, and how to start them.
//
//   supervisor ──delegate──▶ vault actor ──delegate──▶ signer (one per core)
//       │                        │ entries
//       │ monitors, restarts     ▼
//       └──────────────────▶ snapshot actor (detached: writes and syncs the journal)
//
// The supervisor is the entry point: it forwards each request to the vault actor with the
// original response id, and the vault actor forwards a signing request, with the key's
// shielded material, to a signer that answers the requester directly. A change is answered
// once the snapshot actor has made its journal entry durable (group commit: one sync for all
// entries that arrived together). Signers that crash are restarted; if the vault actor or the
// snapshot actor fails, both are restarted from the file, which holds every acknowledged change.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <memory>
#include <string>

#include <caf/typed_actor.hpp>

#include "stronghold/actors/identity.hpp"
#include "stronghold/actors/messages.hpp"
#include "stronghold/snapshot/snapshot.hpp"

namespace stronghold::actors {

using engine_actor = caf::typed_actor<
    // Writes refuse a location that holds a live record unless told to replace it.
    caf::replies_to<generate_atom, vault::Location, vault::KeyType, vault::Overwrite>::with<Bytes>,
    caf::replies_to<import_atom, vault::Location, vault::KeyType, SharedShielded, vault::Overwrite>::with<Bytes>,
    caf::replies_to<public_atom, vault::Location>::with<Bytes>,
    // Ed25519 for an Ed25519 key, ECDSA over SHA-256 (compact, low-S) for a secp256k1 key.
    caf::replies_to<sign_atom, vault::Location, Bytes>::with<Bytes>,
    caf::replies_to<ecdsa_atom, vault::Location, Bytes, vault::EcdsaOptions>::with<Bytes>,
    caf::replies_to<batch_atom, vault::Location, ByteList>::with<ByteList>,
    caf::replies_to<derive_atom, vault::Location, std::string, vault::Curve, vault::Location,
                    vault::Overwrite>::with<Bytes>,
    caf::replies_to<delete_atom, vault::Location>::with<caf::ok_atom>,
    caf::replies_to<put_secret_atom, std::string, SharedShielded, vault::Overwrite>::with<caf::ok_atom>,
    caf::replies_to<get_secret_atom, std::string>::with<SharedShielded>, caf::replies_to<sync_atom>::with<caf::ok_atom>,
    // The shielded material of an Ed25519 or secp256k1 key, for signing on the caller's thread.
    caf::replies_to<material_atom, vault::Location>::with<vault::SigningMaterial>,
    caf::replies_to<transact_atom, SharedProcedure>::with<caf::ok_atom>,
    // Removes deleted and expired records for good and compacts the file.
    caf::replies_to<gc_atom>::with<caf::ok_atom>,
    // A password change: the file's header, for Snapshot::prepare_password_change on the
    // caller's thread (where the KDFs run), then the prepared password.
    caf::replies_to<header_atom>::with<Bytes>, caf::replies_to<passwd_atom, SharedNewPassword>::with<caf::ok_atom>>;

// The supervisor is also the identity storage's entry point (it forwards those requests to the
// identity registry), and reports restart counts and its children (the vault actor, the snapshot
// actor, the identity registry, then the signers), for monitoring and for tests that make them fail.
using supervisor_actor =
    engine_actor::extend_with<identity_actor>::extend<caf::replies_to<stats_atom>::with<EngineStats>,
                                                      caf::replies_to<children_atom>::with<std::vector<caf::actor>>>;

using signer_actor =
    caf::typed_actor<caf::replies_to<sign_atom, vault::SigningMaterial, Bytes>::with<Bytes>,
                     caf::replies_to<ecdsa_atom, vault::SigningMaterial, Bytes, vault::EcdsaOptions>::with<Bytes>,
                     caf::replies_to<batch_atom, vault::SigningMaterial, ByteList>::with<ByteList>>;

// Per-location change counters, shared by the vault actor (which bumps a location's counter
// before it acknowledges any change there) and by readers that cache signing material (which
// trust a cached entry only while its counter is unchanged). Locations share 4096 counters; a
// restart of the vault actor invalidates everything.
class KeyGenerations {
 public:
  std::uint64_t current(const vault::Location& location) const noexcept;
  void bump(const vault::Location& location) noexcept;
  void bump_all() noexcept;

 private:
  static constexpr std::size_t kCounters = 4096;
  std::size_t slot(const vault::Location& location) const noexcept;
  std::array<std::atomic<std::uint64_t>, kCounters> counters_{};
  std::atomic<std::uint64_t> epoch_{0};
};

struct EngineOptions {
  unsigned signers = 0;                               // 0: one per core
  std::chrono::milliseconds journal_timeout{30'000};  // for requests between the engine's actors
  std::chrono::milliseconds partition_idle{10'000};   // an identity partition idle this long stops
  snapshot::Durability durability = snapshot::Durability::sync;
  std::shared_ptr<KeyGenerations> generations;  // made by spawn_engine when null
};

// Starts the actors of `snapshot` (the engine takes it over) in `system` and returns the
// supervisor. To stop them: send it an exit message (caf::exit_reason::user_shutdown) and wait
// for it; everything acknowledged is durable by then.
Result<supervisor_actor> spawn_engine(caf::actor_system& system, std::unique_ptr<snapshot::Snapshot> snapshot,
                                      const EngineOptions& options);

}  // namespace stronghold::actors
