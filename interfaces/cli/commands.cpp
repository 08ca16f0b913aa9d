// The commands on keys, signatures, the secret store and transfers: each builds requests of the
// engine's vocabulary and prints their answers, on the snapshot file or through strongholdd.
#include "command.hpp"

#include <algorithm>
#include <ctime>

#include <sodium.h>

#include "options.hpp"
#include "requests.hpp"
#include "stronghold/snapshot/transfer.hpp"

namespace stronghold::cli {
namespace {

using vault::Location;
using Layout = Output::Layout;

constexpr std::size_t kMaxSecret = std::size_t{32} * 1024;
constexpr std::size_t kMaxHexKey = 1024;
constexpr std::string_view kLanguages =
    "english, japanese, korean, spanish, chinese-simplified, chinese-traditional, french, italian, czech, portuguese";

Result<vault::KeyType> key_type_option(const Args& args) {
  SH_ASSIGN_OR_RETURN(const std::string name, args.required("--type"));
  if (name == "ed25519" || name == "x25519" || name == "secp256k1" || name == "symmetric")
    return vault::parse_key_type(name);
  return error(Errc::invalid_argument, "--type is ed25519, x25519, secp256k1 or symmetric, not '{}'", name);
}

// --expires DURATION as unix seconds; 0 (never) without it.
Result<std::uint64_t> expires_option(const Args& args) {
  const auto text = args.value("--expires");
  if (!text)
    return std::uint64_t{0};
  SH_ASSIGN_OR_RETURN(const std::uint64_t seconds, parse_duration(*text));
  return static_cast<std::uint64_t>(std::time(nullptr)) + seconds;
}

std::string expiry_text(std::uint64_t expires_at) { return expires_at == 0 ? "never" : std::to_string(expires_at); }

Result<vault::Hash> hash_option(const Args& args) {
  SH_ASSIGN_OR_RETURN(const std::string name, args.required("--hash"));
  if (name == "sha256")
    return vault::Hash::sha256;
  if (name == "sha384")
    return vault::Hash::sha384;
  if (name == "sha512")
    return vault::Hash::sha512;
  return error(Errc::invalid_argument, "--hash is sha256, sha384 or sha512, not '{}'", name);
}

Result<vault::Aead> cipher_option(const Args& args) {
  const std::string name = args.value("--cipher").value_or("xchacha20poly1305");
  if (name == "xchacha20poly1305")
    return vault::Aead::xchacha20poly1305;
  if (name == "aes256gcm")
    return vault::Aead::aes256gcm;
  return error(Errc::invalid_argument, "--cipher is xchacha20poly1305 or aes256gcm, not '{}'", name);
}

// ---- keys

Status key_generate(const Args& args, const Inputs&, Requests& requests, Output& out) {
  actors::GenerateKey request;
  SH_ASSIGN_OR_RETURN(request.type, key_type_option(args));
  SH_ASSIGN_OR_RETURN(request.at, location_option(args, "--at"));
  SH_ASSIGN_OR_RETURN(request.expires_at, expires_option(args));
  request.overwrite = overwrite_option(args);
  SH_ASSIGN_OR_RETURN(const Bytes public_key, name_replace(requests.call(std::move(request)), args));
  if (!public_key.empty())  // a symmetric key has none
    out.value("public_key", to_hex(public_key));
  return {};
}

Status key_import(const Args& args, const Inputs& inputs, Requests& requests, Output& out) {
  actors::ImportKey request;
  SH_ASSIGN_OR_RETURN(request.type, key_type_option(args));
  SH_ASSIGN_OR_RETURN(request.at, location_option(args, "--at"));
  SH_ASSIGN_OR_RETURN(request.expires_at, expires_option(args));
  SH_ASSIGN_OR_RETURN(request.key, hex_secret(inputs));
  if (request.type == vault::KeyType::symmetric && request.key.size() != vault::kAeadKeySize)
    return Status(Errc::invalid_key, "a symmetric key is 32 bytes: 64 hex digits");
  request.overwrite = overwrite_option(args);
  SH_ASSIGN_OR_RETURN(const Bytes public_key, name_replace(requests.call(std::move(request)), args));
  if (!public_key.empty())
    out.value("public_key", to_hex(public_key));
  return {};
}

Status key_public(const Args& args, const Inputs&, Requests& requests, Output& out) {
  SH_ASSIGN_OR_RETURN(const Location at, location_option(args, "--at"));
  SH_ASSIGN_OR_RETURN(const Bytes public_key, requests.call(actors::PublicKey{at}));
  out.value("public_key", to_hex(public_key));
  return {};
}

Status key_expire(const Args& args, const Inputs&, Requests& requests, Output&) {
  actors::ExpireKey request;
  SH_ASSIGN_OR_RETURN(request.at, location_option(args, "--at"));
  SH_ASSIGN_OR_RETURN(const std::string in, args.required("--in"));
  SH_ASSIGN_OR_RETURN(request.in, parse_duration(in));
  return requests.call(std::move(request)).status();
}

// The secp256k1 request the flags ask for, or Sign when none does.
Result<Bytes> sign_as_asked(const Args& args, Location at, Bytes message, Requests& requests) {
  const vault::EcdsaFormat format =
      args.has("--recoverable") ? vault::EcdsaFormat::recoverable : vault::EcdsaFormat::compact;
  if (args.has("--schnorr"))
    return requests.call(actors::SignSchnorr{std::move(at), std::move(message)});
  if (args.has("--keccak")) {
    if (args.has("--prehashed"))
      return Status(Errc::invalid_argument, "--keccak hashes the message: it cannot be --prehashed");
    actors::SignKeccak request{std::move(at), std::move(message)};
    request.options.format = format;
    return requests.call(std::move(request));
  }
  if (args.has("--prehashed") || args.has("--recoverable"))
    return requests.call(actors::SignEcdsa{std::move(at), std::move(message), {args.has("--prehashed"), format}});
  return requests.call(actors::Sign{std::move(at), std::move(message)});
}

Status sign(const Args& args, const Inputs& inputs, Requests& requests, Output& out) {
  SH_ASSIGN_OR_RETURN(Location at, location_option(args, "--at"));
  SH_ASSIGN_OR_RETURN(Bytes message, message_option(args, inputs));
  const bool secp256k1_only =
      args.has("--prehashed") || args.has("--recoverable") || args.has("--schnorr") || args.has("--keccak");
  Result<Bytes> signature = sign_as_asked(args, std::move(at), std::move(message), requests);
  if (signature.status().code() == Errc::wrong_key_type && secp256k1_only)
    return Status(Errc::wrong_key_type, "--prehashed, --recoverable, --schnorr and --keccak need a secp256k1 key");
  SH_RETURN_IF_ERROR(signature.status());
  out.value("signature", to_hex(*signature));
  return {};
}

Status evm_address(const Args& args, const Inputs&, Requests& requests, Output& out) {
  SH_ASSIGN_OR_RETURN(Location at, location_option(args, "--at"));
  SH_ASSIGN_OR_RETURN(std::string address, requests.call(actors::EvmAddress{std::move(at)}));
  out.value("address", address);
  return {};
}

// The value comes as hex on standard input, like a key import, so it stays off the command line.
Status compare(const Args& args, const Inputs& inputs, Requests& requests, Output& out) {
  SH_ASSIGN_OR_RETURN(Location at, location_option(args, "--at"));
  SH_ASSIGN_OR_RETURN(actors::Secret value, hex_secret(inputs, "the value"));
  SH_ASSIGN_OR_RETURN(const bool equal, requests.call(actors::CompareRecord{std::move(at), std::move(value)}));
  out.value("equal", equal ? "true" : "false");
  return {};
}

// The input `name` (standard input, a password file) as it was read, sealed.
Result<actors::Secret> sealed_input(const Inputs& inputs, const std::string& name) {
  SH_ASSIGN_OR_RETURN(const runtime::SecretBuffer* const value, inputs.secret(name));
  auto view = value->read();
  return actors::Secret::seal(view.bytes());
}

// The BIP39 passphrase: --passphrase-file's, else none.
Result<actors::Secret> passphrase(const Inputs& inputs) {
  if (!inputs.has_secret("--passphrase-file"))
    return actors::Secret{};
  return sealed_input(inputs, "--passphrase-file");
}

// --language: a wordlist's name (english when absent on generate; any, the one the words are
// from, on recover).
Result<vault::Bip39Language> language_option(const Args& args, vault::Bip39Language absent) {
  const auto name = args.value("--language");
  if (!name)
    return absent;
  const auto language = vault::bip39_language_named(*name);
  if (!language || (*language == vault::Bip39Language::any && absent != vault::Bip39Language::any))
    return error(Errc::invalid_argument, "--language is one of {}, not '{}'", kLanguages, *name);
  return *language;
}

Status mnemonic_generate(const Args& args, const Inputs& inputs, Requests& requests, Output& out) {
  actors::GenerateMnemonic request;
  SH_ASSIGN_OR_RETURN(request.at, location_option(args, "--at"));
  SH_ASSIGN_OR_RETURN(request.language, language_option(args, vault::Bip39Language::english));
  const std::string words = args.value("--words").value_or("24");
  if (words != "12" && words != "24")
    return Status(Errc::invalid_argument, "--words is 12 or 24");
  request.words = words == "12" ? 12u : 24u;
  SH_ASSIGN_OR_RETURN(request.passphrase, passphrase(inputs));
  request.overwrite = overwrite_option(args);
  SH_ASSIGN_OR_RETURN(const actors::Secret mnemonic, name_replace(requests.call(std::move(request)), args));
  // Shown once, after the seed is safely stored: the only copy the user gets.
  return mnemonic.open([&](ByteView words_text) {
    out.secret_value("mnemonic", words_text);
    return Status();
  });
}

Status mnemonic_recover(const Args& args, const Inputs& inputs, Requests& requests, Output&) {
  actors::RecoverMnemonic request;
  SH_ASSIGN_OR_RETURN(request.at, location_option(args, "--at"));
  SH_ASSIGN_OR_RETURN(request.language, language_option(args, vault::Bip39Language::any));
  SH_ASSIGN_OR_RETURN(request.mnemonic, sealed_input(inputs, "stdin"));
  SH_ASSIGN_OR_RETURN(request.passphrase, passphrase(inputs));
  request.overwrite = overwrite_option(args);
  return name_replace(requests.call(std::move(request)), args).status();
}

// The range is the engine's to check, so that every front end refuses the same sizes alike.
Status seed_generate(const Args& args, const Inputs&, Requests& requests, Output&) {
  actors::GenerateSeed request;
  SH_ASSIGN_OR_RETURN(request.at, location_option(args, "--at"));
  if (const auto bytes = args.value("--bytes")) {
    SH_ASSIGN_OR_RETURN(request.bytes, parse_number<std::uint32_t>(*bytes, "--bytes"));
  }
  request.overwrite = overwrite_option(args);
  return name_replace(requests.call(std::move(request)), args).status();
}

Status derive(const Args& args, const Inputs&, Requests& requests, Output& out) {
  actors::DeriveKey request;
  SH_ASSIGN_OR_RETURN(request.seed, location_option(args, "--from"));
  SH_ASSIGN_OR_RETURN(request.into, location_option(args, "--at"));
  SH_ASSIGN_OR_RETURN(request.path, args.required("--path"));
  SH_ASSIGN_OR_RETURN(const std::string curve_name, args.required("--curve"));
  if (curve_name != "ed25519" && curve_name != "secp256k1")
    return Status(Errc::invalid_argument, "--curve is ed25519 or secp256k1");
  request.curve = curve_name == "ed25519" ? vault::Curve::ed25519 : vault::Curve::secp256k1;
  request.overwrite = overwrite_option(args);
  SH_ASSIGN_OR_RETURN(const Bytes public_key, name_replace(requests.call(std::move(request)), args));
  out.value("public_key", to_hex(public_key));
  return {};
}

Status xpub(const Args& args, const Inputs&, Requests& requests, Output& out) {
  actors::NodePublicKey request;
  SH_ASSIGN_OR_RETURN(request.seed, location_option(args, "--from"));
  SH_ASSIGN_OR_RETURN(request.path, args.required("--path"));
  SH_ASSIGN_OR_RETURN(const actors::ExtendedPublic node, requests.call(std::move(request)));
  out.value("xpub", node.xpub);
  return {};
}

Status dh(const Args& args, const Inputs&, Requests& requests, Output&) {
  actors::AgreeKey request;
  SH_ASSIGN_OR_RETURN(request.at, location_option(args, "--at"));
  SH_ASSIGN_OR_RETURN(request.into, location_option(args, "--into"));
  SH_ASSIGN_OR_RETURN(request.peer, hex_option(args, "--peer"));
  request.overwrite = overwrite_option(args);
  return name_replace(requests.call(std::move(request)), args).status();
}

// ---- MACs, KDFs and AEAD with symmetric records

Status hmac(const Args& args, const Inputs& inputs, Requests& requests, Output& out) {
  actors::Hmac request;
  SH_ASSIGN_OR_RETURN(request.at, location_option(args, "--at"));
  SH_ASSIGN_OR_RETURN(request.hash, hash_option(args));
  SH_ASSIGN_OR_RETURN(request.message, message_option(args, inputs));
  SH_ASSIGN_OR_RETURN(const Bytes tag, requests.call(std::move(request)));
  out.value("tag", to_hex(tag));
  return {};
}

Status hkdf(const Args& args, const Inputs&, Requests& requests, Output&) {
  actors::Hkdf request;
  SH_ASSIGN_OR_RETURN(request.at, location_option(args, "--from"));
  SH_ASSIGN_OR_RETURN(request.into, location_option(args, "--at"));
  SH_ASSIGN_OR_RETURN(request.hash, hash_option(args));
  SH_ASSIGN_OR_RETURN(request.salt, hex_option(args, "--salt"));
  SH_ASSIGN_OR_RETURN(request.info, hex_option(args, "--info"));
  request.overwrite = overwrite_option(args);
  return name_replace(requests.call(std::move(request)), args).status();
}

// --NAME N, or `fallback` without it.
Result<std::uint32_t> count_option(const Args& args, const std::string& name, std::uint32_t fallback) {
  const auto text = args.value(name);
  return text ? parse_number<std::uint32_t>(*text, name) : Result<std::uint32_t>(fallback);
}

// --NAME HEX, or nothing without it.
Result<Bytes> optional_hex(const Args& args, const std::string& name) {
  return args.has(name) ? hex_option(args, name) : Result<Bytes>(Bytes());
}

// The password is standard input's bytes (without one trailing newline), sealed at once.
Status kdf_pbkdf2(const Args& args, const Inputs& inputs, Requests& requests, Output&) {
  actors::Pbkdf2 request;
  SH_ASSIGN_OR_RETURN(request.into, location_option(args, "--at"));
  SH_ASSIGN_OR_RETURN(request.hash, hash_option(args));
  SH_ASSIGN_OR_RETURN(request.salt, hex_option(args, "--salt"));
  SH_ASSIGN_OR_RETURN(request.rounds, count_option(args, "--rounds", request.rounds));
  SH_ASSIGN_OR_RETURN(request.length, count_option(args, "--length", request.length));
  SH_ASSIGN_OR_RETURN(request.password, sealed_input(inputs, "stdin"));
  request.overwrite = overwrite_option(args);
  return name_replace(requests.call(std::move(request)), args).status();
}

Status kdf_concat(const Args& args, const Inputs&, Requests& requests, Output&) {
  actors::ConcatKdf request;
  SH_ASSIGN_OR_RETURN(request.at, location_option(args, "--from"));
  SH_ASSIGN_OR_RETURN(request.into, location_option(args, "--at"));
  SH_ASSIGN_OR_RETURN(request.hash, hash_option(args));
  SH_ASSIGN_OR_RETURN(request.algorithm_id, args.required("--alg"));
  SH_ASSIGN_OR_RETURN(request.apu, optional_hex(args, "--apu"));
  SH_ASSIGN_OR_RETURN(request.apv, optional_hex(args, "--apv"));
  SH_ASSIGN_OR_RETURN(request.pub_info, optional_hex(args, "--pub-info"));
  SH_ASSIGN_OR_RETURN(request.priv_info, optional_hex(args, "--priv-info"));
  SH_ASSIGN_OR_RETURN(request.length, count_option(args, "--length", request.length));
  request.overwrite = overwrite_option(args);
  return name_replace(requests.call(std::move(request)), args).status();
}

Status key_wrap(const Args& args, const Inputs&, Requests& requests, Output& out) {
  actors::WrapKey request;
  SH_ASSIGN_OR_RETURN(request.at, location_option(args, "--at"));
  SH_ASSIGN_OR_RETURN(request.with, location_option(args, "--with"));
  SH_ASSIGN_OR_RETURN(const Bytes wrapped, requests.call(std::move(request)));
  out.value("wrapped", to_hex(wrapped));
  return {};
}

Status key_unwrap(const Args& args, const Inputs&, Requests& requests, Output&) {
  actors::UnwrapKey request;
  SH_ASSIGN_OR_RETURN(request.wrapped, hex_option(args, "--hex"));
  SH_ASSIGN_OR_RETURN(request.with, location_option(args, "--with"));
  SH_ASSIGN_OR_RETURN(request.into, location_option(args, "--into"));
  request.overwrite = overwrite_option(args);
  return name_replace(requests.call(std::move(request)), args).status();
}

Result<Bytes> associated_data_option(const Args& args) {
  return args.has("--ad") ? hex_option(args, "--ad") : Result<Bytes>(Bytes());
}

// Prints nonce || ciphertext || tag.
Status aead_encrypt(const Args& args, const Inputs& inputs, Requests& requests, Output& out) {
  actors::AeadEncrypt request;
  SH_ASSIGN_OR_RETURN(request.at, location_option(args, "--at"));
  SH_ASSIGN_OR_RETURN(request.cipher, cipher_option(args));
  SH_ASSIGN_OR_RETURN(request.associated_data, associated_data_option(args));
  SH_ASSIGN_OR_RETURN(request.plaintext, plaintext_option(args, inputs));
  SH_ASSIGN_OR_RETURN(const actors::AeadSealed sealed, requests.call(std::move(request)));
  out.value("sealed", to_hex(sealed.nonce) + to_hex(sealed.ciphertext) + to_hex(sealed.tag));
  return {};
}

// Reads what aead encrypt printed; prints the plaintext as hex. authentication_failed (exit 5)
// when any byte differs from what was sealed.
Status aead_decrypt(const Args& args, const Inputs&, Requests& requests, Output& out) {
  actors::AeadDecrypt request;
  SH_ASSIGN_OR_RETURN(request.at, location_option(args, "--at"));
  SH_ASSIGN_OR_RETURN(request.cipher, cipher_option(args));
  SH_ASSIGN_OR_RETURN(request.associated_data, associated_data_option(args));
  SH_ASSIGN_OR_RETURN(const Bytes sealed, hex_option(args, "--hex"));
  const std::size_t nonce_size = vault::aead_nonce_size(request.cipher);
  if (sealed.size() < nonce_size + vault::kAeadTagSize)
    return error(Errc::invalid_argument, "a sealed message is at least {} bytes: its nonce and tag",
                 nonce_size + vault::kAeadTagSize);
  const auto ciphertext = sealed.begin() + static_cast<std::ptrdiff_t>(nonce_size);
  const auto tag = sealed.end() - static_cast<std::ptrdiff_t>(vault::kAeadTagSize);
  request.sealed = {Bytes(sealed.begin(), ciphertext), Bytes(ciphertext, tag), Bytes(tag, sealed.end())};
  SH_ASSIGN_OR_RETURN(const actors::Secret plaintext, requests.call(std::move(request)));
  return plaintext.open([&](ByteView bytes) { return print_secret_hex(out, "plaintext", bytes); });
}

// ---- the secret store

Result<std::string> secret_name(const Args& args) {
  if (args.positional().size() != 1)
    return Status(Errc::invalid_argument, "give one secret NAME");
  return args.positional().front();
}

Status secret_put(const Args& args, const Inputs& inputs, Requests& requests, Output&) {
  actors::PutSecret request;
  SH_ASSIGN_OR_RETURN(request.name, secret_name(args));
  SH_ASSIGN_OR_RETURN(request.value, sealed_input(inputs, "stdin"));
  request.overwrite = overwrite_option(args);
  return name_replace(requests.call(std::move(request)), args).status();
}

Status secret_get(const Args& args, const Inputs&, Requests& requests, Output& out) {
  SH_ASSIGN_OR_RETURN(std::string name, secret_name(args));
  SH_ASSIGN_OR_RETURN(const actors::Secret value, requests.call(actors::GetSecret{std::move(name)}));
  if (value.empty()) {  // an empty value is stored as none
    out.secret_value("value", {});
    return {};
  }
  return value.open([&](ByteView bytes) {
    out.secret_value("value", bytes);
    return Status();
  });
}

Status secret_list(const Args&, const Inputs&, Requests& requests, Output& out) {
  return requests.for_each_listed(
      actors::ListSecrets{}, [](const std::string& name) { return name; },
      [&](const std::string& name) { out.value("name", name); });
}

Status secret_delete(const Args& args, const Inputs&, Requests& requests, Output&) {
  SH_ASSIGN_OR_RETURN(std::string name, secret_name(args));
  return requests.call(actors::DeleteSecret{std::move(name)}).status();
}

// ---- the snapshot

Status list(const Args&, const Inputs&, Requests& requests, Output& out) {
  return requests.for_each_listed(
      actors::ListRecords{}, [](const actors::RecordEntry& entry) { return entry.location.to_string(); },
      [&](const actors::RecordEntry& entry) {
        out.result({{"location", entry.location.to_string()},
                    {"type", std::string(vault::key_type_name(entry.type))},
                    {"hint", entry.hint.empty() ? "-" : entry.hint},
                    {"version", std::to_string(entry.version)},
                    {"expires", expiry_text(entry.expires_at)}},
                   Layout::record);
      });
}

Status remove(const Args& args, const Inputs&, Requests& requests, Output&) {
  SH_ASSIGN_OR_RETURN(const Location at, location_option(args, "--at"));
  return requests.call(actors::DeleteKey{at}).status();
}

Status gc(const Args&, const Inputs&, Requests& requests, Output&) {
  return requests.call(actors::CollectGarbage{}).status();
}

Status passwd(const Args&, const Inputs& inputs, Requests& requests, Output&) {
  actors::ChangePassword request;
  SH_ASSIGN_OR_RETURN(const runtime::SecretBuffer* const next, inputs.secret("new password"));
  {
    auto view = next->read();
    SH_ASSIGN_OR_RETURN(request.next, actors::Secret::seal(view.bytes()));
  }
  SH_ASSIGN_OR_RETURN(request.current, requests.command_password(inputs));
  return requests.call(std::move(request)).status();
}

// ---- sharing between devices

Result<actors::Secret> export_password(const Inputs& inputs) {
  SH_ASSIGN_OR_RETURN(const runtime::SecretBuffer* const text, inputs.secret("--export-password-file"));
  auto view = text->read();
  return actors::Secret::seal(view.bytes());
}

Status export_vaults(const Args& args, const Inputs& inputs, Requests& requests, Output& out) {
  SH_ASSIGN_OR_RETURN(const std::string out_path, args.required("--out"));
  if (args.has("--recipient") == args.has("--export-password-file"))
    return Status(Errc::invalid_argument, "give exactly one of --recipient and --export-password-file");
  SH_ASSIGN_OR_RETURN(const Location sender_key, location_option(args, "--sign-with"));
  Result<Bytes> file = Status(Errc::internal, "not exported");
  if (args.has("--recipient")) {
    SH_ASSIGN_OR_RETURN(Bytes recipient, hex_option(args, "--recipient"));
    file = requests.call(actors::ExportVaults{std::move(recipient), sender_key, args.values("--vault")});
  } else {
    SH_ASSIGN_OR_RETURN(actors::Secret password, export_password(inputs));
    file = requests.call(actors::ExportWithPassword{std::move(password), sender_key, args.values("--vault")});
  }
  SH_RETURN_IF_ERROR(file.status());
  return out.new_file(out_path, *file);
}

std::string_view import_action_name(vault::ImportAction action) {
  switch (action) {
    case vault::ImportAction::add: return "add";
    case vault::ImportAction::keep: return "keep";
    case vault::ImportAction::replace: return "replace";
    case vault::ImportAction::skip: return "skip";
  }
  return "unknown";
}

void print_sender(ByteView sender, Output& out) {
  out.result({{"action", "sender"}, {"kind", "ed25519"}, {"name", to_hex(sender)}}, Layout::record);
}

}  // namespace

// One line for the sender (its public key, as `key public` prints it) and one per record.
void print_report(const actors::ImportReport& report, Output& out) {
  if (!report.sender.empty())
    print_sender(report.sender, out);
  for (const actors::ImportedEntry& entry : report.records)
    out.result({{"action", std::string(import_action_name(entry.action))},
                {"kind", entry.kind == vault::ImportedRecord::Kind::secret ? "secret" : "record"},
                {"name", entry.name}},
               Layout::record);
}

Result<vault::Overwrite> merge_option(const Args& args) {
  const std::string merge = args.value("--merge").value_or("keep");
  if (merge != "keep" && merge != "replace")
    return Status(Errc::invalid_argument, "--merge is keep or replace");
  return merge == "keep" ? vault::Overwrite::refuse : vault::Overwrite::replace;
}

namespace {

Result<Bytes> expected_sender_option(const Args& args) {
  if (!args.has("--from"))
    return Bytes();
  SH_ASSIGN_OR_RETURN(Bytes sender, hex_option(args, "--from"));
  if (sender.size() != crypto_sign_PUBLICKEYBYTES)
    return Status(Errc::invalid_argument, "--from is the sender's Ed25519 public key: 64 hex digits");
  return sender;
}

Status import_vaults(const Args& args, const Inputs& inputs, Requests& requests, Output& out) {
  SH_ASSIGN_OR_RETURN(const vault::Overwrite merge, merge_option(args));
  SH_ASSIGN_OR_RETURN(Bytes expected_sender, expected_sender_option(args));
  if (args.has("--key") == args.has("--export-password-file"))
    return Status(Errc::invalid_argument,
                  "give exactly one of --key (the X25519 key it was sent to) and --export-password-file");
  SH_RETURN_IF_ERROR(args.required("--in").status());
  SH_ASSIGN_OR_RETURN(const Bytes* const file, inputs.file("--in"));
  Result<actors::ImportReport> report = Status(Errc::internal, "not imported");
  if (args.has("--key")) {
    SH_ASSIGN_OR_RETURN(const Location key, location_option(args, "--key"));
    report = requests.call(actors::ImportVaults{*file, key, std::move(expected_sender), merge});
  } else {
    SH_ASSIGN_OR_RETURN(actors::Secret password, export_password(inputs));
    report = requests.call(actors::ImportWithPassword{*file, std::move(password), std::move(expected_sender), merge});
  }
  if (!report.ok()) {
    // Refused for its sender, its key or its password: who signed it, once its signature
    // verified, for the importer to check.
    if (report.status().code() == Errc::authentication_failed)
      if (const auto signer = snapshot::export_signer(*file); signer.ok())
        print_sender(*signer, out);
    return report.status();
  }
  print_report(*report, out);
  if (!report->imported)
    return Status(Errc::authentication_failed,
                  "the export's sender is not confirmed: check the fingerprint above and give --from HEX");
  return {};
}

}  // namespace

const std::vector<Command>& vault_commands() {
  static const std::vector<Command> all = {
      {"key generate",
       "key generate --type ed25519|x25519|secp256k1|symmetric --at VAULT/RECORD [--expires DURATION] [--replace]\n"
       "  A new key; prints its public key (a symmetric key has none). A record already at the location\n"
       "  is kept (exit 5) unless --replace is given. --expires 48h: refused after that, removed by gc.",
       {{"--type", "--at", "--expires"}, {"--replace"}, {}},
       {},
       key_generate},
      {"key import",
       "key import --type ed25519|x25519|secp256k1|symmetric --at VAULT/RECORD [--expires DURATION] [--replace]\n"
       "  Stores the private key (a symmetric key: 32 bytes) given as hex on standard input; prints its\n"
       "  public key.",
       {{"--type", "--at", "--expires"}, {"--replace"}, {}},
       {kMaxHexKey},
       key_import},
      {"key public", "key public --at VAULT/RECORD\n  Prints the public key.", {{"--at"}, {}, {}}, {}, key_public},
      {"key expire",
       "key expire --at VAULT/RECORD --in DURATION\n"
       "  The key is refused DURATION (90s, 15m, 48h, 30d) from now, and gc removes it after that.",
       {{"--at", "--in"}, {}, {}},
       {},
       key_expire},
      {"sign",
       "sign --at VAULT/RECORD (--hex HEX | --file PATH) [--prehashed] [--recoverable] [--schnorr] [--keccak]\n"
       "  Ed25519 over the message, or secp256k1 ECDSA (low-S) over SHA-256 of it (over the given 32-byte\n"
       "  digest with --prehashed; over Keccak-256 of it, as Ethereum signs, with --keccak; 65 bytes\n"
       "  r || s || v (v 0 or 1) with --recoverable; BIP340 with --schnorr). Prints the signature.",
       {{"--at", "--hex", "--file"}, {"--prehashed", "--recoverable", "--schnorr", "--keccak"}, {}},
       {0, nullptr, false, "--file"},
       sign},
      {"compare",
       "compare --at VAULT/RECORD < value.hex\n"
       "  Compares the record's secret with the value given as hex on standard input, in constant time;\n"
       "  prints true or false and nothing else about either.",
       {{"--at"}, {}, {}},
       {kMaxHexKey},
       compare},
      {"evm address",
       "evm address --at VAULT/RECORD\n"
       "  Prints the EIP-55 checksummed Ethereum address of a secp256k1 key (its public key only).",
       {{"--at"}, {}, {}},
       {},
       evm_address},
      {"mnemonic generate",
       "mnemonic generate --at VAULT/RECORD [--words 12|24] [--language LANG] [--passphrase-file F] [--replace]\n"
       "  Stores a new BIP39 seed; prints the mnemonic, once. LANG: english (the default), japanese, korean,\n"
       "  spanish, chinese-simplified, chinese-traditional, french, italian, czech or portuguese.",
       {{"--at", "--words", "--language", "--passphrase-file"}, {"--replace"}, {}},
       {},
       mnemonic_generate},
      {"mnemonic recover",
       "mnemonic recover --at VAULT/RECORD [--language LANG] [--passphrase-file F] [--replace]\n"
       "  Stores the seed of the mnemonic given on standard input, in any of the ten languages (found from\n"
       "  its words unless LANG, as for generate, is given). Mnemonic and passphrase are compared and used\n"
       "  in Unicode NFKD form, as BIP39 says.",
       {{"--at", "--language", "--passphrase-file"}, {"--replace"}, {}},
       {vault::kMaxMnemonicInput},
       mnemonic_recover},
      {"seed generate",
       "seed generate --at VAULT/RECORD [--bytes 16..64] [--replace]\n"
       "  Stores a random seed of that many bytes (64 unless given) to derive from.",
       {{"--at", "--bytes"}, {"--replace"}, {}},
       {},
       seed_generate},
      {"derive",
       "derive --from VAULT/RECORD --path P --curve ed25519|secp256k1 --at VAULT/RECORD2 [--replace]\n"
       "  SLIP-10 / BIP32 derivation; prints the public key. --from names a seed, or a key derive made\n"
       "  (its chain code is kept with it): the path is then relative to that key, m/1' its child 1'.",
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
      {"hmac",
       "hmac --at VAULT/RECORD --hash sha256|sha384|sha512 (--hex HEX | --file PATH)\n"
       "  HMAC of the message keyed with the symmetric (or seed) record; prints the tag.",
       {{"--at", "--hash", "--hex", "--file"}, {}, {}},
       {0, nullptr, false, "--file"},
       hmac},
      {"hkdf",
       "hkdf --from VAULT/RECORD --hash sha256|sha384|sha512 --salt HEX --info HEX --at VAULT/RECORD2 [--replace]\n"
       "  HKDF (RFC 5869) of the record into a new 32-byte symmetric key at --at.",
       {{"--from", "--hash", "--salt", "--info", "--at"}, {"--replace"}, {}},
       {},
       hkdf},
      {"kdf pbkdf2",
       "kdf pbkdf2 --at VAULT/RECORD --hash sha256|sha384|sha512 --salt HEX [--rounds N] [--length N] [--replace]\n"
       "    < password\n"
       "  PBKDF2-HMAC of the password on standard input (one trailing newline left out) into a new\n"
       "  symmetric record of --length bytes (32); --rounds 210000 unless given, at most 1000000.",
       {{"--at", "--hash", "--salt", "--rounds", "--length"}, {"--replace"}, {}},
       {kMaxSecret},
       kdf_pbkdf2},
      {"kdf concat",
       "kdf concat --from VAULT/RECORD --hash sha256|sha384|sha512 --alg NAME [--apu HEX] [--apv HEX]\n"
       "    [--pub-info HEX] [--priv-info HEX] [--length N] --at VAULT/RECORD2 [--replace]\n"
       "  The Concat KDF (NIST SP 800-56A) of a shared secret ('dh' stores one) into a new symmetric\n"
       "  record of --length bytes (32), as Stronghold 2.0's ConcatKdf: for RFC 7518's ECDH-ES, --alg is\n"
       "  the content encryption (A128GCM) and --pub-info the key length in bits as 8 hex digits.",
       {{"--from", "--hash", "--alg", "--apu", "--apv", "--pub-info", "--priv-info", "--length", "--at"},
        {"--replace"},
        {}},
       {},
       kdf_concat},
      {"key wrap",
       "key wrap --at VAULT/RECORD --with VAULT/KEK\n"
       "  AES key wrap (RFC 3394) of the symmetric key at --at (16 bytes or more, a multiple of 8) under\n"
       "  the symmetric key at --with (16, 24 or 32 bytes); prints the wrapped key, 8 bytes longer.",
       {{"--at", "--with"}, {}, {}},
       {},
       key_wrap},
      {"key unwrap",
       "key unwrap --hex HEX --with VAULT/KEK --into VAULT/RECORD [--replace]\n"
       "  Unwraps what key wrap printed into a new symmetric record; a wrong KEK or any changed byte\n"
       "  fails the integrity check (exit 5) and stores nothing.",
       {{"--hex", "--with", "--into"}, {"--replace"}, {}},
       {},
       key_unwrap},
      {"aead encrypt",
       "aead encrypt --at VAULT/RECORD (--hex HEX | --stdin) [--ad HEX] [--cipher xchacha20poly1305|aes256gcm]\n"
       "  Encrypts with the symmetric key under a fresh nonce; prints nonce, ciphertext and tag as one hex.\n"
       "  --stdin reads the plaintext as hex from standard input (--hex shows it in the process list).",
       {{"--at", "--hex", "--ad", "--cipher"}, {"--stdin"}, {}},
       {kMaxHexPlaintext, "--stdin"},
       aead_encrypt},
      {"aead decrypt",
       "aead decrypt --at VAULT/RECORD --hex HEX [--ad HEX] [--cipher xchacha20poly1305|aes256gcm]\n"
       "  Decrypts what aead encrypt printed; prints the plaintext as hex. Anything changed: exit 5.",
       {{"--at", "--hex", "--ad", "--cipher"}, {}, {}},
       {},
       aead_decrypt},
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
       {0, nullptr, false, "--in"},
       import_vaults},
      {"passwd",
       "passwd [--new-password-file F]\n  Changes the password (the new one from the file, STRONGHOLD_NEW_PASSWORD, or a prompt;\n"
       "  through strongholdd, the current one is asked for too).",
       {{"--new-password-file"}, {}, {}},
       {0, nullptr, true},
       passwd},
  };
  return all;
}

}  // namespace stronghold::cli
