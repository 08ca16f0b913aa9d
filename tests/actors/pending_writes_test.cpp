// Durable before visible, as the vault actor keeps it (pending_writes.hpp): a staged write holds
// back the requests that name its places until it is durable, a request that names no place waits
// for every write, and the requests that wait keep the order they came in.
#include <doctest/doctest.h>

#include "pending_writes.hpp"
#include "stronghold/vault/keys.hpp"
#include "vault/fixture.hpp"

namespace stronghold::actors {
namespace {

vault::Location at(std::string_view text) { return vault::Location::parse(text).value(); }

struct Pending {
  test::KeystoreFixture f;
  PendingWrites writes;

  // The places a sign request names.
  Places sign(std::string_view where) const {
    return places_named(f.keystore, policy_facts(Sign{at(where), Bytes{0x6d}}));
  }
  // The vaults "hot" and "cold" exist, so a key made in them writes no vault.
  Pending() {
    writes.settle(generate("hot/old"));
    writes.settle(generate("cold/old"));
  }

  // A key generated at `where` (in the place of one there), staged and not yet durable.
  std::uint64_t generate(std::string_view where) {
    vault::Transaction tx(f.keystore, vault::Overwrite::replace);
    REQUIRE(vault::generate_key(tx, at(where), vault::KeyType::ed25519).ok());
    const vault::ChangeSet changes = std::move(tx).take();
    const std::uint64_t ticket = writes.add(places_written(changes));
    REQUIRE(f.keystore.apply(changes).ok());
    return ticket;
  }
};

}  // namespace

TEST_CASE("a staged write holds back the requests that name its places, and only those") {
  Pending p;
  const std::uint64_t ticket = p.generate("hot/new");
  CHECK(p.writes.must_wait(p.sign("hot/new")));
  CHECK_FALSE(p.writes.must_wait(p.sign("hot/other")));
  CHECK_FALSE(p.writes.must_wait(p.sign("cold/new")));
  CHECK(p.writes.holds(place_of(p.f.keystore, "hot", "")));  // the whole vault
  CHECK(p.writes.must_wait(places_named(p.f.keystore, policy_facts(ExportVaults{{}, at("x/y"), {}}))));
  CHECK(p.writes.must_wait(places_named(p.f.keystore, policy_facts(GetSecret{"anything"}))));  // names no place
  p.writes.settle(ticket);
  CHECK(p.writes.idle());
  CHECK_FALSE(p.writes.must_wait(p.sign("hot/new")));
  CHECK_FALSE(p.writes.must_wait(places_named(p.f.keystore, policy_facts(GetSecret{"anything"}))));
}

TEST_CASE("a deletion and a vault's removal are writes of what they remove") {
  Pending p;
  p.writes.settle(p.generate("hot/a"));
  p.writes.settle(p.generate("warm/a"));
  vault::Transaction tx(p.f.keystore);
  REQUIRE(tx.revoke(at("hot/a")).ok());
  REQUIRE(tx.remove_vault("warm").ok());
  const Places written = places_written(std::move(tx).take());
  PlaceCounts pending;
  pending.add(written);
  CHECK(pending.overlaps(p.sign("hot/a")));
  CHECK(pending.overlaps(p.sign("warm/anything")));
  CHECK_FALSE(pending.overlaps(p.sign("hot/b")));
  pending.remove(written);
  CHECK_FALSE(pending.overlaps(p.sign("hot/a")));
}

TEST_CASE("the requests that wait run in the order they came, and later writes never starve them") {
  Pending p;
  const std::uint64_t first = p.generate("hot/k");
  REQUIRE(p.writes.must_wait(p.sign("hot/k")));
  const std::uint64_t read = p.writes.wait(p.sign("hot/k"));
  // A later request on the same key waits behind the read, though no write of it is pending then.
  const std::uint64_t later = p.generate("hot/other");
  CHECK(p.writes.must_wait(p.sign("hot/k")));
  const std::uint64_t write = p.writes.wait(p.sign("hot/k"));
  CHECK(p.writes.release().empty());  // the generate is not durable yet
  p.writes.settle(first);
  CHECK(p.writes.release() == std::vector<std::uint64_t>{read});  // the write waits for the read to run
  CHECK(p.writes.release().empty());                              // named once
  p.writes.ran(read);
  CHECK(p.writes.release() == std::vector<std::uint64_t>{write});
  p.writes.ran(write);
  p.writes.settle(later);
  CHECK(p.writes.idle());
}

TEST_CASE("a released request that finds its place written again waits again, in its place") {
  Pending p;
  const std::uint64_t first = p.generate("hot/k");
  const std::uint64_t read = p.writes.wait(p.sign("hot/k"));
  p.writes.settle(first);
  REQUIRE(p.writes.release() == std::vector<std::uint64_t>{read});
  const std::uint64_t again = p.generate("hot/k");  // staged before the released request ran
  CHECK(p.writes.held_again(read));
  CHECK(p.writes.release().empty());
  p.writes.settle(again);
  CHECK(p.writes.release() == std::vector<std::uint64_t>{read});
  CHECK_FALSE(p.writes.held_again(read));
  p.writes.ran(read);
  CHECK(p.writes.idle());
}

TEST_CASE("a request that names no place holds back every later one until it ran") {
  Pending p;
  const std::uint64_t pending = p.generate("hot/k");
  const std::uint64_t everything = p.writes.wait(places_named(p.f.keystore, policy_facts(GetSecret{"s"})));
  CHECK(p.writes.must_wait(p.sign("cold/elsewhere")));  // behind it, not overtaking it
  const std::uint64_t behind = p.writes.wait(p.sign("cold/elsewhere"));
  p.writes.settle(pending);
  CHECK(p.writes.release() == std::vector<std::uint64_t>{everything});
  p.writes.ran(everything);
  CHECK(p.writes.release() == std::vector<std::uint64_t>{behind});
}

}  // namespace stronghold::actors
