#include "stronghold/runtime/random.hpp"

#include <sodium.h>

#include "stronghold/runtime/init.hpp"

namespace stronghold::runtime {

void random_bytes(std::span<std::uint8_t> out) noexcept {
  (void)ensure_initialized();  // randombytes_buf also works uninitialised: nothing to report
  randombytes_buf(out.data(), out.size());
}

std::uint32_t random_uniform(std::uint32_t upper_bound) noexcept {
  return upper_bound < 2 ? 0 : randombytes_uniform(upper_bound);
}

}  // namespace stronghold::runtime
