#include "stronghold/snapshot/transfer.hpp"

#include <algorithm>

#include <sodium.h>

#include "byte_codec.hpp"
#include "stronghold/runtime/random.hpp"
#include "stronghold/runtime/scratch.hpp"
#include "stronghold/snapshot/change_codec.hpp"
#include "stronghold/vault/seal.hpp"

namespace stronghold::snapshot {
namespace {

using runtime::ScratchFrame;

constexpr std::array<std::uint8_t, 8> kExportMagic = {'S', 'H', 'L', 'D', 'X', 'P', 'R', 'T'};
constexpr std::uint16_t kExportVersion = 1;
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

Result<Bytes> seal_export(const vault::Keystore& keystore, Bytes header, ByteView transfer_key,
                          const std::vector<std::string>& vault_paths) {
  SH_ASSIGN_OR_RETURN(const vault::ChangeSet exported, keystore.export_vaults(vault_paths, transfer_key));
  SH_ASSIGN_OR_RETURN(Bytes sealed, vault::seal(transfer_key, header, encode_changes(exported)));
  header.insert(header.end(), sealed.begin(), sealed.end());
  return header;
}

Bytes export_header(std::uint8_t mode) {
  Bytes header(kExportMagic.begin(), kExportMagic.end());
  ByteWriter out(header);
  out.u16(kExportVersion);
  out.u8(mode);
  return header;
}

struct ParsedExport {
  std::uint8_t mode = 0;
  ByteView ephemeral_public;
  std::uint32_t ops = 0;
  std::uint64_t memory = 0;
  ByteView salt;
  ByteView header;  // everything before the sealed payload
  ByteView sealed;
};

Result<ParsedExport> parse_export(ByteView file) {
  ByteReader in(file);
  ByteView magic;
  std::uint16_t version = 0;
  ParsedExport parsed;
  if (!in.raw(kExportMagic.size(), magic) || !std::equal(magic.begin(), magic.end(), kExportMagic.begin()))
    return Status(Errc::corrupted, "not a stronghold export (no SHLDXPRT magic)");
  if (!in.u16(version) || version != kExportVersion)
    return error(Errc::unsupported, "export format version {} is not supported", version);
  in.u8(parsed.mode);
  if (parsed.mode == kToRecipient)
    in.raw(crypto_scalarmult_BYTES, parsed.ephemeral_public);
  else if (parsed.mode == kWithPassword)
    in.u32(parsed.ops), in.u64(parsed.memory), in.raw(crypto_pwhash_SALTBYTES, parsed.salt);
  else
    return Status(Errc::unsupported, "unknown export mode");
  if (!in.ok())
    return Status(Errc::corrupted, "the export header is truncated");
  parsed.header = file.first(in.position());
  parsed.sealed = file.subspan(in.position());
  return parsed;
}

Result<vault::Transaction::ImportCounts> open_and_import(vault::Transaction& tx, const ParsedExport& parsed,
                                                         ByteView transfer_key, MergePolicy policy) {
  if (parsed.sealed.size() < vault::kSealNonceSize + vault::kSealTagSize)
    return Status(Errc::corrupted, "the export is truncated");
  Bytes payload(parsed.sealed.size() - vault::kSealNonceSize - vault::kSealTagSize);
  if (!vault::open(transfer_key, parsed.header, parsed.sealed, payload).ok())
    return Status(Errc::authentication_failed, "the export does not open with this key or password (or is damaged)");
  SH_ASSIGN_OR_RETURN(const vault::ChangeSet exported, decode_changes(payload));
  return tx.import_vaults(exported, transfer_key, policy == MergePolicy::replace);
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
                                  const std::vector<std::string>& vault_paths) {
  if (recipient_public_key.size() != crypto_scalarmult_BYTES)
    return Status(Errc::invalid_argument, "a recipient key is a 32-byte X25519 public key");
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
  Bytes header = export_header(kToRecipient);
  header.insert(header.end(), ephemeral_public, ephemeral_public + sizeof ephemeral_public);
  return seal_export(keystore, std::move(header), transfer_key, vault_paths);
}

Result<TransferPassword> TransferPassword::for_export(ByteView password, KdfPreset preset) {
  const KdfParams kdf = kdf_params(preset);
  std::uint8_t salt[crypto_pwhash_SALTBYTES];
  runtime::random_bytes(salt);
  Bytes header = export_header(kWithPassword);
  ByteWriter out(header);
  out.u32(kdf.ops);
  out.u64(kdf.memory);
  out.raw(salt);
  SH_ASSIGN_OR_RETURN(runtime::ShieldedSecret key, derive_transfer_key(password, salt, kdf));
  return TransferPassword(std::move(header), std::move(key));
}

Result<TransferPassword> TransferPassword::for_import(ByteView file, ByteView password) {
  SH_ASSIGN_OR_RETURN(const ParsedExport parsed, parse_export(file));
  if (parsed.mode != kWithPassword)
    return Status(Errc::invalid_argument, "this export is sealed to a key, not to a password");
  const KdfParams cost{parsed.ops, parsed.memory};
  SH_RETURN_IF_ERROR(check_kdf_cost(cost, kMaxImportKdf, "the export"));
  SH_ASSIGN_OR_RETURN(runtime::ShieldedSecret key, derive_transfer_key(password, parsed.salt, cost));
  return TransferPassword(Bytes(parsed.header.begin(), parsed.header.end()), std::move(key));
}

Result<Bytes> export_with_password(const vault::Keystore& keystore, const TransferPassword& password,
                                   const std::vector<std::string>& vault_paths) {
  ScratchFrame frame;
  SH_ASSIGN_OR_RETURN(auto transfer_key, frame.take(kKeySize));
  SH_RETURN_IF_ERROR(password.key_.open(transfer_key));
  return seal_export(keystore, password.header_, transfer_key, vault_paths);
}

Result<vault::Transaction::ImportCounts> import_with_key(vault::Transaction& tx, ByteView file,
                                                         const vault::Location& recipient_key, MergePolicy policy) {
  SH_ASSIGN_OR_RETURN(const ParsedExport parsed, parse_export(file));
  if (parsed.mode != kToRecipient)
    return Status(Errc::invalid_argument, "this export is sealed to a password, not to a key");
  SH_ASSIGN_OR_RETURN(const Bytes recipient_public, tx.keystore().public_key(recipient_key));
  Result<vault::Transaction::ImportCounts> result = Status(Errc::internal, "not imported");
  SH_RETURN_IF_ERROR(tx.keystore().use(recipient_key, vault::key_types(vault::KeyType::x25519),
                                       [&](ByteView secret, const vault::Record&) {
                                         ScratchFrame frame;
                                         SH_ASSIGN_OR_RETURN(auto shared, frame.take(crypto_scalarmult_BYTES));
                                         SH_ASSIGN_OR_RETURN(auto transfer_key, frame.take(kKeySize));
                                         if (crypto_scalarmult(shared.data(), secret.data(),
                                                               parsed.ephemeral_public.data()) != 0)
                                           return Status(Errc::corrupted, "the export's ephemeral key has a low order");
                                         transfer_key_from_shared(shared, parsed.ephemeral_public, recipient_public,
                                                                  transfer_key);
                                         result = open_and_import(tx, parsed, transfer_key, policy);
                                         return result.status();
                                       }));
  return result;
}

Result<vault::Transaction::ImportCounts> import_with_password(vault::Transaction& tx, ByteView file,
                                                              const TransferPassword& password, MergePolicy policy) {
  SH_ASSIGN_OR_RETURN(const ParsedExport parsed, parse_export(file));
  if (!std::equal(parsed.header.begin(), parsed.header.end(), password.header_.begin(), password.header_.end()))
    return Status(Errc::invalid_argument, "the password was prepared for another export");
  ScratchFrame frame;
  SH_ASSIGN_OR_RETURN(auto transfer_key, frame.take(kKeySize));
  SH_RETURN_IF_ERROR(password.key_.open(transfer_key));
  return open_and_import(tx, parsed, transfer_key, policy);
}

}  // namespace stronghold::snapshot
