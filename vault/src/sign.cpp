#include "stronghold/vault/sign.hpp"

#include <cstring>

#include <secp256k1.h>
#include <secp256k1_extrakeys.h>
#include <secp256k1_recovery.h>
#include <secp256k1_schnorrsig.h>
#include <sodium.h>

#include "secp256k1_context.hpp"
#include "stronghold/runtime/random.hpp"
#include "stronghold/runtime/scratch.hpp"
#include "stronghold/runtime/stack_wipe.hpp"
#include "stronghold/vault/keccak.hpp"

namespace stronghold::vault {
namespace {

using runtime::ScratchFrame;

Result<std::array<std::uint8_t, 32>> ecdsa_digest(ByteView message, const EcdsaOptions& options) {
  std::array<std::uint8_t, 32> digest;
  if (options.prehashed) {
    if (message.size() != digest.size())
      return error(Errc::invalid_argument, "a prehashed message is a 32-byte digest, not {} bytes", message.size());
    std::memcpy(digest.data(), message.data(), digest.size());
  } else if (options.hash == EcdsaHash::keccak256) {
    digest = keccak256(message);
  } else {
    crypto_hash_sha256(digest.data(), message.data(), message.size());
  }
  return digest;
}

Bytes serialize_ecdsa(const secp256k1_ecdsa_signature& signature, EcdsaFormat format) {
  if (format == EcdsaFormat::der) {
    Bytes der(72);
    std::size_t size = der.size();
    secp256k1_ecdsa_signature_serialize_der(secp256k1_context_static, der.data(), &size, &signature);
    der.resize(size);
    return der;
  }
  Bytes compact(64);
  secp256k1_ecdsa_signature_serialize_compact(secp256k1_context_static, compact.data(), &signature);
  return compact;
}

// The signing steps, on a secret already in scratch.
Status ed25519_with(ByteView seed, ByteView public_key, ByteView message, Bytes& signature) {
  // libsodium signs with seed || public key; the public key is bound to the seal.
  ScratchFrame frame;
  SH_ASSIGN_OR_RETURN(auto secret_key, frame.take(crypto_sign_SECRETKEYBYTES));
  std::memcpy(secret_key.data(), seed.data(), crypto_sign_SEEDBYTES);
  std::memcpy(secret_key.data() + crypto_sign_SEEDBYTES, public_key.data(), crypto_sign_PUBLICKEYBYTES);
  signature.resize(crypto_sign_BYTES);
  crypto_sign_detached(signature.data(), nullptr, message.data(), message.size(), secret_key.data());
  return {};
}

Status ecdsa_with(ByteView secret, const std::array<std::uint8_t, 32>& digest, EcdsaFormat format, Bytes& out) {
  const runtime::StackWipe wipe;  // libsecp256k1 leaves the RFC 6979 key data on the stack
  SH_ASSIGN_OR_RETURN(const secp256k1_context* context, secret_key_context());
  if (format == EcdsaFormat::recoverable) {
    secp256k1_ecdsa_recoverable_signature signature;
    if (!secp256k1_ecdsa_sign_recoverable(context, &signature, digest.data(), secret.data(), nullptr, nullptr))
      return Status(Errc::invalid_key, "libsecp256k1 refused to sign with this key");
    out.resize(65);
    int recovery_id = 0;
    secp256k1_ecdsa_recoverable_signature_serialize_compact(secp256k1_context_static, out.data(), &recovery_id,
                                                            &signature);
    out[64] = static_cast<std::uint8_t>(recovery_id);
    return {};
  }
  secp256k1_ecdsa_signature signature;  // libsecp256k1 always produces the low-S form
  if (!secp256k1_ecdsa_sign(context, &signature, digest.data(), secret.data(), nullptr, nullptr))
    return Status(Errc::invalid_key, "libsecp256k1 refused to sign with this key");
  out = serialize_ecdsa(signature, format);
  return {};
}

Status schnorr_with(ByteView secret, ByteView message, const std::array<std::uint8_t, 32>& aux, Bytes& signature) {
  SH_ASSIGN_OR_RETURN(const secp256k1_context* context, secret_key_context());
  ScratchFrame frame;
  SH_ASSIGN_OR_RETURN(auto keypair_bytes, frame.take(sizeof(secp256k1_keypair)));
  auto* keypair = reinterpret_cast<secp256k1_keypair*>(keypair_bytes.data());
  if (!secp256k1_keypair_create(context, keypair, secret.data()))
    return Status(Errc::invalid_key, "libsecp256k1 refused this key");
  secp256k1_schnorrsig_extraparams extra = SECP256K1_SCHNORRSIG_EXTRAPARAMS_INIT;
  extra.ndata = const_cast<std::uint8_t*>(aux.data());
  signature.resize(64);
  if (!secp256k1_schnorrsig_sign_custom(context, signature.data(), message.data(), message.size(), keypair, &extra))
    return Status(Errc::internal, "BIP340 signing failed");
  return {};
}

// Opens shielded material into scratch and hands the secret to `use`.
Status with_material(const SigningMaterial& key, KeyType expected, FunctionRef<Status(ByteView)> use) {
  if (key.type != expected || !key.secret)
    return error(Errc::wrong_key_type, "this operation needs a {} key, not {}", key_type_name(expected),
                 key_type_name(key.type));
  ScratchFrame frame;
  SH_ASSIGN_OR_RETURN(auto secret, frame.take(key.secret->size()));
  SH_RETURN_IF_ERROR(key.secret->open(secret));
  return use(secret);
}

}  // namespace

Result<Bytes> sign_ed25519(const Keystore& keystore, const Location& location, ByteView message) {
  Bytes signature;
  SH_RETURN_IF_ERROR(keystore.use(location, key_types(KeyType::ed25519), [&](ByteView seed, const RecordView& record) {
    return ed25519_with(seed, record.public_key, message, signature);
  }));
  return signature;
}

Result<Bytes> sign_ed25519(const SigningMaterial& key, ByteView message) {
  Bytes signature;
  SH_RETURN_IF_ERROR(with_material(
      key, KeyType::ed25519, [&](ByteView seed) { return ed25519_with(seed, key.public_key, message, signature); }));
  return signature;
}

Result<Bytes> sign_default(const SigningMaterial& key, ByteView message) {
  return key.type == KeyType::secp256k1 ? sign_ecdsa(key, message) : sign_ed25519(key, message);
}

Result<Bytes> sign_ecdsa(const Keystore& keystore, const Location& location, ByteView message,
                         const EcdsaOptions& options) {
  SH_ASSIGN_OR_RETURN(const auto digest, ecdsa_digest(message, options));
  Bytes out;
  SH_RETURN_IF_ERROR(keystore.use(location, key_types(KeyType::secp256k1), [&](ByteView secret, const RecordView&) {
    return ecdsa_with(secret, digest, options.format, out);
  }));
  return out;
}

Result<Bytes> sign_ecdsa(const SigningMaterial& key, ByteView message, const EcdsaOptions& options) {
  SH_ASSIGN_OR_RETURN(const auto digest, ecdsa_digest(message, options));
  Bytes out;
  SH_RETURN_IF_ERROR(with_material(key, KeyType::secp256k1,
                                   [&](ByteView secret) { return ecdsa_with(secret, digest, options.format, out); }));
  return out;
}

Result<Bytes> sign_schnorr(const Keystore& keystore, const Location& location, ByteView message, ByteView aux_random) {
  if (!aux_random.empty() && aux_random.size() != 32)
    return error(Errc::invalid_argument, "BIP340 auxiliary randomness is 32 bytes, not {}", aux_random.size());
  std::array<std::uint8_t, 32> aux;
  if (aux_random.empty())
    runtime::random_bytes(aux);
  else
    std::memcpy(aux.data(), aux_random.data(), aux.size());
  Bytes signature(64);
  SH_RETURN_IF_ERROR(keystore.use(location, key_types(KeyType::secp256k1), [&](ByteView secret, const RecordView&) {
    return schnorr_with(secret, message, aux, signature);
  }));
  return signature;
}

}  // namespace stronghold::vault
