// Signing with keys that stay inside the vault.
#pragma once

#include "stronghold/vault/keystore.hpp"

namespace stronghold::vault {

// RFC 8032 Ed25519: 64 bytes.
Result<Bytes> sign_ed25519(const Keystore& keystore, const Location& location, ByteView message);

enum class EcdsaFormat {
  compact,      // r || s, 64 bytes
  recoverable,  // r || s || recovery id (0 or 1), 65 bytes
  der,          // ASN.1 DER, at most 72 bytes
};
// The digest signed: SHA-256 (Bitcoin and most protocols) or Keccak-256 (Ethereum and the EVM).
enum class EcdsaHash { sha256, keccak256 };
struct EcdsaOptions {
  bool prehashed = false;  // the message is already a 32-byte digest; `hash` is then unused
  EcdsaFormat format = EcdsaFormat::compact;
  EcdsaHash hash = EcdsaHash::sha256;
};
// ECDSA over the options' hash of the message (or the given digest) with RFC 6979 nonces;
// always low-S.
Result<Bytes> sign_ecdsa(const Keystore& keystore, const Location& location, ByteView message,
                         const EcdsaOptions& options = {});
// The same with material a keystore handed over (Keystore::signing_material), on any thread.
Result<Bytes> sign_ed25519(const SigningMaterial& key, ByteView message);
Result<Bytes> sign_ecdsa(const SigningMaterial& key, ByteView message, const EcdsaOptions& options = {});
// A key's default signature: Ed25519 for an Ed25519 key, ECDSA over SHA-256 (compact, low-S) for
// a secp256k1 key.
Result<Bytes> sign_default(const SigningMaterial& key, ByteView message);

// BIP340 Schnorr: 64 bytes. `aux_random` (32 bytes) is for reproducing test vectors; empty
// means fresh randomness, which is what callers want.
Result<Bytes> sign_schnorr(const Keystore& keystore, const Location& location, ByteView message,
                           ByteView aux_random = {});

}  // namespace stronghold::vault
