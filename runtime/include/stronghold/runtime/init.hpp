// One-time initialisation of the cryptographic library. Every runtime entry point that needs it
// calls ensure_initialized(); applications never have to.
#pragma once

#include "stronghold/runtime/status.hpp"

namespace stronghold::runtime {

// Thread-safe and cheap after the first call.
Status ensure_initialized();

}  // namespace stronghold::runtime
