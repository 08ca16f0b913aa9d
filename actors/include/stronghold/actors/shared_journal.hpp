// A journal shared by the engines of a cluster: one chain of sealed entries (snapshot/chain.hpp),
// in one order, that every engine appends to and follows. The engine holds the state and the
// keys; the shared journal holds only sealed entries and where the chain ends, so whoever runs it
// (etcd in strongholdd's cluster mode) cannot read, forge or reorder them; it can still withhold
// them or show engines different ones (docs/cluster.md).
// Free of CAF: the façade and its users implement it (the applied position is the engine's).
//
// Thread-safety: the engine calls append and read from two threads at once.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "stronghold/actors/requests.hpp"
#include "stronghold/runtime/status.hpp"
#include "stronghold/snapshot/journal_writer.hpp"

namespace stronghold::actors {

// One entry as the shared journal holds it: its place in the chain and its bytes, as a snapshot
// file holds them (length, check, seal).
struct SharedEntry {
  std::uint64_t sequence = 0;
  Bytes bytes;
};

class SharedJournal {
 public:
  virtual ~SharedJournal() = default;

  // Binds the journal to the snapshot file `file_id` names (every copy of one file carries the
  // same id), whose chain stands at `position`, before anything else. The first file attached
  // starts the shared chain where it stands. invalid_argument when the journal serves another
  // file; corrupted when the file's chain is not on the journal's (it holds entries the journal
  // does not: written outside the cluster); expired when the journal no longer holds the entries
  // that follow the file's (trimmed: the file is older than every live engine's).
  virtual Status attach(const std::array<std::uint8_t, 16>& file_id, const snapshot::ChainPosition& position) = 0;
  // Appends `entries` (at least one; each follows the one before it) if the shared chain still
  // ends where the first follows: all of them or none. ok only once they are durable wherever the
  // journal keeps them. conflict when another engine's entry came first (nothing was appended:
  // stage again on top of it); unavailable or timeout when the journal cannot be reached or has no
  // quorum (they may or may not be there: following the journal tells).
  virtual Status append(std::span<const snapshot::StagedEntry> entries) = 0;
  // The entries from sequence `from` on, in order and without gaps, at most `max_bytes` of them
  // but at least one when there is one; when there is none yet, waits up to `wait` for one.
  // expired when the journal no longer holds entry `from` (trimmed) but holds later ones.
  virtual Result<std::vector<SharedEntry>> read(std::uint64_t from, std::chrono::milliseconds wait,
                                                std::size_t max_bytes) = 0;
  // The engine's file holds, synced (or written, without syncs), every entry before
  // `next_sequence`: what the engine no longer needs from the journal should it restart. Called
  // from the engine's snapshot actor after its syncs; must not block.
  virtual void durable(std::uint64_t next_sequence) = 0;
  // What the journal knows of the cluster (`cluster status`): this node's name, the head, the
  // registered nodes and the journal's own members; `position` is the engine's to fill. May
  // block for the journal's round trips: the engine calls it off its actors' threads.
  virtual Result<ClusterState> view() = 0;

  // How far this engine has applied the shared chain: every entry before the answer is in its
  // state, synced in its file (so a restart of the state from the file keeps it) and the
  // cluster's (etcd confirmed it), none staged here and possibly refused. A node
  // that forwards signing sends its own to the peer, which signs only when it has applied as much
  // (docs/cluster.md, "Spreading signing"). Only grows; 0 until the engine opened.
  std::uint64_t applied() const noexcept { return applied_.load(std::memory_order_acquire); }
  // Called by the engine once its state holds the entries before `next_sequence`, its file holds
  // them synced, and anything cached from before them is stale (its key generations were bumped).
  void advance_applied(std::uint64_t next_sequence) noexcept {
    std::uint64_t known = applied_.load(std::memory_order_relaxed);
    while (known < next_sequence && !applied_.compare_exchange_weak(known, next_sequence, std::memory_order_release))
      ;
  }

 private:
  std::atomic<std::uint64_t> applied_{0};
};

}  // namespace stronghold::actors
