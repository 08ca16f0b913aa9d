#include "stronghold/snapshot/format.hpp"

#include <algorithm>

namespace stronghold::snapshot {

bool has_snapshot_magic(ByteView prefix) noexcept {
  return prefix.size() >= kMagic.size() && std::equal(kMagic.begin(), kMagic.end(), prefix.begin());
}

}  // namespace stronghold::snapshot
