#include "rust/state.hpp"

#include <sodium.h>

#include "stronghold/runtime/byte_codec.hpp"

namespace stronghold::snapshot::rust_stronghold {
namespace {

constexpr std::size_t kSealOverhead =
    crypto_aead_xchacha20poly1305_ietf_ABYTES + crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
constexpr std::size_t kTransactionSize = 112;
constexpr std::size_t kBlobIdOffset = 40;
constexpr std::size_t kLengthOffset = 8;
constexpr std::size_t kTimeSize = 12;  // a SystemTime or Duration: seconds u64, nanoseconds u32

Status damaged(std::string_view where) {
  return error(Errc::corrupted, "the snapshot's state is damaged at {}", where);
}

// A u64 count whose entries of at least `min_entry` bytes each fit in what is left.
bool count(ByteReader& in, std::uint64_t min_entry, std::uint64_t& out) {
  return in.u64(out) && out <= in.remaining() / min_entry;
}

bool vec(ByteReader& in, ByteView& out) {
  std::uint64_t size = 0;
  return in.u64(size) && size <= in.remaining() && in.raw(static_cast<std::size_t>(size), out);
}

// Reads an Option<T>: false for a tag other than 0 or 1.
bool option(ByteReader& in, bool& present) {
  std::uint8_t tag = 0;
  present = in.u8(tag) && tag == 1;
  return in.ok() && tag <= 1;
}

bool skip_time(ByteReader& in) {
  ByteView ignored;
  return in.raw(kTimeSize, ignored);
}

bool skip_optional_time(ByteReader& in) {
  bool present = false;
  return option(in, present) && (!present || skip_time(in));
}

// tag (16) | nonce (24) | ciphertext, XChaCha20-Poly1305 under `key` with `ad`.
Result<runtime::SecretBytes> open_sealed(ByteView sealed, ByteView key, ByteView ad) {
  if (sealed.size() < kSealOverhead || key.size() != crypto_aead_xchacha20poly1305_ietf_KEYBYTES)
    return damaged("a record's seal or its vault's key");
  ByteView tag = sealed.first(crypto_aead_xchacha20poly1305_ietf_ABYTES);
  ByteView nonce = sealed.subspan(tag.size(), crypto_aead_xchacha20poly1305_ietf_NPUBBYTES);
  ByteView ciphertext = sealed.subspan(kSealOverhead);
  runtime::SecretBytes plain(ciphertext.size());
  if (crypto_aead_xchacha20poly1305_ietf_decrypt_detached(plain.data(), nullptr, ciphertext.data(), ciphertext.size(),
                                                          tag.data(), ad.data(), ad.size(), nonce.data(),
                                                          key.data()) != 0)
    return damaged("a record whose seal does not open");
  return plain;
}

// The data transaction names the blob and its length; the blob holds the secret.
Result<runtime::SecretBytes> open_record(const Id& id, ByteView data, ByteView blob, ByteView key) {
  SH_ASSIGN_OR_RETURN(runtime::SecretBytes transaction, open_sealed(data, key, id));
  if (transaction.size() != kTransactionSize)
    return damaged("a record's data transaction");
  ByteView blob_id = transaction.view().subspan(kBlobIdOffset, Id{}.size());
  SH_ASSIGN_OR_RETURN(runtime::SecretBytes secret, open_sealed(blob, key, blob_id));
  // The transaction's numbers are big-endian, unlike bincode's.
  std::uint64_t length = 0;
  for (std::uint8_t byte : transaction.view().subspan(kLengthOffset, 8))
    length = (length << 8) | byte;
  if (length > secret.size())
    return damaged("a record's length");
  secret.resize(static_cast<std::size_t>(length));
  return secret;
}

Status parse_record(ByteReader& in, ByteView key, Vault& vault) {
  Id chain{};
  Record record;
  ByteView data;
  ByteView revocation;
  ByteView blob;
  bool revoked = false;
  if (!in.array(chain) || !in.array(record.id) || !vec(in, data) || !option(in, revoked) ||
      (revoked && !vec(in, revocation)) || !vec(in, blob) || chain != record.id)
    return damaged("a record");
  if (revoked) {
    ++vault.revoked;
    return {};
  }
  SH_ASSIGN_OR_RETURN(record.data, open_record(record.id, data, blob, key));
  vault.records.push_back(std::move(record));
  return {};
}

Status parse_vault(ByteReader& in, Client& client) {
  Vault vault;
  ByteView key;
  std::uint64_t records = 0;
  if (!in.array(vault.id) || !vec(in, key) || !count(in, 2 * Id{}.size(), records))
    return damaged("a vault");
  for (std::uint64_t i = 0; i < records; ++i)
    SH_RETURN_IF_ERROR(parse_record(in, key, vault));
  client.vaults.push_back(std::move(vault));
  return {};
}

// The store's entries, and the cache bookkeeping after them (scan interval, creation time, last scan).
Status parse_store(ByteReader& in, Client& client) {
  std::uint64_t entries = 0;
  if (!count(in, 17, entries))
    return damaged("the store");
  for (std::uint64_t i = 0; i < entries; ++i) {
    ByteView key;
    ByteView value;
    if (!vec(in, key) || !vec(in, value) || !skip_optional_time(in))
      return damaged("a store entry");
    client.store.push_back({Bytes(key.begin(), key.end()), runtime::SecretBytes(value)});
  }
  if (!skip_optional_time(in) || !skip_time(in) || !skip_optional_time(in))
    return damaged("the store's cache times");
  return {};
}

Status parse_client(ByteReader& in, Contents& contents) {
  Client client;
  std::uint64_t keys = 0;
  std::uint64_t vaults = 0;
  if (!in.array(client.id) || !count(in, Id{}.size() + 8, keys))
    return damaged("a client");
  for (std::uint64_t i = 0; i < keys; ++i) {
    Id vault{};
    ByteView key;
    if (!in.array(vault) || !vec(in, key))
      return damaged("a client's vault keys");
  }
  if (!count(in, Id{}.size() + 16, vaults))
    return damaged("a client's vaults");
  for (std::uint64_t i = 0; i < vaults; ++i)
    SH_RETURN_IF_ERROR(parse_vault(in, client));
  SH_RETURN_IF_ERROR(parse_store(in, client));
  contents.clients.push_back(std::move(client));
  return {};
}

}  // namespace

Result<Contents> parse_state(ByteView state, unsigned version) {
  ByteReader in(state);
  Contents contents;
  contents.version = version;
  std::uint64_t clients = 0;
  if (!count(in, Id{}.size(), clients))
    return damaged("the client count");
  for (std::uint64_t i = 0; i < clients; ++i)
    SH_RETURN_IF_ERROR(parse_client(in, contents));
  if (in.remaining() != 0)
    return damaged("the end (bytes after the last client)");
  return contents;
}

}  // namespace stronghold::snapshot::rust_stronghold
