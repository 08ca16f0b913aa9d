#include "stronghold/snapshot/snapshot.hpp"

#include <algorithm>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <map>
#include <mutex>
#include <new>
#include <optional>
#include <string>
#include <system_error>
#include <thread>
#include <utility>

#include <sodium.h>

#include "stronghold/runtime/byte_codec.hpp"
#include "stronghold/runtime/random.hpp"
#include "stronghold/runtime/scratch.hpp"
#include "stronghold/runtime/shield.hpp"
#include "stronghold/snapshot/change_codec.hpp"
#include "stronghold/vault/seal.hpp"

namespace stronghold::snapshot {
namespace {

using runtime::ScratchFrame;
using runtime::ShieldedSecret;

constexpr std::size_t kKeySize = 32;
constexpr std::size_t kEntryHeaderSize = 8;
constexpr std::uint32_t kMaxEntrySize = 64u << 20;
// The changes of a snapshot body decoded and applied at a time when it is opened.
constexpr std::size_t kBodyPartChanges = 4096;
// A version 3 body part is framed and bounded like a journal entry.
constexpr std::size_t kPartHeaderSize = kEntryHeaderSize;
constexpr std::size_t kBodyFieldsSize = 32;  // N, T and L after the header (versions 2 and 3)
constexpr std::size_t kTagSize = vault::kSealTagSize;
using Tag = std::array<std::uint8_t, kTagSize>;

Tag tag_of(ByteView sealed) {
  Tag tag;
  std::memcpy(tag.data(), sealed.data() + sealed.size() - kTagSize, kTagSize);
  return tag;
}

Bytes labelled_context(std::string_view label, const Header& header) {
  const ByteView label_bytes = as_bytes(label);
  Bytes ad(label_bytes.begin(), label_bytes.end());
  ad.insert(ad.end(), header.file_id.begin(), header.file_id.end());
  return ad;
}

// Version 2 binds where the chain stands after the body; version 1 starts the chain afresh.
Bytes body_context(const Header& header, const ChainPosition& start) {
  Bytes ad = labelled_context("stronghold.body", header);
  if (header.version >= 2) {
    ByteWriter(ad).u64(start.next_sequence);
    ad.insert(ad.end(), start.previous_tag.begin(), start.previous_tag.end());
  }
  return ad;
}

// A version 3 body part binds the body's context, its index, whether it ends the body, and the
// tag of the part before it (zeros for the first): parts cannot be dropped, reordered, or mixed
// in from another body, even one written at the same position.
Bytes part_context(const Header& header, const ChainPosition& start, std::uint32_t index, bool last,
                   const Tag& previous) {
  Bytes ad = body_context(header, start);
  ByteWriter out(ad);
  out.u32(index);
  out.u8(last ? 1 : 0);
  out.raw(previous);
  return ad;
}

// Change sets handed from the thread that decodes a body to the one that applies it, in order: a
// few at most wait, so that a reader faster than the apply does not hold the state twice.
class DecodedParts {
 public:
  // Waits for room; false once the taker stopped.
  bool put(vault::ChangeSet&& part) {
    std::unique_lock lock(mutex_);
    room_.wait(lock, [&] { return stopped_ || waiting_.size() < kWaiting; });
    if (stopped_)
      return false;
    waiting_.push_back(std::move(part));
    ready_.notify_one();
    return true;
  }
  // No more parts come; `status` says why.
  void finish(Status status) {
    const std::lock_guard lock(mutex_);
    finished_ = true;
    status_ = std::move(status);
    ready_.notify_one();
  }
  // The next part, or none once the reader finished and all were taken.
  std::optional<vault::ChangeSet> take() {
    std::unique_lock lock(mutex_);
    ready_.wait(lock, [&] { return finished_ || !waiting_.empty(); });
    if (waiting_.empty())
      return std::nullopt;
    std::optional<vault::ChangeSet> part(std::move(waiting_.front()));
    waiting_.pop_front();
    room_.notify_one();
    return part;
  }
  // The taker takes no more: a waiting put returns false.
  void stop() {
    const std::lock_guard lock(mutex_);
    stopped_ = true;
    room_.notify_all();
  }
  Status status() const {
    const std::lock_guard lock(mutex_);
    return status_;
  }

 private:
  static constexpr std::size_t kWaiting = 4;
  mutable std::mutex mutex_;
  std::condition_variable ready_;
  std::condition_variable room_;
  std::deque<vault::ChangeSet> waiting_;
  bool finished_ = false;
  bool stopped_ = false;
  Status status_;
};

// About what `change` adds to an encoded change set: enough to cut a body into parts.
std::size_t encoded_size_estimate(const vault::Change& change) {
  if (const auto* put = std::get_if<vault::PutRecord>(&change))
    return 48 + put->record.path.size() + put->record.hint.size() + put->record.public_key.size() +
           put->record.sealed.size();
  if (const auto* vault = std::get_if<vault::PutVault>(&change))
    return 32 + vault->path.size() + vault->wrapped_key.size();
  return 48;
}

Bytes entry_context(const Header& header, const ChainPosition& position) {
  Bytes ad = labelled_context("stronghold.journal", header);
  ByteWriter(ad).u64(position.next_sequence);
  ad.insert(ad.end(), position.previous_tag.begin(), position.previous_tag.end());
  return ad;
}

// The key that wraps the snapshot key, from the password (Argon2id with the header's cost).
Status derive_password_key(ByteView password, const Header& header, std::span<std::uint8_t> out) {
  return derive_from_password(password, header.salt, header.kdf, out);
}

// Seals `snapshot_key` under `password_key` into the header (whose salt and cost it binds).
Status wrap_with_key(ByteView password_key, ByteView snapshot_key, Header& header) {
  const Bytes context = encode_header(header);
  SH_ASSIGN_OR_RETURN(Bytes wrapped, vault::seal(password_key, header_key_context(context), snapshot_key));
  std::copy(wrapped.begin(), wrapped.end(), header.wrapped_key.begin());
  return {};
}

// Wraps `snapshot_key` for a header with a fresh salt and the header's KDF cost.
Status wrap_snapshot_key(ByteView password, ByteView snapshot_key, Header& header) {
  runtime::random_bytes(header.salt);
  ScratchFrame frame;
  SH_ASSIGN_OR_RETURN(auto password_key, frame.take(kKeySize));
  SH_RETURN_IF_ERROR(derive_password_key(password, header, password_key));
  return wrap_with_key(password_key, snapshot_key, header);
}

// Calls `visit(vault path, record)` for each record that `changes` puts.
template <class Changes, class Visit>
void for_each_put_record(Changes& changes, Visit visit) {
  std::map<vault::VaultId, std::string> vault_paths;
  for (auto& change : changes.changes) {
    if (const auto* vault = std::get_if<vault::PutVault>(&change))
      vault_paths[vault->id] = vault->path;
    else if (auto* put = std::get_if<vault::PutRecord>(&change))
      visit(vault_paths[put->vault], put->record);
  }
}

// The state of `keystore` under a new snapshot key: new vault ids and vault keys (both derive
// from or are wrapped under the snapshot key) and every live record sealed again, by way of an
// export under a random transfer key. Revoked and expired records stay behind, as garbage
// collection would drop them, and so do vaults left without a record; records keep their
// creation times but get new versions.
Result<vault::Keystore> rekeyed_keystore(const vault::Keystore& keystore, ByteView snapshot_key,
                                         const vault::Keystore::Clock& clock) {
  ScratchFrame frame;
  SH_ASSIGN_OR_RETURN(auto transfer_key, frame.take(kKeySize));
  runtime::random_bytes(transfer_key);
  SH_ASSIGN_OR_RETURN(const vault::ChangeSet exported, keystore.export_vaults({}, transfer_key, true));
  SH_ASSIGN_OR_RETURN(vault::Keystore rekeyed, vault::Keystore::create(snapshot_key, clock));
  vault::ChangeSet imported;
  {
    vault::Transaction tx(rekeyed);
    SH_RETURN_IF_ERROR(tx.import_vaults(exported, transfer_key, true, true).status());
    imported = std::move(tx).take();
  }
  std::map<std::pair<std::string, std::string>, std::int64_t> created;
  for_each_put_record(exported, [&](const std::string& vault, const vault::Record& record) {
    created[{vault, record.path}] = record.created_at;
  });
  for_each_put_record(imported, [&](const std::string& vault, vault::Record& record) {
    record.created_at = created[{vault, record.path}];  // not bound by the seal
  });
  SH_RETURN_IF_ERROR(rekeyed.apply(imported));
  return rekeyed;
}

bool all_zero(ByteView bytes) {
  return std::all_of(bytes.begin(), bytes.end(), [](auto b) { return b == 0; });
}

// The smallest sealed change set: nonce, tag and at least one byte.
constexpr std::uint32_t kMinEntrySize = vault::kSealNonceSize + kTagSize + 1;

// Whether the file's bytes from `from` to `end` are all zero, read a window at a time.
Result<bool> zero_to_end(ReadFile& file, std::uint64_t from, std::uint64_t end) {
  constexpr std::uint64_t kWindow = std::uint64_t{64} * 1024;
  Bytes window;
  for (std::uint64_t at = from; at < end; at += window.size()) {
    window.resize(static_cast<std::size_t>(std::min(kWindow, end - at)));
    SH_RETURN_IF_ERROR(file.read_at(at, window));
    if (!all_zero(window))
      return false;
  }
  return true;
}

// A journal's bytes, read ahead in windows of about 1 MiB (or one entry, when longer): an open
// holds neither the whole journal, which it used to read into one buffer (the peak of an open of
// 10,000,000 keys), nor asks the file system for every entry.
class JournalReader {
 public:
  JournalReader(ReadFile& file, std::uint64_t from, std::uint64_t end) noexcept : file_(file), end_(end), at_(from) {}

  std::uint64_t offset() const noexcept { return at_; }
  std::uint64_t left() const noexcept { return end_ - at_; }

  // The next `size` bytes, at most left(); valid until the next call.
  Result<ByteView> peek(std::size_t size) {
    if (at_ < window_at_ || at_ + size > window_at_ + window_.size()) {
      constexpr std::uint64_t kWindow = std::uint64_t{1} << 20;
      window_.resize(static_cast<std::size_t>(std::min(left(), std::max<std::uint64_t>(size, kWindow))));
      SH_RETURN_IF_ERROR(file_.read_at(at_, window_));
      window_at_ = at_;
    }
    return ByteView(window_).subspan(static_cast<std::size_t>(at_ - window_at_), size);
  }

  void skip(std::size_t size) noexcept { at_ += size; }

 private:
  ReadFile& file_;
  std::uint64_t end_;
  std::uint64_t at_;
  std::uint64_t window_at_ = 0;  // the file offset of window_[0]
  Bytes window_;
};

}  // namespace

struct Chain::State {
  FileSystem& fs;
  std::string path;
  SnapshotOptions options;
  std::unique_ptr<FileLock> lock;
  Header header;
  ShieldedSecret snapshot_key;
  std::optional<vault::Keystore> keystore;
  ChainPosition position;        // where the file ends once everything staged is written
  std::uint64_t base_bytes = 0;  // header and body
  std::uint64_t journal_bytes = 0;
  OpenReport report;

  State(FileSystem& file_system, std::string file_path, const SnapshotOptions& snapshot_options)
      : fs(file_system), path(std::move(file_path)), options(snapshot_options) {}

  Result<Bytes> seal(ByteView associated_data, ByteView plaintext) const {
    ScratchFrame frame;
    SH_ASSIGN_OR_RETURN(auto key, frame.take(kKeySize));
    SH_RETURN_IF_ERROR(snapshot_key.open(key));
    return vault::seal(key, associated_data, plaintext);
  }

  Status open_sealed(ByteView associated_data, ByteView sealed, Bytes& plaintext) const {
    if (sealed.size() < vault::kSealNonceSize + kTagSize)
      return Status(Errc::corrupted, "sealed data too short");
    plaintext.resize(sealed.size() - vault::kSealNonceSize - kTagSize);
    ScratchFrame frame;
    SH_ASSIGN_OR_RETURN(auto key, frame.take(kKeySize));
    SH_RETURN_IF_ERROR(snapshot_key.open(key));
    return vault::open(key, associated_data, sealed, plaintext);
  }

  // Header and body of the current state, and the chain position that starts after them. In
  // version 2 that is `start`: where the chain stands, for a fold (the entries appended meanwhile
  // follow it), or a fresh one (fresh_start) for a rewrite in place.
  Result<Bytes> image(const ChainPosition& start, ChainPosition& leaves) const {
    Bytes image = encode_header(header);
    if (header.version >= 2) {
      ByteWriter out(image);
      out.u64(start.next_sequence);
      out.raw(start.previous_tag);
    }
    if (header.version >= 3) {
      const std::size_t length_at = image.size();
      ByteWriter(image).u64(0);
      SH_RETURN_IF_ERROR(append_body_parts(start, image));
      const std::uint64_t length = image.size() - length_at - 8;
      for (std::size_t i = 0; i < 8; ++i)
        image[length_at + i] = static_cast<std::uint8_t>(length >> (8 * i));
      leaves = start;
      return image;
    }
    SH_ASSIGN_OR_RETURN(Bytes body, seal(body_context(header, start), encode_changes(keystore->state())));
    ByteWriter(image).u64(body.size());
    image.insert(image.end(), body.begin(), body.end());
    leaves = header.version >= 2 ? start : ChainPosition{1, tag_of(body)};
    return image;
  }

  // The state as version 3 body parts, appended to `image`: change sets of about
  // options.body_part_bytes each, so that neither this writer nor a reader holds the whole state
  // encoded in plaintext at once (the writer does hold the whole sealed image). A part is sealed once the next one is
  // known to exist, since its seal says whether it is the last.
  Status append_body_parts(const ChainPosition& start, Bytes& image) const {
    const std::size_t part_bytes = std::clamp<std::size_t>(options.body_part_bytes, 1, kMaxEntrySize / 4);
    std::uint32_t index = 0;
    Tag previous{};
    Bytes held;
    const auto seal_held = [&](bool last) -> Status {
      SH_ASSIGN_OR_RETURN(const Bytes sealed, seal(part_context(header, start, index, last, previous), held));
      if (sealed.size() > kMaxEntrySize)  // what a reader refuses is never written
        return Status(Errc::internal, "a snapshot body part came out larger than 64 MiB");
      ByteWriter out(image);
      out.u32(static_cast<std::uint32_t>(sealed.size()));
      out.u32(~static_cast<std::uint32_t>(sealed.size()));
      out.raw(sealed);
      previous = tag_of(sealed);
      ++index;
      return {};
    };
    vault::ChangeSet part;
    std::size_t estimate = 0;
    Status status;
    const auto next_part = [&] {
      if (!held.empty() && status.ok())
        status = seal_held(false);
      held = encode_changes(part);
      part.changes.clear();
      estimate = 0;
    };
    keystore->for_each_state_change([&](vault::Change&& change) {
      estimate += encoded_size_estimate(change);
      part.changes.push_back(std::move(change));
      if (estimate >= part_bytes)
        next_part();
    });
    if (!part.empty() || held.empty())
      next_part();
    SH_RETURN_IF_ERROR(status);
    return seal_held(true);
  }

  // The position a rewrite in place starts the chain at: the same sequence number, a random tag.
  // Entries of the history the rewrite replaces (cut off by a crash, in a copy of the old file)
  // then never authenticate after the new file's body.
  ChainPosition fresh_start() const {
    ChainPosition start{position.next_sequence, {}};
    runtime::random_bytes(start.previous_tag);
    return start;
  }

  // Where a rewrite in place starts the chain: a fresh start, unless other engines share the chain.
  ChainPosition rewrite_start() const { return options.shared_chain ? position : fresh_start(); }

  // The change set of a whole entry (length, check and seal) that follows the chain where it
  // stands, opened and decoded.
  Result<vault::ChangeSet> open_entry(ByteView entry) const {
    const std::uint64_t sequence = position.next_sequence;
    if (entry.size() < kEntryHeaderSize)
      return error(Errc::corrupted, "journal entry {} is shorter than its header", sequence);
    std::uint32_t size = 0;
    std::uint32_t check = 0;
    ByteReader sizes(entry.first(kEntryHeaderSize));
    sizes.u32(size);
    sizes.u32(check);
    if (check != ~size || size < kMinEntrySize || size > kMaxEntrySize || size != entry.size() - kEntryHeaderSize)
      return error(Errc::corrupted, "journal entry {} has a damaged length", sequence);
    Bytes plaintext;
    if (!open_sealed(entry_context(header, position), entry.subspan(kEntryHeaderSize), plaintext).ok())
      return error(Errc::corrupted,
                   "journal entry {} does not authenticate here (damaged, out of place, or sealed under another key)",
                   sequence);
    auto changes = decode_changes(plaintext);
    if (!changes.ok())
      return error(Errc::corrupted, "journal entry {}: {}", sequence, changes.status().message());
    return changes;
  }

  // The sealed journal entry for `changes`, next in the chain (the chain is not advanced).
  Result<Bytes> make_entry(const vault::ChangeSet& changes) const {
    SH_ASSIGN_OR_RETURN(Bytes sealed, seal(entry_context(header, position), encode_changes(changes)));
    if (sealed.size() > kMaxEntrySize)
      return Status(Errc::invalid_argument, "a change set larger than 64 MiB; commit it in parts");
    Bytes entry;
    entry.reserve(kEntryHeaderSize + sealed.size());
    ByteWriter out(entry);
    out.u32(static_cast<std::uint32_t>(sealed.size()));
    out.u32(~static_cast<std::uint32_t>(sealed.size()));
    out.raw(sealed);
    return entry;
  }

  // Where the chain is after `entry`, which follows `position`.
  ChainPosition after(ByteView entry) const { return ChainPosition{position.next_sequence + 1, tag_of(entry)}; }

  // What a password change replaces: the header (salt, wrapped key), the snapshot key and the
  // keystore under it.
  struct Keys {
    Header header;
    ShieldedSecret snapshot_key;
    std::optional<vault::Keystore> keystore;
  };

  // A new snapshot key wrapped under `password_key` (derived with `salt` at the file's KDF cost),
  // and the keystore re-keyed under it; the state is not touched.
  Result<Keys> rekeyed(ByteView password_key, const Salt& salt) const {
    Keys next{header, {}, {}};
    next.header.version = kFormatVersion;  // the new header is bound to the new key: the file moves up
    next.header.salt = salt;
    ScratchFrame frame;
    SH_ASSIGN_OR_RETURN(auto key, frame.take(kKeySize));
    runtime::random_bytes(key);
    SH_RETURN_IF_ERROR(wrap_with_key(password_key, key, next.header));
    SH_ASSIGN_OR_RETURN(next.snapshot_key, ShieldedSecret::seal(key));
    SH_ASSIGN_OR_RETURN(vault::Keystore keystore, rekeyed_keystore(*this->keystore, key, options.clock));
    next.keystore.emplace(std::move(keystore));
    return next;
  }

  // Puts `keys` in place and the current ones into `keys`: called again, it undoes itself.
  void swap_keys(Keys& keys) noexcept {
    std::swap(header, keys.header);
    std::swap(snapshot_key, keys.snapshot_key);
    std::swap(keystore, keys.keystore);
  }

  // Applies a decoded change set without copying its records.
  Status apply_moved(vault::ChangeSet changes) {
    SH_ASSIGN_OR_RETURN(vault::PreparedChanges prepared, keystore->prepare(std::move(changes)));
    keystore->apply(std::move(prepared));
    return {};
  }

  // Holds `snapshot_key` (the caller wipes its copy) and an empty keystore under it.
  Status take_key(ByteView snapshot_key) {
    SH_ASSIGN_OR_RETURN(this->snapshot_key, ShieldedSecret::seal(snapshot_key));
    SH_ASSIGN_OR_RETURN(vault::Keystore empty, vault::Keystore::create(snapshot_key, options.clock));
    keystore.emplace(std::move(empty));
    return {};
  }

  // Reads the state from `file` up to byte `end` (its size, or where a fold stops). A version 3
  // body is read a part at a time; older files are read whole.
  Status load(ReadFile& file, std::uint64_t end) {
    if (header.version >= 3)
      return load_in_parts(file, end);
    {
      Bytes whole(static_cast<std::size_t>(end));
      SH_RETURN_IF_ERROR(file.read_at(0, whole));
      SH_RETURN_IF_ERROR(load_whole_body(whole));
    }
    return replay_journal(file, base_bytes, end);
  }

  // A version 1 or 2 body, sealed whole; sets where the journal begins.
  Status load_whole_body(ByteView file) {
    ByteReader in(file.subspan(kHeaderSize));
    ChainPosition start;
    if (header.version >= 2 && (!in.u64(start.next_sequence) || !in.array(start.previous_tag)))
      return Status(Errc::corrupted, "the snapshot body is truncated");
    std::uint64_t body_size = 0;
    ByteView body;
    if (!in.u64(body_size) || body_size > in.remaining() || !in.raw(static_cast<std::size_t>(body_size), body))
      return Status(Errc::corrupted, "the snapshot body is truncated");
    Bytes plaintext;
    if (!open_sealed(body_context(header, start), body, plaintext).ok())
      return Status(Errc::corrupted, "the snapshot body is damaged (it failed to authenticate)");
    SH_RETURN_IF_ERROR(apply_body(plaintext));
    position = header.version >= 2 ? start : ChainPosition{1, tag_of(body)};
    base_bytes = file.size() - in.remaining();
    return {};
  }

  // Decoded and applied in parts: the whole state decoded at once took about twice the file's
  // size beside the keystore being built, the largest part of an open's peak memory.
  Status apply_body(ByteView plaintext) {
    return decode_changes_in_parts(plaintext, kBodyPartChanges, [&](vault::ChangeSet&& part) {
      if (Status applied = apply_moved(std::move(part)); !applied.ok())
        return error(Errc::corrupted, "the snapshot body is inconsistent: {}", applied.message());
      return Status{};
    });
  }

  Status load_in_parts(ReadFile& file, std::uint64_t end) {
    std::array<std::uint8_t, kBodyFieldsSize> fields{};
    if (end < kHeaderSize + fields.size())
      return Status(Errc::corrupted, "the snapshot body is truncated");
    SH_RETURN_IF_ERROR(file.read_at(kHeaderSize, fields));
    ChainPosition start;
    std::uint64_t body_size = 0;
    ByteReader in(fields);
    in.u64(start.next_sequence);
    in.array(start.previous_tag);
    in.u64(body_size);
    const std::uint64_t body_start = kHeaderSize + fields.size();
    if (body_size == 0 || body_size > end - body_start)
      return Status(Errc::corrupted, "the snapshot body is truncated");
    const std::uint64_t body_end = body_start + body_size;
    SH_RETURN_IF_ERROR(apply_parts_read_beside(file, start, body_start, body_end));
    position = start;
    base_bytes = body_end;
    return replay_journal(file, body_end, end);
  }

  // Applies the parts that a thread of its own reads, opens and decodes meanwhile: on 2 cores the
  // open of 1,000,000 keys to its first signature took 1.98 s instead of 2.40 s.
  Status apply_parts_read_beside(ReadFile& file, const ChainPosition& start, std::uint64_t body_start,
                                 std::uint64_t body_end) {
    DecodedParts decoded;
    const auto read = [&] {
      Status status;
      try {
        status = read_body_parts(file, start, body_start, body_end, [&](ByteView plaintext) {
          return decode_changes_in_parts(plaintext, kBodyPartChanges, [&](vault::ChangeSet&& part) {
            return decoded.put(std::move(part)) ? Status{} : Status(Errc::internal, "the body's reader was stopped");
          });
        });
      } catch (const std::bad_alloc&) {
        status = Status(Errc::resource_exhausted, "out of memory while reading the snapshot body");
      }
      decoded.finish(std::move(status));
    };
    std::thread reader;
    try {
      reader = std::thread(read);
    } catch (const std::system_error&) {
      return Status(Errc::resource_exhausted, "cannot start a thread to read the snapshot body");
    }
    Status applied;
    while (applied.ok())
      if (std::optional<vault::ChangeSet> part = decoded.take(); !part)
        break;
      else if (Status status = apply_moved(std::move(*part)); !status.ok())
        applied = error(Errc::corrupted, "the snapshot body is inconsistent: {}", status.message());
    decoded.stop();
    reader.join();
    SH_RETURN_IF_ERROR(applied);
    return decoded.status();
  }

  // Reads and opens the parts of a version 3 body in order, handing each plaintext to `take`.
  Status read_body_parts(ReadFile& file, const ChainPosition& start, std::uint64_t body_start, std::uint64_t body_end,
                         vault::FunctionRef<Status(ByteView plaintext)> take) const {
    Tag previous{};
    Bytes sealed;
    Bytes plaintext;
    std::uint32_t index = 0;
    for (std::uint64_t offset = body_start; offset < body_end; ++index) {
      std::array<std::uint8_t, kPartHeaderSize> frame{};
      if (body_end - offset < frame.size())
        return error(Errc::corrupted, "body part {} at byte {} is truncated", index, offset);
      SH_RETURN_IF_ERROR(file.read_at(offset, frame));
      std::uint32_t size = 0;
      std::uint32_t check = 0;
      ByteReader sizes(frame);
      sizes.u32(size);
      sizes.u32(check);
      if (check != ~size || size < kMinEntrySize || size > kMaxEntrySize || size > body_end - offset - frame.size())
        return error(Errc::corrupted, "body part {} at byte {} has an impossible length", index, offset);
      sealed.resize(size);
      SH_RETURN_IF_ERROR(file.read_at(offset + frame.size(), sealed));
      const bool last = offset + frame.size() + size == body_end;
      if (!open_sealed(part_context(header, start, index, last, previous), sealed, plaintext).ok())
        return error(Errc::corrupted, "body part {} at byte {} is damaged (it failed to authenticate)", index, offset);
      SH_RETURN_IF_ERROR(take(plaintext));
      previous = tag_of(sealed);
      offset += frame.size() + size;
    }
    return {};
  }

  // Applies the whole journal entries between `origin` and `end`. After the last one, what a crash
  // can leave is dropped: fewer bytes than an entry header, or a sound header that asks for more
  // bytes than follow (an append writes an entry in one write, which a crash can cut short), or
  // zeros to the end (after a power loss, unsynced appends can read back as zeros: no more than
  // cutting the file at that boundary would be, which cannot be detected either). Anything else
  // that does not open is damage, the final entry too: the file system does not invent bytes.
  Status replay_journal(ReadFile& file, std::uint64_t origin, std::uint64_t end) {
    JournalReader in(file, origin, end);
    Bytes plaintext;
    while (in.left() >= kEntryHeaderSize) {
      const std::uint64_t offset = in.offset();
      const std::uint64_t entry = position.next_sequence;
      SH_ASSIGN_OR_RETURN(const ByteView frame, in.peek(kEntryHeaderSize));
      std::uint32_t size = 0;
      std::uint32_t check = 0;
      ByteReader sizes(frame);
      sizes.u32(size);
      sizes.u32(check);
      const bool sound = check == ~size && size >= kMinEntrySize && size <= kMaxEntrySize;
      if (sound && size > in.left() - kEntryHeaderSize)
        break;  // an append cut short
      if (!sound) {
        SH_ASSIGN_OR_RETURN(const bool unwritten, zero_to_end(file, offset, end));
        if (unwritten)
          break;
        if (check != ~size)
          return error(Errc::corrupted, "journal entry {} at byte {} has a damaged length", entry, offset);
        return error(Errc::corrupted, "journal entry {} at byte {} has an impossible length", entry, offset);
      }
      SH_ASSIGN_OR_RETURN(const ByteView whole, in.peek(kEntryHeaderSize + size));
      const ByteView sealed = whole.subspan(kEntryHeaderSize);
      if (!open_sealed(entry_context(header, position), sealed, plaintext).ok())
        return error(Errc::corrupted, "journal entry {} at byte {} is damaged (it failed to authenticate)", entry,
                     offset);
      auto changes = decode_changes(plaintext);
      if (!changes.ok())
        return error(Errc::corrupted, "journal entry {} at byte {}: {}", entry, offset, changes.status().message());
      if (Status applied = apply_moved(std::move(*changes)); !applied.ok())
        return error(Errc::corrupted, "journal entry {} at byte {} does not fit the state: {}", entry, offset,
                     applied.message());
      position = after(sealed);
      ++report.journal_entries;
      in.skip(kEntryHeaderSize + size);
      journal_bytes += kEntryHeaderSize + size;
    }
    report.dropped_tail_bytes = in.left();
    return {};
  }
};

Chain::Chain(std::unique_ptr<State> state) noexcept : state_(std::move(state)) {}
Chain::Chain(Chain&&) noexcept = default;
Chain& Chain::operator=(Chain&&) noexcept = default;
Chain::~Chain() = default;

const vault::Keystore& Chain::keystore() const noexcept { return *state_->keystore; }
const OpenReport& Chain::open_report() const noexcept { return state_->report; }
const SnapshotOptions& Chain::options() const noexcept { return state_->options; }
std::uint64_t Chain::journal_bytes() const noexcept { return state_->journal_bytes; }
std::uint64_t Chain::file_bytes() const noexcept { return state_->base_bytes + state_->journal_bytes; }
Bytes Chain::header() const { return encode_header(state_->header); }

Result<ReopenToken> Chain::reopen_token() const {
  ScratchFrame frame;
  SH_ASSIGN_OR_RETURN(auto key, frame.take(kKeySize));
  SH_RETURN_IF_ERROR(state_->snapshot_key.open(key));
  SH_ASSIGN_OR_RETURN(ShieldedSecret copy, ShieldedSecret::seal(key));
  return ReopenToken{&state_->fs, state_->path, state_->options,
                     std::make_shared<const ShieldedSecret>(std::move(copy))};
}

Result<Chain::Sealed> Chain::seal(vault::ChangeSet changes) const {
  SH_ASSIGN_OR_RETURN(vault::PreparedChanges prepared, state_->keystore->prepare(std::move(changes)));
  SH_ASSIGN_OR_RETURN(Bytes entry, state_->make_entry(prepared.changes()));
  const ChainPosition leaves = state_->after(entry);
  return Sealed{std::move(prepared), StagedEntry(std::move(entry), state_->position, leaves)};
}

void Chain::apply(vault::PreparedChanges&& prepared, const StagedEntry& entry) {
  state_->keystore->apply(std::move(prepared));
  state_->position = entry.leaves();
  state_->journal_bytes += entry.bytes().size();
}

Result<StagedEntry> Chain::stage(vault::ChangeSet changes) {
  SH_ASSIGN_OR_RETURN(Sealed sealed, seal(std::move(changes)));
  apply(std::move(sealed.prepared), sealed.entry);
  return std::move(sealed.entry);
}

Result<StagedEntry> Chain::receive(ByteView entry) {
  SH_ASSIGN_OR_RETURN(vault::ChangeSet changes, state_->open_entry(entry));
  auto prepared = state_->keystore->prepare(std::move(changes));
  if (!prepared.ok())
    return error(Errc::corrupted, "journal entry {} does not fit the state: {}", state_->position.next_sequence,
                 prepared.status().message());
  StagedEntry staged(Bytes(entry.begin(), entry.end()), state_->position, state_->after(entry));
  apply(std::move(*prepared), staged);
  return staged;
}

const ChainPosition& Chain::position() const noexcept { return state_->position; }

Result<Image> Chain::image() const {
  ChainPosition leaves;
  SH_ASSIGN_OR_RETURN(Bytes image, state_->image(state_->rewrite_start(), leaves));
  return Image(std::move(image), state_->position, leaves);
}

void Chain::follow(const Image& image) {
  state_->position = image.leaves();
  state_->base_bytes = image.bytes().size();
  state_->journal_bytes = 0;
}

Result<Image> Chain::compact() {
  SH_ASSIGN_OR_RETURN(Image image, this->image());
  follow(image);
  return image;
}

Result<FoldJob> Chain::fold_job() {
  if (state_->header.version < 2)
    return Status(Errc::unsupported, "a version 1 snapshot is compacted in place (a password change moves it on)");
  SH_ASSIGN_OR_RETURN(ReopenToken token, reopen_token());
  FoldJob job{std::move(token), header(), state_->position};
  state_->base_bytes += state_->journal_bytes;
  state_->journal_bytes = 0;
  return job;
}

Status Chain::rekey_then(ByteView password_key, const Salt& salt, vault::FunctionRef<Status()> write) {
  // A new snapshot key starts a new chain, which the other engines could not follow.
  if (state_->options.shared_chain)
    return Status(Errc::unsupported, "the password of a snapshot in a cluster cannot be changed");
  SH_ASSIGN_OR_RETURN(State::Keys keys, state_->rekeyed(password_key, salt));
  state_->swap_keys(keys);
  if (Status written = write(); !written.ok()) {
    state_->swap_keys(keys);
    return written;
  }
  return {};
}

Result<Image> Chain::rekey(const NewPassword& password) {
  if (password.previous_header != header())
    return Status(Errc::busy, "the password changed meanwhile; try again");
  ScratchFrame frame;
  SH_ASSIGN_OR_RETURN(auto password_key, frame.take(kKeySize));
  SH_RETURN_IF_ERROR(password.key.open(password_key));
  Result<Image> image = Status(Errc::internal, "not re-keyed");
  SH_RETURN_IF_ERROR(rekey_then(password_key, password.salt, [&] {
    image = compact();
    return image.status();
  }));
  return image;
}

Snapshot::Snapshot(Chain chain, JournalWriter journal) noexcept
    : chain_(std::move(chain)), journal_(std::move(journal)) {}
Snapshot::~Snapshot() = default;

Result<std::unique_ptr<Snapshot>> Snapshot::with_writer(std::unique_ptr<Chain::State> state) {
  // What a crash left beside the file: a compaction or fold that never finished, which may hold
  // the state under a password changed since. The file lock makes this writer the only one.
  for (const std::string& leftover : {state->path + ".compact", JournalWriter::fold_path(state->path)})
    SH_RETURN_IF_ERROR(state->fs.remove(leftover));
  SH_ASSIGN_OR_RETURN(auto append, state->fs.open_append(state->path, false));
  JournalWriter journal(state->fs, state->path, std::move(append), state->base_bytes + state->journal_bytes,
                        state->position, state->report.dropped_tail_bytes, state->options.max_fold_tail);
  return std::unique_ptr<Snapshot>(new Snapshot(Chain(std::move(state)), std::move(journal)));
}

Result<std::unique_ptr<Snapshot>> Snapshot::create(FileSystem& fs, const std::string& path, ByteView password,
                                                   const SnapshotOptions& options) {
  SH_ASSIGN_OR_RETURN(std::string real_path, fs.resolve(path));
  auto state = std::make_unique<Chain::State>(fs, std::move(real_path), options);
  SH_ASSIGN_OR_RETURN(state->lock, fs.lock(state->path + ".lock"));
  if (fs.exists(state->path))
    return error(Errc::already_exists, "{} already exists; it is not overwritten", path);
  ScratchFrame frame;
  SH_ASSIGN_OR_RETURN(auto snapshot_key, frame.take(kKeySize));
  runtime::random_bytes(snapshot_key);
  runtime::random_bytes(state->header.file_id);
  state->header.kdf = kdf_params(options.kdf);
  SH_RETURN_IF_ERROR(wrap_snapshot_key(password, snapshot_key, state->header));
  SH_ASSIGN_OR_RETURN(state->snapshot_key, ShieldedSecret::seal(snapshot_key));
  SH_ASSIGN_OR_RETURN(vault::Keystore keystore, vault::Keystore::create(snapshot_key, options.clock));
  state->keystore.emplace(std::move(keystore));
  // The first file is written like a compacted one.
  SH_ASSIGN_OR_RETURN(const Bytes image, state->image(state->fresh_start(), state->position));
  SH_RETURN_IF_ERROR(write_file_atomically(fs, state->path, image));
  state->base_bytes = image.size();
  return with_writer(std::move(state));
}

namespace {

// The header's bytes, or what there is of them (decode_header tells what is wrong).
Result<Bytes> read_header(ReadFile& file) {
  Bytes bytes(static_cast<std::size_t>(std::min<std::uint64_t>(file.size(), kHeaderSize)));
  SH_RETURN_IF_ERROR(file.read_at(0, bytes));
  return bytes;
}

// Opens `path` with a snapshot key obtained by `unlock` from the file's header.
Result<std::unique_ptr<Chain::State>> open_with(
    FileSystem& fs, const std::string& path, const SnapshotOptions& options,
    vault::FunctionRef<Status(ByteView header_bytes, const Header& header, std::span<std::uint8_t> snapshot_key)>
        unlock) {
  if (!fs.exists(path))
    return error(Errc::not_found, "no snapshot at {}", path);
  SH_ASSIGN_OR_RETURN(std::string real_path, fs.resolve(path));
  auto state = std::make_unique<Chain::State>(fs, std::move(real_path), options);
  SH_ASSIGN_OR_RETURN(state->lock, fs.lock(state->path + ".lock"));
  SH_ASSIGN_OR_RETURN(const auto file, fs.open_read(state->path, options.max_file_size));
  SH_ASSIGN_OR_RETURN(const Bytes header_bytes, read_header(*file));
  SH_ASSIGN_OR_RETURN(state->header, decode_header(header_bytes));
  SH_RETURN_IF_ERROR(check_kdf_cost(state->header.kdf, options.max_kdf, "the snapshot header"));
  ScratchFrame frame;
  SH_ASSIGN_OR_RETURN(auto snapshot_key, frame.take(kKeySize));
  SH_RETURN_IF_ERROR(unlock(header_bytes, state->header, snapshot_key));
  SH_RETURN_IF_ERROR(state->take_key(snapshot_key));
  SH_RETURN_IF_ERROR(state->load(*file, file->size()));
  return state;
}

// The state of `job`'s file up to `covers` bytes, checked to end where the job says.
Result<std::unique_ptr<Chain::State>> load_prefix(const FoldJob& job, std::uint64_t covers) {
  const ReopenToken& token = job.file;
  if (token.fs == nullptr || !token.snapshot_key)
    return Status(Errc::invalid_argument, "a fold job without a file or key");
  SH_ASSIGN_OR_RETURN(const auto file, token.fs->open_read(token.path, token.options.max_file_size));
  SH_ASSIGN_OR_RETURN(const Bytes header_bytes, read_header(*file));
  if (covers < kHeaderSize || covers > file->size() || header_bytes != job.header)
    return Status(Errc::busy, "the snapshot changed before it was folded; the fold is dropped");
  auto state = std::make_unique<Chain::State>(*token.fs, token.path, token.options);
  SH_ASSIGN_OR_RETURN(state->header, decode_header(header_bytes));
  if (state->header.version < 2)
    return Status(Errc::unsupported, "a version 1 snapshot cannot be folded beside its commits");
  ScratchFrame frame;
  SH_ASSIGN_OR_RETURN(auto snapshot_key, frame.take(kKeySize));
  SH_RETURN_IF_ERROR(token.snapshot_key->open(snapshot_key));
  SH_RETURN_IF_ERROR(state->take_key(snapshot_key));
  SH_RETURN_IF_ERROR(state->load(*file, covers));
  if (state->report.dropped_tail_bytes != 0 || state->position != job.position)
    return Status(Errc::busy, "the snapshot does not end where its fold was to start; the fold is dropped");
  return state;
}

}  // namespace

Result<FoldProgress> fold_file(const FoldJob& job, std::uint64_t covers) {
  SH_ASSIGN_OR_RETURN(const auto state, load_prefix(job, covers));
  ChainPosition leaves;
  SH_ASSIGN_OR_RETURN(const Bytes image, state->image(state->position, leaves));
  const std::string folded = JournalWriter::fold_path(job.file.path);
  // Created, never replaced: a fold file that is there belongs to another fold.
  auto out = job.file.fs->open_append(folded, true);
  if (!out.ok())
    return out.code() == Errc::already_exists ? Status(Errc::already_exists, "another fold of the snapshot is running")
                                              : out.status();
  Status written;
  for (std::size_t at = 0; written.ok() && at < image.size(); at += kFoldSyncBytes) {
    written = (*out)->append(ByteView(image).subspan(at, std::min(kFoldSyncBytes, image.size() - at)));
    if (written.ok())
      written = (*out)->sync();
  }
  if (!written.ok()) {
    out->reset();
    (void)job.file.fs->remove(folded);
    return written;
  }
  return FoldProgress{std::shared_ptr<AppendFile>(std::move(*out)), image.size(), covers};
}

Result<std::unique_ptr<Snapshot>> Snapshot::open(FileSystem& fs, const std::string& path, ByteView password,
                                                 const SnapshotOptions& options) {
  SH_ASSIGN_OR_RETURN(
      auto state,
      open_with(
          fs, path, options, [&](ByteView header_bytes, const Header& header, std::span<std::uint8_t> snapshot_key) {
            ScratchFrame frame;
            SH_ASSIGN_OR_RETURN(auto password_key, frame.take(kKeySize));
            SH_RETURN_IF_ERROR(derive_password_key(password, header, password_key));
            if (!vault::open(password_key, header_key_context(header_bytes), header.wrapped_key, snapshot_key).ok())
              return Status(Errc::wrong_password, "wrong password");
            return Status{};
          }));
  // Not compacted here even past the threshold: opening only to read writes nothing (the next
  // commit compacts).
  return with_writer(std::move(state));
}

Result<std::unique_ptr<Snapshot>> Snapshot::reopen(const ReopenToken& token) {
  if (token.fs == nullptr || !token.snapshot_key)
    return Status(Errc::invalid_argument, "an empty reopen token");
  SH_ASSIGN_OR_RETURN(auto state, open_with(*token.fs, token.path, token.options,
                                            [&](ByteView, const Header&, std::span<std::uint8_t> snapshot_key) {
                                              return token.snapshot_key->open(snapshot_key);
                                            }));
  return with_writer(std::move(state));
}

Snapshot::Parts Snapshot::split(std::unique_ptr<Snapshot> snapshot) {
  return Parts{std::move(snapshot->chain_), std::move(snapshot->journal_)};
}

Result<ReopenToken> Snapshot::reopen_token() const { return chain_.reopen_token(); }
const vault::Keystore& Snapshot::keystore() const noexcept { return chain_.keystore(); }
const OpenReport& Snapshot::open_report() const noexcept { return chain_.open_report(); }
const SnapshotOptions& Snapshot::options() const noexcept { return chain_.options(); }
std::uint64_t Snapshot::journal_bytes() const noexcept { return chain_.journal_bytes(); }
std::uint64_t Snapshot::file_bytes() const noexcept { return chain_.file_bytes(); }

Status Snapshot::commit(vault::Transaction&& transaction) { return commit(std::move(transaction).take()); }

Status Snapshot::commit(vault::ChangeSet changes) {
  if (changes.empty())
    return {};
  SH_ASSIGN_OR_RETURN(Chain::Sealed sealed, chain_.seal(std::move(changes)));
  SH_RETURN_IF_ERROR(journal_.append(sealed.entry));
  if (options().durability == Durability::sync)
    SH_RETURN_IF_ERROR(journal_.sync());
  chain_.apply(std::move(sealed.prepared), sealed.entry);
  if (journal_bytes() > options().compaction_threshold)
    (void)rewrite();  // the commit is already in the journal; compaction is retried next time
  return {};
}

Status Snapshot::sync() { return journal_.sync(); }

Status Snapshot::rewrite() {
  SH_ASSIGN_OR_RETURN(const Image image, chain_.image());
  SH_RETURN_IF_ERROR(journal_.replace(image));
  chain_.follow(image);
  return {};
}

Status Snapshot::compact() { return rewrite(); }

Status Snapshot::change_password(ByteView new_password) {
  Header with_salt = chain_.state_->header;
  runtime::random_bytes(with_salt.salt);
  ScratchFrame frame;
  SH_ASSIGN_OR_RETURN(auto password_key, frame.take(kKeySize));
  SH_RETURN_IF_ERROR(derive_password_key(new_password, with_salt, password_key));
  return chain_.rekey_then(password_key, with_salt.salt, [&] { return rewrite(); });
}

Status Snapshot::check_password(ByteView header_bytes, ByteView password) {
  SH_ASSIGN_OR_RETURN(const Header header, decode_header(header_bytes));
  ScratchFrame frame;
  SH_ASSIGN_OR_RETURN(auto password_key, frame.take(kKeySize));
  SH_ASSIGN_OR_RETURN(auto snapshot_key, frame.take(kKeySize));
  SH_RETURN_IF_ERROR(derive_password_key(password, header, password_key));
  if (!vault::open(password_key, header_key_context(header_bytes), header.wrapped_key, snapshot_key).ok())
    return Status(Errc::wrong_password, "wrong password");
  return {};
}

Result<NewPassword> Snapshot::prepare_password_change(ByteView header_bytes, ByteView current_password,
                                                      ByteView new_password) {
  if (const Status checked = check_password(header_bytes, current_password); !checked.ok())
    return checked.code() == Errc::wrong_password ? Status(Errc::wrong_password, "the current password is wrong")
                                                  : checked;
  SH_ASSIGN_OR_RETURN(Header header, decode_header(header_bytes));
  ScratchFrame frame;
  SH_ASSIGN_OR_RETURN(auto password_key, frame.take(kKeySize));
  NewPassword prepared;
  prepared.previous_header.assign(header_bytes.begin(), header_bytes.end());
  runtime::random_bytes(header.salt);
  prepared.salt = header.salt;
  SH_RETURN_IF_ERROR(derive_password_key(new_password, header, password_key));
  SH_ASSIGN_OR_RETURN(prepared.key, ShieldedSecret::seal(password_key));
  return prepared;
}

}  // namespace stronghold::snapshot
