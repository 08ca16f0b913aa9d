// Settings for the actor system that hosts the engine's actors.
#pragma once

#include <caf/actor_system_config.hpp>

namespace stronghold::actors {

// Worker threads equal to the cores (CAF 0.17 defaults to at least four, which oversubscribes
// small machines). `threads` 0 means one per core.
void configure_scheduler(caf::actor_system_config& config, unsigned threads = 0);

}  // namespace stronghold::actors
