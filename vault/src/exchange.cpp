#include "stronghold/vault/exchange.hpp"

#include <cstring>

#include <secp256k1.h>
#include <secp256k1_ecdh.h>
#include <sodium.h>

#include "secp256k1_context.hpp"
#include "stronghold/runtime/scratch.hpp"

namespace stronghold::vault {
namespace {

using runtime::ScratchFrame;

// Runs X25519 in scratch and hands the shared secret to `then`.
Status with_x25519_shared(const Keystore& keystore, const Location& key, ByteView peer_public,
                          FunctionRef<Status(ByteView shared)> then) {
  if (peer_public.size() != crypto_scalarmult_BYTES)
    return error(Errc::invalid_argument, "an X25519 public key is 32 bytes, not {}", peer_public.size());
  return keystore.use(key, key_types(KeyType::x25519), [&](ByteView secret, const RecordView&) {
    ScratchFrame frame;
    SH_ASSIGN_OR_RETURN(auto shared, frame.take(crypto_scalarmult_BYTES));
    if (crypto_scalarmult(shared.data(), secret.data(), peer_public.data()) != 0)
      return Status(Errc::invalid_key, "the peer's X25519 key has a low order (the shared secret would be zero)");
    return then(shared);
  });
}

int copy_x_coordinate(unsigned char* output, const unsigned char* x32, const unsigned char*, void*) {
  std::memcpy(output, x32, 32);
  return 1;
}

}  // namespace

Status x25519_agree(Transaction& tx, const Location& key, ByteView peer_public, const Location& into,
                    const RecordOptions& options) {
  return with_x25519_shared(tx.keystore(), key, peer_public,
                            [&](ByteView shared) { return tx.put(into, KeyType::symmetric, shared, {}, options); });
}

Status x25519_agree_hkdf(Transaction& tx, const Location& key, ByteView peer_public, const HkdfParams& params,
                         const Location& into, const RecordOptions& options) {
  return with_x25519_shared(tx.keystore(), key, peer_public, [&](ByteView shared) {
    ScratchFrame frame;
    SH_ASSIGN_OR_RETURN(auto derived, frame.take(params.length));
    SH_RETURN_IF_ERROR(hkdf_raw(params.hash, shared, params.salt, params.info, derived));
    return tx.put(into, KeyType::symmetric, derived, {}, options);
  });
}

Status ecdh_secp256k1(Transaction& tx, const Location& key, ByteView peer_public, const Location& into,
                      const RecordOptions& options) {
  secp256k1_pubkey point;
  if (!parse_public_key(peer_public.data(), peer_public.size(), &point))
    return Status(Errc::invalid_key, "the peer's secp256k1 public key is not a point on the curve");
  return tx.use(key, key_types(KeyType::secp256k1), [&](ByteView secret, const RecordView&) {
    ScratchFrame frame;
    SH_ASSIGN_OR_RETURN(auto shared, frame.take(32));
    SH_ASSIGN_OR_RETURN(const secp256k1_context* context, secret_key_context());
    if (!secp256k1_ecdh(context, shared.data(), &point, secret.data(), copy_x_coordinate, nullptr))
      return Status(Errc::invalid_key, "secp256k1 ECDH failed for this key");
    return tx.put(into, KeyType::symmetric, shared, {}, options);
  });
}

}  // namespace stronghold::vault
