// Requests an actor has taken on and not answered yet. CAF 0.17 has no broken-promise error: an
// actor that stops with such requests would leave their senders waiting for their timeouts, so
// it fails them all when it stops.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>

#include <caf/error.hpp>

#include "stronghold/actors/messages.hpp"

namespace stronghold::actors {

class PendingAnswers {
 public:
  using Fail = std::function<void(const caf::error&)>;

  // Call once from the actor's own setup.
  template <class Self>
  void fail_on_exit(Self* self) {
    self->attach_functor([pending = pending_](const caf::error& reason) {
      const caf::error failure = reason ? reason : to_error(Status(Errc::unavailable, "the engine stopped"));
      for (auto& [id, fail] : *pending)
        fail(failure);
      pending->clear();
    });
  }
  std::uint64_t add(Fail fail) {
    pending_->emplace(next_id_, std::move(fail));
    return next_id_++;
  }
  template <class T>
  std::uint64_t add(caf::typed_response_promise<T> promise) {
    return add([promise](const caf::error& failure) mutable { promise.deliver(failure); });
  }
  void done(std::uint64_t id) { pending_->erase(id); }
  bool empty() const noexcept { return pending_->empty(); }

 private:
  std::shared_ptr<std::map<std::uint64_t, Fail>> pending_ = std::make_shared<std::map<std::uint64_t, Fail>>();
  std::uint64_t next_id_ = 0;
};

}  // namespace stronghold::actors
