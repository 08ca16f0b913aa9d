#include "stronghold/vault/jwe.hpp"

#include <array>

#include <sodium.h>

#include "stronghold/runtime/random.hpp"
#include "stronghold/runtime/scratch.hpp"
#include "stronghold/vault/aead.hpp"
#include "stronghold/vault/key_wrap.hpp"

namespace stronghold::vault {
namespace {

using runtime::ScratchFrame;

constexpr std::size_t kKeySize = 32;
constexpr std::size_t kNonceSize = 12;
constexpr std::size_t kWrappedKeySize = kKeySize + kKeyWrapOverhead;
constexpr std::size_t kMaxKdfOutput = 1 << 16;

// `value` as 4 big-endian bytes.
std::array<std::uint8_t, 4> big_endian(std::size_t value) {
  const auto word = static_cast<std::uint32_t>(value);
  return {static_cast<std::uint8_t>(word >> 24), static_cast<std::uint8_t>(word >> 16),
          static_cast<std::uint8_t>(word >> 8), static_cast<std::uint8_t>(word)};
}

// What the KDF's AlgorithmID names (see jwe.hpp): the key management, or under RFC 7518 for direct
// ECDH-ES the content encryption.
std::string_view algorithm_id(KeyManagement management, KdfForm form) {
  if (management == KeyManagement::ecdh_es_a256kw)
    return "ECDH-ES+A256KW";
  return form == KdfForm::rfc7518 ? "A256GCM" : "ECDH-ES";
}

Status check_agreement(const AgreementInfo& agreement) {
  for (const Bytes* field : {&agreement.apu, &agreement.apv, &agreement.pub_info, &agreement.priv_info})
    if (field->size() > kMaxKdfOutput)
      return Status(Errc::invalid_argument, "an agreement info field holds at most 65536 bytes");
  return {};
}

// The agreed key (KDF output) from our secret and their public key, into `out` (32 bytes).
Status agreed_key(ByteView secret, ByteView peer_public, KeyManagement management, const AgreementInfo& agreement,
                  std::span<std::uint8_t> out) {
  if (peer_public.size() != crypto_scalarmult_BYTES)
    return Status(Errc::invalid_key, "an X25519 public key is 32 bytes");
  ScratchFrame frame;
  SH_ASSIGN_OR_RETURN(auto shared, frame.take(crypto_scalarmult_BYTES));
  if (crypto_scalarmult(shared.data(), secret.data(), peer_public.data()) != 0)
    return Status(Errc::invalid_key, "the X25519 public key is a low-order point");
  return concat_kdf(Hash::sha256, shared, algorithm_id(management, agreement.form), agreement, out);
}

}  // namespace

Status concat_kdf(Hash hash, ByteView shared_secret, std::string_view algorithm, const AgreementInfo& agreement,
                  std::span<std::uint8_t> out) {
  if (out.empty() || out.size() > kMaxKdfOutput)
    return Status(Errc::invalid_argument, "the Concat KDF makes 1 to 65536 bytes");
  SH_RETURN_IF_ERROR(check_agreement(agreement));
  const auto algorithm_size = big_endian(algorithm.size()), apu_size = big_endian(agreement.apu.size()),
             apv_size = big_endian(agreement.apv.size()), key_bits = big_endian(out.size() * 8);
  const bool with_key_bits = agreement.form == KdfForm::rfc7518;
  ScratchFrame frame;
  SH_ASSIGN_OR_RETURN(auto block, frame.take(hash_size(hash)));
  for (std::size_t offset = 0, round = 1; offset < out.size(); offset += block.size(), ++round) {
    const auto counter = big_endian(round);
    const ByteView parts[] = {counter,
                              shared_secret,
                              algorithm_size,
                              as_bytes(algorithm),
                              apu_size,
                              agreement.apu,
                              apv_size,
                              agreement.apv,
                              with_key_bits ? ByteView(key_bits) : ByteView(),
                              agreement.pub_info,
                              agreement.priv_info};
    SH_RETURN_IF_ERROR(digest_raw(hash, parts, block));
    const std::size_t size = std::min(block.size(), out.size() - offset);
    std::copy_n(block.begin(), size, out.begin() + static_cast<std::ptrdiff_t>(offset));
  }
  return {};
}

Status concat_kdf(Transaction& tx, const Location& shared_secret, Hash hash, std::string_view algorithm_id,
                  const AgreementInfo& agreement, std::size_t length, const Location& into,
                  const RecordOptions& options) {
  if (length == 0 || length > kMaxSecretSize)
    return error(Errc::invalid_argument, "a derived key is 1 to {} bytes", kMaxSecretSize);
  return tx.use(shared_secret, key_types(KeyType::symmetric), [&](ByteView secret, const RecordView&) {
    ScratchFrame frame;
    SH_ASSIGN_OR_RETURN(auto derived, frame.take(length));
    SH_RETURN_IF_ERROR(concat_kdf(hash, secret, algorithm_id, agreement, derived));
    return tx.put(into, KeyType::symmetric, derived, {}, options);
  });
}

Result<EncryptedData> jwe_encrypt_with_ephemeral(ByteView plaintext, ByteView associated_data, ContentEncryption,
                                                 KeyManagement management, const AgreementInfo& agreement,
                                                 ByteView recipient_public_key, ByteView ephemeral_secret) {
  if (ephemeral_secret.size() != crypto_scalarmult_SCALARBYTES)
    return Status(Errc::invalid_argument, "an X25519 secret key is 32 bytes");
  EncryptedData data;
  data.associated_data.assign(associated_data.begin(), associated_data.end());
  data.ephemeral_public_key.resize(crypto_scalarmult_BYTES);
  crypto_scalarmult_base(data.ephemeral_public_key.data(), ephemeral_secret.data());
  ScratchFrame frame;
  SH_ASSIGN_OR_RETURN(auto agreed, frame.take(kKeySize));
  SH_RETURN_IF_ERROR(agreed_key(ephemeral_secret, recipient_public_key, management, agreement, agreed));
  SH_ASSIGN_OR_RETURN(auto cek, frame.take(kKeySize));
  if (management == KeyManagement::ecdh_es) {
    std::copy(agreed.begin(), agreed.end(), cek.begin());
  } else {
    runtime::random_bytes(cek);
    data.encrypted_cek.resize(kWrappedKeySize);
    SH_RETURN_IF_ERROR(aes_key_wrap_raw(agreed, cek, data.encrypted_cek));
  }
  data.nonce.resize(kNonceSize);
  runtime::random_bytes(data.nonce);
  Bytes sealed(plaintext.size() + kAeadTagSize);
  SH_RETURN_IF_ERROR(aead_seal_raw(Aead::aes256gcm, cek, data.nonce, plaintext, associated_data, sealed));
  data.tag.assign(sealed.end() - kAeadTagSize, sealed.end());
  sealed.resize(plaintext.size());
  data.ciphertext = std::move(sealed);
  return data;
}

Result<EncryptedData> jwe_encrypt(ByteView plaintext, ByteView associated_data, ContentEncryption content,
                                  KeyManagement management, const AgreementInfo& agreement,
                                  ByteView recipient_public_key) {
  ScratchFrame frame;
  SH_ASSIGN_OR_RETURN(auto ephemeral, frame.take(crypto_scalarmult_SCALARBYTES));
  runtime::random_bytes(ephemeral);
  return jwe_encrypt_with_ephemeral(plaintext, associated_data, content, management, agreement, recipient_public_key,
                                    ephemeral);
}

Result<Bytes> jwe_decrypt_with_secret(ByteView recipient_secret, const EncryptedData& data, ContentEncryption,
                                      KeyManagement management, const AgreementInfo& agreement) {
  if (recipient_secret.size() != crypto_scalarmult_SCALARBYTES)
    return Status(Errc::invalid_key, "an X25519 secret key is 32 bytes");
  if (data.nonce.size() != kNonceSize || data.tag.size() != kAeadTagSize)
    return Status(Errc::invalid_argument, "encrypted data needs a 12-byte nonce and a 16-byte tag");
  const std::size_t wrapped_size = management == KeyManagement::ecdh_es ? 0 : kWrappedKeySize;
  if (data.encrypted_cek.size() != wrapped_size)
    return error(Errc::invalid_argument, "the encrypted content key must be {} bytes for this algorithm", wrapped_size);
  ScratchFrame frame;
  SH_ASSIGN_OR_RETURN(auto agreed, frame.take(kKeySize));
  SH_RETURN_IF_ERROR(agreed_key(recipient_secret, data.ephemeral_public_key, management, agreement, agreed));
  SH_ASSIGN_OR_RETURN(auto cek, frame.take(kKeySize));
  if (management == KeyManagement::ecdh_es)
    std::copy(agreed.begin(), agreed.end(), cek.begin());
  else
    SH_RETURN_IF_ERROR(aes_key_unwrap_raw(agreed, data.encrypted_cek, cek));
  Bytes sealed(data.ciphertext.size() + kAeadTagSize);
  std::copy(data.ciphertext.begin(), data.ciphertext.end(), sealed.begin());
  std::copy(data.tag.begin(), data.tag.end(), sealed.begin() + static_cast<std::ptrdiff_t>(data.ciphertext.size()));
  Bytes plaintext(data.ciphertext.size());
  if (!aead_open_raw(Aead::aes256gcm, cek, data.nonce, sealed, data.associated_data, plaintext).ok())
    return Status(Errc::authentication_failed, "the encrypted data does not decrypt with this key and agreement info");
  return plaintext;
}

Result<Bytes> jwe_decrypt(const Keystore& keystore, const Location& key, const EncryptedData& data,
                          ContentEncryption content, KeyManagement management, const AgreementInfo& agreement) {
  Result<Bytes> plaintext = Status(Errc::internal, "the key was not used");
  SH_RETURN_IF_ERROR(keystore.use(key, key_types(KeyType::x25519), [&](ByteView secret, const RecordView&) {
    plaintext = jwe_decrypt_with_secret(secret, data, content, management, agreement);
    return plaintext.status();
  }));
  return plaintext;
}

}  // namespace stronghold::vault
