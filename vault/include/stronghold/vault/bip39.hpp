// BIP39 (English wordlist): mnemonics and the 64-byte seeds they stand for.
//
// The passphrase is used as the UTF-8 bytes given: Unicode normalisation (NFKD) is not applied,
// which only matters for passphrases outside ASCII. Word lookups do not branch on the words.
#pragma once

#include <span>

#include "stronghold/runtime/secret_buffer.hpp"
#include "stronghold/vault/keystore.hpp"

namespace stronghold::vault {

inline constexpr std::size_t kBip39SeedSize = 64;
inline constexpr std::size_t kMaxMnemonicSize = std::size_t{24} * 9;  // 24 words of at most 8 letters, and spaces

// The mnemonic of `entropy` (16, 20, 24, 28 or 32 bytes) into `out`; returns its length.
Result<std::size_t> bip39_mnemonic_from_entropy(ByteView entropy, std::span<char> out);
// Checks every word and the checksum of `mnemonic` (words separated by any whitespace) and
// writes its canonical form (single spaces) into `out`; returns its length. Errors name the
// word's position, never the word.
Result<std::size_t> bip39_canonical(ByteView mnemonic, std::span<char> out);
// PBKDF2-HMAC-SHA512(canonical mnemonic, "mnemonic" || passphrase, 2048 rounds).
Status bip39_seed(ByteView canonical_mnemonic, ByteView passphrase, std::span<std::uint8_t> seed);

// A new mnemonic of `words` words (12, 15, 18, 21 or 24); its seed is stored at `into` and the
// mnemonic is returned, once, in a buffer that wipes itself.
Result<runtime::SecretBuffer> generate_mnemonic(Transaction& tx, const Location& into, unsigned words,
                                                ByteView passphrase, const RecordOptions& options = {});
// Checks `mnemonic` and stores its seed at `into`.
Status recover_mnemonic(Transaction& tx, const Location& into, ByteView mnemonic, ByteView passphrase,
                        const RecordOptions& options = {});

}  // namespace stronghold::vault
