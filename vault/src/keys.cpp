#include "stronghold/vault/keys.hpp"

#include <cstring>

#include <secp256k1.h>
#include <sodium.h>

#include "secp256k1_context.hpp"
#include "stronghold/runtime/random.hpp"
#include "stronghold/runtime/scratch.hpp"
#include "stronghold/runtime/stack_wipe.hpp"
#include "stronghold/vault/slip10.hpp"

namespace stronghold::vault {
namespace {

using runtime::ScratchFrame;

Status expect_size(KeyType type, ByteView secret, std::size_t size) {
  if (secret.size() != size)
    return error(Errc::invalid_argument, "a {} private key is {} bytes, not {}", key_type_name(type), size,
                 secret.size());
  return {};
}

// The public key that goes with `secret`, after checking that the curve accepts it.
Result<Bytes> public_key_of(KeyType type, ByteView secret) {
  switch (type) {
    case KeyType::ed25519: {
      SH_RETURN_IF_ERROR(expect_size(type, secret, crypto_sign_SEEDBYTES));
      ScratchFrame frame;
      SH_ASSIGN_OR_RETURN(auto expanded, frame.take(crypto_sign_SECRETKEYBYTES));
      Bytes public_key(crypto_sign_PUBLICKEYBYTES);
      crypto_sign_seed_keypair(public_key.data(), expanded.data(), secret.data());
      return public_key;
    }
    case KeyType::x25519: {
      SH_RETURN_IF_ERROR(expect_size(type, secret, crypto_scalarmult_SCALARBYTES));
      Bytes public_key(crypto_scalarmult_BYTES);
      if (crypto_scalarmult_base(public_key.data(), secret.data()) != 0)
        return Status(Errc::invalid_key, "this X25519 private key is refused");
      return public_key;
    }
    case KeyType::secp256k1: {
      SH_RETURN_IF_ERROR(expect_size(type, secret, 32));
      const runtime::StackWipe wipe;
      SH_ASSIGN_OR_RETURN(const secp256k1_context* context, secret_key_context());
      secp256k1_pubkey point;
      if (!secp256k1_ec_seckey_verify(context, secret.data()) ||
          !secp256k1_ec_pubkey_create(context, &point, secret.data()))
        return Status(Errc::invalid_key, "a secp256k1 private key must be in [1, n-1]");
      Bytes public_key(33);
      std::size_t size = public_key.size();
      secp256k1_ec_pubkey_serialize(secp256k1_context_static, public_key.data(), &size, &point,
                                    SECP256K1_EC_COMPRESSED);
      return public_key;
    }
    case KeyType::seed:
      if (secret.size() < 16 || secret.size() > 64)
        return error(Errc::invalid_argument, "a seed is 16 to 64 bytes, not {}", secret.size());
      return Bytes{};
    case KeyType::symmetric:
      if (secret.empty())
        return Status(Errc::invalid_argument, "a symmetric key cannot be empty");
      return Bytes{};
    case KeyType::opaque: return Bytes{};
  }
  return Status(Errc::invalid_argument, "unknown key type");
}

}  // namespace

Result<Bytes> import_key(Transaction& tx, const Location& location, KeyType type, ByteView secret,
                         const RecordOptions& options) {
  SH_ASSIGN_OR_RETURN(Bytes public_key, public_key_of(type, secret));
  SH_RETURN_IF_ERROR(tx.put(location, type, secret, public_key, options));
  return public_key;
}

Result<Bytes> generate_key(Transaction& tx, const Location& location, KeyType type, const RecordOptions& options) {
  if (type != KeyType::ed25519 && type != KeyType::x25519 && type != KeyType::secp256k1 && type != KeyType::symmetric)
    return error(Errc::invalid_argument, "cannot generate a {} key", key_type_name(type));
  ScratchFrame frame;
  SH_ASSIGN_OR_RETURN(auto secret, frame.take(32));
  // A random secp256k1 scalar is out of range with probability about 2^-128: draw again then.
  do
    runtime::random_bytes(secret);
  while (type == KeyType::secp256k1 && !secp256k1_ec_seckey_verify(secp256k1_context_static, secret.data()));
  return import_key(tx, location, type, secret, options);
}

Result<Bytes> public_key_uncompressed(const Keystore& keystore, const Location& location) {
  SH_ASSIGN_OR_RETURN(RecordInfo info, keystore.info(location));
  if (info.type != KeyType::secp256k1)
    return error(Errc::wrong_key_type, "the record at {} holds a {} key, not secp256k1", location.to_string(),
                 key_type_name(info.type));
  SH_ASSIGN_OR_RETURN(Bytes compressed, keystore.public_key(location));
  secp256k1_pubkey point;
  if (!parse_public_key(compressed.data(), compressed.size(), &point))
    return error(Errc::corrupted, "the public key stored at {} is not a curve point", location.to_string());
  Bytes uncompressed(65);
  std::size_t size = uncompressed.size();
  secp256k1_ec_pubkey_serialize(secp256k1_context_static, uncompressed.data(), &size, &point,
                                SECP256K1_EC_UNCOMPRESSED);
  return uncompressed;
}

Status copy_record(Transaction& tx, const Location& from, const Location& to) {
  SH_RETURN_IF_ERROR(tx.use(from,
                            key_types(KeyType::seed, KeyType::ed25519, KeyType::x25519, KeyType::secp256k1,
                                      KeyType::symmetric, KeyType::opaque),
                            [&](ByteView secret, const RecordView& record) {
                              return tx.put(to, record.type, secret, record.public_key,
                                            RecordOptions{std::string(record.hint), record.expires_at});
                            }));
  return copy_chain_code(tx, from, to);
}

Status move_record(Transaction& tx, const Location& from, const Location& to) {
  if (from == to)
    return {};
  SH_RETURN_IF_ERROR(copy_record(tx, from, to));
  return tx.revoke(from);
}

}  // namespace stronghold::vault
