#include "stronghold/vault/did.hpp"

#include <algorithm>
#include <charconv>

#include <sodium.h>

#include "stronghold/runtime/base58.hpp"
#include "stronghold/vault/seahash.hpp"

namespace stronghold::vault {
namespace {

constexpr std::string_view kPrefix = "did:iota:";
constexpr std::size_t kPublicKeySize = 32;

bool is_control(char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; }

}  // namespace

Status check_network(std::string_view network) {
  const bool valid = !network.empty() && network.size() <= 6 && std::all_of(network.begin(), network.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
  });
  if (!valid)
    return Status(Errc::invalid_argument, "a network name is 1 to 6 characters of a-z and 0-9");
  return {};
}

Result<Did> Did::parse(std::string_view text) {
  if (!text.starts_with(kPrefix))
    return Status(Errc::invalid_argument, "a DID starts with did:iota:");
  std::string_view rest = text.substr(kPrefix.size());
  std::string_view network = kMainNetwork;
  if (const auto colon = rest.find(':'); colon != std::string_view::npos) {
    network = rest.substr(0, colon);
    rest = rest.substr(colon + 1);
    SH_RETURN_IF_ERROR(check_network(network));
  }
  auto tag = from_base58(rest);
  if (!tag.ok() || tag->size() != 32)
    return Status(Errc::invalid_argument, "a DID's tag is the base58 text of 32 bytes");
  return Did(network, *tag);
}

Result<Did> Did::from_public_key(std::string_view network, ByteView ed25519_public_key) {
  SH_RETURN_IF_ERROR(check_network(network));
  if (ed25519_public_key.size() != kPublicKeySize)
    return Status(Errc::invalid_key, "an Ed25519 public key is 32 bytes");
  std::array<std::uint8_t, 32> tag;
  crypto_generichash(tag.data(), tag.size(), ed25519_public_key.data(), ed25519_public_key.size(), nullptr, 0);
  return Did(network, tag);
}

Did::Did(std::string_view network, ByteView tag) : network_(network) {
  std::copy(tag.begin(), tag.end(), tag_.begin());
  text_ = std::string(kPrefix) + (network_ == kMainNetwork ? "" : network_ + ":") + to_base58(tag_);
}

std::string Did::tag() const { return to_base58(tag_); }

KeyType record_type(IdentityKeyType type) noexcept {
  return type == IdentityKeyType::ed25519 ? KeyType::ed25519 : KeyType::x25519;
}

std::string_view identity_key_type_name(IdentityKeyType type) noexcept { return key_type_name(record_type(type)); }

Result<KeyLocation> KeyLocation::make(IdentityKeyType type, std::string_view fragment, ByteView public_key) {
  if (public_key.size() != kPublicKeySize)
    return Status(Errc::invalid_key, "an Ed25519 or X25519 public key is 32 bytes");
  SH_ASSIGN_OR_RETURN(KeyLocation location, parse(type, std::string(fragment) + ":0"));
  location.key_hash_ = seahash(public_key);
  return location;
}

Result<KeyLocation> KeyLocation::parse(IdentityKeyType type, std::string_view canonical) {
  const auto colon = canonical.rfind(':');
  if (colon == std::string_view::npos)
    return Status(Errc::invalid_argument, "a key location is written <fragment>:<key hash>");
  const std::string_view fragment = canonical.substr(0, colon);
  const std::string_view hash = canonical.substr(colon + 1);
  if (fragment.empty() || fragment.size() > kMaxFragmentLength ||
      std::any_of(fragment.begin(), fragment.end(), is_control))
    return Status(Errc::invalid_argument, "a fragment is 1 to 200 bytes without control characters");
  KeyLocation location;
  const auto [end, failure] = std::from_chars(hash.data(), hash.data() + hash.size(), location.key_hash_);
  if (hash.empty() || failure != std::errc() || end != hash.data() + hash.size())
    return Status(Errc::invalid_argument, "a key hash is a decimal 64-bit number");
  location.type_ = type;
  location.fragment_ = std::string(fragment);
  return location;
}

std::string KeyLocation::canonical() const { return fragment_ + ":" + std::to_string(key_hash_); }

bool KeyLocation::names(ByteView public_key) const noexcept {
  return public_key.size() == kPublicKeySize && seahash(public_key) == key_hash_;
}

}  // namespace stronghold::vault
