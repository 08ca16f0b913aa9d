// Sharing between devices: a snapshot's vaults exported into one file sealed to a recipient's
// X25519 public key or to a password, and imported into another snapshot.
//
// File: magic "SHLDXPRT" | version u16 | mode u8 (1 recipient, 2 password) | for mode 1 the
// sender's ephemeral X25519 public key (32), for mode 2 Argon2id ops u32, memory u64 and salt
// (16) | the exported change set sealed with XChaCha20-Poly1305 under the transfer key (the
// header is its associated data). Inside, vault keys are wrapped under the transfer key and
// records keep their seals, so a record is decrypted only while it is re-sealed on import.
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

// An export password turned into its transfer key (Argon2id) before the keystore is touched, so
// that the KDF (about 0.4 s at the default cost) runs outside the state's owner.
class TransferPassword {
 public:
  // For a new export: a fresh salt and the cost of `preset`.
  static Result<TransferPassword> for_export(ByteView password, KdfPreset preset);
  // For importing `file`: its salt and cost. corrupted or unsupported for a damaged or unknown
  // header, or one that asks for more than the strong preset.
  static Result<TransferPassword> for_import(ByteView file, ByteView password);

 private:
  friend Result<Bytes> export_with_password(const vault::Keystore&, const TransferPassword&,
                                            const std::vector<std::string>&);
  friend Result<vault::Transaction::ImportCounts> import_with_password(vault::Transaction&, ByteView,
                                                                       const TransferPassword&, MergePolicy);
  TransferPassword(Bytes header, runtime::ShieldedSecret key) noexcept : header_(std::move(header)), key_(std::move(key)) {}
  Bytes header_;  // of the export the key belongs to
  runtime::ShieldedSecret key_;
};

// The vaults at `vault_paths` (every vault, secret store included, when empty).
Result<Bytes> export_to_recipient(const vault::Keystore& keystore, ByteView recipient_public_key,
                                  const std::vector<std::string>& vault_paths);
Result<Bytes> export_with_password(const vault::Keystore& keystore, const TransferPassword& password,
                                   const std::vector<std::string>& vault_paths);

// Re-seals the export's records into `tx`: with the X25519 key stored at `recipient_key`, or
// with the export password. authentication_failed for the wrong key or password; corrupted for
// a damaged file.
Result<vault::Transaction::ImportCounts> import_with_key(vault::Transaction& tx, ByteView file,
                                                         const vault::Location& recipient_key, MergePolicy policy);
// `password` from TransferPassword::for_import of this file (invalid_argument otherwise).
Result<vault::Transaction::ImportCounts> import_with_password(vault::Transaction& tx, ByteView file,
                                                              const TransferPassword& password, MergePolicy policy);

}  // namespace stronghold::snapshot
