// Comparison whose running time does not depend on the contents.
#pragma once

#include <cstdint>
#include <span>

namespace stronghold::runtime {

// False when the lengths differ (the lengths themselves are not secret).
bool constant_time_equal(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b) noexcept;
// True when every byte is zero.
bool constant_time_is_zero(std::span<const std::uint8_t> bytes) noexcept;
// Overwrites with zeros in a way the compiler cannot drop.
void secure_wipe(std::span<std::uint8_t> bytes) noexcept;

}  // namespace stronghold::runtime
