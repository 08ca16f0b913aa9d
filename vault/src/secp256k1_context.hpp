// libsecp256k1 contexts: a randomized one per thread for operations on secret keys (creating
// one costs far more than a signature; randomization blinds the scalar multiplications), and
// the library's static one for public-key work.
#pragma once

#include <cstddef>
#include <cstdint>

#include <secp256k1.h>

#include "stronghold/runtime/status.hpp"

namespace stronghold::vault {

// resource_exhausted when libsecp256k1 cannot allocate one (never the static context, which
// aborts the process when asked to do secret-key work).
Result<const secp256k1_context*> secret_key_context();

// Parses a 33- or 65-byte SEC1 public key. Lengths are checked here because libsecp256k1 aborts
// the process on a null input.
bool parse_public_key(const std::uint8_t* data, std::size_t size, secp256k1_pubkey* point) noexcept;

}  // namespace stronghold::vault
