#include "stronghold/vault/location.hpp"

#include <cstdint>

namespace stronghold::vault {
namespace {

// The next code point of well-formed UTF-8 at `text[at]` (advancing `at`), or -1: overlong
// forms, surrogates, values above U+10FFFF and truncated sequences are all refused.
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

// Code points that would make a listing lie about a path: C0 and C1 controls, DEL, and the
// bidirectional overrides and isolates that reorder what a terminal shows.
bool misleading(std::int32_t code) noexcept {
  return code < 0x20 || (code >= 0x7f && code <= 0x9f) || (code >= 0x202a && code <= 0x202e) ||
         (code >= 0x2066 && code <= 0x2069);
}

Status check_path(std::string_view what, std::string_view path, bool allow_slash) {
  if (path.empty() || path.size() > kMaxPathLength)
    return error(Errc::invalid_argument, "{} path must be 1 to {} bytes, not {}", what, kMaxPathLength, path.size());
  for (std::size_t at = 0; at < path.size();) {
    const std::int32_t code = next_code_point(path, at);
    if (code < 0)
      return error(Errc::invalid_argument, "{} path is not valid UTF-8", what);
    if (misleading(code))
      return error(Errc::invalid_argument, "{} path contains a control character", what);
    if (code == '/' && !allow_slash)
      return error(Errc::invalid_argument, "{} path must not contain '/'", what);
  }
  return {};
}

}  // namespace

Status Location::check_vault(std::string_view vault) { return check_path("vault", vault, false); }

Status Location::check() const {
  SH_RETURN_IF_ERROR(check_vault(vault));
  return check_path("record", record, true);
}

Result<Location> Location::make(std::string_view vault, std::string_view record) {
  Location location{std::string(vault), std::string(record)};
  SH_RETURN_IF_ERROR(location.check());
  return location;
}

Result<Location> Location::parse(std::string_view text) {
  const auto slash = text.find('/');
  if (slash == std::string_view::npos)
    return Status(Errc::invalid_argument, "a location is written VAULT/RECORD");
  return make(text.substr(0, slash), text.substr(slash + 1));
}

}  // namespace stronghold::vault
