// Comparing a record's secret with a value a caller holds, without reading the record back.
#pragma once

#include "stronghold/vault/keystore.hpp"

namespace stronghold::vault {

// Whether the secret of the record at `location` (of any key type) equals `value`, byte for byte.
// The running time depends on the lengths only, and the answer says no more than equal or not.
Result<bool> record_equals(const Keystore& keystore, const Location& location, ByteView value);

}  // namespace stronghold::vault
