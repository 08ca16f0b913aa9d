#include "stronghold/actors/wire.hpp"

#include <algorithm>
#include <string>
#include <tuple>

#include "stronghold/runtime/byte_codec.hpp"
#include "stronghold/runtime/utf8.hpp"

namespace stronghold::actors::wire {
namespace {

using Writer = BasicByteWriter<runtime::SecretBytes>;

constexpr std::uint8_t kOk = 0;
// A DID's text: "did:iota:" || a network of at most 6 || ':' || 44 base58 characters.
constexpr std::size_t kMaxDidText = 64;
// A key location's text: a fragment || ':' || a decimal u64.
constexpr std::size_t kMaxKeyLocationText = vault::kMaxFragmentLength + 21;

Status malformed(std::string_view what) { return error(Errc::invalid_argument, "malformed wire message: {}", what); }

std::size_t varint_size(std::uint64_t value) noexcept {
  std::size_t size = 1;
  for (; value >= 0x80; value >>= 7)
    ++size;
  return size;
}

// A count or a length: minimal LEB128, at most `max` and at most what is left (every item of a
// list takes a byte at least), checked before the caller allocates anything.
Status read_length(ByteReader& in, std::size_t max, std::size_t& length) {
  const std::size_t start = in.position();
  std::uint64_t value = 0;
  if (!in.varint(value))
    return malformed("cut inside a length");
  if (in.position() - start != varint_size(value))
    return malformed("a length not in its shortest form");
  if (value > max)
    return error(Errc::invalid_argument, "malformed wire message: a length of {} above the bound of {}", value, max);
  if (value > in.remaining())
    return malformed("a length past the end");
  length = static_cast<std::size_t>(value);
  return {};
}

Status read_view(ByteReader& in, std::size_t max, ByteView& view) {
  std::size_t length = 0;
  SH_RETURN_IF_ERROR(read_length(in, max, length));
  in.raw(length, view);
  return {};
}

Status read_text(ByteReader& in, std::size_t max, std::string& text) {
  ByteView view;
  SH_RETURN_IF_ERROR(read_view(in, max, view));
  text.assign(reinterpret_cast<const char*>(view.data()), view.size());
  if (!runtime::is_utf8(text))
    return malformed("text that is not UTF-8");
  return {};
}

Status read_byte(ByteReader& in, std::uint8_t& value) {
  if (!in.u8(value))
    return malformed("cut");
  return {};
}

// One encoding per field type. A field type without one stops the build here: add a Codec
// specialisation below (and, for an enum, an EnumRange in wire.hpp).
template <class T>
struct Codec {
  static_assert(sizeof(T) == 0, "the wire codec has no encoding for this field type");
};

template <class T>
Status write_value(Writer& out, const T& value) {
  return Codec<T>::write(out, value);
}

template <class T>
Status read_value(ByteReader& in, T& value) {
  return Codec<T>::read(in, value);
}

template <>
struct Codec<bool> {
  static Status write(Writer& out, bool value) {
    out.u8(value ? 1 : 0);
    return {};
  }
  static Status read(ByteReader& in, bool& value) {
    std::uint8_t byte = 0;
    SH_RETURN_IF_ERROR(read_byte(in, byte));
    if (byte > 1)
      return malformed("a boolean other than 0 or 1");
    value = byte == 1;
    return {};
  }
};

// Integers: fixed width, little-endian, two's complement.
template <class T>
requires(std::is_integral_v<T> && !std::is_same_v<T, bool>) struct Codec<T> {
  using Unsigned = std::make_unsigned_t<T>;
  static Status write(Writer& out, T value) {
    const auto bits = static_cast<Unsigned>(value);
    for (std::size_t i = 0; i < sizeof(T); ++i)
      out.u8(static_cast<std::uint8_t>(static_cast<std::uint64_t>(bits) >> (8 * i)));
    return {};
  }
  static Status read(ByteReader& in, T& value) {
    ByteView view;
    if (!in.raw(sizeof(T), view))
      return malformed("cut inside an integer");
    std::uint64_t bits = 0;
    for (std::size_t i = 0; i < sizeof(T); ++i)
      bits |= static_cast<std::uint64_t>(view[i]) << (8 * i);
    value = static_cast<T>(static_cast<Unsigned>(bits));
    return {};
  }
};

template <class E>
requires std::is_enum_v<E>
struct Codec<E> {
  using Range = EnumRange<E>;
  static_assert(
      requires { Range::last; }, "an enum field needs an EnumRange in wire.hpp");
  static Status write(Writer& out, E value) {
    if (value < Range::first || value > Range::last)
      return Status(Errc::invalid_argument, "an enum value outside its range");
    out.u8(static_cast<std::uint8_t>(value));
    return {};
  }
  static Status read(ByteReader& in, E& value) {
    std::uint8_t byte = 0;
    SH_RETURN_IF_ERROR(read_byte(in, byte));
    if (byte < static_cast<std::uint8_t>(Range::first) || byte > static_cast<std::uint8_t>(Range::last))
      return error(Errc::invalid_argument, "malformed wire message: unknown enum value {}", byte);
    value = static_cast<E>(byte);
    return {};
  }
};

template <>
struct Codec<std::string> {
  static Status write(Writer& out, const std::string& text) {
    if (!runtime::is_utf8(text))
      return Status(Errc::invalid_argument, "a text field that is not UTF-8");
    out.text(text);
    return {};
  }
  static Status read(ByteReader& in, std::string& text) { return read_text(in, kMaxMessage, text); }
};

template <>
struct Codec<Bytes> {
  static Status write(Writer& out, const Bytes& bytes) {
    out.bytes(bytes);
    return {};
  }
  static Status read(ByteReader& in, Bytes& bytes) {
    ByteView view;
    SH_RETURN_IF_ERROR(read_view(in, kMaxMessage, view));
    bytes.assign(view.begin(), view.end());
    return {};
  }
};

template <class T>
struct Codec<std::vector<T>> {
  static Status write(Writer& out, const std::vector<T>& items) {
    if (items.size() > kMaxListItems)
      return error(Errc::invalid_argument, "a list of {} items, above the bound of {}", items.size(), kMaxListItems);
    out.varint(items.size());
    for (const T& item : items)
      SH_RETURN_IF_ERROR(write_value(out, item));
    return {};
  }
  static Status read(ByteReader& in, std::vector<T>& items) {
    std::size_t count = 0;
    SH_RETURN_IF_ERROR(read_length(in, kMaxListItems, count));
    items.clear();
    // Grown as items decode beyond this: a hostile count reserves no more than items arrive.
    items.reserve(std::min<std::size_t>(count, 1024));
    for (std::size_t i = 0; i < count; ++i)
      SH_RETURN_IF_ERROR(read_value(in, items.emplace_back()));
    return {};
  }
};

template <>
struct Codec<vault::Location> {
  static Status write(Writer& out, const vault::Location& location) {
    SH_RETURN_IF_ERROR(location.check());
    out.text(location.vault);
    out.text(location.record);
    return {};
  }
  static Status read(ByteReader& in, vault::Location& location) {
    SH_RETURN_IF_ERROR(read_text(in, vault::kMaxPathLength, location.vault));
    SH_RETURN_IF_ERROR(read_text(in, vault::kMaxPathLength, location.record));
    return location.check();
  }
};

// A DID travels as its text and comes back through its parser; only the normalised text (what
// to_string() gives) is accepted.
template <>
struct Codec<vault::Did> {
  static Status write(Writer& out, const vault::Did& did) {
    if (did.to_string().empty())
      return Status(Errc::invalid_argument, "a DID field names no DID");
    out.text(did.to_string());
    return {};
  }
  static Status read(ByteReader& in, vault::Did& did) {
    std::string text;
    SH_RETURN_IF_ERROR(read_text(in, kMaxDidText, text));
    SH_ASSIGN_OR_RETURN(did, vault::Did::parse(text));
    if (did.to_string() != text)
      return malformed("a DID not in its normalised form");
    return {};
  }
};

// A key location travels as its type and its canonical text, and comes back through its parser.
template <>
struct Codec<vault::KeyLocation> {
  static Status write(Writer& out, const vault::KeyLocation& location) {
    if (location.fragment().empty())
      return Status(Errc::invalid_argument, "a key location field names no key");
    SH_RETURN_IF_ERROR(write_value(out, location.type()));
    out.text(location.canonical());
    return {};
  }
  static Status read(ByteReader& in, vault::KeyLocation& location) {
    vault::IdentityKeyType type{};
    std::string text;
    SH_RETURN_IF_ERROR(read_value(in, type));
    SH_RETURN_IF_ERROR(read_text(in, kMaxKeyLocationText, text));
    SH_ASSIGN_OR_RETURN(location, vault::KeyLocation::parse(type, text));
    if (location.canonical() != text)
      return malformed("a key location not in its canonical form");
    return {};
  }
};

// A secret: 0 for none, or 1 and its plaintext. The plaintext is opened straight into the
// wiping output, and sealed at decoding straight from the caller's input.
template <>
struct Codec<Secret> {
  static Status write(Writer& out, const Secret& secret) {
    if (secret.empty()) {
      out.u8(0);
      return {};
    }
    out.u8(1);
    return secret.open([&](ByteView plaintext) {
      out.bytes(plaintext);
      return Status{};
    });
  }
  static Status read(ByteReader& in, Secret& secret) {
    std::uint8_t present = 0;
    SH_RETURN_IF_ERROR(read_byte(in, present));
    if (present > 1)
      return malformed("a secret's presence other than 0 or 1");
    secret = Secret{};
    if (present == 0)
      return {};
    ByteView plaintext;
    SH_RETURN_IF_ERROR(read_view(in, runtime::ShieldedSecret::kMaxSize, plaintext));
    SH_ASSIGN_OR_RETURN(secret, Secret::seal(plaintext));
    return {};
  }
};

// Calls `each` on the fields in order, up to the first failure.
template <class Fields, class Each>
Status each_field(Fields fields, Each each) {
  return std::apply(
      [&](auto&... field) {
        Status status;
        (void)((status = each(field)).ok() && ...);
        return status;
      },
      fields);
}

// A struct with a field list (a request, Done, DidCreated, IdentityJson): its fields in order.
template <class T>
requires requires(T& value) { value.fields(); }
struct Codec<T> {
  static Status write(Writer& out, const T& value) {
    return each_field(value.fields(), [&](const auto& field) { return write_value(out, field); });
  }
  static Status read(ByteReader& in, T& value) {
    return each_field(value.fields(), [&](auto& field) { return read_value(in, field); });
  }
};

void write_header(Writer& out, RequestKind kind) {
  out.u8(kVersion);
  out.u16(static_cast<std::uint16_t>(kind));
}

Status check_size(const runtime::SecretBytes& message) {
  if (message.size() > kMaxMessage)
    return error(Errc::resource_exhausted, "a wire message of {} bytes, above the bound of {}", message.size(),
                 kMaxMessage);
  return {};
}

// Reads the header and checks that it names `expected`.
Status read_header(ByteReader& in, ByteView message, RequestKind expected) {
  SH_ASSIGN_OR_RETURN(const RequestKind kind, message_kind(message));
  if (kind != expected)
    return error(Errc::invalid_argument, "malformed wire message: a {} where a {} was expected", request_name(kind),
                 request_name(expected));
  ByteView header;
  in.raw(3, header);
  return {};
}

Status read_end(const ByteReader& in) {
  if (in.remaining() != 0)
    return error(Errc::invalid_argument, "malformed wire message: {} bytes after its end", in.remaining());
  return {};
}

enum class Form : std::uint8_t { request, answer };

// A request, or an answer with its ok status before the value.
template <class T>
Result<runtime::SecretBytes> encode_message(RequestKind kind, Form form, const T& value) {
  runtime::SecretBytes message;
  Writer out(message);
  write_header(out, kind);
  if (form == Form::answer)
    out.u8(kOk);
  SH_RETURN_IF_ERROR(write_value(out, value));
  SH_RETURN_IF_ERROR(check_size(message));
  return message;
}

Status read_error(ByteReader& in, std::uint8_t code) {
  if (code > static_cast<std::uint8_t>(kLastErrc))
    return error(Errc::invalid_argument, "malformed wire message: unknown error code {}", code);
  ByteView text;
  SH_RETURN_IF_ERROR(read_view(in, kMaxErrorMessage, text));
  SH_RETURN_IF_ERROR(read_end(in));
  return Status(static_cast<Errc>(code), std::string(reinterpret_cast<const char*>(text.data()), text.size()));
}

}  // namespace

Result<RequestKind> message_kind(ByteView message) {
  if (message.size() > kMaxMessage)
    return error(Errc::resource_exhausted, "a wire message of {} bytes, above the bound of {}", message.size(),
                 kMaxMessage);
  ByteReader in(message);
  std::uint8_t version = 0;
  std::uint16_t kind = 0;
  if (!in.u8(version) || !in.u16(kind))
    return malformed("cut inside its header");
  if (version != kVersion)
    return error(Errc::unsupported, "wire version {} (this build speaks {})", version, kVersion);
  if (!is_request_kind(kind))
    return error(Errc::unsupported, "request kind {} is unknown to this build", kind);
  return static_cast<RequestKind>(kind);
}

template <EngineRequest R>
Result<runtime::SecretBytes> encode_request(const R& request) {
  return encode_message(kind_of<R>, Form::request, request);
}

template <EngineRequest R>
Result<R> decode_request(ByteView message) {
  ByteReader in(message);
  SH_RETURN_IF_ERROR(read_header(in, message, kind_of<R>));
  R request;
  SH_RETURN_IF_ERROR(read_value(in, request));
  SH_RETURN_IF_ERROR(read_end(in));
  return request;
}

template <EngineRequest R>
Result<runtime::SecretBytes> encode_answer(const typename R::Answer& answer) {
  return encode_message(kind_of<R>, Form::answer, answer);
}

runtime::SecretBytes encode_error(RequestKind kind, const Status& status) {
  runtime::SecretBytes message;
  Writer out(message);
  write_header(out, kind);
  const std::string& text = status.message();
  out.u8(status.ok() ? static_cast<std::uint8_t>(Errc::internal) : static_cast<std::uint8_t>(status.code()));
  out.bytes(as_bytes(std::string_view(text).substr(0, kMaxErrorMessage)));
  return message;
}

template <EngineRequest R>
Result<typename R::Answer> decode_answer(ByteView message) {
  ByteReader in(message);
  SH_RETURN_IF_ERROR(read_header(in, message, kind_of<R>));
  std::uint8_t code = 0;
  SH_RETURN_IF_ERROR(read_byte(in, code));
  if (code != kOk)
    return read_error(in, code);
  typename R::Answer answer{};
  SH_RETURN_IF_ERROR(read_value(in, answer));
  SH_RETURN_IF_ERROR(read_end(in));
  return answer;
}

#define SH_WIRE_INSTANTIATE(number, type)                                                  \
  template Result<runtime::SecretBytes> encode_request<type>(const type&);                 \
  template Result<type> decode_request<type>(ByteView);                                    \
  template Result<runtime::SecretBytes> encode_answer<type>(const typename type::Answer&); \
  template Result<typename type::Answer> decode_answer<type>(ByteView);
SH_ENGINE_REQUESTS(SH_WIRE_INSTANTIATE)
#undef SH_WIRE_INSTANTIATE

}  // namespace stronghold::actors::wire
