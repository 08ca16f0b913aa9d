// The watch stream: events a security team wants to see as they happen (a denial, a rate limit
// hit, an approval asked for or given, a policy change, an export, a deletion, a wrong password,
// an actor restarted), fanned out to subscribers.
//
// An engine publishes to the hub its options name (actors::EngineOptions::events); strongholdd
// publishes its own (a failed unlock) to the same hub and streams it to its watchers. Publishing
// never waits for a subscriber: each has a bounded queue, and events that find it full are
// dropped and counted, then reported as one `overflow` event. With no subscriber, publishing is
// one atomic load. Free of CAF, so that the façade can name it.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "stronghold/runtime/status.hpp"

namespace stronghold::actors {

// Numbers are part of the wire protocol (docs/wire-protocol.md): never reused.
enum class EventType : std::uint8_t {
  denied = 1,              // a policy refused a request (detail: the rule)
  rate_limited = 2,        // a policy's rate limit refused a request
  approval_requested = 3,  // a request waits for approvals (detail: its id)
  approval_given = 4,      // an approver approved a waiting request
  approval_expired = 5,    // a waiting request's deadline passed
  policy_changed = 6,      // policy.set, approval.set
  settings_changed = 7,    // audit.set, passwd, an approver or a client added or removed
  exported = 8,            // export, export.password
  imported = 9,            // import, import.password
  deleted = 10,            // a key or a secret deleted
  expired = 11,            // a request met a key past its expiry
  unlock_failed = 12,      // a wrong password: unlock, or a request that takes the password
  actor_restarted = 13,    // the supervisor restarted an actor (detail: which)
  overflow = 14,           // a watcher's queue was full: detail says how many events it missed
};
inline constexpr EventType kLastEventType = EventType::overflow;

std::string_view event_type_name(EventType type) noexcept;

struct Event {
  std::int64_t time_ms = 0;  // unix milliseconds
  EventType type = EventType::denied;
  std::string caller;    // who asked ("owner", "uid:1000 client:alice"); empty for the engine itself
  std::string kind;      // the request kind's name ("key.delete"); empty when no request caused it
  std::string location;  // the first location the request names, or empty
  std::string detail;    // the rule, the error, the actor or the count; never a secret
};

// Each text field is cut to this many bytes when published, so that an event always fits a frame.
inline constexpr std::size_t kMaxEventField = 512;

class EventHub {
 public:
  // One watcher's queue. Dropping the last reference unsubscribes.
  class Subscription {
   public:
    // The events queued so far, oldest first, then one overflow event when some were dropped.
    std::vector<Event> take();
    // The same, waiting up to `timeout` for the first event.
    std::vector<Event> wait(std::chrono::milliseconds timeout);

   private:
    friend class EventHub;
    bool push(Event&& event);  // true when the queue was empty (the watcher is to be woken)
    std::vector<Event> take_locked();
    std::mutex mutex_;
    std::condition_variable ready_;
    std::deque<Event> queue_;
    std::size_t capacity_ = 0;
    std::uint64_t dropped_ = 0;
    std::function<void()> notify_;
  };

  static constexpr std::size_t kMaxSubscribers = 256;
  static constexpr std::size_t kMaxCapacity = 65'536;

  // A queue of `capacity` events (1..kMaxCapacity); `notify` (may be empty) runs on the publishing
  // thread when an event lands in an empty queue: keep it short and never let it block (write an
  // eventfd). resource_exhausted beyond kMaxSubscribers.
  Result<std::shared_ptr<Subscription>> subscribe(std::size_t capacity, std::function<void()> notify = {});
  // Never blocks on a watcher. Does nothing when nobody watches.
  void publish(Event event);
  // Whether anybody watches: publishers build no event otherwise.
  bool watched() const noexcept { return watched_.load(std::memory_order_acquire); }

 private:
  mutable std::mutex mutex_;
  std::vector<std::weak_ptr<Subscription>> subscribers_;
  std::atomic<bool> watched_{false};
};

}  // namespace stronghold::actors
