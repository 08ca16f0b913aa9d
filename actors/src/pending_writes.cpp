#include "pending_writes.hpp"

namespace stronghold::actors {
namespace {

// Lowers `key`'s count, dropping it at zero so that the maps hold only what is pending.
template <class Map, class Key>
void release(Map& counts, const Key& key) {
  const auto found = counts.find(key);
  if (found != counts.end() && --found->second == 0)
    counts.erase(found);
}

}  // namespace

std::uint64_t PendingWrites::add(const PolicyFacts& facts) {
  Ticket ticket{{}, facts.every_vault};
  ticket.places.reserve(facts.targets.size());
  for (const PolicedTarget& target : facts.targets) {
    ticket.places.emplace_back(target.vault, target.record);
    ++places_[ticket.places.back()];
    ++vaults_[target.vault];
  }
  everything_ += ticket.everything ? 1 : 0;
  tickets_.emplace(next_ticket_, std::move(ticket));
  return next_ticket_++;
}

void PendingWrites::settle(std::uint64_t ticket) {
  const auto found = tickets_.find(ticket);
  if (found == tickets_.end())
    return;
  for (const Place& place : found->second.places) {
    release(places_, place);
    release(vaults_, place.first);
  }
  everything_ -= found->second.everything ? 1 : 0;
  tickets_.erase(found);
}

bool PendingWrites::blocks(const std::string& vault, const std::string& record) const {
  if (everything_ > 0)
    return true;
  if (record.empty())
    return vaults_.contains(vault);
  return places_.contains({vault, record}) || places_.contains({vault, std::string()});
}

bool PendingWrites::blocks(const PolicyFacts& facts) const {
  if (tickets_.empty())
    return false;
  if (facts.every_vault && !vaults_.empty())
    return true;
  for (const PolicedTarget& target : facts.targets)
    if (blocks(target.vault, target.record))
      return true;
  return false;
}

}  // namespace stronghold::actors
