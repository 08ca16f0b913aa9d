// Base58 (Bitcoin alphabet) for public data: extended public keys, DIDs.
#pragma once

#include <string>
#include <string_view>

#include "stronghold/runtime/hex.hpp"

namespace stronghold {

std::string to_base58(ByteView bytes);
// invalid_argument for a character outside the alphabet or an input over 1 KiB.
Result<Bytes> from_base58(std::string_view text);
// With a 4-byte double-SHA-256 checksum appended.
std::string to_base58check(ByteView payload);
// The payload, or invalid_argument when the checksum does not match.
Result<Bytes> from_base58check(std::string_view text);

}  // namespace stronghold
