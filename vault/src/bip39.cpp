#include "stronghold/vault/bip39.hpp"

#include <algorithm>
#include <cstring>

#include <sodium.h>

#include "bip39_wordlist.hpp"
#include "stronghold/runtime/random.hpp"
#include "stronghold/runtime/scratch.hpp"
#include "stronghold/vault/mac.hpp"

namespace stronghold::vault {
namespace {

using runtime::ScratchFrame;

constexpr std::size_t kMaxWordLetters = 8;
constexpr std::size_t kMaxWords = 24;
constexpr std::uint32_t kSeedRounds = 2048;

std::uint64_t pack_word(const char* letters, std::size_t length) noexcept {
  std::uint64_t packed = 0;
  std::memcpy(&packed, letters, length);
  return packed;
}

// The index of a word in the list, comparing against every entry so that the time and memory
// accesses do not depend on the word; -1 when it is not there.
int word_index(const char* letters, std::size_t length) noexcept {
  const std::uint64_t packed = pack_word(letters, length);
  std::uint32_t found = 0;
  std::uint32_t index = 0;
  for (std::uint32_t i = 0; i < kBip39English.size(); ++i) {
    const std::string_view word = kBip39English[i];
    const std::uint64_t diff = packed ^ pack_word(word.data(), word.size());
    const std::uint32_t equal = static_cast<std::uint32_t>(((diff | (0 - diff)) >> 63) ^ 1);  // 1 if diff == 0
    index |= i & (0 - equal);
    found |= equal;
  }
  return found ? static_cast<int>(index) : -1;
}

bool is_space(std::uint8_t c) noexcept { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }

// Bit `i` (most significant first) of `bytes`.
unsigned bit(ByteView bytes, std::size_t i) noexcept { return (bytes[i / 8] >> (7 - i % 8)) & 1u; }

}  // namespace

Result<std::size_t> bip39_mnemonic_from_entropy(ByteView entropy, std::span<char> out) {
  if (entropy.size() < 16 || entropy.size() > 32 || entropy.size() % 4 != 0)
    return error(Errc::invalid_argument, "BIP39 entropy is 16 to 32 bytes in steps of 4, not {}", entropy.size());
  ScratchFrame frame;
  SH_ASSIGN_OR_RETURN(auto bits, frame.take(entropy.size() + 1));
  std::memcpy(bits.data(), entropy.data(), entropy.size());
  std::uint8_t digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, entropy.data(), entropy.size());
  bits[entropy.size()] = digest[0];  // the checksum is the first entropy/32 bits (at most 8)
  sodium_memzero(digest, sizeof digest);

  const std::size_t words = (entropy.size() * 8 + entropy.size() / 4) / 11;
  std::size_t length = 0;
  for (std::size_t w = 0; w < words; ++w) {
    std::uint32_t index = 0;
    for (std::size_t b = 0; b < 11; ++b)
      index = index << 1 | bit(bits, w * 11 + b);
    const std::string_view word = kBip39English[index];
    if (length + word.size() + 1 > out.size())
      return Status(Errc::invalid_argument, "the output is too small for the mnemonic");
    if (w > 0)
      out[length++] = ' ';
    std::memcpy(out.data() + length, word.data(), word.size());
    length += word.size();
  }
  return length;
}

Result<std::size_t> bip39_canonical(ByteView mnemonic, std::span<char> out) {
  ScratchFrame frame;
  SH_ASSIGN_OR_RETURN(auto bits, frame.take(33));  // 24 words of 11 bits
  std::size_t words = 0;
  std::size_t length = 0;
  std::size_t i = 0;
  while (i < mnemonic.size()) {
    if (is_space(mnemonic[i])) {
      ++i;
      continue;
    }
    std::size_t end = i;
    while (end < mnemonic.size() && !is_space(mnemonic[end]))
      ++end;
    if (words == kMaxWords)
      return Status(Errc::invalid_argument, "a BIP39 mnemonic has at most 24 words");
    const std::size_t letters = end - i;
    // Words of the English list are a-z only: anything else (a NUL, a control character) would be
    // ignored by the lookup yet change the seed, so it is refused.
    if (!std::all_of(mnemonic.begin() + static_cast<std::ptrdiff_t>(i),
                     mnemonic.begin() + static_cast<std::ptrdiff_t>(end),
                     [](std::uint8_t c) { return c >= 'a' && c <= 'z'; }))
      return error(Errc::invalid_argument, "word {} of the mnemonic holds a character other than a-z", words + 1);
    const int index =
        letters <= kMaxWordLetters ? word_index(reinterpret_cast<const char*>(mnemonic.data() + i), letters) : -1;
    if (index < 0)
      return error(Errc::invalid_argument, "word {} of the mnemonic is not in the BIP39 English list", words + 1);
    for (std::size_t b = 0; b < 11; ++b)
      if ((static_cast<unsigned>(index) >> (10 - b)) & 1u)
        bits[(words * 11 + b) / 8] |= static_cast<std::uint8_t>(0x80u >> ((words * 11 + b) % 8));
    if (length + letters + 1 > out.size())
      return Status(Errc::invalid_argument, "the output is too small for the mnemonic");
    if (words > 0)
      out[length++] = ' ';
    std::memcpy(out.data() + length, mnemonic.data() + i, letters);
    length += letters;
    ++words;
    i = end;
  }
  if (words < 12 || words % 3 != 0)
    return error(Errc::invalid_argument, "a BIP39 mnemonic has 12, 15, 18, 21 or 24 words, not {}", words);
  const std::size_t entropy_bytes = words * 11 * 32 / 33 / 8;
  const std::size_t checksum_bits = entropy_bytes / 4;
  std::uint8_t digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, bits.data(), entropy_bytes);
  const unsigned expected = digest[0] >> (8 - checksum_bits);
  const unsigned stored = bits[entropy_bytes] >> (8 - checksum_bits);
  sodium_memzero(digest, sizeof digest);
  if (expected != stored)
    return Status(Errc::invalid_argument, "the mnemonic's checksum does not match (a word is wrong or misplaced)");
  return length;
}

Status bip39_seed(ByteView canonical_mnemonic, ByteView passphrase, std::span<std::uint8_t> seed) {
  if (seed.size() != kBip39SeedSize)
    return Status(Errc::invalid_argument, "a BIP39 seed is 64 bytes");
  constexpr std::string_view kSaltPrefix = "mnemonic";
  ScratchFrame frame;
  SH_ASSIGN_OR_RETURN(auto salt, frame.take(kSaltPrefix.size() + passphrase.size()));
  std::memcpy(salt.data(), kSaltPrefix.data(), kSaltPrefix.size());
  if (!passphrase.empty())
    std::memcpy(salt.data() + kSaltPrefix.size(), passphrase.data(), passphrase.size());
  return pbkdf2_raw(Hash::sha512, canonical_mnemonic, salt, kSeedRounds, seed);
}

Status recover_mnemonic(Transaction& tx, const Location& into, ByteView mnemonic, ByteView passphrase,
                        const RecordOptions& options) {
  ScratchFrame frame;
  SH_ASSIGN_OR_RETURN(auto canonical, frame.take(kMaxMnemonicSize));
  SH_ASSIGN_OR_RETURN(auto seed, frame.take(kBip39SeedSize));
  SH_ASSIGN_OR_RETURN(const std::size_t length,
                      bip39_canonical(mnemonic, {reinterpret_cast<char*>(canonical.data()), canonical.size()}));
  SH_RETURN_IF_ERROR(bip39_seed(canonical.first(length), passphrase, seed));
  return tx.put(into, KeyType::seed, seed, {}, options);
}

Result<runtime::SecretBuffer> generate_mnemonic(Transaction& tx, const Location& into, unsigned words,
                                                ByteView passphrase, const RecordOptions& options) {
  if (words < 12 || words > 24 || words % 3 != 0)
    return error(Errc::invalid_argument, "a BIP39 mnemonic has 12, 15, 18, 21 or 24 words, not {}", words);
  ScratchFrame frame;
  SH_ASSIGN_OR_RETURN(auto entropy, frame.take(words * 4 / 3));
  SH_ASSIGN_OR_RETURN(auto text, frame.take(kMaxMnemonicSize));
  runtime::random_bytes(entropy);
  SH_ASSIGN_OR_RETURN(const std::size_t length,
                      bip39_mnemonic_from_entropy(entropy, {reinterpret_cast<char*>(text.data()), text.size()}));
  SH_RETURN_IF_ERROR(recover_mnemonic(tx, into, text.first(length), passphrase, options));
  return runtime::SecretBuffer::from(text.first(length));
}

}  // namespace stronghold::vault
