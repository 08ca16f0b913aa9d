#include "stronghold/actors/events.hpp"

#include <algorithm>
#include <array>

#include <fmt/format.h>

namespace stronghold::actors {

std::string_view event_type_name(EventType type) noexcept {
  static constexpr std::array<std::string_view, static_cast<std::size_t>(kLastEventType) + 1> kNames = {
      "",
      "denied",
      "rate_limited",
      "approval_requested",
      "approval_given",
      "approval_expired",
      "policy_changed",
      "settings_changed",
      "exported",
      "imported",
      "deleted",
      "expired",
      "unlock_failed",
      "actor_restarted",
      "overflow",
  };
  const auto index = static_cast<std::size_t>(type);
  return index < kNames.size() ? kNames[index] : std::string_view{};
}

namespace {

void cut(std::string& field) {
  if (field.size() > kMaxEventField)
    field.resize(kMaxEventField);
}

}  // namespace

bool EventHub::Subscription::push(Event&& event) {
  std::lock_guard guard(mutex_);
  if (queue_.size() >= capacity_) {
    ++dropped_;
    return false;
  }
  queue_.push_back(std::move(event));
  ready_.notify_one();
  return queue_.size() == 1;
}

std::vector<Event> EventHub::Subscription::take_locked() {
  std::vector<Event> events(std::make_move_iterator(queue_.begin()), std::make_move_iterator(queue_.end()));
  queue_.clear();
  if (dropped_ != 0) {
    Event missed;
    missed.time_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
            .count();
    missed.type = EventType::overflow;
    missed.detail = fmt::format("{} events dropped: this watcher read too slowly", dropped_);
    events.push_back(std::move(missed));
    dropped_ = 0;
  }
  return events;
}

std::vector<Event> EventHub::Subscription::take() {
  std::lock_guard guard(mutex_);
  return take_locked();
}

std::vector<Event> EventHub::Subscription::wait(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  ready_.wait_for(lock, timeout, [this] { return !queue_.empty() || dropped_ != 0; });
  return take_locked();
}

Result<std::shared_ptr<EventHub::Subscription>> EventHub::subscribe(std::size_t capacity,
                                                                    std::function<void()> notify) {
  if (capacity == 0 || capacity > kMaxCapacity)
    return error(Errc::invalid_argument, "a watcher's queue holds 1 to {} events", kMaxCapacity);
  auto subscription = std::make_shared<Subscription>();
  subscription->capacity_ = capacity;
  subscription->notify_ = std::move(notify);
  std::lock_guard guard(mutex_);
  std::erase_if(subscribers_, [](const std::weak_ptr<Subscription>& held) { return held.expired(); });
  if (subscribers_.size() >= kMaxSubscribers)
    return error(Errc::resource_exhausted, "at most {} watchers at a time", kMaxSubscribers);
  subscribers_.push_back(subscription);
  watched_.store(true, std::memory_order_release);
  return subscription;
}

void EventHub::publish(Event event) {
  if (!watched())
    return;
  cut(event.caller);
  cut(event.kind);
  cut(event.location);
  cut(event.detail);
  std::vector<std::shared_ptr<Subscription>> live;
  {
    std::lock_guard guard(mutex_);
    std::erase_if(subscribers_, [](const std::weak_ptr<Subscription>& held) { return held.expired(); });
    watched_.store(!subscribers_.empty(), std::memory_order_release);
    for (const auto& held : subscribers_)
      if (auto subscription = held.lock())
        live.push_back(std::move(subscription));
  }
  for (const auto& subscription : live) {
    Event copy = event;
    if (subscription->push(std::move(copy)) && subscription->notify_)
      subscription->notify_();
  }
}

}  // namespace stronghold::actors
