// The audit log: round trips, a tamper sweep (flips, drops, swaps, truncations), rotation, the
// wrong key, crashed tails, failures at every file step, and the JSON form.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "faulty_file_system.hpp"
#include "stronghold/runtime/utf8.hpp"
#include "stronghold/snapshot/audit_log.hpp"
#include "support/temp_dir.hpp"

using namespace stronghold;
using namespace stronghold::snapshot;
using stronghold::test::FaultyFileSystem;

namespace {

const std::string kDir = "/audit";
const std::string kPath = "/audit/requests.log";
const Bytes kKey(kAuditKeySize, 0x11);
const Bytes kOtherKey(kAuditKeySize, 0x22);
constexpr std::size_t kHeaderBytes = 90;

std::string in_audit_dir(const std::string& name) { return kDir + '/' + name; }

FaultyFileSystem memory_fs() { return FaultyFileSystem(-1, FaultyFileSystem::Fault::none, 1); }

AuditEntry entry_number(std::uint64_t i) {
  AuditEntry entry;
  entry.time_ms = 1'700'000'000'000 + static_cast<std::int64_t>(i) * 1000;
  entry.caller = i % 3 == 0 ? "uid:1000" : "client:tool";
  entry.kind = static_cast<std::uint16_t>(i % 40);
  entry.location = i % 5 == 0 ? "" : "wallet/key-" + std::to_string(i % 7);
  entry.outcome = static_cast<AuditOutcome>(1 + i % 6);
  entry.status = entry.outcome == AuditOutcome::failed ? 8 : 0;
  entry.rule = i % 4 == 0 ? "deny-export" : "";
  entry.digest[0] = static_cast<std::uint8_t>(i);
  entry.digest[31] = static_cast<std::uint8_t>(i >> 8);
  return entry;
}

// Appends entries first..last, flushing every `every`, then flushes; returns what was written.
std::vector<AuditEntry> write_entries(AuditLog& log, std::uint64_t first, std::uint64_t last, std::uint64_t every) {
  std::vector<AuditEntry> written;
  for (std::uint64_t i = first; i <= last; ++i) {
    AuditEntry entry = entry_number(i);
    REQUIRE(log.append({&entry, 1}).ok());
    written.push_back(entry);
    if (i % every == 0)
      REQUIRE(log.flush(false).ok());
  }
  REQUIRE(log.flush(true).ok());
  return written;
}

Bytes file_of(FaultyFileSystem& fs, const std::string& path) { return fs.read_file(path, 1u << 30).value(); }

void put_file(FaultyFileSystem& fs, const std::string& path, ByteView bytes) {
  REQUIRE(fs.remove(path).ok());
  auto file = fs.open_append(path, true);
  REQUIRE(file.ok());
  REQUIRE((*file)->append(bytes).ok());
}

std::vector<AuditEntry> read_all(FileSystem& fs, ByteView key = kKey, std::int64_t since = 0) {
  std::vector<AuditEntry> entries;
  auto read = read_audit_log(fs, kPath, key, since, [&](const AuditEntry& entry) { entries.push_back(entry); });
  REQUIRE_MESSAGE(read.ok(), read.status().to_string());
  return entries;
}

AuditVerification verify(FileSystem& fs, std::optional<AuditHead> anchor = {}, ByteView key = kKey) {
  auto verified = verify_audit_log(fs, kPath, key, anchor);
  REQUIRE_MESSAGE(verified.ok(), verified.status().to_string());
  return std::move(verified).value();
}

std::string break_text(const AuditVerification& verification) {
  if (!verification.first_break)
    return "no break";
  const AuditBreak& at = *verification.first_break;
  return at.file + " @" + std::to_string(at.offset) + " #" + std::to_string(at.sequence) + ": " + at.what;
}

// The records of a file as the format lays them out: kind u8 | length u16 | body.
struct Record {
  std::size_t offset;
  std::size_t size;  // header included
  std::uint8_t kind;
  std::uint64_t sequence;  // an entry's; the sequence a seal covers
};
constexpr std::uint8_t kEntry = 1;

std::vector<Record> records_of(ByteView file) {
  std::vector<Record> records;
  for (std::size_t at = kHeaderBytes; at < file.size();) {
    const std::size_t size = 3 + (file[at + 1] | static_cast<std::size_t>(file[at + 2]) << 8);
    std::uint64_t sequence = 0;
    for (int i = 7; i >= 0; --i)
      sequence = sequence << 8 | file[at + 3 + static_cast<std::size_t>(i)];
    records.push_back({at, size, file[at], sequence});
    at += size;
  }
  return records;
}

// One file, kPath, whose bytes the sweep changes in place: verifying reads it with one copy.
class SweepFileSystem final : public FileSystem {
 public:
  Bytes file;
  Result<std::string> resolve(const std::string& path) override { return path; }
  Result<Bytes> read_file(const std::string& path, std::uint64_t) override {
    if (path != kPath)
      return Status(Errc::not_found, path);
    return file;
  }
  bool exists(const std::string& path) override { return path == kPath; }
  Result<std::vector<std::string>> list(const std::string&) override {
    return std::vector<std::string>{"requests.log"};
  }
  Result<std::unique_ptr<AppendFile>> open_append(const std::string&, bool) override { return read_only(); }
  Status truncate(const std::string&, std::uint64_t) override { return read_only(); }
  Status rename(const std::string&, const std::string&) override { return read_only(); }
  Status remove(const std::string&) override { return read_only(); }
  Status sync_directory(const std::string&) override { return read_only(); }
  Result<std::unique_ptr<FileLock>> lock(const std::string&) override { return read_only(); }

 private:
  static Status read_only() { return Status(Errc::unsupported, "the sweep's file system is read-only"); }
};

struct SweepLog {
  SweepFileSystem fs;
  Bytes file;
  std::vector<Record> records;
  AuditHead head;
};

// A log of `count` entries flushed every 16.
void make_sweep_log(SweepLog& log, std::uint64_t count) {
  FaultyFileSystem written = memory_fs();
  auto opened = AuditLog::open(written, kPath, kKey);
  REQUIRE(opened.ok());
  write_entries(**opened, 1, count, 16);
  log.head = (*opened)->head();
  log.file = file_of(written, kPath);
  log.records = records_of(log.file);
}

// Verifies `mutated` in place of the sweep log's file, anchored at its head.
AuditVerification verify_mutation(SweepLog& log, ByteView mutated) {
  log.fs.file.assign(mutated.begin(), mutated.end());
  return verify(log.fs, log.head);
}

const Record& record_at(const std::vector<Record>& records, std::size_t offset) {
  return *std::prev(std::upper_bound(records.begin(), records.end(), offset,
                                     [](std::size_t at, const Record& record) { return at < record.offset; }));
}

// Flips byte `at` of the file system's copy of the log (and back) and checks that the break
// names its record (and an entry's sequence).
void check_flip(SweepLog& log, std::size_t at) {
  log.fs.file[at] ^= 0x01;
  const AuditVerification result = verify(log.fs, log.head);
  log.fs.file[at] ^= 0x01;
  INFO("flip at " << at << ": " << break_text(result));
  REQUIRE(result.first_break);
  if (at < kHeaderBytes) {
    CHECK(result.first_break->offset == 0);
    return;
  }
  const Record& record = record_at(log.records, at);
  CHECK(result.first_break->offset == record.offset);
  if (record.kind == kEntry)
    CHECK(result.first_break->sequence == record.sequence);
}

// Cuts the log where record `r` starts, drops it when an entry, and swaps it with the next when
// both are entries; each must break where record `r` is. `sealed` is the sequence of the last
// seal before it.
void check_record_mutations(SweepLog& log, std::size_t r, std::uint64_t sealed) {
  const Record& record = log.records[r];
  const auto begin = log.file.begin() + static_cast<std::ptrdiff_t>(record.offset);
  const auto end = begin + static_cast<std::ptrdiff_t>(record.size);
  const AuditVerification cut = verify_mutation(log, Bytes(log.file.begin(), begin));
  INFO("record " << r << " at " << record.offset << ", cut there: " << break_text(cut));
  REQUIRE(cut.first_break);
  CHECK(cut.first_break->sequence == sealed + 1);
  const bool tail = r > 0 && log.records[r - 1].kind == kEntry;  // entries after the last seal
  CHECK(cut.first_break->what.starts_with(tail ? "unsealed tail" : "anchor not reached"));
  if (record.kind != kEntry)
    return;
  Bytes dropped(log.file.begin(), begin);
  dropped.insert(dropped.end(), end, log.file.end());
  const AuditVerification drop = verify_mutation(log, dropped);
  REQUIRE_MESSAGE(drop.first_break, "drop of entry ", record.sequence);
  CHECK(drop.first_break->offset == record.offset);
  CHECK(drop.first_break->sequence == record.sequence);
  CHECK(drop.first_break->what.starts_with("dropped"));
  if (r + 1 == log.records.size() || log.records[r + 1].kind != kEntry)
    return;
  const auto next_end = end + static_cast<std::ptrdiff_t>(log.records[r + 1].size);
  Bytes swapped(log.file.begin(), begin);
  swapped.insert(swapped.end(), end, next_end);
  swapped.insert(swapped.end(), begin, end);
  swapped.insert(swapped.end(), next_end, log.file.end());
  const AuditVerification swap = verify_mutation(log, swapped);
  REQUIRE_MESSAGE(swap.first_break, "swap of entry ", record.sequence, " with the next");
  CHECK(swap.first_break->offset == record.offset);
  CHECK(swap.first_break->sequence == record.sequence);
}

// The sequence of the last seal before each record.
std::vector<std::uint64_t> sealed_before(const std::vector<Record>& records) {
  std::vector<std::uint64_t> sealed(records.size(), 0);
  for (std::size_t r = 1; r < records.size(); ++r)
    sealed[r] = records[r - 1].kind == kEntry ? sealed[r - 1] : records[r - 1].sequence;
  return sealed;
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

TEST_CASE("an audit log reads back what was appended, across a reopen, and verifies clean") {
  FaultyFileSystem fs = memory_fs();
  std::vector<AuditEntry> written;
  AuditHead head;
  {
    auto log = AuditLog::open(fs, kPath, kKey);
    REQUIRE(log.ok());
    CHECK((*log)->head() == AuditHead{});
    written = write_entries(**log, 1, 40, 7);
    head = (*log)->head();
    CHECK(head.sequence == 40);
  }
  auto reopened = AuditLog::open(fs, kPath, kKey);
  REQUIRE(reopened.ok());
  CHECK((*reopened)->head() == head);
  const std::vector<AuditEntry> more = write_entries(**reopened, 41, 50, 100);
  written.insert(written.end(), more.begin(), more.end());
  for (std::uint64_t i = 0; i < written.size(); ++i)
    CHECK(written[i].sequence == i + 1);

  CHECK(read_all(fs) == written);
  const AuditVerification clean = verify(fs, (*reopened)->head());
  CHECK_MESSAGE(!clean.first_break, break_text(clean));
  CHECK(clean.entries == 50);
  CHECK(clean.head == (*reopened)->head());
  CHECK(clean.recoveries.empty());
  // Reading from a time on skips what came before.
  CHECK(read_all(fs, kKey, written[44].time_ms) == std::vector<AuditEntry>(written.begin() + 44, written.end()));
  // An anchor from before the reopen is on the way: still clean.
  CHECK_MESSAGE(!verify(fs, head).first_break, "anchored at 40");
}

TEST_CASE("append refuses an entry with a field over its bound and appends none of the batch") {
  FaultyFileSystem fs = memory_fs();
  auto log = AuditLog::open(fs, kPath, kKey);
  REQUIRE(log.ok());
  std::vector<AuditEntry> batch = {entry_number(1), entry_number(2)};
  batch[1].rule = std::string(kAuditMaxRule + 1, 'r');
  CHECK((*log)->append(batch).code() == Errc::invalid_argument);
  batch[1].rule = std::string(kAuditMaxRule, 'r');
  batch[1].location = std::string(kAuditMaxLocation, 'l');
  batch[1].caller = std::string(kAuditMaxCaller, 'c');
  REQUIRE((*log)->append(batch).ok());
  REQUIRE((*log)->flush(true).ok());
  CHECK(batch[0].sequence == 1);
  CHECK(read_all(fs) == batch);
}

// Each flip costs a verification up to the byte it changed, so the sweep grows with the square
// of the log: 300 entries (sequences past one byte, 19 seals) take a tenth of 1,000's time, which
// was 358 s of the suite's 1,324 under the sanitizers. The larger logs below take samples.
TEST_CASE("every single-byte flip of a 300-entry audit log is detected at the record it hit") {
  SweepLog log;
  make_sweep_log(log, 300);
  const auto start = std::chrono::steady_clock::now();
  log.fs.file = log.file;
  for (std::size_t at = 0; at < log.file.size(); ++at)
    check_flip(log, at);
  MESSAGE("flips of " << log.file.size() << " bytes in " << seconds_since(start) << " s");
  const AuditVerification clean = verify_mutation(log, log.file);
  CHECK_MESSAGE(!clean.first_break, break_text(clean));
  CHECK(clean.entries == 300);
}

TEST_CASE("every dropped entry, adjacent swap and cut at a record boundary of a 1,000-entry audit log is detected") {
  SweepLog log;
  make_sweep_log(log, 1000);
  const std::vector<std::uint64_t> sealed = sealed_before(log.records);
  for (std::size_t r = 0; r < log.records.size(); ++r)
    check_record_mutations(log, r, sealed[r]);
  for (const std::ptrdiff_t cut : {std::ptrdiff_t{0}, std::ptrdiff_t{kHeaderBytes / 2}}) {
    const AuditVerification header_cut = verify_mutation(log, Bytes(log.file.begin(), log.file.begin() + cut));
    REQUIRE_MESSAGE(header_cut.first_break, "cut at ", cut);
    CHECK(header_cut.first_break->offset == 0);
  }
}

// Each mutation costs a verification up to the place it was made: the 10,000-entry log gets a
// sample (the first 1,000 and last 100 records, every 50th between; every header byte, every
// byte of the first and last seal, and byte k mod 75 of seal k), the smaller logs above all.
TEST_CASE("a 10,000-entry audit log verifies, and detects sampled flips, drops, swaps and cuts") {
  SweepLog log;
  make_sweep_log(log, 10000);
  const auto start = std::chrono::steady_clock::now();
  const AuditVerification clean = verify_mutation(log, log.file);
  CHECK_MESSAGE(!clean.first_break, break_text(clean));
  CHECK(clean.entries == 10000);
  CHECK(clean.head == log.head);
  MESSAGE("a clean verification of " << log.file.size() << " bytes takes " << seconds_since(start) << " s");
  for (std::size_t at = 0; at < kHeaderBytes; ++at)
    check_flip(log, at);
  const std::vector<std::uint64_t> sealed = sealed_before(log.records);
  std::vector<std::size_t> seals;
  for (std::size_t r = 0; r < log.records.size(); ++r) {
    if (log.records[r].kind != kEntry)
      seals.push_back(r);
    if (r < 1000 || r + 100 >= log.records.size() || r % 50 == 0)
      check_record_mutations(log, r, sealed[r]);
  }
  log.fs.file = log.file;
  for (std::size_t k = 0; k < seals.size(); ++k) {
    const Record& seal = log.records[seals[k]];
    const bool every_byte = k == 0 || k + 1 == seals.size();
    for (std::size_t at = 0; at < seal.size; ++at)
      if (every_byte || at == k % seal.size)
        check_flip(log, seal.offset + at);
  }
  MESSAGE(log.records.size() << " records, " << log.file.size() << " bytes, swept in " << seconds_since(start) << " s");
}

TEST_CASE("a rotated audit log verifies across its files, without its oldest, and not with one edited") {
  FaultyFileSystem fs = memory_fs();
  AuditHead head;
  std::vector<AuditEntry> written;
  {
    auto log = AuditLog::open(fs, kPath, kKey, AuditLogOptions{.max_file_bytes = 2000});
    REQUIRE(log.ok());
    written = write_entries(**log, 1, 200, 10);
    head = (*log)->head();
  }
  std::vector<std::string> rotated = fs.list(kDir).value();
  std::erase(rotated, "requests.log");
  std::sort(rotated.begin(), rotated.end());
  REQUIRE(rotated.size() >= 4);
  CHECK(rotated.front() == "requests.log.00000000000000000001");
  const AuditVerification all = verify(fs, head);
  CHECK_MESSAGE(!all.first_break, break_text(all));
  CHECK(all.entries == 200);
  CHECK(read_all(fs) == written);

  SUBCASE("deleting the oldest file leaves a log that verifies from the next") {
    REQUIRE(fs.remove(in_audit_dir(rotated.front())).ok());
    const AuditVerification rest = verify(fs, head);
    CHECK_MESSAGE(!rest.first_break, break_text(rest));
    CHECK(rest.first_sequence == std::stoull(rotated[1].substr(rotated[1].size() - 20)));
    CHECK(rest.entries == 200 - rest.first_sequence + 1);
    // and the log goes on
    auto reopened = AuditLog::open(fs, kPath, kKey, AuditLogOptions{.max_file_bytes = 2000});
    REQUIRE(reopened.ok());
    write_entries(**reopened, 201, 210, 5);
    CHECK_MESSAGE(!verify(fs, (*reopened)->head()).first_break, "after more entries");
  }
  SUBCASE("deleting a file in the middle is a dropped range") {
    REQUIRE(fs.remove(in_audit_dir(rotated[1])).ok());
    const AuditVerification gap = verify(fs, head);
    REQUIRE(gap.first_break);
    CHECK(gap.first_break->file == in_audit_dir(rotated[2]));
    CHECK(gap.first_break->what.starts_with("dropped"));
  }
  SUBCASE("an edited rotated file breaks there") {
    const std::string middle = in_audit_dir(rotated[2]);
    Bytes bytes = file_of(fs, middle);
    bytes[bytes.size() / 2] ^= 0x40;
    put_file(fs, middle, bytes);
    const AuditVerification edited = verify(fs, head);
    REQUIRE(edited.first_break);
    CHECK(edited.first_break->file == middle);
    CHECK(edited.first_break->offset <= bytes.size() / 2);
  }
  SUBCASE("the active file missing: open continues from the newest rotated file") {
    REQUIRE(fs.remove(kPath).ok());
    auto reopened = AuditLog::open(fs, kPath, kKey);
    REQUIRE(reopened.ok());
    CHECK((*reopened)->head().sequence <= head.sequence);
    write_entries(**reopened, 1, 3, 10);
    CHECK_MESSAGE(!verify(fs).first_break, "continued");
  }
}

TEST_CASE("an audit log under another key has no seal that verifies") {
  FaultyFileSystem fs = memory_fs();
  {
    auto log = AuditLog::open(fs, kPath, kKey, AuditLogOptions{.max_file_bytes = 1000});
    REQUIRE(log.ok());
    write_entries(**log, 1, 60, 4);
  }
  const AuditVerification wrong = verify(fs, std::nullopt, kOtherKey);
  REQUIRE(wrong.first_break);
  CHECK(wrong.first_break->offset == 0);
  CHECK(wrong.first_break->what.starts_with("bad seal"));
  CHECK(wrong.entries == 0);
  CHECK(AuditLog::open(fs, kPath, kOtherKey).code() == Errc::authentication_failed);
  std::size_t visited = 0;
  CHECK(read_audit_log(fs, kPath, kOtherKey, 0, [&](const AuditEntry&) { ++visited; }).ok());
  CHECK(visited == 0);
  // Each file alone: the first seal of each fails too.
  const std::vector<std::string> names = fs.list(kDir).value();
  REQUIRE(names.size() >= 3);
  for (const std::string& name : names) {
    FaultyFileSystem single = memory_fs();
    put_file(single, kPath, file_of(fs, in_audit_dir(name)));
    const AuditVerification alone = verify(single, std::nullopt, kOtherKey);
    CHECK_MESSAGE(alone.first_break, name);
    CHECK(alone.first_break->what.starts_with("bad seal"));
  }
}

TEST_CASE("open refuses an audit log damaged before its last seal and leaves it as it was") {
  FaultyFileSystem fs = memory_fs();
  {
    auto log = AuditLog::open(fs, kPath, kKey);
    REQUIRE(log.ok());
    write_entries(**log, 1, 30, 10);
  }
  Bytes damaged = file_of(fs, kPath);
  damaged[kHeaderBytes + 40] ^= 0x02;
  put_file(fs, kPath, damaged);
  const auto opened = AuditLog::open(fs, kPath, kKey);
  CHECK(opened.code() == Errc::corrupted);
  CHECK_MESSAGE(opened.status().message().find("byte 90 (entry 1)") != std::string::npos, opened.status().to_string());
  CHECK(file_of(fs, kPath) == damaged);
}

TEST_CASE("open seals the entries a crash left after the last seal, and keeps the torn bytes") {
  FaultyFileSystem fs = memory_fs();
  Bytes sealed_file;
  std::vector<AuditEntry> written;
  {
    auto log = AuditLog::open(fs, kPath, kKey);
    REQUIRE(log.ok());
    written = write_entries(**log, 1, 10, 100);
    sealed_file = file_of(fs, kPath);
    const auto more = write_entries(**log, 11, 15, 100);
    written.insert(written.end(), more.begin(), more.end());
  }
  const Bytes whole = file_of(fs, kPath);
  const std::vector<Record> records = records_of(whole);
  const Record& last_entry = records[records.size() - 2];  // before the final seal
  REQUIRE(last_entry.kind == kEntry);
  struct Crash {
    const char* what;
    Bytes file;
    std::uint64_t entries;
    std::uint64_t torn;
    std::uint64_t zeros;
  };
  const Bytes unsealed(whole.begin(), whole.begin() + static_cast<std::ptrdiff_t>(last_entry.offset + last_entry.size));
  Bytes torn(whole.begin(), whole.begin() + static_cast<std::ptrdiff_t>(last_entry.offset + 20));
  Bytes zeros = unsealed;
  zeros.resize(zeros.size() + 300, 0);
  Bytes torn_seal(whole.begin(), whole.end() - 10);
  for (const Crash& crash :
       {Crash{"whole entries unsealed", unsealed, 5, 0, 0}, Crash{"a torn entry after unsealed ones", torn, 4, 20, 0},
        Crash{"zeros after unsealed entries", zeros, 5, 0, 300},
        Crash{"a torn seal", torn_seal, 5, whole.size() - 10 - unsealed.size(), 0}}) {
    INFO(std::string(crash.what));
    put_file(fs, kPath, crash.file);
    const AuditVerification before = verify(fs);
    REQUIRE(before.first_break);
    if (crash.torn + crash.zeros == 0) {  // at the first unsealed entry
      CHECK(before.first_break->what.starts_with("unsealed tail"));
      CHECK(before.first_break->offset == records[records.size() - 6].offset);
      CHECK(before.first_break->sequence == 11);
    } else {  // at the torn bytes
      CHECK(before.first_break->what.starts_with("truncated"));
      CHECK(before.first_break->offset == crash.file.size() - crash.torn - crash.zeros);
      CHECK(before.first_break->sequence == 11 + crash.entries);
    }
    auto reopened = AuditLog::open(fs, kPath, kKey);
    REQUIRE_MESSAGE(reopened.ok(), reopened.status().to_string());
    CHECK((*reopened)->head().sequence == 10 + crash.entries);
    const AuditVerification after = verify(fs, (*reopened)->head());
    CHECK_MESSAGE(!after.first_break, break_text(after));
    REQUIRE(after.recoveries.size() == 1);
    CHECK(after.recoveries[0].first_sequence == 11);
    CHECK(after.recoveries[0].entries == crash.entries);
    CHECK(after.recoveries[0].torn_bytes == crash.torn);
    CHECK(after.recoveries[0].zero_bytes == crash.zeros);
    // Nothing before the torn part moved; every whole entry reads back.
    const Bytes recovered = file_of(fs, kPath);
    CHECK(std::equal(crash.file.begin(), crash.file.end() - static_cast<std::ptrdiff_t>(crash.torn + crash.zeros),
                     recovered.begin()));
    CHECK(read_all(fs) == std::vector<AuditEntry>(written.begin(), written.begin() + 10 + crash.entries));
    // A whole record after the last seal that does not chain is damage, not a crash.
    Bytes damaged = unsealed;
    damaged[last_entry.offset + 12] ^= 0x01;
    put_file(fs, kPath, damaged);
    CHECK(AuditLog::open(fs, kPath, kKey).code() == Errc::corrupted);
  }
  CHECK(sealed_file.size() < whole.size());
}

namespace {

// Appends batches of three entries, each flushed with a sync; acknowledged entries are those of
// a flush that succeeded. After a failure it opens the log again and goes on, as the engine will.
std::set<std::string> audit_workload(FaultyFileSystem& fs) {
  std::set<std::string> acknowledged;
  const AuditLogOptions options{.max_file_bytes = 700};  // rotations during the workload
  auto log = AuditLog::open(fs, kPath, kKey, options);
  for (int batch = 0; batch < 12 && !fs.powered_off(); ++batch) {
    if (!log.ok()) {
      log = AuditLog::open(fs, kPath, kKey, options);
      continue;
    }
    std::vector<AuditEntry> entries = {entry_number(1), entry_number(2), entry_number(3)};
    for (std::size_t i = 0; i < entries.size(); ++i)
      entries[i].caller = "batch-" + std::to_string(batch) + "-" + std::to_string(i);
    if ((*log)->append(entries).ok() && (*log)->flush(true).ok()) {
      for (const AuditEntry& entry : entries)
        acknowledged.insert(entry.caller);
    } else {
      log = AuditLog::open(fs, kPath, kKey, options);
    }
  }
  return acknowledged;
}

void check_survivor(FileSystem& fs, const std::set<std::string>& acknowledged) {
  auto reopened = AuditLog::open(fs, kPath, kKey);
  if (acknowledged.empty() && reopened.code() == Errc::not_found)
    return;
  REQUIRE_MESSAGE(reopened.ok(), reopened.status().to_string());
  const AuditVerification verification = verify(fs, (*reopened)->head());
  CHECK_MESSAGE(!verification.first_break, break_text(verification));
  std::set<std::string> found;
  for (const AuditEntry& entry : read_all(fs))
    found.insert(entry.caller);
  for (const std::string& caller : acknowledged)
    CHECK_MESSAGE(found.contains(caller), caller);
}

}  // namespace

TEST_CASE("a flush whose write or sync fails says so and leaves the log broken until it is opened again") {
  FaultyFileSystem probe = memory_fs();
  REQUIRE(AuditLog::open(probe, kPath, kKey).ok());
  const int after_open = probe.steps();
  for (const int failing : {after_open, after_open + 1}) {  // the flush's append, then its sync
    INFO((failing == after_open ? "append" : "sync"));
    FaultyFileSystem fs(failing, FaultyFileSystem::Fault::error, 3);
    auto log = AuditLog::open(fs, kPath, kKey);
    REQUIRE(log.ok());
    std::vector<AuditEntry> batch = {entry_number(1), entry_number(2)};
    REQUIRE((*log)->append(batch).ok());
    CHECK((*log)->flush(true).code() == Errc::io_error);
    CHECK((*log)->broken());
    CHECK((*log)->append(batch).code() == Errc::io_error);
    CHECK((*log)->flush(true).code() == Errc::io_error);
    CHECK((*log)->head().sequence == (failing == after_open ? 0 : 2));  // the seal is written, not synced
    auto reopened = AuditLog::open(fs, kPath, kKey);
    REQUIRE_MESSAGE(reopened.ok(), reopened.status().to_string());
    const AuditVerification verification = verify(fs, (*reopened)->head());
    CHECK_MESSAGE(!verification.first_break, break_text(verification));
    // What reached the file stays: all of it, sealed, when only the sync failed; after a failed
    // write, the whole entries of its prefix, sealed as recovered.
    const std::vector<AuditEntry> kept = read_all(fs);
    CHECK(kept.size() == (*reopened)->head().sequence);
    if (failing == after_open + 1)
      CHECK(kept == std::vector<AuditEntry>{batch[0], batch[1]});
  }
}

TEST_CASE("an audit log keeps every acknowledged entry through a failure or power loss at any step") {
  FaultyFileSystem probe = memory_fs();
  (void)audit_workload(probe);
  const int steps = probe.steps();
  REQUIRE(steps > 40);
  for (int step = 0; step < steps; ++step) {
    for (const auto fault : {FaultyFileSystem::Fault::error, FaultyFileSystem::Fault::power_loss}) {
      INFO("step " << step << (fault == FaultyFileSystem::Fault::error ? ", error" : ", power loss"));
      FaultyFileSystem fs(step, fault, static_cast<std::uint32_t>(step));
      const std::set<std::string> acknowledged = audit_workload(fs);
      if (fault == FaultyFileSystem::Fault::error) {
        check_survivor(fs, acknowledged);
      } else {
        const auto image = fs.crash_image();
        check_survivor(*image, acknowledged);
      }
    }
  }
}

TEST_CASE("an audit entry's JSON is valid UTF-8 JSON whatever bytes its strings hold") {
  AuditEntry entry = entry_number(7);
  entry.caller = std::string("q\"b\\s/\n\t\x01\x1f\x7f", 11) + std::string(1, '\0') + "end";
  entry.location = "bad \xff\xfe, overlong \xc0\xaf, cut \xe2\x82, surrogate \xed\xa0\x80, fine \xc3\xa9\xe2\x82\xac";
  entry.rule = "\xf0\x9f\x94\x91 rule";
  const std::string json = audit_entry_json(entry);
  INFO(json);
  CHECK(runtime::is_utf8(json));
  CHECK(std::none_of(json.begin(), json.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20; }));
  const nlohmann::json parsed = nlohmann::json::parse(json);
  CHECK(parsed.at("caller").get<std::string>() == entry.caller);
  const std::string replacement = "\xef\xbf\xbd";
  CHECK(parsed.at("location").get<std::string>() ==
        "bad " + replacement + replacement + ", overlong " + replacement + replacement + ", cut " + replacement +
            replacement + ", surrogate " + replacement + replacement + replacement + ", fine \xc3\xa9\xe2\x82\xac");
  CHECK(parsed.at("rule").get<std::string>() == entry.rule);
  CHECK(parsed.at("outcome").get<std::string>() == "denied");
  CHECK(parsed.at("kind").get<int>() == 7);
  CHECK(parsed.at("sequence").get<int>() == 0);
  CHECK(parsed.at("time").get<decltype(entry.time_ms)>() == entry.time_ms);
  CHECK(parsed.at("status").get<int>() == 0);
  CHECK(parsed.at("digest").get<std::string>() == to_hex(entry.digest));
}

// A restarted engine's new writer opens the log while the old one may still append its last
// batch: repairing what it takes for a torn tail would rewrite the file under the old writer.
TEST_CASE("a second writer of one log waits for the first to close it, and gives up while it holds on") {
  const stronghold::test::TempDir dir;
  const std::string path = dir.file("requests.log");
  auto first = AuditLog::open(posix_file_system(), path, kKey);
  REQUIRE(first.ok());
  write_entries(**first, 1, 5, 2);
  const AuditHead head = (*first)->head();
  CHECK(AuditLog::open(posix_file_system(), path, kKey).code() == Errc::busy);

  std::atomic<bool> first_closed{false};
  bool opened_after_close = false;
  std::optional<AuditHead> second_head;
  std::thread second([&] {
    auto opened = AuditLog::open(posix_file_system(), path, kKey);
    opened_after_close = first_closed.load();
    if (opened.ok())
      second_head = (*opened)->head();
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // the second one waits meanwhile
  first_closed = true;
  first->reset();
  second.join();
  CHECK(opened_after_close);
  CHECK(second_head == head);  // it continues the first one's chain
}
