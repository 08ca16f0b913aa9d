// Authenticated encryption with a 32-byte symmetric key held in a record.
//
// XChaCha20-Poly1305 (24-byte nonces) and AES-256-GCM (12-byte nonces by default; other lengths
// from 1 to 128 bytes are accepted as GCM allows). AES-256-GCM runs in libsodium where the CPU has AES-NI and in
// OpenSSL's libcrypto otherwise, and for nonces that are not 12 bytes. Ciphertexts carry a
// 16-byte tag at the end.
#pragma once

#include <span>

#include "stronghold/vault/keystore.hpp"

namespace stronghold::vault {

enum class Aead { xchacha20poly1305, aes256gcm };

inline constexpr std::size_t kAeadKeySize = 32;
inline constexpr std::size_t kAeadTagSize = 16;
inline constexpr std::size_t kMaxAeadNonceSize = 128;  // libcrypto's GCM limit
std::size_t aead_nonce_size(Aead aead) noexcept;       // the default: 24 or 12

struct AeadCiphertext {
  Bytes nonce;
  Bytes ciphertext;  // with the tag at the end
};

// A fresh random nonce: what callers want.
Result<AeadCiphertext> aead_encrypt(const Keystore& keystore, const Location& key, Aead aead, ByteView plaintext,
                                    ByteView associated_data);
// A caller's nonce, for protocols that fix it and for known-answer tests. Reusing a nonce under
// one key breaks both ciphers.
Result<Bytes> aead_encrypt_with_nonce(const Keystore& keystore, const Location& key, Aead aead, ByteView nonce,
                                      ByteView plaintext, ByteView associated_data);
// authentication_failed when anything differs.
Result<Bytes> aead_decrypt(const Keystore& keystore, const Location& key, Aead aead, ByteView nonce,
                           ByteView ciphertext, ByteView associated_data);

// The primitives on caller memory. `out` is plaintext.size() + 16 bytes to seal and
// ciphertext.size() - 16 to open.
Status aead_seal_raw(Aead aead, ByteView key, ByteView nonce, ByteView plaintext, ByteView associated_data,
                     std::span<std::uint8_t> out);
Status aead_open_raw(Aead aead, ByteView key, ByteView nonce, ByteView ciphertext, ByteView associated_data,
                     std::span<std::uint8_t> out);

}  // namespace stronghold::vault
