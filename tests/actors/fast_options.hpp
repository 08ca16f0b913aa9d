// Engine options for tests: the fast KDF (a test's snapshots need no protection from guessing)
// and two signers, as on the 2-core machines the suite runs on.
#pragma once

#include "stronghold/engine.hpp"

namespace stronghold::test {

inline EngineOptions fast_engine_options() {
  EngineOptions options;
  options.snapshot.kdf = snapshot::KdfPreset::fast;
  options.actors.signers = 2;
  return options;
}

}  // namespace stronghold::test
