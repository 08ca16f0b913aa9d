#include "stronghold/runtime/shield.hpp"

#include <pthread.h>

#include <atomic>
#include <cstring>
#include <mutex>
#include <ostream>

#include <sodium.h>

#include "stronghold/runtime/guarded_memory.hpp"
#include "stronghold/runtime/init.hpp"

namespace stronghold::runtime {
namespace {

constexpr std::uint64_t kKeyMagic = 0x5348'4c44'4b45'5931;  // zero once wiped on fork
constexpr std::size_t kHeaderSize = 8;
constexpr std::size_t kTagSize = 16;
constexpr std::uint64_t kMaxCounter = (std::uint64_t{1} << 48) - 1;
static_assert(crypto_aead_aes256gcm_ABYTES == kTagSize && crypto_aead_chacha20poly1305_ietf_ABYTES == kTagSize);
static_assert(crypto_aead_aes256gcm_NPUBBYTES == 12 && crypto_aead_chacha20poly1305_ietf_NPUBBYTES == 12);

// Lives in one guarded allocation, read-only once set up. It stays readable rather than
// no-access because a protection change per operation costs a TLB shootdown (see scratch.hpp).
struct ShieldKey {
  crypto_aead_aes256gcm_state aes_state;  // expanded key, 16-byte aligned by its type
  std::uint8_t key[crypto_aead_chacha20poly1305_ietf_KEYBYTES];
  std::uint64_t magic;
  bool use_aes;
};

// A forked child must not seal with its parent's key: both would continue the same nonce
// counter. The pages are wiped on fork where the kernel allows; this flag covers the rest.
std::atomic<bool> g_forked{false};
std::atomic<bool> g_rekeyed_after_fork{false};
std::mutex g_rekey_mutex;

void fill_key(ShieldKey* shield) noexcept {
  randombytes_buf(shield->key, sizeof shield->key);
  shield->use_aes = crypto_aead_aes256gcm_is_available() == 1;
  if (shield->use_aes)
    crypto_aead_aes256gcm_beforenm(&shield->aes_state, shield->key);
  shield->magic = kKeyMagic;
}

ShieldKey* make_shield_key() noexcept {
  if (!ensure_initialized().ok())
    return nullptr;
  auto* shield = static_cast<ShieldKey*>(guarded_alloc(sizeof(ShieldKey)));
  if (shield == nullptr)
    return nullptr;
  fill_key(shield);
  if (!guarded_protect(shield, Protection::read_only)) {
    guarded_free(shield);
    return nullptr;
  }
  pthread_atfork(nullptr, nullptr, [] { g_forked.store(true, std::memory_order_relaxed); });
  return shield;
}

Result<const ShieldKey*> shield_key() {
  static ShieldKey* const key = make_shield_key();
  if (key == nullptr)
    return Status(Errc::resource_exhausted, "no guarded memory for the shielding key");
  if (g_forked.load(std::memory_order_relaxed) || key->magic != kKeyMagic) {
    std::lock_guard lock(g_rekey_mutex);
    if (g_forked.load(std::memory_order_relaxed) || key->magic != kKeyMagic) {
      if (!guarded_protect(key, Protection::read_write))
        return Status(Errc::internal, "the kernel refused to renew the shielding key");
      fill_key(key);
      if (!guarded_protect(key, Protection::read_only))
        return Status(Errc::internal, "the kernel refused to protect the shielding key");
      g_forked.store(false, std::memory_order_relaxed);
      g_rekeyed_after_fork.store(true, std::memory_order_relaxed);
    }
  }
  return static_cast<const ShieldKey*>(key);
}

std::atomic<std::uint64_t> g_counter{1};

std::uint64_t load_header(const std::uint8_t* blob) noexcept {
  std::uint64_t header;
  std::memcpy(&header, blob, sizeof header);
  return header;
}

// The header (a unique counter and the length) is the nonce, so it is authenticated too.
void make_nonce(const std::uint8_t* blob, std::uint8_t nonce[12]) noexcept {
  std::memcpy(nonce, blob, kHeaderSize);
  std::memset(nonce + kHeaderSize, 0, 12 - kHeaderSize);
}

}  // namespace

const char* shield_cipher_name() {
  auto key = shield_key();
  if (!key.ok())
    return "unavailable";
  return (*key)->use_aes ? "aes256gcm" : "chacha20poly1305";
}

Result<ShieldedSecret> ShieldedSecret::seal(std::span<const std::uint8_t> plaintext) {
  if (plaintext.size() > kMaxSize)
    return error(Errc::invalid_argument, "a shielded secret holds at most {} bytes, not {}", kMaxSize,
                 plaintext.size());
  SH_ASSIGN_OR_RETURN(const ShieldKey* key, shield_key());
  const std::uint64_t counter = g_counter.fetch_add(1, std::memory_order_relaxed);
  if (counter > kMaxCounter)
    return Status(Errc::resource_exhausted, "the shielding nonce counter is exhausted");
  const std::uint64_t header = counter << 16 | plaintext.size();

  auto blob = std::make_unique_for_overwrite<std::uint8_t[]>(kHeaderSize + plaintext.size() + kTagSize);
  std::memcpy(blob.get(), &header, sizeof header);
  std::uint8_t nonce[12];
  make_nonce(blob.get(), nonce);
  std::uint8_t* cipher = blob.get() + kHeaderSize;
  std::uint8_t* tag = cipher + plaintext.size();
  if (key->use_aes)
    crypto_aead_aes256gcm_encrypt_detached_afternm(cipher, tag, nullptr, plaintext.data(), plaintext.size(), nullptr, 0,
                                                   nullptr, nonce, &key->aes_state);
  else
    crypto_aead_chacha20poly1305_ietf_encrypt_detached(cipher, tag, nullptr, plaintext.data(), plaintext.size(),
                                                       nullptr, 0, nullptr, nonce, key->key);
  return ShieldedSecret(std::move(blob));
}

std::size_t ShieldedSecret::size() const noexcept {
  return blob_ ? static_cast<std::size_t>(load_header(blob_.get()) & 0xffff) : 0;
}

Status ShieldedSecret::open(std::span<std::uint8_t> out) const {
  if (!blob_)
    return Status(Errc::invalid_argument, "opening an empty shielded secret");
  const std::size_t length = size();
  if (out.size() != length)
    return error(Errc::invalid_argument, "shielded secret is {} bytes, the output {}", length, out.size());
  SH_ASSIGN_OR_RETURN(const ShieldKey* key, shield_key());
  std::uint8_t nonce[12];
  make_nonce(blob_.get(), nonce);
  const std::uint8_t* cipher = blob_.get() + kHeaderSize;
  const std::uint8_t* tag = cipher + length;
  const int rc = key->use_aes ? crypto_aead_aes256gcm_decrypt_detached_afternm(out.data(), nullptr, cipher, length, tag,
                                                                               nullptr, 0, nonce, &key->aes_state)
                              : crypto_aead_chacha20poly1305_ietf_decrypt_detached(out.data(), nullptr, cipher, length,
                                                                                   tag, nullptr, 0, nonce, key->key);
  if (rc != 0) {
    sodium_memzero(out.data(), out.size());
    if (g_rekeyed_after_fork.load(std::memory_order_relaxed))
      return Status(Errc::unavailable, "secrets shielded before fork() cannot be opened in the child process");
    return Status(Errc::authentication_failed, "a shielded secret failed to authenticate");
  }
  return {};
}

std::ostream& operator<<(std::ostream& out, const ShieldedSecret&) { return out << "ShieldedSecret(<redacted>)"; }

}  // namespace stronghold::runtime
