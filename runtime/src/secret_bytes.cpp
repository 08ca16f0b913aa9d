#include "stronghold/runtime/secret_bytes.hpp"

#include <algorithm>

#include <sodium.h>

namespace stronghold::runtime {

void wipe(void* data, std::size_t size) noexcept {
  if (data != nullptr && size > 0)
    sodium_memzero(data, size);
}

void SecretBytes::consume(std::size_t count) noexcept {
  count = std::min(count, bytes_.size());
  std::copy(bytes_.begin() + static_cast<std::ptrdiff_t>(count), bytes_.end(), bytes_.begin());
  const std::size_t left = bytes_.size() - count;
  wipe(bytes_.data() + left, count);
  bytes_.resize(left);
}

void SecretBytes::clear() noexcept {
  wipe(bytes_.data(), bytes_.size());
  bytes_.clear();
}

}  // namespace stronghold::runtime
