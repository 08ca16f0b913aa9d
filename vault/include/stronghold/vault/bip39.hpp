// BIP39: mnemonics in the ten languages of the published wordlists, and the 64-byte seeds they
// stand for.
//
// As BIP39 says, the seed is PBKDF2 over the NFKD form of the mnemonic and of "mnemonic" and the
// passphrase, so a composed and a decomposed "ä" (or a full-width and an ASCII letter) give the
// same seed. Normalisation (ICU) works on secret text only in wiping scratch memory. Word lookups
// compare against every word of a list, so their time and memory accesses do not depend on the
// word.
#pragma once

#include <optional>
#include <span>
#include <string_view>

#include "stronghold/runtime/secret_buffer.hpp"
#include "stronghold/vault/keystore.hpp"

namespace stronghold::vault {

// The published wordlists, in the order of BIP39's list of them; `any` (recovery only): the
// language is found from the words.
enum class Bip39Language : std::uint8_t {
  english,
  japanese,
  korean,
  spanish,
  chinese_simplified,
  chinese_traditional,
  french,
  italian,
  czech,
  portuguese,
  any,
};
// "english", "japanese", ..., "chinese-simplified", "chinese-traditional", ..., "any".
std::string_view bip39_language_name(Bip39Language language) noexcept;
std::optional<Bip39Language> bip39_language_named(std::string_view name) noexcept;

inline constexpr std::size_t kBip39SeedSize = 64;
// The longest mnemonic, in UTF-8 bytes: 24 Korean words of 33 bytes (11 jamo) and 23 spaces.
// Japanese words are shorter, and its 23 ideographic spaces (3 bytes each) do not make up for it.
inline constexpr std::size_t kMaxMnemonicSize = std::size_t{24} * 33 + 23;
// A mnemonic as given (other spacing, composed letters): at most this many bytes.
inline constexpr std::size_t kMaxMnemonicInput = 2048;
// A passphrase, in UTF-8 bytes.
inline constexpr std::size_t kMaxBip39Passphrase = 1024;

// The mnemonic of `entropy` (16, 20, 24, 28 or 32 bytes) in `language` into `out`; returns its
// length.
Result<std::size_t> bip39_mnemonic_from_entropy(ByteView entropy, std::span<char> out,
                                                Bip39Language language = Bip39Language::english);
// Checks every word and the checksum of `mnemonic` (UTF-8, words separated by any whitespace,
// compared in NFKD form) and writes its canonical form (the published words, joined by U+3000 in
// Japanese, by a space otherwise) into `out`; returns its length. With `any`, the language is the
// first (English first) whose list holds every word and whose checksum matches. Errors name the
// word's position, never the word.
Result<std::size_t> bip39_canonical(ByteView mnemonic, std::span<char> out,
                                    Bip39Language language = Bip39Language::any);
// PBKDF2-HMAC-SHA512(NFKD(mnemonic), "mnemonic" || NFKD(passphrase), 2048 rounds).
Status bip39_seed(ByteView mnemonic, ByteView passphrase, std::span<std::uint8_t> seed);

// A new mnemonic of `words` words (12, 15, 18, 21 or 24) in `language`; its seed is stored at
// `into` and the mnemonic is returned, once, in a buffer that wipes itself.
Result<runtime::SecretBuffer> generate_mnemonic(Transaction& tx, const Location& into, unsigned words,
                                                ByteView passphrase, const RecordOptions& options = {},
                                                Bip39Language language = Bip39Language::english);
// Checks `mnemonic` (in `language`, or any) and stores its seed at `into`.
Status recover_mnemonic(Transaction& tx, const Location& into, ByteView mnemonic, ByteView passphrase,
                        const RecordOptions& options = {}, Bip39Language language = Bip39Language::any);

}  // namespace stronghold::vault
