// Writes seed files for the snapshot fuzzer into a directory: snapshots with the fuzzer's
// password, empty, with records in the body, with a journal, and with a torn tail.
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "stronghold/snapshot/snapshot.hpp"
#include "stronghold/vault/keys.hpp"

using namespace stronghold;

int main(int argc, char** argv) {
  if (argc != 2) {
    (void)std::fprintf(stderr, "usage: make_seeds DIRECTORY\n");
    return 1;
  }
  const std::filesystem::path dir = argv[1];
  std::filesystem::create_directories(dir);
  const Bytes password = {'f', 'u', 'z', 'z'};
  snapshot::SnapshotOptions options;
  options.kdf = snapshot::KdfPreset::fast;
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
  return 0;
}
