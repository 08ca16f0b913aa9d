#include "stronghold/stronghold.hpp"

namespace stronghold {

const char* version() noexcept { return STRONGHOLD_VERSION; }

}  // namespace stronghold
