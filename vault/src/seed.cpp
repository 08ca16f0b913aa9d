#include "stronghold/vault/slip10.hpp"

#include "stronghold/runtime/random.hpp"
#include "stronghold/runtime/scratch.hpp"

namespace stronghold::vault {

Status generate_seed(Transaction& tx, const Location& at, std::size_t size, const RecordOptions& options) {
  if (size < kMinSeedSize || size > kMaxSeedSize)
    return error(Errc::invalid_argument, "a seed is {} to {} bytes, not {}", kMinSeedSize, kMaxSeedSize, size);
  runtime::ScratchFrame frame;
  SH_ASSIGN_OR_RETURN(auto seed, frame.take(size));
  runtime::random_bytes(seed);
  return tx.put(at, KeyType::seed, seed, {}, options);
}

}  // namespace stronghold::vault
