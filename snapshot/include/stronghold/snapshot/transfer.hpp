// Sharing between devices: a snapshot's vaults exported into one file sealed to a recipient's
// X25519 public key or to a password, signed by the sender, and imported into another snapshot.
//
// File (format version 2; integers little-endian):
//   magic "SHLDXPRT" | version u16 | mode u8 (1 recipient, 2 password)
//   | the sender's Ed25519 public key (32)
//   | mode 1: the sender's ephemeral X25519 public key (32);
//     mode 2: Argon2id ops u32, memory u64 and salt (16)
//   | length u64 of the sealed payload
//   | the exported change set sealed with XChaCha20-Poly1305 under the transfer key (associated
//     data: everything before the length, so the payload is bound to its sender)
//   | Ed25519 signature (64) by the sender's key over every byte before it.
// The length makes the signed part explicit: a file is exactly that long plus the signature.
// Inside, vault keys are wrapped under the transfer key and records keep their seals, so a
// record is decrypted only while it is re-sealed on import.
//
// Why the signature: an export sealed to a recipient's public key could be made by anyone who
// knows that key. The importer names the sender it expects (the Ed25519 public key the sender
// gives it by another channel); an export signed by anyone else is refused before it is opened.
// Version 1 files, which were not signed, are refused as unsupported.
//
// The model, honestly: an import copies the secrets. The sender cannot take them back; to
// revoke a shared vault on the receiving side, delete its records there and collect garbage
// (and compact, so that no older file version keeps them).
#pragma once

#include <string>
#include <vector>

#include "stronghold/runtime/shield.hpp"
#include "stronghold/snapshot/format.hpp"
#include "stronghold/vault/keystore.hpp"

namespace stronghold::snapshot {

enum class MergePolicy { keep_existing, replace };

struct ImportOptions {
  MergePolicy merge = MergePolicy::keep_existing;
  // The Ed25519 public key (32 bytes) the export must be signed with, as its sender gave it by a
  // channel the importer trusts. Empty: any sender. A password authenticates its sender (who
  // knows the password); a recipient's public key does not, so an export sealed to a key is
  // imported only with an expected sender.
  Bytes expected_sender;
};

// What an import does, filled as far as the import got: shown to the importer, it says who
// sent the export and which records it adds, keeps or replaces.
struct ImportPlan {
  Bytes sender;  // the Ed25519 public key the export's signature verifies with (once it did)
  std::vector<vault::ImportedRecord> records;  // records, then secrets, each sorted by name
  bool complete = false;                       // `records` lists the whole export: it opened and every record checked
};

// An export password turned into its transfer key (Argon2id) before the keystore is touched, so
// that the KDF (about 0.4 s at the default cost) runs outside the state's owner.
class TransferPassword {
 public:
  // For a new export: a fresh salt and the cost of `preset`.
  static Result<TransferPassword> for_export(ByteView password, KdfPreset preset);
  // For importing `file`: its salt and cost, once its signature verified. corrupted or
  // unsupported for a damaged or unknown header, or one that asks for more than the strong
  // preset; authentication_failed for a signature that does not verify.
  static Result<TransferPassword> for_import(ByteView file, ByteView password);

 private:
  friend Result<Bytes> export_with_password(const vault::Keystore&, const TransferPassword&, const vault::Location&,
                                            const std::vector<std::string>&);
  friend Status import_with_password(vault::Transaction&, ByteView, const TransferPassword&, const ImportOptions&,
                                     ImportPlan&);
  TransferPassword(Bytes kdf_fields, runtime::ShieldedSecret key) noexcept
      : kdf_fields_(std::move(kdf_fields)), key_(std::move(key)) {}
  Bytes kdf_fields_;  // cost and salt, as in the header of the export the key belongs to
  runtime::ShieldedSecret key_;
};

// The vaults at `vault_paths` (every vault, secret store included, when empty), signed with the
// Ed25519 key stored at `sender_key` (wrong_key_type for another kind of key). The signing key
// never leaves the vault; its public key is what the importer checks.
Result<Bytes> export_to_recipient(const vault::Keystore& keystore, ByteView recipient_public_key,
                                  const vault::Location& sender_key, const std::vector<std::string>& vault_paths);
Result<Bytes> export_with_password(const vault::Keystore& keystore, const TransferPassword& password,
                                   const vault::Location& sender_key, const std::vector<std::string>& vault_paths);

// Re-seals the export's records into `tx` (with the X25519 key stored at `recipient_key`, or
// with the export password) and fills `plan`. The signature is verified before anything else:
// authentication_failed when it does not verify, when the export is signed by another key than
// `options.expected_sender`, or for the wrong key or password; corrupted for a damaged file;
// unsupported for an unsigned version 1 file. An export sealed to a key without an expected
// sender is only planned: `plan` is complete, nothing is written into `tx`, and the answer is
// authentication_failed (the sender is not confirmed). After any other error, discard `tx`: it
// may hold part of the import.
Status import_with_key(vault::Transaction& tx, ByteView file, const vault::Location& recipient_key,
                       const ImportOptions& options, ImportPlan& plan);
// The Ed25519 public key `file` is signed with, once its signature verified: who the importer is
// asked to confirm. corrupted, unsupported or authentication_failed as for an import.
Result<Bytes> export_signer(ByteView file);
// `password` from TransferPassword::for_import of this file (invalid_argument otherwise).
Status import_with_password(vault::Transaction& tx, ByteView file, const TransferPassword& password,
                            const ImportOptions& options, ImportPlan& plan);

}  // namespace stronghold::snapshot
