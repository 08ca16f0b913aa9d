// The actor floor's options, its counters, and the change counters it shares with the façade;
// free of CAF, so that the public façade can name them.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>

#include "stronghold/actors/events.hpp"
#include "stronghold/actors/shared_journal.hpp"
#include "stronghold/snapshot/snapshot.hpp"
#include "stronghold/vault/location.hpp"

namespace stronghold::actors {

// Per-location change counters, shared by the vault actor (which bumps a location's counter
// before it acknowledges any change there) and by readers that cache signing material (which
// trust a cached entry only while its counter is unchanged). Locations share 4096 counters; a
// restart of the vault actor invalidates everything.
class KeyGenerations {
 public:
  std::uint64_t current(const vault::Location& location) const noexcept;
  void bump(const vault::Location& location) noexcept;
  void bump_all() noexcept;

 private:
  static constexpr std::size_t kCounters = 4096;
  std::size_t slot(const vault::Location& location) const noexcept;
  std::array<std::atomic<std::uint64_t>, kCounters> counters_{};
  std::atomic<std::uint64_t> epoch_{0};
};

// Counters a supervisor reports (tests and monitoring).
struct EngineStats {
  std::uint32_t signer_restarts = 0;
  std::uint32_t vault_restarts = 0;
  std::uint32_t identity_restarts = 0;
};

// How many parts a batch of `messages` is signed in by `signers` signers: one per signer at most,
// each of at least 8 messages, so that a large batch uses every core and a small one wakes one.
std::size_t share_count(std::size_t messages, std::size_t signers) noexcept;

struct EngineOptions {
  unsigned signers = 0;                               // 0: one per core (signer_count)
  std::chrono::milliseconds journal_timeout{30'000};  // for requests between the engine's actors
  std::chrono::milliseconds partition_idle{10'000};   // an identity partition idle this long stops
  snapshot::Durability durability = snapshot::Durability::sync;
  std::shared_ptr<KeyGenerations> generations;  // made by spawn_engine when null
  // The audit log's files (snapshot/audit_log.hpp), beside the snapshot; the façade names them.
  // Empty: the engine keeps no log and refuses audit.set.
  std::string audit_path;
  snapshot::FileSystem* audit_file_system = nullptr;  // null: the operating system's
  std::uint64_t audit_max_file_bytes = std::uint64_t{64} << 20;
  // Where the engine publishes its watch events (events.hpp); null: it publishes none.
  std::shared_ptr<EventHub> events;
  // The journal this engine shares with the other engines of a cluster (shared_journal.hpp);
  // null: the engine is alone. With one, every commit is appended there before the file, entries
  // of other engines are applied as they come, and the snapshot must be opened with
  // SnapshotOptions::shared_chain.
  std::shared_ptr<SharedJournal> shared_journal;
  // With a shared journal: this node's name, unique in the cluster. Each node writes an audit log
  // of its own, at audit_path; the shared state keeps each node's anchor under its name. A node
  // without a name keeps no log.
  std::string node_name;
};

// The signers an engine with these options runs.
unsigned signer_count(const EngineOptions& options) noexcept;

}  // namespace stronghold::actors
