// The ten BIP39 wordlists, compiled in from the published files (vault/wordlists).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "stronghold/vault/bip39.hpp"

namespace stronghold::vault {

inline constexpr std::size_t kBip39ListSize = 2048;
inline constexpr std::size_t kBip39Languages = 10;

// One published list: its text (every word followed by a newline) and where each word starts.
struct Bip39Wordlist {
  std::string_view text;
  std::array<std::uint16_t, kBip39ListSize + 1> starts;

  constexpr std::string_view word(std::size_t index) const noexcept {
    return text.substr(starts[index], starts[index + 1] - starts[index] - 1);
  }
};

// The list of `language` (not Bip39Language::any).
const Bip39Wordlist& bip39_wordlist(Bip39Language language) noexcept;

// The longest word of any list, in UTF-8 bytes (a Korean one: 11 jamo of 3 bytes).
inline constexpr std::size_t kBip39LongestWord = 33;

// What joins the words of a mnemonic: the ideographic space (U+3000) in Japanese, as BIP39's
// Japanese vectors have it, a space otherwise. Both are a space once normalised (NFKD).
constexpr std::string_view bip39_separator(Bip39Language language) noexcept {
  return language == Bip39Language::japanese ? std::string_view("\xe3\x80\x80") : std::string_view(" ");
}

}  // namespace stronghold::vault
