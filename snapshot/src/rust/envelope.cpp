#include "rust/envelope.hpp"

#include <algorithm>
#include <array>

#include <lz4.h>
#include <sodium.h>

namespace stronghold::snapshot::rust_stronghold {
namespace {

constexpr std::size_t kPublicKeySize = crypto_scalarmult_BYTES;
constexpr std::size_t kTagSize = crypto_aead_xchacha20poly1305_ietf_ABYTES;

}  // namespace

Result<runtime::SecretBytes> open_x25519_envelope(ByteView envelope, ByteView key) {
  if (key.size() != crypto_scalarmult_SCALARBYTES)
    return Status(Errc::invalid_argument, "a Rust Stronghold snapshot key is 32 bytes");
  if (envelope.size() < kPublicKeySize + kTagSize)
    return Status(Errc::corrupted, "the snapshot envelope is shorter than its key and tag");
  ByteView ephemeral = envelope.first(kPublicKeySize);
  ByteView tag = envelope.subspan(kPublicKeySize, kTagSize);
  ByteView ciphertext = envelope.subspan(kPublicKeySize + kTagSize);
  runtime::SecretBytes shared(crypto_scalarmult_BYTES);
  std::array<std::uint8_t, 2 * kPublicKeySize> both{};
  if (crypto_scalarmult_base(both.data() + kPublicKeySize, key.data()) != 0 ||
      crypto_scalarmult(shared.data(), key.data(), ephemeral.data()) != 0)
    return Status(Errc::corrupted, "the snapshot's ephemeral key is a low-order point");
  std::copy(ephemeral.begin(), ephemeral.end(), both.begin());
  std::array<std::uint8_t, crypto_aead_xchacha20poly1305_ietf_NPUBBYTES> nonce{};
  std::array<std::uint8_t, crypto_generichash_BYTES> digest{};
  crypto_generichash(digest.data(), digest.size(), both.data(), both.size(), nullptr, 0);
  std::copy_n(digest.begin(), nonce.size(), nonce.begin());
  runtime::SecretBytes plain(ciphertext.size());
  if (crypto_aead_xchacha20poly1305_ietf_decrypt_detached(plain.data(), nullptr, ciphertext.data(), ciphertext.size(),
                                                          tag.data(), nullptr, 0, nonce.data(), shared.data()) != 0)
    return Status(Errc::wrong_password, "the snapshot does not open with this password or key (or it is damaged)");
  return plain;
}

Result<runtime::SecretBytes> lz4_inflate(ByteView block, std::size_t limit) {
  if (block.empty() || block.size() > static_cast<std::size_t>(LZ4_MAX_INPUT_SIZE))
    return Status(Errc::corrupted, "the snapshot's compressed state is empty or too large");
  // LZ4 expands at most 255 times; a block that does not fit the guess is retried in a larger
  // buffer, since a short output and a damaged block fail the same way.
  std::size_t size = std::min(limit, std::max<std::size_t>(block.size() * 4, 4096));
  for (;;) {
    runtime::SecretBytes out(size);
    int written = LZ4_decompress_safe(reinterpret_cast<const char*>(block.data()), reinterpret_cast<char*>(out.data()),
                                      static_cast<int>(block.size()), static_cast<int>(size));
    if (written >= 0) {
      out.resize(static_cast<std::size_t>(written));
      return out;
    }
    if (size >= limit || size >= block.size() * 255)
      return error(Errc::corrupted, "the snapshot's LZ4 block is damaged or inflates beyond {} MiB", limit >> 20);
    size = std::min(limit, size * 4);
  }
}

}  // namespace stronghold::snapshot::rust_stronghold
