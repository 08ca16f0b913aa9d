#include "stronghold/vault/aead.hpp"

#include <climits>
#include <memory>

#include <openssl/evp.h>
#include <sodium.h>

#include "stronghold/runtime/init.hpp"
#include "stronghold/runtime/random.hpp"

namespace stronghold::vault {
namespace {

struct CipherContextDeleter {
  void operator()(EVP_CIPHER_CTX* context) const noexcept { EVP_CIPHER_CTX_free(context); }
};
using CipherContext = std::unique_ptr<EVP_CIPHER_CTX, CipherContextDeleter>;

bool libsodium_has_aes() {
  static const bool available = runtime::ensure_initialized().ok() && crypto_aead_aes256gcm_is_available() == 1;
  return available;
}

bool fits_int(std::size_t size) { return size <= static_cast<std::size_t>(INT_MAX); }

// AES-256-GCM through libcrypto: any nonce length from 1 byte.
Status aes_gcm_libcrypto(bool seal, ByteView key, ByteView nonce, ByteView input, ByteView associated_data,
                         std::span<std::uint8_t> out) {
  if (!fits_int(input.size()) || !fits_int(associated_data.size()))
    return Status(Errc::invalid_argument, "AES-GCM input too large");
  CipherContext context(EVP_CIPHER_CTX_new());
  const std::size_t body = seal ? input.size() : input.size() - kAeadTagSize;
  int written = 0;
  bool ok =
      context && EVP_CipherInit_ex(context.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr, seal) == 1 &&
      EVP_CIPHER_CTX_ctrl(context.get(), EVP_CTRL_GCM_SET_IVLEN, static_cast<int>(nonce.size()), nullptr) == 1 &&
      EVP_CipherInit_ex(context.get(), nullptr, nullptr, key.data(), nonce.data(), seal) == 1 &&
      (associated_data.empty() || EVP_CipherUpdate(context.get(), nullptr, &written, associated_data.data(),
                                                   static_cast<int>(associated_data.size())) == 1) &&
      (body == 0 || EVP_CipherUpdate(context.get(), out.data(), &written, input.data(), static_cast<int>(body)) == 1);
  if (ok && !seal)
    ok = EVP_CIPHER_CTX_ctrl(context.get(), EVP_CTRL_GCM_SET_TAG, kAeadTagSize,
                             const_cast<std::uint8_t*>(input.data() + body)) == 1;
  std::uint8_t final_block[16];
  ok = ok && EVP_CipherFinal_ex(context.get(), final_block, &written) == 1;
  if (ok && seal)
    ok = EVP_CIPHER_CTX_ctrl(context.get(), EVP_CTRL_GCM_GET_TAG, kAeadTagSize, out.data() + body) == 1;
  if (!ok) {
    sodium_memzero(out.data(), out.size());
    return seal ? Status(Errc::internal, "AES-256-GCM failed in libcrypto")
                : Status(Errc::authentication_failed, "the ciphertext failed to authenticate");
  }
  return {};
}

Status check_sizes(Aead aead, ByteView key, ByteView nonce) {
  if (key.size() != kAeadKeySize)
    return error(Errc::invalid_key, "an AEAD key is {} bytes, not {}", kAeadKeySize, key.size());
  const bool nonce_ok = aead == Aead::xchacha20poly1305 ? nonce.size() == crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
                                                        : !nonce.empty() && nonce.size() <= kMaxAeadNonceSize;
  if (!nonce_ok)
    return error(Errc::invalid_argument, "a nonce of {} bytes does not fit this cipher", nonce.size());
  return {};
}

bool use_libsodium_aes(ByteView nonce) {
  return nonce.size() == crypto_aead_aes256gcm_NPUBBYTES && libsodium_has_aes();
}

}  // namespace

std::size_t aead_nonce_size(Aead aead) noexcept {
  return aead == Aead::xchacha20poly1305 ? crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
                                         : crypto_aead_aes256gcm_NPUBBYTES;
}

Status aead_seal_raw(Aead aead, ByteView key, ByteView nonce, ByteView plaintext, ByteView associated_data,
                     std::span<std::uint8_t> out) {
  SH_RETURN_IF_ERROR(check_sizes(aead, key, nonce));
  if (out.size() != plaintext.size() + kAeadTagSize)
    return Status(Errc::invalid_argument, "the output must be the plaintext size plus 16");
  if (aead == Aead::xchacha20poly1305)
    crypto_aead_xchacha20poly1305_ietf_encrypt(out.data(), nullptr, plaintext.data(), plaintext.size(),
                                               associated_data.data(), associated_data.size(), nullptr, nonce.data(),
                                               key.data());
  else if (use_libsodium_aes(nonce))
    crypto_aead_aes256gcm_encrypt(out.data(), nullptr, plaintext.data(), plaintext.size(), associated_data.data(),
                                  associated_data.size(), nullptr, nonce.data(), key.data());
  else
    return aes_gcm_libcrypto(true, key, nonce, plaintext, associated_data, out);
  return {};
}

Status aead_open_raw(Aead aead, ByteView key, ByteView nonce, ByteView ciphertext, ByteView associated_data,
                     std::span<std::uint8_t> out) {
  SH_RETURN_IF_ERROR(check_sizes(aead, key, nonce));
  if (ciphertext.size() < kAeadTagSize || out.size() != ciphertext.size() - kAeadTagSize)
    return Status(Errc::invalid_argument, "a ciphertext holds at least its 16-byte tag");
  int rc = 0;
  if (aead == Aead::xchacha20poly1305)
    rc = crypto_aead_xchacha20poly1305_ietf_decrypt(out.data(), nullptr, nullptr, ciphertext.data(), ciphertext.size(),
                                                    associated_data.data(), associated_data.size(), nonce.data(),
                                                    key.data());
  else if (use_libsodium_aes(nonce))
    rc = crypto_aead_aes256gcm_decrypt(out.data(), nullptr, nullptr, ciphertext.data(), ciphertext.size(),
                                       associated_data.data(), associated_data.size(), nonce.data(), key.data());
  else
    return aes_gcm_libcrypto(false, key, nonce, ciphertext, associated_data, out);
  if (rc != 0) {
    sodium_memzero(out.data(), out.size());
    return Status(Errc::authentication_failed, "the ciphertext failed to authenticate");
  }
  return {};
}

Result<Bytes> aead_encrypt_with_nonce(const Keystore& keystore, const Location& key, Aead aead, ByteView nonce,
                                      ByteView plaintext, ByteView associated_data) {
  Bytes ciphertext(plaintext.size() + kAeadTagSize);
  SH_RETURN_IF_ERROR(keystore.use(key, key_types(KeyType::symmetric), [&](ByteView secret, const RecordView&) {
    return aead_seal_raw(aead, secret, nonce, plaintext, associated_data, ciphertext);
  }));
  return ciphertext;
}

Result<AeadCiphertext> aead_encrypt(const Keystore& keystore, const Location& key, Aead aead, ByteView plaintext,
                                    ByteView associated_data) {
  AeadCiphertext out;
  out.nonce.resize(aead_nonce_size(aead));
  runtime::random_bytes(out.nonce);
  SH_ASSIGN_OR_RETURN(out.ciphertext,
                      aead_encrypt_with_nonce(keystore, key, aead, out.nonce, plaintext, associated_data));
  return out;
}

Result<Bytes> aead_decrypt(const Keystore& keystore, const Location& key, Aead aead, ByteView nonce,
                           ByteView ciphertext, ByteView associated_data) {
  if (ciphertext.size() < kAeadTagSize)
    return Status(Errc::invalid_argument, "a ciphertext holds at least its 16-byte tag");
  Bytes plaintext(ciphertext.size() - kAeadTagSize);
  SH_RETURN_IF_ERROR(keystore.use(key, key_types(KeyType::symmetric), [&](ByteView secret, const RecordView&) {
    return aead_open_raw(aead, secret, nonce, ciphertext, associated_data, plaintext);
  }));
  return plaintext;
}

}  // namespace stronghold::vault
