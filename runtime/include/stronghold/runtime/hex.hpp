// Lowercase hex for public data (public keys, signatures, ids). Secret bytes are never
// hex-encoded into ordinary strings.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "stronghold/runtime/status.hpp"

namespace stronghold {

using Bytes = std::vector<std::uint8_t>;
using ByteView = std::span<const std::uint8_t>;

std::string to_hex(ByteView bytes);
// Accepts upper and lower case; an odd length or a non-hex character is invalid_argument.
Result<Bytes> from_hex(std::string_view text);

inline ByteView as_bytes(std::string_view text) noexcept {
  return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

}  // namespace stronghold
