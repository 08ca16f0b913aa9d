// The snapshot file format, version 3 (all integers little-endian):
//
//   header   magic "SHLDSNAP" | version u16 | KDF id u8 | 0 u8 | KDF ops u32 | KDF memory u64
//            | salt 16 | file id 16 | snapshot key sealed under the password key 72
//            | BLAKE2b-256 of everything before it 32                           (160 bytes)
//   body     next sequence u64 | previous tag 16 (where the journal chain stands after the body)
//            | length u64 | parts, each: length u32 | length xor 0xffffffff u32 | a change set
//            of part of the state, sealed under the snapshot key
//   journal  entries, each: length u32 | length xor 0xffffffff u32 | one change set, sealed
//
// Seals are XChaCha20-Poly1305. A body part's associated data binds the file id, the chain
// position the body holds the state at, the part's index, whether it is the last, and the tag of
// the part before it; an entry's binds the file id, its sequence number and the tag of the seal
// before it. So parts and entries cannot be dropped, reordered or spliced in from another body or
// file. The header checksum tells a damaged header from a wrong password (a sound header whose
// key does not open). A body in parts is read a part at a time: it is never in memory whole
// beside the state it holds.
//
// Version 2 seals the whole state as one body, so an open held all of it decrypted. Version 1 has
// no chain position in the body either: the chain starts again after it, at sequence 1 and the
// body's own tag. So a version 1 body can only be written from the state at the end of the
// journal, whereas later bodies may fold a prefix of the journal while entries go on being
// appended after it (a compaction beside the commits, chain.hpp): the entries after the prefix
// follow the position the body names. This build reads all three and writes each file's own
// version (the header, bound to the wrapped key, cannot change without the password); new files
// and every password change write version 3.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string_view>

#include "stronghold/runtime/hex.hpp"

namespace stronghold::snapshot {

inline constexpr std::array<std::uint8_t, 8> kMagic = {'S', 'H', 'L', 'D', 'S', 'N', 'A', 'P'};
inline constexpr std::uint16_t kFormatVersion = 3;
inline constexpr std::uint16_t kOldestFormatVersion = 1;  // still read, and written into its own files
inline constexpr std::size_t kHeaderSize = 160;
inline constexpr std::uint8_t kKdfArgon2id = 1;

// Argon2id cost presets, recorded in each file's header.
enum class KdfPreset {
  fast,      // 1 pass, 1 MiB: tests, fuzzing and caches, never for real passwords
  standard,  // the default: 2 passes, 256 MiB
  strong,    // 4 passes, 1 GiB
};
struct KdfParams {
  std::uint32_t ops = 0;
  std::uint64_t memory = 0;  // bytes
};
KdfParams kdf_params(KdfPreset preset) noexcept;
// Argon2id of `password` with `salt` (16 bytes) at `cost` into `out`; resource_exhausted when the
// memory it asks for is not available.
Status derive_from_password(ByteView password, ByteView salt, KdfParams cost, std::span<std::uint8_t> out);
// ok when `cost` asks for at least one pass over 8 KiB and for no more passes or memory than
// `limit`; else corrupted, with a message that names the cost `what` (a header, an export) asks for.
Status check_kdf_cost(KdfParams cost, KdfParams limit, std::string_view what);
// "fast", "default" or "strong".
Result<KdfPreset> parse_kdf_preset(std::string_view name);

struct Header {
  std::uint16_t version = kFormatVersion;
  KdfParams kdf;
  std::array<std::uint8_t, 16> salt{};
  std::array<std::uint8_t, 16> file_id{};
  std::array<std::uint8_t, 72> wrapped_key{};
};

Bytes encode_header(const Header& header);
// corrupted for a damaged header or one that asks for an absurd KDF cost; unsupported for a
// version this build cannot read.
Result<Header> decode_header(ByteView file);
// The part of the header that the wrapped key's seal binds.
ByteView header_key_context(ByteView encoded_header) noexcept;

// True when `prefix` starts with the snapshot magic.
bool has_snapshot_magic(ByteView prefix) noexcept;

}  // namespace stronghold::snapshot
