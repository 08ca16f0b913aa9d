// Approvals (M of N) through the owner's façade: a request the rule names waits until enough
// registered approvers signed its digest, an approval counts once and for one request, and a
// request whose deadline passes is dropped and logged.
#include <sodium.h>

#include <limits>
#include <thread>

#include <doctest/doctest.h>

#include "actors/fast_options.hpp"
#include "approval_desk.hpp"
#include "stronghold/engine.hpp"
#include "stronghold/runtime/hex.hpp"
#include "stronghold/snapshot/audit_log.hpp"
#include "support/temp_dir.hpp"

using namespace stronghold;
using actors::Approve;
using actors::ExportVaults;
using actors::ListApprovals;
using actors::PendingRequest;
using vault::KeyType;
using vault::Location;

namespace {

const Bytes kPassword = {'a', 'p', 'p', 'r'};

Location at(std::string_view text) { return Location::parse(text).value(); }
actors::Secret password() { return actors::Secret::seal(kPassword).value(); }

struct Approver {
  std::string name;
  Bytes public_key = Bytes(crypto_sign_PUBLICKEYBYTES);
  Bytes secret_key = Bytes(crypto_sign_SECRETKEYBYTES);
  explicit Approver(std::string who) : name(std::move(who)) {
    crypto_sign_keypair(public_key.data(), secret_key.data());
  }
  Bytes sign(ByteView digest) const {
    const Bytes message = vault::approval_message(digest);
    Bytes signature(crypto_sign_BYTES);
    crypto_sign_detached(signature.data(), nullptr, message.data(), message.size(), secret_key.data());
    return signature;
  }
};

struct ApprovalFixture {
  test::TempDir dir;
  std::string path = dir.file("approvals.stronghold");
  std::unique_ptr<Engine> engine = Engine::create(path, kPassword, test::fast_engine_options()).value();
  std::vector<Approver> approvers{Approver("ann"), Approver("ben"), Approver("cat")};
  Bytes recipient;

  // 2 of 3 on the default kinds (export among them), with `deadline` seconds to approve.
  explicit ApprovalFixture(std::uint32_t deadline = 3600) {
    REQUIRE(engine->generate(at("w/sign"), KeyType::ed25519).ok());
    recipient = engine->generate(at("w/to"), KeyType::x25519).value();
    REQUIRE(engine->call(actors::SetAuditMode{vault::AuditMode::best_effort, password()}).ok());
    for (const Approver& approver : approvers)
      REQUIRE(
          engine->call(actors::ApproverAdd{approver.name, approver.public_key, vault::Overwrite::refuse, password()})
              .ok());
    REQUIRE(engine->call(actors::SetApprovalRule{2, {}, deadline, password()}).ok());
  }
  ExportVaults export_request() const { return {recipient, at("w/sign"), {"w"}}; }
  // The one pending request.
  PendingRequest pending() {
    const auto listed = engine->call(ListApprovals{}).value();
    REQUIRE(listed.size() == 1);
    return listed.front();
  }
  Status approve(const PendingRequest& request, const Approver& approver, ByteView digest) {
    return engine->call(Approve{request.id, approver.name, approver.sign(digest)}).status();
  }
};

}  // namespace

TEST_CASE("the rule that holds back a damaged rule's requests holds back every default kind") {
  // The fail-closed rule an unreadable one becomes: the default kinds, searched as stored.
  const vault::ApprovalRule rule{std::numeric_limits<std::uint32_t>::max(), actors::default_approval_kinds(), 1};
  using enum actors::RequestKind;
  for (const actors::RequestKind kind : {DeleteKey, ExportVaults, ExportWithPassword, ImportVaults, ImportWithPassword,
                                         ImportStronghold, SetPolicy, ChangePassword, SetAuditMode, WrapKey}) {
    CAPTURE(actors::request_name(kind));
    CHECK(actors::needs_approval(rule, kind, true));
  }
  CHECK_FALSE(actors::needs_approval(rule, Sign, true));
  CHECK_FALSE(actors::needs_approval(rule, ImportVaults, false));  // an import that keeps what is there
}

TEST_CASE("an export under a 2-of-3 rule waits with one approval and runs with two") {
  ApprovalFixture f;
  const auto waiting = f.engine->call(f.export_request());
  REQUIRE(waiting.status().code() == Errc::pending_approval);
  const PendingRequest request = f.pending();
  CHECK(waiting.status().message().find(request.id) != std::string::npos);
  CHECK(waiting.status().message().find(to_hex(request.digest)) != std::string::npos);
  CHECK(request.kind_name == "export");
  CHECK(request.threshold == 2);

  REQUIRE(f.approve(request, f.approvers[0], request.digest).ok());
  CHECK(f.engine->call(f.export_request()).status().code() == Errc::pending_approval);
  CHECK(f.pending().approvers == std::vector<std::string>{"ann"});
  REQUIRE(f.approve(request, f.approvers[2], request.digest).ok());
  CHECK(f.engine->call(f.export_request()).ok());
  CHECK(f.engine->call(ListApprovals{}).value().empty());
}

TEST_CASE("a forged, a duplicate or a replayed approval does not count") {
  ApprovalFixture f;
  REQUIRE(f.engine->call(f.export_request()).status().code() == Errc::pending_approval);
  const PendingRequest request = f.pending();
  // Signed by a key that is not ann's.
  const Approver forger("ann");
  CHECK(f.approve(request, forger, request.digest).code() == Errc::denied);
  CHECK(f.approve(request, Approver("eve"), request.digest).code() == Errc::denied);
  // ben's signature over another request's digest (a key deletion that waits too).
  REQUIRE(f.engine->call(actors::DeleteKey{at("w/to")}).status().code() == Errc::pending_approval);
  const auto listed = f.engine->call(ListApprovals{}).value();
  REQUIRE(listed.size() == 2);
  CHECK(f.approve(request, f.approvers[1], listed[1].digest).code() == Errc::denied);
  REQUIRE(f.approve(request, f.approvers[1], request.digest).ok());
  CHECK(f.approve(request, f.approvers[1], request.digest).code() == Errc::invalid_argument);
  CHECK(f.engine->call(Approve{"00", "ben", f.approvers[1].sign(request.digest)}).status().code() == Errc::not_found);
  CHECK(f.engine->call(f.export_request()).status().code() == Errc::pending_approval);
}

TEST_CASE("an approval is consumed: the same export again waits again") {
  ApprovalFixture f;
  REQUIRE(f.engine->call(f.export_request()).status().code() == Errc::pending_approval);
  const PendingRequest first = f.pending();
  REQUIRE(f.approve(first, f.approvers[0], first.digest).ok());
  REQUIRE(f.approve(first, f.approvers[1], first.digest).ok());
  REQUIRE(f.engine->call(f.export_request()).ok());
  CHECK(f.engine->call(f.export_request()).status().code() == Errc::pending_approval);
  const PendingRequest second = f.pending();
  CHECK(second.id != first.id);
  CHECK(second.digest == first.digest);  // the same request: the same digest, a new approval
  CHECK(second.approvers.empty());
}

TEST_CASE("a request whose deadline passes is dropped and logged as expired") {
  ApprovalFixture f(1);
  REQUIRE(f.engine->call(f.export_request()).status().code() == Errc::pending_approval);
  const PendingRequest request = f.pending();
  REQUIRE(f.approve(request, f.approvers[0], request.digest).ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(2100));
  CHECK(f.approve(request, f.approvers[1], request.digest).code() == Errc::not_found);
  CHECK(f.engine->call(f.export_request()).status().code() == Errc::pending_approval);
  CHECK(f.pending().id != request.id);
  std::vector<std::uint8_t> outcomes;
  const actors::AuditPage page = f.engine->call(actors::ShowAudit{}).value();
  for (const actors::AuditRecord& entry : page.entries)
    if (entry.kind == static_cast<std::uint16_t>(actors::RequestKind::ExportVaults))
      outcomes.push_back(entry.outcome);
  using snapshot::AuditOutcome;
  const std::vector<std::uint8_t> expected{
      static_cast<std::uint8_t>(AuditOutcome::pending), static_cast<std::uint8_t>(AuditOutcome::approved),
      static_cast<std::uint8_t>(AuditOutcome::expired), static_cast<std::uint8_t>(AuditOutcome::pending)};
  CHECK(outcomes == expected);
}

TEST_CASE("a request lives through the whole second of its deadline, however late in a second it was made") {
  actors::ApprovalDesk desk;
  bool created = false;
  actors::ApprovalDesk::Entry entry;
  entry.digest = Bytes(32, 7);
  entry.deadline = 1000;  // made at second 999 with a deadline of 1 s: at 999.999 it would have had 1 ms
  REQUIRE(desk.admit(entry, 2, created).code() == Errc::pending_approval);
  CHECK(desk.expire(1000).empty());
  CHECK(desk.entries().size() == 1);
  CHECK(desk.expire(1001).size() == 1);
  CHECK(desk.entries().empty());
}

TEST_CASE("a threshold above the approvers, or removing one below it, is refused") {
  ApprovalFixture f;
  CHECK(f.engine->call(actors::SetApprovalRule{4, {}, 3600, password()}).status().code() == Errc::invalid_argument);
  REQUIRE(f.engine->call(actors::ApproverRemove{"cat", password()}).ok());
  CHECK(f.engine->call(actors::ApproverRemove{"ben", password()}).status().code() == Errc::invalid_argument);
  CHECK(f.engine->call(actors::ApproverList{}).value().size() == 2);
  // Off again: the export runs without approvals.
  REQUIRE(f.engine->call(actors::SetApprovalRule{0, {}, 3600, password()}).ok());
  CHECK(f.engine->call(f.export_request()).ok());
}

TEST_CASE("approvers and the rule survive a password change") {
  ApprovalFixture f;
  REQUIRE(f.engine->call(actors::SetApprovalRule{0, {}, 3600, password()}).ok());
  const Bytes next = {'n', 'e', 'x', 't'};
  REQUIRE(f.engine->call(actors::ChangePassword{password(), actors::Secret::seal(next).value()}).ok());
  CHECK(f.engine->call(actors::ApproverList{}).value().size() == 3);
  CHECK(f.engine->call(actors::SetApprovalRule{3, {}, 3600, actors::Secret::seal(next).value()}).ok());
}
