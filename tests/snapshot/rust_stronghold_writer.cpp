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

// A client's records grouped by vault, in first-appearance order.
std::vector<std::vector<const RustRecord*>> vaults_of(const std::vector<RustRecord>& records,
                                                      const std::string& client) {
  std::vector<std::vector<const RustRecord*>> vaults;
  for (const RustRecord& record : records) {
    if (record.client != client)
      continue;
    auto same = std::find_if(vaults.begin(), vaults.end(), [&](const auto& v) { return v[0]->vault == record.vault; });
    if (same == vaults.end())
      vaults.push_back({&record});
    else
      same->push_back(&record);
  }
  return vaults;
}

void put_client(ByteWriter& out, const std::string& client, const std::vector<RustRecord>& records,
                const std::vector<RustStoreEntry>& store) {
  const std::vector<std::vector<const RustRecord*>> vaults = vaults_of(records, client);
  std::vector<std::array<std::uint8_t, 32>> keys(vaults.size());
  for (auto& key : keys)
    randombytes_buf(key.data(), key.size());
  out.raw(rs::client_id(client));
  out.u64(vaults.size());  // the vault keys
  for (std::size_t i = 0; i < vaults.size(); ++i) {
    out.raw(rs::vault_id(vaults[i][0]->vault));
    put_vec(out, keys[i]);
  }
  out.u64(vaults.size());  // the vaults
  for (std::size_t i = 0; i < vaults.size(); ++i) {
    rs::Id vault = rs::vault_id(vaults[i][0]->vault);
    out.raw(vault);
    put_vec(out, keys[i]);
    out.u64(vaults[i].size());
    for (const RustRecord* record : vaults[i])
      put_record(out, *record, vault, keys[i]);
  }
  const auto entries =
      std::count_if(store.begin(), store.end(), [&](const RustStoreEntry& e) { return e.client == client; });
  out.u64(static_cast<std::uint64_t>(entries));
  for (const RustStoreEntry& entry : store) {
    if (entry.client != client)
      continue;
    put_vec(out, as_bytes(entry.key));
    put_vec(out, entry.value);
    out.u8(0);  // never expires
  }
  out.u8(0);                 // no scan interval
  out.raw(Bytes(12, 0x11));  // created at
  out.u8(0);                 // never scanned
}

}  // namespace

Bytes rust_state(const std::vector<RustRecord>& records, const std::vector<RustStoreEntry>& store) {
  std::vector<std::string> clients;
  auto note = [&](const std::string& client) {
    if (std::find(clients.begin(), clients.end(), client) == clients.end())
      clients.push_back(client);
  };
  for (const RustRecord& record : records)
    note(record.client);
  for (const RustStoreEntry& entry : store)
    note(entry.client);
  Bytes state;
  ByteWriter out(state);
  out.u64(clients.size());
  for (const std::string& client : clients)
    put_client(out, client, records, store);
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
