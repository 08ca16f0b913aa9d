#include "stronghold/runtime/guarded_key.hpp"

#include <cstring>
#include <utility>

#include "stronghold/runtime/guarded_memory.hpp"

namespace stronghold::runtime {

Result<GuardedKey> GuardedKey::from(std::span<const std::uint8_t> bytes) {
  if (bytes.empty())
    return Status(Errc::invalid_argument, "a guarded key cannot be empty");
  auto* data = static_cast<std::uint8_t*>(guarded_alloc(bytes.size()));
  if (data == nullptr)
    return error(Errc::resource_exhausted, "no guarded memory for a {}-byte key", bytes.size());
  std::memcpy(data, bytes.data(), bytes.size());
  if (!guarded_protect(data, Protection::read_only)) {
    guarded_free(data);
    return Status(Errc::internal, "the kernel refused to make a guarded key read-only");
  }
  GuardedKey key;
  key.data_ = data;
  key.size_ = bytes.size();
  return key;
}

GuardedKey::GuardedKey(GuardedKey&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)), size_(std::exchange(other.size_, 0)) {}

GuardedKey& GuardedKey::operator=(GuardedKey&& other) noexcept {
  if (this != &other) {
    guarded_free(data_);
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
  }
  return *this;
}

GuardedKey::~GuardedKey() { guarded_free(data_); }

}  // namespace stronghold::runtime
