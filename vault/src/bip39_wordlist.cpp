// The ten BIP39 wordlists. The build generates their text (bip39_wordlists.inc, from
// vault/wordlists/*.txt after checking each file's SHA-256); the word offsets, and the checks that
// each list is 2048 non-empty words without spaces, are computed here by the compiler.
#include "bip39_wordlist.hpp"

#include <algorithm>
#include <utility>

namespace stronghold::vault {
namespace {

#include "bip39_wordlists.inc"

consteval Bip39Wordlist index(std::string_view text) {
  Bip39Wordlist list{text, {}};
  std::size_t word = 0;
  for (std::size_t at = 0; at < text.size(); ++at) {
    if (text[at] == ' ' || text[at] == '\r' || text[at] == '\t')
      throw "a BIP39 word holds a space";  // not a constant expression: stops the build
    if (text[at] != '\n')
      continue;
    if (word == kBip39ListSize || at == list.starts[word])
      throw "a BIP39 list has more than 2048 words, or an empty one";
    list.starts[++word] = static_cast<std::uint16_t>(at + 1);
  }
  if (word != kBip39ListSize || list.starts[word] != text.size())
    throw "a BIP39 list has fewer than 2048 words, or no newline after its last";
  return list;
}

consteval std::size_t longest(const Bip39Wordlist& list) {
  std::size_t most = 0;
  for (std::size_t i = 0; i < kBip39ListSize; ++i)
    most = std::max(most, list.word(i).size());
  return most;
}

// In Bip39Language's order.
constexpr std::array<Bip39Wordlist, kBip39Languages> kLists = {index(kBip39Text_english),
                                                               index(kBip39Text_japanese),
                                                               index(kBip39Text_korean),
                                                               index(kBip39Text_spanish),
                                                               index(kBip39Text_chinese_simplified),
                                                               index(kBip39Text_chinese_traditional),
                                                               index(kBip39Text_french),
                                                               index(kBip39Text_italian),
                                                               index(kBip39Text_czech),
                                                               index(kBip39Text_portuguese)};

// The longest word of any list, and the longest mnemonic: 24 words and 23 separators.
consteval std::pair<std::size_t, std::size_t> longest_word_and_mnemonic() {
  std::pair<std::size_t, std::size_t> most{0, 0};
  for (std::size_t language = 0; language < kBip39Languages; ++language) {
    const std::size_t word = longest(kLists[language]);
    most.first = std::max(most.first, word);
    most.second = std::max(most.second, word * 24 + 23 * bip39_separator(static_cast<Bip39Language>(language)).size());
  }
  return most;
}
static_assert(longest_word_and_mnemonic().first == kBip39LongestWord);
static_assert(longest_word_and_mnemonic().second == kMaxMnemonicSize);

}  // namespace

const Bip39Wordlist& bip39_wordlist(Bip39Language language) noexcept {
  return kLists[static_cast<std::size_t>(language)];
}

}  // namespace stronghold::vault
