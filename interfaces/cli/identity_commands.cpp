// The commands on the identity storage (IOTA Identity's Storage interface): DIDs, their keys,
// encryption to their X25519 keys, and their chain state and document.
#include "command.hpp"

#include "options.hpp"
#include "requests.hpp"
#include "stronghold/vault/identity.hpp"
#include "stronghold/vault/jwe.hpp"

namespace stronghold::cli {
namespace {

constexpr std::size_t kMaxHexKey = 1024;

using actors::Secret;
using vault::Did;
using vault::IdentityKeyType;
using vault::KeyLocation;

Result<Did> did_option(const Args& args) {
  SH_ASSIGN_OR_RETURN(const std::string text, args.required("--did"));
  return Did::parse(text);
}

Status did_not_found(const Did& did) {
  return error(Errc::did_not_found, "the snapshot holds no DID {}", did.to_string());
}

// An answer of false (no such DID or key) as not_found: exit 3.
Status found_or(Result<bool> found, const Status& absent) {
  SH_RETURN_IF_ERROR(found.status());
  return *found ? Status() : absent;
}

Result<IdentityKeyType> identity_type_option(const Args& args) {
  SH_ASSIGN_OR_RETURN(const std::string name, args.required("--type"));
  if (name == "ed25519")
    return IdentityKeyType::ed25519;
  if (name == "x25519")
    return IdentityKeyType::x25519;
  return error(Errc::invalid_argument, "--type is ed25519 or x25519, not '{}'", name);
}

// --location of either type: the stored key tells which.
Result<KeyLocation> key_location_option(Requests& requests, const Did& did, const Args& args) {
  SH_ASSIGN_OR_RETURN(const std::string text, args.required("--location"));
  for (const auto type : {IdentityKeyType::ed25519, IdentityKeyType::x25519}) {
    SH_ASSIGN_OR_RETURN(auto location, KeyLocation::parse(type, text));
    SH_ASSIGN_OR_RETURN(const bool exists, requests.call(actors::DidKeyExists{did, location}));
    if (exists)
      return location;
  }
  SH_RETURN_IF_ERROR(found_or(requests.call(actors::DidExists{did}), did_not_found(did)));
  return error(Errc::not_found, "DID {} holds no key at {}", did.to_string(), text);
}

// ---- DIDs

Status did_create(const Args& args, const Inputs& inputs, Requests& requests, Output& out) {
  actors::DidCreate request{args.value("--network").value_or("main"), args.value("--fragment").value_or("sign-0"), {}};
  if (args.has("--import")) {
    SH_ASSIGN_OR_RETURN(request.private_key, hex_secret(inputs));
    if (request.private_key.size() != 32)
      return Status(Errc::invalid_key, "--import reads a 32-byte Ed25519 private key as 64 hex digits");
  }
  SH_ASSIGN_OR_RETURN(const actors::DidCreated created, requests.call(std::move(request)));
  out.result({{"did", created.did.to_string()}, {"location", created.location.canonical()}},
             Output::Layout::value_per_line);
  return {};
}

Status did_list(const Args&, const Inputs&, Requests& requests, Output& out) {
  return requests.for_each_listed(
      actors::DidList{}, [](const Did& did) { return did.to_string(); },
      [&](const Did& did) { out.value("did", did.to_string()); });
}

Status did_exists(const Args& args, const Inputs&, Requests& requests, Output&) {
  SH_ASSIGN_OR_RETURN(const Did did, did_option(args));
  return found_or(requests.call(actors::DidExists{did}), did_not_found(did));
}

Status did_purge(const Args& args, const Inputs&, Requests& requests, Output&) {
  SH_ASSIGN_OR_RETURN(const Did did, did_option(args));
  return found_or(requests.call(actors::DidPurge{did}), did_not_found(did));
}

// ---- a DID's keys

Status did_sign(const Args& args, const Inputs&, Requests& requests, Output& out) {
  SH_ASSIGN_OR_RETURN(const Did did, did_option(args));
  SH_ASSIGN_OR_RETURN(Bytes message, hex_option(args, "--hex"));
  SH_ASSIGN_OR_RETURN(KeyLocation location, key_location_option(requests, did, args));
  SH_ASSIGN_OR_RETURN(const std::vector<Bytes> signatures,
                      requests.call(actors::DidKeySign{did, std::move(location), {std::move(message)}}));
  if (signatures.size() != 1)
    return Status(Errc::internal, "one message got other than one signature");
  out.value("signature", to_hex(signatures.front()));
  return {};
}

Status did_public(const Args& args, const Inputs&, Requests& requests, Output& out) {
  SH_ASSIGN_OR_RETURN(const Did did, did_option(args));
  SH_ASSIGN_OR_RETURN(KeyLocation location, key_location_option(requests, did, args));
  SH_ASSIGN_OR_RETURN(const Bytes public_key, requests.call(actors::DidKeyPublic{did, std::move(location)}));
  out.value("public_key", to_hex(public_key));
  return {};
}

Status did_key_generate(const Args& args, const Inputs&, Requests& requests, Output& out) {
  actors::DidKeyGenerate request;
  SH_ASSIGN_OR_RETURN(request.did, did_option(args));
  SH_ASSIGN_OR_RETURN(request.type, identity_type_option(args));
  SH_ASSIGN_OR_RETURN(request.fragment, args.required("--fragment"));
  SH_ASSIGN_OR_RETURN(const KeyLocation location, requests.call(std::move(request)));
  out.value("location", location.canonical());
  return {};
}

// The location is the one IOTA Identity makes for the key: its fragment and its public key's hash.
Status did_key_insert(const Args& args, const Inputs& inputs, Requests& requests, Output& out) {
  actors::DidKeyInsert request;
  SH_ASSIGN_OR_RETURN(request.did, did_option(args));
  SH_ASSIGN_OR_RETURN(const IdentityKeyType type, identity_type_option(args));
  SH_ASSIGN_OR_RETURN(const std::string fragment, args.required("--fragment"));
  SH_ASSIGN_OR_RETURN(request.private_key, hex_secret(inputs));
  SH_RETURN_IF_ERROR(request.private_key.open([&](ByteView private_key) -> Status {
    SH_ASSIGN_OR_RETURN(const Bytes public_key, vault::identity_key_public(type, private_key));
    SH_ASSIGN_OR_RETURN(request.location, KeyLocation::make(type, fragment, public_key));
    return {};
  }));
  const std::string location = request.location.canonical();
  SH_RETURN_IF_ERROR(requests.call(std::move(request)).status());
  out.value("location", location);
  return {};
}

Status did_key_delete(const Args& args, const Inputs&, Requests& requests, Output&) {
  SH_ASSIGN_OR_RETURN(const Did did, did_option(args));
  SH_ASSIGN_OR_RETURN(KeyLocation location, key_location_option(requests, did, args));
  return requests.call(actors::DidKeyDelete{did, std::move(location)}).status();
}

Status did_key_exists(const Args& args, const Inputs&, Requests& requests, Output&) {
  SH_ASSIGN_OR_RETURN(const Did did, did_option(args));
  return key_location_option(requests, did, args).status();
}

// ---- encryption to a DID's X25519 key (JWE-style: ECDH-ES, or ECDH-ES+A256KW with --wrap)

// --kdf identity (IOTA Identity 0.6's Concat KDF, the default) or rfc7518 (vault/jwe.hpp).
Result<vault::AgreementInfo> agreement_option(const Args& args) {
  vault::AgreementInfo agreement;
  const std::string form = args.value("--kdf").value_or("identity");
  if (form == "rfc7518")
    agreement.form = vault::KdfForm::rfc7518;
  else if (form != "identity")
    return error(Errc::invalid_argument, "--kdf is identity or rfc7518, not '{}'", form);
  return agreement;
}

Status did_encrypt(const Args& args, const Inputs& inputs, Requests& requests, Output& out) {
  SH_ASSIGN_OR_RETURN(const Did did, did_option(args));
  SH_ASSIGN_OR_RETURN(KeyLocation location, key_location_option(requests, did, args));
  if (location.type() != IdentityKeyType::x25519)
    return Status(Errc::wrong_key_type, "data is encrypted to an X25519 key");
  SH_ASSIGN_OR_RETURN(const Bytes recipient, requests.call(actors::DidKeyPublic{did, std::move(location)}));
  SH_ASSIGN_OR_RETURN(const Secret plaintext, plaintext_option(args, inputs));
  Bytes associated_data;
  if (args.has("--ad")) {
    SH_ASSIGN_OR_RETURN(associated_data, hex_option(args, "--ad"));
  }
  const auto management = args.has("--wrap") ? vault::KeyManagement::ecdh_es_a256kw : vault::KeyManagement::ecdh_es;
  SH_ASSIGN_OR_RETURN(const vault::AgreementInfo agreement, agreement_option(args));
  vault::EncryptedData data;
  SH_RETURN_IF_ERROR(plaintext.open([&](ByteView bytes) -> Status {
    SH_ASSIGN_OR_RETURN(data, vault::jwe_encrypt(bytes, associated_data, vault::ContentEncryption::aes256gcm,
                                                 management, agreement, recipient));
    return {};
  }));
  Output::Fields fields = {{"ciphertext", to_hex(data.ciphertext)},
                           {"nonce", to_hex(data.nonce)},
                           {"tag", to_hex(data.tag)},
                           {"epk", to_hex(data.ephemeral_public_key)}};
  if (!data.encrypted_cek.empty())
    fields.emplace_back("cek", to_hex(data.encrypted_cek));
  out.result(fields, Output::Layout::value_per_line);
  return {};
}

Status did_decrypt(const Args& args, const Inputs&, Requests& requests, Output& out) {
  actors::DidDecrypt request;
  SH_ASSIGN_OR_RETURN(request.did, did_option(args));
  SH_ASSIGN_OR_RETURN(request.location, key_location_option(requests, request.did, args));
  SH_ASSIGN_OR_RETURN(request.data.ciphertext, hex_option(args, "--ciphertext"));
  SH_ASSIGN_OR_RETURN(request.data.nonce, hex_option(args, "--nonce"));
  SH_ASSIGN_OR_RETURN(request.data.tag, hex_option(args, "--tag"));
  SH_ASSIGN_OR_RETURN(request.data.ephemeral_public_key, hex_option(args, "--epk"));
  SH_ASSIGN_OR_RETURN(request.agreement, agreement_option(args));
  if (args.has("--ad")) {
    SH_ASSIGN_OR_RETURN(request.data.associated_data, hex_option(args, "--ad"));
  }
  if (args.has("--cek")) {
    SH_ASSIGN_OR_RETURN(request.data.encrypted_cek, hex_option(args, "--cek"));
    request.management = vault::KeyManagement::ecdh_es_a256kw;
  }
  SH_ASSIGN_OR_RETURN(const Secret plaintext, requests.call(std::move(request)));
  return plaintext.open([&](ByteView bytes) { return print_secret_hex(out, "plaintext", bytes); });
}

// ---- a DID's chain state and document (JSON)

template <vault::IdentityValue kWhich>
Status value_get(const Args& args, const Inputs&, Requests& requests, Output& out) {
  SH_ASSIGN_OR_RETURN(const Did did, did_option(args));
  SH_ASSIGN_OR_RETURN(const actors::IdentityJson value, requests.call(actors::DidValueGet{did, kWhich}));
  if (!value.present)
    return error(Errc::not_found, "DID {} has no {} stored", did.to_string(),
                 kWhich == vault::IdentityValue::chain_state ? "chain state" : "document");
  out.value(kWhich == vault::IdentityValue::chain_state ? "chain_state" : "document", value.json);
  return {};
}

template <vault::IdentityValue kWhich>
Status value_set(const Args& args, const Inputs& inputs, Requests& requests, Output&) {
  SH_ASSIGN_OR_RETURN(const Did did, did_option(args));
  if (args.has("--value") == args.has("--file"))
    return Status(Errc::invalid_argument, "give the JSON with exactly one of --value and --file");
  std::string json;
  if (args.has("--value")) {
    json = *args.value("--value");
  } else {
    SH_ASSIGN_OR_RETURN(const Bytes* const file, inputs.file("--file"));
    json.assign(file->begin(), file->end());
  }
  if (json.size() > vault::kMaxIdentityValueSize)
    return error(Errc::invalid_argument, "the JSON is larger than {} bytes", vault::kMaxIdentityValueSize);
  return requests.call(actors::DidValueSet{did, kWhich, std::move(json)}).status();
}

}  // namespace

const std::vector<Command>& identity_commands() {
  using vault::IdentityValue;
  static const std::vector<Command> all = {
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
      {"did exists",
       "did exists --did DID\n  Exit 0 when the DID is here, 3 when it is not.",
       {{"--did"}, {}, {}},
       {},
       did_exists},
      {"did key generate",
       "did key generate --did DID --type ed25519|x25519 --fragment F\n  A new key of the DID; prints its location.",
       {{"--did", "--type", "--fragment"}, {}, {}},
       {},
       did_key_generate},
      {"did key insert",
       "did key insert --did DID --type ed25519|x25519 --fragment F\n"
       "  Stores the private key given as hex on standard input; prints its location.",
       {{"--did", "--type", "--fragment"}, {}, {}},
       {kMaxHexKey},
       did_key_insert},
      {"did key delete",
       "did key delete --did DID --location L\n  Deletes the key (exit 3 when there is none).",
       {{"--did", "--location"}, {}, {}},
       {},
       did_key_delete},
      {"did key exists",
       "did key exists --did DID --location L\n  Exit 0 when the key is here, 3 when it is not.",
       {{"--did", "--location"}, {}, {}},
       {},
       did_key_exists},
      {"did encrypt",
       "did encrypt --did DID --location L (--hex HEX | --stdin) [--ad HEX] [--wrap] [--kdf identity|rfc7518]\n"
       "  Encrypts to the DID's X25519 key (ECDH-ES, or ECDH-ES+A256KW with --wrap; AES-256-GCM);\n"
       "  prints ciphertext, nonce, tag, epk (and cek with --wrap), one per line. --stdin: as aead encrypt.\n"
       "  --kdf: the Concat KDF as IOTA Identity 0.6 computes it (default) or as RFC 7518 does.",
       {{"--did", "--location", "--hex", "--ad", "--kdf"}, {"--wrap", "--stdin"}, {}},
       {kMaxHexPlaintext, "--stdin"},
       did_encrypt},
      {"did decrypt",
       "did decrypt --did DID --location L --ciphertext HEX --nonce HEX --tag HEX --epk HEX [--cek HEX] [--ad HEX]\n"
       "            [--kdf identity|rfc7518]\n"
       "  Decrypts what did encrypt printed (with the same --kdf); prints the plaintext as hex. Anything\n"
       "  changed: exit 5.",
       {{"--did", "--location", "--ciphertext", "--nonce", "--tag", "--epk", "--cek", "--ad", "--kdf"}, {}, {}},
       {},
       did_decrypt},
      {"did state get",
       "did state get --did DID\n  Prints the DID's chain state (exit 3 when it has none).",
       {{"--did"}, {}, {}},
       {},
       value_get<IdentityValue::chain_state>},
      {"did state set",
       "did state set --did DID (--value JSON | --file PATH)\n  Stores the DID's chain state.",
       {{"--did", "--value", "--file"}, {}, {}},
       {0, nullptr, false, "--file"},
       value_set<IdentityValue::chain_state>},
      {"did document get",
       "did document get --did DID\n  Prints the DID's document (exit 3 when it has none).",
       {{"--did"}, {}, {}},
       {},
       value_get<IdentityValue::document>},
      {"did document set",
       "did document set --did DID (--value JSON | --file PATH)\n  Stores the DID's document.",
       {{"--did", "--value", "--file"}, {}, {}},
       {0, nullptr, false, "--file"},
       value_set<IdentityValue::document>},
  };
  return all;
}

}  // namespace stronghold::cli
