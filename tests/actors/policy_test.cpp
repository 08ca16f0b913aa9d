// Policies through the façade: every path that signs is policed, counts hold under concurrent
// callers and across a reopen, and a policy change is itself policed.
#include <atomic>
#include <future>
#include <thread>

#include <doctest/doctest.h>

#include "actors/fast_options.hpp"
#include "stronghold/engine.hpp"
#include "stronghold/engine_actors.hpp"
#include "support/temp_dir.hpp"

using namespace stronghold;
using actors::PolicyRules;
using vault::KeyType;
using vault::Location;

namespace {

const Bytes kPassword = {'p', 'o', 'l', 'i', 'c', 'y'};
const Bytes kMessage = {'h', 'i'};

Location at(std::string_view text) { return Location::parse(text).value(); }

struct PolicyFixture {
  test::TempDir dir;
  std::string path = dir.file("policy.stronghold");
  EngineOptions options = test::fast_engine_options();
  std::unique_ptr<Engine> engine = Engine::create(path, kPassword, options).value();

  PolicyFixture() { REQUIRE(engine->generate(at("w/k"), KeyType::ed25519).ok()); }
  Status set(const std::string& vault, const std::string& record, PolicyRules rules) {
    return engine->call(actors::SetPolicy{vault, record, std::move(rules)}).status();
  }
  void reopen() {
    engine.reset();
    engine = Engine::open(path, kPassword, options).value();
  }
};

PolicyRules max_uses(std::uint64_t uses) {
  PolicyRules rules;
  rules.max_uses = uses;
  return rules;
}

Errc signed_blocking(Engine& engine) { return engine.sign(at("w/k"), kMessage).status().code(); }

Errc signed_async(Engine& engine) { return engine.sign_future(at("w/k"), kMessage).get().status().code(); }

Errc signed_batch(Engine& engine, std::size_t messages) {
  return engine.sign_batch(at("w/k"), std::vector<Bytes>(messages, kMessage)).status().code();
}

// Kills the vault actor, as a crash would, and waits until its restart (from the file) answers.
void restart_vault_actor(Engine& engine) {
  caf::actor vault_actor;
  {
    caf::scoped_actor self{EngineAccess::actor_system(engine)};
    self->request(EngineAccess::supervisor(engine), std::chrono::seconds(5), actors::children_atom::value)
        .receive([&](std::vector<caf::actor>& children) { vault_actor = children.at(0); }, [](caf::error&) {});
  }
  REQUIRE(vault_actor);
  caf::anon_send_exit(vault_actor, caf::exit_reason::kill);
  const auto restarts = [&] { return engine.stats().value().vault_restarts; };
  for (int attempt = 0; attempt < 400 && restarts() == 0; ++attempt)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  REQUIRE(restarts() == 1);
}

// Runs `sign` on 8 threads, `each` times per thread; returns how many were signed.
int signed_by_8_threads(Engine& engine, int each) {
  std::atomic<int> signed_count{0};
  std::vector<std::thread> threads;
  threads.reserve(8);
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < each; ++i)
        if (engine.sign(at("w/k"), kMessage).ok())
          ++signed_count;
    });
  for (auto& thread : threads)
    thread.join();
  return signed_count.load();
}

TEST_CASE("every signing path of the façade obeys the key's policy") {
  PolicyFixture f;
  REQUIRE(signed_blocking(*f.engine) == Errc::ok);  // the fast path caches the key's material
  REQUIRE(f.set("w", "k", max_uses(3)).ok());
  CHECK(signed_blocking(*f.engine) == Errc::ok);
  CHECK(signed_async(*f.engine) == Errc::ok);
  CHECK(signed_batch(*f.engine, 2) == Errc::denied);  // 2 more than the one left: all or nothing
  CHECK(signed_batch(*f.engine, 1) == Errc::ok);
  CHECK(signed_blocking(*f.engine) == Errc::denied);
  CHECK(signed_async(*f.engine) == Errc::denied);
  CHECK(f.engine->call(actors::SignEcdsa{at("w/k"), kMessage, {}}).status().code() == Errc::denied);
  const Status refused = f.engine->sign(at("w/k"), kMessage).status();
  CHECK(refused.message() == "denied by policy of w/k: used 3 of its 3 uses");
  CHECK(f.engine->public_key(at("w/k")).ok());  // reading the public key is no use

  // A vault's policy governs its keys too, and removing the rules frees them again.
  REQUIRE(f.set("w", "k", PolicyRules{}).ok());
  CHECK(signed_blocking(*f.engine) == Errc::ok);
  PolicyRules only_derive;
  only_derive.kinds = {static_cast<std::uint16_t>(actors::RequestKind::DeriveKey)};
  REQUIRE(f.set("w", "", only_derive).ok());
  CHECK(signed_blocking(*f.engine) == Errc::denied);
  CHECK(signed_async(*f.engine) == Errc::denied);
  CHECK(f.engine->call(actors::ShowPolicy{"w", ""}).value().present);
}

TEST_CASE("max uses hold exactly under 8 concurrent threads") {
  PolicyFixture f;
  REQUIRE(f.set("w", "k", max_uses(50)).ok());
  CHECK(signed_by_8_threads(*f.engine, 20) == 50);
  CHECK(f.engine->call(actors::ShowPolicy{"w", "k"}).value().uses == 50);
}

TEST_CASE("a rate limit holds exactly under 8 concurrent threads") {
  PolicyFixture f;
  PolicyRules rate;
  rate.rate_count = 12;
  rate.rate_seconds = 24 * 3600;  // no refill during the test
  REQUIRE(f.set("w", "k", rate).ok());
  CHECK(signed_by_8_threads(*f.engine, 10) == 12);
}

TEST_CASE("use counts survive a reopen exactly, and a restart loses at most one reservation of uses") {
  PolicyFixture f;
  constexpr std::uint64_t kMax = 20'000;  // a block of 19 uses
  REQUIRE(f.set("w", "k", max_uses(kMax)).ok());
  for (int i = 0; i < 10; ++i)
    REQUIRE(signed_blocking(*f.engine) == Errc::ok);
  f.reopen();
  CHECK(f.engine->call(actors::ShowPolicy{"w", "k"}).value().uses == 10);  // a clean close writes the count
  for (int i = 0; i < 10; ++i)
    REQUIRE(signed_blocking(*f.engine) == Errc::ok);
  // The vault actor restarts from the file, as after a crash: the reservation counts as used.
  restart_vault_actor(*f.engine);
  const std::uint64_t counted = f.engine->call(actors::ShowPolicy{"w", "k"}).value().uses;
  CHECK(counted >= 20);
  CHECK(counted <= 20 + vault::reservation_block(kMax));
  REQUIRE(f.set("w", "k", max_uses(counted + 5)).ok());  // a small limit counts every use durably
  int more = 0;
  while (signed_blocking(*f.engine) == Errc::ok)
    ++more;
  CHECK(more == 5);
  f.reopen();
  CHECK(f.engine->call(actors::ShowPolicy{"w", "k"}).value().uses == counted + 5);  // nothing lost
}

TEST_CASE("a policy change is itself policed, and bad rules leave the policy as it was") {
  PolicyFixture f;
  PolicyRules locked;
  locked.callers = {"client:admin"};
  REQUIRE(f.set("w", "", locked).ok());
  const vault::Caller stranger{"uid:1000", ""};
  CHECK(f.engine->call(actors::SetPolicy{"w", "", PolicyRules{}}, stranger).status().code() == Errc::denied);
  CHECK(f.engine->call(actors::ShowPolicy{"w", "k"}, stranger).status().code() == Errc::denied);
  CHECK(f.engine->call(actors::Sign{at("w/k"), kMessage}, stranger).status().code() == Errc::denied);
  CHECK(signed_blocking(*f.engine) == Errc::denied);        // the owner signs only as the policy says...
  CHECK(f.engine->call(actors::ShowPolicy{"w", ""}).ok());  // ... but always manages policies
  const vault::Caller admin{"uid:1000", "admin"};
  CHECK(f.engine->call(actors::SetPolicy{"w", "k", max_uses(1)}, admin).ok());
  CHECK(f.engine->call(actors::Sign{at("w/k"), kMessage}, admin).ok());
  CHECK(f.engine->call(actors::Sign{at("w/k"), kMessage}, admin).status().code() == Errc::denied);

  PolicyRules bad;
  bad.rate_count = 5;  // per 0 seconds
  CHECK(f.engine->call(actors::SetPolicy{"w", "", bad}, admin).status().code() == Errc::invalid_argument);
  bad = PolicyRules{};
  bad.kinds = {999};
  CHECK(f.engine->call(actors::SetPolicy{"w", "", bad}, admin).status().code() == Errc::invalid_argument);
  CHECK(f.engine->call(actors::SetPolicy{"w\x01", "", PolicyRules{}}, admin).status().code() == Errc::invalid_argument);
  CHECK(f.engine->call(actors::ShowPolicy{"w", ""}).value().rules.callers == std::vector<std::string>{"client:admin"});
}

TEST_CASE("an export names every vault it takes, and a vault's policy may refuse it") {
  PolicyFixture f;
  REQUIRE(f.engine->generate(at("x/sender"), KeyType::ed25519).ok());
  REQUIRE(f.engine->generate(at("x/recipient"), KeyType::x25519).ok());
  const Bytes recipient = f.engine->public_key(at("x/recipient")).value();
  PolicyRules no_export;
  no_export.kinds = {static_cast<std::uint16_t>(actors::RequestKind::Sign)};
  REQUIRE(f.set("w", "", no_export).ok());
  CHECK(f.engine->call(actors::ExportVaults{recipient, at("x/sender"), {"x"}}).ok());
  CHECK(f.engine->call(actors::ExportVaults{recipient, at("x/sender"), {"w"}}).status().code() == Errc::denied);
  CHECK(f.engine->call(actors::ExportVaults{recipient, at("x/sender"), {}}).status().code() == Errc::denied);
}

}  // namespace

TEST_CASE("a key-encryption key is policed as a key wrap and unwrap use it") {
  PolicyFixture f;
  REQUIRE(f.engine->generate(at("w/kek"), KeyType::symmetric).ok());
  REQUIRE(f.engine->generate(at("w/data"), KeyType::symmetric).ok());
  REQUIRE(f.set("w", "kek", max_uses(1)).ok());
  const auto wrapped = f.engine->call(actors::WrapKey{at("w/data"), at("w/kek")});
  REQUIRE(wrapped.ok());
  const Status refused = f.engine->call(actors::UnwrapKey{*wrapped, at("w/kek"), at("w/back")}).status();
  CHECK(refused.code() == Errc::denied);
  CHECK(refused.message() == "denied by policy of w/kek: used 1 of its 1 uses");
  PolicyRules only_hmac;
  only_hmac.kinds = {static_cast<std::uint16_t>(actors::RequestKind::Hmac)};
  REQUIRE(f.set("w", "data", only_hmac).ok());
  REQUIRE(f.set("w", "kek", PolicyRules{}).ok());
  CHECK(f.engine->call(actors::WrapKey{at("w/data"), at("w/kek")}).status().code() == Errc::denied);
  CHECK(f.engine->call(actors::UnwrapKey{*wrapped, at("w/kek"), at("w/back")}).ok());
}
