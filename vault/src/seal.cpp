#include "stronghold/vault/seal.hpp"

#include <sodium.h>

#include "stronghold/runtime/random.hpp"

namespace stronghold::vault {

static_assert(crypto_aead_xchacha20poly1305_ietf_NPUBBYTES == kSealNonceSize);
static_assert(crypto_aead_xchacha20poly1305_ietf_ABYTES == kSealTagSize);

Result<Bytes> seal(ByteView key, ByteView associated_data, ByteView plaintext) {
  if (key.size() != kSealKeySize)
    return error(Errc::invalid_argument, "a sealing key is {} bytes, not {}", kSealKeySize, key.size());
  Bytes sealed(kSealNonceSize + plaintext.size() + kSealTagSize);
  runtime::random_bytes(std::span(sealed).first(kSealNonceSize));
  crypto_aead_xchacha20poly1305_ietf_encrypt(sealed.data() + kSealNonceSize, nullptr, plaintext.data(),
                                             plaintext.size(), associated_data.data(), associated_data.size(), nullptr,
                                             sealed.data(), key.data());
  return sealed;
}

Status open(ByteView key, ByteView associated_data, ByteView sealed, std::span<std::uint8_t> out) {
  if (key.size() != kSealKeySize)
    return error(Errc::invalid_argument, "a sealing key is {} bytes, not {}", kSealKeySize, key.size());
  if (sealed.size() < kSealNonceSize + kSealTagSize || out.size() != sealed.size() - kSealNonceSize - kSealTagSize)
    return error(Errc::invalid_argument, "sealed data of {} bytes does not fit an output of {}", sealed.size(),
                 out.size());
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(out.data(), nullptr, nullptr, sealed.data() + kSealNonceSize,
                                                 sealed.size() - kSealNonceSize, associated_data.data(),
                                                 associated_data.size(), sealed.data(), key.data()) != 0) {
    sodium_memzero(out.data(), out.size());
    return Status(Errc::authentication_failed, "sealed data failed to authenticate");
  }
  return {};
}

}  // namespace stronghold::vault
