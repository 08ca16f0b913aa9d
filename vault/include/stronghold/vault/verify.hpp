// Verification needs only public keys, so it is offered for any key, stored or not.
#pragma once

#include "stronghold/runtime/hex.hpp"

namespace stronghold::vault {

bool verify_ed25519(ByteView public_key, ByteView message, ByteView signature);

enum class EcdsaEncoding { compact, der };
struct EcdsaVerifyOptions {
  EcdsaEncoding encoding = EcdsaEncoding::compact;
  bool prehashed = false;
  bool require_low_s = true;  // Bitcoin's rule; false also accepts the high-S twin
};
// `public_key`: 33 or 65 bytes (SEC1).
bool verify_ecdsa(ByteView public_key, ByteView message, ByteView signature, const EcdsaVerifyOptions& options = {});
// `public_key`: 32-byte x-only (BIP340).
bool verify_schnorr(ByteView public_key, ByteView message, ByteView signature);

}  // namespace stronghold::vault
