#include "stronghold/runtime/secret_buffer.hpp"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ostream>

#include <sodium.h>

#include "stronghold/runtime/guarded_memory.hpp"

namespace stronghold::runtime {
namespace {

[[noreturn]] void contract_violation(const char* what) noexcept {
  (void)std::fprintf(stderr, "stronghold: SecretBuffer misuse: %s\n", what);
  std::abort();
}

void protect_or_abort(std::uint8_t* data, Protection protection) noexcept {
  if (data != nullptr && !guarded_protect(data, protection))
    contract_violation("the kernel refused to change the protection of a guarded page");
}

}  // namespace

ReadView::~ReadView() { buffer_.close_read(); }
std::span<const std::uint8_t> ReadView::bytes() const noexcept { return {buffer_.data_, buffer_.size_}; }

WriteView::~WriteView() { buffer_.close_write(); }
std::span<std::uint8_t> WriteView::bytes() const noexcept { return {buffer_.data_, buffer_.size_}; }

Result<SecretBuffer> SecretBuffer::create(std::size_t size) {
  SecretBuffer buffer;
  if (size == 0)
    return buffer;
  auto* data = static_cast<std::uint8_t*>(guarded_alloc(size));
  if (data == nullptr)
    return error(Errc::resource_exhausted, "no guarded memory for a {}-byte secret", size);
  sodium_memzero(data, size);
  protect_or_abort(data, Protection::no_access);
  buffer.data_ = data;
  buffer.size_ = size;
  return buffer;
}

Result<SecretBuffer> SecretBuffer::from(std::span<const std::uint8_t> bytes) {
  auto buffer = create(bytes.size());
  if (buffer.ok() && !bytes.empty()) {
    auto view = buffer->write();
    std::memcpy(view.bytes().data(), bytes.data(), bytes.size());
  }
  return buffer;
}

SecretBuffer::SecretBuffer(SecretBuffer&& other) noexcept : data_(other.data_), size_(other.size_) {
  other.data_ = nullptr;
  other.size_ = 0;
}

SecretBuffer& SecretBuffer::operator=(SecretBuffer&& other) noexcept {
  if (this != &other) {
    release();
    data_ = other.data_;
    size_ = other.size_;
    other.data_ = nullptr;
    other.size_ = 0;
  }
  return *this;
}

SecretBuffer::~SecretBuffer() { release(); }

void SecretBuffer::release() noexcept {
  guarded_free(data_);  // wipes before unmapping
  data_ = nullptr;
  size_ = 0;
}

ReadView SecretBuffer::read() const {
  std::lock_guard lock(mutex_);
  if (writing_)
    contract_violation("read view opened while a write view is open");
  if (readers_++ == 0)
    protect_or_abort(data_, Protection::read_only);
  return ReadView(*this);
}

WriteView SecretBuffer::write() {
  std::lock_guard lock(mutex_);
  if (writing_ || readers_ > 0)
    contract_violation("write view opened while another view is open");
  writing_ = true;
  protect_or_abort(data_, Protection::read_write);
  return WriteView(*this);
}

void SecretBuffer::close_read() const noexcept {
  std::lock_guard lock(mutex_);
  if (--readers_ == 0)
    protect_or_abort(data_, Protection::no_access);
}

void SecretBuffer::close_write() noexcept {
  std::lock_guard lock(mutex_);
  protect_or_abort(data_, Protection::no_access);
  writing_ = false;
}

void SecretBuffer::wipe() {
  auto view = write();
  sodium_memzero(view.bytes().data(), view.bytes().size());
}

std::ostream& operator<<(std::ostream& out, const SecretBuffer&) { return out << "SecretBuffer(<redacted>)"; }

}  // namespace stronghold::runtime
