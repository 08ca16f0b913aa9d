#include <doctest/doctest.h>

#include "fixture.hpp"
#include "stronghold/snapshot/transfer.hpp"
#include "stronghold/vault/sign.hpp"

using namespace stronghold;
using namespace stronghold::snapshot;
using stronghold::test::SnapshotFixture;

namespace {

const Bytes kMessage = {'t', 'x'};
const Bytes kExportPassword = {'s', 'h', 'a', 'r', 'e'};

struct TwoDevices {
  SnapshotFixture laptop_files, phone_files;
  std::unique_ptr<Snapshot> laptop = laptop_files.create();
  std::unique_ptr<Snapshot> phone = phone_files.create();
};

Bytes sign(const Snapshot& snapshot, const char* where) {
  return vault::sign_ed25519(snapshot.keystore(), SnapshotFixture::at(where), kMessage).value();
}

// The KDF step and the import, as one call.
Result<vault::Transaction::ImportCounts> import_password(vault::Transaction& tx, ByteView file, ByteView password,
                                                         MergePolicy policy) {
  SH_ASSIGN_OR_RETURN(const TransferPassword key, TransferPassword::for_import(file, password));
  return import_with_password(tx, file, key, policy);
}

Bytes export_password(const Snapshot& snapshot, ByteView password) {
  return export_with_password(snapshot.keystore(), TransferPassword::for_export(password, KdfPreset::fast).value(), {})
      .value();
}

}  // namespace

TEST_CASE("a vault exported to a recipient key imports with the same keys, and only that vault") {
  TwoDevices devices;
  SnapshotFixture::add_key(*devices.laptop, "shared/signing");
  SnapshotFixture::add_key(*devices.laptop, "private/other");
  const Bytes phone_key = SnapshotFixture::add_key(*devices.phone, "device/ed");  // the phone's own key
  vault::Transaction make_recipient(devices.phone->keystore());
  const Bytes recipient =
      vault::generate_key(make_recipient, SnapshotFixture::at("device/transfer"), vault::KeyType::x25519).value();
  REQUIRE(devices.phone->commit(std::move(make_recipient)).ok());

  const Bytes file = export_to_recipient(devices.laptop->keystore(), recipient, {"shared"}).value();
  vault::Transaction tx(devices.phone->keystore());
  const auto counts = import_with_key(tx, file, SnapshotFixture::at("device/transfer"), MergePolicy::keep_existing);
  REQUIRE_MESSAGE(counts.ok(), counts.status().to_string());
  CHECK(counts->imported == 1);
  REQUIRE(devices.phone->commit(std::move(tx)).ok());

  CHECK(sign(*devices.phone, "shared/signing") == sign(*devices.laptop, "shared/signing"));
  CHECK_FALSE(devices.phone->keystore().exists(SnapshotFixture::at("private/other")));
  CHECK(devices.phone->keystore().public_key(SnapshotFixture::at("device/ed")).value() == phone_key);
  // A stranger's key cannot open it.
  vault::Transaction stranger(devices.laptop->keystore());
  REQUIRE(vault::generate_key(stranger, SnapshotFixture::at("x/x"), vault::KeyType::x25519).ok());
  REQUIRE(devices.laptop->commit(std::move(stranger)).ok());
  vault::Transaction wrong(devices.laptop->keystore());
  CHECK(import_with_key(wrong, file, SnapshotFixture::at("x/x"), MergePolicy::replace).code() ==
        Errc::authentication_failed);
}

TEST_CASE("a password export carries the secret store, and the merge policy decides about existing records") {
  TwoDevices devices;
  SnapshotFixture::add_key(*devices.laptop, "w/key");
  vault::Transaction secrets(devices.laptop->keystore());
  REQUIRE(secrets.put_secret("mail", Bytes{'m'}).ok());
  REQUIRE(devices.laptop->commit(std::move(secrets)).ok());
  SnapshotFixture::add_key(*devices.phone, "w/key");  // a different key at the same place
  const Bytes phone_signature = sign(*devices.phone, "w/key");

  const Bytes file = export_password(*devices.laptop, kExportPassword);
  {
    vault::Transaction tx(devices.phone->keystore());
    CHECK(import_password(tx, file, Bytes{'x'}, MergePolicy::keep_existing).code() == Errc::authentication_failed);
    const auto kept = import_password(tx, file, kExportPassword, MergePolicy::keep_existing);
    REQUIRE(kept.ok());
    CHECK(kept->kept == 1);
    CHECK(kept->imported == 1);  // the secret-store entry
    REQUIRE(devices.phone->commit(std::move(tx)).ok());
  }
  CHECK(sign(*devices.phone, "w/key") == phone_signature);
  CHECK(devices.phone->keystore().read_secret("mail").ok());
  {
    vault::Transaction tx(devices.phone->keystore());
    REQUIRE(import_password(tx, file, kExportPassword, MergePolicy::replace).ok());
    REQUIRE(devices.phone->commit(std::move(tx)).ok());
  }
  CHECK(sign(*devices.phone, "w/key") == sign(*devices.laptop, "w/key"));
}

TEST_CASE("a damaged or truncated export is refused and nothing is imported") {
  TwoDevices devices;
  SnapshotFixture::add_key(*devices.laptop, "w/key");
  const Bytes file = export_password(*devices.laptop, kExportPassword);
  // A key prepared for one export does not open another.
  {
    const Bytes other = export_password(*devices.laptop, kExportPassword);
    const TransferPassword for_other = TransferPassword::for_import(other, kExportPassword).value();
    vault::Transaction tx(devices.phone->keystore());
    CHECK(import_with_password(tx, file, for_other, MergePolicy::replace).code() == Errc::invalid_argument);
    REQUIRE(import_with_password(tx, other, for_other, MergePolicy::replace).ok());
  }
  for (std::size_t size = 0; size < file.size(); size += 3) {
    vault::Transaction tx(devices.phone->keystore());
    const auto result = import_password(tx, ByteView(file).first(size), kExportPassword, MergePolicy::replace);
    CHECK_FALSE(result.ok());
    CHECK(std::move(tx).take().empty());
  }
  for (std::size_t offset = 0; offset < file.size(); offset += 7) {
    Bytes damaged = file;
    damaged[offset] ^= 0x04;
    vault::Transaction tx(devices.phone->keystore());
    CHECK_FALSE(import_password(tx, damaged, kExportPassword, MergePolicy::replace).ok());
  }
  CHECK(devices.phone->keystore().list().empty());
}

TEST_CASE("an export that asks for an excessive KDF cost is refused before any work") {
  TwoDevices devices;
  Bytes file = export_password(*devices.laptop, kExportPassword);
  // mode 2 header: magic 8 | version 2 | mode 1 | ops 4 | memory 8 | salt 16
  const std::uint64_t two_gib = std::uint64_t{2} << 30;
  for (int i = 0; i < 8; ++i)
    file[15 + static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(two_gib >> (8 * i));
  vault::Transaction tx(devices.phone->keystore());
  CHECK(import_password(tx, file, kExportPassword, MergePolicy::replace).code() == Errc::corrupted);
}
