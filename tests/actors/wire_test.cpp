#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <type_traits>
#include <vector>

#include "stronghold/actors/wire.hpp"
#include "stronghold/runtime/byte_codec.hpp"

using namespace stronghold;
using namespace stronghold::actors;

namespace {

// ---- a value for every field type, none of them a default, so a field that the codec drops
// or misplaces shows

template <class T>
requires requires(T& value) { value.fields(); }
void fill(T& value);
template <class T>
void fill(std::vector<T>& items);

void fill(bool& value) { value = true; }
template <class T>
requires(std::is_integral_v<T> && !std::is_same_v<T, bool>) void fill(T& value) {
  value = static_cast<T>(0x0102030405060708ULL);  // every byte distinct and non-zero
}
void fill(std::string& value) { value = "n\xc3\xa4me-1"; }
void fill(Bytes& value) { value = {0, 1, 0xff}; }
void fill(vault::Location& value) { value = vault::Location::make("v\xc3\xa4ult", "a/record").value(); }
void fill(vault::Did& value) { value = vault::Did::from_public_key("dev", Bytes(32, 7)).value(); }
void fill(vault::KeyLocation& value) {
  value = vault::KeyLocation::make(vault::IdentityKeyType::x25519, "key-1", Bytes(32, 9)).value();
}
void fill(Secret& value) { value = Secret::seal(Bytes{'s', 'e', 'c', 'r', 'e', 't'}).value(); }

template <class E>
requires std::is_enum_v<E>
void fill(E& value) { value = wire::EnumRange<E>::last; }

template <class T>
void fill(std::vector<T>& items) {
  items.resize(2);
  for (T& item : items)
    fill(item);
}

template <class T>
requires requires(T& value) { value.fields(); }
void fill(T& value) {
  std::apply([](auto&... field) { (fill(field), ...); }, value.fields());
}

template <class T>
T sample() {
  T value{};
  fill(value);
  return value;
}

// ---- field-wise equality: secrets by their plaintext, key locations with their type

template <class T>
requires requires(const T& value) { value.fields(); }
bool same(const T& a, const T& b);
template <class T>
bool same(const std::vector<T>& a, const std::vector<T>& b);

template <class T>
bool same(const T& a, const T& b) {
  return a == b;
}

bool same(const vault::KeyLocation& a, const vault::KeyLocation& b) { return a == b && a.type() == b.type(); }

bool same(const Secret& a, const Secret& b) {
  if (a.empty() || b.empty())
    return a.empty() && b.empty();
  const Status equal = a.open([&](ByteView left) {
    return b.open([&](ByteView right) {
      return std::ranges::equal(left, right) ? Status{} : Status(Errc::invalid_argument, "differ");
    });
  });
  return equal.ok();
}

template <class T>
bool same(const std::vector<T>& a, const std::vector<T>& b) {
  return std::ranges::equal(a, b, [](const T& x, const T& y) { return same(x, y); });
}

template <class T>
requires requires(const T& value) { value.fields(); }
bool same(const T& a, const T& b) {
  return std::apply(
      [&](const auto&... left) {
        return std::apply([&](const auto&... right) { return (same(left, right) && ...); }, b.fields());
      },
      a.fields());
}

Bytes bytes_of(const runtime::SecretBytes& message) { return {message.view().begin(), message.view().end()}; }

template <EngineRequest R>
Bytes encoded(const R& request) {
  auto message = wire::encode_request(request);
  REQUIRE_MESSAGE(message.ok(), message.status().to_string());
  return bytes_of(*message);
}

// A message written by hand: the header of `kind`, then what `body` writes.
template <class Body>
Bytes handmade(RequestKind kind, Body body) {
  Bytes message;
  ByteWriter out(message);
  out.u8(wire::kVersion);
  out.u16(static_cast<std::uint16_t>(kind));
  body(out);
  return message;
}

void write_location(ByteWriter& out, std::string_view vault, std::string_view record) {
  out.text(std::string(vault));
  out.text(std::string(record));
}

}  // namespace

TEST_CASE("every request kind round-trips through the wire form with every field as it was") {
  int kinds = 0;
  for_each_request_type([&]<class R>(R) {
    CAPTURE(R::kName);
    const R request = sample<R>();
    const Bytes message = encoded(request);
    CHECK(wire::message_kind(message).value() == kind_of<R>);
    auto decoded = wire::decode_request<R>(message);
    REQUIRE_MESSAGE(decoded.ok(), decoded.status().to_string());
    CHECK(same(request, *decoded));
    CHECK(encoded(*decoded) == message);
    ++kinds;
  });
  int numbered = 0;
  for (std::uint32_t number = 0; number <= 0xffff; ++number)
    numbered += is_request_kind(static_cast<std::uint16_t>(number)) ? 1 : 0;
  CHECK(kinds == numbered);
}

TEST_CASE("every answer round-trips, and an error answer carries its code and message") {
  for_each_request_type([&]<class R>(R) {
    CAPTURE(R::kName);
    using Answer = typename R::Answer;
    const Answer answer = sample<Answer>();
    auto message = wire::encode_answer<R>(answer);
    REQUIRE_MESSAGE(message.ok(), message.status().to_string());
    auto decoded = wire::decode_answer<R>(message->view());
    REQUIRE_MESSAGE(decoded.ok(), decoded.status().to_string());
    CHECK(same(answer, *decoded));

    const runtime::SecretBytes failure = wire::encode_error(kind_of<R>, Status(Errc::did_not_found, "no such DID"));
    const auto refused = wire::decode_answer<R>(failure.view());
    CHECK(refused.code() == Errc::did_not_found);
    CHECK(refused.status().message() == "no such DID");
  });
}

TEST_CASE("an answer to another kind, or with an unknown error code, is refused") {
  const runtime::SecretBytes signature = wire::encode_answer<Sign>(Bytes{1, 2}).value();
  CHECK(wire::decode_answer<PublicKey>(signature.view()).code() == Errc::invalid_argument);

  Bytes unknown_code = bytes_of(wire::encode_error(RequestKind::Sign, Status(Errc::busy, "x")));
  unknown_code[3] = static_cast<std::uint8_t>(kLastErrc) + 1;
  CHECK(wire::decode_answer<Sign>(unknown_code).code() == Errc::invalid_argument);
}

TEST_CASE("a request cut at any byte does not decode") {
  for_each_request_type([&]<class R>(R) {
    CAPTURE(R::kName);
    const Bytes message = encoded(sample<R>());
    for (std::size_t size = 0; size < message.size(); ++size) {
      CAPTURE(size);
      CHECK_FALSE(wire::decode_request<R>(ByteView(message).first(size)).ok());
    }
  });
}

TEST_CASE("a version or a request kind this build does not know is unsupported") {
  Bytes message = encoded(sample<PublicKey>());
  message[0] = wire::kVersion + 1;
  CHECK(wire::decode_request<PublicKey>(message).code() == Errc::unsupported);

  const Bytes unknown = handmade(static_cast<RequestKind>(999), [](ByteWriter&) {});
  CHECK(wire::message_kind(unknown).code() == Errc::unsupported);
  CHECK(wire::decode_and_visit(unknown, [](auto&) { return Status{}; }).code() == Errc::unsupported);
}

TEST_CASE("an enum or a boolean outside its range is refused") {
  const auto generate = [](std::uint8_t type) {
    return handmade(RequestKind::GenerateKey, [&](ByteWriter& out) {
      write_location(out, "v", "r");
      out.u8(type);
      out.u8(static_cast<std::uint8_t>(vault::Overwrite::refuse));
      out.u64(0);  // expires_at: never
    });
  };
  CHECK(wire::decode_request<GenerateKey>(generate(static_cast<std::uint8_t>(vault::KeyType::opaque))).ok());
  CHECK(wire::decode_request<GenerateKey>(generate(0)).code() == Errc::invalid_argument);
  CHECK(wire::decode_request<GenerateKey>(generate(static_cast<std::uint8_t>(vault::KeyType::opaque) + 1)).code() ==
        Errc::invalid_argument);

  const Bytes prehashed_two = handmade(RequestKind::SignEcdsa, [](ByteWriter& out) {
    write_location(out, "v", "r");
    out.bytes(Bytes{1});
    out.u8(2);
    out.u8(0);
  });
  CHECK(wire::decode_request<SignEcdsa>(prehashed_two).code() == Errc::invalid_argument);

  // SHA-384 was appended to vault::Hash: 0 and 1 keep their meaning.
  const auto hmac = [](std::uint8_t hash) {
    return handmade(RequestKind::Hmac, [&](ByteWriter& out) {
      write_location(out, "v", "r");
      out.u8(hash);
      out.bytes(Bytes{'m'});
    });
  };
  CHECK(wire::decode_request<Hmac>(hmac(0)).value().hash == vault::Hash::sha256);
  CHECK(wire::decode_request<Hmac>(hmac(1)).value().hash == vault::Hash::sha512);
  CHECK(wire::decode_request<Hmac>(hmac(2)).value().hash == vault::Hash::sha384);
  CHECK(wire::decode_request<Hmac>(hmac(3)).code() == Errc::invalid_argument);
}

TEST_CASE("an invalid location is refused when decoded and when encoded") {
  const Bytes slash_in_vault =
      handmade(RequestKind::PublicKey, [](ByteWriter& out) { write_location(out, "a/b", "r"); });
  CHECK(wire::decode_request<PublicKey>(slash_in_vault).code() == Errc::invalid_argument);
  const Bytes empty_record = handmade(RequestKind::PublicKey, [](ByteWriter& out) { write_location(out, "a", ""); });
  CHECK(wire::decode_request<PublicKey>(empty_record).code() == Errc::invalid_argument);
  const Bytes valid = handmade(RequestKind::PublicKey, [](ByteWriter& out) { write_location(out, "a", "b/c"); });
  CHECK(wire::decode_request<PublicKey>(valid).value().at == vault::Location{"a", "b/c"});

  CHECK(wire::encode_request(PublicKey{.at = {"a/b", "r"}}).code() == Errc::invalid_argument);
}

TEST_CASE("text that is not UTF-8, and DIDs or key locations not in canonical form, are refused") {
  const Bytes latin1_name = handmade(RequestKind::GetSecret, [](ByteWriter& out) { out.text("caf\xe9"); });
  CHECK(wire::decode_request<GetSecret>(latin1_name).code() == Errc::invalid_argument);
  CHECK(wire::encode_request(GetSecret{.name = "caf\xe9"}).code() == Errc::invalid_argument);

  const vault::Did did = sample<vault::Did>();
  const auto exists = [](const std::string& text) {
    return handmade(RequestKind::DidExists, [&](ByteWriter& out) { out.text(text); });
  };
  CHECK(wire::decode_request<DidExists>(exists(did.to_string())).value().did == did);
  const vault::Did on_main = vault::Did::from_public_key("main", Bytes(32, 7)).value();
  const std::string spelled_main = "did:iota:main:" + on_main.tag();
  REQUIRE(vault::Did::parse(spelled_main).ok());
  CHECK(wire::decode_request<DidExists>(exists(spelled_main)).code() == Errc::invalid_argument);
  CHECK(wire::decode_request<DidExists>(exists("did:iota:nothing")).code() == Errc::invalid_argument);
  CHECK(wire::encode_request(DidExists{}).code() == Errc::invalid_argument);

  const auto key_exists = [&](const std::string& canonical) {
    return handmade(RequestKind::DidKeyExists, [&](ByteWriter& out) {
      out.text(did.to_string());
      out.u8(static_cast<std::uint8_t>(vault::IdentityKeyType::ed25519));
      out.text(canonical);
    });
  };
  CHECK(wire::decode_request<DidKeyExists>(key_exists("key-1:7")).value().location.key_hash() == 7);
  CHECK(wire::decode_request<DidKeyExists>(key_exists("key-1:007")).code() == Errc::invalid_argument);
  CHECK(wire::decode_request<DidKeyExists>(key_exists("no-hash")).code() == Errc::invalid_argument);
}

TEST_CASE("a length past the end or above its bound is refused without allocating it") {
  const auto sign_claiming = [](std::uint64_t length) {
    return handmade(RequestKind::Sign, [&](ByteWriter& out) {
      write_location(out, "v", "r");
      out.varint(length);
      out.u8(1);
    });
  };
  CHECK(wire::decode_request<Sign>(sign_claiming(1)).value().message == Bytes{1});
  // Allocating either claim would throw (the first cannot be allocated at all): neither is.
  CHECK_NOTHROW(
      CHECK(wire::decode_request<Sign>(sign_claiming(std::uint64_t{1} << 62)).code() == Errc::invalid_argument));
  CHECK_NOTHROW(CHECK(wire::decode_request<Sign>(sign_claiming(wire::kMaxMessage)).code() == Errc::invalid_argument));

  const auto batch_claiming = [](std::uint64_t count) {
    return handmade(RequestKind::SignBatch, [&](ByteWriter& out) {
      write_location(out, "v", "r");
      out.varint(count);
    });
  };
  CHECK(wire::decode_request<SignBatch>(batch_claiming(0)).ok());
  CHECK(wire::decode_request<SignBatch>(batch_claiming(wire::kMaxListItems)).code() == Errc::invalid_argument);
  CHECK(wire::decode_request<SignBatch>(batch_claiming(wire::kMaxListItems + 1)).code() == Errc::invalid_argument);
  CHECK(wire::encode_request(SignBatch{.at = {"v", "r"}, .messages = std::vector<Bytes>(wire::kMaxListItems + 1)})
            .code() == Errc::invalid_argument);

  const Bytes long_form = handmade(RequestKind::Sign, [](ByteWriter& out) {
    write_location(out, "v", "r");
    out.raw(Bytes{0x81, 0x00, 1});  // 1 in two bytes
  });
  CHECK(wire::decode_request<Sign>(long_form).code() == Errc::invalid_argument);

  const Bytes too_large(wire::kMaxMessage + 1, 0);
  CHECK(wire::message_kind(too_large).code() == Errc::resource_exhausted);
  CHECK(wire::encode_request(Sign{.at = {"v", "r"}, .message = Bytes(wire::kMaxMessage)}).code() ==
        Errc::resource_exhausted);
}

TEST_CASE("bytes after the last field are refused") {
  for_each_request_type([&]<class R>(R) {
    CAPTURE(R::kName);
    Bytes message = encoded(sample<R>());
    message.push_back(0);
    CHECK(wire::decode_request<R>(message).code() == Errc::invalid_argument);
  });
}

TEST_CASE("a secret field comes back sealed anew with its plaintext, and an absent one stays absent") {
  const ImportKey import = sample<ImportKey>();
  const Bytes message = encoded(import);
  const ImportKey decoded = wire::decode_request<ImportKey>(message).value();
  REQUIRE_FALSE(decoded.key.empty());
  CHECK(decoded.key.shielded != import.key.shielded);
  CHECK(decoded.key.size() == 6);
  CHECK(same(decoded.key, import.key));

  PutSecret absent = sample<PutSecret>();
  absent.value = Secret{};
  CHECK(wire::decode_request<PutSecret>(encoded(absent)).value().value.empty());

  PutSecret empty = sample<PutSecret>();
  empty.value = Secret::seal({}).value();
  const PutSecret empty_back = wire::decode_request<PutSecret>(encoded(empty)).value();
  CHECK_FALSE(empty_back.value.empty());
  CHECK(empty_back.value.size() == 0);
}

TEST_CASE("decode_and_visit hands the handler the request of the kind the message names") {
  const auto visit = [](auto& request) -> Result<std::string> { return std::string(request.kName); };
  CHECK(wire::decode_and_visit(encoded(sample<DidKeySign>()), visit).value() == "did.key.sign");
  CHECK(wire::decode_and_visit(encoded(sample<SyncSnapshot>()), visit).value() == "sync");
  Bytes cut = encoded(sample<PutSecret>());
  cut.pop_back();
  CHECK(wire::decode_and_visit(cut, visit).code() == Errc::invalid_argument);
}
