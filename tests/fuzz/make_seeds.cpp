// Writes seed files for the snapshot fuzzer into a directory: snapshots with the fuzzer's
// password, empty, with records in the body, with a journal, and with a torn tail. Given a second
// directory, it writes audit logs under the audit fuzzer's key there: sealed, and with a torn tail.
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "stronghold/snapshot/audit_log.hpp"
#include "stronghold/snapshot/snapshot.hpp"
#include "stronghold/vault/keys.hpp"

using namespace stronghold;

namespace {

int write_audit_seeds(const std::filesystem::path& dir) {
  std::filesystem::create_directories(dir);
  const Bytes key(snapshot::kAuditKeySize, 'f');
  const std::filesystem::path path = dir / "audit-sealed.log";
  std::filesystem::remove(path);
  auto log = snapshot::AuditLog::open(snapshot::posix_file_system(), path.string(), key);
  if (!log.ok())
    return 5;
  for (int i = 0; i < 12; ++i) {
    snapshot::AuditEntry entry;
    entry.caller = i % 2 ? "uid:1000" : "client:seed";
    entry.location = "wallet/key";
    entry.outcome = static_cast<snapshot::AuditOutcome>(1 + i % 6);
    if (!(*log)->append({&entry, 1}).ok() || (i % 4 == 3 && !(*log)->flush(true).ok()))
      return 6;
  }
  log->reset();
  std::filesystem::copy_file(path, dir / "audit-torn.log", std::filesystem::copy_options::overwrite_existing);
  std::filesystem::resize_file(dir / "audit-torn.log", std::filesystem::file_size(path) - 30);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2 && argc != 3) {
    (void)std::fprintf(stderr, "usage: make_seeds DIRECTORY [AUDIT_DIRECTORY]\n");
    return 1;
  }
  const std::filesystem::path dir = argv[1];
  std::filesystem::create_directories(dir);
  const Bytes password = {'f', 'u', 'z', 'z'};
  snapshot::SnapshotOptions options;
  options.kdf = snapshot::KdfPreset::fast;
  options.body_part_bytes = 200;  // a body of several parts, a record or two each
  for (int journal_entries : {0, 1, 4}) {
    const std::string path = (dir / fmt::format("seed-{}.stronghold", journal_entries)).string();
    std::filesystem::remove(path);
    auto snapshot = snapshot::Snapshot::create(snapshot::posix_file_system(), path, password, options);
    if (!snapshot.ok())
      return 2;
    auto add = [&](const char* where, vault::KeyType type) {
      vault::Transaction tx((*snapshot)->keystore());
      (void)vault::generate_key(tx, vault::Location::parse(where).value(), type);
      (void)tx.put_secret(where + 2, Bytes{'v'});
      return (*snapshot)->commit(std::move(tx)).ok();
    };
    if (!add("a/ed", vault::KeyType::ed25519) || !add("a/k1", vault::KeyType::secp256k1) ||
        !(*snapshot)->compact().ok())
      return 3;
    for (int i = 0; i < journal_entries; ++i)
      if (!add(i % 2 ? "b/x" : "a/sym", i % 2 ? vault::KeyType::x25519 : vault::KeyType::symmetric))
        return 4;
    snapshot->reset();
    std::filesystem::remove(path + ".lock");
  }
  // A torn tail: the last seed cut in the middle of its final entry.
  const auto last = dir / "seed-4.stronghold";
  std::filesystem::copy_file(last, dir / "seed-torn.stronghold", std::filesystem::copy_options::overwrite_existing);
  std::filesystem::resize_file(dir / "seed-torn.stronghold", std::filesystem::file_size(last) - 30);
  return argc == 3 ? write_audit_seeds(argv[2]) : 0;
}
