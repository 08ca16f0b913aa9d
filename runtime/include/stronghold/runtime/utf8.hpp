// Well-formed UTF-8, as paths and the wire form's text fields must be.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace stronghold::runtime {

// The next code point of well-formed UTF-8 at `text[at]` (advancing `at`), or -1: overlong
// forms, surrogates, values above U+10FFFF and truncated sequences are all refused.
// Precondition: at < text.size().
std::int32_t next_code_point(std::string_view text, std::size_t& at) noexcept;

bool is_utf8(std::string_view text) noexcept;

}  // namespace stronghold::runtime
