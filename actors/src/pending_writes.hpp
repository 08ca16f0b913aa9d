// Durable before visible: the places whose changes the vault actor has staged but the file does
// not hold yet, and the requests that wait for them. No key signs, and no value is read, that a
// crash could still take back.
//
// A write's places come from the change set it staged, so every write counts, whichever request
// (or none: a use reservation, an audit anchor) made it. A request's places come from what it names
// (PolicyFacts); one that names none (a secret, a DID, a listing of every vault) waits for every
// pending write. Requests that share a place run in the order they came: a waiting request holds
// back the later ones that share a place with it, so no write overtakes a read that came first, and
// no stream of writes starves a request that waits. (A request that waits for its use reservation or
// fail-closed audit entry is not in this queue meanwhile.)
#pragma once

#include <cstdint>
#include <map>
#include <utility>
#include <vector>

#include "policy_book.hpp"
#include "stronghold/vault/keystore.hpp"

namespace stronghold::actors {

// Places in a keystore's ids: whole vaults, records, or everything.
struct Places {
  std::vector<vault::VaultId> vaults;
  std::vector<std::pair<vault::VaultId, vault::RecordId>> records;
  bool everything = false;
};

// What a change set writes: the vaults it puts or removes, and the records it puts or removes.
Places places_written(const vault::ChangeSet& changes);
// What a request names, in `keystore`'s ids; everything when it names no place.
Places places_named(const vault::Keystore& keystore, const PolicyFacts& facts);
// One record (or, with `record` empty, one vault).
Places place_of(const vault::Keystore& keystore, const std::string& vault, const std::string& record);

// A multiset of places, asked whether it shares one with other places.
class PlaceCounts {
 public:
  void add(const Places& places);
  void remove(const Places& places);
  bool overlaps(const Places& places) const;

 private:
  using RecordKey = std::pair<vault::VaultId, vault::RecordId>;
  std::map<vault::VaultId, int> touched_;  // a place anywhere in the vault
  std::map<vault::VaultId, int> whole_;
  std::map<RecordKey, int> records_;
  int everything_ = 0;
  int entries_ = 0;
};

class PendingWrites {
 public:
  // Notes the places of a staged change set; settling the ticket (the change is durable, or lost
  // with the state that staged it) frees them.
  std::uint64_t add(Places written);
  void settle(std::uint64_t ticket);
  // Whether a write to one of `places` is pending.
  bool holds(const Places& places) const { return pending_.overlaps(places); }
  // Whether a request that arrives now naming `places` must wait: a pending write or an earlier
  // waiting request shares one of them. Cheap when nothing is pending or waiting.
  bool idle() const noexcept { return tickets_.empty() && waiters_.empty(); }
  bool must_wait(const Places& places) const { return pending_.overlaps(places) || waiting_.overlaps(places); }

  // Queues a request; the id names it in release and ran.
  std::uint64_t wait(Places places);
  // The queued requests that may run now, in the order they came: no pending write and no request
  // queued before them shares a place with them. They stay queued, holding back later requests on
  // their places, until ran() says they ran; release does not name them again.
  std::vector<std::uint64_t> release();
  // Whether a released request must wait again, as it is about to run: a write to one of its
  // places was staged after its release (by what ran meanwhile without passing this queue, such as
  // the end of a password KDF). It keeps its place in the queue, and a later release names it.
  bool held_again(std::uint64_t waiter);
  void ran(std::uint64_t waiter);

 private:
  struct Waiter {
    Places places;
    bool released = false;
  };
  std::map<std::uint64_t, Places> tickets_;
  PlaceCounts pending_;
  std::map<std::uint64_t, Waiter> waiters_;  // in the order they came
  PlaceCounts waiting_;
  std::uint64_t next_ticket_ = 0;
  std::uint64_t next_waiter_ = 0;
};

}  // namespace stronghold::actors
