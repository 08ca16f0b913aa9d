// A non-owning reference to a callable: the cost of an indirect call, no allocation. Used for
// callbacks that run while a secret is unsealed.
#pragma once

#include <memory>
#include <type_traits>
#include <utility>

namespace stronghold::vault {

template <class Signature>
class FunctionRef;

template <class R, class... Args>
class FunctionRef<R(Args...)> {
 public:
  // Implicit by design, like std::function. The requires-clause keeps it from hiding the copy
  // and move constructors (bugprone-forwarding-reference-overload knows only enable_if), and
  // clang-format 14 misplaces a requires-clause.
  // clang-format off
  template <class F>
    requires(!std::is_same_v<std::remove_cvref_t<F>, FunctionRef> && std::is_invocable_r_v<R, F&, Args...>)
  FunctionRef(F&& function) noexcept  // NOLINT(bugprone-forwarding-reference-overload): see above
      // clang-format on
      : object_(const_cast<void*>(static_cast<const void*>(std::addressof(function)))),
        call_([](void* object, Args... args) -> R {
          return (*static_cast<std::remove_reference_t<F>*>(object))(std::forward<Args>(args)...);
        }) {}

  R operator()(Args... args) const { return call_(object_, std::forward<Args>(args)...); }

 private:
  void* object_;
  R (*call_)(void*, Args...);
};

}  // namespace stronghold::vault
