#include "stronghold/runtime/init.hpp"

#include <sodium.h>

namespace stronghold::runtime {

Status ensure_initialized() {
  static const bool initialized = sodium_init() >= 0;
  if (!initialized)
    return Status(Errc::internal, "libsodium could not be initialised");
  return {};
}

}  // namespace stronghold::runtime
