// The watch stream (stronghold/actors/events.hpp): the hub's bounded queues, and the events an
// engine publishes as requests are denied, change policies or settings, move keys out or in,
// delete them, meet an expired key or a wrong password, and wait for approvals.
#include <sodium.h>

#include <atomic>
#include <thread>

#include <doctest/doctest.h>

#include "actors/fast_options.hpp"
#include "stronghold/actors/events.hpp"
#include "stronghold/engine.hpp"
#include "stronghold/vault/approvals.hpp"
#include "support/temp_dir.hpp"

using namespace stronghold;
using actors::Event;
using actors::EventHub;
using actors::EventType;
using vault::KeyType;
using vault::Location;

namespace {

const Bytes kPassword = {'w', 'a', 't', 'c', 'h'};

Location at(std::string_view text) { return Location::parse(text).value(); }
actors::Secret secret(const Bytes& bytes) { return actors::Secret::seal(bytes).value(); }

Event event_of(EventType type, std::string detail = {}) {
  Event event;
  event.type = type;
  event.detail = std::move(detail);
  return event;
}

// The number of events dropped that an overflow event reports ("N events dropped: ...").
std::uint64_t dropped_in(const Event& overflow) {
  REQUIRE(overflow.type == EventType::overflow);
  return std::stoull(overflow.detail);
}

}  // namespace

TEST_CASE("a watcher gets every event in order, and the hub counts as watched only while it is subscribed") {
  EventHub hub;
  CHECK_FALSE(hub.watched());
  hub.publish(event_of(EventType::denied, "before anyone watched"));
  int notified = 0;
  auto subscription = hub.subscribe(16, [&] { ++notified; }).value();
  CHECK(hub.watched());
  CHECK(subscription->take().empty());
  for (int i = 0; i < 3; ++i)
    hub.publish(event_of(EventType::deleted, std::to_string(i)));
  CHECK(notified == 1);  // once, when the first event landed in the empty queue
  const std::vector<Event> events = subscription->take();
  REQUIRE(events.size() == 3);
  for (int i = 0; i < 3; ++i) {
    CHECK(events[static_cast<std::size_t>(i)].type == EventType::deleted);
    CHECK(events[static_cast<std::size_t>(i)].detail == std::to_string(i));
  }
  subscription.reset();
  hub.publish(event_of(EventType::denied));
  CHECK_FALSE(hub.watched());
}

TEST_CASE("a full queue drops events and reports their number in one overflow event, exactly, under 8 threads") {
  EventHub hub;
  auto subscription = hub.subscribe(100).value();
  constexpr int kThreads = 8;
  constexpr int kEach = 10'000;
  std::atomic<bool> publishing = true;
  std::uint64_t received = 0;
  std::uint64_t dropped = 0;
  const auto count = [&](const std::vector<Event>& events) {
    for (const Event& event : events) {
      if (event.type == EventType::overflow)
        dropped += dropped_in(event);
      else
        ++received;
    }
  };
  std::thread reader([&] {
    while (publishing.load())
      count(subscription->wait(std::chrono::milliseconds(1)));
  });
  std::vector<std::thread> publishers;
  publishers.reserve(kThreads);
  for (int t = 0; t < kThreads; ++t)
    publishers.emplace_back([&hub] {
      for (int i = 0; i < kEach; ++i)
        hub.publish(event_of(EventType::denied));
    });
  for (std::thread& publisher : publishers)
    publisher.join();
  publishing = false;
  reader.join();
  count(subscription->take());
  CHECK(received + dropped == std::uint64_t{kThreads} * kEach);
  CHECK(received >= 100);  // at least one queue's worth arrived
  CHECK(subscription->take().empty());
}

TEST_CASE("a watcher's queue, the number of watchers and every field of an event are bounded") {
  EventHub hub;
  CHECK(hub.subscribe(0).status().code() == Errc::invalid_argument);
  CHECK(hub.subscribe(EventHub::kMaxCapacity + 1).status().code() == Errc::invalid_argument);
  std::vector<std::shared_ptr<EventHub::Subscription>> all;
  for (std::size_t i = 0; i < EventHub::kMaxSubscribers; ++i)
    all.push_back(hub.subscribe(1).value());
  CHECK(hub.subscribe(1).status().code() == Errc::resource_exhausted);
  all.pop_back();  // a watcher that leaves makes room
  all.push_back(hub.subscribe(1).value());

  Event huge = event_of(EventType::denied, std::string(100'000, 'd'));
  huge.caller = std::string(100'000, 'c');
  huge.location = std::string(100'000, 'l');
  huge.kind = std::string(100'000, 'k');
  hub.publish(huge);
  const Event got = all.front()->take().at(0);
  CHECK(got.detail.size() == actors::kMaxEventField);
  CHECK(got.caller.size() == actors::kMaxEventField);
  CHECK(got.location.size() == actors::kMaxEventField);
  CHECK(got.kind.size() == actors::kMaxEventField);
}

namespace {

struct WatchedEngine {
  test::TempDir dir;
  std::shared_ptr<EventHub> hub = std::make_shared<EventHub>();
  std::shared_ptr<EventHub::Subscription> watcher = hub->subscribe(1024).value();
  std::unique_ptr<Engine> engine;
  WatchedEngine() {
    EngineOptions options = test::fast_engine_options();
    options.actors.events = hub;
    engine = Engine::create(dir.file("w.stronghold"), kPassword, options).value();
  }
  // The next event, waiting for it a while (KDF requests announce from the vault actor once their
  // worker answered); the test fails when none comes.
  Event next() {
    if (pending_.empty())
      for (int i = 0; i < 100 && pending_.empty(); ++i)
        for (Event& event : watcher->wait(std::chrono::milliseconds(100)))
          pending_.push_back(std::move(event));
    REQUIRE_FALSE(pending_.empty());
    Event event = std::move(pending_.front());
    pending_.erase(pending_.begin());
    return event;
  }
  bool quiet() {
    for (Event& event : watcher->take())
      pending_.push_back(std::move(event));
    return pending_.empty();
  }

 private:
  std::vector<Event> pending_;
};

}  // namespace

TEST_CASE("an engine tells its watchers of denials, rate limits, changes, exports, deletions and wrong passwords") {
  WatchedEngine f;
  Engine& engine = *f.engine;
  REQUIRE(engine.generate(at("w/ed"), KeyType::ed25519).ok());
  const Bytes recipient = engine.generate(at("w/to"), KeyType::x25519).value();
  REQUIRE(engine.sign(at("w/ed"), Bytes{'m'}).ok());
  CHECK(f.quiet());  // requests that change nothing dangerous are no news

  REQUIRE(engine.call(actors::SetPolicy{"w", "", {.callers = {"owner"}}}).ok());
  Event event = f.next();
  CHECK(event.type == EventType::policy_changed);
  CHECK(event.kind == "policy.set");
  CHECK(event.caller == "owner");

  CHECK(engine.call(actors::Sign{at("w/ed"), Bytes{'m'}}, vault::Caller{"mallory", {}}).status().code() ==
        Errc::denied);
  event = f.next();
  CHECK(event.type == EventType::denied);
  CHECK(event.caller == "mallory");
  CHECK(event.kind == "sign");
  CHECK(event.location == "w/ed");
  CHECK(event.detail.find("denied by policy of vault w") != std::string::npos);

  REQUIRE(engine.call(actors::SetPolicy{"w", "ed", {.rate_count = 1, .rate_seconds = 3600}}).ok());
  CHECK(f.next().type == EventType::policy_changed);
  REQUIRE(engine.sign(at("w/ed"), Bytes{'m'}).ok());
  CHECK(engine.sign(at("w/ed"), Bytes{'m'}).code() == Errc::denied);
  CHECK(f.next().type == EventType::rate_limited);

  REQUIRE(engine.call(actors::ExportVaults{recipient, at("w/to"), {"w"}}).code() == Errc::wrong_key_type);
  CHECK(f.quiet());  // a failed export is no export
  REQUIRE(engine.generate(at("x/sign"), KeyType::ed25519).ok());
  REQUIRE(engine.call(actors::ExportVaults{recipient, at("x/sign"), {"x"}}).ok());
  event = f.next();
  CHECK(event.type == EventType::exported);
  CHECK(event.kind == "export");

  REQUIRE(engine.remove(at("x/sign")).ok());
  event = f.next();
  CHECK(event.type == EventType::deleted);
  CHECK(event.location == "x/sign");

  REQUIRE(engine.generate(at("x/old"), KeyType::ed25519).ok());
  REQUIRE(engine.call(actors::ExpireKey{at("x/old"), 1, 0}).ok());
  CHECK(engine.sign(at("x/old"), Bytes{'m'}).code() == Errc::expired);
  event = f.next();
  CHECK(event.type == EventType::expired);
  CHECK(event.location == "x/old");

  CHECK(engine.change_password(Bytes{'n', 'o'}, Bytes{'n', 'e', 'w'}).code() == Errc::wrong_password);
  event = f.next();
  CHECK(event.type == EventType::unlock_failed);
  CHECK(event.kind == "passwd");
  CHECK(engine.call(actors::SetAuditMode{vault::AuditMode::off, secret(Bytes{'n', 'o'})}).code() ==
        Errc::wrong_password);
  CHECK(f.next().type == EventType::unlock_failed);  // and no change was announced
  REQUIRE(engine.call(actors::SetAuditMode{vault::AuditMode::off, secret(kPassword)}).ok());
  event = f.next();
  CHECK(event.type == EventType::settings_changed);
  CHECK(event.kind == "audit.set");
  CHECK(f.quiet());
}

TEST_CASE("an engine tells its watchers when a request waits for approvals, is approved, or expires waiting") {
  WatchedEngine f;
  Engine& engine = *f.engine;
  Bytes public_key(crypto_sign_PUBLICKEYBYTES);
  Bytes secret_key(crypto_sign_SECRETKEYBYTES);
  crypto_sign_keypair(public_key.data(), secret_key.data());
  REQUIRE(engine.call(actors::ApproverAdd{"ann", public_key, vault::Overwrite::refuse, secret(kPassword)}).ok());
  CHECK(f.next().type == EventType::settings_changed);
  REQUIRE(engine.call(actors::SetApprovalRule{1, {}, 3600, secret(kPassword)}).ok());
  CHECK(f.next().type == EventType::policy_changed);

  REQUIRE(engine.generate(at("w/ed"), KeyType::ed25519).ok());
  CHECK(engine.remove(at("w/ed")).code() == Errc::pending_approval);
  Event event = f.next();
  CHECK(event.type == EventType::approval_requested);
  CHECK(event.kind == "key.delete");
  const auto pending = engine.call(actors::ListApprovals{}).value();
  REQUIRE(pending.size() == 1);
  const Bytes message = vault::approval_message(pending[0].digest);
  Bytes signature(crypto_sign_BYTES);
  crypto_sign_detached(signature.data(), nullptr, message.data(), message.size(), secret_key.data());
  REQUIRE(engine.call(actors::Approve{pending[0].id, "ann", signature}).ok());
  event = f.next();
  CHECK(event.type == EventType::approval_given);
  CHECK(event.detail.find("ann") != std::string::npos);
  REQUIRE(engine.remove(at("w/ed")).ok());
  CHECK(f.next().type == EventType::deleted);
  CHECK(f.quiet());
}
