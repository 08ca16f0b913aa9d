// The records of one vault, packed for memory and cache: an open-addressing hash table of ids
// and pointers to records that each live in one allocation.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "large_pages.hpp"
#include "stronghold/runtime/shield.hpp"
#include "stronghold/vault/record.hpp"

namespace stronghold::vault {

// A record in one allocation: its fixed fields and shielded-copy cache, followed by the bytes of
// its path, hint, public key and sealed secret. One allocation per record rather than arenas:
// glibc's malloc costs 14 bytes on an Ed25519 record (162 bytes, 176 apart, measured), while
// arenas would have to compact around replaced and removed records to give their bytes back, and
// would not reuse the heap that an open's change set frees as it is applied (Keystore::apply),
// which saved more: 18.7 MB at 200,000 keys, against 2.8 MB for the malloc overhead.
class PackedRecord {
 public:
  PackedRecord(const PackedRecord&) = delete;
  PackedRecord& operator=(const PackedRecord&) = delete;

  // The fields must be in range (Keystore::prepare checks them).
  static PackedRecord* make(const Record& record);
  // Wipes the sealed secret and drops the shielded copy (holders keep theirs).
  static void destroy(PackedRecord* record) noexcept;

  RecordView view(const RecordId& id) const noexcept;

  // The secret shielded under the process key once it has been used (Keystore::State::use):
  // const readers load and publish it concurrently. Only a change to the keystore frees a record,
  // never a rehash of its table, so the slot stays put while any reader can see it.
  mutable std::atomic<std::shared_ptr<const runtime::ShieldedSecret>> shielded;

 private:
  explicit PackedRecord(const Record& record) noexcept;
  ~PackedRecord() = default;
  std::uint8_t* bytes() noexcept { return reinterpret_cast<std::uint8_t*>(this + 1); }
  const std::uint8_t* bytes() const noexcept { return reinterpret_cast<const std::uint8_t*>(this + 1); }
  std::size_t sealed_offset() const noexcept { return std::size_t{path_size_} + hint_size_ + public_key_size_; }

  std::uint64_t version_;
  std::int64_t created_at_;
  std::int64_t expires_at_;
  std::uint16_t sealed_size_;  // at most kMaxSecretSize + kSealOverhead
  std::uint8_t path_size_;     // at most kMaxPathLength
  std::uint8_t hint_size_;
  std::uint8_t public_key_size_;
  KeyType type_;
  bool revoked_;
};

// Linear probing with backward-shift deletion, so no tombstones slow lookups after removals.
// The ids are uniformly random keyed hashes: their first bytes (IdHash) pick the slot. A slot is
// 24 bytes and the table fills to 7/8 before it doubles: 27 to 55 bytes a record on top of the
// packed record itself (linear probing stays short enough there: the slots are contiguous).
class RecordIndex {
 public:
  RecordIndex() = default;
  RecordIndex(RecordIndex&& other) noexcept;
  RecordIndex& operator=(RecordIndex&& other) noexcept;
  RecordIndex(const RecordIndex&) = delete;
  RecordIndex& operator=(const RecordIndex&) = delete;
  ~RecordIndex();

  // Null when there is no record with this id.
  const PackedRecord* find(const RecordId& id) const noexcept;
  bool contains(const RecordId& id) const noexcept { return find(id) != nullptr; }
  // Adds `record`, or puts it in the place of the record with its id (destroyed).
  void put(const Record& record);
  // Destroys the record with this id, if there is one.
  void erase(const RecordId& id) noexcept;
  // Room for `count` records without a rehash.
  void reserve(std::size_t count);
  std::size_t size() const noexcept { return size_; }
  // How many slots past its home the farthest record lies: what the longest lookup walks.
  std::size_t longest_probe() const noexcept;

  // Calls fn(RecordView) for every record, in no particular order.
  template <class Fn>
  void for_each(Fn&& fn) const {
    for (const Slot& slot : slots_)
      if (slot.record != nullptr)
        fn(slot.record->view(slot.id));
  }

 private:
  struct Slot {
    RecordId id{};
    PackedRecord* record = nullptr;  // null: empty
  };
  std::size_t mask() const noexcept { return slots_.size() - 1; }
  // The top bits of a mix of the id and the table's seed. A snapshot body lists records in the
  // order of the table it was written from. Under one hash for every table, a reader filling its
  // growing table in that order put each prefix of the body into a prefix of the table at many
  // times its capacity: one cluster (an open of 1,000,000 keys took 47.6 s, most of it probing;
  // homed on the id's low bits instead, 17.7 s). A seed drawn at each rehash makes the order of
  // one table random to every other.
  std::size_t home(const RecordId& id) const noexcept {
    std::uint64_t mixed = IdHash{}(id) ^ seed_;  // MurmurHash3's 64-bit finalizer
    mixed = (mixed ^ (mixed >> 33)) * 0xff51afd7ed558ccdull;
    mixed = (mixed ^ (mixed >> 33)) * 0xc4ceb9fe1a85ec53ull;
    return static_cast<std::size_t>((mixed ^ (mixed >> 33)) >> shift_);
  }
  // The slot that holds `id`, else the empty slot where its probe ends. The table is not empty.
  std::size_t position(const RecordId& id) const noexcept;
  void rehash(std::size_t capacity);
  void destroy_all() noexcept;

  std::vector<Slot, LargePageAllocator<Slot>> slots_;  // a power of two in size, or empty
  std::size_t size_ = 0;
  int shift_ = 64;  // 64 - log2(slots_.size())
  std::uint64_t seed_ = 0;
};

}  // namespace stronghold::vault
