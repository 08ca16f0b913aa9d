// The error value every floor returns. No exception crosses a floor boundary: a function
// that can fail returns Status or Result<T>. Messages name places and reasons, never
// secret bytes.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include <fmt/format.h>

namespace stronghold {

enum class Errc : std::uint8_t {
  ok = 0,
  invalid_argument,  // malformed input: bad length, hex, path, mnemonic, message
  not_found,         // unknown location, record, entry or DID
  already_exists,
  wrong_key_type,         // the record holds another kind of key than the operation needs
  invalid_key,            // a key or point that the algorithm rejects
  authentication_failed,  // a seal or a signature did not verify
  wrong_password,
  corrupted,    // damaged data read from disk or from a peer
  unsupported,  // a format version or algorithm this build does not know
  expired,
  io_error,
  resource_exhausted,  // a bound or a system limit was hit
  busy,                // locked or in use by someone else
  timeout,
  unavailable,  // the component that would answer has stopped
  internal,
  did_not_found,     // an identity (DID) the storage does not hold
  denied,            // refused by a policy (the message names the rule)
  pending_approval,  // waits for M approvals (the message names the pending request's id and digest)
  conflict,          // another node of a cluster appended first: nothing changed, send it again
};
// The highest code: a number above it is no Errc (the wire and the C ABI check this).
inline constexpr Errc kLastErrc = Errc::conflict;

std::string_view errc_name(Errc code) noexcept;

// The text of an errno value. std::strerror may share one buffer between threads; this does not.
std::string errno_text(int error_number);

class [[nodiscard]] Status {
 public:
  Status() noexcept = default;
  Status(Errc code, std::string message) : code_(code), message_(std::move(message)) {}

  bool ok() const noexcept { return code_ == Errc::ok; }
  explicit operator bool() const noexcept { return ok(); }
  Errc code() const noexcept { return code_; }
  const std::string& message() const noexcept { return message_; }
  // "not_found: no record at wallet/seed"
  std::string to_string() const;

 private:
  Errc code_ = Errc::ok;
  std::string message_;
};

inline Status ok_status() { return {}; }

template <class... Args>
Status error(Errc code, fmt::format_string<Args...> format, Args&&... args) {
  return Status(code, fmt::format(format, std::forward<Args>(args)...));
}

// A value or the Status that explains why there is none.
template <class T>
class [[nodiscard]] Result {
 public:
  using value_type = T;
  // Implicit by design: a function that returns a Result returns a value or a Status.
  Result(T value) : state_(std::in_place_index<0>, std::move(value)) {}        // NOLINT(google-explicit-constructor)
  Result(Status status) : state_(std::in_place_index<1>, std::move(status)) {  // NOLINT(google-explicit-constructor)
    if (std::get<1>(state_).ok())
      state_.template emplace<1>(Errc::internal, "a Result was built from a success status");
  }

  bool ok() const noexcept { return state_.index() == 0; }
  explicit operator bool() const noexcept { return ok(); }

  // Precondition for value(): ok(). Checked: reading the value of a failed Result is a bug.
  T& value() & { return std::get<0>(state_); }
  const T& value() const& { return std::get<0>(state_); }
  T&& value() && { return std::get<0>(std::move(state_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  Status status() const { return ok() ? Status{} : std::get<1>(state_); }
  Errc code() const noexcept { return ok() ? Errc::ok : std::get<1>(state_).code(); }

 private:
  std::variant<T, Status> state_;
};

}  // namespace stronghold

// Propagate a failed Status from an expression returning Status.
#define SH_RETURN_IF_ERROR(expr)                                    \
  do {                                                              \
    if (::stronghold::Status sh_status_ = (expr); !sh_status_.ok()) \
      return sh_status_;                                            \
  } while (false)

#define SH_CONCAT_INNER(a, b) a##b
#define SH_CONCAT(a, b) SH_CONCAT_INNER(a, b)
// Declare `lhs` from a Result-returning expression, or return its Status.
#define SH_ASSIGN_OR_RETURN(lhs, expr) SH_ASSIGN_OR_RETURN_IMPL(SH_CONCAT(sh_result_, __LINE__), lhs, expr)
// NOLINTBEGIN(bugprone-macro-parentheses): `tmp` is a name and `lhs` a declaration; parentheses
// around either would not compile.
#define SH_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                             \
  if (!tmp.ok())                                 \
    return tmp.status();                         \
  lhs = std::move(tmp).value()
// NOLINTEND(bugprone-macro-parentheses)

template <>
struct fmt::formatter<stronghold::Status> : fmt::formatter<std::string_view> {
  auto format(const stronghold::Status& status, fmt::format_context& ctx) const {
    return fmt::formatter<std::string_view>::format(status.to_string(), ctx);
  }
};
