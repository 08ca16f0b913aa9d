#include "options.hpp"

#include <charconv>
#include <ctime>
#include <limits>

#include <fmt/format.h>
#include <sodium.h>

#include "stronghold/runtime/secret_bytes.hpp"

namespace stronghold::cli {
namespace {

// A short name for the kinds people name most, beside every request's own name.
struct KindAlias {
  std::string_view alias;
  std::string_view name;
};
constexpr KindAlias kKindAliases[] = {{"generate", "key.generate"}, {"derive", "key.derive"}, {"delete", "key.delete"},
                                      {"public", "key.public"},     {"expire", "key.expire"}, {"hmac", "mac.hmac"}};

}  // namespace

Result<vault::Location> location_option(const Args& args, const std::string& name) {
  SH_ASSIGN_OR_RETURN(const std::string text, args.required(name));
  return vault::Location::parse(text);
}

Result<Bytes> hex_option(const Args& args, const std::string& name) {
  SH_ASSIGN_OR_RETURN(const std::string text, args.required(name));
  return from_hex(text);
}

Result<Bytes> message_option(const Args& args, const Inputs& inputs) {
  if (args.has("--hex") == args.has("--file"))
    return Status(Errc::invalid_argument, "give the message with exactly one of --hex and --file");
  if (args.has("--hex"))
    return hex_option(args, "--hex");
  SH_ASSIGN_OR_RETURN(const Bytes* const file, inputs.file("--file"));
  return *file;
}

Result<actors::Secret> hex_secret(const Inputs& inputs, std::string_view what) {
  SH_ASSIGN_OR_RETURN(const runtime::SecretBuffer* const hex_text, inputs.secret("stdin"));
  SH_ASSIGN_OR_RETURN(runtime::SecretBuffer secret, runtime::SecretBuffer::create(hex_text->size() / 2));
  auto text = hex_text->read();
  auto bytes = secret.write();
  if (text.bytes().size() % 2 != 0 ||
      sodium_hex2bin(bytes.bytes().data(), bytes.bytes().size(), reinterpret_cast<const char*>(text.bytes().data()),
                     text.bytes().size(), nullptr, nullptr, nullptr) != 0)
    return error(Errc::invalid_argument, "{} on standard input is not hex", what);
  return actors::Secret::seal(bytes.bytes());
}

Result<actors::Secret> plaintext_option(const Args& args, const Inputs& inputs) {
  if (args.has("--hex") == args.has("--stdin"))
    return Status(Errc::invalid_argument, "give the plaintext with exactly one of --hex and --stdin");
  if (args.has("--stdin"))
    return hex_secret(inputs, "the plaintext");
  SH_ASSIGN_OR_RETURN(Bytes plaintext, hex_option(args, "--hex"));
  auto sealed = actors::Secret::seal(plaintext);
  sodium_memzero(plaintext.data(), plaintext.size());
  return sealed;
}

vault::Overwrite overwrite_option(const Args& args) {
  return args.has("--replace") ? vault::Overwrite::replace : vault::Overwrite::refuse;
}

Result<std::int64_t> parse_time(const std::string& text) {
  const auto invalid = [&] {
    return error(Errc::invalid_argument, "a time is unix seconds or 2027-01-31T12:00:00Z (UTC), not '{}'", text);
  };
  if (text.find('-') == std::string::npos) {
    std::int64_t seconds = 0;
    const auto [end, failure] = std::from_chars(text.data(), text.data() + text.size(), seconds);
    if (failure != std::errc() || end != text.data() + text.size() || text.empty())
      return invalid();
    return seconds;
  }
  std::tm parts{};
  const char* end = ::strptime(text.c_str(), "%Y-%m-%d", &parts);
  if (end != nullptr && *end == 'T')
    end = ::strptime(end + 1, "%H:%M:%S", &parts);
  if (end != nullptr && *end == 'Z')
    ++end;
  if (end == nullptr || *end != '\0')
    return invalid();
  return static_cast<std::int64_t>(::timegm(&parts));
}

Result<std::uint64_t> parse_duration(const std::string& text) {
  constexpr std::uint64_t kMaxSeconds = std::uint64_t{100} * 366 * 24 * 3600;
  const auto invalid = [&] {
    return error(Errc::invalid_argument, "a duration is a number and a unit (s, m, h or d), such as 48h, not '{}'",
                 text);
  };
  if (text.size() < 2 || text.size() > 20)
    return invalid();
  std::uint64_t unit = 0;
  switch (text.back()) {
    case 's': unit = 1; break;
    case 'm': unit = 60; break;
    case 'h': unit = 3600; break;
    case 'd': unit = 86400; break;
    default: return invalid();
  }
  std::uint64_t count = 0;
  for (std::size_t i = 0; i + 1 < text.size(); ++i) {
    if (text[i] < '0' || text[i] > '9' || count > kMaxSeconds)
      return invalid();
    count = count * 10 + static_cast<std::uint64_t>(text[i] - '0');
  }
  if (count == 0 || count > kMaxSeconds / unit)
    return error(Errc::invalid_argument, "a duration is more than nothing and at most 100 years, not '{}'", text);
  return count * unit;
}

Status print_secret_hex(Output& out, const std::string& name, ByteView bytes) {
  runtime::SecretBytes hex(2 * bytes.size() + 1);
  sodium_bin2hex(reinterpret_cast<char*>(hex.data()), hex.size(), bytes.data(), bytes.size());
  out.secret_value(name, hex.view().first(2 * bytes.size()));
  return {};
}

Result<std::string> one_name(const Args& args, std::string_view noun) {
  if (args.positional().size() != 1)
    return error(Errc::invalid_argument, "give one {} NAME", noun);
  return args.positional().front();
}

Result<Bytes> public_key_option(const Args& args, const Inputs& inputs, std::string_view noun) {
  if (args.has("--public-key") == args.has("--public-key-file"))
    return error(Errc::invalid_argument, "give the {}'s key with exactly one of --public-key and --public-key-file",
                 noun);
  if (args.has("--public-key"))
    return hex_option(args, "--public-key");
  SH_ASSIGN_OR_RETURN(const Bytes* const file, inputs.file("--public-key-file"));
  std::string text(file->begin(), file->end());
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r'))
    text.pop_back();
  return from_hex(text);
}

Status add_kinds(std::string_view item, std::vector<std::uint16_t>& kinds, std::string_view option) {
  for (const KindAlias& alias : kKindAliases)
    if (item == alias.alias)
      item = alias.name;
  const std::size_t before = kinds.size();
  actors::for_each_request_type([&](auto request) {
    const std::string_view name = decltype(request)::kName;
    if (name == item || (name.starts_with(item) && name.size() > item.size() && name[item.size()] == '.'))
      kinds.push_back(static_cast<std::uint16_t>(actors::kind_of<decltype(request)>));
  });
  if (kinds.size() == before)
    return error(Errc::invalid_argument, "{} names request kinds (sign, derive, export, key.public, ...), not '{}'",
                 option, item);
  return {};
}

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> items;
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t comma = std::min(text.find(',', start), text.size());
    if (comma > start)
      items.push_back(text.substr(start, comma - start));
    start = comma + 1;
  }
  return items;
}

// A time the calendar cannot show stays a number of milliseconds.
std::string utc_time(std::int64_t time_ms) {
  const std::time_t seconds = static_cast<std::time_t>(time_ms / 1000);
  std::tm parts{};
  char text[32] = {};
  if (time_ms < 0 || ::gmtime_r(&seconds, &parts) == nullptr ||
      std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &parts) == 0)
    return std::to_string(time_ms);
  return fmt::format("{}.{:03}Z", text, time_ms % 1000);
}

}  // namespace stronghold::cli
