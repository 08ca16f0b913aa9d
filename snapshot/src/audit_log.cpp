// The audit log's writer: opening (with the recovery of a crashed tail), appending, sealing and
// rotating.
#include <algorithm>
#include <chrono>
#include <thread>

#include <fmt/format.h>

#include "audit_log_codec.hpp"
#include "stronghold/snapshot/journal_writer.hpp"

namespace stronghold::snapshot {
namespace {

using audit::Scanner;
using audit::Stop;

// How long open waits for another writer's lock: a restarted engine's new writer opens while the
// old one may still be appending its last batch (at most kMaxAuditBatch entries and a sync).
constexpr auto kLockWait = std::chrono::seconds(2);

// One writer at a time: a second one repairing what it takes for a torn tail would rewrite the
// file under the first, whose next appends would go to the old, unlinked file.
Result<std::unique_ptr<FileLock>> lock_log(FileSystem& fs, const std::string& path) {
  const auto give_up = std::chrono::steady_clock::now() + kLockWait;
  for (;;) {
    auto lock = fs.lock(path + ".lock");
    if (lock.code() != Errc::busy)
      return lock;
    if (std::chrono::steady_clock::now() >= give_up)
      return error(Errc::busy, "another writer holds the audit log {} ({}.lock)", path, path);
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

Status refusal(const std::string& path, Scanner& scanner) {
  const AuditBreak at = scanner.result().first_break.value_or(AuditBreak{});  // set when a scan fails
  return error(scanner.stop() == Stop::wrong_key ? Errc::authentication_failed : Errc::corrupted,
               "the audit log {} breaks at byte {} (entry {}): {}", path, at.offset, at.sequence, at.what);
}

// Where the newest rotated file leaves the chain, for a new active file to continue from; the
// empty chain when there is no file at all.
Result<AuditHead> newest_rotated_end(FileSystem& fs, const std::string& path, ByteView key) {
  auto files = audit::log_files(fs, path);
  if (files.code() == Errc::not_found)
    return AuditHead{};
  SH_RETURN_IF_ERROR(files.status());
  const audit::LogFile& newest = files->back();
  SH_ASSIGN_OR_RETURN(const Bytes bytes, fs.read_file(newest.path, kAuditMaxFileBytes));
  Scanner scanner(key, std::nullopt, 0, nullptr);
  if (!scanner.scan(newest.path, bytes, newest.first))
    return refusal(newest.path, scanner);
  return scanner.result().head;
}

// The file cut after its last whole entry, then a recovery record that seals the entries after
// the last seal and keeps what followed them: a copy of a torn record, or the count of zeros.
Bytes recovery_image(ByteView key, ByteView file, const Scanner& scanner, std::uint64_t sealed) {
  const ByteView rest = file.subspan(scanner.chained_end());
  const bool zeros = std::all_of(rest.begin(), rest.end(), [](std::uint8_t b) { return b == 0; });
  Bytes image(file.begin(), file.begin() + static_cast<std::ptrdiff_t>(scanner.chained_end()));
  audit::append_recovery_record(
      key, {scanner.chained(), scanner.chained().sequence - sealed, zeros ? rest.size() : 0, zeros ? ByteView{} : rest},
      image);
  return image;
}

}  // namespace

AuditLog::AuditLog(FileSystem& fs, std::string path, runtime::GuardedKey key, AuditLogOptions options)
    : fs_(&fs), path_(std::move(path)), key_(std::move(key)), options_(options) {}

AuditLog::~AuditLog() = default;

Result<std::unique_ptr<AuditLog>> AuditLog::open(FileSystem& fs, const std::string& path, ByteView mac_key,
                                                 AuditLogOptions options) {
  if (mac_key.size() != kAuditKeySize)
    return error(Errc::invalid_argument, "an audit log key is {} bytes, not {}", kAuditKeySize, mac_key.size());
  options.max_file_bytes = std::min(options.max_file_bytes, kAuditMaxFileBytes / 2);
  SH_ASSIGN_OR_RETURN(runtime::GuardedKey key, runtime::GuardedKey::from(mac_key));
  std::unique_ptr<AuditLog> log(new AuditLog(fs, path, std::move(key), options));
  SH_ASSIGN_OR_RETURN(log->lock_, lock_log(fs, path));
  auto existing = fs.read_file(path, kAuditMaxFileBytes);
  if (existing.ok()) {
    SH_RETURN_IF_ERROR(log->resume(*existing));
  } else if (existing.code() == Errc::not_found) {
    SH_ASSIGN_OR_RETURN(const AuditHead continues, newest_rotated_end(fs, path, mac_key));
    SH_RETURN_IF_ERROR(log->start(continues));
  } else {
    return existing.status();
  }
  log->chained_ = log->sealed_;
  return log;
}

// A new active file, written whole before it gets its name.
Status AuditLog::start(const AuditHead& continues) {
  const Bytes header = audit::encode_header(key_.bytes(), continues);
  SH_RETURN_IF_ERROR(write_file_atomically(*fs_, path_, header));
  file_first_ = continues.sequence + 1;
  return adopt(header.size(), continues);
}

Status AuditLog::resume(ByteView file) {
  Scanner scanner(key_.bytes(), std::nullopt, 0, nullptr);
  if (scanner.scan(path_, file, std::nullopt)) {
    file_first_ = scanner.file_first();
    return adopt(file.size(), scanner.result().head);
  }
  if (scanner.stop() != Stop::torn && scanner.stop() != Stop::unsealed)
    return refusal(path_, scanner);
  const Bytes image = recovery_image(key_.bytes(), file, scanner, scanner.result().head.sequence);
  SH_RETURN_IF_ERROR(write_file_atomically(*fs_, path_, image));
  file_first_ = scanner.file_first();
  return adopt(image.size(), scanner.chained());
}

Status AuditLog::adopt(std::uint64_t size, const AuditHead& sealed) {
  SH_ASSIGN_OR_RETURN(file_, fs_->open_append(path_, false));
  size_ = size;
  sealed_ = sealed;  // a rotation keeps the entries appended since (chained_)
  return {};
}

Status AuditLog::refuse_if_broken() const {
  if (broken_ || !file_)
    return error(Errc::io_error, "an earlier write to the audit log {} failed; open it again", path_);
  return {};
}

Status AuditLog::append(std::span<AuditEntry> entries) {
  SH_RETURN_IF_ERROR(refuse_if_broken());
  for (const AuditEntry& entry : entries)
    SH_RETURN_IF_ERROR(audit::check_entry(entry));
  for (AuditEntry& entry : entries) {
    audit::append_entry_record(entry, chained_, pending_);
    entry.sequence = chained_.sequence;
  }
  return {};
}

Status AuditLog::flush(bool sync) {
  SH_RETURN_IF_ERROR(refuse_if_broken());
  if (chained_.sequence != sealed_.sequence)
    SH_RETURN_IF_ERROR(write_pending());
  if (sync && unsynced_)
    SH_RETURN_IF_ERROR(sync_file());
  return {};
}

Status AuditLog::write_pending() {
  // A file holding no entry is not rotated: its name would be taken by the next one.
  if (size_ > options_.max_file_bytes && sealed_.sequence >= file_first_)
    SH_RETURN_IF_ERROR(rotate());
  audit::append_seal_record(key_.bytes(), chained_, pending_);
  Status written = file_->append(pending_);
  const std::uint64_t size = pending_.size();
  pending_.clear();
  if (!written.ok()) {
    broken_ = true;
    return written;
  }
  size_ += size;
  sealed_ = chained_;
  unsynced_ = true;
  return {};
}

Status AuditLog::sync_file() {
  if (Status synced = file_->sync(); !synced.ok()) {
    broken_ = true;
    return synced;
  }
  unsynced_ = false;
  return {};
}

// Renames the active file (synced first) and starts a new one continuing the chain; the
// directory sync that makes the new file durable makes the rename durable too.
Status AuditLog::rotate() {
  Status rotated = unsynced_ ? sync_file() : Status{};
  if (rotated.ok()) {
    file_.reset();
    rotated = fs_->rename(path_, audit::rotated_path(path_, file_first_));
  }
  if (rotated.ok())
    rotated = start(sealed_);
  broken_ = !rotated.ok();
  return rotated;
}

}  // namespace stronghold::snapshot
