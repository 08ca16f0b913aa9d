#include "stronghold/vault/bip39.hpp"

#include <unicode/uchar.h>

#include <array>
#include <cstring>

#include <sodium.h>

#include "bip39_wordlist.hpp"
#include "nfkd.hpp"
#include "stronghold/runtime/random.hpp"
#include "stronghold/runtime/scratch.hpp"
#include "stronghold/runtime/utf8.hpp"
#include "stronghold/vault/mac.hpp"

namespace stronghold::vault {
namespace {

using runtime::ScratchFrame;

constexpr std::size_t kMaxWords = 24;
constexpr std::uint32_t kSeedRounds = 2048;
constexpr std::string_view kSaltPrefix = "mnemonic";
// A mnemonic's NFKD form may take this many times its bytes (Hangul syllables become 2 or 3
// jamo of the same size); a longer one is refused rather than given room for 11-fold growth.
constexpr std::size_t kMnemonicGrowth = 4;

constexpr std::array<std::string_view, kBip39Languages + 1> kLanguageNames = {
    "english", "japanese", "korean",     "spanish", "chinese-simplified", "chinese-traditional", "french",
    "italian", "czech",    "portuguese", "any"};

// The words of a mnemonic and, for each language looked at, each word's index in its list
// (-1: not there). All of it is secret, so it lives in scratch.
struct Words {
  std::span<std::uint16_t> start, size;
  std::span<std::int16_t> index;  // [language * kMaxWords + word]
  std::size_t count = 0;

  std::int16_t& at(std::size_t language, std::size_t word) const noexcept { return index[language * kMaxWords + word]; }
};

template <class T>
Result<std::span<T>> take_array(ScratchFrame& frame, std::size_t count) {
  SH_ASSIGN_OR_RETURN(auto bytes, frame.take(count * sizeof(T)));
  return std::span<T>(reinterpret_cast<T*>(bytes.data()), count);
}

Result<Words> take_words(ScratchFrame& frame) {
  Words words;
  SH_ASSIGN_OR_RETURN(words.start, take_array<std::uint16_t>(frame, kMaxWords));
  SH_ASSIGN_OR_RETURN(words.size, take_array<std::uint16_t>(frame, kMaxWords));
  SH_ASSIGN_OR_RETURN(words.index, take_array<std::int16_t>(frame, kBip39Languages * kMaxWords));
  return words;
}

// The index of a word in `list`, comparing against every entry so that the time and memory
// accesses depend on the list only; -1 when it is not there. `padded` holds the word's `size`
// bytes and zeros up to kBip39LongestWord.
std::int16_t word_index(const Bip39Wordlist& list, const std::uint8_t* padded, std::size_t size) noexcept {
  std::uint32_t found = 0;
  std::uint32_t index = 0;
  for (std::uint32_t i = 0; i < kBip39ListSize; ++i) {
    const std::string_view word = list.word(i);
    std::uint32_t diff = static_cast<std::uint32_t>(word.size() ^ size);
    for (std::size_t j = 0; j < word.size(); ++j)
      diff |= static_cast<std::uint8_t>(word[j]) ^ padded[j];
    const std::uint32_t equal = (diff - 1) >> 31;  // diff is below 2^31: 1 if it is 0
    index |= i & (0 - equal);
    found |= equal;
  }
  return found ? static_cast<std::int16_t>(index) : std::int16_t{-1};
}

bool space_next(std::string_view chars, std::size_t& at) noexcept {
  return u_isUWhiteSpace(runtime::next_code_point(chars, at));
}

// Splits NFKD text at any Unicode whitespace (U+3000 has become a space by now, but U+2028 and
// the like have not).
Status split(ByteView text, Words& words) {
  const std::string_view chars(reinterpret_cast<const char*>(text.data()), text.size());
  std::size_t at = 0;
  while (at < chars.size()) {
    const std::size_t start = at;
    if (space_next(chars, at))
      continue;
    std::size_t end = at;
    for (std::size_t after = end; end < chars.size() && !space_next(chars, after); end = after) {
    }
    if (words.count == kMaxWords)
      return Status(Errc::invalid_argument, "a BIP39 mnemonic has at most 24 words");
    words.start[words.count] = static_cast<std::uint16_t>(start);
    words.size[words.count++] = static_cast<std::uint16_t>(end - start);
    at = end;
  }
  if (words.count < 12 || words.count % 3 != 0)
    return error(Errc::invalid_argument, "a BIP39 mnemonic has 12, 15, 18, 21 or 24 words, not {}", words.count);
  return {};
}

// Every word's index in each of the lists [first, last].
Status look_up(ByteView text, Words& words, std::size_t first, std::size_t last) {
  ScratchFrame frame;
  SH_ASSIGN_OR_RETURN(auto padded, frame.take(kBip39LongestWord));
  for (std::size_t w = 0; w < words.count; ++w) {
    const std::size_t size = words.size[w];
    sodium_memzero(padded.data(), padded.size());
    if (size <= kBip39LongestWord)
      std::memcpy(padded.data(), text.data() + words.start[w], size);
    for (std::size_t language = first; language <= last; ++language)
      words.at(language, w) =
          size <= kBip39LongestWord
              ? word_index(bip39_wordlist(static_cast<Bip39Language>(language)), padded.data(), size)
              : std::int16_t{-1};
  }
  return {};
}

bool all_found(const Words& words, std::size_t language) noexcept {
  for (std::size_t w = 0; w < words.count; ++w)
    if (words.at(language, w) < 0)
      return false;
  return true;
}

// True when the last bits of the words' indices are the checksum of the bits before them.
Result<bool> checksum_holds(const Words& words, std::size_t language) {
  ScratchFrame frame;
  SH_ASSIGN_OR_RETURN(auto bits, frame.take(33));  // 24 words of 11 bits
  for (std::size_t w = 0; w < words.count; ++w)
    for (std::size_t b = 0; b < 11; ++b)
      if ((static_cast<unsigned>(words.at(language, w)) >> (10 - b)) & 1u)
        bits[(w * 11 + b) / 8] |= static_cast<std::uint8_t>(0x80u >> ((w * 11 + b) % 8));
  const std::size_t entropy_bytes = words.count * 11 * 32 / 33 / 8;
  const std::size_t checksum_bits = entropy_bytes / 4;
  SH_ASSIGN_OR_RETURN(auto digest, frame.take(crypto_hash_sha256_BYTES));
  crypto_hash_sha256(digest.data(), bits.data(), entropy_bytes);
  return (digest[0] >> (8 - checksum_bits)) == (bits[entropy_bytes] >> (8 - checksum_bits));
}

// Why no list of [first, last] holds the words with a matching checksum: the first word that
// leaves no list holding it and the words before it, or the checksum.
Status no_language(const Words& words, std::size_t first, std::size_t last) {
  for (std::size_t language = first; language <= last; ++language)
    if (all_found(words, language))
      return Status(Errc::invalid_argument, "the mnemonic's checksum does not match (a word is wrong or misplaced)");
  for (std::size_t w = 0; w < words.count; ++w) {
    bool some_list_holds_all = false;
    bool some_list_holds_it = false;
    for (std::size_t language = first; language <= last; ++language) {
      bool holds_all = true;
      for (std::size_t before = 0; before <= w; ++before)
        holds_all = holds_all && words.at(language, before) >= 0;
      some_list_holds_all = some_list_holds_all || holds_all;
      some_list_holds_it = some_list_holds_it || words.at(language, w) >= 0;
    }
    if (some_list_holds_all)
      continue;
    if (some_list_holds_it)
      return error(Errc::invalid_argument,
                   "word {} of the mnemonic is from another BIP39 wordlist than the words before it", w + 1);
    if (first == last)
      return error(Errc::invalid_argument, "word {} of the mnemonic is not in the BIP39 {} list", w + 1,
                   kLanguageNames[first]);
    return error(Errc::invalid_argument, "word {} of the mnemonic is in no BIP39 wordlist", w + 1);
  }
  return Status(Errc::internal, "a list holds every word, yet none was chosen");
}

// Writes `count` words of `language`, word w being index(w), joined by its separator.
template <class Index>
Result<std::size_t> write_words(Bip39Language language, std::size_t count, Index index, std::span<char> out) {
  const Bip39Wordlist& list = bip39_wordlist(language);
  const std::string_view separator = bip39_separator(language);
  std::size_t length = 0;
  for (std::size_t w = 0; w < count; ++w) {
    const std::string_view word = list.word(index(w));
    if (length + separator.size() + word.size() > out.size())
      return Status(Errc::invalid_argument, "the output is too small for the mnemonic");
    if (w > 0) {
      std::memcpy(out.data() + length, separator.data(), separator.size());
      length += separator.size();
    }
    std::memcpy(out.data() + length, word.data(), word.size());
    length += word.size();
  }
  return length;
}

// Bit `i` (most significant first) of `bytes`.
unsigned bit(ByteView bytes, std::size_t i) noexcept { return (bytes[i / 8] >> (7 - i % 8)) & 1u; }

}  // namespace

std::string_view bip39_language_name(Bip39Language language) noexcept {
  return kLanguageNames[static_cast<std::size_t>(language)];
}

std::optional<Bip39Language> bip39_language_named(std::string_view name) noexcept {
  for (std::size_t i = 0; i < kLanguageNames.size(); ++i)
    if (kLanguageNames[i] == name)
      return static_cast<Bip39Language>(i);
  return std::nullopt;
}

Result<std::size_t> bip39_mnemonic_from_entropy(ByteView entropy, std::span<char> out, Bip39Language language) {
  if (entropy.size() < 16 || entropy.size() > 32 || entropy.size() % 4 != 0)
    return error(Errc::invalid_argument, "BIP39 entropy is 16 to 32 bytes in steps of 4, not {}", entropy.size());
  if (language == Bip39Language::any)
    return Status(Errc::invalid_argument, "a new mnemonic needs a language, not any");
  ScratchFrame frame;
  SH_ASSIGN_OR_RETURN(auto bits, frame.take(entropy.size() + 1));
  std::memcpy(bits.data(), entropy.data(), entropy.size());
  SH_ASSIGN_OR_RETURN(auto digest, frame.take(crypto_hash_sha256_BYTES));
  crypto_hash_sha256(digest.data(), entropy.data(), entropy.size());
  bits[entropy.size()] = digest[0];  // the checksum is the first entropy/32 bits (at most 8)
  const std::size_t words = (entropy.size() * 8 + entropy.size() / 4) / 11;
  return write_words(
      language, words,
      [&](std::size_t w) {
        std::uint32_t index = 0;
        for (std::size_t b = 0; b < 11; ++b)
          index = index << 1 | bit(bits, w * 11 + b);
        return index;
      },
      out);
}

Result<std::size_t> bip39_canonical(ByteView mnemonic, std::span<char> out, Bip39Language language) {
  if (mnemonic.size() > kMaxMnemonicInput)
    return error(Errc::invalid_argument, "a BIP39 mnemonic is at most {} bytes, not {}", kMaxMnemonicInput,
                 mnemonic.size());
  ScratchFrame frame;
  SH_ASSIGN_OR_RETURN(auto normalised, frame.take(kMnemonicGrowth * mnemonic.size()));
  SH_ASSIGN_OR_RETURN(const std::size_t size, nfkd(mnemonic, normalised));
  SH_ASSIGN_OR_RETURN(Words words, take_words(frame));
  SH_RETURN_IF_ERROR(split(normalised.first(size), words));
  const bool any = language == Bip39Language::any;
  const std::size_t first = any ? 0 : static_cast<std::size_t>(language);
  const std::size_t last = any ? kBip39Languages - 1 : first;
  SH_RETURN_IF_ERROR(look_up(normalised, words, first, last));
  for (std::size_t chosen = first; chosen <= last; ++chosen) {
    if (!all_found(words, chosen))
      continue;
    SH_ASSIGN_OR_RETURN(const bool holds, checksum_holds(words, chosen));
    if (holds)
      return write_words(
          static_cast<Bip39Language>(chosen), words.count,
          [&](std::size_t w) { return static_cast<std::size_t>(words.at(chosen, w)); }, out);
  }
  return no_language(words, first, last);
}

Status bip39_seed(ByteView mnemonic, ByteView passphrase, std::span<std::uint8_t> seed) {
  if (seed.size() != kBip39SeedSize)
    return Status(Errc::invalid_argument, "a BIP39 seed is 64 bytes");
  if (mnemonic.size() > kMaxMnemonicSize)
    return error(Errc::invalid_argument, "a BIP39 mnemonic is at most {} bytes, not {}", kMaxMnemonicSize,
                 mnemonic.size());
  if (passphrase.size() > kMaxBip39Passphrase)
    return error(Errc::invalid_argument, "a BIP39 passphrase is at most {} bytes, not {}", kMaxBip39Passphrase,
                 passphrase.size());
  ScratchFrame frame;
  SH_ASSIGN_OR_RETURN(auto normalised, frame.take(kNfkdMaxGrowth * mnemonic.size()));
  SH_ASSIGN_OR_RETURN(const std::size_t mnemonic_size, nfkd(mnemonic, normalised));
  SH_ASSIGN_OR_RETURN(auto salt, frame.take(kSaltPrefix.size() + kNfkdMaxGrowth * passphrase.size()));
  std::memcpy(salt.data(), kSaltPrefix.data(), kSaltPrefix.size());
  SH_ASSIGN_OR_RETURN(const std::size_t passphrase_size, nfkd(passphrase, salt.subspan(kSaltPrefix.size())));
  return pbkdf2_raw(Hash::sha512, normalised.first(mnemonic_size), salt.first(kSaltPrefix.size() + passphrase_size),
                    kSeedRounds, seed);
}

Status recover_mnemonic(Transaction& tx, const Location& into, ByteView mnemonic, ByteView passphrase,
                        const RecordOptions& options, Bip39Language language) {
  ScratchFrame frame;
  SH_ASSIGN_OR_RETURN(auto canonical, frame.take(kMaxMnemonicSize));
  SH_ASSIGN_OR_RETURN(auto seed, frame.take(kBip39SeedSize));
  SH_ASSIGN_OR_RETURN(
      const std::size_t length,
      bip39_canonical(mnemonic, {reinterpret_cast<char*>(canonical.data()), canonical.size()}, language));
  SH_RETURN_IF_ERROR(bip39_seed(canonical.first(length), passphrase, seed));
  return tx.put(into, KeyType::seed, seed, {}, options);
}

Result<runtime::SecretBuffer> generate_mnemonic(Transaction& tx, const Location& into, unsigned words,
                                                ByteView passphrase, const RecordOptions& options,
                                                Bip39Language language) {
  if (words < 12 || words > 24 || words % 3 != 0)
    return error(Errc::invalid_argument, "a BIP39 mnemonic has 12, 15, 18, 21 or 24 words, not {}", words);
  ScratchFrame frame;
  SH_ASSIGN_OR_RETURN(auto entropy, frame.take(words * 4 / 3));
  SH_ASSIGN_OR_RETURN(auto text, frame.take(kMaxMnemonicSize));
  runtime::random_bytes(entropy);
  SH_ASSIGN_OR_RETURN(
      const std::size_t length,
      bip39_mnemonic_from_entropy(entropy, {reinterpret_cast<char*>(text.data()), text.size()}, language));
  SH_RETURN_IF_ERROR(recover_mnemonic(tx, into, text.first(length), passphrase, options, language));
  return runtime::SecretBuffer::from(text.first(length));
}

}  // namespace stronghold::vault
