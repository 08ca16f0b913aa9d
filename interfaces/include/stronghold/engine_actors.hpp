// The engine's actors, for an application that runs its own actors in the same actor system:
// the supervisor's typed handle takes every request of the vocabulary in an actors::Envelope
// (actors::envelope(request)) and answers with an actors::Reply (actors::answer_in<T>(reply)).
// This header pulls in CAF; stronghold/engine.hpp does not.
#pragma once

#include "stronghold/actors/engine.hpp"
#include "stronghold/engine.hpp"

namespace stronghold {

class EngineAccess {
 public:
  // Null once the engine is closed.
  static actors::supervisor_actor supervisor(const Engine& engine);
  static caf::actor_system& actor_system(const Engine& engine);
};

}  // namespace stronghold
