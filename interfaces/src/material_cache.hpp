// The signing material the façade holds so that blocking signatures and coalesced asynchronous
// ones sign outside the actors.
#pragma once

#include <cstddef>
#include <map>
#include <memory>
#include <optional>
#include <shared_mutex>

#include "stronghold/actors/options.hpp"
#include "stronghold/vault/keystore.hpp"

namespace stronghold {

// Material the vault actor handed out, trusted while the location's change counter is unchanged
// (see actors::KeyGenerations). The vault actor hands out no secret for a key that a policy, the
// audit log or an approval rule governs, nor for a key whose write is not durable yet.
// Thread-safe. It holds at most `capacity` keys: a store of millions of keys, each signed once,
// must not grow a second copy of itself here; past the bound a new key evicts another.
class MaterialCache {
 public:
  static constexpr std::size_t kDefaultCapacity = 65'536;

  explicit MaterialCache(std::shared_ptr<actors::KeyGenerations> generations, std::size_t capacity = kDefaultCapacity);

  // Read before asking the vault actor for material, and passed to put with its answer: a change
  // meanwhile leaves the entry stale.
  std::uint64_t generation(const vault::Location& location) const noexcept { return generations_->current(location); }

  // The cached material, if the location has not changed since it was asked for.
  std::optional<vault::SigningMaterial> find(const vault::Location& location) const;

  void put(const vault::Location& location, vault::SigningMaterial material, std::uint64_t asked_at);

  std::size_t size() const;

 private:
  struct Entry {
    vault::SigningMaterial material;
    std::uint64_t generation = 0;
  };
  std::shared_ptr<actors::KeyGenerations> generations_;
  std::size_t capacity_;
  mutable std::shared_mutex mutex_;
  std::map<vault::Location, Entry> entries_;
};

}  // namespace stronghold
