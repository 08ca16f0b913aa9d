// The places whose changes the vault actor has staged but the file does not hold yet. A request
// that names one waits until it does (durable before visible): no key signs, and no value is
// read, that a crash could still take back; and no later change of the same place overtakes it.
// Places are named as requests name them (PolicedTarget): a vault and a record, or a whole vault.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "policy_book.hpp"

namespace stronghold::actors {

class PendingWrites {
 public:
  // Notes the places a staged change writes (the request's targets); the ticket settles them.
  std::uint64_t add(const PolicyFacts& facts);
  // The change is durable, or lost with the state that staged it.
  void settle(std::uint64_t ticket);
  bool empty() const noexcept { return tickets_.empty(); }
  // Whether a request naming these places must wait.
  bool blocks(const PolicyFacts& facts) const;
  bool blocks(const std::string& vault, const std::string& record) const;

 private:
  using Place = std::pair<std::string, std::string>;  // record empty: the whole vault
  struct Ticket {
    std::vector<Place> places;
    bool everything = false;
  };
  std::map<std::uint64_t, Ticket> tickets_;
  std::map<Place, int> places_;
  std::map<std::string, int> vaults_;  // with a pending change anywhere in them
  int everything_ = 0;                 // changes of every vault (an import of a whole export)
  std::uint64_t next_ticket_ = 0;
};

}  // namespace stronghold::actors
