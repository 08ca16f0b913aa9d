// libFuzzer target: the Rust Stronghold reader. The first byte picks the layer the rest reaches:
// 0 and 1 a whole version 2 or 3 file after its magic and version (the envelopes and the age
// header), 2 a bincode state that a valid version 2 envelope carries (the state and record
// parsers). Every input must read or fail with a clear error, within bounded memory.
#include <cstdint>
#include <cstdlib>

#include "snapshot/rust_stronghold_writer.hpp"
#include "stronghold/snapshot/rust_stronghold.hpp"

namespace {

using namespace stronghold;
namespace rs = stronghold::snapshot::rust_stronghold;

const Bytes kKey(rs::kKeySize, 0x42);

// The keys of the fixtures' passwords, so that the seeds (the fixtures) read to the end.
const runtime::SecretBytes& fixture_key(unsigned version) {
  static const runtime::SecretBytes v2 = rs::key_from_password(2, as_bytes("current_password")).value();
  static const runtime::SecretBytes v3 = rs::key_from_password(3, as_bytes("some_hopefully_secure_password")).value();
  return version == 2 ? v2 : v3;
}

bool expected(Errc code) {
  return code == Errc::ok || code == Errc::corrupted || code == Errc::wrong_password || code == Errc::unsupported ||
         code == Errc::resource_exhausted;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0)
    return 0;
  const ByteView rest(data + 1, size - 1);
  if (data[0] % 3 == 2) {
    if (!expected(rs::read(test::rust_snapshot_v2(rest, kKey), kKey).code()))
      std::abort();
    return 0;
  }
  const unsigned version = 2 + data[0] % 3;
  Bytes file = {'P', 'A', 'R', 'T', 'I', static_cast<std::uint8_t>(version), 0};
  file.insert(file.end(), rest.begin(), rest.end());
  if (!expected(rs::read(file, fixture_key(version).view()).code()))
    std::abort();
  return 0;
}
