#pragma once

#include <array>
#include <string_view>

namespace stronghold::vault {

extern const std::array<std::string_view, 2048> kBip39English;

}  // namespace stronghold::vault
