// Reads snapshot files written by IOTA's Rust Stronghold (magic "PARTI"), so that their secrets
// can move into this engine.
//
//   version 2   "PARTI" | 02 00 | X25519 + XChaCha20-Poly1305 envelope, keyed by a 32-byte X25519 secret
//   version 3   "PARTI" | 03 00 | an age v1 file, one scrypt recipient, the 32 key bytes its passphrase
//
// Inside either is one LZ4 block of a bincode map from client id to (vault keys, vaults, store);
// every record is sealed again under its vault's key. Ids are HMAC-SHA512 of the paths an
// application used, truncated to 24 bytes, so a record is found by its paths. Everything read
// from the file is bounded and checked: damage is corrupted, a key that does not open the
// envelope is wrong_password, another version is unsupported.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>
#include <vector>

#include "stronghold/runtime/hex.hpp"
#include "stronghold/runtime/secret_bytes.hpp"
#include "stronghold/runtime/status.hpp"

namespace stronghold::snapshot::rust_stronghold {

using Id = std::array<std::uint8_t, 24>;
inline constexpr std::size_t kKeySize = 32;

struct Record {
  Id id{};
  runtime::SecretBytes data;
};
struct Vault {
  Id id{};
  std::vector<Record> records;  // revoked records are left out
  std::size_t revoked = 0;
};
// An entry of a client's store, as its application put it there: iota-sdk seals its values
// itself, IOTA Identity 0.6 keeps JSON in the clear; either way it is kept in wiping memory.
struct StoreEntry {
  Bytes key;
  runtime::SecretBytes value;
};
struct Client {
  Id id{};
  std::vector<Vault> vaults;
  std::vector<StoreEntry> store;
};
struct Contents {
  unsigned version = 0;
  std::vector<Client> clients;
};

// True when `prefix` starts with "PARTI".
bool has_magic(ByteView prefix) noexcept;
// The format version: 2 or 3, unsupported for another, corrupted without the magic.
Result<unsigned> format_version(ByteView file);
// The 32-byte key the Rust Stronghold's wallets make from a password: PBKDF2-HMAC-SHA512 with
// salt "wallet.rs" and 100 rounds for version 2, BLAKE2b-256 for version 3.
Result<runtime::SecretBytes> key_from_password(unsigned version, ByteView password);
// Opens and parses the whole file with a 32-byte key.
Result<Contents> read(ByteView file, ByteView key);

Id client_id(std::string_view path);
Id vault_id(std::string_view path);
Id record_id(const Id& vault, std::string_view path);
// The record at these paths, or nullptr.
const Record* find_record(const Contents& contents, std::string_view client, std::string_view vault,
                          std::string_view record);
// The value under `key` in the store of the client at path `client`, or nullptr.
const runtime::SecretBytes* find_store_value(const Contents& contents, std::string_view client, std::string_view key);

}  // namespace stronghold::snapshot::rust_stronghold
