// Unicode NFKD (compatibility decomposition) of secret UTF-8 text, as BIP39 asks of mnemonics
// and passphrases, with ICU. The text, and every form it takes on the way, stays in memory the
// caller or this thread's scratch owns and wipes: never in ICU's own heap blocks.
#pragma once

#include <cstddef>
#include <span>

#include "stronghold/runtime/hex.hpp"
#include "stronghold/runtime/status.hpp"

namespace stronghold::vault {

// NFKD grows UTF-8 text at most 11-fold (UAX #15's maximum expansion factors; U+FDFA does).
inline constexpr std::size_t kNfkdMaxGrowth = 11;
// The longest text nfkd() takes, in bytes.
inline constexpr std::size_t kNfkdMaxInput = 2048;

// The NFKD of UTF-8 `text` (at most kNfkdMaxInput bytes), in UTF-8, into `out`; returns its
// length. invalid_argument when `text` is not UTF-8, holds more than 31 combining marks in a row,
// or its NFKD does not fit `out`.
Result<std::size_t> nfkd(ByteView text, std::span<std::uint8_t> out);

}  // namespace stronghold::vault
