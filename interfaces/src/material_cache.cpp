#include "material_cache.hpp"

#include <algorithm>
#include <mutex>
#include <utility>

namespace stronghold {

MaterialCache::MaterialCache(std::shared_ptr<actors::KeyGenerations> generations, std::size_t capacity)
    : generations_(std::move(generations)), capacity_(std::max<std::size_t>(1, capacity)) {}

std::optional<vault::SigningMaterial> MaterialCache::find(const vault::Location& location) const {
  const std::uint64_t current = generation(location);
  std::shared_lock lock(mutex_);
  const auto found = entries_.find(location);
  if (found == entries_.end() || found->second.generation != current)
    return std::nullopt;
  return found->second.material;
}

void MaterialCache::put(const vault::Location& location, vault::SigningMaterial material, std::uint64_t asked_at) {
  std::unique_lock lock(mutex_);
  auto [at, added] = entries_.insert_or_assign(location, Entry{std::move(material), asked_at});
  if (!added || entries_.size() <= capacity_)
    return;
  // The victim is the new key's neighbour in location order: no bookkeeping on the signing path,
  // and which keys a caller signs with does not decide which stay.
  auto victim = std::next(at);
  entries_.erase(victim == entries_.end() ? entries_.begin() : victim);
}

std::size_t MaterialCache::size() const {
  std::shared_lock lock(mutex_);
  return entries_.size();
}

}  // namespace stronghold
