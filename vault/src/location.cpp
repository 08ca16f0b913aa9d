#include "stronghold/vault/location.hpp"

namespace stronghold::vault {
namespace {

Status check_path(std::string_view what, std::string_view path, bool allow_slash) {
  if (path.empty() || path.size() > kMaxPathLength)
    return error(Errc::invalid_argument, "{} path must be 1 to {} bytes, not {}", what, kMaxPathLength, path.size());
  for (const char c : path) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f)
      return error(Errc::invalid_argument, "{} path contains a control character", what);
    if (c == '/' && !allow_slash)
      return error(Errc::invalid_argument, "{} path must not contain '/'", what);
  }
  return {};
}

}  // namespace

Status Location::check() const {
  SH_RETURN_IF_ERROR(check_path("vault", vault, false));
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
