// The identity registry, started by the supervisor (internal to the actor floor).
#pragma once

#include <chrono>

#include "stronghold/actors/engine.hpp"

namespace stronghold::actors {

struct IdentityOptions {
  std::chrono::milliseconds timeout{30'000};         // for the requests it sends
  std::chrono::milliseconds partition_idle{10'000};  // a partition idle this long stops
};

// Spawns the registry (the caller monitors it). `engine` receives, tagged vault_atom, the requests
// the registry and its partitions hand on to the vault actor.
identity_actor spawn_identity_registry(caf::actor_system& system, supervisor_actor engine, IdentityOptions options);

}  // namespace stronghold::actors
