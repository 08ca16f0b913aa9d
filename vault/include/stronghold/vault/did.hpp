// Identifiers of the identity storage: IOTA DIDs and key locations.
//
//   DID: did:iota:<tag> on the main network, did:iota:<network>:<tag> on another; the tag is the
//   base58 (Bitcoin alphabet) of BLAKE2b-256 over the Ed25519 public key. A "main" segment is
//   normalised away when parsing. Networks: 1 to 6 characters of [a-z0-9].
//   Key location: key type + fragment + key hash (SeaHash of the public key), written
//   "<fragment>:<key hash>". Equality and ordering ignore the type.
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

#include "stronghold/runtime/hex.hpp"
#include "stronghold/vault/record.hpp"

namespace stronghold::vault {

inline constexpr std::string_view kMainNetwork = "main";

// invalid_argument unless 1 to 6 characters of [a-z0-9].
Status check_network(std::string_view network);

class Did {
 public:
  Did() = default;  // names nothing: empty text, until assigned
  // invalid_argument for anything that is not a did:iota DID with a 32-byte tag.
  static Result<Did> parse(std::string_view text);
  static Result<Did> from_public_key(std::string_view network, ByteView ed25519_public_key);

  const std::string& network() const noexcept { return network_; }  // "main" for the main network
  std::string tag() const;                                          // base58
  const std::string& to_string() const noexcept { return text_; }   // normalised

  bool operator==(const Did& other) const noexcept { return text_ == other.text_; }
  auto operator<=>(const Did& other) const noexcept { return text_ <=> other.text_; }

  template <class Inspector>
  friend typename Inspector::result_type inspect(Inspector& f, Did& did) {
    return f(did.network_, did.tag_, did.text_);
  }

 private:
  Did(std::string_view network, ByteView tag);

  std::string network_{kMainNetwork};
  std::array<std::uint8_t, 32> tag_{};
  std::string text_;  // the normalised text, made once: it names the DID's vault on every use
};

enum class IdentityKeyType : std::uint8_t { ed25519, x25519 };
KeyType record_type(IdentityKeyType type) noexcept;
std::string_view identity_key_type_name(IdentityKeyType type) noexcept;

inline constexpr std::size_t kMaxFragmentLength = 200;

class KeyLocation {
 public:
  KeyLocation() = default;
  // invalid_argument for an empty or too long fragment (200 bytes), one with control characters,
  // or a public key that is not 32 bytes.
  static Result<KeyLocation> make(IdentityKeyType type, std::string_view fragment, ByteView public_key);
  // "<fragment>:<key hash>" with the given type.
  static Result<KeyLocation> parse(IdentityKeyType type, std::string_view canonical);

  IdentityKeyType type() const noexcept { return type_; }
  const std::string& fragment() const noexcept { return fragment_; }
  std::uint64_t key_hash() const noexcept { return key_hash_; }
  std::string canonical() const;
  // True when `public_key` is the key this location names.
  bool names(ByteView public_key) const noexcept;

  bool operator==(const KeyLocation& other) const noexcept {
    return key_hash_ == other.key_hash_ && fragment_ == other.fragment_;
  }
  std::strong_ordering operator<=>(const KeyLocation& other) const noexcept {
    if (const auto order = fragment_ <=> other.fragment_; order != 0)
      return order;
    return key_hash_ <=> other.key_hash_;
  }

  template <class Inspector>
  friend typename Inspector::result_type inspect(Inspector& f, KeyLocation& location) {
    return f(location.type_, location.fragment_, location.key_hash_);
  }

 private:
  IdentityKeyType type_ = IdentityKeyType::ed25519;
  std::string fragment_;
  std::uint64_t key_hash_ = 0;
};

}  // namespace stronghold::vault
