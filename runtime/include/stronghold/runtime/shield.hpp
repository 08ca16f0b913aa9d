// Shielded secrets: encrypted in ordinary memory under a per-process shielding key that lives
// in guarded memory, so a large key set costs no guarded allocation per secret (OpenSSH
// shields its private keys the same way). A shielded secret is unsealed into a ScratchFrame
// for the span of one operation.
//
// The cipher is AES-256-GCM where the CPU has AES instructions, ChaCha20-Poly1305 otherwise;
// nonces come from a process-wide counter, so they never repeat under the key. A 32-byte
// secret takes 56 bytes plus its pointer. A forked child gets a new shielding key on first use
// (the old one's pages are wiped on fork): it shields new secrets, while those shielded before
// the fork are `unavailable` to it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <iosfwd>
#include <memory>
#include <span>

#include <fmt/format.h>

#include "stronghold/runtime/status.hpp"

namespace stronghold::runtime {

class ShieldedSecret {
 public:
  static constexpr std::size_t kMaxSize = 0xffff;

  ShieldedSecret() noexcept = default;
  ShieldedSecret(ShieldedSecret&&) noexcept = default;
  ShieldedSecret& operator=(ShieldedSecret&&) noexcept = default;
  ShieldedSecret(const ShieldedSecret&) = delete;
  ShieldedSecret& operator=(const ShieldedSecret&) = delete;

  // Seals `plaintext` (at most kMaxSize bytes). The caller wipes its own copy.
  static Result<ShieldedSecret> seal(std::span<const std::uint8_t> plaintext);

  bool empty() const noexcept { return !blob_; }
  std::size_t size() const noexcept;  // of the plaintext
  // Unseals into `out`, which must be exactly size() bytes (normally scratch memory).
  Status open(std::span<std::uint8_t> out) const;

 private:
  explicit ShieldedSecret(std::unique_ptr<std::uint8_t[]> blob) noexcept : blob_(std::move(blob)) {}
  std::unique_ptr<std::uint8_t[]> blob_;  // header (counter and length) || ciphertext || tag
};

// The name of the cipher in use for shielding ("aes256gcm" or "chacha20poly1305").
const char* shield_cipher_name();

std::ostream& operator<<(std::ostream& out, const ShieldedSecret& secret);

}  // namespace stronghold::runtime

template <>
struct fmt::formatter<stronghold::runtime::ShieldedSecret> : fmt::formatter<std::string_view> {
  auto format(const stronghold::runtime::ShieldedSecret&, fmt::format_context& ctx) const {
    return fmt::formatter<std::string_view>::format("ShieldedSecret(<redacted>)", ctx);
  }
};
