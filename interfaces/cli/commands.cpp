#include "commands.hpp"

#include <sys/stat.h>

#include <cstdio>
#include <filesystem>
#include <functional>
#include <map>

#include <fmt/format.h>
#include <sodium.h>

#include "../daemon/client.hpp"
#include "args.hpp"
#include "demo.hpp"
#include "stronghold/snapshot/journal_file.hpp"
#include "stronghold/snapshot/transfer.hpp"
#include "stronghold/vault/bip39.hpp"
#include "stronghold/vault/exchange.hpp"
#include "stronghold/vault/identity.hpp"
#include "stronghold/vault/keys.hpp"
#include "stronghold/vault/sign.hpp"
#include "stronghold/vault/slip10.hpp"

namespace stronghold::cli {
namespace {

using vault::Location;

constexpr std::size_t kMaxMessage = 64 << 20;   // --file to sign
constexpr std::size_t kMaxExport = 1ull << 30;  // import --in
constexpr std::size_t kMaxSecret = 32 * 1024;

struct Command {
  const char* name;  // "key generate"
  const char* usage;
  OptionSpec options;
  std::function<Status(const GlobalOptions&, const Args&, const Output&)> run;
};

// ---- helpers

Result<Location> location_option(const Args& args, const std::string& name) {
  SH_ASSIGN_OR_RETURN(const std::string text, args.required(name));
  return Location::parse(text);
}

Result<Bytes> hex_option(const Args& args, const std::string& name) {
  SH_ASSIGN_OR_RETURN(const std::string text, args.required(name));
  return from_hex(text);
}

// A private key given as hex on standard input, decoded inside guarded memory.
Result<runtime::SecretBuffer> read_hex_secret() {
  SH_ASSIGN_OR_RETURN(const runtime::SecretBuffer hex_text, read_stdin_secret(1024));
  SH_ASSIGN_OR_RETURN(runtime::SecretBuffer secret, runtime::SecretBuffer::create(hex_text.size() / 2));
  auto text = hex_text.read();
  auto bytes = secret.write();
  if (text.bytes().size() % 2 != 0 ||
      sodium_hex2bin(bytes.bytes().data(), bytes.bytes().size(), reinterpret_cast<const char*>(text.bytes().data()),
                     text.bytes().size(), nullptr, nullptr, nullptr) != 0)
    return Status(Errc::invalid_argument, "the private key on standard input is not hex");
  return secret;
}

Result<vault::KeyType> key_type_option(const Args& args) {
  SH_ASSIGN_OR_RETURN(const std::string name, args.required("--type"));
  if (name == "ed25519" || name == "x25519" || name == "secp256k1")
    return vault::parse_key_type(name);
  return error(Errc::invalid_argument, "--type is ed25519, x25519 or secp256k1, not '{}'", name);
}

Result<runtime::SecretBuffer> passphrase(const Args& args) {
  if (const auto file = args.value("--passphrase-file"))
    return read_password(*file, "STRONGHOLD_NO_SUCH_VARIABLE", "");
  return runtime::SecretBuffer::from(ByteView());
}

// Runs `body` in one transaction on the open snapshot and commits it.
Status transact(const GlobalOptions& options, const std::function<Status(vault::Transaction&)>& body) {
  SH_ASSIGN_OR_RETURN(auto snapshot, open_snapshot(options));
  vault::Transaction tx(snapshot->keystore());
  SH_RETURN_IF_ERROR(body(tx));
  return snapshot->commit(std::move(tx));
}

Status read_only(const GlobalOptions& options, const std::function<Status(const vault::Keystore&)>& body) {
  SH_ASSIGN_OR_RETURN(auto snapshot, open_snapshot(options));
  return body(snapshot->keystore());
}

std::string expiry_text(std::int64_t expires_at) { return expires_at == 0 ? "never" : std::to_string(expires_at); }

Result<vault::Did> did_option(const Args& args) {
  SH_ASSIGN_OR_RETURN(const std::string text, args.required("--did"));
  return vault::Did::parse(text);
}

// A key location of either type: the stored record tells which.
Result<vault::KeyLocation> key_location_option(const vault::Keystore& keystore, const vault::Did& did, const Args& args) {
  SH_ASSIGN_OR_RETURN(const std::string text, args.required("--location"));
  for (const auto type : {vault::IdentityKeyType::ed25519, vault::IdentityKeyType::x25519}) {
    SH_ASSIGN_OR_RETURN(auto location, vault::KeyLocation::parse(type, text));
    if (vault::identity_key_exists(keystore, did, location))
      return location;
  }
  if (!vault::did_exists(keystore, did))
    return error(Errc::did_not_found, "the snapshot holds no DID {}", did.to_string());
  return error(Errc::not_found, "DID {} holds no key at {}", did.to_string(), text);
}

// ---- commands

Status init(const GlobalOptions& options, const Args& args, const Output&) {
  snapshot::SnapshotOptions file;
  SH_ASSIGN_OR_RETURN(file.kdf, snapshot::parse_kdf_preset(args.value("--kdf").value_or("default")));
  if (std::filesystem::exists(options.snapshot))
    return error(Errc::already_exists, "{} already exists; init never overwrites a snapshot", options.snapshot);
  const auto folder = std::filesystem::path(options.snapshot).parent_path();
  if (!folder.empty()) {
    std::error_code failed;
    std::filesystem::create_directories(folder, failed);
    if (failed)
      return error(Errc::io_error, "cannot create {}: {}", folder.string(), failed.message());
    ::chmod(folder.c_str(), 0700);
  }
  SH_ASSIGN_OR_RETURN(runtime::SecretBuffer password,
                      read_password(options.password_file, "STRONGHOLD_PASSWORD", "New snapshot password: "));
  auto view = password.read();
  return snapshot::Snapshot::create(snapshot::posix_file_system(), options.snapshot, view.bytes(), file).status();
}

Status key_generate(const GlobalOptions& options, const Args& args, const Output& out) {
  SH_ASSIGN_OR_RETURN(const vault::KeyType type, key_type_option(args));
  SH_ASSIGN_OR_RETURN(const Location at, location_option(args, "--at"));
  Bytes public_key;
  SH_RETURN_IF_ERROR(transact(options, [&](vault::Transaction& tx) {
    SH_ASSIGN_OR_RETURN(public_key, vault::generate_key(tx, at, type));
    return Status();
  }));
  out.value("public_key", to_hex(public_key));
  return {};
}

Status key_import(const GlobalOptions& options, const Args& args, const Output& out) {
  SH_ASSIGN_OR_RETURN(const vault::KeyType type, key_type_option(args));
  SH_ASSIGN_OR_RETURN(const Location at, location_option(args, "--at"));
  SH_ASSIGN_OR_RETURN(runtime::SecretBuffer secret, read_hex_secret());
  Bytes public_key;
  SH_RETURN_IF_ERROR(transact(options, [&](vault::Transaction& tx) {
    auto view = secret.read();
    SH_ASSIGN_OR_RETURN(public_key, vault::import_key(tx, at, type, view.bytes()));
    return Status();
  }));
  out.value("public_key", to_hex(public_key));
  return {};
}

Status key_public(const GlobalOptions& options, const Args& args, const Output& out) {
  SH_ASSIGN_OR_RETURN(const Location at, location_option(args, "--at"));
  return read_only(options, [&](const vault::Keystore& keystore) {
    SH_ASSIGN_OR_RETURN(const Bytes public_key, keystore.public_key(at));
    out.value("public_key", to_hex(public_key));
    return Status();
  });
}

Status sign(const GlobalOptions& options, const Args& args, const Output& out) {
  SH_ASSIGN_OR_RETURN(const Location at, location_option(args, "--at"));
  if (args.has("--hex") == args.has("--file"))
    return Status(Errc::invalid_argument, "give the message with exactly one of --hex and --file");
  Bytes message;
  if (args.has("--hex")) {
    SH_ASSIGN_OR_RETURN(message, hex_option(args, "--hex"));
  } else {
    SH_ASSIGN_OR_RETURN(message, read_public_file(*args.value("--file"), kMaxMessage));
  }
  return read_only(options, [&](const vault::Keystore& keystore) {
    SH_ASSIGN_OR_RETURN(const vault::RecordInfo info, keystore.info(at));
    const bool secp = info.type == vault::KeyType::secp256k1;
    if (!secp && (args.has("--prehashed") || args.has("--recoverable") || args.has("--schnorr")))
      return Status(Errc::wrong_key_type, "--prehashed, --recoverable and --schnorr need a secp256k1 key");
    Result<Bytes> signature = Status(Errc::internal, "not signed");
    if (!secp)
      signature = vault::sign_ed25519(keystore, at, message);
    else if (args.has("--schnorr"))
      signature = vault::sign_schnorr(keystore, at, message);
    else
      signature = vault::sign_ecdsa(keystore, at, message,
                                    {args.has("--prehashed"),
                                     args.has("--recoverable") ? vault::EcdsaFormat::recoverable : vault::EcdsaFormat::compact});
    SH_RETURN_IF_ERROR(signature.status());
    out.value("signature", to_hex(*signature));
    return Status();
  });
}

Status mnemonic_generate(const GlobalOptions& options, const Args& args, const Output& out) {
  SH_ASSIGN_OR_RETURN(const Location at, location_option(args, "--at"));
  const std::string words = args.value("--words").value_or("24");
  if (words != "12" && words != "24")
    return Status(Errc::invalid_argument, "--words is 12 or 24");
  SH_ASSIGN_OR_RETURN(runtime::SecretBuffer phrase, passphrase(args));
  std::optional<runtime::SecretBuffer> mnemonic;
  SH_RETURN_IF_ERROR(transact(options, [&](vault::Transaction& tx) {
    auto view = phrase.read();
    SH_ASSIGN_OR_RETURN(mnemonic, vault::generate_mnemonic(tx, at, words == "12" ? 12u : 24u, view.bytes()));
    return Status();
  }));
  // Printed once, after the seed is safely stored: the only copy the user gets.
  auto view = mnemonic->read();
  out.secret_value("mnemonic", view.bytes());
  return {};
}

Status mnemonic_recover(const GlobalOptions& options, const Args& args, const Output&) {
  SH_ASSIGN_OR_RETURN(const Location at, location_option(args, "--at"));
  SH_ASSIGN_OR_RETURN(runtime::SecretBuffer phrase, passphrase(args));
  SH_ASSIGN_OR_RETURN(runtime::SecretBuffer mnemonic, read_stdin_secret(1024));
  return transact(options, [&](vault::Transaction& tx) {
    auto words = mnemonic.read();
    auto pass = phrase.read();
    return vault::recover_mnemonic(tx, at, words.bytes(), pass.bytes());
  });
}

Status derive(const GlobalOptions& options, const Args& args, const Output& out) {
  SH_ASSIGN_OR_RETURN(const Location from, location_option(args, "--from"));
  SH_ASSIGN_OR_RETURN(const Location at, location_option(args, "--at"));
  SH_ASSIGN_OR_RETURN(const std::string path, args.required("--path"));
  SH_ASSIGN_OR_RETURN(const std::string curve_name, args.required("--curve"));
  if (curve_name != "ed25519" && curve_name != "secp256k1")
    return Status(Errc::invalid_argument, "--curve is ed25519 or secp256k1");
  const vault::Curve curve = curve_name == "ed25519" ? vault::Curve::ed25519 : vault::Curve::secp256k1;
  Bytes public_key;
  SH_RETURN_IF_ERROR(transact(options, [&](vault::Transaction& tx) {
    SH_ASSIGN_OR_RETURN(public_key, vault::derive_key(tx, from, path, curve, at));
    return Status();
  }));
  out.value("public_key", to_hex(public_key));
  return {};
}

Status xpub(const GlobalOptions& options, const Args& args, const Output& out) {
  SH_ASSIGN_OR_RETURN(const Location from, location_option(args, "--from"));
  SH_ASSIGN_OR_RETURN(const std::string path, args.required("--path"));
  return read_only(options, [&](const vault::Keystore& keystore) {
    SH_ASSIGN_OR_RETURN(const std::string text, vault::derive_xpub(keystore, from, path));
    out.value("xpub", text);
    return Status();
  });
}

Status dh(const GlobalOptions& options, const Args& args, const Output&) {
  SH_ASSIGN_OR_RETURN(const Location at, location_option(args, "--at"));
  SH_ASSIGN_OR_RETURN(const Location into, location_option(args, "--into"));
  SH_ASSIGN_OR_RETURN(const Bytes peer, hex_option(args, "--peer"));
  return transact(options, [&](vault::Transaction& tx) { return vault::x25519_agree(tx, at, peer, into); });
}

Result<std::string> secret_name(const Args& args) {
  if (args.positional().size() != 1)
    return Status(Errc::invalid_argument, "give one secret NAME");
  return args.positional().front();
}

Status secret_put(const GlobalOptions& options, const Args& args, const Output&) {
  SH_ASSIGN_OR_RETURN(const std::string name, secret_name(args));
  SH_ASSIGN_OR_RETURN(runtime::SecretBuffer value, read_stdin_secret(kMaxSecret));
  return transact(options, [&](vault::Transaction& tx) {
    auto view = value.read();
    return tx.put_secret(name, view.bytes());
  });
}

Status secret_get(const GlobalOptions& options, const Args& args, const Output& out) {
  SH_ASSIGN_OR_RETURN(const std::string name, secret_name(args));
  return read_only(options, [&](const vault::Keystore& keystore) {
    SH_ASSIGN_OR_RETURN(const runtime::SecretBuffer value, keystore.read_secret(name));
    auto view = value.read();
    out.secret_value("value", view.bytes());
    return Status();
  });
}

Status secret_list(const GlobalOptions& options, const Args&, const Output& out) {
  return read_only(options, [&](const vault::Keystore& keystore) {
    for (const std::string& name : keystore.secret_names())
      if (!name.starts_with("identity/"))
        out.value("name", name);
    return Status();
  });
}

Status secret_delete(const GlobalOptions& options, const Args& args, const Output&) {
  SH_ASSIGN_OR_RETURN(const std::string name, secret_name(args));
  return transact(options, [&](vault::Transaction& tx) { return tx.delete_secret(name); });
}

Status list(const GlobalOptions& options, const Args&, const Output& out) {
  return read_only(options, [&](const vault::Keystore& keystore) {
    for (const vault::RecordInfo& info : keystore.list())
      if (!info.revoked)
        out.result({{"location", info.location.to_string()},
                    {"type", std::string(vault::key_type_name(info.type))},
                    {"hint", info.hint.empty() ? "-" : info.hint},
                    {"version", std::to_string(info.version)},
                    {"expires", expiry_text(info.expires_at)}},
                   Output::Layout::record);
    return Status();
  });
}

Status remove(const GlobalOptions& options, const Args& args, const Output&) {
  SH_ASSIGN_OR_RETURN(const Location at, location_option(args, "--at"));
  return transact(options, [&](vault::Transaction& tx) { return tx.revoke(at); });
}

Status gc(const GlobalOptions& options, const Args&, const Output&) {
  SH_ASSIGN_OR_RETURN(auto snapshot, open_snapshot(options));
  SH_RETURN_IF_ERROR(snapshot->commit(snapshot->keystore().garbage()));
  return snapshot->compact();
}

Status export_vaults(const GlobalOptions& options, const Args& args, const Output&) {
  SH_ASSIGN_OR_RETURN(const std::string out_path, args.required("--out"));
  if (args.has("--recipient") == args.has("--export-password-file"))
    return Status(Errc::invalid_argument, "give exactly one of --recipient and --export-password-file");
  if (std::filesystem::exists(out_path))
    return error(Errc::already_exists, "{} already exists; export never overwrites a file", out_path);
  Bytes file;
  SH_RETURN_IF_ERROR(read_only(options, [&](const vault::Keystore& keystore) {
    if (args.has("--recipient")) {
      SH_ASSIGN_OR_RETURN(const Bytes recipient, hex_option(args, "--recipient"));
      SH_ASSIGN_OR_RETURN(file, snapshot::export_to_recipient(keystore, recipient, args.values("--vault")));
      return Status();
    }
    SH_ASSIGN_OR_RETURN(runtime::SecretBuffer password,
                        read_password(*args.value("--export-password-file"), "STRONGHOLD_NO_SUCH_VARIABLE", ""));
    auto view = password.read();
    SH_ASSIGN_OR_RETURN(file, snapshot::export_with_password(keystore, view.bytes(), snapshot::KdfPreset::standard,
                                                             args.values("--vault")));
    return Status();
  }));
  return snapshot::write_file_atomically(snapshot::posix_file_system(), out_path, file);
}

Status import_vaults(const GlobalOptions& options, const Args& args, const Output& out) {
  SH_ASSIGN_OR_RETURN(const std::string in_path, args.required("--in"));
  const std::string merge = args.value("--merge").value_or("keep");
  if (merge != "keep" && merge != "replace")
    return Status(Errc::invalid_argument, "--merge is keep or replace");
  const auto policy = merge == "keep" ? snapshot::MergePolicy::keep_existing : snapshot::MergePolicy::replace;
  if (args.has("--key") == args.has("--export-password-file"))
    return Status(Errc::invalid_argument, "give exactly one of --key (the X25519 key it was sent to) and --export-password-file");
  SH_ASSIGN_OR_RETURN(const Bytes file, read_public_file(in_path, kMaxExport));
  vault::Transaction::ImportCounts counts;
  SH_RETURN_IF_ERROR(transact(options, [&](vault::Transaction& tx) {
    if (args.has("--key")) {
      SH_ASSIGN_OR_RETURN(const Location key, location_option(args, "--key"));
      SH_ASSIGN_OR_RETURN(counts, snapshot::import_with_key(tx, file, key, policy));
      return Status();
    }
    SH_ASSIGN_OR_RETURN(runtime::SecretBuffer password,
                        read_password(*args.value("--export-password-file"), "STRONGHOLD_NO_SUCH_VARIABLE", ""));
    auto view = password.read();
    SH_ASSIGN_OR_RETURN(counts, snapshot::import_with_password(tx, file, view.bytes(), policy));
    return Status();
  }));
  out.result({{"imported", std::to_string(counts.imported)}, {"kept", std::to_string(counts.kept)}}, Output::Layout::record);
  return {};
}

Status did_create(const GlobalOptions& options, const Args& args, const Output& out) {
  const std::string network = args.value("--network").value_or("main");
  const std::string fragment = args.value("--fragment").value_or("sign-0");
  std::optional<runtime::SecretBuffer> imported;
  if (args.has("--import")) {
    SH_ASSIGN_OR_RETURN(imported, read_hex_secret());
    if (imported->size() != 32)
      return Status(Errc::invalid_key, "--import reads a 32-byte Ed25519 private key as 64 hex digits");
  }
  vault::CreatedDid created;
  SH_RETURN_IF_ERROR(transact(options, [&](vault::Transaction& tx) {
    if (imported) {
      auto view = imported->read();
      SH_ASSIGN_OR_RETURN(created, vault::create_did(tx, network, fragment, view.bytes()));
    } else {
      SH_ASSIGN_OR_RETURN(created, vault::create_did(tx, network, fragment, {}));
    }
    return Status();
  }));
  out.result({{"did", created.did.to_string()}, {"location", created.location.canonical()}});
  return {};
}

Status did_list(const GlobalOptions& options, const Args&, const Output& out) {
  return read_only(options, [&](const vault::Keystore& keystore) {
    for (const vault::Did& did : vault::list_dids(keystore))
      out.value("did", did.to_string());
    return Status();
  });
}

Status did_sign(const GlobalOptions& options, const Args& args, const Output& out) {
  SH_ASSIGN_OR_RETURN(const vault::Did did, did_option(args));
  SH_ASSIGN_OR_RETURN(const Bytes message, hex_option(args, "--hex"));
  return read_only(options, [&](const vault::Keystore& keystore) {
    SH_ASSIGN_OR_RETURN(const vault::KeyLocation location, key_location_option(keystore, did, args));
    SH_ASSIGN_OR_RETURN(const Location record, vault::identity_signing_record(keystore, did, location));
    SH_ASSIGN_OR_RETURN(const Bytes signature, vault::sign_ed25519(keystore, record, message));
    out.value("signature", to_hex(signature));
    return Status();
  });
}

Status did_public(const GlobalOptions& options, const Args& args, const Output& out) {
  SH_ASSIGN_OR_RETURN(const vault::Did did, did_option(args));
  return read_only(options, [&](const vault::Keystore& keystore) {
    SH_ASSIGN_OR_RETURN(const vault::KeyLocation location, key_location_option(keystore, did, args));
    SH_ASSIGN_OR_RETURN(const Bytes public_key, vault::identity_public_key(keystore, did, location));
    out.value("public_key", to_hex(public_key));
    return Status();
  });
}

Status did_purge(const GlobalOptions& options, const Args& args, const Output&) {
  SH_ASSIGN_OR_RETURN(const vault::Did did, did_option(args));
  return transact(options, [&](vault::Transaction& tx) -> Status {
    SH_ASSIGN_OR_RETURN(const bool purged, vault::purge_did(tx, did));
    if (!purged)
      return error(Errc::did_not_found, "the snapshot holds no DID {}", did.to_string());
    return {};
  });
}

Status passwd(const GlobalOptions& options, const Args& args, const Output&) {
  SH_ASSIGN_OR_RETURN(auto snapshot, open_snapshot(options));
  const std::string file = args.value("--new-password-file").value_or("");
  SH_ASSIGN_OR_RETURN(runtime::SecretBuffer password, read_password(file, "STRONGHOLD_NEW_PASSWORD", "New password: "));
  if (file.empty() && std::getenv("STRONGHOLD_NEW_PASSWORD") == nullptr) {
    SH_ASSIGN_OR_RETURN(runtime::SecretBuffer again, read_password("", "STRONGHOLD_NO_SUCH_VARIABLE", "Repeat it: "));
    auto first = password.read();
    auto second = again.read();
    if (first.bytes().size() != second.bytes().size() ||
        sodium_memcmp(first.bytes().data(), second.bytes().data(), first.bytes().size()) != 0)
      return Status(Errc::invalid_argument, "the two passwords differ");
  }
  auto view = password.read();
  return snapshot->change_password(view.bytes());
}

// ---- the same commands through a running strongholdd (--socket)

Bytes text_bytes(const std::string& text) { return Bytes(text.begin(), text.end()); }

Status over_socket(const GlobalOptions& options, const std::string& name, const Args& args, const Output& out) {
  using daemon::Op;
  SH_ASSIGN_OR_RETURN(daemon::Client client, daemon::Client::connect(options.socket));
  if (name == "unlock") {
    SH_ASSIGN_OR_RETURN(runtime::SecretBuffer password,
                        read_password(options.password_file, "STRONGHOLD_PASSWORD", "Snapshot password: "));
    auto view = password.read();
    return client.call(Op::unlock, {Bytes(view.bytes().begin(), view.bytes().end())}).status();
  }
  if (name == "lock")
    return client.call(Op::lock, {}).status();
  if (name == "key generate") {
    SH_ASSIGN_OR_RETURN(const vault::KeyType type, key_type_option(args));
    SH_ASSIGN_OR_RETURN(const Location at, location_option(args, "--at"));
    SH_ASSIGN_OR_RETURN(auto fields, client.call(Op::generate, {text_bytes(at.to_string()),
                                                                text_bytes(std::string(vault::key_type_name(type)))}));
    out.value("public_key", to_hex(fields.at(0)));
    return {};
  }
  if (name == "key public") {
    SH_ASSIGN_OR_RETURN(const Location at, location_option(args, "--at"));
    SH_ASSIGN_OR_RETURN(auto fields, client.call(Op::public_key, {text_bytes(at.to_string())}));
    out.value("public_key", to_hex(fields.at(0)));
    return {};
  }
  if (name == "sign") {
    SH_ASSIGN_OR_RETURN(const Location at, location_option(args, "--at"));
    SH_ASSIGN_OR_RETURN(const Bytes message, hex_option(args, "--hex"));
    SH_ASSIGN_OR_RETURN(auto fields, client.call(Op::sign, {text_bytes(at.to_string()), message}));
    out.value("signature", to_hex(fields.at(0)));
    return {};
  }
  if (name == "delete") {
    SH_ASSIGN_OR_RETURN(const Location at, location_option(args, "--at"));
    return client.call(Op::remove, {text_bytes(at.to_string())}).status();
  }
  return error(Errc::invalid_argument, "'{}' is not available over --socket (key generate, key public, sign --hex, "
               "delete, lock and unlock are)", name);
}

Status lock_locally(const GlobalOptions&, const Args&, const Output&) {
  return Status(Errc::invalid_argument, "lock and unlock talk to strongholdd: give --socket");
}

const std::vector<Command>& commands() {
  static const std::vector<Command> all = {
      {"init", "init [--kdf fast|default|strong]\n  Creates a new snapshot; never overwrites one.", {{"--kdf"}, {}, {}}, init},
      {"key generate", "key generate --type ed25519|x25519|secp256k1 --at VAULT/RECORD\n  A new key; prints its public key.",
       {{"--type", "--at"}, {}, {}}, key_generate},
      {"key import", "key import --type ed25519|x25519|secp256k1 --at VAULT/RECORD\n  Stores the private key given as hex on standard input; prints its public key.",
       {{"--type", "--at"}, {}, {}}, key_import},
      {"key public", "key public --at VAULT/RECORD\n  Prints the public key.", {{"--at"}, {}, {}}, key_public},
      {"sign", "sign --at VAULT/RECORD (--hex HEX | --file PATH) [--prehashed] [--recoverable] [--schnorr]\n"
               "  Ed25519 over the message, or secp256k1 ECDSA (low-S) over SHA-256 of it (over the given 32-byte\n"
               "  digest with --prehashed; 65 bytes with --recoverable; BIP340 with --schnorr). Prints the signature.",
       {{"--at", "--hex", "--file"}, {"--prehashed", "--recoverable", "--schnorr"}, {}}, sign},
      {"mnemonic generate", "mnemonic generate --at VAULT/RECORD [--words 12|24] [--passphrase-file F]\n  Stores a new BIP39 seed; prints the mnemonic, once.",
       {{"--at", "--words", "--passphrase-file"}, {}, {}}, mnemonic_generate},
      {"mnemonic recover", "mnemonic recover --at VAULT/RECORD [--passphrase-file F]\n  Stores the seed of the mnemonic given on standard input.",
       {{"--at", "--passphrase-file"}, {}, {}}, mnemonic_recover},
      {"derive", "derive --from VAULT/RECORD --path P --curve ed25519|secp256k1 --at VAULT/RECORD2\n  SLIP-10 / BIP32 derivation; prints the public key.",
       {{"--from", "--path", "--curve", "--at"}, {}, {}}, derive},
      {"xpub", "xpub --from VAULT/RECORD --path P\n  Prints the extended public key (secp256k1).", {{"--from", "--path"}, {}, {}}, xpub},
      {"dh", "dh --at VAULT/RECORD --peer HEX --into VAULT/RECORD2\n  X25519 with the peer's public key; stores the shared secret.",
       {{"--at", "--peer", "--into"}, {}, {}}, dh},
      {"secret put", "secret put NAME\n  Stores the value given on standard input.", {}, secret_put},
      {"secret get", "secret get NAME\n  Prints the value.", {}, secret_get},
      {"secret list", "secret list\n  Prints the names.", {}, secret_list},
      {"secret delete", "secret delete NAME", {}, secret_delete},
      {"list", "list\n  Locations with type, hint, version and expiry (never secret bytes).", {}, list},
      {"delete", "delete --at VAULT/RECORD\n  Deletes the record (gc removes it for good).", {{"--at"}, {}, {}}, remove},
      {"gc", "gc\n  Removes deleted and expired records and compacts the file.", {}, gc},
      {"export", "export --out FILE (--recipient HEX | --export-password-file F) [--vault V]...\n"
                 "  Writes the vaults (all of them by default) for another device: to its X25519 public key or\n  under an export password.",
       {{"--out", "--recipient", "--export-password-file", "--vault"}, {}, {"--vault"}}, export_vaults},
      {"import", "import --in FILE (--key VAULT/RECORD | --export-password-file F) [--merge keep|replace]\n"
                 "  Reads an export: with the X25519 key it was sent to, or its export password.",
       {{"--in", "--key", "--export-password-file", "--merge"}, {}, {}}, import_vaults},
      {"did create", "did create [--network N] [--fragment F] [--import]\n"
                     "  A new DID (--import: its 32-byte Ed25519 private key as hex on standard input); prints the\n  DID and the key location.",
       {{"--network", "--fragment"}, {"--import"}, {}}, did_create},
      {"did list", "did list", {}, did_list},
      {"did sign", "did sign --did DID --location L --hex HEX\n  Prints the Ed25519 signature.", {{"--did", "--location", "--hex"}, {}, {}}, did_sign},
      {"did public", "did public --did DID --location L\n  Prints the public key.", {{"--did", "--location"}, {}, {}}, did_public},
      {"did purge", "did purge --did DID\n  Removes the DID with its keys, chain state and document.", {{"--did"}, {}, {}}, did_purge},
      {"unlock", "unlock   (with --socket)\n  Gives strongholdd the password again after it locked itself.", {}, lock_locally},
      {"lock", "lock   (with --socket)\n  Makes strongholdd drop every key from memory until the next unlock.", {}, lock_locally},
      {"passwd", "passwd [--new-password-file F]\n  Changes the password (the new one from the file, STRONGHOLD_NEW_PASSWORD, or a prompt).",
       {{"--new-password-file"}, {}, {}}, passwd},
  };
  return all;
}

}  // namespace

const char* overall_usage() {
  static const std::string text = [] {
    std::string usage =
        "usage: stronghold [--snapshot PATH] [--password-file PATH] [--socket PATH] [--json] COMMAND [options]\n"
        "\n"
        "The snapshot: --snapshot, else $STRONGHOLD_SNAPSHOT, else $XDG_DATA_HOME/stronghold/default.stronghold\n"
        "(~/.local/share/stronghold/default.stronghold). The password: --password-file, else $STRONGHOLD_PASSWORD,\n"
        "else a prompt on the terminal. Output: one value per line, bytes as lowercase hex; --json prints one\n"
        "JSON object per result. Locations are written VAULT/RECORD.\n\ncommands:\n";
    for (const Command& command : commands())
      usage += "  " + std::string(command.usage).substr(0, std::string(command.usage).find('\n')) + "\n";
    usage += "  demo\n\nexit codes: 0 success, 1 usage, 2 wrong password, 3 not found, 4 damaged or unsupported file,\n"
             "5 invalid input, 6 locked or busy, 10 internal error. 'stronghold COMMAND --help' for one command.\n";
    return usage;
  }();
  return text.c_str();
}

int run_command(const GlobalOptions& options, const std::vector<std::string>& words) {
  if (words.empty())
    return usage_error("no command given", "");
  if (words.front() == "--help" || words.front() == "-h") {
    std::fputs(overall_usage(), stdout);
    return kSuccess;
  }
  if (words.front() == "demo")
    return run_demo();
  for (const Command& command : commands()) {
    const std::string name = command.name;
    const bool two_words = name.find(' ') != std::string::npos;
    const std::string given = two_words && words.size() > 1 ? words[0] + " " + words[1] : words[0];
    if (given != name)
      continue;
    const std::vector<std::string> rest(words.begin() + (two_words ? 2 : 1), words.end());
    if (std::find(rest.begin(), rest.end(), "--help") != rest.end()) {
      std::printf("usage: stronghold %s\n", command.usage);
      return kSuccess;
    }
    auto args = Args::parse(rest, command.options);
    if (!args.ok())
      return usage_error(args.status().message(), name);
    const bool takes_name = name == "secret put" || name == "secret get" || name == "secret delete";
    if (!takes_name && !args->positional().empty())
      return usage_error(fmt::format("unexpected argument '{}'", args->positional().front()), name);
    const Status done = options.socket.empty() ? command.run(options, *args, Output(options.json))
                                               : over_socket(options, name, *args, Output(options.json));
    if (!done.ok())
      return done.code() == Errc::invalid_argument && done.message().ends_with("is required")
                 ? usage_error(done.message(), name)
                 : report(done);
    return kSuccess;
  }
  return usage_error(fmt::format("unknown command '{}'", words.front()), "");
}

}  // namespace stronghold::cli
