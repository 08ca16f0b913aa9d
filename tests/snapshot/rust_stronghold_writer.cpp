#include "snapshot/rust_stronghold_writer.hpp"

#include <algorithm>
#include <array>

#include <lz4.h>
#include <sodium.h>

#include "stronghold/runtime/byte_codec.hpp"
#include "stronghold/snapshot/rust_stronghold.hpp"

namespace stronghold::test {
namespace {

namespace rs = snapshot::rust_stronghold;

void put_vec(ByteWriter& out, ByteView bytes) {
  out.u64(bytes.size());
  out.raw(bytes);
}

void put_big_endian(Bytes& out, std::size_t offset, std::uint64_t value) {
  for (std::size_t i = 0; i < 8; ++i)
    out[offset + 7 - i] = static_cast<std::uint8_t>(value >> (8 * i));
}

// tag | nonce | ciphertext under `key` with `ad`.
Bytes seal(ByteView plain, ByteView key, ByteView ad) {
  Bytes sealed(crypto_aead_xchacha20poly1305_ietf_ABYTES + crypto_aead_xchacha20poly1305_ietf_NPUBBYTES + plain.size());
  std::uint8_t* tag = sealed.data();
  std::uint8_t* nonce = tag + crypto_aead_xchacha20poly1305_ietf_ABYTES;
  randombytes_buf(nonce, crypto_aead_xchacha20poly1305_ietf_NPUBBYTES);
  crypto_aead_xchacha20poly1305_ietf_encrypt_detached(nonce + crypto_aead_xchacha20poly1305_ietf_NPUBBYTES, tag,
                                                      nullptr, plain.data(), plain.size(), ad.data(), ad.size(),
                                                      nullptr, nonce, key.data());
  return sealed;
}

void put_record(ByteWriter& out, const RustRecord& record, const rs::Id& vault, ByteView key) {
  rs::Id id = rs::record_id(vault, record.record);
  rs::Id blob{};
  randombytes_buf(blob.data(), blob.size());
  Bytes transaction(112);
  put_big_endian(transaction, 0, 1);
  put_big_endian(transaction, 8, record.secret.size());
  std::copy(id.begin(), id.end(), transaction.begin() + 16);
  std::copy(blob.begin(), blob.end(), transaction.begin() + 40);
  out.raw(id);
  out.raw(id);
  put_vec(out, seal(transaction, key, id));
  out.u8(0);  // not revoked
  put_vec(out, seal(record.secret, key, blob));
}

void put_client(ByteWriter& out, const RustRecord& record) {
  std::array<std::uint8_t, 32> key{};
  randombytes_buf(key.data(), key.size());
  rs::Id vault = rs::vault_id(record.vault);
  out.raw(rs::client_id(record.client));
  out.u64(1);  // the vault keys
  out.raw(vault);
  put_vec(out, key);
  out.u64(1);  // the vaults
  out.raw(vault);
  put_vec(out, key);
  out.u64(1);
  put_record(out, record, vault, key);
  out.u64(0);                // an empty store
  out.u8(0);                 // no scan interval
  out.raw(Bytes(12, 0x11));  // created at
  out.u8(0);                 // never scanned
}

}  // namespace

Bytes rust_state(const std::vector<RustRecord>& records) {
  Bytes state;
  ByteWriter out(state);
  out.u64(records.size());
  for (const RustRecord& record : records)
    put_client(out, record);
  return state;
}

Bytes rust_snapshot_v2(ByteView state, ByteView key) {
  Bytes block(static_cast<std::size_t>(LZ4_compressBound(static_cast<int>(state.size()))));
  int size = LZ4_compress_default(reinterpret_cast<const char*>(state.data()), reinterpret_cast<char*>(block.data()),
                                  static_cast<int>(state.size()), static_cast<int>(block.size()));
  block.resize(static_cast<std::size_t>(size));
  std::array<std::uint8_t, 32> ephemeral_secret{};
  std::array<std::uint8_t, 64> both{};  // ephemeral public key | recipient public key
  std::array<std::uint8_t, 32> shared{};
  std::array<std::uint8_t, 32> digest{};
  randombytes_buf(ephemeral_secret.data(), ephemeral_secret.size());
  crypto_scalarmult_base(both.data(), ephemeral_secret.data());
  crypto_scalarmult_base(both.data() + 32, key.data());
  if (crypto_scalarmult(shared.data(), ephemeral_secret.data(), both.data() + 32) != 0)
    return {};  // a reader refuses an empty file
  crypto_generichash(digest.data(), digest.size(), both.data(), both.size(), nullptr, 0);
  Bytes file = {'P', 'A', 'R', 'T', 'I', 2, 0};
  file.insert(file.end(), both.begin(), both.begin() + 32);
  file.resize(file.size() + crypto_aead_xchacha20poly1305_ietf_ABYTES + block.size());
  std::uint8_t* tag = file.data() + 7 + 32;
  crypto_aead_xchacha20poly1305_ietf_encrypt_detached(tag + crypto_aead_xchacha20poly1305_ietf_ABYTES, tag, nullptr,
                                                      block.data(), block.size(), nullptr, 0, nullptr, digest.data(),
                                                      shared.data());
  return file;
}

}  // namespace stronghold::test
