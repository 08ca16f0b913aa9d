#include "stronghold/vault/mac.hpp"

#include <memory>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <sodium.h>

#include "stronghold/runtime/scratch.hpp"

namespace stronghold::vault {
namespace {

using runtime::ScratchFrame;

// Incremental HMAC with keys of any length. SHA-256 and SHA-512 come from libsodium, whose state
// lives here and is wiped here; SHA-384 from libcrypto (libsodium has none), whose context keeps
// its copy of the key and the hash states in its own memory and cleanses them when freed.
class Hmac {
 public:
  Hmac(Hash hash, ByteView key) noexcept : hash_(hash) {
    static constexpr std::uint8_t kNoKey = 0;  // libsodium declares the key pointer non-null
    const std::uint8_t* key_bytes = key.empty() ? &kNoKey : key.data();
    switch (hash_) {
      case Hash::sha256: crypto_auth_hmacsha256_init(&state_.sha256, key_bytes, key.size()); break;
      case Hash::sha512: crypto_auth_hmacsha512_init(&state_.sha512, key_bytes, key.size()); break;
      case Hash::sha384: ok_ = init_sha384(key_bytes, key.size()); break;
    }
  }
  ~Hmac() {
    EVP_MAC_CTX_free(context_);
    sodium_memzero(&state_, sizeof state_);
  }
  Hmac(const Hmac&) = delete;
  Hmac& operator=(const Hmac&) = delete;

  void update(ByteView bytes) noexcept {
    switch (hash_) {
      case Hash::sha256: crypto_auth_hmacsha256_update(&state_.sha256, bytes.data(), bytes.size()); break;
      case Hash::sha512: crypto_auth_hmacsha512_update(&state_.sha512, bytes.data(), bytes.size()); break;
      case Hash::sha384: ok_ = ok_ && EVP_MAC_update(context_, bytes.data(), bytes.size()) == 1; break;
    }
  }
  // `out` holds hash_size(hash) bytes.
  Status final(std::uint8_t* out) {
    std::size_t written = 0;
    switch (hash_) {
      case Hash::sha256: crypto_auth_hmacsha256_final(&state_.sha256, out); break;
      case Hash::sha512: crypto_auth_hmacsha512_final(&state_.sha512, out); break;
      case Hash::sha384: ok_ = ok_ && EVP_MAC_final(context_, out, &written, hash_size(hash_)) == 1; break;
    }
    if (!ok_)
      return Status(Errc::internal, "HMAC-SHA384 failed in libcrypto");
    return {};
  }

 private:
  bool init_sha384(const std::uint8_t* key, std::size_t size) noexcept {
    EVP_MAC* mac = EVP_MAC_fetch(nullptr, OSSL_MAC_NAME_HMAC, nullptr);
    context_ = mac == nullptr ? nullptr : EVP_MAC_CTX_new(mac);
    EVP_MAC_free(mac);  // the context holds its own reference
    char digest[] = "SHA384";
    const OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                                 OSSL_PARAM_construct_end()};
    return context_ != nullptr && EVP_MAC_init(context_, key, size, params) == 1;
  }

  Hash hash_;
  bool ok_ = true;
  EVP_MAC_CTX* context_ = nullptr;
  union {
    crypto_auth_hmacsha256_state sha256;
    crypto_auth_hmacsha512_state sha512;
  } state_;
};

const EVP_MD* evp_digest(Hash hash) noexcept {
  switch (hash) {
    case Hash::sha256: return EVP_sha256();
    case Hash::sha384: return EVP_sha384();
    case Hash::sha512: return EVP_sha512();
  }
  return EVP_sha512();
}

struct DigestContextDeleter {
  void operator()(EVP_MD_CTX* context) const noexcept { EVP_MD_CTX_free(context); }
};

}  // namespace

std::size_t hash_size(Hash hash) noexcept {
  switch (hash) {
    case Hash::sha256: return 32;
    case Hash::sha384: return 48;
    case Hash::sha512: return 64;
  }
  return 64;
}

Status hmac_raw(Hash hash, ByteView key, ByteView message, std::span<std::uint8_t> out) {
  Hmac mac(hash, key);
  mac.update(message);
  return mac.final(out.data());
}

Status hkdf_raw(Hash hash, ByteView ikm, ByteView salt, ByteView info, std::span<std::uint8_t> out) {
  const std::size_t block = hash_size(hash);
  if (out.empty() || out.size() > 255 * block)
    return error(Errc::invalid_argument, "HKDF output must be 1 to {} bytes, not {}", 255 * block, out.size());
  ScratchFrame frame;
  SH_ASSIGN_OR_RETURN(auto prk, frame.take(block));
  SH_ASSIGN_OR_RETURN(auto previous, frame.take(block));
  // An empty salt is the same HMAC key as hash_size zero bytes.
  SH_RETURN_IF_ERROR(hmac_raw(hash, salt, ikm, prk));
  std::size_t done = 0;
  for (std::uint8_t counter = 1; done < out.size(); ++counter) {
    Hmac mac(hash, prk);
    if (counter > 1)
      mac.update(previous);
    mac.update(info);
    mac.update(ByteView(&counter, 1));
    SH_RETURN_IF_ERROR(mac.final(previous.data()));
    const std::size_t take = std::min(block, out.size() - done);
    std::copy_n(previous.begin(), take, out.begin() + static_cast<std::ptrdiff_t>(done));
    done += take;
  }
  return {};
}

Status pbkdf2_raw(Hash hash, ByteView password, ByteView salt, std::uint32_t iterations, std::span<std::uint8_t> out) {
  if (iterations == 0 || out.empty() || iterations > (1u << 31) || out.size() > (1u << 20))
    return Status(Errc::invalid_argument, "PBKDF2 needs 1 to 2^31 iterations and 1 byte to 1 MiB of output");
  if (PKCS5_PBKDF2_HMAC(reinterpret_cast<const char*>(password.data()), static_cast<int>(password.size()), salt.data(),
                        static_cast<int>(salt.size()), static_cast<int>(iterations), evp_digest(hash),
                        static_cast<int>(out.size()), out.data()) != 1)
    return Status(Errc::internal, "PBKDF2 failed in libcrypto");
  return {};
}

Status digest_raw(Hash hash, std::span<const ByteView> parts, std::span<std::uint8_t> out) {
  std::unique_ptr<EVP_MD_CTX, DigestContextDeleter> context(EVP_MD_CTX_new());
  bool ok = context != nullptr && out.size() == hash_size(hash) &&
            EVP_DigestInit_ex(context.get(), evp_digest(hash), nullptr) == 1;
  for (const ByteView part : parts)
    ok = ok && EVP_DigestUpdate(context.get(), part.data(), part.size()) == 1;
  if (!ok || EVP_DigestFinal_ex(context.get(), out.data(), nullptr) != 1)
    return Status(Errc::internal, "hashing failed in libcrypto");
  return {};
}

Result<Bytes> hmac(const Keystore& keystore, const Location& key, Hash hash, ByteView message) {
  Bytes tag(hash_size(hash));
  SH_RETURN_IF_ERROR(
      keystore.use(key, key_types(KeyType::symmetric, KeyType::seed),
                   [&](ByteView secret, const RecordView&) { return hmac_raw(hash, secret, message, tag); }));
  return tag;
}

Status hkdf(Transaction& tx, const Location& key, Hash hash, ByteView salt, ByteView info, std::size_t length,
            const Location& into, const RecordOptions& options) {
  return tx.use(key, key_types(KeyType::symmetric, KeyType::seed), [&](ByteView secret, const RecordView&) {
    ScratchFrame frame;
    SH_ASSIGN_OR_RETURN(auto derived, frame.take(length));
    SH_RETURN_IF_ERROR(hkdf_raw(hash, secret, salt, info, derived));
    return tx.put(into, KeyType::symmetric, derived, {}, options);
  });
}

Status pbkdf2_sha512(Transaction& tx, const Location& password, ByteView salt, std::uint32_t iterations,
                     std::size_t length, const Location& into, const RecordOptions& options) {
  return tx.use(password, key_types(KeyType::symmetric, KeyType::opaque), [&](ByteView secret, const RecordView&) {
    ScratchFrame frame;
    SH_ASSIGN_OR_RETURN(auto derived, frame.take(length));
    SH_RETURN_IF_ERROR(pbkdf2_raw(Hash::sha512, secret, salt, iterations, derived));
    return tx.put(into, KeyType::symmetric, derived, {}, options);
  });
}

}  // namespace stronghold::vault
