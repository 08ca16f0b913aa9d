#include "stronghold/runtime/base58.hpp"

#include <algorithm>
#include <array>

#include <sodium.h>

namespace stronghold {
namespace {

constexpr std::string_view kAlphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
constexpr std::size_t kMaxText = 1024;

std::array<std::uint8_t, 4> checksum(ByteView payload) {
  std::uint8_t first[crypto_hash_sha256_BYTES];
  std::uint8_t second[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(first, payload.data(), payload.size());
  crypto_hash_sha256(second, first, sizeof first);
  return {second[0], second[1], second[2], second[3]};
}

}  // namespace

std::string to_base58(ByteView bytes) {
  const auto zeros =
      static_cast<std::size_t>(std::find_if(bytes.begin(), bytes.end(), [](auto b) { return b != 0; }) - bytes.begin());
  std::vector<std::uint8_t> digits;  // base-58 digits, least significant first
  for (std::size_t i = zeros; i < bytes.size(); ++i) {
    unsigned carry = bytes[i];
    for (auto& digit : digits) {
      carry += static_cast<unsigned>(digit) << 8;
      digit = static_cast<std::uint8_t>(carry % 58);
      carry /= 58;
    }
    for (; carry > 0; carry /= 58)
      digits.push_back(static_cast<std::uint8_t>(carry % 58));
  }
  std::string text(zeros, '1');
  for (auto it = digits.rbegin(); it != digits.rend(); ++it)
    text += kAlphabet[*it];
  return text;
}

Result<Bytes> from_base58(std::string_view text) {
  if (text.size() > kMaxText)
    return Status(Errc::invalid_argument, "base58 text longer than 1 KiB");
  const auto ones =
      static_cast<std::size_t>(std::find_if(text.begin(), text.end(), [](char c) { return c != '1'; }) - text.begin());
  Bytes bytes;  // base-256 digits, least significant first
  for (std::size_t i = ones; i < text.size(); ++i) {
    const auto position = kAlphabet.find(text[i]);
    if (position == std::string_view::npos)
      return error(Errc::invalid_argument, "'{}' is not a base58 character", text[i]);
    unsigned carry = static_cast<unsigned>(position);
    for (auto& byte : bytes) {
      carry += static_cast<unsigned>(byte) * 58;
      byte = static_cast<std::uint8_t>(carry & 0xff);
      carry >>= 8;
    }
    for (; carry > 0; carry >>= 8)
      bytes.push_back(static_cast<std::uint8_t>(carry & 0xff));
  }
  Bytes out(ones, 0);
  out.insert(out.end(), bytes.rbegin(), bytes.rend());
  return out;
}

std::string to_base58check(ByteView payload) {
  Bytes data(payload.begin(), payload.end());
  const auto sum = checksum(payload);
  data.insert(data.end(), sum.begin(), sum.end());
  return to_base58(data);
}

Result<Bytes> from_base58check(std::string_view text) {
  SH_ASSIGN_OR_RETURN(Bytes data, from_base58(text));
  if (data.size() < 4)
    return Status(Errc::invalid_argument, "base58check text too short for its checksum");
  const ByteView payload(data.data(), data.size() - 4);
  const auto sum = checksum(payload);
  if (!std::equal(sum.begin(), sum.end(), data.end() - 4))
    return Status(Errc::invalid_argument, "base58check checksum mismatch");
  data.erase(data.end() - 4, data.end());
  return data;
}

}  // namespace stronghold
