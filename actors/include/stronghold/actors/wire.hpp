// The wire form of the engine's vocabulary (requests.hpp): one versioned binary encoding of every
// request and of its answer, for the daemon's protocol and any other process that speaks to an
// engine. docs/wire-protocol.md describes the bytes.
//
//   request = version (u8, 1) || kind (u16 LE) || its fields, in SH_FIELDS order
//   answer  = version (u8, 1) || kind (u16 LE) || 0 || the answer's fields
//           | version (u8, 1) || kind (u16 LE) || code (an Errc, not 0) || message
//
// Each field type has one encoding, derived from the field lists; a request with a field type
// the codec does not know fails to compile (wire.cpp says what to add). Decoding trusts nothing:
// every length is checked against its bound and against what is left before anything is
// allocated, enums and booleans are range-checked, text must be UTF-8, locations, DIDs and key
// locations go through their checks and parsers, and only the canonical encoding of a value is
// accepted, so a decoded message encodes back to the same bytes.
//
// Secrets: an encoding holds the plaintext of every Secret field, so it comes in a wiping buffer
// (runtime::SecretBytes) and goes only over an authenticated local socket (or, later, TLS). A
// decoded Secret is sealed at once under this process's shielding key; the plaintext stays in
// the caller's input, which the caller wipes (a SecretBytes does on destruction).
#pragma once

#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "stronghold/actors/requests.hpp"
#include "stronghold/runtime/secret_bytes.hpp"

namespace stronghold::actors::wire {

// 2: listings are paged, HMAC and HKDF take SHA-384, password exports and imports are requests.
// A message of another version is unsupported, whatever its kind, rather than misread.
inline constexpr std::uint8_t kVersion = 2;
// A whole message, as strongholdd's frame.
inline constexpr std::size_t kMaxMessage = std::size_t{1} << 20;
// The items of one list field (messages to sign, an import's report of every record). Each item
// takes at least a byte, so the message's own bound holds them too; this one is a sanity bound.
inline constexpr std::size_t kMaxListItems = std::size_t{1} << 16;
// An error answer's message; longer ones are cut when encoded.
inline constexpr std::size_t kMaxErrorMessage = 4096;

// The values of an enum field that the wire accepts: First to Last, contiguous. Every enum in a
// request or an answer needs one, listed here; an unknown value is refused.
template <class E>
struct EnumRange;

template <auto First, auto Last>
struct Contiguous {
  static_assert(static_cast<std::uint64_t>(Last) <= 0xff, "an enum on the wire is one byte");
  static constexpr auto first = First;
  static constexpr auto last = Last;
};

template <>
struct EnumRange<vault::KeyType> : Contiguous<vault::KeyType::seed, vault::KeyType::opaque> {};
template <>
struct EnumRange<vault::AuditMode> : Contiguous<vault::AuditMode::off, vault::AuditMode::fail_closed> {};
template <>
struct EnumRange<vault::Overwrite> : Contiguous<vault::Overwrite::refuse, vault::Overwrite::replace> {};
template <>
struct EnumRange<vault::Curve> : Contiguous<vault::Curve::ed25519, vault::Curve::secp256k1> {};
template <>
struct EnumRange<vault::EcdsaFormat> : Contiguous<vault::EcdsaFormat::compact, vault::EcdsaFormat::der> {};
template <>
struct EnumRange<vault::IdentityKeyType> : Contiguous<vault::IdentityKeyType::ed25519, vault::IdentityKeyType::x25519> {
};
template <>
struct EnumRange<vault::ContentEncryption>
    : Contiguous<vault::ContentEncryption::aes256gcm, vault::ContentEncryption::aes256gcm> {};
template <>
struct EnumRange<vault::KeyManagement>
    : Contiguous<vault::KeyManagement::ecdh_es, vault::KeyManagement::ecdh_es_a256kw> {};
template <>
struct EnumRange<vault::KdfForm> : Contiguous<vault::KdfForm::identity, vault::KdfForm::rfc7518> {};
template <>
struct EnumRange<vault::Bip39Language> : Contiguous<vault::Bip39Language::english, vault::Bip39Language::any> {};
template <>
struct EnumRange<vault::Hash> : Contiguous<vault::Hash::sha256, vault::Hash::sha384> {};
template <>
struct EnumRange<vault::Aead> : Contiguous<vault::Aead::xchacha20poly1305, vault::Aead::aes256gcm> {};
template <>
struct EnumRange<vault::ImportAction> : Contiguous<vault::ImportAction::add, vault::ImportAction::skip> {};
template <>
struct EnumRange<vault::ImportedRecord::Kind>
    : Contiguous<vault::ImportedRecord::Kind::record, vault::ImportedRecord::Kind::secret> {};
template <>
struct EnumRange<vault::IdentityValue> : Contiguous<vault::IdentityValue::chain_state, vault::IdentityValue::document> {
};

// Failures: a malformed message is invalid_argument; a version or kind this build does not
// know is unsupported; a message above kMaxMessage is resource_exhausted. Encoding fails when a
// value could not be decoded again (an empty DID, an invalid location, too long a list, too
// large a message) and when a secret cannot be opened.

template <EngineRequest R>
Result<runtime::SecretBytes> encode_request(const R& request);
// The request of type R: fails unless `message` names R's kind.
template <EngineRequest R>
Result<R> decode_request(ByteView message);
// The kind a request or an answer names, once its version and kind are known ones.
Result<RequestKind> message_kind(ByteView message);

template <EngineRequest R>
Result<runtime::SecretBytes> encode_answer(const typename R::Answer& answer);
// An error answer to a request of `kind`; `status` is not ok.
runtime::SecretBytes encode_error(RequestKind kind, const Status& status);
// R's answer, or the error the answer carries (with its code and message).
template <EngineRequest R>
Result<typename R::Answer> decode_answer(ByteView message);

// A handler's result as an answer: its value, or its error.
template <EngineRequest R>
Result<runtime::SecretBytes> encode_reply(const Result<typename R::Answer>& result) {
  if (!result.ok())
    return encode_error(kind_of<R>, result.status());
  return encode_answer<R>(*result);
}

template <EngineRequest R, class Visit>
auto decode_and_visit_as(ByteView message, Visit& visit) -> decltype(visit(std::declval<R&>())) {
  auto request = decode_request<R>(message);
  if (!request.ok())
    return request.status();
  return visit(*request);
}

// Decodes a request of whatever kind `message` names and calls visit(request) with it (a
// generic lambda: one call per kind). Every call returns the same type, one a Status converts
// to (Status, or a Result); a message that does not decode returns its Status unvisited.
template <class Visit>
auto decode_and_visit(ByteView message, Visit&& visit) -> decltype(visit(std::declval<Sign&>())) {
  auto kind = message_kind(message);
  if (!kind.ok())
    return kind.status();
  switch (*kind) {
#define SH_WIRE_VISIT_CASE(number, type) \
  case RequestKind::type: return decode_and_visit_as<type>(message, visit);
    SH_ENGINE_REQUESTS(SH_WIRE_VISIT_CASE)
#undef SH_WIRE_VISIT_CASE
  }
  return Status(Errc::internal, "message_kind passed a kind that is no request");
}

}  // namespace stronghold::actors::wire
