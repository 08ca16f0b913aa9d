// The audit log through the façade: an entry for every request (allowed, denied, failed), the
// fast path logged too, fail-closed refusing while the log cannot be written, the snapshot's
// anchor exposing a log cut back, and no acknowledged request without its entry after SIGKILL.
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <set>

#include <doctest/doctest.h>

#include "actors/fast_options.hpp"
#include "stronghold/engine.hpp"
#include "stronghold/snapshot/audit_log.hpp"
#include "support/acknowledgements.hpp"
#include "support/temp_dir.hpp"

using namespace stronghold;
using actors::AuditRecord;
using snapshot::AuditOutcome;
using vault::AuditMode;
using vault::KeyType;
using vault::Location;

namespace {

const Bytes kPassword = {'a', 'u', 'd', 'i', 't'};

Location at(std::string_view text) { return Location::parse(text).value(); }

Bytes bytes_of(std::string_view text) { return Bytes(text.begin(), text.end()); }

actors::SetAuditMode set_audit(AuditMode mode, const Bytes& password = kPassword) {
  return {mode, actors::Secret::seal(password).value()};
}

Bytes digest_of(ByteView message) {
  Bytes digest(32);
  crypto_generichash(digest.data(), digest.size(), message.data(), message.size(), nullptr, 0);
  return digest;
}

struct AuditFixture {
  test::TempDir dir;
  std::string path = dir.file("audit.stronghold");
  std::string log = path + ".audit";
  EngineOptions options = test::fast_engine_options();
  std::unique_ptr<Engine> engine = Engine::create(path, kPassword, options).value();

  AuditFixture() { REQUIRE(engine->generate(at("w/k"), KeyType::ed25519).ok()); }
  void set_mode(AuditMode mode) { REQUIRE(engine->call(set_audit(mode)).ok()); }
  void reopen() {
    engine.reset();
    engine = Engine::open(path, kPassword, options).value();
  }
  std::vector<AuditRecord> entries() {
    std::vector<AuditRecord> all;
    actors::ShowAudit request;
    for (;;) {
      auto page = engine->call(request);
      REQUIRE_MESSAGE(page.ok(), page.status().to_string());
      REQUIRE(page->first_break.empty());
      all.insert(all.end(), page->entries.begin(), page->entries.end());
      if (!page->more)
        return all;
      request.after = all.back().sequence;
    }
  }
  actors::AuditReport verify() {
    auto report = engine->call(actors::VerifyAudit{});
    REQUIRE_MESSAGE(report.ok(), report.status().to_string());
    return *report;
  }
};

std::size_t count_kind(const std::vector<AuditRecord>& entries, actors::RequestKind kind, AuditOutcome outcome) {
  return static_cast<std::size_t>(std::count_if(entries.begin(), entries.end(), [&](const AuditRecord& entry) {
    return entry.kind == static_cast<std::uint16_t>(kind) && entry.outcome == static_cast<std::uint8_t>(outcome);
  }));
}

TEST_CASE("without audit set, a snapshot keeps no log and says how to start one") {
  AuditFixture f;
  CHECK(f.engine->sign(at("w/k"), bytes_of("m")).ok());
  CHECK(f.engine->call(actors::VerifyAudit{}).status().code() == Errc::not_found);
  CHECK_FALSE(std::filesystem::exists(f.log));
}

TEST_CASE("every request is logged: allowed, denied and failed, with caller, kind, location and digest") {
  AuditFixture f;
  const Bytes message = bytes_of("pay 5 to alice");
  REQUIRE(f.engine->sign(at("w/k"), bytes_of("before")).ok());  // the fast path now holds the key's material
  f.set_mode(AuditMode::best_effort);
  REQUIRE(f.engine->sign(at("w/k"), message).ok());  // the blocking fast path, which must not use it
  REQUIRE(f.engine->sign_future(at("w/k"), message).get().ok());
  CHECK(f.engine->sign(at("w/missing"), message).status().code() == Errc::not_found);
  actors::PolicyRules no_signing;
  no_signing.kinds = {static_cast<std::uint16_t>(actors::RequestKind::PublicKey)};
  REQUIRE(f.engine->call(actors::SetPolicy{"w", "", no_signing}).ok());
  CHECK(f.engine->call(actors::Sign{at("w/k"), message}, vault::Caller{"app", {}}).status().code() == Errc::denied);

  const auto entries = f.entries();
  CHECK(count_kind(entries, actors::RequestKind::Sign, AuditOutcome::allowed) == 2);
  CHECK(count_kind(entries, actors::RequestKind::Sign, AuditOutcome::failed) == 1);
  CHECK(count_kind(entries, actors::RequestKind::Sign, AuditOutcome::denied) == 1);
  CHECK(count_kind(entries, actors::RequestKind::SetPolicy, AuditOutcome::allowed) == 1);
  for (const AuditRecord& entry : entries) {
    if (entry.kind != static_cast<std::uint16_t>(actors::RequestKind::Sign))
      continue;
    CHECK(entry.digest == digest_of(message));
    const bool denied = entry.outcome == static_cast<std::uint8_t>(AuditOutcome::denied);
    CHECK(entry.caller == (denied ? "app" : "owner"));
    CHECK(entry.location == (entry.outcome == static_cast<std::uint8_t>(AuditOutcome::failed) ? "w/missing" : "w/k"));
    if (denied)
      CHECK(entry.rule.find("denied by policy of vault w") != std::string::npos);
  }
  CHECK(f.verify().first_break.empty());
}

TEST_CASE("a batch logs one entry per message, and turning the log off is logged") {
  AuditFixture f;
  f.set_mode(AuditMode::best_effort);
  const std::vector<Bytes> messages = {bytes_of("a"), bytes_of("b"), bytes_of("c")};
  REQUIRE(f.engine->sign_batch(at("w/k"), messages).ok());
  f.set_mode(AuditMode::off);
  CHECK(f.engine->sign(at("w/k"), bytes_of("unlogged")).ok());
  const auto entries = f.entries();
  std::set<std::string> digests;  // as hex: GCC 12 misreads a set of byte vectors' comparisons
  for (const AuditRecord& entry : entries)
    if (entry.kind == static_cast<std::uint16_t>(actors::RequestKind::SignBatch))
      digests.insert(to_hex(entry.digest));
  CHECK(digests == std::set<std::string>{to_hex(digest_of(messages[0])), to_hex(digest_of(messages[1])),
                                         to_hex(digest_of(messages[2]))});
  CHECK(count_kind(entries, actors::RequestKind::SetAuditMode, AuditOutcome::allowed) == 1);  // the one turning it off
  CHECK(count_kind(entries, actors::RequestKind::Sign, AuditOutcome::allowed) == 0);
}

TEST_CASE("the mode is kept in the snapshot: a reopened engine logs without being told") {
  AuditFixture f;
  f.set_mode(AuditMode::fail_closed);
  f.reopen();
  REQUIRE(f.engine->sign(at("w/k"), bytes_of("after reopen")).ok());
  f.reopen();  // a clean close records the log's head in the snapshot
  const auto entries = f.entries();
  CHECK(count_kind(entries, actors::RequestKind::Sign, AuditOutcome::allowed) == 1);
  const auto report = f.verify();
  CHECK(report.mode == AuditMode::fail_closed);
  CHECK(report.first_break.empty());
  CHECK(report.anchor_sequence > 0);  // the clean close recorded the head
}

TEST_CASE("fail-closed refuses every request while the log cannot be written, best-effort goes on") {
  AuditFixture f;
  f.set_mode(AuditMode::fail_closed);
  REQUIRE(f.engine->sign(at("w/k"), bytes_of("m")).ok());  // the first entry starts the log
  std::filesystem::rename(f.log, f.log + ".moved");
  std::filesystem::create_directory(f.log);              // where the log was: it cannot be opened
  CHECK(f.engine->sign(at("w/k"), bytes_of("m")).ok());  // the open log still writes
  f.reopen();
  const auto refused = f.engine->sign(at("w/k"), bytes_of("m"));
  CHECK(refused.status().code() == Errc::unavailable);
  CHECK(refused.status().message().find("audit") != std::string::npos);
  CHECK(f.engine->call(actors::PublicKey{at("w/k")}).status().code() == Errc::unavailable);
  f.set_mode(AuditMode::best_effort);  // managing the log is never refused
  CHECK(f.engine->sign(at("w/k"), bytes_of("m")).ok());
}

TEST_CASE("audit verify finds an edited entry, and the snapshot's anchor exposes a log deleted or cut back") {
  AuditFixture f;
  f.set_mode(AuditMode::best_effort);
  for (int i = 0; i < 20; ++i)
    REQUIRE(f.engine->sign(at("w/k"), bytes_of(std::to_string(i))).ok());
  f.reopen();  // the clean close anchors the head in the snapshot
  REQUIRE(f.verify().first_break.empty());
  const std::uintmax_t size = std::filesystem::file_size(f.log);

  SUBCASE("an edited byte") {
    std::fstream file(f.log, std::ios::in | std::ios::out | std::ios::binary);
    file.seekp(static_cast<std::streamoff>(size / 2));
    char byte = 0;
    file.seekg(static_cast<std::streamoff>(size / 2));
    file.get(byte);
    file.seekp(static_cast<std::streamoff>(size / 2));
    file.put(static_cast<char>(byte ^ 0x20));
  }
  SUBCASE("the log deleted") { std::filesystem::remove(f.log); }
  SUBCASE("the log cut back to its start") { std::filesystem::resize_file(f.log, 0); }
  const auto report = f.engine->call(actors::VerifyAudit{});
  REQUIRE_MESSAGE(report.ok(), report.status().to_string());
  CHECK_FALSE(report->first_break.empty());
}

TEST_CASE("setting the audit mode takes the snapshot's password, whoever asks") {
  AuditFixture f;
  const auto wrong = f.engine->call(set_audit(AuditMode::best_effort, bytes_of("guess")));
  CHECK(wrong.status().code() == Errc::wrong_password);
  CHECK(f.engine->call(actors::VerifyAudit{}).status().code() == Errc::not_found);  // nothing changed
  f.set_mode(AuditMode::fail_closed);
  CHECK(f.engine->call(set_audit(AuditMode::off, bytes_of("guess"))).status().code() == Errc::wrong_password);
  CHECK(f.verify().mode == AuditMode::fail_closed);
}

TEST_CASE("a log deleted or replaced by an older copy is reported, and never covered by a new anchor") {
  AuditFixture f;
  f.set_mode(AuditMode::best_effort);
  for (int i = 0; i < 5; ++i)
    REQUIRE(f.engine->sign(at("w/k"), bytes_of(std::to_string(i))).ok());
  f.reopen();  // anchored
  const std::string older = f.log + ".older";
  std::filesystem::copy_file(f.log, older);
  for (int i = 0; i < 5; ++i)
    REQUIRE(f.engine->sign(at("w/k"), bytes_of(std::to_string(i))).ok());
  f.engine.reset();  // anchored past the older copy

  SUBCASE("deleted") { std::filesystem::remove(f.log); }
  SUBCASE("an older copy") {
    std::filesystem::copy_file(older, f.log, std::filesystem::copy_options::overwrite_existing);
  }
  f.engine = Engine::open(f.path, kPassword, f.options).value();
  REQUIRE(f.engine->generate(at("w/new"), KeyType::ed25519).ok());  // a commit, and entries the log refuses
  f.reopen();  // a clean close: the anchor must not move back to a new chain's head
  CHECK_FALSE(f.verify().first_break.empty());
  // The owner, with the password, accepts the log as it stands and it goes on from there.
  f.set_mode(AuditMode::best_effort);
  REQUIRE(f.engine->sign(at("w/k"), bytes_of("after")).ok());
  f.reopen();
  CHECK(f.verify().first_break.empty());
}

TEST_CASE("a password change keeps the audit log's settings and the registered clients") {
  AuditFixture f;
  f.set_mode(AuditMode::fail_closed);
  const Bytes client_key = f.engine->generate(at("w/client"), KeyType::ed25519).value();
  REQUIRE(f.engine
              ->call(actors::ClientAdd{"alice", client_key, vault::Overwrite::refuse,
                                       actors::Secret::seal(kPassword).value()})
              .ok());
  const Bytes next = bytes_of("next");
  REQUIRE(
      f.engine
          ->call(actors::ChangePassword{actors::Secret::seal(kPassword).value(), actors::Secret::seal(next).value()})
          .ok());
  CHECK(f.engine->call(actors::ClientList{"alice"}).value().size() == 1);
  f.engine.reset();
  f.engine = Engine::open(f.path, next, f.options).value();
  REQUIRE(f.engine->sign(at("w/k"), bytes_of("after passwd")).ok());
  CHECK(f.verify().mode == AuditMode::fail_closed);
  CHECK(count_kind(f.entries(), actors::RequestKind::Sign, AuditOutcome::allowed) == 1);
  CHECK(f.engine->call(actors::ClientList{"alice"}).value().size() == 1);
}

TEST_CASE("a FIFO where the log belongs is refused at once, in fail-closed mode too") {
  AuditFixture f;
  f.set_mode(AuditMode::fail_closed);
  REQUIRE(f.engine->sign(at("w/k"), bytes_of("m")).ok());
  f.engine.reset();
  std::filesystem::remove(f.log);
  REQUIRE(::mkfifo(f.log.c_str(), 0600) == 0);
  f.engine = Engine::open(f.path, kPassword, f.options).value();
  CHECK(f.engine->sign(at("w/k"), bytes_of("m")).status().code() == Errc::unavailable);
  CHECK(f.engine->call(actors::VerifyAudit{}).status().code() == Errc::io_error);
}

// The child signs in a loop in fail-closed mode and reports each signature it got; the parent
// kills it at a random moment. Every reported signature has its entry after a reopen.
[[noreturn]] void sign_forever(const std::string& path, int round, int write_fd) {
  auto engine = Engine::open(path, kPassword, test::fast_engine_options());
  if (!engine.ok())
    _exit(3);
  for (int i = 0;; ++i) {
    if (!(*engine)->sign(at("w/k"), bytes_of(fmt::format("kill-{}-{}", round, i))).ok())
      _exit(4);
    const std::string ack = fmt::format("{}\n", i);
    if (write(write_fd, ack.data(), ack.size()) != static_cast<ssize_t>(ack.size()))
      _exit(5);
  }
}

TEST_CASE("after SIGKILL in fail-closed mode, every acknowledged request has its entry") {
  std::mt19937 random(20261201);  // NOLINT(cert-msc32-c,cert-msc51-cpp): the same kill times each run
  test::TempDir dir;
  const std::string path = dir.file("killed.stronghold");
  {
    auto engine = Engine::create(path, kPassword, test::fast_engine_options()).value();
    REQUIRE(engine->generate(at("w/k"), KeyType::ed25519).ok());
    REQUIRE(engine->call(set_audit(AuditMode::fail_closed)).ok());
  }
  std::size_t checked = 0;
  for (int round = 0; round < 8; ++round) {
    std::set<int> acknowledged;
    REQUIRE_MESSAGE(test::run_and_kill([&](int write_fd) { sign_forever(path, round, write_fd); },
                                       std::chrono::milliseconds(random() % 50), acknowledged),
                    "the child stopped by itself");
    REQUIRE_FALSE(acknowledged.empty());

    auto engine = Engine::open(path, kPassword, test::fast_engine_options()).value();
    std::set<std::string> logged;
    actors::ShowAudit request;
    for (bool more = true; more;) {
      const auto page = engine->call(request).value();
      for (const AuditRecord& entry : page.entries)
        logged.insert(to_hex(entry.digest));
      more = page.more;
      if (!page.entries.empty())
        request.after = page.entries.back().sequence;
    }
    for (const int i : acknowledged)
      REQUIRE_MESSAGE(logged.contains(to_hex(digest_of(bytes_of(fmt::format("kill-{}-{}", round, i))))),
                      "round " << round << ": signature " << i << " has no entry");
    checked += acknowledged.size();
    CHECK(engine->call(actors::VerifyAudit{}).value().first_break.empty());
  }
  MESSAGE(checked << " acknowledged signatures, each with its entry after SIGKILL");
}

}  // namespace

TEST_CASE_FIXTURE(AuditFixture, "a request whose password its KDF finds wrong is logged allowed, then failed") {
  set_mode(AuditMode::best_effort);
  const auto wrong = actors::Secret::seal(bytes_of("not it")).value();
  CHECK(engine->call(actors::CheckPassword{wrong}).code() == Errc::wrong_password);
  CHECK(engine->change_password(bytes_of("not it"), bytes_of("new")).code() == Errc::wrong_password);
  CHECK(engine->call(actors::CheckPassword{actors::Secret::seal(kPassword).value()}).ok());
  const auto all = entries();
  CHECK(count_kind(all, actors::RequestKind::CheckPassword, AuditOutcome::allowed) == 2);
  CHECK(count_kind(all, actors::RequestKind::CheckPassword, AuditOutcome::failed) == 1);
  CHECK(count_kind(all, actors::RequestKind::ChangePassword, AuditOutcome::failed) == 1);
  const auto failed = std::find_if(all.begin(), all.end(), [](const AuditRecord& entry) {
    return static_cast<AuditOutcome>(entry.outcome) == AuditOutcome::failed;
  });
  REQUIRE(failed != all.end());
  CHECK(failed->status == static_cast<std::uint8_t>(Errc::wrong_password));
  CHECK(failed->caller == "owner");
}
