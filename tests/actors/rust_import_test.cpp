// import.stronghold and inspect.stronghold on iota-sdk's wallet files
// (tests/fixtures/rust-stronghold): the imported seed derives the keys its mnemonic derives.
#include <array>

#include <doctest/doctest.h>

#include "actors/fast_options.hpp"
#include "snapshot/rust_fixtures.hpp"
#include "stronghold/engine.hpp"
#include "support/temp_dir.hpp"

using namespace stronghold;
using namespace stronghold::actors;
using vault::Location;

namespace {

constexpr std::string_view kIotaPath = "m/44'/4218'/0'/0'/0'";

using Wallet = test::RustWallet;
const auto& kWallets = test::kRustWallets;

Location at(std::string_view text) { return Location::parse(text).value(); }
Secret secret(std::string_view text) { return Secret::seal(as_bytes(text)).value(); }

Bytes wallet_file(const Wallet& wallet) { return test::rust_wallet_bytes(wallet); }

struct ImportFixture {
  test::TempDir dir;
  std::unique_ptr<Engine> engine = [this] {
    auto made = Engine::create(dir.file("import.stronghold"), as_bytes("engine"), test::fast_engine_options());
    REQUIRE_MESSAGE(made.ok(), made.status().to_string());
    return std::move(made).value();
  }();

  Result<ImportReport> import_wallet(Bytes file, std::string_view password) {
    return engine->call(
        ImportStronghold{std::move(file), secret(password), {}, "wallet", "rust/seed", {}, vault::Overwrite::refuse});
  }
  Result<Bytes> derived_public(std::string_view seed, std::string_view into) {
    return engine->call(DeriveKey{at(seed), std::string(kIotaPath), vault::Curve::ed25519, at(into)});
  }
  std::size_t record_count() { return engine->call(ListRecords{}).value().size(); }
};

}  // namespace

TEST_CASE_FIXTURE(ImportFixture, "An imported iota-sdk wallet seed derives the key its mnemonic derives") {
  for (const Wallet& wallet : kWallets) {
    CAPTURE(wallet.file);
    auto report = import_wallet(wallet_file(wallet), wallet.password);
    REQUIRE_MESSAGE(report.ok(), report.status().to_string());
    REQUIRE(report->records.size() == 1);
    CHECK(report->records[0].action == vault::ImportAction::add);
    REQUIRE(engine->call(RecoverMnemonic{at("mnemonic/seed"), secret(wallet.mnemonic)}).ok());
    auto imported = derived_public("rust/seed", "rust/key");
    auto expected = derived_public("mnemonic/seed", "mnemonic/key");
    REQUIRE(imported.ok());
    REQUIRE(expected.ok());
    CHECK(to_hex(*imported) == to_hex(*expected));
    for (const char* location : {"rust/seed", "rust/key", "mnemonic/seed", "mnemonic/key"})
      REQUIRE(engine->call(DeleteKey{at(location)}).ok());
  }
}

TEST_CASE_FIXTURE(ImportFixture, "A second import keeps the seed unless told to replace it") {
  Bytes file = wallet_file(kWallets[0]);
  REQUIRE(import_wallet(file, kWallets[0].password).ok());
  auto again = import_wallet(file, kWallets[0].password);
  REQUIRE(again.ok());
  CHECK(again->records.at(0).action == vault::ImportAction::keep);
  auto replaced = engine->call(
      ImportStronghold{file, secret(kWallets[0].password), {}, "wallet", "rust/seed", {}, vault::Overwrite::replace});
  REQUIRE(replaced.ok());
  CHECK(replaced->records.at(0).action == vault::ImportAction::replace);
}

TEST_CASE_FIXTURE(ImportFixture, "A failed Rust Stronghold import imports nothing") {
  Bytes file = wallet_file(kWallets[2]);
  CHECK(import_wallet(file, "not the password").code() == Errc::wrong_password);
  Bytes cut(file.begin(), file.end() - 1);
  CHECK(import_wallet(cut, kWallets[2].password).code() == Errc::corrupted);
  file[6] = 9;
  CHECK(import_wallet(file, kWallets[2].password).code() == Errc::unsupported);
  // The wallet's seed lands first, then a map names a record the file does not hold: neither stays.
  auto missing =
      engine->call(ImportStronghold{wallet_file(kWallets[0]),
                                    secret(kWallets[0].password),
                                    {},
                                    "wallet",
                                    "rust/seed",
                                    {{"iota_seed", "iota-wallet-secret", "absent", at("rust/other"), "seed"}},
                                    vault::Overwrite::refuse});
  CHECK(missing.code() == Errc::not_found);
  CHECK(record_count() == 0);
}

TEST_CASE_FIXTURE(ImportFixture, "Inspecting a Rust Stronghold snapshot counts its records and names its store keys") {
  auto info = engine->call(InspectStronghold{wallet_file(kWallets[1]), secret(kWallets[1].password), {}});
  REQUIRE_MESSAGE(info.ok(), info.status().to_string());
  CHECK(info->version == 2);
  CHECK(info->wallet_seed);
  REQUIRE(info->clients.size() == 1);
  REQUIRE(info->clients[0].vaults.size() == 1);
  CHECK(info->clients[0].vaults[0].records == 1);
  CHECK(info->clients[0].store_keys.size() == 5);
  CHECK(engine->call(InspectStronghold{wallet_file(kWallets[1]), secret("wrong"), {}}).code() == Errc::wrong_password);
  CHECK(engine->call(InspectStronghold{wallet_file(kWallets[1]), {}, {}}).code() == Errc::invalid_argument);
}
