#include <array>

#include <doctest/doctest.h>
#include <sodium.h>

#include "fixture.hpp"
#include "stronghold/snapshot/change_codec.hpp"
#include "stronghold/snapshot/transfer.hpp"
#include "stronghold/vault/seal.hpp"
#include "stronghold/vault/sign.hpp"

using namespace stronghold;
using namespace stronghold::snapshot;
using stronghold::test::SnapshotFixture;
using Kind = vault::ImportedRecord::Kind;
using vault::ImportAction;

namespace {

const Bytes kMessage = {'t', 'x'};
const Bytes kExportPassword = {'s', 'h', 'a', 'r', 'e'};
const vault::Location kSenderKey = SnapshotFixture::at("me/sender");

// An Ed25519 key whose private half the test knows, so it can sign as the sender (or a forger) does.
struct SigningKey {
  explicit SigningKey(std::uint8_t fill) {
    seed.fill(fill);
    crypto_sign_seed_keypair(public_key.data(), secret.data(), seed.data());
  }
  Bytes public_bytes() const { return Bytes(public_key.begin(), public_key.end()); }
  // Stores the key in `snapshot` at `where`.
  void store_in(Snapshot& snapshot, const vault::Location& where = kSenderKey) const {
    vault::Transaction tx(snapshot.keystore());
    REQUIRE(vault::import_key(tx, where, vault::KeyType::ed25519, seed).ok());
    REQUIRE(snapshot.commit(std::move(tx)).ok());
  }
  std::array<std::uint8_t, 32> seed{};
  std::array<std::uint8_t, 32> public_key{};
  std::array<std::uint8_t, 64> secret{};
};

const SigningKey kLaptopSigner(0x11);
const SigningKey kForgerSigner(0x66);

constexpr std::size_t kSignatureSize = 64;
constexpr std::size_t kSenderOffset = 8 + 2 + 1;  // after magic, version and mode

// `file` with the sender field set to `key`'s public key and signed again with it.
Bytes signed_again(Bytes file, const SigningKey& key) {
  std::copy(key.public_key.begin(), key.public_key.end(), file.begin() + kSenderOffset);
  const std::size_t covered = file.size() - kSignatureSize;
  crypto_sign_detached(file.data() + covered, nullptr, file.data(), covered, key.secret.data());
  return file;
}

struct TwoDevices {
  TwoDevices() { kLaptopSigner.store_in(*laptop); }
  SnapshotFixture laptop_files, phone_files;
  std::unique_ptr<Snapshot> laptop = laptop_files.create();
  std::unique_ptr<Snapshot> phone = phone_files.create();

  // An X25519 key of the phone's to export to; returns its public key.
  Bytes phone_recipient() {
    vault::Transaction tx(phone->keystore());
    Bytes recipient = vault::generate_key(tx, SnapshotFixture::at("device/transfer"), vault::KeyType::x25519).value();
    REQUIRE(phone->commit(std::move(tx)).ok());
    return recipient;
  }
  Status import_to_phone(ByteView file, const ImportOptions& options, ImportPlan& plan) {
    vault::Transaction tx(phone->keystore());
    SH_RETURN_IF_ERROR(import_with_key(tx, file, SnapshotFixture::at("device/transfer"), options, plan));
    return phone->commit(std::move(tx));
  }
};

Bytes sign(const Snapshot& snapshot, const char* where) {
  return vault::sign_ed25519(snapshot.keystore(), SnapshotFixture::at(where), kMessage).value();
}

void put_secret(Snapshot& snapshot, const std::string& name, const Bytes& value) {
  vault::Transaction tx(snapshot.keystore(), vault::Overwrite::replace);
  REQUIRE(tx.put_secret(name, value).ok());
  REQUIRE(snapshot.commit(std::move(tx)).ok());
}

Bytes secret_value(const Snapshot& snapshot, const std::string& name) {
  const auto value = snapshot.keystore().read_secret(name).value();
  const auto view = value.read();
  return Bytes(view.bytes().begin(), view.bytes().end());
}

ImportOptions from(const Bytes& sender, MergePolicy merge = MergePolicy::keep_existing) { return {merge, sender}; }

// The KDF step and the import, as one call.
Status import_password(vault::Transaction& tx, ByteView file, ByteView password, const ImportOptions& options,
                       ImportPlan& plan) {
  SH_ASSIGN_OR_RETURN(const TransferPassword key, TransferPassword::for_import(file, password));
  return import_with_password(tx, file, key, options, plan);
}
Status import_password(vault::Transaction& tx, ByteView file, ByteView password, MergePolicy merge) {
  ImportPlan plan;
  return import_password(tx, file, password, {merge, {}}, plan);
}

Bytes export_password(const Snapshot& snapshot, ByteView password) {
  return export_with_password(snapshot.keystore(), TransferPassword::for_export(password, KdfPreset::fast).value(),
                              kSenderKey, {})
      .value();
}

// An export as format version 1 made it: sealed to the recipient's public key and signed by
// nobody, so anyone who knows that key could make one.
Bytes unsigned_version_1_export(const vault::Keystore& keystore, ByteView recipient_public) {
  std::uint8_t ephemeral_secret[32], ephemeral_public[32], shared[32], transfer_key[32];
  randombytes_buf(ephemeral_secret, sizeof ephemeral_secret);
  crypto_scalarmult_base(ephemeral_public, ephemeral_secret);
  REQUIRE(crypto_scalarmult(shared, ephemeral_secret, recipient_public.data()) == 0);
  crypto_generichash_state state;
  crypto_generichash_init(&state, shared, sizeof shared, sizeof transfer_key);
  crypto_generichash_update(&state, ephemeral_public, sizeof ephemeral_public);
  crypto_generichash_update(&state, recipient_public.data(), recipient_public.size());
  crypto_generichash_final(&state, transfer_key, sizeof transfer_key);
  Bytes file = {'S', 'H', 'L', 'D', 'X', 'P', 'R', 'T', 1, 0, 1};
  file.insert(file.end(), ephemeral_public, ephemeral_public + sizeof ephemeral_public);
  const vault::ChangeSet exported = keystore.export_vaults({}, transfer_key).value();
  const Bytes sealed = vault::seal(transfer_key, file, encode_changes(exported)).value();
  file.insert(file.end(), sealed.begin(), sealed.end());
  return file;
}

// A third snapshot that knows only the phone's public key: its own wallet/main, its own value
// for the secret "mail", and its own Ed25519 key to sign with.
struct Forger {
  explicit Forger(ByteView phone_public) : recipient(phone_public.begin(), phone_public.end()) {
    kForgerSigner.store_in(*snapshot);
    SnapshotFixture::add_key(*snapshot, "wallet/main");
    put_secret(*snapshot, "mail", {'e', 'v', 'i', 'l'});
  }
  Bytes signed_export() const { return export_to_recipient(snapshot->keystore(), recipient, kSenderKey, {}).value(); }
  SnapshotFixture files;
  std::unique_ptr<Snapshot> snapshot = files.create();
  Bytes recipient;
};

// The phone's own wallet/main and secret "mail", which a forger would like to replace.
struct PhoneState {
  explicit PhoneState(Snapshot& phone) {
    SnapshotFixture::add_key(phone, "wallet/main");
    put_secret(phone, "mail", {'o', 'w', 'n'});
    wallet_signature = sign(phone, "wallet/main");
  }
  bool unchanged(const Snapshot& phone) const {
    return sign(phone, "wallet/main") == wallet_signature && secret_value(phone, "mail") == Bytes{'o', 'w', 'n'};
  }
  Bytes wallet_signature;
};

using Planned = std::vector<std::tuple<ImportAction, Kind, std::string>>;
Planned planned(const ImportPlan& plan) {
  Planned all;
  for (const vault::ImportedRecord& record : plan.records)
    all.emplace_back(record.action, record.kind, record.name);
  return all;
}

}  // namespace

TEST_CASE("a vault exported to a recipient key imports with the same keys, and only that vault") {
  TwoDevices devices;
  SnapshotFixture::add_key(*devices.laptop, "shared/signing");
  SnapshotFixture::add_key(*devices.laptop, "private/other");
  const Bytes phone_key = SnapshotFixture::add_key(*devices.phone, "device/ed");  // the phone's own key
  const Bytes recipient = devices.phone_recipient();

  const Bytes file = export_to_recipient(devices.laptop->keystore(), recipient, kSenderKey, {"shared"}).value();
  ImportPlan plan;
  const Status imported = devices.import_to_phone(file, from(kLaptopSigner.public_bytes()), plan);
  REQUIRE_MESSAGE(imported.ok(), imported.to_string());
  CHECK(plan.sender == kLaptopSigner.public_bytes());
  CHECK(planned(plan) == Planned{{ImportAction::add, Kind::record, "shared/signing"}});

  CHECK(sign(*devices.phone, "shared/signing") == sign(*devices.laptop, "shared/signing"));
  CHECK_FALSE(devices.phone->keystore().exists(SnapshotFixture::at("private/other")));
  CHECK(devices.phone->keystore().public_key(SnapshotFixture::at("device/ed")).value() == phone_key);
  // A stranger's key cannot open it.
  vault::Transaction stranger(devices.laptop->keystore());
  REQUIRE(vault::generate_key(stranger, SnapshotFixture::at("x/x"), vault::KeyType::x25519).ok());
  REQUIRE(devices.laptop->commit(std::move(stranger)).ok());
  vault::Transaction wrong(devices.laptop->keystore());
  CHECK(import_with_key(wrong, file, SnapshotFixture::at("x/x"), from(kLaptopSigner.public_bytes()), plan).code() ==
        Errc::authentication_failed);
}

TEST_CASE("an export is signed with an Ed25519 key of the exporting snapshot, and only with one") {
  TwoDevices devices;
  const Bytes recipient = devices.phone_recipient();
  vault::Transaction tx(devices.laptop->keystore());
  REQUIRE(vault::generate_key(tx, SnapshotFixture::at("me/exchange"), vault::KeyType::x25519).ok());
  REQUIRE(devices.laptop->commit(std::move(tx)).ok());
  const auto& keystore = devices.laptop->keystore();
  CHECK(export_to_recipient(keystore, recipient, SnapshotFixture::at("me/exchange"), {}).code() ==
        Errc::wrong_key_type);
  CHECK(export_to_recipient(keystore, recipient, SnapshotFixture::at("me/none"), {}).code() == Errc::not_found);
  const Bytes file = export_to_recipient(keystore, recipient, kSenderKey, {}).value();
  const std::size_t covered = file.size() - kSignatureSize;
  CHECK(crypto_sign_verify_detached(file.data() + covered, file.data(), covered, kLaptopSigner.public_key.data()) == 0);
}

TEST_CASE("an export forged with only the recipient's public key is refused when the importer names the real sender") {
  TwoDevices devices;
  const PhoneState phone_state(*devices.phone);
  const Forger forger(devices.phone_recipient());
  const Bytes forged = forger.signed_export();
  for (const MergePolicy merge : {MergePolicy::keep_existing, MergePolicy::replace}) {
    vault::Transaction tx(devices.phone->keystore());
    ImportPlan plan;
    const Status refused = import_with_key(tx, forged, SnapshotFixture::at("device/transfer"),
                                           from(kLaptopSigner.public_bytes(), merge), plan);
    CHECK(refused.code() == Errc::authentication_failed);
    CHECK(refused.message().find(to_hex(kForgerSigner.public_bytes())) != std::string::npos);
    CHECK(plan.sender == kForgerSigner.public_bytes());
    CHECK(plan.records.empty());
    CHECK(std::move(tx).take().empty());
  }
  // Made as version 1 made exports, with no signature at all: refused, whatever the importer names.
  const Bytes unsigned_file = unsigned_version_1_export(forger.snapshot->keystore(), forger.recipient);
  for (const Bytes& expected : {kLaptopSigner.public_bytes(), Bytes{}}) {
    vault::Transaction tx(devices.phone->keystore());
    ImportPlan plan;
    const Status refused = import_with_key(tx, unsigned_file, SnapshotFixture::at("device/transfer"),
                                           from(expected, MergePolicy::replace), plan);
    CHECK(refused.code() == Errc::unsupported);
    CHECK(refused.message().find("export it again") != std::string::npos);
    CHECK(std::move(tx).take().empty());
  }
  CHECK(phone_state.unchanged(*devices.phone));
}

TEST_CASE("an export sealed to a key without a named sender is only planned, and nothing changes") {
  TwoDevices devices;
  const PhoneState phone_state(*devices.phone);
  const Forger forger(devices.phone_recipient());
  for (const MergePolicy merge : {MergePolicy::keep_existing, MergePolicy::replace}) {
    vault::Transaction tx(devices.phone->keystore());
    ImportPlan plan;
    const Status refused =
        import_with_key(tx, forger.signed_export(), SnapshotFixture::at("device/transfer"), {merge, {}}, plan);
    CHECK(refused.code() == Errc::authentication_failed);
    CHECK(refused.message().find("not confirmed") != std::string::npos);
    CHECK(plan.complete);
    CHECK(plan.sender == kForgerSigner.public_bytes());
    const ImportAction existing = merge == MergePolicy::replace ? ImportAction::replace : ImportAction::keep;
    CHECK(planned(plan) == Planned{{ImportAction::add, Kind::record, "me/sender"},
                                   {existing, Kind::record, "wallet/main"},
                                   {existing, Kind::secret, "mail"}});
    CHECK(std::move(tx).take().empty());
  }
  CHECK(phone_state.unchanged(*devices.phone));
}

TEST_CASE("a signed export that was tampered with, stripped or signed again by another key is refused") {
  TwoDevices devices;
  const PhoneState phone_state(*devices.phone);
  SnapshotFixture::add_key(*devices.laptop, "wallet/main");
  const Bytes file = export_to_recipient(devices.laptop->keystore(), devices.phone_recipient(), kSenderKey, {}).value();
  const ImportOptions from_laptop = from(kLaptopSigner.public_bytes(), MergePolicy::replace);
  auto refusal = [&](ByteView candidate, const ImportOptions& options) {
    vault::Transaction tx(devices.phone->keystore());
    ImportPlan plan;
    const Status status = import_with_key(tx, candidate, SnapshotFixture::at("device/transfer"), options, plan);
    CHECK(std::move(tx).take().empty() == !status.ok());
    return status.code();
  };
  for (const std::size_t offset :
       {kSenderOffset, kSenderOffset + 40, file.size() / 2, file.size() - kSignatureSize - 1, file.size() - 1}) {
    Bytes tampered = file;
    tampered[offset] ^= 0x01;
    CAPTURE(offset);
    CHECK(refusal(tampered, from_laptop) == Errc::authentication_failed);
  }
  Bytes zeroed = file;
  std::fill(zeroed.end() - kSignatureSize, zeroed.end(), std::uint8_t{0});
  CHECK(refusal(zeroed, from_laptop) == Errc::authentication_failed);
  CHECK(refusal(ByteView(file).first(file.size() - kSignatureSize), from_laptop) == Errc::corrupted);
  Bytes longer = file;
  longer.push_back(0);
  CHECK(refusal(longer, from_laptop) == Errc::corrupted);
  // The forger puts its own key in the header and signs: refused as not the laptop's, and since
  // the sealed payload is bound to its sender, it does not open for anyone who takes any sender.
  const Bytes resigned = signed_again(file, kForgerSigner);
  CHECK(refusal(resigned, from_laptop) == Errc::authentication_failed);
  CHECK(refusal(resigned, from(kForgerSigner.public_bytes(), MergePolicy::replace)) == Errc::authentication_failed);
  CHECK(refusal(file, from(Bytes(31, 1))) == Errc::invalid_argument);
  CHECK(phone_state.unchanged(*devices.phone));
  // The file as it was signed imports.
  CHECK(refusal(file, from_laptop) == Errc::ok);
}

TEST_CASE("the plan says which records and secrets an import adds, keeps and replaces") {
  TwoDevices devices;
  for (const char* where : {"wallet/main", "wallet/old", "wallet/new"})
    SnapshotFixture::add_key(*devices.laptop, where);
  put_secret(*devices.laptop, "mail", {'l'});
  put_secret(*devices.laptop, "other", {'o'});
  const PhoneState phone_state(*devices.phone);
  SnapshotFixture::add_key(*devices.phone, "wallet/old");
  vault::Transaction remove(devices.phone->keystore());
  REQUIRE(remove.revoke(SnapshotFixture::at("wallet/old")).ok());  // a deleted record's place is free
  REQUIRE(devices.phone->commit(std::move(remove)).ok());
  const Bytes file = export_password(*devices.laptop, kExportPassword);
  auto import = [&](const ImportOptions& options) {
    vault::Transaction tx(devices.phone->keystore());
    ImportPlan plan;
    REQUIRE(import_password(tx, file, kExportPassword, options, plan).ok());
    REQUIRE(devices.phone->commit(std::move(tx)).ok());
    CHECK(plan.sender == kLaptopSigner.public_bytes());
    return planned(plan);
  };
  CHECK(import({MergePolicy::keep_existing, {}}) == Planned{{ImportAction::add, Kind::record, "me/sender"},
                                                            {ImportAction::keep, Kind::record, "wallet/main"},
                                                            {ImportAction::add, Kind::record, "wallet/new"},
                                                            {ImportAction::add, Kind::record, "wallet/old"},
                                                            {ImportAction::keep, Kind::secret, "mail"},
                                                            {ImportAction::add, Kind::secret, "other"}});
  CHECK(phone_state.unchanged(*devices.phone));
  CHECK(sign(*devices.phone, "wallet/old") == sign(*devices.laptop, "wallet/old"));
  CHECK(import(from(kLaptopSigner.public_bytes(), MergePolicy::replace)) ==
        Planned{{ImportAction::replace, Kind::record, "me/sender"},
                {ImportAction::replace, Kind::record, "wallet/main"},
                {ImportAction::replace, Kind::record, "wallet/new"},
                {ImportAction::replace, Kind::record, "wallet/old"},
                {ImportAction::replace, Kind::secret, "mail"},
                {ImportAction::replace, Kind::secret, "other"}});
  CHECK(sign(*devices.phone, "wallet/main") == sign(*devices.laptop, "wallet/main"));
  CHECK(secret_value(*devices.phone, "mail") == Bytes{'l'});
}

TEST_CASE("a password export names its sender, and a sender the importer names must have signed it") {
  TwoDevices devices;
  const PhoneState phone_state(*devices.phone);
  const Bytes file = export_password(*devices.laptop, kExportPassword);
  vault::Transaction tx(devices.phone->keystore());
  ImportPlan plan;
  CHECK(import_password(tx, file, kExportPassword, from(kForgerSigner.public_bytes(), MergePolicy::replace), plan)
            .code() == Errc::authentication_failed);
  CHECK(plan.sender == kLaptopSigner.public_bytes());
  CHECK(std::move(tx).take().empty());
  // Changed after it was signed, it does not even reach the KDF.
  Bytes tampered = file;
  tampered[file.size() / 2] ^= 0x01;
  CHECK(TransferPassword::for_import(tampered, kExportPassword).code() == Errc::authentication_failed);
  // Signed again by someone who knows the password, it names that sender, and its payload,
  // bound to the sender it was sealed with, does not open.
  vault::Transaction other_tx(devices.phone->keystore());
  CHECK(import_password(other_tx, signed_again(file, kForgerSigner), kExportPassword, {MergePolicy::replace, {}}, plan)
            .code() == Errc::authentication_failed);
  CHECK(plan.sender == kForgerSigner.public_bytes());
  CHECK(std::move(other_tx).take().empty());
  CHECK(phone_state.unchanged(*devices.phone));
}

TEST_CASE("a password export carries the secret store, and the merge policy decides about existing records") {
  TwoDevices devices;
  SnapshotFixture::add_key(*devices.laptop, "w/key");
  put_secret(*devices.laptop, "mail", {'m'});
  SnapshotFixture::add_key(*devices.phone, "w/key");  // a different key at the same place
  const Bytes phone_signature = sign(*devices.phone, "w/key");

  const Bytes file = export_password(*devices.laptop, kExportPassword);
  {
    vault::Transaction tx(devices.phone->keystore());
    CHECK(import_password(tx, file, Bytes{'x'}, MergePolicy::keep_existing).code() == Errc::authentication_failed);
    REQUIRE(import_password(tx, file, kExportPassword, MergePolicy::keep_existing).ok());
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
    ImportPlan plan;
    CHECK(import_with_password(tx, file, for_other, {}, plan).code() == Errc::invalid_argument);
    REQUIRE(import_with_password(tx, other, for_other, {}, plan).ok());
  }
  for (std::size_t size = 0; size < file.size(); size += 3) {
    vault::Transaction tx(devices.phone->keystore());
    const Status result = import_password(tx, ByteView(file).first(size), kExportPassword, MergePolicy::replace);
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
  // mode 2 header: magic 8 | version 2 | mode 1 | sender 32 | ops 4 | memory 8 | salt 16
  const std::uint64_t two_gib = std::uint64_t{2} << 30;
  for (int i = 0; i < 8; ++i)
    file[kSenderOffset + 32 + 4 + static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(two_gib >> (8 * i));
  const Status refused = TransferPassword::for_import(signed_again(file, kLaptopSigner), kExportPassword).status();
  CHECK(refused.code() == Errc::corrupted);
  CHECK(refused.message().find("2048 MiB") != std::string::npos);
}
