// libFuzzer target: the audit log's reader, verifier and opener on arbitrary file contents. Every
// input must give a verification (with or without a break) or a clear error, within bounded
// memory; and a log that opens must verify clean once a flush has sealed a new entry onto it.
#include <cstdint>
#include <cstdlib>

#include "../snapshot/faulty_file_system.hpp"
#include "stronghold/snapshot/audit_log.hpp"

namespace {

using namespace stronghold;
using namespace stronghold::snapshot;

const Bytes kKey(kAuditKeySize, 'f');  // make_snapshot_seeds writes the audit seeds under it
const std::string kPath = "/fuzz/audit.log";

// Opens the log, seals one more entry onto it, and aborts unless the result verifies clean.
void check_open_then_flush(FileSystem& fs) {
  auto log = AuditLog::open(fs, kPath, kKey);
  if (!log.ok())
    return;
  AuditEntry entry;
  entry.caller = "fuzz";
  if (!(*log)->append({&entry, 1}).ok() || !(*log)->flush(false).ok())
    std::abort();
  const auto verified = verify_audit_log(fs, kPath, kKey, (*log)->head());
  if (!verified.ok() || verified->first_break)
    std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  test::FaultyFileSystem fs(-1, test::FaultyFileSystem::Fault::none, 1);
  {
    auto file = fs.open_append(kPath, true);
    if (!file.ok() || !(*file)->append({data, size}).ok() || !(*file)->sync().ok())
      return 0;
  }
  (void)verify_audit_log(fs, kPath, kKey, AuditHead{size, {}});
  std::size_t json_bytes = 0;
  (void)read_audit_log(fs, kPath, kKey, 0,
                       [&](const AuditEntry& entry) { json_bytes += audit_entry_json(entry).size(); });
  check_open_then_flush(fs);
  return 0;
}
