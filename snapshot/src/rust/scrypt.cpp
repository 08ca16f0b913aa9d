#include "rust/scrypt.hpp"

#include <array>
#include <bit>
#include <cstring>

#include <openssl/evp.h>

#include "stronghold/runtime/secret_bytes.hpp"

namespace stronghold::snapshot::rust_stronghold {
namespace {

using Word = std::uint32_t;
constexpr std::size_t kBlockWords = 16;

void salsa20_8(std::span<Word, kBlockWords> block) noexcept {
  std::array<Word, kBlockWords> x{};
  std::memcpy(x.data(), block.data(), sizeof(x));
  auto quarter = [&x](std::size_t a, std::size_t b, std::size_t c, std::size_t d) {
    x[b] ^= std::rotl(x[a] + x[d], 7);
    x[c] ^= std::rotl(x[b] + x[a], 9);
    x[d] ^= std::rotl(x[c] + x[b], 13);
    x[a] ^= std::rotl(x[d] + x[c], 18);
  };
  for (int round = 0; round < 8; round += 2) {
    quarter(0, 4, 8, 12);
    quarter(5, 9, 13, 1);
    quarter(10, 14, 2, 6);
    quarter(15, 3, 7, 11);
    quarter(0, 1, 2, 3);
    quarter(5, 6, 7, 4);
    quarter(10, 11, 8, 9);
    quarter(15, 12, 13, 14);
  }
  for (std::size_t i = 0; i < kBlockWords; ++i)
    block[i] += x[i];
  runtime::wipe(x.data(), sizeof(x));
}

// BlockMix over 2r 64-byte blocks of `in` into `out` (RFC 7914 section 4).
void block_mix(std::span<const Word> in, std::span<Word> out, unsigned r) noexcept {
  std::array<Word, kBlockWords> x{};
  std::memcpy(x.data(), &in[(2 * r - 1) * kBlockWords], sizeof(x));
  for (std::size_t i = 0; i < std::size_t{2} * r; ++i) {
    for (std::size_t w = 0; w < kBlockWords; ++w)
      x[w] ^= in[i * kBlockWords + w];
    salsa20_8(x);
    // Even blocks go to the first half of the output, odd ones to the second.
    std::size_t slot = (i / 2) + ((i % 2) * r);
    std::memcpy(&out[slot * kBlockWords], x.data(), sizeof(x));
  }
  runtime::wipe(x.data(), sizeof(x));
}

std::span<Word> words(runtime::SecretBytes& bytes, std::size_t offset, std::size_t count) noexcept {
  return {reinterpret_cast<Word*>(bytes.data()) + offset, count};
}

// ROMix on one block of 128r bytes held as little-endian words (x86 and arm64 are both).
void ro_mix(std::span<std::uint8_t> block, std::uint64_t n, unsigned r) {
  const std::size_t block_words = 32 * std::size_t{r};
  runtime::SecretBytes table((n + 2) * block_words * sizeof(Word));
  auto x = words(table, n * block_words, block_words);
  auto y = words(table, (n + 1) * block_words, block_words);
  std::memcpy(x.data(), block.data(), block.size());
  for (std::uint64_t i = 0; i < n; ++i) {
    auto slot = words(table, i * block_words, block_words);
    std::memcpy(slot.data(), x.data(), block.size());
    block_mix(slot, x, r);
  }
  for (std::uint64_t i = 0; i < n; ++i) {
    std::uint64_t j = x[(2 * r - 1) * kBlockWords] & (n - 1);
    auto slot = words(table, j * block_words, block_words);
    for (std::size_t w = 0; w < block_words; ++w)
      y[w] = x[w] ^ slot[w];
    block_mix(y, x, r);
  }
  std::memcpy(block.data(), x.data(), block.size());
}

bool pbkdf2_sha256(ByteView password, ByteView salt, std::span<std::uint8_t> out) {
  return PKCS5_PBKDF2_HMAC(reinterpret_cast<const char*>(password.data()), static_cast<int>(password.size()),
                           salt.data(), static_cast<int>(salt.size()), 1, EVP_sha256(), static_cast<int>(out.size()),
                           out.data()) == 1;
}

}  // namespace

Status scrypt(ByteView password, ByteView salt, unsigned work_factor, unsigned r, std::span<std::uint8_t> out) {
  if (work_factor > kMaxScryptWorkFactor || r == 0 || r > 8)
    return error(Errc::resource_exhausted, "scrypt asks for work factor {} with r = {} (at most {} with r <= 8)",
                 work_factor, r, kMaxScryptWorkFactor);
  runtime::SecretBytes block(128 * std::size_t{r});
  if (!pbkdf2_sha256(password, salt, block.span()))
    return Status(Errc::internal, "PBKDF2-HMAC-SHA256 failed");
  ro_mix(block.span(), std::uint64_t{1} << work_factor, r);
  if (!pbkdf2_sha256(password, block.view(), out))
    return Status(Errc::internal, "PBKDF2-HMAC-SHA256 failed");
  return {};
}

}  // namespace stronghold::snapshot::rust_stronghold
