#include "stronghold/snapshot/format.hpp"

#include <algorithm>
#include <cstring>

#include <sodium.h>

#include "stronghold/runtime/byte_codec.hpp"

namespace stronghold::snapshot {
namespace {

constexpr std::size_t kChecksumOffset = kHeaderSize - 32;
constexpr std::size_t kWrappedKeyOffset = kChecksumOffset - 72;
constexpr std::uint32_t kMaxKdfOps = 64;
constexpr std::uint64_t kMinKdfMemory = std::uint64_t{8} * 1024;
constexpr std::uint64_t kMaxKdfMemory = std::uint64_t{4} << 30;

}  // namespace

KdfParams kdf_params(KdfPreset preset) noexcept {
  switch (preset) {
    case KdfPreset::fast: return {1, std::uint64_t{1} << 20};
    case KdfPreset::standard: return {2, std::uint64_t{256} << 20};
    case KdfPreset::strong: return {4, std::uint64_t{1} << 30};
  }
  return {2, std::uint64_t{256} << 20};
}

Status derive_from_password(ByteView password, ByteView salt, KdfParams cost, std::span<std::uint8_t> out) {
  if (salt.size() != crypto_pwhash_SALTBYTES)
    return Status(Errc::invalid_argument, "a KDF salt is 16 bytes");
  if (crypto_pwhash(out.data(), out.size(), reinterpret_cast<const char*>(password.data()), password.size(),
                    salt.data(), cost.ops, cost.memory, crypto_pwhash_ALG_ARGON2ID13) != 0)
    return error(Errc::resource_exhausted, "not enough memory for the password KDF ({} MiB)", cost.memory >> 20);
  return {};
}

Status check_kdf_cost(KdfParams cost, KdfParams limit, std::string_view what) {
  if (cost.ops >= 1 && cost.memory >= kMinKdfMemory && cost.ops <= limit.ops && cost.memory <= limit.memory)
    return {};
  return error(Errc::corrupted,
               "{} asks for a KDF cost of {} passes over {} MiB ({} bytes), outside what is allowed (at most {} "
               "passes over {} MiB)",
               what, cost.ops, cost.memory >> 20, cost.memory, limit.ops, limit.memory >> 20);
}

Result<KdfPreset> parse_kdf_preset(std::string_view name) {
  if (name == "fast")
    return KdfPreset::fast;
  if (name == "default")
    return KdfPreset::standard;
  if (name == "strong")
    return KdfPreset::strong;
  return error(Errc::invalid_argument, "unknown KDF preset '{}' (fast, default or strong)", name);
}

Bytes encode_header(const Header& header) {
  Bytes bytes;
  bytes.reserve(kHeaderSize);
  ByteWriter out(bytes);
  out.raw(kMagic);
  out.u16(header.version);
  out.u8(kKdfArgon2id);
  out.u8(0);
  out.u32(header.kdf.ops);
  out.u64(header.kdf.memory);
  out.raw(header.salt);
  out.raw(header.file_id);
  out.raw(header.wrapped_key);
  std::uint8_t checksum[32];
  crypto_generichash(checksum, sizeof checksum, bytes.data(), bytes.size(), nullptr, 0);
  out.raw(checksum);
  return bytes;
}

Result<Header> decode_header(ByteView file) {
  if (!has_snapshot_magic(file))
    return Status(Errc::corrupted, "not a stronghold snapshot (no SHLDSNAP magic at the start)");
  if (file.size() < kHeaderSize)
    return error(Errc::corrupted, "the header is truncated ({} of {} bytes)", file.size(), kHeaderSize);
  std::uint8_t checksum[32];
  crypto_generichash(checksum, sizeof checksum, file.data(), kChecksumOffset, nullptr, 0);
  const bool sound = std::memcmp(checksum, file.data() + kChecksumOffset, sizeof checksum) == 0;

  ByteReader in(file.first(kChecksumOffset));
  ByteView magic;
  Header header;
  std::uint8_t kdf_id = 0;
  std::uint8_t reserved = 0;
  in.raw(kMagic.size(), magic);
  in.u16(header.version);
  if (sound && (header.version < kOldestFormatVersion || header.version > kFormatVersion))
    return error(Errc::unsupported, "snapshot format version {} is not supported by this build (it reads {} to {})",
                 header.version, kOldestFormatVersion, kFormatVersion);
  if (!sound)
    return Status(Errc::corrupted, "the snapshot header is damaged (checksum mismatch)");
  in.u8(kdf_id);
  in.u8(reserved);
  in.u32(header.kdf.ops);
  in.u64(header.kdf.memory);
  in.array(header.salt);
  in.array(header.file_id);
  in.array(header.wrapped_key);
  if (!in.ok() || kdf_id != kKdfArgon2id || reserved != 0)
    return Status(Errc::unsupported, "the snapshot uses an unknown key-derivation function");
  SH_RETURN_IF_ERROR(check_kdf_cost(header.kdf, {kMaxKdfOps, kMaxKdfMemory}, "the snapshot header"));
  return header;
}

ByteView header_key_context(ByteView encoded_header) noexcept { return encoded_header.first(kWrappedKeyOffset); }

bool has_snapshot_magic(ByteView prefix) noexcept {
  return prefix.size() >= kMagic.size() && std::equal(kMagic.begin(), kMagic.end(), prefix.begin());
}

}  // namespace stronghold::snapshot
