// libFuzzer target: the whole open path (header, password KDF, body, journal replay, change
// decoding and application) on arbitrary file contents. Every input must give a snapshot or a
// clear error, within bounded memory.
#include <cstdint>

#include "../snapshot/faulty_file_system.hpp"
#include "stronghold/snapshot/snapshot.hpp"

namespace {

const stronghold::Bytes kPassword = {'f', 'u', 'z', 'z'};
const std::string kPath = "/fuzz/input.stronghold";

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  stronghold::test::FaultyFileSystem fs(-1, stronghold::test::FaultyFileSystem::Fault::none, 1);
  {
    auto file = fs.open_append(kPath, true);
    if (!file.ok() || !(*file)->append({data, size}).ok() || !(*file)->sync().ok())
      return 0;
  }
  stronghold::snapshot::SnapshotOptions options;
  options.durability = stronghold::snapshot::Durability::none;
  auto opened = stronghold::snapshot::Snapshot::open(fs, kPath, kPassword, options);
  if (opened.ok())
    (void)(*opened)->keystore().list();
  return 0;
}
