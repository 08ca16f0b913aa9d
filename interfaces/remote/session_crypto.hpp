// What a tunnel (tunnel.hpp) seals its bytes with: a key exchange at the start of each session
// (X25519, libsodium's crypto_kx), then XChaCha20-Poly1305 with a counter as the nonce, one key
// and one counter per direction.
//
// TLS already authenticates both ends and encrypts the connection. This layer exists because
// the bytes of a session are the strongholdd wire protocol, which carries passwords and secret
// values: sealed, they pass through the actor framework's buffers (which do not wipe what they
// free) only as ciphertext. Its key exchange is unauthenticated on purpose: TLS did that.
#pragma once

#include <cstdint>
#include <vector>

#include "stronghold/runtime/hex.hpp"
#include "stronghold/runtime/secret_buffer.hpp"
#include "stronghold/runtime/secret_bytes.hpp"

namespace stronghold::remote {

inline constexpr std::size_t kKxPublicSize = 32;

struct SessionKeys {
  runtime::SecretBuffer send;
  runtime::SecretBuffer receive;
};

// One side's ephemeral key pair; its secret key lives in guarded memory.
class KeyExchange {
 public:
  static Result<KeyExchange> make();
  const Bytes& public_key() const noexcept { return public_key_; }
  // invalid_argument when `peer_public` is not a usable X25519 public key.
  Result<SessionKeys> client_keys(ByteView server_public) const;
  Result<SessionKeys> server_keys(ByteView client_public) const;

 private:
  // crypto_kx_client_session_keys or crypto_kx_server_session_keys: (rx, tx, own public, own
  // secret, peer public).
  using Derive = int (*)(unsigned char*, unsigned char*, const unsigned char*, const unsigned char*,
                         const unsigned char*);
  Result<SessionKeys> session_keys(ByteView peer_public, Derive derive, const char* whose) const;
  Bytes public_key_;
  runtime::SecretBuffer secret_key_;
};

// `plain` sealed under `key` with `counter` as its nonce.
std::vector<char> seal(const runtime::SecretBuffer& key, std::uint64_t counter, ByteView plain);
// authentication_failed unless `sealed` is what seal made with `key` and `counter`.
Result<runtime::SecretBytes> open(const runtime::SecretBuffer& key, std::uint64_t counter,
                                  const std::vector<char>& sealed);

}  // namespace stronghold::remote
