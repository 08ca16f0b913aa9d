#include "stronghold/vault/evm.hpp"

#include "stronghold/vault/keccak.hpp"
#include "stronghold/vault/keys.hpp"

namespace stronghold::vault {

Result<std::string> eip55_address(ByteView address) {
  if (address.size() != kEvmAddressBytes)
    return error(Errc::invalid_argument, "an EVM address is {} bytes, not {}", kEvmAddressBytes, address.size());
  std::string lower = to_hex(address);
  const auto digest = keccak256(ByteView(reinterpret_cast<const std::uint8_t*>(lower.data()), lower.size()));
  for (std::size_t i = 0; i < lower.size(); ++i) {
    const unsigned nibble = (i % 2 == 0) ? digest[i / 2] >> 4 : digest[i / 2] & 0x0f;
    if (nibble >= 8 && lower[i] >= 'a')
      lower[i] = static_cast<char>(lower[i] - 'a' + 'A');
  }
  return "0x" + lower;
}

Result<std::string> evm_address(ByteView uncompressed_public_key) {
  if (uncompressed_public_key.size() != 65 || uncompressed_public_key[0] != 0x04)
    return error(Errc::invalid_argument, "an EVM address needs a 65-byte uncompressed public key");
  const auto digest = keccak256(uncompressed_public_key.subspan(1));
  return eip55_address(ByteView(digest).last(kEvmAddressBytes));
}

Result<std::string> evm_address(const Keystore& keystore, const Location& location) {
  SH_ASSIGN_OR_RETURN(const Bytes uncompressed, public_key_uncompressed(keystore, location));
  return evm_address(uncompressed);
}

}  // namespace stronghold::vault
