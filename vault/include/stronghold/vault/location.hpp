// Where a record lives: a vault path and a record path, written "VAULT/RECORD".
#pragma once

#include <compare>
#include <string>
#include <string_view>

#include "stronghold/runtime/status.hpp"

namespace stronghold::vault {

inline constexpr std::size_t kMaxPathLength = 255;

struct Location {
  std::string vault;
  std::string record;

  // Checks both parts: 1 to 255 bytes of valid UTF-8 without control characters (C0, DEL, C1)
  // or bidirectional overrides, and no '/' in the vault part.
  static Result<Location> make(std::string_view vault, std::string_view record);
  // "VAULT/RECORD": the vault is everything before the first '/'.
  static Result<Location> parse(std::string_view text);
  std::string to_string() const { return vault + "/" + record; }
  // The checks of make() on an existing value (a Location is a plain struct).
  Status check() const;
  // The checks of a vault part alone (a vault named to export).
  static Status check_vault(std::string_view vault);

  auto operator<=>(const Location&) const = default;
};

}  // namespace stronghold::vault
