// The commands that run on a store, each one body for the snapshot file and for strongholdd.
#include "command.hpp"

#include <algorithm>
#include <optional>

#include <fmt/format.h>
#include <sodium.h>

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

constexpr std::size_t kMaxSecret = std::size_t{32} * 1024;
constexpr std::size_t kMaxHexKey = 1024;

using Layout = Output::Layout;

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
Result<runtime::SecretBuffer> hex_secret(const Inputs& inputs) {
  SH_ASSIGN_OR_RETURN(const runtime::SecretBuffer* const hex_text, inputs.secret("stdin"));
  SH_ASSIGN_OR_RETURN(runtime::SecretBuffer secret, runtime::SecretBuffer::create(hex_text->size() / 2));
  auto text = hex_text->read();
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

std::string expiry_text(std::int64_t expires_at) { return expires_at == 0 ? "never" : std::to_string(expires_at); }

Result<vault::Did> did_option(const Args& args) {
  SH_ASSIGN_OR_RETURN(const std::string text, args.required("--did"));
  return vault::Did::parse(text);
}

// A key location of either type: the stored record tells which.
Result<vault::KeyLocation> key_location_option(const vault::Keystore& keystore, const vault::Did& did,
                                               const Args& args) {
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

// A transaction of a command that writes records: an occupied location is refused unless the
// command was given --replace.
Status write_records(const Args& args, Store& store, const std::function<Status(vault::Transaction&)>& body) {
  const bool replace = args.has("--replace");
  Status written = store.transact([&](vault::Transaction& tx) {
    tx.set_overwrite(replace ? vault::Overwrite::replace : vault::Overwrite::refuse);
    return body(tx);
  });
  if (written.code() == Errc::already_exists && !replace)
    return error(Errc::already_exists, "{} (give --replace to replace it)", written.message());
  return written;
}

// ---- commands

Status key_generate(const Args& args, const Inputs&, Store& store, Output& out) {
  SH_ASSIGN_OR_RETURN(const vault::KeyType type, key_type_option(args));
  SH_ASSIGN_OR_RETURN(const Location at, location_option(args, "--at"));
  Bytes public_key;
  SH_RETURN_IF_ERROR(write_records(args, store, [&](vault::Transaction& tx) {
    SH_ASSIGN_OR_RETURN(public_key, vault::generate_key(tx, at, type));
    return Status();
  }));
  out.value("public_key", to_hex(public_key));
  return {};
}

Status key_import(const Args& args, const Inputs& inputs, Store& store, Output& out) {
  SH_ASSIGN_OR_RETURN(const vault::KeyType type, key_type_option(args));
  SH_ASSIGN_OR_RETURN(const Location at, location_option(args, "--at"));
  SH_ASSIGN_OR_RETURN(const runtime::SecretBuffer secret, hex_secret(inputs));
  Bytes public_key;
  SH_RETURN_IF_ERROR(write_records(args, store, [&](vault::Transaction& tx) {
    auto view = secret.read();
    SH_ASSIGN_OR_RETURN(public_key, vault::import_key(tx, at, type, view.bytes()));
    return Status();
  }));
  out.value("public_key", to_hex(public_key));
  return {};
}

Status key_public(const Args& args, const Inputs&, Store& store, Output& out) {
  SH_ASSIGN_OR_RETURN(const Location at, location_option(args, "--at"));
  return store.read([&](const vault::Keystore& keystore) {
    SH_ASSIGN_OR_RETURN(const Bytes public_key, keystore.public_key(at));
    out.value("public_key", to_hex(public_key));
    return Status();
  });
}

Status sign(const Args& args, const Inputs& inputs, Store& store, Output& out) {
  SH_ASSIGN_OR_RETURN(const Location at, location_option(args, "--at"));
  if (args.has("--hex") == args.has("--file"))
    return Status(Errc::invalid_argument, "give the message with exactly one of --hex and --file");
  Bytes message;
  if (args.has("--hex")) {
    SH_ASSIGN_OR_RETURN(message, hex_option(args, "--hex"));
  } else {
    SH_ASSIGN_OR_RETURN(const Bytes* const file, inputs.file("--file"));
    message = *file;
  }
  return store.read([&](const vault::Keystore& keystore) {
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
      signature =
          vault::sign_ecdsa(keystore, at, message,
                            {args.has("--prehashed"), args.has("--recoverable") ? vault::EcdsaFormat::recoverable
                                                                                : vault::EcdsaFormat::compact});
    SH_RETURN_IF_ERROR(signature.status());
    out.value("signature", to_hex(*signature));
    return Status();
  });
}

// Runs `use` with the BIP39 passphrase: --passphrase-file's, else empty.
Status with_passphrase(const Inputs& inputs, const std::function<Status(ByteView)>& use) {
  if (!inputs.has_secret("--passphrase-file"))
    return use({});
  SH_ASSIGN_OR_RETURN(const runtime::SecretBuffer* const phrase, inputs.secret("--passphrase-file"));
  auto view = phrase->read();
  return use(view.bytes());
}

Status mnemonic_generate(const Args& args, const Inputs& inputs, Store& store, Output& out) {
  SH_ASSIGN_OR_RETURN(const Location at, location_option(args, "--at"));
  const std::string words = args.value("--words").value_or("24");
  if (words != "12" && words != "24")
    return Status(Errc::invalid_argument, "--words is 12 or 24");
  std::optional<runtime::SecretBuffer> mnemonic;
  SH_RETURN_IF_ERROR(write_records(args, store, [&](vault::Transaction& tx) {
    return with_passphrase(inputs, [&](ByteView phrase) {
      SH_ASSIGN_OR_RETURN(mnemonic, vault::generate_mnemonic(tx, at, words == "12" ? 12u : 24u, phrase));
      return Status();
    });
  }));
  // Shown once, after the seed is safely stored: the only copy the user gets.
  auto view = mnemonic->read();
  out.secret_value("mnemonic", view.bytes());
  return {};
}

Status mnemonic_recover(const Args& args, const Inputs& inputs, Store& store, Output&) {
  SH_ASSIGN_OR_RETURN(const Location at, location_option(args, "--at"));
  SH_ASSIGN_OR_RETURN(const runtime::SecretBuffer* const mnemonic, inputs.secret("stdin"));
  return write_records(args, store, [&](vault::Transaction& tx) {
    return with_passphrase(inputs, [&](ByteView phrase) {
      auto words = mnemonic->read();
      return vault::recover_mnemonic(tx, at, words.bytes(), phrase);
    });
  });
}

Status derive(const Args& args, const Inputs&, Store& store, Output& out) {
  SH_ASSIGN_OR_RETURN(const Location from, location_option(args, "--from"));
  SH_ASSIGN_OR_RETURN(const Location at, location_option(args, "--at"));
  SH_ASSIGN_OR_RETURN(const std::string path, args.required("--path"));
  SH_ASSIGN_OR_RETURN(const std::string curve_name, args.required("--curve"));
  if (curve_name != "ed25519" && curve_name != "secp256k1")
    return Status(Errc::invalid_argument, "--curve is ed25519 or secp256k1");
  const vault::Curve curve = curve_name == "ed25519" ? vault::Curve::ed25519 : vault::Curve::secp256k1;
  Bytes public_key;
  SH_RETURN_IF_ERROR(write_records(args, store, [&](vault::Transaction& tx) {
    SH_ASSIGN_OR_RETURN(public_key, vault::derive_key(tx, from, path, curve, at));
    return Status();
  }));
  out.value("public_key", to_hex(public_key));
  return {};
}

Status xpub(const Args& args, const Inputs&, Store& store, Output& out) {
  SH_ASSIGN_OR_RETURN(const Location from, location_option(args, "--from"));
  SH_ASSIGN_OR_RETURN(const std::string path, args.required("--path"));
  return store.read([&](const vault::Keystore& keystore) {
    SH_ASSIGN_OR_RETURN(const std::string text, vault::derive_xpub(keystore, from, path));
    out.value("xpub", text);
    return Status();
  });
}

Status dh(const Args& args, const Inputs&, Store& store, Output&) {
  SH_ASSIGN_OR_RETURN(const Location at, location_option(args, "--at"));
  SH_ASSIGN_OR_RETURN(const Location into, location_option(args, "--into"));
  SH_ASSIGN_OR_RETURN(const Bytes peer, hex_option(args, "--peer"));
  return write_records(args, store, [&](vault::Transaction& tx) { return vault::x25519_agree(tx, at, peer, into); });
}

Result<std::string> secret_name(const Args& args) {
  if (args.positional().size() != 1)
    return Status(Errc::invalid_argument, "give one secret NAME");
  return args.positional().front();
}

Status secret_put(const Args& args, const Inputs& inputs, Store& store, Output&) {
  SH_ASSIGN_OR_RETURN(const std::string name, secret_name(args));
  SH_ASSIGN_OR_RETURN(const runtime::SecretBuffer* const value, inputs.secret("stdin"));
  return write_records(args, store, [&](vault::Transaction& tx) {
    auto view = value->read();
    return tx.put_secret(name, view.bytes());
  });
}

Status secret_get(const Args& args, const Inputs&, Store& store, Output& out) {
  SH_ASSIGN_OR_RETURN(const std::string name, secret_name(args));
  return store.read([&](const vault::Keystore& keystore) {
    SH_ASSIGN_OR_RETURN(const runtime::SecretBuffer value, keystore.read_secret(name));
    auto view = value.read();
    out.secret_value("value", view.bytes());
    return Status();
  });
}

Status secret_list(const Args&, const Inputs&, Store& store, Output& out) {
  return store.read([&](const vault::Keystore& keystore) {
    for (const std::string& name : keystore.secret_names())
      if (!name.starts_with("identity/"))
        out.value("name", name);
    return Status();
  });
}

Status secret_delete(const Args& args, const Inputs&, Store& store, Output&) {
  SH_ASSIGN_OR_RETURN(const std::string name, secret_name(args));
  return store.transact([&](vault::Transaction& tx) { return tx.delete_secret(name); });
}

Status list(const Args&, const Inputs&, Store& store, Output& out) {
  return store.read([&](const vault::Keystore& keystore) {
    for (const vault::RecordInfo& info : keystore.list())
      if (!info.revoked)
        out.result({{"location", info.location.to_string()},
                    {"type", std::string(vault::key_type_name(info.type))},
                    {"hint", info.hint.empty() ? "-" : info.hint},
                    {"version", std::to_string(info.version)},
                    {"expires", expiry_text(info.expires_at)}},
                   Layout::record);
    return Status();
  });
}

Status remove(const Args& args, const Inputs&, Store& store, Output&) {
  SH_ASSIGN_OR_RETURN(const Location at, location_option(args, "--at"));
  return store.transact([&](vault::Transaction& tx) { return tx.revoke(at); });
}

Status gc(const Args&, const Inputs&, Store& store, Output&) { return store.collect_garbage(); }

// --export-password-file's password through its KDF, for a new export or for importing
// `import_file`. Before the store is touched: in strongholdd it would hold up every other request.
Result<snapshot::TransferPassword> transfer_password(const Inputs& inputs, const Bytes* import_file) {
  SH_ASSIGN_OR_RETURN(const runtime::SecretBuffer* const text, inputs.secret("--export-password-file"));
  auto view = text->read();
  if (import_file != nullptr)
    return snapshot::TransferPassword::for_import(*import_file, view.bytes());
  return snapshot::TransferPassword::for_export(view.bytes(), snapshot::KdfPreset::standard);
}

Status export_vaults(const Args& args, const Inputs& inputs, Store& store, Output& out) {
  SH_ASSIGN_OR_RETURN(const std::string out_path, args.required("--out"));
  if (args.has("--recipient") == args.has("--export-password-file"))
    return Status(Errc::invalid_argument, "give exactly one of --recipient and --export-password-file");
  SH_ASSIGN_OR_RETURN(const Location sender_key, location_option(args, "--sign-with"));
  Bytes file;
  if (args.has("--recipient")) {
    SH_ASSIGN_OR_RETURN(const Bytes recipient, hex_option(args, "--recipient"));
    SH_RETURN_IF_ERROR(store.read([&](const vault::Keystore& keystore) {
      SH_ASSIGN_OR_RETURN(file, snapshot::export_to_recipient(keystore, recipient, sender_key, args.values("--vault")));
      return Status();
    }));
    return out.new_file(out_path, file);
  }
  SH_ASSIGN_OR_RETURN(const auto password, transfer_password(inputs, nullptr));
  SH_RETURN_IF_ERROR(store.read([&](const vault::Keystore& keystore) {
    SH_ASSIGN_OR_RETURN(file, snapshot::export_with_password(keystore, password, sender_key, args.values("--vault")));
    return Status();
  }));
  return out.new_file(out_path, file);
}

std::string_view import_action_name(vault::ImportAction action) {
  switch (action) {
    case vault::ImportAction::add: return "add";
    case vault::ImportAction::keep: return "keep";
    case vault::ImportAction::replace: return "replace";
  }
  return "unknown";
}

// One line for the sender (its public key, as `key public` prints it) and one per record.
void print_plan(const snapshot::ImportPlan& plan, Output& out) {
  if (!plan.sender.empty())
    out.result({{"action", "sender"}, {"kind", "ed25519"}, {"name", to_hex(plan.sender)}}, Layout::record);
  for (const vault::ImportedRecord& record : plan.records)
    out.result({{"action", std::string(import_action_name(record.action))},
                {"kind", record.kind == vault::ImportedRecord::Kind::secret ? "secret" : "record"},
                {"name", record.name}},
               Layout::record);
}

Result<snapshot::ImportOptions> import_options(const Args& args) {
  snapshot::ImportOptions options;
  const std::string merge = args.value("--merge").value_or("keep");
  if (merge != "keep" && merge != "replace")
    return Status(Errc::invalid_argument, "--merge is keep or replace");
  options.merge = merge == "keep" ? snapshot::MergePolicy::keep_existing : snapshot::MergePolicy::replace;
  if (args.has("--from")) {
    SH_ASSIGN_OR_RETURN(options.expected_sender, hex_option(args, "--from"));
    if (options.expected_sender.size() != crypto_sign_PUBLICKEYBYTES)
      return Status(Errc::invalid_argument, "--from is the sender's Ed25519 public key: 64 hex digits");
  }
  return options;
}

Status import_vaults(const Args& args, const Inputs& inputs, Store& store, Output& out) {
  SH_ASSIGN_OR_RETURN(const snapshot::ImportOptions options, import_options(args));
  if (args.has("--key") == args.has("--export-password-file"))
    return Status(Errc::invalid_argument,
                  "give exactly one of --key (the X25519 key it was sent to) and --export-password-file");
  SH_RETURN_IF_ERROR(args.required("--in").status());
  SH_ASSIGN_OR_RETURN(const Bytes* const file, inputs.file("--in"));
  snapshot::ImportPlan plan;
  Status imported;
  if (args.has("--key")) {
    SH_ASSIGN_OR_RETURN(const Location key, location_option(args, "--key"));
    imported = store.transact(
        [&](vault::Transaction& tx) { return snapshot::import_with_key(tx, *file, key, options, plan); });
  } else {
    SH_ASSIGN_OR_RETURN(const auto password, transfer_password(inputs, file));
    imported = store.transact(
        [&](vault::Transaction& tx) { return snapshot::import_with_password(tx, *file, password, options, plan); });
  }
  // What the export holds, whether or not it was imported: the importer checks the sender.
  print_plan(plan, out);
  const bool only_planned = args.has("--key") && !args.has("--from") && plan.complete;
  if (only_planned)
    return Status(Errc::authentication_failed,
                  "the export's sender is not confirmed: check the fingerprint above and give --from HEX");
  return imported;
}

Status did_create(const Args& args, const Inputs& inputs, Store& store, Output& out) {
  const std::string network = args.value("--network").value_or("main");
  const std::string fragment = args.value("--fragment").value_or("sign-0");
  std::optional<runtime::SecretBuffer> imported;
  if (args.has("--import")) {
    SH_ASSIGN_OR_RETURN(imported, hex_secret(inputs));
    if (imported->size() != 32)
      return Status(Errc::invalid_key, "--import reads a 32-byte Ed25519 private key as 64 hex digits");
  }
  vault::CreatedDid created;
  SH_RETURN_IF_ERROR(store.transact([&](vault::Transaction& tx) {
    if (imported) {
      auto view = imported->read();
      SH_ASSIGN_OR_RETURN(created, vault::create_did(tx, network, fragment, view.bytes()));
    } else {
      SH_ASSIGN_OR_RETURN(created, vault::create_did(tx, network, fragment, {}));
    }
    return Status();
  }));
  out.result({{"did", created.did.to_string()}, {"location", created.location.canonical()}}, Layout::value_per_line);
  return {};
}

Status did_list(const Args&, const Inputs&, Store& store, Output& out) {
  return store.read([&](const vault::Keystore& keystore) {
    for (const vault::Did& did : vault::list_dids(keystore))
      out.value("did", did.to_string());
    return Status();
  });
}

Status did_sign(const Args& args, const Inputs&, Store& store, Output& out) {
  SH_ASSIGN_OR_RETURN(const vault::Did did, did_option(args));
  SH_ASSIGN_OR_RETURN(const Bytes message, hex_option(args, "--hex"));
  return store.read([&](const vault::Keystore& keystore) {
    SH_ASSIGN_OR_RETURN(const vault::KeyLocation location, key_location_option(keystore, did, args));
    SH_ASSIGN_OR_RETURN(const Location record, vault::identity_signing_record(keystore, did, location));
    SH_ASSIGN_OR_RETURN(const Bytes signature, vault::sign_ed25519(keystore, record, message));
    out.value("signature", to_hex(signature));
    return Status();
  });
}

Status did_public(const Args& args, const Inputs&, Store& store, Output& out) {
  SH_ASSIGN_OR_RETURN(const vault::Did did, did_option(args));
  return store.read([&](const vault::Keystore& keystore) {
    SH_ASSIGN_OR_RETURN(const vault::KeyLocation location, key_location_option(keystore, did, args));
    SH_ASSIGN_OR_RETURN(const Bytes public_key, vault::identity_public_key(keystore, did, location));
    out.value("public_key", to_hex(public_key));
    return Status();
  });
}

Status did_purge(const Args& args, const Inputs&, Store& store, Output&) {
  SH_ASSIGN_OR_RETURN(const vault::Did did, did_option(args));
  return store.transact([&](vault::Transaction& tx) -> Status {
    SH_ASSIGN_OR_RETURN(const bool purged, vault::purge_did(tx, did));
    if (!purged)
      return error(Errc::did_not_found, "the snapshot holds no DID {}", did.to_string());
    return {};
  });
}

Status passwd(const Args&, const Inputs& inputs, Store& store, Output&) {
  SH_ASSIGN_OR_RETURN(const runtime::SecretBuffer* const password, inputs.secret("new password"));
  auto view = password->read();
  return store.change_password(view.bytes());
}

}  // namespace

const std::vector<Command>& commands() {
  static const std::vector<Command> all = {
      {"key generate",
       "key generate --type ed25519|x25519|secp256k1 --at VAULT/RECORD [--replace]\n  A new key; prints its public key."
       " A record already at the location is kept (exit 5) unless --replace is given.",
       {{"--type", "--at"}, {"--replace"}, {}},
       {},
       key_generate},
      {"key import",
       "key import --type ed25519|x25519|secp256k1 --at VAULT/RECORD [--replace]\n  Stores the private key given as hex on standard input; prints its public key.",
       {{"--type", "--at"}, {"--replace"}, {}},
       {kMaxHexKey},
       key_import},
      {"key public", "key public --at VAULT/RECORD\n  Prints the public key.", {{"--at"}, {}, {}}, {}, key_public},
      {"sign",
       "sign --at VAULT/RECORD (--hex HEX | --file PATH) [--prehashed] [--recoverable] [--schnorr]\n"
       "  Ed25519 over the message, or secp256k1 ECDSA (low-S) over SHA-256 of it (over the given 32-byte\n"
       "  digest with --prehashed; 65 bytes with --recoverable; BIP340 with --schnorr). Prints the signature.",
       {{"--at", "--hex", "--file"}, {"--prehashed", "--recoverable", "--schnorr"}, {}},
       {},
       sign},
      {"mnemonic generate",
       "mnemonic generate --at VAULT/RECORD [--words 12|24] [--passphrase-file F] [--replace]\n  Stores a new BIP39 seed; prints the mnemonic, once.",
       {{"--at", "--words", "--passphrase-file"}, {"--replace"}, {}},
       {},
       mnemonic_generate},
      {"mnemonic recover",
       "mnemonic recover --at VAULT/RECORD [--passphrase-file F] [--replace]\n  Stores the seed of the mnemonic given on standard input.",
       {{"--at", "--passphrase-file"}, {"--replace"}, {}},
       {kMaxHexKey},
       mnemonic_recover},
      {"derive",
       "derive --from VAULT/RECORD --path P --curve ed25519|secp256k1 --at VAULT/RECORD2 [--replace]\n  SLIP-10 / BIP32 derivation; prints the public key.",
       {{"--from", "--path", "--curve", "--at"}, {"--replace"}, {}},
       {},
       derive},
      {"xpub",
       "xpub --from VAULT/RECORD --path P\n  Prints the extended public key (secp256k1).",
       {{"--from", "--path"}, {}, {}},
       {},
       xpub},
      {"dh",
       "dh --at VAULT/RECORD --peer HEX --into VAULT/RECORD2 [--replace]\n  X25519 with the peer's public key; stores the shared secret.",
       {{"--at", "--peer", "--into"}, {"--replace"}, {}},
       {},
       dh},
      {"secret put",
       "secret put NAME [--replace]\n  Stores the value given on standard input (a name already in use: only with --replace).",
       {{}, {"--replace"}, {}},
       {kMaxSecret},
       secret_put,
       true},
      {"secret get", "secret get NAME\n  Prints the value.", {}, {}, secret_get, true},
      {"secret list", "secret list\n  Prints the names.", {}, {}, secret_list},
      {"secret delete", "secret delete NAME", {}, {}, secret_delete, true},
      {"list", "list\n  Locations with type, hint, version and expiry (never secret bytes).", {}, {}, list},
      {"delete",
       "delete --at VAULT/RECORD\n  Deletes the record (gc removes it for good).",
       {{"--at"}, {}, {}},
       {},
       remove},
      {"gc", "gc\n  Removes deleted and expired records and compacts the file.", {}, {}, gc},
      {"export",
       "export --out FILE --sign-with VAULT/RECORD (--recipient HEX | --export-password-file F) [--vault V]...\n"
       "  Writes the vaults (all of them by default) for another device: to its X25519 public key or\n"
       "  under an export password, signed with the Ed25519 key at --sign-with (give the importer its\n"
       "  public key, 'key public --at VAULT/RECORD', by a channel they trust).",
       {{"--out", "--sign-with", "--recipient", "--export-password-file", "--vault"}, {}, {"--vault"}},
       {},
       export_vaults},
      {"import",
       "import --in FILE (--key VAULT/RECORD --from HEX | --export-password-file F [--from HEX]) [--merge keep|replace]\n"
       "  Reads an export: with the X25519 key it was sent to, or its export password. Prints the sender's\n"
       "  public key and, per record or secret, add, keep (already here, untouched) or replace (only with\n"
       "  --merge replace). --from: the sender's Ed25519 public key; an export signed by another key is\n"
       "  refused. Sent to a key, an export is imported only with --from: without it, the sender and\n"
       "  the records are printed and nothing changes (exit 5).",
       {{"--in", "--key", "--from", "--export-password-file", "--merge"}, {}, {}},
       {},
       import_vaults},
      {"did create",
       "did create [--network N] [--fragment F] [--import]\n"
       "  A new DID (--import: its 32-byte Ed25519 private key as hex on standard input); prints the\n  DID and the key location.",
       {{"--network", "--fragment"}, {"--import"}, {}},
       {kMaxHexKey, "--import"},
       did_create},
      {"did list", "did list", {}, {}, did_list},
      {"did sign",
       "did sign --did DID --location L --hex HEX\n  Prints the Ed25519 signature.",
       {{"--did", "--location", "--hex"}, {}, {}},
       {},
       did_sign},
      {"did public",
       "did public --did DID --location L\n  Prints the public key.",
       {{"--did", "--location"}, {}, {}},
       {},
       did_public},
      {"did purge",
       "did purge --did DID\n  Removes the DID with its keys, chain state and document.",
       {{"--did"}, {}, {}},
       {},
       did_purge},
      {"passwd",
       "passwd [--new-password-file F]\n  Changes the password (the new one from the file, STRONGHOLD_NEW_PASSWORD, or a prompt;\n"
       "  through strongholdd, the current one is asked for too).",
       {{"--new-password-file"}, {}, {}},
       {0, nullptr, true},
       passwd},
  };
  return all;
}

const Command* find_command(const std::string& name) {
  const auto& all = commands();
  const auto found = std::find_if(all.begin(), all.end(), [&](const Command& command) { return name == command.name; });
  return found == all.end() ? nullptr : &*found;
}

Result<Args> parse_command_words(const Command& command, const std::vector<std::string>& words) {
  SH_ASSIGN_OR_RETURN(Args args, Args::parse(words, command.options));
  if (command.takes_name ? args.positional().size() > 1 : !args.positional().empty())
    return error(Errc::invalid_argument, "unexpected argument '{}'", args.positional().back());
  return args;
}

Result<const runtime::SecretBuffer*> Inputs::secret(const std::string& name) const {
  const auto found = secrets_.find(name);
  if (found == secrets_.end())
    return error(Errc::invalid_argument, "the command needs its input '{}'", name);
  return &found->second;
}

Result<const Bytes*> Inputs::file(const std::string& name) const {
  const auto found = files_.find(name);
  if (found == files_.end())
    return error(Errc::invalid_argument, "the command needs its input '{}'", name);
  return &found->second;
}

std::vector<Bytes> Inputs::encode() const {
  std::vector<Bytes> fields;
  for (const auto& [name, value] : secrets_) {
    auto view = value.read();
    // Built in place: an initializer list would copy the secret and free that copy unwiped.
    fields.push_back(Bytes{'s'});
    fields.emplace_back(name.begin(), name.end());
    fields.emplace_back(view.bytes().begin(), view.bytes().end());
  }
  for (const auto& [name, content] : files_)
    fields.insert(fields.end(), {Bytes{'f'}, Bytes(name.begin(), name.end()), content});
  return fields;
}

Result<Inputs> Inputs::decode(std::vector<Bytes>& fields) {
  Inputs inputs;
  if (fields.size() % 3 != 0)
    return Status(Errc::invalid_argument, "a command's inputs come in threes: kind, name, bytes");
  for (std::size_t i = 0; i < fields.size(); i += 3) {
    const std::string name(fields[i + 1].begin(), fields[i + 1].end());
    Bytes& value = fields[i + 2];
    if (fields[i] == Bytes{'s'}) {
      auto secret = runtime::SecretBuffer::from(value);
      sodium_memzero(value.data(), value.size());
      SH_RETURN_IF_ERROR(secret.status());
      inputs.add_secret(name, std::move(*secret));
    } else if (fields[i] == Bytes{'f'}) {
      inputs.add_file(name, std::move(value));
    } else {
      return Status(Errc::invalid_argument, "an input of unknown kind");
    }
  }
  return inputs;
}

}  // namespace stronghold::cli
