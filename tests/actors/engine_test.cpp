#include <atomic>
#include <future>
#include <stdexcept>
#include <thread>

#include <doctest/doctest.h>

#include "actors/fast_options.hpp"
#include "stronghold/engine.hpp"
#include "stronghold/engine_actors.hpp"
#include "stronghold/vault/keys.hpp"
#include "stronghold/vault/verify.hpp"
#include "support/file_bytes.hpp"
#include "support/temp_dir.hpp"

using namespace stronghold;
using vault::KeyType;
using vault::Location;

namespace {

const Bytes kPassword = {'e', 'n', 'g', 'i', 'n', 'e'};
const Bytes kMessage = {'h', 'i'};

Location at(std::string_view text) { return Location::parse(text).value(); }

struct EngineFixture {
  test::TempDir dir;
  std::string path = dir.file("engine.stronghold");
  EngineOptions options = test::fast_engine_options();

  std::unique_ptr<Engine> create() {
    auto engine = Engine::create(path, kPassword, options);
    REQUIRE_MESSAGE(engine.ok(), engine.status().to_string());
    return std::move(engine).value();
  }
  std::unique_ptr<Engine> open() {
    auto engine = Engine::open(path, kPassword, options);
    REQUIRE_MESSAGE(engine.ok(), engine.status().to_string());
    return std::move(engine).value();
  }
  Bytes read_file() const { return test::read_bytes(path); }
  void write_file(ByteView bytes) const { test::write_bytes(path, bytes); }
};

// A child of the engine's supervisor (0: vault actor, 1: snapshot actor, 2: identity registry, 3...: signers).
caf::actor child(Engine& engine, caf::actor_system& system, std::size_t index) {
  caf::scoped_actor self{system};
  caf::actor found;
  self->request(EngineAccess::supervisor(engine), std::chrono::seconds(5), actors::children_atom::value)
      .receive([&](std::vector<caf::actor>& children) { found = children.at(index); }, [](caf::error&) {});
  return found;
}

// The public key at `location` once the vault actor answers again after a restart (requests
// during the restart fail or succeed; none hangs).
Result<Bytes> public_key_after_restart(Engine& engine, const Location& location) {
  Result<Bytes> probe = engine.public_key(location);
  for (int attempt = 0; attempt < 200 && !probe.ok(); ++attempt) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    probe = engine.public_key(location);
  }
  return probe;
}

}  // namespace

TEST_CASE_FIXTURE(EngineFixture, "the façade generates, signs, derives, deletes and keeps secrets, durably") {
  Bytes ed_public, k1_public;
  {
    auto engine = create();
    ed_public = engine->generate(at("w/ed"), KeyType::ed25519).value();
    k1_public = engine->generate(at("w/k1"), KeyType::secp256k1).value();
    CHECK(engine->public_key(at("w/ed")).value() == ed_public);
    CHECK(vault::verify_ed25519(ed_public, kMessage, engine->sign(at("w/ed"), kMessage).value()));
    CHECK(vault::verify_ecdsa(k1_public, kMessage, engine->sign(at("w/k1"), kMessage).value()));
    const Bytes der = engine->sign_ecdsa(at("w/k1"), kMessage, {false, vault::EcdsaFormat::der}).value();
    CHECK(vault::verify_ecdsa(k1_public, kMessage, der, {vault::EcdsaEncoding::der, false, true}));
    const auto batch = engine->sign_batch(at("w/ed"), {Bytes{1}, Bytes{2}, Bytes{3}}).value();
    REQUIRE(batch.size() == 3);
    CHECK(vault::verify_ed25519(ed_public, Bytes{3}, batch[2]));

    REQUIRE(engine->import_key(at("w/seed"), KeyType::seed, Bytes(32, 9)).ok());
    const Bytes derived = engine->derive(at("w/seed"), "m/44'/4218'/0'", vault::Curve::ed25519, at("w/acct")).value();
    CHECK(engine->public_key(at("w/acct")).value() == derived);

    REQUIRE(engine->put_secret("mail", Bytes{'p', 'w'}).ok());
    auto secret = engine->get_secret("mail");
    REQUIRE(secret.ok());
    CHECK(secret->read().bytes()[1] == 'w');

    REQUIRE(engine->generate(at("w/gone"), KeyType::ed25519).ok());
    REQUIRE(engine->remove(at("w/gone")).ok());
    CHECK(engine->sign(at("w/gone"), kMessage).code() == Errc::not_found);
    REQUIRE(engine->sync().ok());
  }
  auto reopened = open();
  CHECK(reopened->public_key(at("w/ed")).value() == ed_public);
  CHECK(reopened->public_key(at("w/k1")).value() == k1_public);
  CHECK(reopened->get_secret("mail").ok());
  CHECK(reopened->sign(at("w/gone"), kMessage).code() == Errc::not_found);
}

TEST_CASE_FIXTURE(EngineFixture, "a generated seed derives keys that derive on, across a reopen") {
  const auto derive = [](Engine& engine, const char* from, const char* path, const char* into) {
    return engine.call(actors::DeriveKey{at(from), path, vault::Curve::secp256k1, at(into)});
  };
  Bytes whole;
  {
    auto engine = create();
    CHECK(engine->call(actors::GenerateSeed{at("w/seed"), 65}).code() == Errc::invalid_argument);
    CHECK(engine->call(actors::GenerateSeed{at("w/seed"), 15}).code() == Errc::invalid_argument);
    REQUIRE(engine->call(actors::GenerateSeed{at("w/seed")}).ok());
    CHECK(engine->call(actors::GenerateSeed{at("w/seed"), 16}).code() == Errc::already_exists);
    REQUIRE(derive(*engine, "w/seed", "m/44'/60'/0'", "w/account").ok());
    whole = derive(*engine, "w/seed", "m/44'/60'/0'/0/5", "w/whole").value();
    REQUIRE(engine->generate(at("w/plain"), KeyType::secp256k1).ok());
    CHECK(derive(*engine, "w/plain", "m/0", "w/x").code() == Errc::wrong_key_type);
    REQUIRE(engine->sync().ok());
  }
  auto reopened = open();
  CHECK(derive(*reopened, "w/account", "m/0/5", "w/leaf").value() == whole);
  REQUIRE(reopened->remove(at("w/account")).ok());
  CHECK(derive(*reopened, "w/account", "m/0/5", "w/leaf2").code() == Errc::not_found);
}

TEST_CASE_FIXTURE(EngineFixture, "errors come back as clear values") {
  auto engine = create();
  REQUIRE(engine->generate(at("w/x"), KeyType::x25519).ok());
  CHECK(engine->sign(at("w/x"), kMessage).code() == Errc::wrong_key_type);
  CHECK(engine->sign(at("w/none"), kMessage).code() == Errc::not_found);
  CHECK(engine->sign(Location{"bad/vault", "r"}, kMessage).code() == Errc::invalid_argument);
  CHECK(engine->import_key(at("w/bad"), KeyType::secp256k1, Bytes(32, 0)).code() == Errc::invalid_key);
  CHECK(engine->get_secret("none").code() == Errc::not_found);
  CHECK(engine->remove(at("w/none")).code() == Errc::not_found);
  engine->close();
  CHECK(engine->sign(at("w/x"), kMessage).code() == Errc::unavailable);
}

TEST_CASE_FIXTURE(EngineFixture, "many asynchronous requests in flight all get their answer") {
  auto engine = create();
  const Bytes public_key = engine->generate(at("w/ed"), KeyType::ed25519).value();
  constexpr int kRequests = 2000;
  std::vector<std::future<Result<Bytes>>> futures;
  futures.reserve(kRequests);
  for (int i = 0; i < kRequests; ++i)
    futures.push_back(engine->sign_future(at("w/ed"), Bytes{static_cast<std::uint8_t>(i), 1}));
  std::atomic<int> batches{0};
  engine->sign_batch_async(at("w/ed"), {Bytes{1}, Bytes{2}},
                           [&](Result<std::vector<Bytes>> result) { batches += result.ok() && result->size() == 2; });
  int valid = 0;
  for (int i = 0; i < kRequests; ++i) {
    auto signature = futures[static_cast<std::size_t>(i)].get();
    valid += signature.ok() && vault::verify_ed25519(public_key, Bytes{static_cast<std::uint8_t>(i), 1}, *signature);
  }
  CHECK(valid == kRequests);
  engine->sync().ok();
  CHECK(batches == 1);
}

namespace {

// How many of 300 asynchronous signatures of kMessage with w/ed verify under `public_key`.
int async_signed_under(Engine& engine, const Bytes& public_key) {
  std::vector<std::future<Result<Bytes>>> futures;
  futures.reserve(300);
  for (int i = 0; i < 300; ++i)
    futures.push_back(engine.sign_future(at("w/ed"), kMessage));
  int valid = 0;
  for (auto& future : futures) {
    const auto signature = future.get();
    valid += signature.ok() && vault::verify_ed25519(public_key, kMessage, *signature);
  }
  return valid;
}

}  // namespace

// Asynchronous signatures sign with the key's material cached in the façade once a blocking
// signature or an earlier drain fetched it; a replacement or a deletion must end its use at once.
TEST_CASE_FIXTURE(EngineFixture, "asynchronous signatures follow their key through replacement and deletion") {
  auto engine = create();
  const auto signed_under = [&](const Bytes& public_key) { return async_signed_under(*engine, public_key); };
  const Bytes first = engine->generate(at("w/ed"), KeyType::ed25519).value();
  REQUIRE(engine->sign(at("w/ed"), kMessage).ok());  // the material is cached from here on
  CHECK(signed_under(first) == 300);
  const Bytes second = engine->generate(at("w/ed"), KeyType::ed25519, vault::Overwrite::replace).value();
  REQUIRE(second != first);
  CHECK(signed_under(second) == 300);
  REQUIRE(engine->remove(at("w/ed")).ok());
  CHECK(engine->sign_future(at("w/ed"), kMessage).get().code() == Errc::not_found);
  CHECK(signed_under(second) == 0);
}

TEST_CASE_FIXTURE(EngineFixture, "an asynchronous callback that throws stops neither signing nor its neighbours") {
  auto engine = create();
  const Bytes public_key = engine->generate(at("w/ed"), KeyType::ed25519).value();
  for (const bool cached : {false, true}) {  // through the vault actor, then with the cached material
    if (cached)
      REQUIRE(engine->sign(at("w/ed"), kMessage).ok());
    std::atomic<int> thrown{0};
    for (int i = 0; i < 200; ++i)
      engine->sign_async(at("w/ed"), kMessage, [&thrown](const Result<Bytes>&) {
        ++thrown;
        throw std::runtime_error("the application's own");
      });
    CHECK(async_signed_under(*engine, public_key) == 300);
    for (int wait = 0; wait < 2000 && thrown < 200; ++wait)  // other signers may answer later
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    CHECK(thrown == 200);
  }
}

TEST_CASE_FIXTURE(EngineFixture, "a large batch is shared among the signers and answered in order") {
  options.actors.signers = 3;
  auto engine = create();
  const Bytes ed_public = engine->generate(at("w/ed"), KeyType::ed25519).value();
  const Bytes k1_public = engine->generate(at("w/k1"), KeyType::secp256k1).value();
  for (const std::size_t size : {1u, 15u, 16u, 17u, 100u, 1001u}) {
    std::vector<Bytes> messages;
    for (std::size_t i = 0; i < size; ++i)
      messages.push_back(Bytes{static_cast<std::uint8_t>(i), static_cast<std::uint8_t>(i >> 8)});
    const auto ed = engine->sign_batch(at("w/ed"), messages).value();
    const auto k1 = engine->sign_batch(at("w/k1"), messages).value();
    REQUIRE(ed.size() == size);
    REQUIRE(k1.size() == size);
    std::size_t valid = 0;
    for (std::size_t i = 0; i < size; ++i)
      valid +=
          vault::verify_ed25519(ed_public, messages[i], ed[i]) && vault::verify_ecdsa(k1_public, messages[i], k1[i]);
    CHECK(valid == size);
  }
  CHECK(engine->sign_batch(at("w/ed"), {}).value().empty());
}

TEST_CASE_FIXTURE(EngineFixture, "closing the engine answers every asynchronous request still in flight") {
  auto engine = create();
  const Bytes public_key = engine->generate(at("w/ed"), KeyType::ed25519).value();
  std::vector<std::future<Result<Bytes>>> futures;
  futures.reserve(3000);
  for (int i = 0; i < 3000; ++i)
    futures.push_back(engine->sign_future(at("w/ed"), kMessage));
  engine->close();
  futures.push_back(engine->sign_future(at("w/ed"), kMessage));  // after close: refused at once
  int signed_ok = 0, refused = 0;
  for (auto& future : futures) {
    REQUIRE(future.wait_for(std::chrono::seconds(10)) == std::future_status::ready);
    const auto signature = future.get();  // throws if a callback was dropped (broken promise)
    signed_ok += signature.ok() && vault::verify_ed25519(public_key, kMessage, *signature);
    refused += signature.code() == Errc::unavailable;
  }
  CHECK(signed_ok + refused == 3001);
  CHECK(refused >= 1);
}

// An engine in an actor system of the test's own, so that the test can reach its actors.
struct EngineInSystemFixture : EngineFixture {
  caf::actor_system_config config = [] {
    caf::actor_system_config made;
    actors::register_message_types(made);
    return made;
  }();
  caf::actor_system system{config};
  EngineInSystemFixture() { options.system = &system; }
};

TEST_CASE_FIXTURE(EngineInSystemFixture, "a crashed signer is restarted, and requests in flight get an answer") {
  auto engine = create();
  const Bytes public_key = engine->generate(at("w/ed"), KeyType::ed25519).value();
  for (int round = 0; round < 3; ++round) {
    // Requests through the signers (asynchronous and batch), in flight while one is killed.
    std::vector<std::future<Result<Bytes>>> in_flight;
    in_flight.reserve(200);
    for (int i = 0; i < 200; ++i)
      in_flight.push_back(engine->sign_future(at("w/ed"), kMessage));
    // And a batch large enough to be shared among the signers.
    auto shared_batch = std::async(std::launch::async,
                                   [&] { return engine->sign_batch(at("w/ed"), std::vector<Bytes>(400, kMessage)); });
    caf::anon_send_exit(child(*engine, system, 3), caf::exit_reason::kill);
    REQUIRE(shared_batch.wait_for(std::chrono::seconds(20)) == std::future_status::ready);
    const auto batch = shared_batch.get();
    CHECK((batch.ok() ? batch->size() == 400 && vault::verify_ed25519(public_key, kMessage, batch->back())
                      : batch.code() == Errc::unavailable));
    int answered = 0;
    for (auto& future : in_flight) {
      REQUIRE(future.wait_for(std::chrono::seconds(20)) == std::future_status::ready);  // never a hang
      const auto signature = future.get();
      answered += signature.ok() ? vault::verify_ed25519(public_key, kMessage, *signature)
                                 : signature.code() == Errc::unavailable;
    }
    CHECK(answered == 200);
  }
  CHECK(engine->stats().value().signer_restarts == 3);
  for (int i = 0; i < 10; ++i) {
    const auto batch = engine->sign_batch(at("w/ed"), {kMessage, kMessage});
    REQUIRE(batch.ok());
    CHECK(vault::verify_ed25519(public_key, kMessage, batch->at(1)));
  }
}

TEST_CASE_FIXTURE(EngineInSystemFixture,
                  "a failed vault actor is restarted from the file with every acknowledged change") {
  auto engine = create();
  std::vector<Bytes> keys;
  keys.reserve(10);
  for (int i = 0; i < 10; ++i)
    keys.push_back(engine->generate(at(fmt::format("w/{}", i)), KeyType::ed25519).value());
  caf::anon_send_exit(child(*engine, system, 0), caf::exit_reason::kill);  // the vault actor
  // Then everything is back.
  REQUIRE(public_key_after_restart(*engine, at("w/0")).ok());
  CHECK(engine->stats().value().vault_restarts == 1);
  for (int i = 0; i < 10; ++i)
    CHECK(engine->public_key(at(fmt::format("w/{}", i))).value() == keys[static_cast<std::size_t>(i)]);
  CHECK(engine->generate(at("w/after"), KeyType::ed25519).ok());
}

// These reopen the file once the engine is closed: the engine runs its own actor system, which
// closing waits for (an engine in an application's system stops its actors after close returns).
TEST_CASE_FIXTURE(EngineFixture, "a password change re-keys the file, and a vault actor restarted after it opens it") {
  const Bytes new_password = {'n', 'e', 'w'};
  Bytes before_change;
  {
    auto engine = create();
    const Bytes first = engine->generate(at("w/first"), KeyType::ed25519).value();
    CHECK(vault::verify_ed25519(first, kMessage, engine->sign(at("w/first"), kMessage).value()));  // cached material
    REQUIRE(engine->sync().ok());
    before_change = read_file();
    REQUIRE(engine->change_password(kPassword, new_password).ok());
    REQUIRE(engine->generate(at("w/after"), KeyType::ed25519).ok());
    CHECK(vault::verify_ed25519(first, kMessage, engine->sign(at("w/first"), kMessage).value()));
    caf::anon_send_exit(child(*engine, EngineAccess::actor_system(*engine), 0),
                        caf::exit_reason::kill);  // the vault actor
    const Result<Bytes> probe = public_key_after_restart(*engine, at("w/after"));
    REQUIRE_MESSAGE(probe.ok(), probe.status().to_string());
    CHECK(engine->stats().value().vault_restarts == 1);
    CHECK(vault::verify_ed25519(first, kMessage, engine->sign(at("w/first"), kMessage).value()));
    REQUIRE(engine->generate(at("w/restarted"), KeyType::ed25519).ok());
  }
  const Bytes after = read_file();
  Bytes spliced(before_change.begin(), before_change.begin() + snapshot::kHeaderSize);
  spliced.insert(spliced.end(), after.begin() + snapshot::kHeaderSize, after.end());
  write_file(spliced);
  CHECK_FALSE(Engine::open(path, kPassword, options).ok());
  write_file(after);
  auto reopened = Engine::open(path, new_password, options);
  REQUIRE(reopened.ok());
  CHECK((*reopened)->public_key(at("w/after")).ok());
  CHECK((*reopened)->public_key(at("w/restarted")).ok());
}

namespace {

// The operating system's files, except that once armed the next directory sync fails: a file
// replaced by a rename that is not known to be durable, as a crash right after it leaves things.
class FailingDirectorySync final : public snapshot::FileSystem {
 public:
  std::atomic<bool> armed{false};
  Result<std::string> resolve(const std::string& path) override { return real().resolve(path); }
  Result<Bytes> read_file(const std::string& path, std::uint64_t max) override { return real().read_file(path, max); }
  bool exists(const std::string& path) override { return real().exists(path); }
  Result<std::vector<std::string>> list(const std::string& directory) override { return real().list(directory); }
  Result<std::unique_ptr<snapshot::AppendFile>> open_append(const std::string& path, bool create) override {
    return real().open_append(path, create);
  }
  Status truncate(const std::string& path, std::uint64_t size) override { return real().truncate(path, size); }
  Status rename(const std::string& from, const std::string& to) override { return real().rename(from, to); }
  Status remove(const std::string& path) override { return real().remove(path); }
  Status sync_directory(const std::string& path) override {
    if (armed.exchange(false))
      return Status(Errc::io_error, "injected failure: directory fsync");
    return real().sync_directory(path);
  }
  Result<std::unique_ptr<snapshot::FileLock>> lock(const std::string& path) override { return real().lock(path); }

 private:
  static snapshot::FileSystem& real() { return snapshot::posix_file_system(); }
};

}  // namespace

TEST_CASE_FIXTURE(EngineFixture, "a password change that fails after its rename restarts under the new key") {
  FailingDirectorySync files;
  options.file_system = &files;
  const Bytes new_password = {'n', 'e', 'w'};
  {
    auto engine = create();
    const Bytes first = engine->generate(at("w/first"), KeyType::ed25519).value();
    files.armed = true;
    CHECK_FALSE(engine->change_password(kPassword, new_password).ok());  // the file may hold either
    const Result<Bytes> probe = public_key_after_restart(*engine, at("w/first"));
    REQUIRE_MESSAGE(probe.ok(), probe.status().to_string());
    CHECK(*probe == first);
    CHECK(engine->stats().value().vault_restarts == 1);
    REQUIRE(engine->generate(at("w/restarted"), KeyType::ed25519).ok());
  }
  CHECK(Engine::open(path, kPassword, options).status().code() == Errc::wrong_password);
  auto reopened = Engine::open(path, new_password, options);
  REQUIRE_MESSAGE(reopened.ok(), reopened.status().to_string());
  CHECK((*reopened)->public_key(at("w/restarted")).ok());
}

TEST_CASE_FIXTURE(EngineFixture, "blocking signatures never use a key after it was replaced or deleted") {
  auto engine = create();
  for (int round = 0; round < 20; ++round) {
    const Bytes first =
        engine->import_key(at("w/k"), KeyType::ed25519, Bytes(32, static_cast<std::uint8_t>(2 * round + 1))).value();
    CHECK(vault::verify_ed25519(first, kMessage, engine->sign(at("w/k"), kMessage).value()));
    const Bytes second =
        engine
            ->import_key(at("w/k"), KeyType::ed25519, Bytes(32, static_cast<std::uint8_t>(2 * round + 2)),
                         vault::Overwrite::replace)
            .value();
    CHECK(vault::verify_ed25519(second, kMessage, engine->sign(at("w/k"), kMessage).value()));
    std::thread([&] { REQUIRE(engine->remove(at("w/k")).ok()); }).join();  // acknowledged on another thread
    CHECK(engine->sign(at("w/k"), kMessage).code() == Errc::not_found);
  }
}

TEST_CASE_FIXTURE(EngineInSystemFixture, "an application's own actor uses the engine's typed handle") {
  auto engine = create();
  const Bytes public_key = engine->generate(at("w/ed"), KeyType::ed25519).value();
  auto signature = std::make_shared<std::promise<Result<Bytes>>>();
  auto answer = signature->get_future();
  // An event-based actor of the application: asks the engine, never blocks.
  system.spawn([handle = EngineAccess::supervisor(*engine), signature](caf::event_based_actor* self) {
    self->request(handle, std::chrono::seconds(5), actors::envelope(actors::Sign{at("w/ed"), kMessage}))
        .then([signature](actors::Reply& reply) { signature->set_value(actors::answer_in<Bytes>(reply)); },
              [signature](caf::error& failure) { signature->set_value(actors::to_status(failure)); });
  });
  REQUIRE(answer.wait_for(std::chrono::seconds(10)) == std::future_status::ready);
  const auto result = answer.get();
  REQUIRE(result.ok());
  CHECK(vault::verify_ed25519(public_key, kMessage, *result));
}

TEST_CASE_FIXTURE(EngineFixture, "an engine closes on any thread while threads that called it live on") {
  // CAF 0.17 pins the system's logger in a thread-local of every thread that spawns an actor;
  // ~actor_system waits for it. The façade releases it, or this close would never return.
  auto engine = create();  // this thread creates and calls
  REQUIRE(engine->generate(at("w/ed"), KeyType::ed25519).ok());
  std::promise<void> closed;
  std::thread caller([&, done = closed.get_future()]() mutable {
    CHECK(engine->public_key(at("w/none")).code() == Errc::not_found);
    done.wait();  // still alive while the engine closes
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  auto closing = std::async(std::launch::async, [&] { engine->close(); });
  const bool finished = closing.wait_for(std::chrono::seconds(20)) == std::future_status::ready;
  closed.set_value();
  caller.join();
  REQUIRE(finished);
}

TEST_CASE_FIXTURE(EngineFixture, "a password change and garbage collection keep what is live, under the new password") {
  {
    auto engine = create();
    const Bytes made = engine->generate(at("w/a"), KeyType::ed25519).value();
    REQUIRE(engine->put_secret("note", Bytes{'n'}).ok());
    CHECK(vault::verify_ed25519(made, kMessage, engine->sign(at("w/a"), kMessage).value()));
    REQUIRE(engine->generate(at("w/b"), KeyType::ed25519).ok());
    REQUIRE(engine->remove(at("w/b")).ok());
    REQUIRE(engine->collect_garbage().ok());
    CHECK(engine->change_password(Bytes{'n', 'o'}, Bytes{'n', 'e', 'w'}).code() == Errc::wrong_password);
    REQUIRE(engine->change_password(kPassword, Bytes{'n', 'e', 'w'}).ok());
    REQUIRE(engine->generate(at("w/after"), KeyType::ed25519).ok());  // journaled after the new image
  }
  CHECK(Engine::open(path, kPassword, options).status().code() == Errc::wrong_password);
  auto engine = Engine::open(path, Bytes{'n', 'e', 'w'}, options);
  REQUIRE(engine.ok());
  CHECK((*engine)->public_key(at("w/after")).ok());
  CHECK((*engine)->get_secret("note").ok());
  const auto listed = (*engine)->call(actors::ListRecords{}).value();
  std::vector<std::string> locations;
  locations.reserve(listed.size());
  for (const auto& entry : listed)
    locations.push_back(entry.location.to_string());
  CHECK(locations == std::vector<std::string>{"w/a", "w/after"});
}

TEST_CASE_FIXTURE(EngineInSystemFixture, "watchers hear that a signer and the vault actor were restarted") {
  auto hub = std::make_shared<actors::EventHub>();
  auto watcher = hub->subscribe(16).value();
  options.actors.events = hub;
  auto engine = create();
  REQUIRE(engine->generate(at("w/ed"), KeyType::ed25519).ok());
  const auto restarted = [&watcher] {
    std::vector<actors::Event> events;
    for (int i = 0; i < 100 && events.empty(); ++i)
      events = watcher->wait(std::chrono::milliseconds(100));
    REQUIRE(events.size() == 1);
    CHECK(events[0].type == actors::EventType::actor_restarted);
    return events[0].detail;
  };
  caf::anon_send_exit(child(*engine, system, 3), caf::exit_reason::kill);  // a signer
  CHECK(restarted() == "a signer");
  caf::anon_send_exit(child(*engine, system, 0), caf::exit_reason::kill);  // the vault actor
  REQUIRE(public_key_after_restart(*engine, at("w/ed")).ok());
  CHECK(restarted() == "the vault and snapshot actors, from the file");
}
