#include "stronghold/snapshot/rust_stronghold.hpp"

#include <algorithm>
#include <array>
#include <cstring>

#include <openssl/evp.h>
#include <sodium.h>

#include "rust/envelope.hpp"
#include "rust/state.hpp"

namespace stronghold::snapshot::rust_stronghold {
namespace {

constexpr std::array<std::uint8_t, 5> kMagic = {'P', 'A', 'R', 'T', 'I'};
constexpr std::size_t kPrefixSize = kMagic.size() + 2;
constexpr std::string_view kWalletSalt = "wallet.rs";
constexpr int kWalletRounds = 100;

Id hmac_id(std::string_view key, ByteView message) {
  std::array<std::uint8_t, crypto_auth_hmacsha512_BYTES> mac{};
  crypto_auth_hmacsha512_state state;
  crypto_auth_hmacsha512_init(&state, reinterpret_cast<const std::uint8_t*>(key.data()), key.size());
  crypto_auth_hmacsha512_update(&state, message.data(), message.size());
  crypto_auth_hmacsha512_final(&state, mac.data());
  Id id{};
  std::copy_n(mac.begin(), id.size(), id.begin());
  return id;
}

Result<runtime::SecretBytes> open_envelope(unsigned version, ByteView body, ByteView key) {
  if (version == 2)
    return open_x25519_envelope(body, key);
  return open_age(body, key);
}

const Client* find_client(const Contents& contents, std::string_view path) {
  const Id wanted = client_id(path);
  auto found = std::find_if(contents.clients.begin(), contents.clients.end(),
                            [&](const Client& client) { return client.id == wanted; });
  return found == contents.clients.end() ? nullptr : &*found;
}

}  // namespace

bool has_magic(ByteView prefix) noexcept {
  return prefix.size() >= kMagic.size() && std::equal(kMagic.begin(), kMagic.end(), prefix.begin());
}

Result<unsigned> format_version(ByteView file) {
  if (file.size() < kPrefixSize || !has_magic(file))
    return Status(Errc::corrupted, "not a Rust Stronghold snapshot (no PARTI magic)");
  unsigned version = file[kMagic.size()] | (unsigned{file[kMagic.size() + 1]} << 8);
  if (version != 2 && version != 3)
    return error(Errc::unsupported, "Rust Stronghold snapshot version {} is not supported (2 and 3 are)", version);
  return version;
}

Result<runtime::SecretBytes> key_from_password(unsigned version, ByteView password) {
  runtime::SecretBytes key(kKeySize);
  if (version == 3) {
    crypto_generichash(key.data(), key.size(), password.data(), password.size(), nullptr, 0);
    return key;
  }
  // PBKDF2 yields 64 bytes of which the wallet keeps the first 32.
  runtime::SecretBytes derived(EVP_MD_get_size(EVP_sha512()));
  if (PKCS5_PBKDF2_HMAC(reinterpret_cast<const char*>(password.data()), static_cast<int>(password.size()),
                        reinterpret_cast<const std::uint8_t*>(kWalletSalt.data()), kWalletSalt.size(), kWalletRounds,
                        EVP_sha512(), static_cast<int>(derived.size()), derived.data()) != 1)
    return Status(Errc::internal, "PBKDF2-HMAC-SHA512 failed");
  std::memcpy(key.data(), derived.data(), kKeySize);
  return key;
}

Result<Contents> read(ByteView file, ByteView key) {
  SH_ASSIGN_OR_RETURN(unsigned version, format_version(file));
  if (key.size() != kKeySize)
    return Status(Errc::invalid_argument, "a Rust Stronghold snapshot key is 32 bytes");
  SH_ASSIGN_OR_RETURN(runtime::SecretBytes compressed, open_envelope(version, file.subspan(kPrefixSize), key));
  SH_ASSIGN_OR_RETURN(runtime::SecretBytes state, lz4_inflate(compressed.view(), kMaxStateSize));
  return parse_state(state.view(), version);
}

Id client_id(std::string_view path) { return hmac_id(path, as_bytes(path)); }
Id vault_id(std::string_view path) { return hmac_id(path, as_bytes(path)); }
Id record_id(const Id& vault, std::string_view path) { return hmac_id(path, vault); }

const Record* find_record(const Contents& contents, std::string_view client, std::string_view vault,
                          std::string_view record) {
  const Client* owner = find_client(contents, client);
  if (owner == nullptr)
    return nullptr;
  const Id wanted_vault = vault_id(vault);
  const Id wanted_record = record_id(wanted_vault, record);
  for (const Vault& v : owner->vaults) {
    if (v.id != wanted_vault)
      continue;
    auto found =
        std::find_if(v.records.begin(), v.records.end(), [&](const Record& r) { return r.id == wanted_record; });
    if (found != v.records.end())
      return &*found;
  }
  return nullptr;
}

const runtime::SecretBytes* find_store_value(const Contents& contents, std::string_view client, std::string_view key) {
  const Client* owner = find_client(contents, client);
  if (owner == nullptr)
    return nullptr;
  const ByteView wanted = as_bytes(key);
  auto found = std::find_if(owner->store.begin(), owner->store.end(), [&](const StoreEntry& entry) {
    return std::equal(entry.key.begin(), entry.key.end(), wanted.begin(), wanted.end());
  });
  return found == owner->store.end() ? nullptr : &found->value;
}

}  // namespace stronghold::snapshot::rust_stronghold
