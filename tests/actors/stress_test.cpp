// Eight client threads, ten thousand mixed operations each, against one engine whose journal is
// folded beside them many times; every result is checked as it comes, and the final state after
// reopening.
#include <map>
#include <thread>

#include <doctest/doctest.h>

#include "stronghold/engine.hpp"
#include "stronghold/vault/verify.hpp"
#include "support/temp_dir.hpp"

using namespace stronghold;
using vault::KeyType;
using vault::Location;

namespace {

constexpr int kThreads = 8;
constexpr int kOperations = 10'000;

struct ThreadOutcome {
  std::map<std::string, Bytes> live;     // location -> public key
  std::map<std::string, bool> deleted;   // location -> true
  std::map<std::string, Bytes> secrets;  // name -> value
  int failures = 0;
  int operations = 0;
};

void client(Engine& engine, int thread, ThreadOutcome& out) {
  std::vector<std::string> keys;
  for (int i = 0; i < kOperations; ++i) {
    const Bytes message = {static_cast<std::uint8_t>(thread), static_cast<std::uint8_t>(i),
                           static_cast<std::uint8_t>(i >> 8)};
    const int kind = keys.empty() ? 0 : i % 10;
    ++out.operations;
    if (kind <= 2) {  // generate
      const std::string where = fmt::format("t{}/k{}", thread, i);
      auto public_key = engine.generate(Location::parse(where).value(), KeyType::ed25519);
      if (!public_key.ok()) {
        ++out.failures;
        continue;
      }
      out.live[where] = *public_key;
      keys.push_back(where);
    } else if (kind <= 6) {  // sign with a live key and verify
      const std::string& where = keys[static_cast<std::size_t>(i) % keys.size()];
      auto signature = engine.sign(Location::parse(where).value(), message);
      out.failures += !(signature.ok() && vault::verify_ed25519(out.live[where], message, *signature));
    } else if (kind == 7) {  // delete the oldest live key, then signing with it must fail
      const std::string where = keys.front();
      keys.erase(keys.begin());
      out.failures += !engine.remove(Location::parse(where).value()).ok();
      out.failures += engine.sign(Location::parse(where).value(), message).code() != Errc::not_found;
      out.live.erase(where);
      out.deleted[where] = true;
    } else if (kind == 8) {  // put a secret
      const std::string name = fmt::format("t{}-s{}", thread, i % 50);
      out.failures += !engine.put_secret(name, message, vault::Overwrite::replace).ok();
      out.secrets[name] = message;
    } else if (!out.secrets.empty()) {  // read one back
      const auto& [name, value] = *out.secrets.begin();
      auto read = engine.get_secret(name);
      out.failures += !(read.ok() && std::equal(value.begin(), value.end(), read->read().bytes().begin(),
                                                read->read().bytes().end()));
    }
  }
}

}  // namespace

TEST_CASE("8 client threads x 10,000 mixed operations, then the state after reopening") {
  test::TempDir dir;
  const std::string path = dir.file("stress.stronghold");
  const Bytes password = {'s'};
  EngineOptions options;
  options.snapshot.kdf = snapshot::KdfPreset::fast;
  options.snapshot.compaction_threshold =
      std::uint64_t{64} * 1024;  // the journal is folded beside the operations, often
  std::vector<ThreadOutcome> outcomes(kThreads);
  {
    auto engine = Engine::create(path, password, options);
    REQUIRE(engine.ok());
    std::vector<std::thread> threads;
    threads.reserve(kThreads);
    for (int t = 0; t < kThreads; ++t)
      threads.emplace_back(client, std::ref(**engine), t, std::ref(outcomes[static_cast<std::size_t>(t)]));
    for (auto& thread : threads)
      thread.join();
  }
  int operations = 0;
  for (const auto& outcome : outcomes) {
    CHECK(outcome.failures == 0);
    operations += outcome.operations;
  }
  CHECK(operations == kThreads * kOperations);

  auto reopened = Engine::open(path, password, options);
  REQUIRE(reopened.ok());
  std::size_t live = 0, deleted = 0, secrets = 0;
  for (const auto& outcome : outcomes) {
    for (const auto& [where, public_key] : outcome.live) {
      CHECK((*reopened)->public_key(Location::parse(where).value()).value() == public_key);
      ++live;
    }
    for (const auto& [where, gone] : outcome.deleted) {
      CHECK((*reopened)->public_key(Location::parse(where).value()).code() == Errc::not_found);
      ++deleted;
    }
    for (const auto& [name, value] : outcome.secrets) {
      auto read = (*reopened)->get_secret(name);
      REQUIRE(read.ok());
      CHECK(std::equal(value.begin(), value.end(), read->read().bytes().begin(), read->read().bytes().end()));
      ++secrets;
    }
  }
  MESSAGE(operations << " operations from " << kThreads << " threads; after reopening: " << live << " live keys, "
                     << deleted << " deleted, " << secrets << " secrets, all as acknowledged");
}
