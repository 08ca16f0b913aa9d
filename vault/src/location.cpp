#include "stronghold/vault/location.hpp"

#include <cstdint>

#include "stronghold/runtime/utf8.hpp"

namespace stronghold::vault {
namespace {

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
    const std::int32_t code = runtime::next_code_point(path, at);
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
