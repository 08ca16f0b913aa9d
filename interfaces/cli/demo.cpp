#include "demo.hpp"

#include <cstdlib>
#include <filesystem>

#include <fmt/format.h>

#include "stronghold/identity/stronghold_storage.hpp"
#include "stronghold/runtime/hardening.hpp"
#include "stronghold/runtime/hex.hpp"
#include "stronghold/runtime/scratch.hpp"
#include "stronghold/snapshot/snapshot.hpp"
#include "stronghold/snapshot/transfer.hpp"
#include "stronghold/stronghold.hpp"
#include "stronghold/vault/bip39.hpp"
#include "stronghold/vault/keys.hpp"
#include "stronghold/vault/sign.hpp"
#include "stronghold/vault/slip10.hpp"
#include "stronghold/vault/verify.hpp"

namespace stronghold::cli {
namespace {

using vault::Location;

// A directory of its own under $TMPDIR, removed at the end.
class DemoDirectory {
 public:
  DemoDirectory() {
    std::string pattern = (std::filesystem::temp_directory_path() / "stronghold-demo-XXXXXX").string();
    if (::mkdtemp(pattern.data()) != nullptr)
      path_ = pattern;
  }
  ~DemoDirectory() {
    std::error_code ignored;
    if (!path_.empty())
      std::filesystem::remove_all(path_, ignored);
  }
  bool ok() const { return !path_.empty(); }
  std::string file(const char* name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

class Tour {
 public:
  template <class... Args>
  void step(fmt::format_string<Args...> text, Args&&... args) {
    fmt::print("{:>2}. {}\n", ++number_, fmt::format(text, std::forward<Args>(args)...));
  }
  static void detail(std::string_view text) { fmt::print("    {}\n", text); }

 private:
  int number_ = 0;
};

Location at(const char* text) { return Location::parse(text).value(); }

Status run(Tour& tour) {
  const auto report = runtime::harden_process();
  tour.step("The process hardens itself: no core dumps, not traceable, secret pages locked and never dumped.");
  tour.detail(report.fully_applied() ? "every measure applied" : "some measures could not be applied:");
  if (!report.fully_applied())
    tour.detail(report.to_string());

  DemoDirectory dir;
  if (!dir.ok())
    return Status(Errc::io_error, "cannot create a temporary directory");
  const std::string path = dir.file("demo.stronghold");
  const Bytes password = {'d', 'e', 'm', 'o', ' ', 'p', 'a', 's', 's', 'w', 'o', 'r', 'd'};
  snapshot::SnapshotOptions options;  // the default KDF: what a real wallet would use
  SH_ASSIGN_OR_RETURN(auto snapshot,
                      snapshot::Snapshot::create(snapshot::posix_file_system(), path, password, options));
  tour.step("A new snapshot file is created at {}, locked by a password (Argon2id, 256 MiB).", path);

  vault::Transaction keys(snapshot->keystore());
  SH_ASSIGN_OR_RETURN(const Bytes ed_public, vault::generate_key(keys, at("wallet/ed25519"), vault::KeyType::ed25519));
  SH_ASSIGN_OR_RETURN(const Bytes k1_public,
                      vault::generate_key(keys, at("wallet/secp256k1"), vault::KeyType::secp256k1));
  SH_RETURN_IF_ERROR(snapshot->commit(std::move(keys)));
  tour.step("Two keys are generated inside the engine; only their public halves come out:");
  tour.detail("Ed25519   " + to_hex(ed_public));
  tour.detail("secp256k1 " + to_hex(k1_public));

  const std::string mnemonic =
      "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about";
  vault::Transaction seed(snapshot->keystore());
  SH_RETURN_IF_ERROR(vault::recover_mnemonic(seed, at("wallet/seed"), as_bytes(mnemonic), {}));
  SH_RETURN_IF_ERROR(snapshot->commit(std::move(seed)));
  vault::Transaction derivation(snapshot->keystore());
  SH_ASSIGN_OR_RETURN(const Bytes derived, vault::derive_key(derivation, at("wallet/seed"), "m/44'/4218'/0'/0'/0'",
                                                             vault::Curve::ed25519, at("wallet/account0")));
  SH_RETURN_IF_ERROR(snapshot->commit(std::move(derivation)));
  tour.step("A BIP39 mnemonic (the well-known test phrase) becomes a seed record, and SLIP-10 derives");
  tour.detail("m/44'/4218'/0'/0'/0' from it: " + to_hex(derived));

  const ByteView text = as_bytes("pay 10 to alice");
  const Bytes message(text.begin(), text.end());
  SH_ASSIGN_OR_RETURN(const Bytes signature, vault::sign_ed25519(snapshot->keystore(), at("wallet/ed25519"), message));
  SH_ASSIGN_OR_RETURN(const Bytes ecdsa, vault::sign_ecdsa(snapshot->keystore(), at("wallet/secp256k1"), message));
  tour.step("The engine signs \"pay 10 to alice\" with both keys; anyone can verify with the public keys:");
  tour.detail(fmt::format("Ed25519 {} -> {}", to_hex(signature).substr(0, 32) + "...",
                          vault::verify_ed25519(ed_public, message, signature) ? "valid" : "INVALID"));
  tour.detail(fmt::format("ECDSA   {} -> {}", to_hex(ecdsa).substr(0, 32) + "...",
                          vault::verify_ecdsa(k1_public, message, ecdsa) ? "valid" : "INVALID"));

  vault::Transaction store(snapshot->keystore());
  SH_RETURN_IF_ERROR(store.put_secret("mail", as_bytes("correct horse battery staple")));
  SH_RETURN_IF_ERROR(snapshot->commit(std::move(store)));
  {
    SH_ASSIGN_OR_RETURN(const auto value, snapshot->keystore().read_secret("mail"));
    const auto view = value.read();
    tour.step("A password is stored and read back (the one kind of secret that can be): \"{}\".",
              std::string_view(reinterpret_cast<const char*>(view.bytes().data()), view.bytes().size()));
  }
  tour.detail(fmt::format("the file holds {} bytes: a sealed body and {} bytes of journal, one entry per commit",
                          snapshot->file_bytes(), snapshot->journal_bytes()));
  snapshot.reset();

  tour.step("The snapshot is closed. Opening it with a wrong password is refused:");
  const auto refused = snapshot::Snapshot::open(snapshot::posix_file_system(), path, as_bytes("guess"), options);
  tour.detail(refused.status().to_string());

  SH_ASSIGN_OR_RETURN(auto reopened, snapshot::Snapshot::open(snapshot::posix_file_system(), path, password, options));
  SH_ASSIGN_OR_RETURN(const Bytes ed_again, reopened->keystore().public_key(at("wallet/ed25519")));
  SH_ASSIGN_OR_RETURN(const Bytes signed_again,
                      vault::sign_ed25519(reopened->keystore(), at("wallet/ed25519"), message));
  tour.step("With the right password it opens with the same keys: {}",
            ed_again == ed_public ? "same Ed25519 key" : "DIFFERENT KEY");
  tour.detail(signed_again == signature ? "and the same (deterministic) signature" : "but a DIFFERENT signature");

  SH_ASSIGN_OR_RETURN(const auto share_password,
                      snapshot::TransferPassword::for_export(as_bytes("share"), snapshot::KdfPreset::standard));
  SH_ASSIGN_OR_RETURN(const Bytes shared, snapshot::export_with_password(reopened->keystore(), share_password,
                                                                         at("wallet/ed25519"), {"wallet"}));
  tour.step("The wallet vault is exported for another device, sealed to a password: {} bytes.", shared.size());
  tour.detail(fmt::format("signed with wallet/ed25519: the importer checks that its sender is {}...",
                          to_hex(ed_public).substr(0, 16)));
  reopened.reset();

  // The same file served by the engine's actors, through the identity storage.
  EngineOptions engine_options;
  engine_options.snapshot = options;
  SH_ASSIGN_OR_RETURN(auto identities, identity::StrongholdStorage::open(path, password, engine_options));
  SH_ASSIGN_OR_RETURN(const identity::CreatedDid created, identities->did_create("main", "sign-0", {}));
  SH_ASSIGN_OR_RETURN(const Bytes did_signature, identities->key_sign(created.did, created.location, message));
  SH_ASSIGN_OR_RETURN(const Bytes did_public, identities->key_public(created.did, created.location));
  const bool did_valid = vault::verify_ed25519(did_public, message, did_signature);
  tour.step("The engine's actors now serve the file. An identity is created, with its own key:");
  tour.detail(created.did.to_string() + "  (key " + created.location.canonical() + ")");
  tour.detail(fmt::format("its signature of the message is {}", did_valid ? "valid" : "INVALID"));
  identities.reset();
  tour.step("Throughout, plaintext keys lived only in this thread's guarded scratch area, now {}.",
            runtime::thread_scratch_is_clear() ? "wiped clean" : "NOT CLEAN");
  if (ed_again != ed_public || signed_again != signature || !did_valid || !runtime::thread_scratch_is_clear())
    return Status(Errc::internal, "the tour found an inconsistency");
  return {};
}

}  // namespace

int run_demo() {
  fmt::print("stronghold {}: a tour of the engine\n\n", version());
  Tour tour;
  if (Status status = run(tour); !status.ok()) {
    fmt::print(stderr, "stronghold demo: {}\n", status);
    return 10;
  }
  fmt::print("\nDone.\n");
  return 0;
}

}  // namespace stronghold::cli
