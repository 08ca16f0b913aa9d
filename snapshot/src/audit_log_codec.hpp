// The audit log's records and the scanner that checks them, shared by the writer (which checks
// the file it continues) and the verifier. docs/audit-log-format.md describes the bytes.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "stronghold/snapshot/audit_log.hpp"
#include "stronghold/snapshot/file_system.hpp"

namespace stronghold::snapshot::audit {

using Hash = std::array<std::uint8_t, 32>;

inline constexpr std::array<std::uint8_t, 8> kMagic = {'S', 'H', 'L', 'D', 'A', 'U', 'D', 'T'};
inline constexpr std::uint16_t kVersion = 1;
// magic 8 | version 2 | continues: sequence 8, hash 32 | MAC 32 | checksum 8
inline constexpr std::size_t kHeaderSize = 90;
inline constexpr std::size_t kRecordHeaderSize = 3;  // kind u8 | body length u16
inline constexpr std::size_t kCheckSize = 8;         // an entry's chain check: the first bytes of its hash
inline constexpr std::size_t kSealBodySize = 72;     // sequence 8 | hash 32 | MAC 32
// sequence 8 | time 8 | kind 2 | outcome 1 | status 1 | digest 32 | three strings (2-byte varint
// lengths) | check
inline constexpr std::size_t kMaxEntryBody =
    52 + 2 + kAuditMaxCaller + 2 + kAuditMaxLocation + 2 + kAuditMaxRule + kCheckSize;
// A torn record is a prefix of an entry or a seal: shorter than this.
inline constexpr std::size_t kMaxTorn = kRecordHeaderSize + kMaxEntryBody;

enum RecordKind : std::uint8_t { kEntryRecord = 1, kSealRecord = 2, kRecoveryRecord = 3 };

// invalid_argument for a field over its bound or an unknown outcome.
Status check_entry(const AuditEntry& entry);

// hash_n = BLAKE2b-256(hash_{n-1} || entry n's body without its check).
Hash chain_next(const Hash& previous, ByteView entry);
// The MACs (keyed BLAKE2b-256, each under a label of its own) and the header's unkeyed checksum.
Hash header_mac(ByteView key, ByteView header);
Hash seal_mac(ByteView key, ByteView sequence_and_hash);
Hash recovery_mac(ByteView key, ByteView body_before_mac);
Hash header_checksum(ByteView header);
// True when `stored` (a MAC, or a check: at most 32 bytes) is the start of `expected`; in
// constant time.
bool matches(const Hash& expected, ByteView stored);
// An entry's body without its check into `out`: false unless it decodes exactly, every length
// within its bound. The strings are copied only `with_text` (verifying needs the rest alone).
bool parse_entry(ByteView body, AuditEntry& out, bool with_text);
// True when `rest`, what follows the last whole record, is what a crash leaves: fewer bytes than
// a record header, zeros to the end, or an entry or seal header asking for more bytes than follow.
bool is_torn(ByteView rest);

// `path.<first, 20 digits>`: the name a rotation gives the active file.
std::string rotated_path(const std::string& path, std::uint64_t first);
struct LogFile {
  std::string path;
  std::optional<std::uint64_t> first;  // the first sequence its name gives; none for the active file
};
// The rotated files, oldest first, then the active one; not_found when there is none.
Result<std::vector<LogFile>> log_files(FileSystem& fs, const std::string& path);

Bytes encode_header(ByteView key, const AuditHead& continues);
// Appends entry's record to `out` and moves `chain` past it.
void append_entry_record(const AuditEntry& entry, AuditHead& chain, Bytes& out);
void append_seal_record(ByteView key, const AuditHead& head, Bytes& out);
struct Recovery {
  AuditHead head;         // the chain after the entries it seals
  std::uint64_t entries;  // unsealed entries before it
  std::uint64_t zero_bytes;
  ByteView torn;
};
void append_recovery_record(ByteView key, const Recovery& recovery, Bytes& out);

// Why a scan stopped.
enum class Stop {
  none,
  damaged,    // anything a crash does not leave: edited, malformed, bad seal, out of order
  wrong_key,  // a sound header whose MAC does not verify
  torn,       // the file ends in a torn record or zeros, after whole records
  unsealed,   // the file ends with whole entries after its last seal
  anchor,     // the log does not pass through the anchor
};

// Checks the files of a log in order, carrying the chain from one to the next.
class Scanner {
 public:
  using Visit = vault::FunctionRef<void(const AuditEntry&)>;
  Scanner(ByteView key, std::optional<AuditHead> anchor, std::int64_t since_ms, const Visit* visit);

  // One file whose name says it starts at `named_first` (a rotated file) or not (the active
  // one). False at the first break.
  bool scan(const std::string& name, ByteView file, std::optional<std::uint64_t> named_first);
  // After the last file (which ended at `end`): checks that the anchor was reached.
  bool finish(const std::string& name, std::uint64_t end);

  AuditVerification& result() noexcept { return result_; }
  Stop stop() const noexcept { return stop_; }
  // Of the file scanned last: the first sequence it continues with, where its last whole record
  // that chains ends, and the chain there.
  std::uint64_t file_first() const noexcept { return file_first_; }
  std::uint64_t chained_end() const noexcept { return chained_end_; }
  const AuditHead& chained() const noexcept { return chained_; }

 private:
  bool header(ByteView file, std::optional<std::uint64_t> named_first);
  bool start_from(const AuditHead& continues);
  bool follows_previous_file(const AuditHead& continues);
  bool record(ByteView file);
  bool torn_end(std::size_t torn);
  bool entry(ByteView body);
  bool seal(ByteView body);
  bool recovery(ByteView body);
  // The checks every seal and recovery record share, then the move of the sealed head.
  bool seal_follows(std::uint64_t sequence, const Hash& hash, std::string_view what);
  bool check_anchor();
  bool end_of_file();
  bool fail(Stop stop, std::uint64_t sequence, std::string what);

  ByteView key_;
  std::optional<AuditHead> anchor_;
  std::int64_t since_ms_;
  const Visit* visit_;
  AuditVerification result_;
  Stop stop_ = Stop::none;
  bool started_ = false;
  bool anchor_checked_ = false;
  std::string name_;
  std::uint64_t offset_ = 0;  // of the record being checked
  std::uint64_t file_first_ = 1;
  std::uint64_t chained_end_ = 0;
  std::uint64_t unsealed_from_ = 0;  // offset of the first entry after the last seal
  AuditHead sealed_;
  AuditHead chained_;
  AuditEntry parsed_;                         // reused: no allocation per entry when verifying
  std::vector<AuditEntry> unsealed_entries_;  // when visiting
};

}  // namespace stronghold::snapshot::audit
