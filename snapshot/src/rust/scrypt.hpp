// scrypt (RFC 7914) with r = 8 and p = 1, the parameters age fixes. Neither libsodium nor
// OpenSSL accepts N = 1 (age work factor 0), which the Rust Stronghold writes, so the reader
// carries its own; the RFC's vectors check it.
#pragma once

#include <cstdint>
#include <span>

#include "stronghold/runtime/hex.hpp"
#include "stronghold/runtime/status.hpp"

namespace stronghold::snapshot::rust_stronghold {

// The highest age work factor (log2 N) read: 2^18 blocks of 1 KiB are 256 MiB.
inline constexpr unsigned kMaxScryptWorkFactor = 18;

// scrypt(password, salt, N = 2^work_factor, r, p = 1) into `out`; resource_exhausted above
// kMaxScryptWorkFactor or when r is 0 or above 8.
Status scrypt(ByteView password, ByteView salt, unsigned work_factor, unsigned r, std::span<std::uint8_t> out);

}  // namespace stronghold::snapshot::rust_stronghold
