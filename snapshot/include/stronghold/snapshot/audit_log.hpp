// The tamper-evident audit log: one entry per request the engine serves, in files of records
// (docs/audit-log-format.md gives the bytes).
//
// Entries form a hash chain (hash_n = BLAKE2b-256(hash_{n-1} || entry n)); each flush ends with a
// seal, a MAC under the log's key over (sequence, hash). Whoever can write the files but lacks the
// key cannot forge entries, nor edit, drop, reorder or insert one before the last seal unnoticed.
// Cutting the log back to an earlier seal, or deleting it whole, cannot be seen from the log
// alone: the engine records the head (AuditLog::head) elsewhere, in the snapshot, and passes it
// to verify_audit_log as the anchor.
//
// Files: `path` is the active one; when it has grown past AuditLogOptions::max_file_bytes a flush
// renames it to `path.<its first sequence, 20 digits>` and starts a new `path` whose header
// continues the chain. Rotated files may be deleted oldest first (retention): the rest still
// verifies from the first one left.
//
// All file access goes through FileSystem. Every length read from a file is checked against its
// bound before anything is allocated: hostile files give a break or an error, never a crash.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "stronghold/runtime/guarded_key.hpp"
#include "stronghold/snapshot/file_system.hpp"
#include "stronghold/vault/function_ref.hpp"

namespace stronghold::snapshot {

inline constexpr std::size_t kAuditKeySize = 32;
inline constexpr std::size_t kAuditMaxCaller = 255;
inline constexpr std::size_t kAuditMaxLocation = 527;
inline constexpr std::size_t kAuditMaxRule = 255;
// The largest file any audit function reads; AuditLogOptions::max_file_bytes is capped below it.
inline constexpr std::uint64_t kAuditMaxFileBytes = std::uint64_t{1} << 30;

enum class AuditOutcome : std::uint8_t { allowed = 1, denied = 2, failed = 3, pending = 4, approved = 5, expired = 6 };

struct AuditEntry {
  std::uint64_t sequence = 0;  // assigned by AuditLog::append: 1, 2, 3 ... across rotated files
  std::int64_t time_ms = 0;    // unix milliseconds
  std::string caller;          // at most kAuditMaxCaller bytes ("uid:1000", "app-name", "client:<name>")
  std::uint16_t kind = 0;      // a request kind number
  std::string location;        // "VAULT/RECORD", a vault, or empty; at most kAuditMaxLocation bytes
  AuditOutcome outcome = AuditOutcome::allowed;
  std::uint8_t status = 0;                // the error code (Errc as a number) when failed or denied, else 0
  std::string rule;                       // the policy rule that decided, empty when none; at most kAuditMaxRule bytes
  std::array<std::uint8_t, 32> digest{};  // BLAKE2b-256 of the request's message; zero when none

  friend bool operator==(const AuditEntry&, const AuditEntry&) = default;
};

// Where the chain stands after entry `sequence` (0 with a zero hash: the empty log).
struct AuditHead {
  std::uint64_t sequence = 0;
  std::array<std::uint8_t, 32> hash{};

  friend bool operator==(const AuditHead&, const AuditHead&) = default;
};

struct AuditLogOptions {
  // A flush first rotates the active file when it is larger than this (capped at
  // kAuditMaxFileBytes / 2, so a file and one flush stay readable).
  std::uint64_t max_file_bytes = std::uint64_t{64} << 20;
};

// One writer (the actor that owns it); not thread-safe. An open log holds an exclusive lock on
// `path.lock` (FileSystem::lock), so a second writer of the same files waits for the first.
class AuditLog {
 public:
  // Opens the log at `path`, continuing its chain, or starts one (a new `path` continuing the
  // newest rotated file, or the empty chain). Waits up to 2 s for another writer's lock, then
  // answers busy. `mac_key` (kAuditKeySize bytes, else
  // invalid_argument) is copied into guarded memory; the caller wipes its own copy.
  //
  // Only the active file is checked here (verify_audit_log checks them all). A break before its
  // last seal, or a whole record after it that does not chain, refuses with corrupted and a
  // message naming the first break, and nothing is written; a header whose MAC does not verify
  // under `mac_key` is authentication_failed. What a crash leaves after the last seal (whole
  // entries never sealed, then at most a torn record or zeros the file system allocated) is kept:
  // the file is rewritten atomically with a recovery record after the whole entries that seals
  // them, counts the zeros and holds a copy of the torn bytes. verify_audit_log reports recovered
  // entries apart (AuditVerification::recoveries): they were not sealed before the crash.
  static Result<std::unique_ptr<AuditLog>> open(FileSystem& fs, const std::string& path, ByteView mac_key,
                                                AuditLogOptions options = {});

  // Numbers the entries (filling each one's sequence), chains them and buffers them; nothing is
  // written before flush. invalid_argument for a field over its bound or an unknown outcome, and
  // then nothing is appended. Entries still buffered when the log is destroyed are lost.
  Status append(std::span<AuditEntry> entries);
  // Writes the buffered entries followed by a seal, rotating first when the active file is over
  // max_file_bytes, and fdatasyncs when `sync` (only then are the entries durable). With nothing
  // buffered it writes nothing (and syncs what an earlier unsynced flush wrote, when `sync`). A
  // failure leaves the log broken: the buffered entries are lost, every later call fails, and
  // open() again keeps whatever of them reached the file, as after a crash.
  Status flush(bool sync);
  // The head of the last seal written (by a flush, or found by open). After a failed sync that
  // seal may not be durable: take the head to record (the anchor) from the log opened again.
  AuditHead head() const noexcept { return sealed_; }
  bool broken() const noexcept { return broken_; }

  AuditLog(const AuditLog&) = delete;
  AuditLog& operator=(const AuditLog&) = delete;
  ~AuditLog();

 private:
  AuditLog(FileSystem& fs, std::string path, runtime::GuardedKey key, AuditLogOptions options);
  Status start(const AuditHead& continues);
  Status resume(ByteView file);
  Status adopt(std::uint64_t size, const AuditHead& sealed);
  Status refuse_if_broken() const;
  Status write_pending();
  Status sync_file();
  Status rotate();

  FileSystem* fs_;
  std::string path_;
  runtime::GuardedKey key_;
  AuditLogOptions options_;
  std::unique_ptr<FileLock> lock_;  // released after file_ is closed
  std::unique_ptr<AppendFile> file_;
  std::uint64_t size_ = 0;        // of the active file
  std::uint64_t file_first_ = 1;  // the first sequence the active file holds or will hold
  AuditHead sealed_;              // at the last seal written
  AuditHead chained_;             // after the last entry appended
  Bytes pending_;                 // records appended, not yet written
  bool unsynced_ = false;
  bool broken_ = false;
};

// A place where the log stops verifying.
struct AuditBreak {
  std::string file;            // the path of the file it is in
  std::uint64_t offset = 0;    // of the record (or header) at fault, or the end of the file
  std::uint64_t sequence = 0;  // the first entry it concerns
  std::string what;            // starts with edited, dropped, reordered, malformed, truncated,
                               // bad seal, unsealed tail or anchor not reached, then the details
};

// Entries a recovery record sealed at open after a crash.
struct AuditRecovery {
  std::string file;
  std::uint64_t offset = 0;  // of the recovery record
  std::uint64_t first_sequence = 0;
  std::uint64_t entries = 0;     // unsealed entries it sealed (first_sequence onwards)
  std::uint64_t torn_bytes = 0;  // a torn record's bytes it holds a copy of
  std::uint64_t zero_bytes = 0;  // zeros the file system left, which it counts
};

struct AuditVerification {
  std::uint64_t entries = 0;         // verified (sealed) entries
  std::uint64_t first_sequence = 0;  // where the first retained file starts (older ones deleted)
  AuditHead head;                    // at the last seal verified
  std::vector<AuditRecovery> recoveries;
  std::optional<AuditBreak> first_break;
};

// Checks every file of the log, rotated ones oldest first, then `path`: each header's MAC and its
// place in the chain, each entry's sequence and chain link, each seal's MAC, and that the log ends
// with a seal. With `anchor` (a head recorded elsewhere) the chain must pass through it: its
// sequence with its hash (an anchor older than the first retained entry cannot be checked and is
// not a break). Stops at the first break. Errors: invalid_argument for a key of the wrong size,
// not_found when there is no file, resource_exhausted for a file over kAuditMaxFileBytes, I/O
// errors; a damaged file is a break, not an error.
Result<AuditVerification> verify_audit_log(FileSystem& fs, const std::string& path, ByteView mac_key,
                                           std::optional<AuditHead> anchor = {});

// Verifies as verify_audit_log (without an anchor) and calls `visit` with each entry from
// `since_ms` on, in order, once the seal after it has verified: nothing past the first break is
// visited.
Result<AuditVerification> read_audit_log(FileSystem& fs, const std::string& path, ByteView mac_key,
                                         std::int64_t since_ms, vault::FunctionRef<void(const AuditEntry&)> visit);

// "allowed", "denied", ...; "unknown" for a value outside the enumeration.
std::string_view audit_outcome_name(AuditOutcome outcome) noexcept;

// One JSON object: sequence, time (unix ms), caller, kind, location, outcome (its name), status,
// rule, digest (hex). Strings are escaped (quote, backslash, control characters), and a byte that
// is not part of well-formed UTF-8 becomes U+FFFD: the output is always valid UTF-8 JSON.
std::string audit_entry_json(const AuditEntry& entry);

}  // namespace stronghold::snapshot
