// What the commands read from their options and inputs, checked.
#pragma once

#include <charconv>
#include <cstdint>
#include <string>
#include <string_view>

#include "command.hpp"
#include "stronghold/actors/requests.hpp"

namespace stronghold::cli {

Result<vault::Location> location_option(const Args& args, const std::string& name);
Result<Bytes> hex_option(const Args& args, const std::string& name);
// The message of --hex or of --file (exactly one of them given).
Result<Bytes> message_option(const Args& args, const Inputs& inputs);
// The most hex a command reads as a plaintext: 32 KiB of bytes.
inline constexpr std::size_t kMaxHexPlaintext = std::size_t{64} * 1024;

// Hex on standard input (`what` it is: "the private key"), decoded in guarded memory and sealed.
Result<actors::Secret> hex_secret(const Inputs& inputs, std::string_view what = "the private key");
// A plaintext to encrypt: --hex's (which the process list shows), or with --stdin the hex on
// standard input; sealed, and the decoded copy wiped.
Result<actors::Secret> plaintext_option(const Args& args, const Inputs& inputs);
// --merge keep (the default) or replace: what an import does with a record already here.
Result<vault::Overwrite> merge_option(const Args& args);
// Prints an import's report: one line for the sender, if any, and one per record.
void print_report(const actors::ImportReport& report, Output& out);
// --replace given: an occupied location is written over.
vault::Overwrite overwrite_option(const Args& args);
// A whole number in decimal; invalid_argument naming `what` otherwise (or when out of range).
template <class T>
Result<T> parse_number(const std::string& text, std::string_view what) {
  T value{};
  const auto [end, failure] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (failure != std::errc() || end != text.data() + text.size() || text.empty())
    return error(Errc::invalid_argument, "{} is a whole number, not '{}'", what, text);
  return value;
}
// A duration as "90s", "15m", "48h" or "30d", in seconds (at most 100 years).
Result<std::uint64_t> parse_duration(const std::string& text);
// A time as unix seconds, or a UTC date "2027-01-31" or time "2027-01-31T12:00:00Z".
Result<std::int64_t> parse_time(const std::string& text);
// Unix milliseconds as a UTC time, 2026-12-01T22:15:02.556Z.
std::string utc_time(std::int64_t time_ms);
// Prints `bytes` as lowercase hex without a plaintext copy in ordinary memory.
Status print_secret_hex(Output& out, const std::string& name, ByteView bytes);

// The one positional NAME of a `noun` ("client").
Result<std::string> one_name(const Args& args, std::string_view noun);
// --public-key HEX, or --public-key-file F holding that hex (what `client keygen` prints).
Result<Bytes> public_key_option(const Args& args, const Inputs& inputs, std::string_view noun);
// Adds the kinds one item of `option`'s list names: a request's name ("sign.ecdsa"), a family
// ("sign": sign, sign.ecdsa, sign.keccak, sign.batch and sign.schnorr; "key": every key.*), or an alias.
Status add_kinds(std::string_view item, std::vector<std::uint16_t>& kinds, std::string_view option);
// The items of a comma-separated list, empty ones left out.
std::vector<std::string> split_list(const std::string& text);

// A write's answer, with the way to replace an occupied location named when it was refused.
template <class T>
Result<T> name_replace(Result<T> written, const Args& args) {
  if (written.status().code() == Errc::already_exists && !args.has("--replace"))
    return error(Errc::already_exists, "{} (give --replace to replace it)", written.status().message());
  return written;
}

}  // namespace stronghold::cli
