// What both programs, stronghold and strongholdd, share about how they meet their user: exit
// codes and reading a password.
#pragma once

#include <cstdint>
#include <string>

#include "stronghold/runtime/secret_buffer.hpp"
#include "stronghold/runtime/status.hpp"

namespace stronghold::wire {

// Exit codes (documented in --help and the README).
enum ExitCode : int {
  kSuccess = 0,
  kUsage = 1,
  kWrongPassword = 2,
  kNotFound = 3,
  kDamaged = 4,
  kInvalidInput = 5,
  kBusy = 6,
  kDenied = 7,           // refused by a policy
  kPendingApproval = 8,  // waits for approvals: the message names the request
  kIoError = 9,          // a file that cannot be read or written, a full disk
  kInternal = 10,
};

int exit_code(Errc code) noexcept;

// A password: the first line of `file` (when not empty), else the variable `environment` (when
// not null), else a no-echo prompt on the terminal; invalid_argument when none is available.
// At most 1024 bytes: a longer one is refused, not cut.
Result<runtime::SecretBuffer> read_password(const std::string& file, const char* environment, const char* prompt);

// The size of the line at `bytes` without one trailing "\n" or "\r\n".
std::size_t without_newline(const std::uint8_t* bytes, std::size_t size);

}  // namespace stronghold::wire
