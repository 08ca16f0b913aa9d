// Policies in the vault floor: each rule's decision, use counting, and storage in companion
// vaults (exported with their vault, never listed).
#include <doctest/doctest.h>

#include "stronghold/vault/policy.hpp"
#include "vault/fixture.hpp"

namespace stronghold::vault {
namespace {

constexpr std::int64_t kNow = 1'800'000'000;
constexpr std::uint16_t kSign = 6;
constexpr std::uint16_t kDerive = 5;

PolicedRequest signing(const Caller& caller, std::size_t message = 32, bool prehashed = false) {
  return PolicedRequest{kSign, "sign", &caller, 1, message, prehashed, {}};
}

Errc decide(const Policy& policy, const PolicedRequest& request) {
  return check_policy(policy, "w/k", request, kNow).code();
}

TEST_CASE("a policy allows what its rules allow and refuses the rest, naming the rule") {
  const Caller owner;
  const Caller client{"uid:1000", "alice"};

  Policy kinds;
  kinds.kinds = KindSet();
  kinds.kinds.add(kDerive);
  CHECK(decide(kinds, PolicedRequest{kDerive, "key.derive", &owner, 1, 0, false, "m/0'"}) == Errc::ok);
  const Status refused = check_policy(kinds, "w/k", signing(owner), kNow);
  CHECK(refused.code() == Errc::denied);
  CHECK(refused.message() == "denied by policy of w/k: sign requests are not allowed");

  Policy callers;
  callers.callers = {"client:alice"};
  CHECK(decide(callers, signing(client)) == Errc::ok);
  CHECK(decide(callers, signing(owner)) == Errc::denied);
  callers.callers = {"uid:1000"};
  CHECK(decide(callers, signing(client)) == Errc::ok);
  CHECK(decide(callers, signing(Caller{"uid:1001", "alice"})) == Errc::denied);

  Policy window;
  window.not_before = kNow + 1;
  CHECK(decide(window, signing(owner)) == Errc::denied);
  window.not_before = kNow;
  window.not_after = kNow + 1;
  CHECK(decide(window, signing(owner)) == Errc::ok);
  window.not_after = kNow;
  CHECK(decide(window, signing(owner)) == Errc::denied);

  Policy paths;
  paths.path_prefixes = {"m/44'/4218'"};
  CHECK(decide(paths, PolicedRequest{kDerive, "key.derive", &owner, 1, 0, false, "m/44'/4218'/0'"}) == Errc::ok);
  CHECK(decide(paths, PolicedRequest{kDerive, "key.derive", &owner, 1, 0, false, "m/44h/4218h"}) == Errc::ok);
  CHECK(decide(paths, PolicedRequest{kDerive, "key.derive", &owner, 1, 0, false, "m/44'/42180'"}) == Errc::denied);
  CHECK(decide(paths, PolicedRequest{kDerive, "key.derive", &owner, 1, 0, false, "m/44'/60'/0'"}) == Errc::denied);

  Policy longest;
  longest.max_message = 32;
  CHECK(decide(longest, signing(owner, 32)) == Errc::ok);
  CHECK(decide(longest, signing(owner, 33)) == Errc::denied);

  Policy digests;
  digests.allow_prehashed = false;
  CHECK(decide(digests, signing(owner, 32, false)) == Errc::ok);
  CHECK(decide(digests, signing(owner, 32, true)) == Errc::denied);
}

TEST_CASE("uses are counted exactly and reserved ahead, so a restart never grants one more") {
  Policy policy;
  policy.max_uses = 100;
  CHECK(reservation_block(100) == 0);  // every use written before it is made
  CHECK(reservation_block(std::uint64_t{1024} * 10) == 10);
  CHECK(reservation_block(std::uint64_t{1} << 40) == kUseReservation);
  policy.max_uses = std::uint64_t{100} * 1024;
  UseCounter counter;
  Reservation reserve;
  const std::uint64_t block = reservation_block(policy.max_uses);
  REQUIRE(block == 100);
  REQUIRE(take_uses(policy, "w/k", counter, 1, 0, reserve).ok());
  CHECK(reserve.to == 1 + block);  // the first use must wait for its reservation
  CHECK(reserve.wait);
  counter.durable = reserve.to;
  REQUIRE(take_uses(policy, "w/k", counter, 49, 0, reserve).ok());
  CHECK(reserve.to == 0);  // still covered
  REQUIRE(take_uses(policy, "w/k", counter, 2, 0, reserve).ok());
  CHECK(reserve.to == 52 + block);  // half the block used: the next is written ahead...
  CHECK_FALSE(reserve.wait);        // ... while the request goes on
  REQUIRE(take_uses(policy, "w/k", counter, 2, 0, reserve).ok());
  CHECK(reserve.to == 0);  // one ahead is enough
  counter.used = policy.max_uses - 40;
  REQUIRE(take_uses(policy, "w/k", counter, 2, 0, reserve).ok());
  CHECK(reserve.to == policy.max_uses);  // never beyond max_uses
  counter.durable = reserve.to;
  CHECK(take_uses(policy, "w/k", counter, 39, 0, reserve).code() == Errc::denied);  // all or nothing
  CHECK(counter.used == policy.max_uses - 38);
  REQUIRE(take_uses(policy, "w/k", counter, 38, 0, reserve).ok());
  CHECK(take_uses(policy, "w/k", counter, 1, 0, reserve).code() == Errc::denied);

  Policy small;
  small.max_uses = 2;
  UseCounter exact;
  REQUIRE(take_uses(small, "w/k", exact, 1, 0, reserve).ok());
  CHECK(reserve.to == 1);
  CHECK(reserve.wait);

  // After a crash the reservation counts as used: at most kUseReservation uses are lost.
  const UseCounter resumed = UseCounter::resumed(1 + kUseReservation, 0);
  CHECK(resumed.used == 1 + kUseReservation);
}

TEST_CASE("a rate limit is a token bucket: full when set, empty after a restart, refilled over time") {
  Policy policy;
  policy.rate = {3, 60};
  UseCounter counter;
  Reservation reserve;
  for (int i = 0; i < 3; ++i)
    REQUIRE(take_uses(policy, "w/k", counter, 1, 1'000, reserve).ok());
  CHECK(take_uses(policy, "w/k", counter, 1, 1'000, reserve).code() == Errc::denied);
  CHECK(take_uses(policy, "w/k", counter, 1, 20'999, reserve).code() == Errc::denied);
  CHECK(take_uses(policy, "w/k", counter, 1, 21'000, reserve).ok());  // one token per 20 s

  UseCounter restarted = UseCounter::resumed(0, 50'000);
  CHECK(take_uses(policy, "w/k", restarted, 1, 50'000, reserve).code() == Errc::denied);
  CHECK(take_uses(policy, "w/k", restarted, 1, 70'000, reserve).ok());
}

TEST_CASE("a policy encodes and decodes to itself, and damaged bytes are refused as corrupted") {
  Policy policy;
  policy.kinds = KindSet();
  policy.kinds.add(kSign);
  policy.kinds.add(127);
  policy.callers = {"owner", "client:alice"};
  policy.max_uses = 1'000'000;
  policy.rate = {10, 60};
  policy.not_before = 5;
  policy.not_after = kNow;
  policy.path_prefixes = {"m/44'/60'"};
  policy.max_message = 64;
  policy.allow_prehashed = false;
  const Bytes encoded = policy.encode();
  CHECK(Policy::decode(encoded).value() == policy);
  for (std::size_t cut = 0; cut < encoded.size(); ++cut)
    CHECK(Policy::decode(ByteView(encoded.data(), cut)).status().code() == Errc::corrupted);
  Bytes longer = encoded;
  longer.push_back(0);
  CHECK(Policy::decode(longer).status().code() == Errc::corrupted);
  Bytes bad_rate = Policy{}.encode();
  CHECK(Policy::decode(bad_rate).value() == Policy{});
}

TEST_CASE("rules out of range are refused before they are stored") {
  Policy rate;
  rate.rate = {10, 0};
  CHECK(rate.check().code() == Errc::invalid_argument);
  Policy window;
  window.not_before = 10;
  window.not_after = 5;
  CHECK(window.check().code() == Errc::invalid_argument);
  Policy callers;
  callers.callers.assign(kMaxPolicyCallers + 1, "owner");
  CHECK(callers.check().code() == Errc::invalid_argument);
  callers.callers = {std::string(kMaxCallerLength + 1, 'c')};
  CHECK(callers.check().code() == Errc::invalid_argument);
  CHECK(Policy{}.check().ok());
  CHECK_FALSE(Policy{}.restricts());
}

TEST_CASE("policies live in companion vaults: read back, not listed, exported with their vault") {
  test::KeystoreFixture f;
  f.put("w/k", KeyType::ed25519, Bytes(32, 1));
  Policy policy;
  policy.max_uses = 7;
  CHECK_FALSE(vault_has_policies(f.keystore, "w"));
  {
    Transaction tx(f.keystore);
    REQUIRE(write_policy(tx, "w", "k", policy).ok());
    REQUIRE(write_policy(tx, "w", "", policy).ok());
    REQUIRE(write_reserved_uses(tx, "w", "k", 64).ok());
    REQUIRE(f.keystore.commit(std::move(tx)).ok());
  }
  CHECK(vault_has_policies(f.keystore, "w"));
  CHECK(policed_vaults(f.keystore) == std::vector<std::string>{"w"});
  CHECK(read_policy(f.keystore, "w", "k").value() == policy);
  CHECK(read_policy(f.keystore, "w", "").value() == policy);
  CHECK(read_policy(f.keystore, "w", "other").status().code() == Errc::not_found);
  CHECK(read_reserved_uses(f.keystore, "w", "k").value() == 64);
  CHECK(read_reserved_uses(f.keystore, "w", "other").value() == 0);
  CHECK(f.keystore.list().size() == 1);  // w/k only

  // A vault's export carries its policies and counts; another snapshot reads them back.
  const Bytes transfer_key(32, 9);
  const ChangeSet exported = f.keystore.export_vaults({"w"}, transfer_key).value();
  auto other = f.make(0x43);
  Transaction import(other);
  const auto imported = import.import_vaults(exported, transfer_key, false).value();
  CHECK(imported.size() == 1);  // the report names the key, not its policy records
  REQUIRE(other.commit(std::move(import)).ok());
  CHECK(read_policy(other, "w", "k").value() == policy);
  CHECK(read_reserved_uses(other, "w", "k").value() == 64);

  // A policy that restricts nothing is removed.
  Transaction clear(f.keystore);
  REQUIRE(write_policy(clear, "w", "k", Policy{}).ok());
  REQUIRE(f.keystore.commit(std::move(clear)).ok());
  CHECK(read_policy(f.keystore, "w", "k").status().code() == Errc::not_found);
}

}  // namespace
}  // namespace stronghold::vault
