#include "stronghold/snapshot/change_codec.hpp"

#include <algorithm>
#include <cstdint>
#include <optional>
#include <utility>

#include "stronghold/runtime/byte_codec.hpp"

namespace stronghold::snapshot {
namespace {

using namespace stronghold::vault;

enum Tag : std::uint8_t {
  kPutVault = 1,
  kPutRecord = 2,           // followed by its vault id
  kPutRecordSameVault = 3,  // in the vault of the change before it
  kRemoveRecord = 4,
  kRemoveVault = 5,
};
constexpr std::uint8_t kRevokedFlag = 0x10;
constexpr std::size_t kMaxWrappedKey = 128;
constexpr std::size_t kMaxPublicKey = 65;

void write_record(ByteWriter& out, const Record& record) {
  out.raw(record.id);
  out.text(record.path);
  out.u8(static_cast<std::uint8_t>(static_cast<std::uint8_t>(record.type) | (record.revoked ? kRevokedFlag : 0)));
  out.text(record.hint);
  out.varint(record.version);
  out.signed_varint(record.created_at);
  out.signed_varint(record.expires_at);
  out.bytes(record.public_key);
  out.bytes(record.sealed);
}

bool read_record(ByteReader& in, Record& record) {
  std::uint8_t flags = 0;
  const bool read = in.array(record.id) && in.text(record.path, kMaxPathLength) && in.u8(flags) &&
                    in.text(record.hint, kMaxHintLength) && in.varint(record.version) &&
                    in.signed_varint(record.created_at) && in.signed_varint(record.expires_at) &&
                    in.bytes(record.public_key, kMaxPublicKey) &&
                    in.bytes(record.sealed, kMaxSecretSize + kSealOverhead);
  const std::uint8_t type = flags & 0x0f;
  if (!read || (flags & ~(0x0f | kRevokedFlag)) != 0 || type < static_cast<std::uint8_t>(KeyType::seed) ||
      type > static_cast<std::uint8_t>(KeyType::opaque))
    return false;
  record.type = static_cast<KeyType>(type);
  record.revoked = flags & kRevokedFlag;
  return true;
}

}  // namespace

void encode_changes_into(const ChangeSet& set, Bytes& bytes) {
  ByteWriter out(bytes);
  out.varint(set.changes.size());
  const VaultId* previous_vault = nullptr;
  for (const Change& change : set.changes) {
    if (const auto* put = std::get_if<PutVault>(&change)) {
      out.u8(kPutVault);
      out.raw(put->id);
      out.text(put->path);
      out.bytes(put->wrapped_key);
      out.varint(put->last_version);
      previous_vault = &put->id;
    } else if (const auto* record = std::get_if<PutRecord>(&change)) {
      if (previous_vault != nullptr && *previous_vault == record->vault) {
        out.u8(kPutRecordSameVault);
      } else {
        out.u8(kPutRecord);
        out.raw(record->vault);
      }
      write_record(out, record->record);
      previous_vault = &record->vault;
    } else if (const auto* remove = std::get_if<RemoveRecord>(&change)) {
      out.u8(kRemoveRecord);
      out.raw(remove->vault);
      out.raw(remove->record);
      out.varint(remove->version);
      previous_vault = &remove->vault;
    } else if (const auto* remove_vault = std::get_if<RemoveVault>(&change)) {
      out.u8(kRemoveVault);
      out.raw(remove_vault->id);
      previous_vault = nullptr;
    }
  }
}

Bytes encode_changes(const ChangeSet& set) {
  Bytes bytes;
  encode_changes_into(set, bytes);
  return bytes;
}

Status decode_changes_in_parts(ByteView bytes, std::size_t part_size,
                               vault::FunctionRef<Status(ChangeSet&& part)> take) {
  ByteReader in(bytes);
  std::uint64_t count = 0;
  // Every change takes at least 17 bytes: bound the count before reserving for it.
  if (!in.varint(count) || count > in.remaining() / 17)
    return Status(Errc::corrupted, "a change list has an impossible length");
  part_size = std::max<std::size_t>(part_size, 1);
  ChangeSet set;
  std::optional<VaultId> previous_vault;  // a value: the change naming it may be in an earlier part
  for (std::uint64_t i = 0; i < count; ++i) {
    if (set.changes.empty())
      set.changes.reserve(static_cast<std::size_t>(std::min<std::uint64_t>(count - i, part_size)));
    std::uint8_t tag = 0;
    in.u8(tag);
    bool read = false;
    switch (tag) {
      case kPutVault: {
        PutVault put;
        read = in.array(put.id) && in.text(put.path, kMaxPathLength + 16) &&
               in.bytes(put.wrapped_key, kMaxWrappedKey) && in.varint(put.last_version);
        previous_vault = put.id;
        set.changes.emplace_back(std::move(put));
        break;
      }
      case kPutRecord:
      case kPutRecordSameVault: {
        PutRecord put;
        if (tag == kPutRecord)
          read = in.array(put.vault);
        else if (previous_vault)
          put.vault = *previous_vault, read = true;
        read = read && read_record(in, put.record);
        previous_vault = put.vault;
        set.changes.emplace_back(std::move(put));
        break;
      }
      case kRemoveRecord: {
        RemoveRecord remove;
        read = in.array(remove.vault) && in.array(remove.record) && in.varint(remove.version);
        previous_vault = remove.vault;
        set.changes.emplace_back(remove);
        break;
      }
      case kRemoveVault: {
        RemoveVault remove;
        read = in.array(remove.id);
        set.changes.emplace_back(remove);
        previous_vault.reset();
        break;
      }
      default: break;
    }
    if (!read)
      return error(Errc::corrupted, "change {} of {} is malformed", i + 1, count);
    if (set.changes.size() == part_size)
      SH_RETURN_IF_ERROR(take(std::exchange(set, ChangeSet())));
  }
  if (in.remaining() != 0)
    return Status(Errc::corrupted, "a change list has trailing bytes");
  return set.empty() ? Status{} : take(std::move(set));
}

Result<ChangeSet> decode_changes(ByteView bytes) {
  ChangeSet whole;
  SH_RETURN_IF_ERROR(decode_changes_in_parts(bytes, SIZE_MAX, [&](ChangeSet&& part) {
    whole = std::move(part);
    return Status{};
  }));
  return whole;
}

}  // namespace stronghold::snapshot
