// Ethereum (EVM) addresses of secp256k1 keys.
#pragma once

#include <string>

#include "stronghold/vault/keystore.hpp"

namespace stronghold::vault {

inline constexpr std::size_t kEvmAddressBytes = 20;

// The EIP-55 form of a 20-byte address: "0x" and 40 hex digits, each letter upper-case when the
// matching nibble of Keccak-256 of the lower-case hex is 8 or more. invalid_argument for
// another length.
Result<std::string> eip55_address(ByteView address);
// The address of a 65-byte uncompressed SEC1 public key: the last 20 bytes of Keccak-256 of its
// 64 coordinate bytes, in EIP-55 form.
Result<std::string> evm_address(ByteView uncompressed_public_key);
// The address of the secp256k1 key at `location` (its public key only; the secret is not used).
Result<std::string> evm_address(const Keystore& keystore, const Location& location);

}  // namespace stronghold::vault
