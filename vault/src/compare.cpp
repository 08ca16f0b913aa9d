#include "stronghold/vault/compare.hpp"

#include "stronghold/runtime/compare.hpp"

namespace stronghold::vault {

Result<bool> record_equals(const Keystore& keystore, const Location& location, ByteView value) {
  bool equal = false;
  SH_RETURN_IF_ERROR(keystore.use(location,
                                  key_types(KeyType::seed, KeyType::ed25519, KeyType::x25519, KeyType::secp256k1,
                                            KeyType::symmetric, KeyType::opaque),
                                  [&](ByteView secret, const RecordView&) {
                                    equal = runtime::constant_time_equal(secret, value);
                                    return Status{};
                                  }));
  return equal;
}

}  // namespace stronghold::vault
