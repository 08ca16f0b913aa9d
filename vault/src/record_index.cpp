#include "record_index.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cstring>
#include <new>
#include <utility>

#include <sodium.h>

#include "stronghold/runtime/random.hpp"

namespace stronghold::vault {
namespace {

// Copies `from` to `to` and returns the byte after it.
std::uint8_t* append(std::uint8_t* to, const void* from, std::size_t size) noexcept {
  if (size != 0)  // memcpy takes no null, even for 0 bytes
    std::memcpy(to, from, size);
  return to + size;
}

// Grows at 7/8 full (see RecordIndex).
bool fits(std::size_t count, std::size_t capacity) noexcept { return count * 8 <= capacity * 7; }

}  // namespace

Record RecordView::to_record() const {
  return Record{id,
                std::string(path),
                type,
                std::string(hint),
                version,
                created_at,
                expires_at,
                revoked,
                Bytes(public_key.begin(), public_key.end()),
                Bytes(sealed.begin(), sealed.end())};
}

PackedRecord::PackedRecord(const Record& record) noexcept
    : version_(record.version),
      created_at_(record.created_at),
      expires_at_(record.expires_at),
      sealed_size_(static_cast<std::uint16_t>(record.sealed.size())),
      path_size_(static_cast<std::uint8_t>(record.path.size())),
      hint_size_(static_cast<std::uint8_t>(record.hint.size())),
      public_key_size_(static_cast<std::uint8_t>(record.public_key.size())),
      type_(record.type),
      revoked_(record.revoked) {
  std::uint8_t* at = append(bytes(), record.path.data(), record.path.size());
  at = append(at, record.hint.data(), record.hint.size());
  at = append(at, record.public_key.data(), record.public_key.size());
  append(at, record.sealed.data(), record.sealed.size());
}

PackedRecord* PackedRecord::make(const Record& record) {
  const std::size_t size = record.path.size() + record.hint.size() + record.public_key.size() + record.sealed.size();
  return new (::operator new(sizeof(PackedRecord) + size)) PackedRecord(record);
}

void PackedRecord::destroy(PackedRecord* record) noexcept {
  sodium_memzero(record->bytes() + record->sealed_offset(), record->sealed_size_);
  record->~PackedRecord();
  ::operator delete(record);
}

RecordView PackedRecord::view(const RecordId& id) const noexcept {
  RecordView view;
  view.id = id;
  view.type = type_;
  view.version = version_;
  view.created_at = created_at_;
  view.expires_at = expires_at_;
  view.revoked = revoked_;
  const std::uint8_t* at = bytes();
  view.path = {reinterpret_cast<const char*>(at), path_size_};
  view.hint = {reinterpret_cast<const char*>(at + path_size_), hint_size_};
  view.public_key = {at + path_size_ + hint_size_, public_key_size_};
  view.sealed = {at + sealed_offset(), sealed_size_};
  return view;
}

RecordIndex::RecordIndex(RecordIndex&& other) noexcept
    : slots_(std::move(other.slots_)), size_(std::exchange(other.size_, 0)), shift_(other.shift_), seed_(other.seed_) {
  other.slots_.clear();
}

RecordIndex& RecordIndex::operator=(RecordIndex&& other) noexcept {
  if (this != &other) {
    destroy_all();
    slots_ = std::move(other.slots_);
    other.slots_.clear();
    size_ = std::exchange(other.size_, 0);
    shift_ = other.shift_;
    seed_ = other.seed_;
  }
  return *this;
}

RecordIndex::~RecordIndex() { destroy_all(); }

void RecordIndex::destroy_all() noexcept {
  for (Slot& slot : slots_)
    if (slot.record != nullptr)
      PackedRecord::destroy(std::exchange(slot.record, nullptr));
  size_ = 0;
}

std::size_t RecordIndex::position(const RecordId& id) const noexcept {
  std::size_t at = home(id);
  while (slots_[at].record != nullptr && slots_[at].id != id)
    at = (at + 1) & mask();
  return at;
}

const PackedRecord* RecordIndex::find(const RecordId& id) const noexcept {
  return size_ == 0 ? nullptr : slots_[position(id)].record;
}

void RecordIndex::put(const Record& record) {
  const bool adds = size_ == 0 || slots_[position(record.id)].record == nullptr;
  if (adds && !fits(size_ + 1, slots_.size()))
    rehash(std::max<std::size_t>(8, slots_.size() * 2));
  PackedRecord* packed = PackedRecord::make(record);
  Slot& slot = slots_[position(record.id)];
  if (adds) {
    slot.id = record.id;
    ++size_;
  } else {
    PackedRecord::destroy(slot.record);
  }
  slot.record = packed;
}

void RecordIndex::erase(const RecordId& id) noexcept {
  if (size_ == 0)
    return;
  std::size_t hole = position(id);
  if (slots_[hole].record == nullptr)
    return;
  PackedRecord::destroy(slots_[hole].record);
  --size_;
  // Moves back each later record of the run whose probe passes the hole, so no probe meets an
  // empty slot before its record.
  for (std::size_t next = (hole + 1) & mask(); slots_[next].record != nullptr; next = (next + 1) & mask())
    if (((next - home(slots_[next].id)) & mask()) >= ((next - hole) & mask())) {
      slots_[hole] = slots_[next];
      hole = next;
    }
  slots_[hole] = Slot{};
}

std::size_t RecordIndex::longest_probe() const noexcept {
  std::size_t longest = 0;
  for (std::size_t at = 0; at < slots_.size(); ++at)
    if (slots_[at].record != nullptr)
      longest = std::max(longest, (at - home(slots_[at].id)) & mask());
  return longest;
}

void RecordIndex::reserve(std::size_t count) {
  std::size_t capacity = std::max<std::size_t>(8, slots_.size());
  while (!fits(count, capacity))
    capacity *= 2;
  if (capacity != slots_.size())
    rehash(capacity);
}

// Moves the slots only: the records, and with them their shielded slots, stay where they are.
void RecordIndex::rehash(std::size_t capacity) {
  auto old = std::exchange(slots_, std::vector<Slot, LargePageAllocator<Slot>>(capacity));
  shift_ = 64 - std::countr_zero(capacity);
  std::array<std::uint8_t, sizeof seed_> seed{};
  runtime::random_bytes(seed);
  std::memcpy(&seed_, seed.data(), sizeof seed_);
  for (const Slot& slot : old)
    if (slot.record != nullptr)
      slots_[position(slot.id)] = slot;
}

}  // namespace stronghold::vault
