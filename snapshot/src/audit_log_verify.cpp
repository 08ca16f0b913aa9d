// The audit log's reader: the Scanner that checks one file after another, the listing of a log's
// files, verify_audit_log, read_audit_log, and the JSON form of an entry.
#include <algorithm>
#include <charconv>
#include <filesystem>

#include <fmt/format.h>

#include "audit_log_codec.hpp"
#include "stronghold/runtime/byte_codec.hpp"
#include "stronghold/runtime/utf8.hpp"

namespace stronghold::snapshot {
namespace audit {
namespace {

bool all_zero(ByteView bytes) {
  return std::all_of(bytes.begin(), bytes.end(), [](std::uint8_t b) { return b == 0; });
}

}  // namespace

bool is_torn(ByteView rest) {
  if (rest.size() < kRecordHeaderSize || (rest[0] == 0 && all_zero(rest)))
    return true;
  const std::size_t size = rest[1] | static_cast<std::size_t>(rest[2]) << 8;
  const bool sound = (rest[0] == kEntryRecord && size > kCheckSize && size <= kMaxEntryBody) ||
                     (rest[0] == kSealRecord && size == kSealBodySize);
  return sound && size > rest.size() - kRecordHeaderSize;
}

Scanner::Scanner(ByteView key, std::optional<AuditHead> anchor, std::int64_t since_ms, const Visit* visit)
    : key_(key), anchor_(anchor), since_ms_(since_ms), visit_(visit) {}

bool Scanner::fail(Stop stop, std::uint64_t sequence, std::string what) {
  stop_ = stop;
  result_.first_break = AuditBreak{name_, offset_, sequence, std::move(what)};
  return false;
}

bool Scanner::scan(const std::string& name, ByteView file, std::optional<std::uint64_t> named_first) {
  name_ = name;
  offset_ = 0;
  if (!header(file, named_first))
    return false;
  offset_ = chained_end_ = unsealed_from_ = kHeaderSize;
  while (offset_ < file.size())
    if (!record(file))
      return false;
  return end_of_file();
}

bool Scanner::header(ByteView file, std::optional<std::uint64_t> named_first) {
  const std::uint64_t next = sealed_.sequence + 1;
  if (file.size() < kHeaderSize || !std::equal(kMagic.begin(), kMagic.end(), file.begin()))
    return fail(Stop::damaged, next, "malformed: no audit log header (SHLDAUDT magic and 90 bytes)");
  std::uint16_t version = 0;
  AuditHead continues;
  ByteReader in(file.first(kHeaderSize).subspan(kMagic.size()));
  in.u16(version);
  in.u64(continues.sequence);
  in.array(continues.hash);
  if (!matches(header_checksum(file), file.subspan(kHeaderSize - kCheckSize, kCheckSize)))
    return fail(Stop::damaged, next, "edited: the file header is damaged (checksum mismatch)");
  if (version != kVersion)
    return fail(Stop::damaged, next,
                fmt::format("malformed: audit log format version {} (this build reads 1)", version));
  if (!matches(header_mac(key_, file), file.subspan(kHeaderSize - kCheckSize - 32, 32)))
    return fail(Stop::wrong_key, next,
                "bad seal: the file header's MAC does not verify under this key (another key, or a forged header)");
  if (named_first && *named_first != continues.sequence + 1)
    return fail(Stop::damaged, next,
                fmt::format("reordered: the file's name says it starts at entry {}, its header at entry {}",
                            *named_first, continues.sequence + 1));
  file_first_ = continues.sequence + 1;
  return started_ ? follows_previous_file(continues) : start_from(continues);
}

bool Scanner::start_from(const AuditHead& continues) {
  started_ = true;
  sealed_ = chained_ = result_.head = continues;
  result_.first_sequence = continues.sequence + 1;
  anchor_checked_ = anchor_ && anchor_->sequence < continues.sequence;  // before what is retained
  return check_anchor();
}

bool Scanner::follows_previous_file(const AuditHead& continues) {
  if (continues == sealed_)
    return true;
  return fail(Stop::damaged, sealed_.sequence + 1,
              fmt::format("{}: the file continues from entry {}, the file before it ends at entry {}",
                          continues.sequence > sealed_.sequence ? "dropped" : "reordered", continues.sequence,
                          sealed_.sequence));
}

bool Scanner::record(ByteView file) {
  const ByteView rest = file.subspan(offset_);
  if (is_torn(rest))
    return torn_end(rest.size());
  const std::size_t size = rest[1] | static_cast<std::size_t>(rest[2]) << 8;
  if (size > rest.size() - kRecordHeaderSize)
    return fail(Stop::damaged, chained_.sequence + 1,
                fmt::format("malformed: a record of {} bytes runs past the end of the file", size));
  const ByteView body = rest.subspan(kRecordHeaderSize, size);
  bool sound = false;
  switch (rest[0]) {
    case kEntryRecord: sound = entry(body); break;
    case kSealRecord: sound = seal(body); break;
    case kRecoveryRecord: sound = recovery(body); break;
    default:
      return fail(Stop::damaged, chained_.sequence + 1, fmt::format("malformed: unknown record kind {}", rest[0]));
  }
  if (!sound)
    return false;
  offset_ += kRecordHeaderSize + size;
  chained_end_ = offset_;
  return true;
}

// At the torn bytes: the entries before them chain, but no seal vouches for them either.
bool Scanner::torn_end(std::size_t torn) {
  std::string what = fmt::format("truncated: the file ends in {} bytes of a torn record or zeros", torn);
  if (chained_.sequence != sealed_.sequence)
    what += fmt::format(", after entries {} to {} that no seal follows", sealed_.sequence + 1, chained_.sequence);
  return fail(Stop::torn, chained_.sequence + 1, std::move(what));
}

bool Scanner::entry(ByteView body) {
  const std::uint64_t expected = chained_.sequence + 1;
  const ByteView content = body.first(body.size() - std::min(body.size(), kCheckSize));
  if (body.size() <= kCheckSize || !parse_entry(content, parsed_, visit_ != nullptr))
    return fail(Stop::damaged, expected, fmt::format("malformed: the record of entry {} does not decode", expected));
  if (parsed_.sequence != expected)
    return fail(
        Stop::damaged, expected,
        fmt::format("{}: entry {} where entry {} was expected",
                    parsed_.sequence > expected ? "dropped or reordered" : "reordered", parsed_.sequence, expected));
  const AuditHead next{expected, chain_next(chained_.hash, content)};
  const ByteView check = body.last(kCheckSize);  // not a MAC: compared in ordinary time
  if (!std::equal(check.begin(), check.end(), next.hash.begin()))
    return fail(Stop::damaged, expected, fmt::format("edited: entry {} does not match its chain check", expected));
  if (chained_.sequence == sealed_.sequence)
    unsealed_from_ = offset_;
  chained_ = next;
  if (visit_ != nullptr)
    unsealed_entries_.push_back(parsed_);
  return check_anchor();
}

bool Scanner::seal(ByteView body) {
  if (body.size() != kSealBodySize)
    return fail(Stop::damaged, chained_.sequence + 1,
                fmt::format("malformed: a seal of {} bytes (a seal has {})", body.size(), kSealBodySize));
  std::uint64_t sequence = 0;
  Hash hash;
  ByteReader in(body);
  in.u64(sequence);
  in.array(hash);
  if (!matches(seal_mac(key_, body.first(in.position())), body.subspan(in.position())))
    return fail(Stop::damaged, sealed_.sequence + 1,
                fmt::format("bad seal: the seal after entry {} does not verify under this key", chained_.sequence));
  return seal_follows(sequence, hash, "seal");
}

bool Scanner::recovery(ByteView body) {
  std::uint64_t sequence = 0;
  Hash hash;
  AuditRecovery found{name_, offset_, sealed_.sequence + 1, 0, 0, 0};
  std::uint64_t torn_size = 0;
  ByteView torn;
  ByteReader in(body);
  const bool read = in.u64(sequence) && in.array(hash) && in.u64(found.entries) && in.u64(found.zero_bytes) &&
                    in.varint(torn_size) && torn_size <= kMaxTorn &&
                    in.raw(static_cast<std::size_t>(torn_size), torn) && in.remaining() == 32;
  if (!read)
    return fail(Stop::damaged, chained_.sequence + 1, "malformed: a recovery record does not decode");
  if (!matches(recovery_mac(key_, body.first(in.position())), body.subspan(in.position())))
    return fail(
        Stop::damaged, sealed_.sequence + 1,
        fmt::format("bad seal: the recovery record after entry {} does not verify under this key", chained_.sequence));
  if (found.entries != chained_.sequence - sealed_.sequence)
    return fail(Stop::damaged, sealed_.sequence + 1,
                fmt::format("dropped: the recovery record seals {} entries, {} precede it", found.entries,
                            chained_.sequence - sealed_.sequence));
  found.torn_bytes = torn.size();
  if (!seal_follows(sequence, hash, "recovery record"))
    return false;
  result_.recoveries.push_back(std::move(found));
  return true;
}

bool Scanner::seal_follows(std::uint64_t sequence, const Hash& hash, std::string_view what) {
  if (sequence > chained_.sequence)
    return fail(Stop::damaged, chained_.sequence + 1,
                fmt::format("dropped: the {} is of entry {}, the entries before it end at entry {}", what, sequence,
                            chained_.sequence));
  if (sequence < chained_.sequence)
    return fail(Stop::damaged, sequence + 1,
                fmt::format("reordered: the {} of entry {} follows entry {}", what, sequence, chained_.sequence));
  if (hash != chained_.hash)
    return fail(Stop::damaged, sealed_.sequence + 1,
                fmt::format("edited: entries {} to {} do not reach the hash of their {}", sealed_.sequence + 1,
                            sequence, what));
  result_.entries += chained_.sequence - sealed_.sequence;
  sealed_ = result_.head = chained_;
  if (visit_ != nullptr) {
    for (const AuditEntry& entry : unsealed_entries_)
      if (entry.time_ms >= since_ms_)
        (*visit_)(entry);
    unsealed_entries_.clear();
  }
  return true;
}

bool Scanner::check_anchor() {
  if (!anchor_ || anchor_checked_ || chained_.sequence != anchor_->sequence)
    return true;
  anchor_checked_ = true;
  if (chained_.hash == anchor_->hash)
    return true;
  return fail(
      Stop::anchor, chained_.sequence,
      fmt::format("anchor not reached: the chain at entry {} is not the one the anchor recorded", chained_.sequence));
}

bool Scanner::end_of_file() {
  if (chained_.sequence == sealed_.sequence)
    return true;
  offset_ = unsealed_from_;
  return fail(
      Stop::unsealed, sealed_.sequence + 1,
      fmt::format("unsealed tail: entries {} to {} follow the last seal", sealed_.sequence + 1, chained_.sequence));
}

bool Scanner::finish(const std::string& name, std::uint64_t end) {
  if (!anchor_ || anchor_checked_)
    return true;
  name_ = name;
  offset_ = end;
  return fail(Stop::anchor, sealed_.sequence + 1,
              fmt::format("anchor not reached: the log ends at entry {}, the anchor is at entry {}", sealed_.sequence,
                          anchor_->sequence));
}

std::string rotated_path(const std::string& path, std::uint64_t first) { return fmt::format("{}.{:020}", path, first); }

namespace {

// The first sequence in `name` when it names a rotated file of `base`.
std::optional<std::uint64_t> rotated_first(std::string_view base, std::string_view name) {
  constexpr std::size_t kDigits = 20;
  if (name.size() != base.size() + 1 + kDigits || !name.starts_with(base) || name[base.size()] != '.')
    return std::nullopt;
  const std::string_view digits = name.substr(base.size() + 1);
  std::uint64_t first = 0;
  const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), first);
  if (error != std::errc() || end != digits.data() + digits.size())
    return std::nullopt;
  return first;
}

}  // namespace

Result<std::vector<LogFile>> log_files(FileSystem& fs, const std::string& path) {
  const std::filesystem::path active(path);
  const std::filesystem::path parent = active.parent_path();
  SH_ASSIGN_OR_RETURN(const std::vector<std::string> names, fs.list(parent.empty() ? "." : parent.string()));
  std::vector<LogFile> files;
  const std::string base = active.filename().string();
  for (const std::string& name : names)
    if (const auto first = rotated_first(base, name))
      files.push_back({rotated_path(path, *first), first});
  std::sort(files.begin(), files.end(), [](const LogFile& a, const LogFile& b) { return a.first < b.first; });
  if (fs.exists(path))
    files.push_back({path, std::nullopt});
  if (files.empty())
    return error(Errc::not_found, "no audit log at {}", path);
  return files;
}

}  // namespace audit

namespace {

Result<AuditVerification> scan_log(FileSystem& fs, const std::string& path, ByteView mac_key,
                                   std::optional<AuditHead> anchor, std::int64_t since_ms,
                                   const audit::Scanner::Visit* visit) {
  if (mac_key.size() != kAuditKeySize)
    return error(Errc::invalid_argument, "an audit log key is {} bytes, not {}", kAuditKeySize, mac_key.size());
  SH_ASSIGN_OR_RETURN(const std::vector<audit::LogFile> files, audit::log_files(fs, path));
  audit::Scanner scanner(mac_key, anchor, since_ms, visit);
  std::uint64_t end = 0;
  for (const audit::LogFile& file : files) {
    SH_ASSIGN_OR_RETURN(const Bytes bytes, fs.read_file(file.path, kAuditMaxFileBytes));
    end = bytes.size();
    if (!scanner.scan(file.path, bytes, file.first))
      return std::move(scanner.result());
  }
  (void)scanner.finish(files.back().path, end);
  return std::move(scanner.result());
}

void append_json_string(std::string& out, std::string_view text) {
  out += '"';
  for (std::size_t at = 0; at < text.size();) {
    const std::size_t start = at;
    const std::int32_t code = runtime::next_code_point(text, at);
    if (code < 0) {
      out += "\xef\xbf\xbd";  // U+FFFD for the byte that starts no well-formed sequence
      at = start + 1;
    } else if (code == '"' || code == '\\') {
      out += '\\';
      out += static_cast<char>(code);
    } else if (code < 0x20) {
      out += fmt::format("\\u{:04x}", code);
    } else {
      out += text.substr(start, at - start);
    }
  }
  out += '"';
}

}  // namespace

Result<AuditVerification> verify_audit_log(FileSystem& fs, const std::string& path, ByteView mac_key,
                                           std::optional<AuditHead> anchor) {
  return scan_log(fs, path, mac_key, anchor, 0, nullptr);
}

Result<AuditVerification> read_audit_log(FileSystem& fs, const std::string& path, ByteView mac_key,
                                         std::int64_t since_ms, vault::FunctionRef<void(const AuditEntry&)> visit) {
  return scan_log(fs, path, mac_key, std::nullopt, since_ms, &visit);
}

std::string_view audit_outcome_name(AuditOutcome outcome) noexcept {
  switch (outcome) {
    case AuditOutcome::allowed: return "allowed";
    case AuditOutcome::denied: return "denied";
    case AuditOutcome::failed: return "failed";
    case AuditOutcome::pending: return "pending";
    case AuditOutcome::approved: return "approved";
    case AuditOutcome::expired: return "expired";
  }
  return "unknown";
}

std::string audit_entry_json(const AuditEntry& entry) {
  std::string out = fmt::format(R"({{"sequence":{},"time":{},"caller":)", entry.sequence, entry.time_ms);
  append_json_string(out, entry.caller);
  out += fmt::format(R"(,"kind":{},"location":)", entry.kind);
  append_json_string(out, entry.location);
  out += fmt::format(R"(,"outcome":"{}","status":{},"rule":)", audit_outcome_name(entry.outcome), entry.status);
  append_json_string(out, entry.rule);
  out += fmt::format(R"(,"digest":"{}"}})", to_hex(entry.digest));
  return out;
}

}  // namespace stronghold::snapshot
