// Engines that share one journal (actors/shared_journal.hpp): commits made on one are applied on
// the others, the shared journal decides the order, and an entry that does not belong is refused
// without touching anyone's state. The journal here is in memory; tests/cluster runs the same
// through etcd and strongholdd.
#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <map>
#include <mutex>
#include <thread>

#include <doctest/doctest.h>

#include "actors/fast_options.hpp"
#include "stronghold/engine.hpp"
#include "stronghold/vault/audit_settings.hpp"
#include "stronghold/vault/verify.hpp"
#include "support/temp_dir.hpp"

using namespace stronghold;
using vault::KeyType;
using vault::Location;

namespace {

const Bytes kPassword = {'c', 'l', 'u', 's', 't', 'e', 'r'};
const Bytes kMessage = {'h', 'i'};

Location at(std::string_view text) { return Location::parse(text).value(); }

// A shared journal in memory: what etcd holds in a cluster, with the same compare-and-append.
class MemoryJournal final : public actors::SharedJournal {
 public:
  Status attach(const std::array<std::uint8_t, 16>& file_id, const snapshot::ChainPosition& position) override {
    std::lock_guard lock(mutex_);
    if (!file_id_) {
      file_id_ = file_id;
      head_ = position;
    }
    if (*file_id_ != file_id)
      return Status(Errc::invalid_argument, "the journal serves another snapshot");
    if (position.next_sequence > head_->next_sequence ||
        (position.next_sequence == head_->next_sequence && !(position == *head_)))
      return Status(Errc::corrupted, "the file was written outside the cluster");
    return {};
  }
  Status append(std::span<const snapshot::StagedEntry> entries) override {
    std::this_thread::sleep_for(delay);  // as etcd's round trip and disk would take
    std::lock_guard lock(mutex_);
    if (out_of_reach_)
      return Status(Errc::unavailable, "etcd is out of reach");
    if (!(*head_ == entries.front().follows()))
      return Status(Errc::conflict, "another engine appended first");
    for (const snapshot::StagedEntry& entry : entries) {
      REQUIRE(*head_ == entry.follows());  // each follows the one before it
      entries_[entry.follows().next_sequence] = Bytes(entry.bytes().begin(), entry.bytes().end());
      head_ = entry.leaves();
    }
    ++appends_;
    changed_.notify_all();
    return {};
  }
  std::chrono::milliseconds delay{0};  // of each append: set before the engines start

  // Transactions appended: fewer than entries when they came in batches.
  std::size_t appends() {
    std::lock_guard lock(mutex_);
    return appends_;
  }
  Result<std::vector<actors::SharedEntry>> read(std::uint64_t from, std::chrono::milliseconds wait,
                                                std::size_t max_bytes) override {
    std::unique_lock lock(mutex_);
    changed_.wait_for(lock, wait, [&] { return !holding_ && entries_.count(from) != 0; });
    std::vector<actors::SharedEntry> found;
    if (holding_)
      return found;
    std::size_t bytes = 0;
    for (auto it = entries_.find(from); it != entries_.end() && it->first == from && bytes <= max_bytes; ++it, ++from) {
      found.push_back({it->first, it->second});
      bytes += it->second.size();
    }
    return found;
  }

  void durable(std::uint64_t next_sequence) override {
    std::lock_guard lock(mutex_);
    durable_.push_back(next_sequence);
  }
  // What the engines said of their files, in order.
  std::vector<std::uint64_t> durable_said() {
    std::lock_guard lock(mutex_);
    return durable_;
  }
  std::uint64_t head() {
    std::lock_guard lock(mutex_);
    return head_->next_sequence;
  }

  Result<actors::ClusterState> view() override {
    std::lock_guard lock(mutex_);
    return actors::ClusterState{.node = "memory", .position = 0, .head = head_->next_sequence};
  }

  // Puts `bytes` in as the next entry, whatever they hold (a hostile or damaged journal).
  void force_next(Bytes bytes) {
    std::lock_guard lock(mutex_);
    const std::uint64_t next = head_->next_sequence;
    entries_[next] = std::move(bytes);
    head_ = snapshot::ChainPosition{next + 1, {}};
    changed_.notify_all();
  }
  // While out of reach, every append is refused as unavailable, as without an etcd majority.
  void set_out_of_reach(bool out_of_reach) {
    std::lock_guard lock(mutex_);
    out_of_reach_ = out_of_reach;
  }
  // While held, reads find nothing new: the followers fall behind, as over a slow network.
  void hold_reads(bool hold) {
    std::lock_guard lock(mutex_);
    holding_ = hold;
    changed_.notify_all();
  }
  std::size_t size() {
    std::lock_guard lock(mutex_);
    return entries_.size();
  }
  Bytes entry(std::uint64_t sequence) {
    std::lock_guard lock(mutex_);
    return entries_.at(sequence);
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::optional<std::array<std::uint8_t, 16>> file_id_;
  std::optional<snapshot::ChainPosition> head_;
  std::map<std::uint64_t, Bytes> entries_;
  std::size_t appends_ = 0;
  bool holding_ = false;
  bool out_of_reach_ = false;
  std::vector<std::uint64_t> durable_;
};

struct ClusterFixture {
  test::TempDir dir;
  std::shared_ptr<MemoryJournal> journal = std::make_shared<MemoryJournal>();

  EngineOptions options() const {
    EngineOptions options = test::fast_engine_options();
    options.actors.shared_journal = journal;
    return options;
  }
  // Two nodes: copies of one freshly created file.
  std::pair<std::unique_ptr<Engine>, std::unique_ptr<Engine>> two_nodes() {
    {
      auto first = Engine::create(dir.file("a.stronghold"), kPassword, test::fast_engine_options());
      REQUIRE(first.ok());
    }
    std::filesystem::copy_file(dir.file("a.stronghold"), dir.file("b.stronghold"));
    return {open("a.stronghold"), open("b.stronghold")};
  }
  // `node`: the node's name, which gives it an audit log of its own.
  std::unique_ptr<Engine> open(const std::string& name, const std::string& node = {}) {
    EngineOptions named = options();
    named.actors.node_name = node;
    auto engine = Engine::open(dir.file(name), kPassword, named);
    REQUIRE_MESSAGE(engine.ok(), engine.status().to_string());
    return std::move(engine).value();
  }
};

// The public key at `location` on `engine` once it has it (the follower brings it within its
// read's wait), or the last error after 10 s.
Result<Bytes> public_key_when_there(Engine& engine, const Location& location) {
  Result<Bytes> key = engine.public_key(location);
  for (int attempt = 0; attempt < 1000 && !key.ok(); ++attempt) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    key = engine.public_key(location);
  }
  return key;
}

// `write` until it is not refused for a conflict or a restart (the journal moved on), for up to
// 30 s. A write refused as unavailable may have been appended all the same (its answer was lost
// in the restart): when it is then refused as already there, it counts as done.
template <class Write>
Status retrying(Write write) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  Status status = write();
  bool maybe_done = false;
  while ((status.code() == Errc::conflict || status.code() == Errc::unavailable) &&
         std::chrono::steady_clock::now() < deadline) {
    maybe_done = maybe_done || status.code() == Errc::unavailable;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    status = write();
  }
  if (maybe_done && status.code() == Errc::already_exists)
    return {};
  return status;
}

}  // namespace

TEST_CASE_FIXTURE(ClusterFixture, "a key generated on one node signs on the other, and a secret put there reads back") {
  auto nodes = two_nodes();
  std::unique_ptr<Engine>& a = nodes.first;
  std::unique_ptr<Engine>& b = nodes.second;
  const Bytes public_key = a->generate(at("w/ed"), KeyType::ed25519).value();
  REQUIRE(public_key_when_there(*b, at("w/ed")).value() == public_key);
  CHECK(vault::verify_ed25519(public_key, kMessage, b->sign(at("w/ed"), kMessage).value()));

  REQUIRE(b->put_secret("token", Bytes{7, 8, 9}).ok());
  Result<runtime::SecretBuffer> secret = a->get_secret("token");
  for (int attempt = 0; attempt < 1000 && !secret.ok(); ++attempt) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    secret = a->get_secret("token");
  }
  REQUIRE(secret.ok());
  const auto read = secret->read();
  CHECK(Bytes(read.bytes().begin(), read.bytes().end()) == Bytes{7, 8, 9});
  CHECK(journal->size() == 2);
}

TEST_CASE_FIXTURE(ClusterFixture, "a node tells the journal how far its file is synced, once it is") {
  {
    auto first = Engine::create(dir.file("a.stronghold"), kPassword, test::fast_engine_options());
    REQUIRE(first.ok());
  }
  auto node = open("a.stronghold");
  CHECK(journal->durable_said().empty());  // nothing written yet: the journal knows the file's start
  for (const char* name : {"w/one", "w/two", "w/three"}) {
    REQUIRE(node->generate(at(name), KeyType::ed25519).ok());
    // A write is answered after its sync, and the journal heard of that sync before the answer.
    REQUIRE_FALSE(journal->durable_said().empty());
    CHECK(journal->durable_said().back() == journal->head());
  }
  const std::vector<std::uint64_t> said = journal->durable_said();
  CHECK(std::is_sorted(said.begin(), said.end()));
}

TEST_CASE_FIXTURE(ClusterFixture, "concurrent writes through both nodes end in one order, the same on both") {
  auto nodes = two_nodes();
  std::unique_ptr<Engine>& a = nodes.first;
  std::unique_ptr<Engine>& b = nodes.second;
  constexpr int kPerNode = 60;
  std::atomic<int> failed{0};
  const auto writer = [&](Engine& engine, char node) {
    for (int i = 0; i < kPerNode; ++i) {
      const Location location = at(std::string("w/") + node + std::to_string(i));
      if (!retrying([&] { return engine.generate(location, KeyType::ed25519).status(); }).ok())
        ++failed;
    }
  };
  std::thread on_a(writer, std::ref(*a), 'a');
  std::thread on_b(writer, std::ref(*b), 'b');
  on_a.join();
  on_b.join();
  REQUIRE(failed == 0);
  // A retried write may have been appended before its answer was lost: at least every key once.
  REQUIRE(public_key_when_there(*a, at("w/b" + std::to_string(kPerNode - 1))).ok());
  REQUIRE(public_key_when_there(*b, at("w/a" + std::to_string(kPerNode - 1))).ok());
  for (int i = 0; i < kPerNode; ++i)
    for (const char node : {'a', 'b'}) {
      const Location location = at(std::string("w/") + node + std::to_string(i));
      CHECK(public_key_when_there(*a, location).value() == public_key_when_there(*b, location).value());
    }
  // Both files follow the one chain: reopened alone, each holds every key.
  a.reset();
  b.reset();
  for (const char* name : {"a.stronghold", "b.stronghold"}) {
    auto alone = Engine::open(dir.file(name), kPassword, test::fast_engine_options()).value();
    CHECK(alone->public_key(at("w/a0")).ok());
    CHECK(alone->public_key(at("w/b" + std::to_string(kPerNode - 1))).ok());
  }
}

TEST_CASE_FIXTURE(ClusterFixture, "a write that another node's came before is sent again, unseen by its caller") {
  auto nodes = two_nodes();
  std::unique_ptr<Engine>& a = nodes.first;
  std::unique_ptr<Engine>& b = nodes.second;
  journal->hold_reads(true);  // b does not know of a's write when it stages its own
  REQUIRE(a->generate(at("w/first"), KeyType::ed25519).ok());
  std::thread heal([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(120));
    journal->hold_reads(false);
  });
  const auto second = b->generate(at("w/second"), KeyType::ed25519);
  heal.join();
  CHECK_MESSAGE(second.ok(), second.status().to_string());
  CHECK(b->stats().value().vault_restarts >= 1);  // it was refused at least once
  CHECK(public_key_when_there(*a, at("w/second")).ok());
  CHECK(b->public_key(at("w/first")).ok());
}

TEST_CASE_FIXTURE(ClusterFixture, "writes staged while a transaction is on its way share the next one") {
  journal->delay = std::chrono::milliseconds(20);
  auto nodes = two_nodes();
  constexpr int kWrites = 100;
  std::atomic<int> answered{0}, failed{0};
  for (int i = 0; i < kWrites; ++i)
    nodes.first->call_async(actors::GenerateKey{at("w/k" + std::to_string(i)), KeyType::ed25519},
                            [&](const Result<Bytes>& made) {
                              if (!made.ok())
                                ++failed;
                              ++answered;
                            });
  while (answered < kWrites)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  CHECK(failed == 0);
  CHECK(journal->size() >= kWrites);
  CHECK(journal->appends() * 4 < journal->size());
  REQUIRE(public_key_when_there(*nodes.second, at("w/k" + std::to_string(kWrites - 1))).ok());
  nodes.first.reset();
  auto reopened = Engine::open(dir.file("a.stronghold"), kPassword, test::fast_engine_options()).value();
  for (int i = 0; i < kWrites; ++i)
    CHECK(reopened->public_key(at("w/k" + std::to_string(i))).ok());
}

TEST_CASE_FIXTURE(ClusterFixture, "a node that was down catches up from the journal when it opens again") {
  auto nodes = two_nodes();
  std::unique_ptr<Engine>& a = nodes.first;
  std::unique_ptr<Engine>& b = nodes.second;
  b.reset();
  const Bytes public_key = a->generate(at("w/while-down"), KeyType::secp256k1).value();
  b = open("b.stronghold");
  CHECK(public_key_when_there(*b, at("w/while-down")).value() == public_key);
  // And writes on top of it.
  CHECK(retrying([&] { return b->generate(at("w/after"), KeyType::ed25519).status(); }).ok());
  CHECK(public_key_when_there(*a, at("w/after")).ok());
}

TEST_CASE_FIXTURE(ClusterFixture, "an entry sealed under another key is refused, and the node's state stays whole") {
  auto nodes = two_nodes();
  std::unique_ptr<Engine>& a = nodes.first;
  std::unique_ptr<Engine>& b = nodes.second;
  REQUIRE(a->generate(at("w/first"), KeyType::ed25519).ok());
  REQUIRE(public_key_when_there(*b, at("w/first")).ok());
  // An entry of another snapshot, put in the shared journal as if it came next.
  {
    MemoryJournal other_journal;
    EngineOptions other = test::fast_engine_options();
    auto stranger = Engine::create(dir.file("other.stronghold"), kPassword, other).value();
    stranger.reset();
    other.actors.shared_journal = std::shared_ptr<MemoryJournal>(&other_journal, [](MemoryJournal*) {});
    stranger = Engine::open(dir.file("other.stronghold"), kPassword, other).value();
    REQUIRE(stranger->generate(at("w/foreign"), KeyType::ed25519).ok());
    journal->force_next(other_journal.entry(1));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(1200));  // the followers' next reads
  CHECK(b->public_key(at("w/foreign")).code() == Errc::not_found);
  CHECK(b->public_key(at("w/first")).ok());
  CHECK(b->call(actors::ListRecords{}).value().size() == 1);
  // A write on top of a chain the node cannot follow is refused, not diverged.
  CHECK(b->generate(at("w/after"), KeyType::ed25519).code() == Errc::conflict);
  // Both files still open whole, without the foreign entry.
  a.reset();
  b.reset();
  for (const char* name : {"a.stronghold", "b.stronghold"}) {
    auto alone = Engine::open(dir.file(name), kPassword, test::fast_engine_options()).value();
    CHECK(alone->public_key(at("w/first")).ok());
    CHECK(alone->public_key(at("w/foreign")).code() == Errc::not_found);
  }
}

TEST_CASE_FIXTURE(ClusterFixture,
                  "a journal that serves one snapshot refuses another, and a clustered password stays") {
  auto nodes = two_nodes();
  std::unique_ptr<Engine>& a = nodes.first;
  {
    auto other = Engine::create(dir.file("other.stronghold"), kPassword, test::fast_engine_options());
    REQUIRE(other.ok());
  }
  auto refused = Engine::open(dir.file("other.stronghold"), kPassword, options());
  CHECK(refused.code() == Errc::invalid_argument);
  CHECK(a->change_password(kPassword, Bytes{'n', 'e', 'w'}).code() == Errc::unsupported);
  CHECK(a->check_password(kPassword).ok());
}

TEST_CASE_FIXTURE(ClusterFixture, "an entry of the cluster's own key put out of place is refused") {
  auto nodes = two_nodes();
  std::unique_ptr<Engine>& a = nodes.first;
  std::unique_ptr<Engine>& b = nodes.second;
  REQUIRE(a->generate(at("w/first"), KeyType::ed25519).ok());
  REQUIRE(a->generate(at("w/second"), KeyType::ed25519).ok());
  REQUIRE(public_key_when_there(*b, at("w/second")).ok());
  REQUIRE(b->remove(at("w/first")).ok());
  REQUIRE(public_key_when_there(*a, at("w/second")).ok());
  // Entry 1 (w/first generated) again as entry 4: sealed under the right key, at another place.
  journal->force_next(journal->entry(1));
  std::this_thread::sleep_for(std::chrono::milliseconds(1200));  // the followers' next reads
  for (Engine* node : {a.get(), b.get()})
    CHECK(node->public_key(at("w/first")).code() == Errc::not_found);
}

TEST_CASE_FIXTURE(ClusterFixture,
                  "a file written outside the cluster is refused, and a node without a name keeps no audit log") {
  auto nodes = two_nodes();
  std::unique_ptr<Engine>& a = nodes.first;
  nodes.second.reset();
  // b's file gets an entry the cluster never saw.
  {
    auto alone = Engine::open(dir.file("b.stronghold"), kPassword, test::fast_engine_options()).value();
    REQUIRE(alone->generate(at("w/outside"), KeyType::ed25519).ok());
  }
  CHECK(Engine::open(dir.file("b.stronghold"), kPassword, options()).code() == Errc::corrupted);
  CHECK(a->call(actors::SetAuditMode{vault::AuditMode::best_effort, actors::Secret::seal(kPassword).value()}).code() ==
        Errc::unsupported);
}

// An engine alone records its log's head in a commit of its own, a second after a batch; on a node
// that commit would be an append, whose refusal restarts the node's state and fails the requests
// in flight: signing would stop with etcd.
TEST_CASE_FIXTURE(ClusterFixture,
                  "a node signs with its audit log on while no append goes through, and does not restart") {
  REQUIRE(Engine::create(dir.file("a.stronghold"), kPassword, test::fast_engine_options()).ok());
  auto a = open("a.stronghold", "a");
  REQUIRE(a->call(actors::SetAuditMode{vault::AuditMode::fail_closed, actors::Secret::seal(kPassword).value()}).ok());
  REQUIRE(a->generate(at("w/ed"), KeyType::ed25519).ok());
  journal->set_out_of_reach(true);
  actors::AuditReport before;
  for (int i = 0; i < 3; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1100));  // past an engine alone's second
    CHECK(a->sign(at("w/ed"), kMessage).ok());
    before = a->call(actors::VerifyAudit{}).value();  // runs once the signature's entry is written
  }
  CHECK(a->stats().value().vault_restarts == 0);
  CHECK(a->generate(at("w/refused"), KeyType::ed25519).code() == Errc::unavailable);
  journal->set_out_of_reach(false);
  // The node's next write records its head, past the signatures.
  REQUIRE(retrying([&] { return a->generate(at("w/after"), KeyType::ed25519).status(); }).ok());
  const actors::AuditReport after = a->call(actors::VerifyAudit{}).value();
  CHECK(after.first_break.empty());
  CHECK(after.anchor_sequence > before.anchor_sequence);
}

TEST_CASE_FIXTURE(ClusterFixture,
                  "a node's file opened alone keeps no audit log, fail-closed refuses, until its mode "
                  "is set there") {
  REQUIRE(Engine::create(dir.file("a.stronghold"), kPassword, test::fast_engine_options()).ok());
  {
    auto a = open("a.stronghold", "a");
    REQUIRE(a->call(actors::SetAuditMode{vault::AuditMode::fail_closed, actors::Secret::seal(kPassword).value()}).ok());
    REQUIRE(a->generate(at("w/ed"), KeyType::ed25519).ok());
    REQUIRE(a->sign(at("w/ed"), kMessage).ok());
  }
  auto alone = Engine::open(dir.file("a.stronghold"), kPassword, test::fast_engine_options()).value();
  const Status refused = alone->sign(at("w/ed"), kMessage).status();
  CHECK(refused.code() == Errc::unavailable);  // as by any log that cannot be written
  CHECK(refused.message().find("node's of a cluster") != std::string::npos);
  CHECK(alone->call(actors::VerifyAudit{}).code() == Errc::unsupported);
  // The cluster retired: the mode set here makes the node's log the file's own.
  REQUIRE(
      alone->call(actors::SetAuditMode{vault::AuditMode::fail_closed, actors::Secret::seal(kPassword).value()}).ok());
  CHECK(alone->sign(at("w/ed"), kMessage).ok());
  const actors::AuditReport report = alone->call(actors::VerifyAudit{}).value();
  CHECK(report.first_break.empty());
  CHECK(report.entries >= 3);  // the node's generate and sign, and this engine's sign
}
