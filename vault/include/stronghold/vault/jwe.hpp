// JWE-style encryption to an X25519 public key (RFC 7518 §4.6 with RFC 8037): ECDH-ES (the
// agreed key is the content key) or ECDH-ES+A256KW (the agreed key wraps a random content key,
// RFC 3394), content encrypted with AES-256-GCM, keys derived with the Concat KDF (SHA-256).
//
// The Concat KDF (NIST SP 800-56A; SHA-256 here, SHA-384 or SHA-512 too on its own) hashes, for
// round i = 1, 2, ...:
//   u32(i) || Z || u32(len alg) || alg || u32(len apu) || apu || u32(len apv) || apv
//   [|| u32(keydatalen in bits)] || pub_info || priv_info        (u32: big-endian)
// in one of two forms (KdfForm):
// - identity, IOTA Identity 0.6's (the identity Storage interface's contract, so the default):
//   alg is the key management algorithm's name, "ECDH-ES" or "ECDH-ES+A256KW", and no keydatalen;
// - rfc7518, RFC 7518 §4.6.2's with two free fields appended: alg is "A256GCM" (the content
//   encryption's name) for ECDH-ES and "ECDH-ES+A256KW" for key wrapping, and the keydatalen is
//   there (SuppPubInfo). With empty pub_info and priv_info this is exactly RFC 7518.
#pragma once

#include <span>
#include <string_view>

#include "stronghold/vault/keystore.hpp"
#include "stronghold/vault/mac.hpp"

namespace stronghold::vault {

// Numbers are on the wire (the did.decrypt request): never reused.
enum class KdfForm : std::uint8_t { identity = 0, rfc7518 = 1 };

struct AgreementInfo {
  Bytes apu;  // about the producer
  Bytes apv;  // about the recipient
  Bytes pub_info;
  Bytes priv_info;
  KdfForm form = KdfForm::identity;
  bool operator==(const AgreementInfo&) const = default;
};

enum class ContentEncryption { aes256gcm };
enum class KeyManagement { ecdh_es, ecdh_es_a256kw };

struct EncryptedData {
  Bytes associated_data;
  Bytes nonce;  // 12 bytes
  Bytes tag;    // 16 bytes
  Bytes ciphertext;
  Bytes encrypted_cek;         // 40 bytes with ECDH-ES+A256KW, empty with ECDH-ES
  Bytes ephemeral_public_key;  // X25519, 32 bytes
  bool operator==(const EncryptedData&) const = default;
};

// The Concat KDF alone: fills `out` (at most 2^16 bytes), as the comment above describes, in the
// agreement's form with `algorithm_id` as alg.
Status concat_kdf(Hash hash, ByteView shared_secret, std::string_view algorithm_id, const AgreementInfo& agreement,
                  std::span<std::uint8_t> out);
// The same of the symmetric record `shared_secret` (an agreement's output, key.agree) into the
// symmetric record `into` of `length` bytes (1 to kMaxSecretSize). This is Stronghold 2.0's
// ConcatKdf procedure with the identity form; the RFC 7518 form is the identity form with the key
// length in bits (u32, big-endian) before pub_info.
Status concat_kdf(Transaction& tx, const Location& shared_secret, Hash hash, std::string_view algorithm_id,
                  const AgreementInfo& agreement, std::size_t length, const Location& into,
                  const RecordOptions& options = {});

// Encrypts with a fresh ephemeral key. invalid_key for a recipient key that gives an all-zero
// shared secret (a low-order point).
Result<EncryptedData> jwe_encrypt(ByteView plaintext, ByteView associated_data, ContentEncryption content,
                                  KeyManagement management, const AgreementInfo& agreement,
                                  ByteView recipient_public_key);
// The same with a caller's ephemeral secret (32 bytes), for known-answer tests only.
Result<EncryptedData> jwe_encrypt_with_ephemeral(ByteView plaintext, ByteView associated_data,
                                                 ContentEncryption content, KeyManagement management,
                                                 const AgreementInfo& agreement, ByteView recipient_public_key,
                                                 ByteView ephemeral_secret);

// Decrypts with the recipient's X25519 secret key (32 bytes, in scratch). authentication_failed
// when the data, the agreement info or the key does not match; invalid_argument for malformed
// fields.
Result<Bytes> jwe_decrypt_with_secret(ByteView recipient_secret, const EncryptedData& data, ContentEncryption content,
                                      KeyManagement management, const AgreementInfo& agreement);
// The same with the X25519 record at `key`.
Result<Bytes> jwe_decrypt(const Keystore& keystore, const Location& key, const EncryptedData& data,
                          ContentEncryption content, KeyManagement management, const AgreementInfo& agreement);

}  // namespace stronghold::vault
