#include "stronghold/snapshot/transfer.hpp"

#include <algorithm>
#include <tuple>

#include <sodium.h>

#include "stronghold/runtime/byte_codec.hpp"
#include "stronghold/runtime/random.hpp"
#include "stronghold/runtime/scratch.hpp"
#include "stronghold/snapshot/change_codec.hpp"
#include "stronghold/vault/seal.hpp"
#include "stronghold/vault/sign.hpp"
#include "stronghold/vault/verify.hpp"

namespace stronghold::snapshot {
namespace {

using runtime::ScratchFrame;

constexpr std::array<std::uint8_t, 8> kExportMagic = {'S', 'H', 'L', 'D', 'X', 'P', 'R', 'T'};
constexpr std::uint16_t kExportVersion = 2;
constexpr std::uint16_t kUnsignedVersion = 1;
constexpr std::uint8_t kToRecipient = 1;
constexpr std::uint8_t kWithPassword = 2;
constexpr std::size_t kKeySize = 32;
// An export comes from someone else: it may ask for no more than the strong preset.
const KdfParams kMaxImportKdf = kdf_params(KdfPreset::strong);

// transfer key = BLAKE2b-256 keyed by the X25519 shared secret over both public keys.
void transfer_key_from_shared(ByteView shared, ByteView ephemeral_public, ByteView recipient_public,
                              std::span<std::uint8_t> out) {
  crypto_generichash_state state;
  crypto_generichash_init(&state, shared.data(), shared.size(), out.size());
  crypto_generichash_update(&state, ephemeral_public.data(), ephemeral_public.size());
  crypto_generichash_update(&state, recipient_public.data(), recipient_public.size());
  crypto_generichash_final(&state, out.data(), out.size());
  sodium_memzero(&state, sizeof state);
}

// The public key of the Ed25519 key that signs an export, checked before any work.
Result<Bytes> sender_public_key(const vault::Keystore& keystore, const vault::Location& sender_key) {
  SH_ASSIGN_OR_RETURN(Bytes public_key, keystore.public_key(sender_key));
  SH_ASSIGN_OR_RETURN(const vault::RecordInfo info, keystore.info(sender_key));
  if (info.type != vault::KeyType::ed25519)
    return error(Errc::wrong_key_type, "{} holds a {} key; an export is signed with an Ed25519 key",
                 sender_key.to_string(), vault::key_type_name(info.type));
  return public_key;
}

// Everything before the mode's own fields.
Bytes export_header(std::uint8_t mode, ByteView sender_public) {
  Bytes header(kExportMagic.begin(), kExportMagic.end());
  ByteWriter out(header);
  out.u16(kExportVersion);
  out.u8(mode);
  out.raw(sender_public);
  return header;
}

// header | length | sealed payload | the sender's signature over all of it.
Result<Bytes> seal_and_sign(const vault::Keystore& keystore, Bytes header, ByteView transfer_key,
                            const vault::Location& sender_key, const std::vector<std::string>& vault_paths) {
  SH_ASSIGN_OR_RETURN(const vault::ChangeSet exported, keystore.export_vaults(vault_paths, transfer_key));
  SH_ASSIGN_OR_RETURN(const Bytes sealed, vault::seal(transfer_key, header, encode_changes(exported)));
  Bytes file = std::move(header);
  ByteWriter(file).u64(sealed.size());
  file.insert(file.end(), sealed.begin(), sealed.end());
  SH_ASSIGN_OR_RETURN(const Bytes signature, vault::sign_ed25519(keystore, sender_key, file));
  file.insert(file.end(), signature.begin(), signature.end());
  return file;
}

struct ParsedExport {
  std::uint8_t mode = 0;
  ByteView sender;
  ByteView ephemeral_public;
  ByteView kdf_fields;  // ops, memory and salt
  KdfParams kdf{};
  ByteView salt;
  ByteView header;  // the sealed payload's associated data
  ByteView sealed;
  ByteView signed_part;  // everything before the signature
  ByteView signature;
};

Status read_mode_fields(ByteReader& in, ParsedExport& parsed) {
  if (parsed.mode == kToRecipient) {
    in.raw(crypto_scalarmult_BYTES, parsed.ephemeral_public);
    return {};
  }
  if (parsed.mode != kWithPassword)
    return Status(Errc::unsupported, "unknown export mode");
  if (in.raw(4 + 8 + crypto_pwhash_SALTBYTES, parsed.kdf_fields)) {
    ByteReader fields(parsed.kdf_fields);
    fields.u32(parsed.kdf.ops), fields.u64(parsed.kdf.memory), fields.raw(crypto_pwhash_SALTBYTES, parsed.salt);
  }
  return {};
}

Result<ParsedExport> parse_export(ByteView file) {
  ByteReader in(file);
  ByteView magic;
  std::uint16_t version = 0;
  ParsedExport parsed;
  if (!in.raw(kExportMagic.size(), magic) || !std::equal(magic.begin(), magic.end(), kExportMagic.begin()))
    return Status(Errc::corrupted, "not a stronghold export (no SHLDXPRT magic)");
  if (in.u16(version) && version == kUnsignedVersion)
    return Status(Errc::unsupported,
                  "this export has format version 1, which its sender did not sign, and is no longer imported: "
                  "ask the sender to export it again with a newer stronghold");
  if (version != kExportVersion)
    return error(Errc::unsupported, "export format version {} is not supported", version);
  in.u8(parsed.mode);
  in.raw(crypto_sign_PUBLICKEYBYTES, parsed.sender);
  SH_RETURN_IF_ERROR(read_mode_fields(in, parsed));
  std::uint64_t sealed_size = 0;
  const std::size_t header_size = in.position();
  if (!in.u64(sealed_size))
    return Status(Errc::corrupted, "the export header is truncated");
  parsed.header = file.first(header_size);
  if (in.remaining() < crypto_sign_BYTES || sealed_size != in.remaining() - crypto_sign_BYTES)
    return Status(Errc::corrupted, "the export is cut short, or has bytes after its signature");
  in.raw(sealed_size, parsed.sealed);
  parsed.signed_part = file.first(in.position());
  in.raw(crypto_sign_BYTES, parsed.signature);
  return parsed;
}

// The export parsed and its signature verified: the first thing done with a file.
Result<ParsedExport> parse_signed_export(ByteView file) {
  SH_ASSIGN_OR_RETURN(ParsedExport parsed, parse_export(file));
  if (!vault::verify_ed25519(parsed.sender, parsed.signed_part, parsed.signature))
    return Status(Errc::authentication_failed,
                  "the export's signature does not verify: it was changed after it was signed, or not signed by "
                  "the sender it names");
  return parsed;
}

}  // namespace

Result<Bytes> export_signer(ByteView file) {
  SH_ASSIGN_OR_RETURN(const ParsedExport parsed, parse_signed_export(file));
  return Bytes(parsed.sender.begin(), parsed.sender.end());
}

namespace {

// The signed export, its sender in `plan`, and the sender checked against the expected one.
Result<ParsedExport> parse_from_sender(ByteView file, const ImportOptions& options, ImportPlan& plan) {
  plan = {};
  if (!options.expected_sender.empty() && options.expected_sender.size() != crypto_sign_PUBLICKEYBYTES)
    return Status(Errc::invalid_argument, "an expected sender is a 32-byte Ed25519 public key");
  SH_ASSIGN_OR_RETURN(ParsedExport parsed, parse_signed_export(file));
  plan.sender.assign(parsed.sender.begin(), parsed.sender.end());
  if (!options.expected_sender.empty() && plan.sender != options.expected_sender)
    return error(Errc::authentication_failed, "the export is signed by {}, not by the expected sender {}",
                 to_hex(plan.sender), to_hex(options.expected_sender));
  return parsed;
}

// Opens the payload and imports it into `tx`; only plans it when the sender is not confirmed.
Status open_and_import(vault::Transaction& tx, const ParsedExport& parsed, ByteView transfer_key,
                       const ImportOptions& options, ImportPlan& plan) {
  if (parsed.sealed.size() < vault::kSealNonceSize + vault::kSealTagSize)
    return Status(Errc::corrupted, "the export is truncated");
  Bytes payload(parsed.sealed.size() - vault::kSealNonceSize - vault::kSealTagSize);
  if (!vault::open(transfer_key, parsed.header, parsed.sealed, payload).ok())
    return Status(Errc::authentication_failed, "the export does not open with this key or password (or is damaged)");
  SH_ASSIGN_OR_RETURN(const vault::ChangeSet exported, decode_changes(payload));
  // A password authenticates its sender; a recipient's public key does not.
  const bool sender_confirmed = parsed.mode == kWithPassword || !options.expected_sender.empty();
  vault::Transaction preview(tx.keystore());
  vault::Transaction& into = sender_confirmed ? tx : preview;
  SH_ASSIGN_OR_RETURN(plan.records, into.import_vaults(exported, transfer_key, options.merge == MergePolicy::replace));
  std::sort(plan.records.begin(), plan.records.end(), [](const auto& a, const auto& b) {
    return std::tie(a.kind, a.name) < std::tie(b.kind, b.name);  // records, then secrets, by name
  });
  plan.complete = true;
  if (!sender_confirmed)
    return Status(Errc::authentication_failed,
                  "the export's sender is not confirmed: an export sealed to a key is "
                  "imported only from the sender the importer names");
  return {};
}

// Argon2id of `password`, shielded.
Result<runtime::ShieldedSecret> derive_transfer_key(ByteView password, ByteView salt, KdfParams kdf) {
  ScratchFrame frame;
  SH_ASSIGN_OR_RETURN(auto key, frame.take(kKeySize));
  SH_RETURN_IF_ERROR(derive_from_password(password, salt, kdf, key));
  return runtime::ShieldedSecret::seal(key);
}

}  // namespace

Result<Bytes> export_to_recipient(const vault::Keystore& keystore, ByteView recipient_public_key,
                                  const vault::Location& sender_key, const std::vector<std::string>& vault_paths) {
  if (recipient_public_key.size() != crypto_scalarmult_BYTES)
    return Status(Errc::invalid_argument, "a recipient key is a 32-byte X25519 public key");
  SH_ASSIGN_OR_RETURN(const Bytes sender_public, sender_public_key(keystore, sender_key));
  ScratchFrame frame;
  SH_ASSIGN_OR_RETURN(auto ephemeral_secret, frame.take(crypto_scalarmult_SCALARBYTES));
  SH_ASSIGN_OR_RETURN(auto shared, frame.take(crypto_scalarmult_BYTES));
  SH_ASSIGN_OR_RETURN(auto transfer_key, frame.take(kKeySize));
  runtime::random_bytes(ephemeral_secret);
  std::uint8_t ephemeral_public[crypto_scalarmult_BYTES];
  crypto_scalarmult_base(ephemeral_public, ephemeral_secret.data());
  if (crypto_scalarmult(shared.data(), ephemeral_secret.data(), recipient_public_key.data()) != 0)
    return Status(Errc::invalid_key, "the recipient key has a low order");
  transfer_key_from_shared(shared, ephemeral_public, recipient_public_key, transfer_key);
  Bytes header = export_header(kToRecipient, sender_public);
  header.insert(header.end(), ephemeral_public, ephemeral_public + sizeof ephemeral_public);
  return seal_and_sign(keystore, std::move(header), transfer_key, sender_key, vault_paths);
}

Result<TransferPassword> TransferPassword::for_export(ByteView password, KdfPreset preset) {
  const KdfParams kdf = kdf_params(preset);
  std::uint8_t salt[crypto_pwhash_SALTBYTES];
  runtime::random_bytes(salt);
  Bytes kdf_fields;
  ByteWriter out(kdf_fields);
  out.u32(kdf.ops);
  out.u64(kdf.memory);
  out.raw(salt);
  SH_ASSIGN_OR_RETURN(runtime::ShieldedSecret key, derive_transfer_key(password, salt, kdf));
  return TransferPassword(std::move(kdf_fields), std::move(key));
}

Result<TransferPassword> TransferPassword::for_import(ByteView file, ByteView password) {
  SH_ASSIGN_OR_RETURN(const ParsedExport parsed, parse_signed_export(file));
  if (parsed.mode != kWithPassword)
    return Status(Errc::invalid_argument, "this export is sealed to a key, not to a password");
  SH_RETURN_IF_ERROR(check_kdf_cost(parsed.kdf, kMaxImportKdf, "the export"));
  SH_ASSIGN_OR_RETURN(runtime::ShieldedSecret key, derive_transfer_key(password, parsed.salt, parsed.kdf));
  return TransferPassword(Bytes(parsed.kdf_fields.begin(), parsed.kdf_fields.end()), std::move(key));
}

Result<Bytes> export_with_password(const vault::Keystore& keystore, const TransferPassword& password,
                                   const vault::Location& sender_key, const std::vector<std::string>& vault_paths) {
  SH_ASSIGN_OR_RETURN(const Bytes sender_public, sender_public_key(keystore, sender_key));
  ScratchFrame frame;
  SH_ASSIGN_OR_RETURN(auto transfer_key, frame.take(kKeySize));
  SH_RETURN_IF_ERROR(password.key_.open(transfer_key));
  Bytes header = export_header(kWithPassword, sender_public);
  header.insert(header.end(), password.kdf_fields_.begin(), password.kdf_fields_.end());
  return seal_and_sign(keystore, std::move(header), transfer_key, sender_key, vault_paths);
}

Status import_with_key(vault::Transaction& tx, ByteView file, const vault::Location& recipient_key,
                       const ImportOptions& options, ImportPlan& plan) {
  SH_ASSIGN_OR_RETURN(const ParsedExport parsed, parse_from_sender(file, options, plan));
  if (parsed.mode != kToRecipient)
    return Status(Errc::invalid_argument, "this export is sealed to a password, not to a key");
  SH_ASSIGN_OR_RETURN(const Bytes recipient_public, tx.keystore().public_key(recipient_key));
  return tx.keystore().use(recipient_key, vault::key_types(vault::KeyType::x25519),
                           [&](ByteView secret, const vault::RecordView&) {
                             ScratchFrame frame;
                             SH_ASSIGN_OR_RETURN(auto shared, frame.take(crypto_scalarmult_BYTES));
                             SH_ASSIGN_OR_RETURN(auto transfer_key, frame.take(kKeySize));
                             if (crypto_scalarmult(shared.data(), secret.data(), parsed.ephemeral_public.data()) != 0)
                               return Status(Errc::corrupted, "the export's ephemeral key has a low order");
                             transfer_key_from_shared(shared, parsed.ephemeral_public, recipient_public, transfer_key);
                             return open_and_import(tx, parsed, transfer_key, options, plan);
                           });
}

Status import_with_password(vault::Transaction& tx, ByteView file, const TransferPassword& password,
                            const ImportOptions& options, ImportPlan& plan) {
  SH_ASSIGN_OR_RETURN(const ParsedExport parsed, parse_from_sender(file, options, plan));
  if (parsed.mode != kWithPassword || !std::equal(parsed.kdf_fields.begin(), parsed.kdf_fields.end(),
                                                  password.kdf_fields_.begin(), password.kdf_fields_.end()))
    return Status(Errc::invalid_argument, "the password was prepared for another export");
  ScratchFrame frame;
  SH_ASSIGN_OR_RETURN(auto transfer_key, frame.take(kKeySize));
  SH_RETURN_IF_ERROR(password.key_.open(transfer_key));
  return open_and_import(tx, parsed, transfer_key, options, plan);
}

}  // namespace stronghold::snapshot
