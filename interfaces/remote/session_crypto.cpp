#include "session_crypto.hpp"

#include <sodium.h>

#include <array>

namespace stronghold::remote {
namespace {

using Nonce = std::array<std::uint8_t, crypto_aead_xchacha20poly1305_ietf_NPUBBYTES>;

Nonce nonce_of(std::uint64_t counter) {
  Nonce nonce{};
  for (std::size_t i = 0; i < 8; ++i)
    nonce[i] = static_cast<std::uint8_t>(counter >> (8 * i));
  return nonce;
}

const std::uint8_t* as_bytes(const std::vector<char>& bytes) {
  return reinterpret_cast<const std::uint8_t*>(bytes.data());
}

}  // namespace

Result<KeyExchange> KeyExchange::make() {
  KeyExchange pair;
  pair.public_key_.resize(crypto_kx_PUBLICKEYBYTES);
  SH_ASSIGN_OR_RETURN(pair.secret_key_, runtime::SecretBuffer::create(crypto_kx_SECRETKEYBYTES));
  auto secret = pair.secret_key_.write();
  if (crypto_kx_keypair(pair.public_key_.data(), secret.bytes().data()) != 0)
    return Status(Errc::internal, "cannot make a key exchange pair");
  return pair;
}

Result<SessionKeys> KeyExchange::client_keys(ByteView server_public) const {
  return session_keys(server_public, crypto_kx_client_session_keys, "the node's");
}

Result<SessionKeys> KeyExchange::server_keys(ByteView client_public) const {
  return session_keys(client_public, crypto_kx_server_session_keys, "the client's");
}

Result<SessionKeys> KeyExchange::session_keys(ByteView peer_public, Derive derive, const char* whose) const {
  if (peer_public.size() != crypto_kx_PUBLICKEYBYTES)
    return error(Errc::invalid_argument, "{} session key has the wrong size", whose);
  SessionKeys keys;
  SH_ASSIGN_OR_RETURN(keys.send, runtime::SecretBuffer::create(crypto_kx_SESSIONKEYBYTES));
  SH_ASSIGN_OR_RETURN(keys.receive, runtime::SecretBuffer::create(crypto_kx_SESSIONKEYBYTES));
  auto secret = secret_key_.read();
  auto send = keys.send.write();
  auto receive = keys.receive.write();
  if (derive(receive.bytes().data(), send.bytes().data(), public_key_.data(), secret.bytes().data(),
             peer_public.data()) != 0)
    return error(Errc::invalid_argument, "{} session key is not a usable public key", whose);
  return keys;
}

std::vector<char> seal(const runtime::SecretBuffer& key, std::uint64_t counter, ByteView plain) {
  std::vector<char> sealed(plain.size() + crypto_aead_xchacha20poly1305_ietf_ABYTES);
  const Nonce nonce = nonce_of(counter);
  auto bytes = key.read();
  crypto_aead_xchacha20poly1305_ietf_encrypt(reinterpret_cast<std::uint8_t*>(sealed.data()), nullptr, plain.data(),
                                             plain.size(), nullptr, 0, nullptr, nonce.data(), bytes.bytes().data());
  return sealed;
}

Result<runtime::SecretBytes> open(const runtime::SecretBuffer& key, std::uint64_t counter,
                                  const std::vector<char>& sealed) {
  if (sealed.size() < crypto_aead_xchacha20poly1305_ietf_ABYTES)
    return Status(Errc::authentication_failed, "a tunnel message is shorter than its tag");
  runtime::SecretBytes plain(sealed.size() - crypto_aead_xchacha20poly1305_ietf_ABYTES);
  const Nonce nonce = nonce_of(counter);
  auto bytes = key.read();
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(plain.data(), nullptr, nullptr, as_bytes(sealed), sealed.size(),
                                                 nullptr, 0, nonce.data(), bytes.bytes().data()) != 0)
    return Status(Errc::authentication_failed, "a tunnel message does not open: it was changed, lost or replayed");
  return plain;
}

}  // namespace stronghold::remote
