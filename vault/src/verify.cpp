#include "stronghold/vault/verify.hpp"

#include <array>

#include <secp256k1.h>
#include <secp256k1_extrakeys.h>
#include <secp256k1_schnorrsig.h>
#include <sodium.h>

#include "secp256k1_context.hpp"

namespace stronghold::vault {

bool verify_ed25519(ByteView public_key, ByteView message, ByteView signature) {
  return public_key.size() == crypto_sign_PUBLICKEYBYTES && signature.size() == crypto_sign_BYTES &&
         crypto_sign_verify_detached(signature.data(), message.data(), message.size(), public_key.data()) == 0;
}

bool verify_ecdsa(ByteView public_key, ByteView message, ByteView signature, const EcdsaVerifyOptions& options) {
  const secp256k1_context* context = secp256k1_context_static;
  secp256k1_pubkey point;
  if (!parse_public_key(public_key.data(), public_key.size(), &point) || signature.empty())
    return false;
  secp256k1_ecdsa_signature parsed;
  const bool decoded =
      options.encoding == EcdsaEncoding::der
          ? secp256k1_ecdsa_signature_parse_der(context, &parsed, signature.data(), signature.size())
          : signature.size() == 64 && secp256k1_ecdsa_signature_parse_compact(context, &parsed, signature.data());
  if (!decoded)
    return false;
  if (!options.require_low_s)
    secp256k1_ecdsa_signature_normalize(context, &parsed, &parsed);
  std::array<std::uint8_t, 32> digest;
  if (options.prehashed) {
    if (message.size() != digest.size())
      return false;
    std::copy(message.begin(), message.end(), digest.begin());
  } else {
    crypto_hash_sha256(digest.data(), message.data(), message.size());
  }
  return secp256k1_ecdsa_verify(context, &parsed, digest.data(), &point) == 1;
}

bool verify_schnorr(ByteView public_key, ByteView message, ByteView signature) {
  secp256k1_xonly_pubkey point;
  return public_key.size() == 32 && signature.size() == 64 &&
         secp256k1_xonly_pubkey_parse(secp256k1_context_static, &point, public_key.data()) &&
         secp256k1_schnorrsig_verify(secp256k1_context_static, signature.data(), message.data(), message.size(),
                                     &point) == 1;
}

}  // namespace stronghold::vault
