// Identification of snapshot files.
#pragma once

#include <array>
#include <cstdint>

#include "stronghold/runtime/hex.hpp"

namespace stronghold::snapshot {

inline constexpr std::array<std::uint8_t, 8> kMagic = {'S', 'H', 'L', 'D', 'S', 'N', 'A', 'P'};
inline constexpr std::uint16_t kFormatVersion = 1;

// True when `prefix` starts with the snapshot magic.
bool has_snapshot_magic(ByteView prefix) noexcept;

}  // namespace stronghold::snapshot
