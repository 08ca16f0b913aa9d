#include "stronghold/runtime/utf8.hpp"

namespace stronghold::runtime {

std::int32_t next_code_point(std::string_view text, std::size_t& at) noexcept {
  const auto lead = static_cast<unsigned char>(text[at++]);
  if (lead < 0x80)
    return lead;
  const int length = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 0;
  if (length == 0 || lead > 0xf4 || at + static_cast<std::size_t>(length - 1) > text.size())
    return -1;
  std::int32_t code = lead & (0x7f >> length);
  for (int i = 1; i < length; ++i) {
    const auto next = static_cast<unsigned char>(text[at++]);
    if ((next & 0xc0) != 0x80)
      return -1;
    code = code << 6 | (next & 0x3f);
  }
  constexpr std::int32_t kSmallest[] = {0, 0, 0x80, 0x800, 0x10000};
  if (code < kSmallest[length] || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff))
    return -1;
  return code;
}

bool is_utf8(std::string_view text) noexcept {
  for (std::size_t at = 0; at < text.size();)
    if (next_code_point(text, at) < 0)
      return false;
  return true;
}

}  // namespace stronghold::runtime
