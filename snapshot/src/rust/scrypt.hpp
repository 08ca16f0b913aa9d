// scrypt (RFC 7914) with r = 8 and p = 1, the parameters age fixes. Neither libsodium nor
// OpenSSL accepts N = 1 (age work factor 0), which the Rust Stronghold writes, so the reader
// carries its own; the RFC's vectors check it.
#pragma once

#include <cstdint>
#include <span>

#include "stronghold/runtime/hex.hpp"
#include "stronghold/runtime/status.hpp"

namespace stronghold::snapshot::rust_stronghold {

// The highest age work factor (log2 N) read: 2^14 blocks of 1 KiB, 16 MiB. The Rust Stronghold
// writes 0 (its passphrase is already a 256-bit hash), and the reader runs on the vault actor, so
// the bound keeps a hostile file from holding it for long (work factor 14 takes 0.64 s here on a
// loaded machine, 18 took 10.7 s).
inline constexpr unsigned kMaxScryptWorkFactor = 14;

// scrypt(password, salt, N = 2^work_factor, r, p = 1) into `out`; resource_exhausted above
// kMaxScryptWorkFactor or when r is 0 or above 8.
Status scrypt(ByteView password, ByteView salt, unsigned work_factor, unsigned r, std::span<std::uint8_t> out);

}  // namespace stronghold::snapshot::rust_stronghold
