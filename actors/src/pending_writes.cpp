#include "pending_writes.hpp"

#include <type_traits>
#include <variant>

namespace stronghold::actors {
namespace {

// Lowers `key`'s count, dropping it at zero so that the maps hold only what is counted.
template <class Map, class Key>
void release_count(Map& counts, const Key& key) {
  const auto found = counts.find(key);
  if (found != counts.end() && --found->second == 0)
    counts.erase(found);
}

}  // namespace

Places places_written(const vault::ChangeSet& changes) {
  Places places;
  for (const vault::Change& change : changes.changes)
    std::visit(
        [&](const auto& one) {
          using T = std::decay_t<decltype(one)>;
          if constexpr (std::is_same_v<T, vault::PutVault> || std::is_same_v<T, vault::RemoveVault>)
            places.vaults.push_back(one.id);
          else if constexpr (std::is_same_v<T, vault::PutRecord>)
            places.records.emplace_back(one.vault, one.record.id);
          else
            places.records.emplace_back(one.vault, one.record);
        },
        change);
  return places;
}

Places place_of(const vault::Keystore& keystore, const std::string& vault, const std::string& record) {
  Places places;
  const auto vault_id = keystore.vault_id(vault);
  if (!vault_id)
    return places;  // a path no vault can have: the request fails before it reads anything
  if (record.empty()) {
    places.vaults.push_back(*vault_id);
  } else if (const auto record_id = keystore.record_id(*vault_id, record)) {
    places.records.emplace_back(*vault_id, *record_id);
  }
  return places;
}

Places places_named(const vault::Keystore& keystore, const PolicyFacts& facts) {
  Places places;
  places.everything = facts.every_vault || facts.targets.empty();
  for (const PolicedTarget& target : facts.targets) {
    Places one = place_of(keystore, target.vault, target.record);
    places.vaults.insert(places.vaults.end(), one.vaults.begin(), one.vaults.end());
    places.records.insert(places.records.end(), one.records.begin(), one.records.end());
  }
  return places;
}

void PlaceCounts::add(const Places& places) {
  for (const vault::VaultId& vault : places.vaults) {
    ++whole_[vault];
    ++touched_[vault];
  }
  for (const RecordKey& record : places.records) {
    ++records_[record];
    ++touched_[record.first];
  }
  everything_ += places.everything ? 1 : 0;
  ++entries_;
}

void PlaceCounts::remove(const Places& places) {
  for (const vault::VaultId& vault : places.vaults) {
    release_count(whole_, vault);
    release_count(touched_, vault);
  }
  for (const RecordKey& record : places.records) {
    release_count(records_, record);
    release_count(touched_, record.first);
  }
  everything_ -= places.everything ? 1 : 0;
  --entries_;
}

bool PlaceCounts::overlaps(const Places& places) const {
  if (entries_ == 0)
    return false;
  if (everything_ > 0 || places.everything)
    return true;
  for (const vault::VaultId& vault : places.vaults)
    if (touched_.contains(vault))
      return true;
  for (const RecordKey& record : places.records)
    if (records_.contains(record) || whole_.contains(record.first))
      return true;
  return false;
}

std::uint64_t PendingWrites::add(Places written) {
  pending_.add(written);
  tickets_.emplace(next_ticket_, std::move(written));
  return next_ticket_++;
}

void PendingWrites::settle(std::uint64_t ticket) {
  const auto found = tickets_.find(ticket);
  if (found == tickets_.end())
    return;
  pending_.remove(found->second);
  tickets_.erase(found);
}

std::uint64_t PendingWrites::wait(Places places) {
  waiting_.add(places);
  waiters_.emplace(next_waiter_, Waiter{std::move(places), false});
  return next_waiter_++;
}

std::vector<std::uint64_t> PendingWrites::release() {
  std::vector<std::uint64_t> released;
  PlaceCounts ahead;  // of the requests queued before the one looked at
  for (auto& [id, waiter] : waiters_) {
    if (!waiter.released && !pending_.overlaps(waiter.places) && !ahead.overlaps(waiter.places)) {
      waiter.released = true;
      released.push_back(id);
    }
    ahead.add(waiter.places);
  }
  return released;
}

bool PendingWrites::held_again(std::uint64_t waiter) {
  const auto found = waiters_.find(waiter);
  if (found == waiters_.end() || !pending_.overlaps(found->second.places))
    return false;
  found->second.released = false;
  return true;
}

void PendingWrites::ran(std::uint64_t waiter) {
  const auto found = waiters_.find(waiter);
  if (found == waiters_.end())
    return;
  waiting_.remove(found->second.places);
  waiters_.erase(found);
}

}  // namespace stronghold::actors
