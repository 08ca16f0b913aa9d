#include "stronghold/runtime/status.hpp"

#include <cstring>

namespace stronghold {

std::string_view errc_name(Errc code) noexcept {
  switch (code) {
    case Errc::ok: return "ok";
    case Errc::invalid_argument: return "invalid_argument";
    case Errc::not_found: return "not_found";
    case Errc::already_exists: return "already_exists";
    case Errc::wrong_key_type: return "wrong_key_type";
    case Errc::invalid_key: return "invalid_key";
    case Errc::authentication_failed: return "authentication_failed";
    case Errc::wrong_password: return "wrong_password";
    case Errc::corrupted: return "corrupted";
    case Errc::unsupported: return "unsupported";
    case Errc::expired: return "expired";
    case Errc::io_error: return "io_error";
    case Errc::resource_exhausted: return "resource_exhausted";
    case Errc::busy: return "busy";
    case Errc::timeout: return "timeout";
    case Errc::unavailable: return "unavailable";
    case Errc::internal: return "internal";
    case Errc::did_not_found: return "did_not_found";
    case Errc::denied: return "denied";
    case Errc::pending_approval: return "pending_approval";
    case Errc::conflict: return "conflict";
  }
  return "unknown";
}

std::string errno_text(int error_number) {
  char buffer[256];
  return ::strerror_r(error_number, buffer, sizeof buffer);  // GNU: returns the text, maybe not in `buffer`
}

std::string Status::to_string() const {
  if (ok())
    return "ok";
  std::string text(errc_name(code_));
  if (!message_.empty()) {
    text += ": ";
    text += message_;
  }
  return text;
}

}  // namespace stronghold
