// The identity Storage: the conformance suite on both implementations, persistence, durability
// of flush_changes, concurrency, and bad input.
#include <atomic>
#include <future>
#include <mutex>
#include <set>
#include <thread>

#include <doctest/doctest.h>
#include <fmt/format.h>

#include "snapshot/faulty_file_system.hpp"
#include "stronghold/identity/conformance.hpp"
#include "stronghold/identity/mem_store.hpp"
#include "stronghold/identity/stronghold_storage.hpp"
#include "stronghold/vault/verify.hpp"
#include "support/identity_document.hpp"
#include "support/temp_dir.hpp"

using namespace stronghold;
using namespace stronghold::identity;

namespace {

const Bytes kPassword = {'i', 'd'};

EngineOptions fast_options() {
  EngineOptions options;
  options.snapshot.kdf = snapshot::KdfPreset::fast;
  options.actors.signers = 2;
  return options;
}

void check_all_pass(const std::vector<ConformanceResult>& results) {
  REQUIRE(results.size() == 11);
  for (const auto& result : results) {
    INFO(result.name);
    CHECK_MESSAGE(result.passed, result.failure);
    MESSAGE(result.name << ": " << (result.passed ? "passed" : "FAILED"));
  }
}

struct PersistentFixture {
  test::TempDir dir;
  std::string path = dir.file("identity.stronghold");
  EngineOptions options = fast_options();

  std::unique_ptr<StrongholdStorage> create() {
    auto storage = StrongholdStorage::create(path, kPassword, options);
    REQUIRE_MESSAGE(storage.ok(), storage.status().to_string());
    return std::move(storage).value();
  }
  std::unique_ptr<StrongholdStorage> open() {
    auto storage = StrongholdStorage::open(path, kPassword, options);
    REQUIRE_MESSAGE(storage.ok(), storage.status().to_string());
    return std::move(storage).value();
  }
};

}  // namespace

TEST_CASE("MemStore passes the conformance suite") {
  check_all_pass(run_conformance([] { return std::make_unique<MemStore>(); }));
}

TEST_CASE("StrongholdStorage passes the conformance suite") {
  test::TempDir dir;
  int made = 0;
  check_all_pass(run_conformance([&]() -> std::unique_ptr<Storage> {
    return StrongholdStorage::create(dir.file(fmt::format("s{}.stronghold", made++)), kPassword, fast_options())
        .value();
  }));
}

TEST_CASE("the conformance suite reports a storage that breaks the contract") {
  // A MemStore that forgets chain states: check 8 must fail and say why, the others pass.
  struct Forgetful final : Storage {
    MemStore inner;
    Result<CreatedDid> did_create(std::string_view n, std::string_view f, ByteView k) override {
      return inner.did_create(n, f, k);
    }
    Result<std::vector<Did>> did_list() override { return inner.did_list(); }
    Result<bool> did_exists(const Did& d) override { return inner.did_exists(d); }
    Result<bool> did_purge(const Did& d) override { return inner.did_purge(d); }
    Result<KeyLocation> key_generate(const Did& d, KeyType t, std::string_view f) override {
      return inner.key_generate(d, t, f);
    }
    Status key_insert(const Did& d, const KeyLocation& l, ByteView k) override { return inner.key_insert(d, l, k); }
    Result<Bytes> key_public(const Did& d, const KeyLocation& l) override { return inner.key_public(d, l); }
    Result<bool> key_delete(const Did& d, const KeyLocation& l) override { return inner.key_delete(d, l); }
    Result<Signature> key_sign(const Did& d, const KeyLocation& l, ByteView m) override {
      return inner.key_sign(d, l, m);
    }
    Result<bool> key_exists(const Did& d, const KeyLocation& l) override { return inner.key_exists(d, l); }
    Result<Bytes> data_decrypt(const Did& d, const EncryptedData& e, ContentEncryption c, const CekAlgorithm& k,
                               const KeyLocation& l) override {
      return inner.data_decrypt(d, e, c, k, l);
    }
    Result<std::optional<ChainState>> chain_state_get(const Did&) override { return std::optional<ChainState>(); }
    Status chain_state_set(const Did& d, const ChainState& s) override { return inner.chain_state_set(d, s); }
    Result<std::optional<Document>> document_get(const Did& d) override { return inner.document_get(d); }
    Status document_set(const Did& d, const Document& doc) override { return inner.document_set(d, doc); }
    Status flush_changes() override { return {}; }
  };
  const auto results = run_conformance([] { return std::make_unique<Forgetful>(); });
  int failed = 0;
  for (const auto& result : results)
    failed += !result.passed;
  CHECK(failed == 1);
  CHECK_FALSE(results[7].passed);
  CHECK(results[7].failure == "the chain state round-trips");
}

TEST_CASE_FIXTURE(PersistentFixture, "everything comes back after reopening, and a wrong password is refused") {
  const Bytes seed = from_hex("4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb").value();
  CreatedDid first, second;
  KeyLocation x25519;
  Bytes x25519_public;
  {
    auto storage = create();
    first = storage->did_create("main", "sign-0", seed).value();
    second = storage->did_create("dev", "key", {}).value();
    x25519 = storage->key_generate(first.did, KeyType::x25519, "kex").value();
    x25519_public = storage->key_public(first.did, x25519).value();
    REQUIRE(storage->chain_state_set(first.did, ChainState{R"({"n":1})"}).ok());
    REQUIRE(storage->document_set(first.did, Document{test::padded_document(first.did.to_string(), 100)}).ok());
    REQUIRE(storage->did_purge(second.did).value());
  }
  CHECK(StrongholdStorage::open(path, Bytes{'n', 'o'}, options).code() == Errc::wrong_password);
  auto storage = open();
  CHECK(storage->did_list().value() == std::vector<Did>{first.did});
  CHECK(storage->key_public(first.did, first.location).value() ==
        from_hex("3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c").value());
  CHECK(storage->key_public(first.did, x25519).value() == x25519_public);
  CHECK(storage->chain_state_get(first.did).value() == ChainState{R"({"n":1})"});
  CHECK(storage->document_get(first.did).value() == Document{test::padded_document(first.did.to_string(), 100)});
  CHECK_FALSE(storage->did_exists(second.did).value());
  CHECK_FALSE(storage->key_exists(second.did, second.location).value());
  // Signing after reopening gives RFC 8032's signature.
  CHECK(to_hex(storage->key_sign(first.did, first.location, Bytes{0x72}).value()).starts_with("92a009a9f0d4cab8"));
}

TEST_CASE_FIXTURE(PersistentFixture,
                  "a 200 KiB document round-trips, also after reopening, and one above 256 KiB is refused") {
  const std::size_t large = std::size_t{200} * 1024;
  Did did;
  {
    auto storage = create();
    did = storage->did_create("main", "sign-0", {}).value().did;
    REQUIRE(storage->document_set(did, Document{test::padded_document(did.to_string(), large)}).ok());
    CHECK(storage->document_get(did).value() == Document{test::padded_document(did.to_string(), large)});
    const Status too_large =
        storage->document_set(did, Document{test::padded_document(did.to_string(), vault::kMaxIdentityValueSize + 1)});
    CHECK(too_large.code() == Errc::invalid_argument);
    CHECK(too_large.message().find("at most 262144 bytes") != std::string::npos);
  }
  auto storage = open();
  CHECK(storage->document_get(did).value() == Document{test::padded_document(did.to_string(), large)});
}

TEST_CASE("flush_changes makes changes durable without synced durability") {
  for (const auto durability : {snapshot::Durability::none, snapshot::Durability::group}) {
    CAPTURE(static_cast<int>(durability));
    test::FaultyFileSystem disk(1 << 30, test::FaultyFileSystem::Fault::none, 7);
    EngineOptions options = fast_options();
    options.file_system = &disk;
    options.snapshot.durability = durability;
    Did flushed;
    std::unique_ptr<test::FaultyFileSystem> after_power_loss;
    {
      auto storage = StrongholdStorage::create("disk.stronghold", kPassword, options).value();
      flushed = storage->did_create("main", "k", {}).value().did;
      REQUIRE(storage->document_set(flushed, Document{test::padded_document(flushed.to_string(), 100)}).ok());
      REQUIRE(storage->flush_changes().ok());
      after_power_loss = disk.crash_image();  // the power fails here, before close
    }
    options.file_system = after_power_loss.get();
    auto reopened = StrongholdStorage::open("disk.stronghold", kPassword, options);
    REQUIRE_MESSAGE(reopened.ok(), reopened.status().to_string());
    CHECK((*reopened)->did_exists(flushed).value());
    CHECK((*reopened)->document_get(flushed).value() == Document{test::padded_document(flushed.to_string(), 100)});
  }
}

TEST_CASE_FIXTURE(PersistentFixture, "8 threads create and purge DIDs: the index holds exactly those not purged") {
  auto storage = create();
  std::mutex mutex;
  std::set<Did> expected;
  std::atomic<int> operations{0}, failures{0};
  std::vector<std::thread> threads;
  threads.reserve(8);
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&, t] {
      std::vector<Did> mine;
      for (int i = 0; i < 100; ++i) {
        auto created = storage->did_create(t % 2 ? "main" : "dev", "k", {});
        ++operations;
        if (!created.ok()) {
          ++failures;
          continue;
        }
        mine.push_back(created->did);
        if (i % 3 == 2) {  // purge every third, one created earlier by this thread
          const Did victim = mine[mine.size() / 2];
          mine.erase(mine.begin() + static_cast<std::ptrdiff_t>(mine.size() / 2));
          ++operations;
          const auto purged = storage->did_purge(victim);
          if (!purged.ok() || !*purged)
            ++failures;
        }
      }
      std::lock_guard guard(mutex);
      expected.insert(mine.begin(), mine.end());
    });
  for (auto& thread : threads)
    thread.join();
  CHECK(failures == 0);
  CHECK(operations >= 1000);
  const auto listed = storage->did_list().value();
  CHECK(std::set<Did>(listed.begin(), listed.end()) == expected);
  CHECK(listed.size() == expected.size());  // no duplicate
  storage.reset();
  auto reopened = open();
  const auto after = reopened->did_list().value();
  CHECK(std::set<Did>(after.begin(), after.end()) == expected);
}

TEST_CASE_FIXTURE(PersistentFixture, "two DIDs holding the same key at the same location are independent") {
  auto storage = create();
  const Bytes seed(32, 0x42);
  const CreatedDid a = storage->did_create("main", "shared", seed).value();
  const CreatedDid b = storage->did_create("dev", "other", {}).value();
  REQUIRE(storage->key_insert(b.did, a.location, seed).ok());
  const Bytes public_key = storage->key_public(a.did, a.location).value();
  CHECK(storage->key_public(b.did, a.location).value() == public_key);
  CHECK(storage->key_delete(a.did, a.location).value());
  CHECK_FALSE(storage->key_exists(a.did, a.location).value());
  CHECK(storage->key_exists(b.did, a.location).value());
  CHECK(vault::verify_ed25519(public_key, Bytes{1}, storage->key_sign(b.did, a.location, Bytes{1}).value()));
  CHECK(storage->key_sign(a.did, a.location, Bytes{1}).code() == Errc::not_found);
  CHECK(storage->did_purge(b.did).value());
  CHECK(storage->did_exists(a.did).value());
}

TEST_CASE_FIXTURE(PersistentFixture, "bad input of every kind gets a clear error and changes nothing") {
  for (Storage* storage : std::initializer_list<Storage*>{create().release(), new MemStore}) {
    std::unique_ptr<Storage> owned(storage);
    const CreatedDid created = storage->did_create("main", "root", {}).value();
    CHECK(storage->did_create("MAIN", "k", {}).code() == Errc::invalid_argument);
    CHECK(storage->did_create("toolong", "k", {}).code() == Errc::invalid_argument);
    CHECK(storage->did_create("main", "", {}).code() == Errc::invalid_argument);
    CHECK(storage->did_create("main", "k", Bytes(31, 1)).code() == Errc::invalid_key);
    CHECK(storage->key_generate(created.did, KeyType::ed25519, std::string(201, 'f')).code() == Errc::invalid_argument);
    const KeyLocation x = storage->key_generate(created.did, KeyType::x25519, "x").value();
    CHECK(storage->key_sign(created.did, x, Bytes{1}).code() == Errc::wrong_key_type);
    const auto as_ed = KeyLocation::parse(KeyType::ed25519, x.canonical()).value();
    CHECK(storage->key_sign(created.did, as_ed, Bytes{1}).code() != Errc::ok);
    CHECK(storage->key_insert(created.did, x, Bytes(31, 1)).code() == Errc::invalid_key);
    CHECK(storage->key_insert(created.did, x, Bytes(32, 1)).code() == Errc::invalid_key);  // hash names another key
    const CekAlgorithm cek{KeyManagement::ecdh_es, {}};
    CHECK(storage->data_encrypt(created.did, Bytes{1}, {}, ContentEncryption::aes256gcm, cek, Bytes(31, 9)).code() ==
          Errc::invalid_key);
    CHECK(storage->data_encrypt(created.did, Bytes{1}, {}, ContentEncryption::aes256gcm, cek, Bytes(32, 0)).code() ==
          Errc::invalid_key);
    EncryptedData garbage;
    garbage.nonce = Bytes(12, 0), garbage.tag = Bytes(16, 0), garbage.ephemeral_public_key = Bytes(32, 9);
    CHECK(storage->data_decrypt(created.did, garbage, ContentEncryption::aes256gcm, cek, x).code() ==
          Errc::authentication_failed);
    CHECK(storage->data_decrypt(created.did, garbage, ContentEncryption::aes256gcm, cek, created.location).code() ==
          Errc::wrong_key_type);
    const std::string deep = std::string(100'000, '[') + std::string(100'000, ']');
    CHECK(storage->chain_state_set(created.did, ChainState{deep}).code() == Errc::invalid_argument);
    CHECK(storage->document_set(created.did, Document{deep}).code() == Errc::invalid_argument);
    // Nothing of that changed the storage.
    CHECK_FALSE(storage->chain_state_get(created.did).value().has_value());
    CHECK_FALSE(storage->document_get(created.did).value().has_value());
    CHECK(storage->did_list().value() == std::vector<Did>{created.did});
    CHECK(storage->key_exists(created.did, x).value());
    CHECK(storage->key_exists(created.did, created.location).value());
  }
}

TEST_CASE_FIXTURE(PersistentFixture, "an idle partition stops and its DID is served again on demand") {
  options.actors.partition_idle = std::chrono::milliseconds(20);
  auto storage = create();
  const CreatedDid created = storage->did_create("main", "k", {}).value();
  for (int round = 0; round < 5; ++round) {
    REQUIRE(storage->chain_state_set(created.did, ChainState{fmt::format("{{\"round\":{}}}", round)}).ok());
    std::this_thread::sleep_for(std::chrono::milliseconds(60));  // long enough for the partition to stop
    CHECK(storage->chain_state_get(created.did).value() == ChainState{fmt::format("{{\"round\":{}}}", round)});
    CHECK(storage->key_exists(created.did, created.location).value());
  }
}

TEST_CASE_FIXTURE(PersistentFixture, "asynchronous identity signatures, many in flight") {
  auto storage = create();
  const CreatedDid created = storage->did_create("main", "k", {}).value();
  const Bytes public_key = storage->key_public(created.did, created.location).value();
  std::vector<std::future<Result<Bytes>>> futures;
  for (int i = 0; i < 500; ++i) {
    auto promise = std::make_shared<std::promise<Result<Bytes>>>();
    futures.push_back(promise->get_future());
    storage->key_sign_async(created.did, created.location, Bytes{static_cast<std::uint8_t>(i)},
                            [promise](Result<Bytes> signature) { promise->set_value(std::move(signature)); });
  }
  int valid = 0;
  for (int i = 0; i < 500; ++i) {
    const auto signature = futures[static_cast<std::size_t>(i)].get();
    valid += signature.ok() && vault::verify_ed25519(public_key, Bytes{static_cast<std::uint8_t>(i)}, *signature);
  }
  CHECK(valid == 500);
}

TEST_CASE_FIXTURE(PersistentFixture, "a chain state read while its DID is purged is not cached past the purge") {
  auto storage = create();
  // Each round sends an uncached read and, right behind it, the purge: the read's answer reaches
  // the partition once the purge has started (in most rounds), and must not fill the cache.
  for (int round = 0; round < 20; ++round) {
    const CreatedDid created = storage->did_create("main", fmt::format("k{}", round), {}).value();
    REQUIRE(storage->chain_state_set(created.did, ChainState{"{\"before\":true}"}).ok());
    std::promise<Result<actors::IdentityJson>> read;
    std::promise<Result<bool>> purged;
    storage->engine().call_async(actors::DidValueGet{created.did, vault::IdentityValue::chain_state},
                                 [&read](Result<actors::IdentityJson> value) { read.set_value(std::move(value)); });
    storage->engine().call_async(actors::DidPurge{created.did},
                                 [&purged](Result<bool> done) { purged.set_value(std::move(done)); });
    CHECK(read.get_future().get().value().present);
    CHECK(purged.get_future().get().value());
    CHECK_FALSE(storage->chain_state_get(created.did).value().has_value());
  }
}
