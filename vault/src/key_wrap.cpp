#include "stronghold/vault/key_wrap.hpp"

#include <memory>

#include <openssl/evp.h>

#include "stronghold/runtime/compare.hpp"
#include "stronghold/runtime/scratch.hpp"

namespace stronghold::vault {
namespace {

struct CipherContextDeleter {
  void operator()(EVP_CIPHER_CTX* context) const noexcept { EVP_CIPHER_CTX_free(context); }
};

Result<const EVP_CIPHER*> wrap_cipher(ByteView kek) {
  switch (kek.size()) {
    case 16: return EVP_aes_128_wrap();
    case 24: return EVP_aes_192_wrap();
    case 32: return EVP_aes_256_wrap();
    default: return error(Errc::invalid_key, "a key-encryption key is 16, 24 or 32 bytes, not {}", kek.size());
  }
}

// RFC 3394 needs two 64-bit blocks at least; a record holds kMaxSecretSize bytes at most.
Status check_key_size(std::size_t size) {
  if (size < 16 || size > kMaxSecretSize || size % 8 != 0)
    return error(Errc::invalid_argument, "AES key wrap takes a key of 16 to {} bytes in steps of 8, not {}",
                 kMaxSecretSize, size);
  return {};
}

Status check_wrapped_size(std::size_t size) {
  if (size < kKeyWrapOverhead)
    return error(Errc::invalid_argument, "a wrapped key is 24 bytes at least, not {}", size);
  return check_key_size(size - kKeyWrapOverhead);
}

// One pass of the cipher over `input` into exactly `out`.
bool run_wrap_cipher(const EVP_CIPHER* cipher, ByteView kek, ByteView input, std::span<std::uint8_t> out, bool wrap) {
  std::unique_ptr<EVP_CIPHER_CTX, CipherContextDeleter> context(EVP_CIPHER_CTX_new());
  if (!context)
    return false;
  EVP_CIPHER_CTX_set_flags(context.get(), EVP_CIPHER_CTX_FLAG_WRAP_ALLOW);
  int written = 0, final_written = 0;
  return EVP_CipherInit_ex(context.get(), cipher, nullptr, kek.data(), nullptr, wrap ? 1 : 0) == 1 &&
         EVP_CipherUpdate(context.get(), out.data(), &written, input.data(), static_cast<int>(input.size())) == 1 &&
         EVP_CipherFinal_ex(context.get(), out.data() + written, &final_written) == 1 &&
         written + final_written == static_cast<int>(out.size());
}

}  // namespace

Status aes_key_wrap_raw(ByteView kek, ByteView key, std::span<std::uint8_t> out) {
  SH_ASSIGN_OR_RETURN(const EVP_CIPHER* cipher, wrap_cipher(kek));
  SH_RETURN_IF_ERROR(check_key_size(key.size()));
  if (out.size() != key.size() + kKeyWrapOverhead)
    return Status(Errc::internal, "the wrapped key's buffer is not 8 bytes longer than the key");
  if (!run_wrap_cipher(cipher, kek, key, out, true))
    return Status(Errc::internal, "AES key wrap failed in libcrypto");
  return {};
}

Status aes_key_unwrap_raw(ByteView kek, ByteView wrapped, std::span<std::uint8_t> out) {
  SH_ASSIGN_OR_RETURN(const EVP_CIPHER* cipher, wrap_cipher(kek));
  SH_RETURN_IF_ERROR(check_wrapped_size(wrapped.size()));
  if (out.size() != wrapped.size() - kKeyWrapOverhead)
    return Status(Errc::internal, "the unwrapped key's buffer is not 8 bytes shorter than the wrapped key");
  if (!run_wrap_cipher(cipher, kek, wrapped, out, false)) {
    runtime::secure_wipe(out);
    return Status(Errc::authentication_failed,
                  "the wrapped key fails AES key wrap's integrity check: another key-encryption key, or altered bytes");
  }
  return {};
}

Result<Bytes> wrap_key(const Keystore& keystore, const Location& key, const Location& kek) {
  Bytes wrapped;
  SH_RETURN_IF_ERROR(keystore.use(kek, key_types(KeyType::symmetric), [&](ByteView kek_secret, const RecordView&) {
    return keystore.use(key, key_types(KeyType::symmetric), [&](ByteView key_secret, const RecordView&) {
      wrapped.resize(key_secret.size() + kKeyWrapOverhead);
      return aes_key_wrap_raw(kek_secret, key_secret, wrapped);
    });
  }));
  return wrapped;
}

Status unwrap_key(Transaction& tx, ByteView wrapped, const Location& kek, const Location& into,
                  const RecordOptions& options) {
  SH_RETURN_IF_ERROR(check_wrapped_size(wrapped.size()));
  return tx.use(kek, key_types(KeyType::symmetric), [&](ByteView kek_secret, const RecordView&) {
    runtime::ScratchFrame frame;
    SH_ASSIGN_OR_RETURN(auto key, frame.take(wrapped.size() - kKeyWrapOverhead));
    SH_RETURN_IF_ERROR(aes_key_unwrap_raw(kek_secret, wrapped, key));
    return tx.put(into, KeyType::symmetric, key, {}, options);
  });
}

}  // namespace stronghold::vault
