// Settings for the actor system that hosts the engine's actors.
#pragma once

#include <caf/actor_system_config.hpp>

namespace stronghold::actors {

// Worker threads equal to the cores (CAF 0.17 defaults to at least four, which oversubscribes
// small machines). `threads` 0 means one per core. The sharing policy: an idle worker waits on a
// condition variable, where CAF's default work stealing polls its queue every 50 µs for 500 tries
// after each job (in a node forwarding signatures, 13% of its core's samples were those sleeps).
void configure_scheduler(caf::actor_system_config& config, unsigned threads = 0);

// CAF 0.17 keeps a reference to the actor system's logger in a thread-local of every thread that
// spawns an actor (scoped actors included), and ~actor_system waits until the logger is gone: an
// engine closed on one thread would hang while another thread that once called it lives on.
// Threads outside the actor system drop that reference after each spawn with this guard.
class ReleaseThreadLogger {
 public:
  ReleaseThreadLogger() = default;
  ReleaseThreadLogger(const ReleaseThreadLogger&) = delete;
  ReleaseThreadLogger& operator=(const ReleaseThreadLogger&) = delete;
  ~ReleaseThreadLogger();
};

}  // namespace stronghold::actors
