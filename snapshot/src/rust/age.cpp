// age v1 (age-encryption.org/v1) with one scrypt recipient: the envelope of version 3.
#include <algorithm>
#include <array>
#include <charconv>
#include <string_view>

#include <sodium.h>

#include "rust/envelope.hpp"
#include "rust/scrypt.hpp"

namespace stronghold::snapshot::rust_stronghold {
namespace {

using Key32 = std::array<std::uint8_t, 32>;
constexpr std::string_view kVersionLine = "age-encryption.org/v1\n";
constexpr std::string_view kScryptLabel = "age-encryption.org/v1/scrypt";
constexpr std::size_t kFileKeySize = 16;
constexpr std::size_t kSaltSize = 16;
constexpr std::size_t kChunkSize = std::size_t{64} * 1024;
constexpr std::size_t kTagSize = crypto_aead_chacha20poly1305_ietf_ABYTES;
constexpr std::size_t kStreamNonceSize = 16;

struct Header {
  std::array<std::uint8_t, kSaltSize> salt{};
  unsigned work_factor = 0;
  std::array<std::uint8_t, kFileKeySize + kTagSize> wrapped{};
  std::array<std::uint8_t, 32> mac{};
  std::size_t mac_input_size = 0;  // the header through "---"
  std::size_t payload_offset = 0;
};

// Reads the line at `pos` (without its '\n') and moves `pos` past it.
bool next_line(std::string_view text, std::size_t& pos, std::string_view& line) {
  std::size_t end = text.find('\n', pos);
  if (end == std::string_view::npos)
    return false;
  line = text.substr(pos, end - pos);
  pos = end + 1;
  return true;
}

bool decode_base64(std::string_view text, std::span<std::uint8_t> out) {
  std::size_t written = 0;
  const char* end = nullptr;
  return sodium_base642bin(out.data(), out.size(), text.data(), text.size(), nullptr, &written, &end,
                           sodium_base64_VARIANT_ORIGINAL_NO_PADDING) == 0 &&
         end == text.data() + text.size() && written == out.size();
}

bool parse_stanza(std::string_view line, Header& header) {
  constexpr std::string_view kPrefix = "-> scrypt ";
  if (!line.starts_with(kPrefix))
    return false;
  line.remove_prefix(kPrefix.size());
  std::size_t space = line.find(' ');
  if (space == std::string_view::npos || !decode_base64(line.substr(0, space), header.salt))
    return false;
  std::string_view factor = line.substr(space + 1);
  auto [end, ec] = std::from_chars(factor.data(), factor.data() + factor.size(), header.work_factor);
  return ec == std::errc() && end == factor.data() + factor.size() && !factor.empty() &&
         (factor.size() == 1 || factor[0] != '0');
}

Result<Header> parse_header(ByteView file) {
  std::string_view text(reinterpret_cast<const char*>(file.data()), file.size());
  Header header;
  std::size_t pos = 0;
  std::string_view stanza;
  std::string_view body;
  std::string_view footer;
  if (!text.starts_with(kVersionLine))
    return Status(Errc::corrupted, "the snapshot's age header does not start with age-encryption.org/v1");
  pos = kVersionLine.size();
  if (!next_line(text, pos, stanza) || !parse_stanza(stanza, header))
    return Status(Errc::corrupted, "the snapshot's age header has no scrypt stanza of salt and work factor");
  if (!next_line(text, pos, body) || !decode_base64(body, header.wrapped))
    return Status(Errc::corrupted, "the snapshot's scrypt stanza does not hold a wrapped file key");
  header.mac_input_size = pos + 3;
  if (!next_line(text, pos, footer) || !footer.starts_with("--- ") || !decode_base64(footer.substr(4), header.mac))
    return Status(Errc::corrupted, "the snapshot's age header has no MAC line after its one stanza");
  header.payload_offset = pos;
  return header;
}

void hmac_sha256(ByteView key, ByteView message, std::span<std::uint8_t, 32> out) {
  crypto_auth_hmacsha256_state state;
  crypto_auth_hmacsha256_init(&state, key.data(), key.size());
  crypto_auth_hmacsha256_update(&state, message.data(), message.size());
  crypto_auth_hmacsha256_final(&state, out.data());
  runtime::wipe(&state, sizeof(state));
}

// HKDF-SHA256 (RFC 5869) for one 32-byte block; an empty salt keys HMAC with zeros as the RFC says.
void hkdf_sha256(ByteView salt, ByteView ikm, std::string_view info, std::span<std::uint8_t, 32> out) {
  // HMAC pads its key with zeros, so HashLen zeros are the empty salt; libsodium is never handed a
  // null key pointer.
  const Key32 zeros{};
  Key32 prk{};
  hmac_sha256(salt.empty() ? ByteView(zeros) : salt, ikm, prk);
  std::array<std::uint8_t, 16> label{};
  std::copy(info.begin(), info.end(), label.begin());
  label[info.size()] = 1;
  hmac_sha256(prk, ByteView(label).first(info.size() + 1), out);
  runtime::wipe(prk.data(), prk.size());
}

Result<runtime::SecretBytes> unwrap_file_key(const Header& header, ByteView passphrase) {
  std::array<std::uint8_t, kScryptLabel.size() + kSaltSize> salt{};
  std::copy(kScryptLabel.begin(), kScryptLabel.end(), salt.begin());
  std::copy(header.salt.begin(), header.salt.end(), salt.begin() + kScryptLabel.size());
  runtime::SecretBytes wrap_key(32);
  if (header.work_factor > kMaxScryptWorkFactor)
    return error(Errc::corrupted, "the snapshot asks for scrypt work factor {} (at most {} is read)",
                 header.work_factor, kMaxScryptWorkFactor);
  SH_RETURN_IF_ERROR(scrypt(passphrase, salt, header.work_factor, 8, wrap_key.span()));
  runtime::SecretBytes file_key(kFileKeySize);
  std::array<std::uint8_t, crypto_aead_chacha20poly1305_ietf_NPUBBYTES> zero_nonce{};
  if (crypto_aead_chacha20poly1305_ietf_decrypt(file_key.data(), nullptr, nullptr, header.wrapped.data(),
                                                header.wrapped.size(), nullptr, 0, zero_nonce.data(),
                                                wrap_key.data()) != 0)
    return Status(Errc::wrong_password, "the snapshot does not open with this password or key");
  return file_key;
}

// The STREAM payload: chunks of 64 KiB plus a tag, the last one flagged in its nonce.
Result<runtime::SecretBytes> open_payload(ByteView payload, ByteView key, std::size_t limit) {
  runtime::SecretBytes plain;
  std::array<std::uint8_t, crypto_aead_chacha20poly1305_ietf_NPUBBYTES> nonce{};
  std::uint64_t counter = 0;
  do {
    std::size_t size = std::min(payload.size(), kChunkSize + kTagSize);
    bool last = size == payload.size();
    if (size <= kTagSize || plain.size() + size - kTagSize > limit)
      return Status(Errc::corrupted, "the snapshot's age payload is truncated or too large");
    for (std::size_t i = 0; i < 8; ++i)
      nonce[10 - i] = static_cast<std::uint8_t>(counter >> (8 * i));
    nonce[11] = last ? 1 : 0;
    std::size_t offset = plain.size();
    plain.resize(offset + size - kTagSize);
    if (crypto_aead_chacha20poly1305_ietf_decrypt(plain.data() + offset, nullptr, nullptr, payload.data(), size,
                                                  nullptr, 0, nonce.data(), key.data()) != 0)
      return error(Errc::corrupted, "the snapshot's age payload chunk {} is damaged or truncated", counter);
    payload = payload.subspan(size);
    ++counter;
  } while (!payload.empty());
  return plain;
}

Status check_header_mac(ByteView file, const Header& header, ByteView file_key) {
  Key32 mac_key{};
  Key32 mac{};
  hkdf_sha256({}, file_key, "header", mac_key);
  hmac_sha256(mac_key, file.first(header.mac_input_size), mac);
  runtime::wipe(mac_key.data(), mac_key.size());
  if (sodium_memcmp(mac.data(), header.mac.data(), mac.size()) != 0)
    return Status(Errc::corrupted, "the snapshot's age header MAC does not match: the header is damaged");
  return {};
}

}  // namespace

Result<runtime::SecretBytes> open_age(ByteView file, ByteView passphrase) {
  SH_ASSIGN_OR_RETURN(Header header, parse_header(file));
  SH_ASSIGN_OR_RETURN(runtime::SecretBytes file_key, unwrap_file_key(header, passphrase));
  SH_RETURN_IF_ERROR(check_header_mac(file, header, file_key.view()));
  ByteView payload = file.subspan(header.payload_offset);
  if (payload.size() < kStreamNonceSize)
    return Status(Errc::corrupted, "the snapshot's age payload has no nonce");
  runtime::SecretBytes payload_key(32);
  hkdf_sha256(payload.first(kStreamNonceSize), file_key.view(), "payload",
              std::span<std::uint8_t, 32>(payload_key.data(), 32));
  return open_payload(payload.subspan(kStreamNonceSize), payload_key.view(), kMaxStateSize);
}

}  // namespace stronghold::snapshot::rust_stronghold
