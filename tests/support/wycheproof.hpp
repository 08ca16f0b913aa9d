// Iteration over Project Wycheproof files in tests/vectors/wycheproof.
#pragma once

#include <functional>
#include <string>

#include <nlohmann/json.hpp>

#include "stronghold/runtime/hex.hpp"

namespace stronghold::test {

using Json = nlohmann::json;

// Calls `each(group, test)` for every test; returns how many ran.
std::size_t for_each_wycheproof(const std::string& file,
                                const std::function<void(const Json& group, const Json& test)>& each);
// A hex member of a test, decoded.
Bytes hex_field(const Json& object, std::string_view key);

}  // namespace stronghold::test
