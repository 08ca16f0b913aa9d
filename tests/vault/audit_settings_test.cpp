// The audit log's settings in the snapshot: the mode and key shared by every node of a cluster,
// and an anchor per node.
#include <doctest/doctest.h>

#include "stronghold/vault/audit_settings.hpp"
#include "vault/fixture.hpp"

namespace stronghold::vault {
namespace {

AuditAnchor anchor_at(std::uint64_t sequence, std::uint8_t fill) {
  AuditAnchor anchor;
  anchor.sequence = sequence;
  anchor.hash.fill(fill);
  return anchor;
}

TEST_CASE("each node's audit anchor is a record of its own, and setting the mode drops only that node's") {
  test::KeystoreFixture f;
  CHECK(read_audit_settings(f.keystore).value().mode == AuditMode::off);
  {
    Transaction tx(f.keystore);
    REQUIRE(write_audit_mode(tx, AuditMode::best_effort, "a").ok());
    REQUIRE(write_audit_anchor(tx, anchor_at(5, 0xa5), "a").ok());
    REQUIRE(write_audit_anchor(tx, anchor_at(9, 0xb9), "b").ok());
    REQUIRE(write_audit_anchor(tx, anchor_at(2, 0x02)).ok());  // an engine alone
    REQUIRE(f.keystore.commit(std::move(tx)).ok());
  }
  for (const char* node : {"a", "b", ""}) {
    const AuditSettings settings = read_audit_settings(f.keystore, node).value();
    CHECK(settings.mode == AuditMode::best_effort);  // one mode for every node
    CHECK(settings.has_key);
  }
  CHECK(read_audit_settings(f.keystore, "a").value().anchor == anchor_at(5, 0xa5));
  CHECK(read_audit_settings(f.keystore, "b").value().anchor == anchor_at(9, 0xb9));
  CHECK(read_audit_settings(f.keystore).value().anchor == anchor_at(2, 0x02));
  CHECK_FALSE(read_audit_settings(f.keystore, "c").value().anchor.has_value());

  // Node b accepts its log as it stands: a's anchor stays.
  {
    Transaction tx(f.keystore);
    REQUIRE(write_audit_mode(tx, AuditMode::fail_closed, "b").ok());
    REQUIRE(f.keystore.commit(std::move(tx)).ok());
  }
  CHECK(read_audit_settings(f.keystore, "a").value().mode == AuditMode::fail_closed);
  CHECK(read_audit_settings(f.keystore, "a").value().anchor == anchor_at(5, 0xa5));
  CHECK_FALSE(read_audit_settings(f.keystore, "b").value().anchor.has_value());
  CHECK(f.keystore.list().empty());  // the audit vault is never listed
}

TEST_CASE(
    "a mode set or an anchor written through a node marks the snapshot as a cluster's, and a mode set alone "
    "takes the mark away") {
  test::KeystoreFixture f;
  const auto commit = [&](auto write) {
    Transaction tx(f.keystore);
    REQUIRE(write(tx).ok());
    REQUIRE(f.keystore.commit(std::move(tx)).ok());
  };
  commit([](Transaction& tx) { return write_audit_mode(tx, AuditMode::best_effort); });
  commit([](Transaction& tx) { return write_audit_anchor(tx, anchor_at(3, 0x03)); });
  CHECK_FALSE(read_audit_settings(f.keystore).value().cluster);
  // The file, its mode set alone, joins a cluster: the node's first anchor marks it.
  commit([](Transaction& tx) { return write_audit_anchor(tx, anchor_at(4, 0x04), "a"); });
  CHECK(read_audit_settings(f.keystore).value().cluster);
  CHECK(read_audit_settings(f.keystore, "b").value().cluster);
  // The cluster retired: the mode set alone makes the log the file's own again.
  commit([](Transaction& tx) { return write_audit_mode(tx, AuditMode::fail_closed); });
  CHECK_FALSE(read_audit_settings(f.keystore).value().cluster);
  CHECK_FALSE(read_audit_settings(f.keystore).value().anchor.has_value());
  commit([](Transaction& tx) { return write_audit_mode(tx, AuditMode::best_effort, "a"); });
  CHECK(read_audit_settings(f.keystore).value().cluster);
}

}  // namespace
}  // namespace stronghold::vault
