// The vault actor's policy book: what it remembers is bounded by the policies that exist, never by
// what callers name.
#include <doctest/doctest.h>

#include "policy_book.hpp"
#include "vault/fixture.hpp"

namespace stronghold::actors {
namespace {

constexpr std::int64_t kNowMs = 1'700'000'000'000;

PolicyFacts signing(const std::string& vault, const std::string& record) {
  return policy_facts(Sign{vault::Location{vault, record}, Bytes{0x6d}});
}

struct PolicedVault {
  test::KeystoreFixture f;
  PolicyBook book;
  vault::Caller caller{"uid:1000", {}};

  explicit PolicedVault(const vault::Policy& vault_policy) {
    f.put("w/k", vault::KeyType::ed25519, Bytes(32, 1));
    vault::Transaction tx(f.keystore);
    REQUIRE(vault::write_policy(tx, "w", "", vault_policy).ok());
    REQUIRE(f.keystore.commit(std::move(tx)).ok());
  }
};

vault::Policy limited_to(std::uint64_t uses) {
  vault::Policy policy;
  policy.max_uses = uses;
  return policy;
}

TEST_CASE("naming many records of a policed vault leaves the policy book the size of its policies") {
  PolicedVault v(limited_to(1'000'000));
  for (int i = 0; i < 1000; ++i) {
    const std::string record = "missing-" + std::to_string(i);
    const auto admitted = v.book.admit(v.f.keystore, signing("w", record), v.caller, kNowMs);
    CHECK(admitted.ok());  // the vault's policy allows it; the signature itself fails later
    CHECK(v.book.governs(v.f.keystore, vault::Location{"w", record}));
    CHECK_FALSE(v.book.show(v.f.keystore, "w", record).value().present);
  }
  CHECK(v.book.remembered() == 1);  // the vault's policy, and nothing per name
}

TEST_CASE("a removed policy is forgotten") {
  PolicedVault v(limited_to(5));
  v.book.changed("w", "k", limited_to(2));
  CHECK(v.book.governs(v.f.keystore, vault::Location{"w", "k"}));
  CHECK(v.book.remembered() == 2);
  v.book.changed("w", "k", std::nullopt);
  v.book.changed("w", "", std::nullopt);
  CHECK(v.book.remembered() == 0);
}

TEST_CASE("the book counts uses against the policy it remembers") {
  PolicedVault v(limited_to(2));
  CHECK(v.book.admit(v.f.keystore, signing("w", "k"), v.caller, kNowMs).ok());
  CHECK(v.book.admit(v.f.keystore, signing("w", "other"), v.caller, kNowMs).ok());
  const auto third = v.book.admit(v.f.keystore, signing("w", "k"), v.caller, kNowMs);
  CHECK(third.status().code() == Errc::denied);
  CHECK(v.book.show(v.f.keystore, "w", "").value().uses == 2);
}

}  // namespace
}  // namespace stronghold::actors
