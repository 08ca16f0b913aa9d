// The engine's request vocabulary: every operation it offers, one plain struct each, declared
// here and nowhere else.
//
// A request names its kind (a number that never changes meaning: it is on the wire), its name,
// its answer type, and its fields, once, with SH_FIELDS. Everything else is derived from that
// declaration: CAF's inspect (messages.hpp), the wire codec, the façade's Engine::call and the
// tables that dispatch a request to its handler. A secret-bearing field has the type Secret.
//
// Policies (vault/policy.hpp) see a request through its fields: `at`, `seed`, `sign_with`, `key`
// and `with` are keys it uses (one use each; a batch one per message), `into` a location it writes,
// `vault` a vault it names. A request that names a key without using its secret (it reads its
// public key or manages the record) says so with `static constexpr bool kUsesSecret = false`.
//
// Adding an operation touches two places:
//   1. here: its struct, and one line in SH_ENGINE_REQUESTS (kinds are appended, never reused);
//   2. its handler: a `handle` overload in actors/src/engine.cpp (or, for the identity storage,
//      in actors/src/identity.cpp). Kinds 1..63 are the vault actor's, 64 and up the identity
//      storage's.
//
// This header is free of CAF, so that the public façade (stronghold/engine.hpp) can speak the
// vocabulary without pulling in the actor framework.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "stronghold/runtime/hex.hpp"
#include "stronghold/runtime/scratch.hpp"
#include "stronghold/runtime/shield.hpp"
#include "stronghold/runtime/status.hpp"
#include "stronghold/vault/aead.hpp"
#include "stronghold/vault/approvals.hpp"
#include "stronghold/vault/audit_settings.hpp"
#include "stronghold/vault/bip39.hpp"
#include "stronghold/vault/clients.hpp"
#include "stronghold/vault/did.hpp"
#include "stronghold/vault/identity.hpp"
#include "stronghold/vault/jwe.hpp"
#include "stronghold/vault/keystore.hpp"
#include "stronghold/vault/mac.hpp"
#include "stronghold/vault/policy.hpp"
#include "stronghold/vault/sign.hpp"
#include "stronghold/vault/slip10.hpp"

namespace stronghold::actors {

// A field list, once: `fields()` for reading and for filling a value.
#define SH_FIELDS(...)                            \
  auto fields() { return std::tie(__VA_ARGS__); } \
  auto fields() const { return std::tie(__VA_ARGS__); }

// A secret in a request or an answer: sealed under this process's shielding key (the plaintext
// exists only while a handler uses it, in scratch memory). Empty means "none given"; whether
// that is allowed is the request's to say. It never leaves the process as it is: the wire codec
// opens it into a wiping buffer for an authenticated local channel (docs/wire-protocol.md).
struct Secret {
  std::shared_ptr<const runtime::ShieldedSecret> shielded;

  static Result<Secret> seal(ByteView plaintext);
  bool empty() const noexcept { return shielded == nullptr; }
  std::size_t size() const noexcept { return shielded ? shielded->size() : 0; }
  // Opens the secret into scratch memory for `use` (Status(ByteView)), wiped afterwards;
  // invalid_argument when empty.
  template <class Use>
  Status open(Use&& use) const;
};

// The answer of a request that only succeeds or fails.
struct Done {
  SH_FIELDS()
};

// ---- keys

struct GenerateKey {
  static constexpr bool kUsesSecret = false;
  static constexpr std::string_view kName = "key.generate";
  using Answer = Bytes;  // the public key
  vault::Location at;
  vault::KeyType type = vault::KeyType::ed25519;
  vault::Overwrite overwrite = vault::Overwrite::refuse;
  std::uint64_t expires_at = 0;  // unix seconds; 0 for never
  SH_FIELDS(at, type, overwrite, expires_at)
};

struct ImportKey {
  static constexpr bool kUsesSecret = false;
  static constexpr std::string_view kName = "key.import";
  using Answer = Bytes;  // the public key
  vault::Location at;
  vault::KeyType type = vault::KeyType::ed25519;
  Secret key;
  vault::Overwrite overwrite = vault::Overwrite::refuse;
  std::uint64_t expires_at = 0;  // unix seconds; 0 for never
  SH_FIELDS(at, type, key, overwrite, expires_at)
};

struct PublicKey {
  static constexpr bool kUsesSecret = false;
  static constexpr std::string_view kName = "key.public";
  using Answer = Bytes;
  vault::Location at;
  SH_FIELDS(at)
};

struct DeleteKey {
  static constexpr bool kUsesSecret = false;
  static constexpr std::string_view kName = "key.delete";
  using Answer = Done;
  vault::Location at;
  SH_FIELDS(at)
};

// SLIP-10 derivation from the seed at `seed` along `path` ("m/44'/4218'/0'"), into a new record
// that keeps its chain code; `seed` may also name such a derived key of `curve` (the path is then
// relative to it: "m/1'" is its child 1').
struct DeriveKey {
  static constexpr std::string_view kName = "key.derive";
  using Answer = Bytes;  // the derived public key
  vault::Location seed;
  std::string path;
  vault::Curve curve = vault::Curve::ed25519;
  vault::Location into;
  vault::Overwrite overwrite = vault::Overwrite::refuse;
  SH_FIELDS(seed, path, curve, into, overwrite)
};

// ---- signatures

// Ed25519 for an Ed25519 key; ECDSA over SHA-256 (compact, low-S) for a secp256k1 key.
struct Sign {
  static constexpr std::string_view kName = "sign";
  using Answer = Bytes;
  vault::Location at;
  Bytes message;
  SH_FIELDS(at, message)
};

struct SignEcdsa {
  static constexpr std::string_view kName = "sign.ecdsa";
  using Answer = Bytes;
  vault::Location at;
  Bytes message;
  vault::EcdsaOptions options;
  SH_FIELDS(at, message, options.prehashed, options.format)
};

// ECDSA over Keccak-256 of the message, as Ethereum signs (the message is what Ethereum hashes,
// e.g. an EIP-191 prefixed text or an RLP transaction): r || s, or r || s || recovery id with
// the recoverable format.
struct SignKeccak {
  static constexpr std::string_view kName = "sign.keccak";
  using Answer = Bytes;
  vault::Location at;
  Bytes message;
  vault::EcdsaOptions options{false, vault::EcdsaFormat::compact, vault::EcdsaHash::keccak256};
  SH_FIELDS(at, message, options.format)
};

// The EIP-55 checksummed Ethereum address of a secp256k1 key ("0x" and 40 hex digits).
struct EvmAddress {
  static constexpr bool kUsesSecret = false;
  static constexpr std::string_view kName = "evm.address";
  using Answer = std::string;
  vault::Location at;
  SH_FIELDS(at)
};

// Whether the record at `at` holds exactly `value` (a key of any type), compared in time that
// depends on the lengths only: the answer says equal or not, never where they differ.
struct CompareRecord {
  static constexpr std::string_view kName = "record.compare";
  using Answer = bool;
  vault::Location at;
  Secret value;
  SH_FIELDS(at, value)
};

// One signature per message, in order (as Sign would make each).
struct SignBatch {
  static constexpr std::string_view kName = "sign.batch";
  using Answer = std::vector<Bytes>;
  vault::Location at;
  std::vector<Bytes> messages;
  SH_FIELDS(at, messages)
};

// ---- the secret store

struct PutSecret {
  static constexpr std::string_view kName = "secret.put";
  using Answer = Done;
  std::string name;
  Secret value;
  vault::Overwrite overwrite = vault::Overwrite::refuse;
  SH_FIELDS(name, value, overwrite)
};

struct GetSecret {
  static constexpr std::string_view kName = "secret.get";
  using Answer = Secret;
  std::string name;
  SH_FIELDS(name)
};

// ---- the snapshot

// Everything acknowledged so far is durable (it already is in sync durability).
struct SyncSnapshot {
  static constexpr std::string_view kName = "sync";
  using Answer = Done;
  SH_FIELDS()
};

// Removes deleted and expired records for good and compacts the file.
struct CollectGarbage {
  static constexpr std::string_view kName = "gc";
  using Answer = Done;
  SH_FIELDS()
};

// A full re-key under a new password, which keeps the file's KDF cost. wrong_password when
// `current` is not the snapshot's password. The KDFs run off the vault actor.
struct ChangePassword {
  static constexpr std::string_view kName = "passwd";
  using Answer = Done;
  Secret current;
  Secret next;
  SH_FIELDS(current, next)
};

// Done when `password` is the snapshot's, wrong_password otherwise.
struct CheckPassword {
  static constexpr std::string_view kName = "password.check";
  using Answer = Done;
  Secret password;
  SH_FIELDS(password)
};

// ---- expiry, Schnorr, extended public keys, mnemonics

// Sets the expiry of the key at `at`: `expires_at` (unix seconds), or `in` seconds from now by
// the snapshot's clock; neither: never. Giving both is invalid_argument. The record keeps its
// type, public key and hint under a new version. A key already expired stays so: expired.
struct ExpireKey {
  static constexpr bool kUsesSecret = false;
  static constexpr std::string_view kName = "key.expire";
  using Answer = Done;
  vault::Location at;
  std::uint64_t expires_at = 0;
  std::uint64_t in = 0;
  SH_FIELDS(at, expires_at, in)
};

// BIP340 Schnorr with a secp256k1 key: 64 bytes. `aux_random` (32 bytes) reproduces test
// vectors; empty means fresh randomness, which is what callers want.
struct SignSchnorr {
  static constexpr std::string_view kName = "sign.schnorr";
  using Answer = Bytes;
  vault::Location at;
  Bytes message;
  Bytes aux_random{};
  SH_FIELDS(at, message, aux_random)
};

// The public side of a SLIP-10 node (vault/slip10.hpp NodePublic) and, for secp256k1, its BIP32
// extended public key ("xpub..."; empty for Ed25519, which has none).
struct ExtendedPublic {
  static constexpr std::string_view kTypeName = "stronghold.ExtendedPublic";
  std::uint32_t depth = 0;
  std::uint32_t parent_fingerprint = 0;
  std::uint32_t child_number = 0;
  Bytes chain_code;
  Bytes public_key;
  std::string xpub;
  SH_FIELDS(depth, parent_fingerprint, child_number, chain_code, public_key, xpub)
};

// The node at `path` of the seed at `seed`; nothing is stored.
struct NodePublicKey {
  static constexpr std::string_view kName = "key.xpub";
  using Answer = ExtendedPublic;
  vault::Location seed;
  std::string path;
  vault::Curve curve = vault::Curve::secp256k1;
  SH_FIELDS(seed, path, curve)
};

// A new BIP39 mnemonic of `words` words (12, 15, 18, 21 or 24) in `language` (not `any`); its
// seed, with the optional passphrase, is stored at `at` and the mnemonic is the answer: the only
// copy.
struct GenerateMnemonic {
  static constexpr std::string_view kName = "mnemonic.generate";
  using Answer = Secret;
  vault::Location at;
  std::uint32_t words = 24;
  Secret passphrase{};
  vault::Overwrite overwrite = vault::Overwrite::refuse;
  vault::Bip39Language language = vault::Bip39Language::english;
  SH_FIELDS(at, words, passphrase, overwrite, language)
};

// A random seed of `bytes` bytes (16 to 64) at `at`, to derive from (Stronghold's Slip10Generate).
struct GenerateSeed {
  static constexpr bool kUsesSecret = false;
  static constexpr std::string_view kName = "seed.generate";
  using Answer = Done;
  vault::Location at;
  std::uint32_t bytes = 64;
  vault::Overwrite overwrite = vault::Overwrite::refuse;
  SH_FIELDS(at, bytes, overwrite)
};

// Checks a mnemonic's words (in `language`; `any`: the one its words are from) and checksum and
// stores its seed at `at`.
struct RecoverMnemonic {
  static constexpr std::string_view kName = "mnemonic.recover";
  using Answer = Done;
  vault::Location at;
  Secret mnemonic{};
  Secret passphrase{};
  vault::Overwrite overwrite = vault::Overwrite::refuse;
  vault::Bip39Language language = vault::Bip39Language::any;
  SH_FIELDS(at, mnemonic, passphrase, overwrite, language)
};

// ---- agreement, MACs, KDFs and AEAD: shared secrets and derived keys stay in records

// Key agreement of the key at `at` with `peer`: X25519 for an X25519 key (32-byte peer key),
// secp256k1 ECDH (the shared x coordinate; 33- or 65-byte peer key) for a secp256k1 key. The
// shared secret becomes the symmetric record `into`.
struct AgreeKey {
  static constexpr std::string_view kName = "key.agree";
  using Answer = Done;
  vault::Location at;
  Bytes peer;
  vault::Location into;
  vault::Overwrite overwrite = vault::Overwrite::refuse;
  SH_FIELDS(at, peer, into, overwrite)
};

// HMAC keyed with a symmetric or seed record; the tag is the answer.
struct Hmac {
  static constexpr std::string_view kName = "mac.hmac";
  using Answer = Bytes;
  vault::Location at;
  vault::Hash hash = vault::Hash::sha256;
  Bytes message;
  SH_FIELDS(at, hash, message)
};

// HKDF (RFC 5869) of a symmetric or seed record into the symmetric record `into`.
struct Hkdf {
  static constexpr std::string_view kName = "kdf.hkdf";
  using Answer = Done;
  vault::Location at;
  vault::Hash hash = vault::Hash::sha256;
  Bytes salt{};
  Bytes info{};
  std::uint32_t length = 32;
  vault::Location into;
  vault::Overwrite overwrite = vault::Overwrite::refuse;
  SH_FIELDS(at, hash, salt, info, length, into, overwrite)
};

// PBKDF2-HMAC (SHA-512 unless `hash` says otherwise) of a password into the symmetric record
// `into`. It runs in a worker of its
// own, off the vault actor; `rounds` is at most kMaxPbkdf2Rounds (invalid_argument otherwise), so
// that one request holds a worker thread (and a place in strongholdd's KDF queue) for seconds at
// most, not hours.
inline constexpr std::uint32_t kMaxPbkdf2Rounds = 1'000'000;
struct Pbkdf2 {
  static constexpr std::string_view kName = "kdf.pbkdf2";
  using Answer = Done;
  Secret password;
  Bytes salt;
  std::uint32_t rounds = 210'000;
  std::uint32_t length = 32;
  vault::Location into;
  vault::Overwrite overwrite = vault::Overwrite::refuse;
  vault::Hash hash = vault::Hash::sha512;  // appended after the first wire form (docs/wire-protocol.md)
  SH_FIELDS(password, salt, rounds, length, into, overwrite, hash)
};

// The Concat KDF (NIST SP 800-56A, vault/jwe.hpp) of the shared secret at `at` (what key.agree
// stored) into the symmetric record `into` of `length` bytes, as Stronghold 2.0's ConcatKdf
// derives it: apu, apv with their lengths before them, pub_info and priv_info as they are. For
// RFC 7518 §4.6.2, `algorithm_id` is "A128GCM" (or the key wrap's name) and pub_info the key
// length in bits as 4 big-endian bytes.
struct ConcatKdf {
  static constexpr std::string_view kName = "kdf.concat";
  using Answer = Done;
  vault::Location at;
  vault::Hash hash = vault::Hash::sha256;
  std::string algorithm_id;
  Bytes apu{};
  Bytes apv{};
  Bytes pub_info{};
  Bytes priv_info{};
  std::uint32_t length = 32;
  vault::Location into;
  vault::Overwrite overwrite = vault::Overwrite::refuse;
  SH_FIELDS(at, hash, algorithm_id, apu, apv, pub_info, priv_info, length, into, overwrite)
};

// AES key wrap (RFC 3394, vault/key_wrap.hpp) of the symmetric record `at` under the symmetric
// record `with` (16, 24 or 32 bytes); the answer is the wrapped key, 8 bytes longer, which only
// `with` opens.
struct WrapKey {
  static constexpr std::string_view kName = "key.wrap";
  using Answer = Bytes;
  vault::Location at;
  vault::Location with;
  SH_FIELDS(at, with)
};

// Unwraps `wrapped` under the symmetric record `with` into the symmetric record `into`;
// authentication_failed when the integrity check fails (another KEK, altered bytes).
struct UnwrapKey {
  static constexpr std::string_view kName = "key.unwrap";
  using Answer = Done;
  Bytes wrapped;
  vault::Location with;
  vault::Location into;
  vault::Overwrite overwrite = vault::Overwrite::refuse;
  SH_FIELDS(wrapped, with, into, overwrite)
};

struct AeadSealed {
  static constexpr std::string_view kTypeName = "stronghold.AeadSealed";
  Bytes nonce;
  Bytes ciphertext;  // without the tag
  Bytes tag;         // 16 bytes
  SH_FIELDS(nonce, ciphertext, tag)
};

// Authenticated encryption with the symmetric record `at` (32 bytes; vault/aead.hpp). `nonce`
// empty: a fresh random one (what callers want; reusing a nonce under one key breaks both ciphers).
struct AeadEncrypt {
  static constexpr std::string_view kName = "aead.encrypt";
  using Answer = AeadSealed;
  vault::Location at;
  vault::Aead cipher = vault::Aead::xchacha20poly1305;
  Secret plaintext;
  Bytes associated_data{};
  Bytes nonce{};
  SH_FIELDS(at, cipher, plaintext, associated_data, nonce)
};

// authentication_failed when any byte differs from what was sealed.
struct AeadDecrypt {
  static constexpr std::string_view kName = "aead.decrypt";
  using Answer = Secret;
  vault::Location at;
  vault::Aead cipher = vault::Aead::xchacha20poly1305;
  AeadSealed sealed;
  Bytes associated_data{};
  SH_FIELDS(at, cipher, sealed.nonce, sealed.ciphertext, sealed.tag, associated_data)
};

// ---- listings, the secret store's names

// A listing comes in pages: at most `limit` items (1 to kMaxListPage; invalid_argument
// otherwise), those sorted after `after` (from the first when empty). A page shorter than its
// limit is the last. kMaxListPage records of the largest encoding (about 670 bytes: two 255-byte
// location parts, a 64-byte hint, a 65-byte public key, the integers) fit in one frame of
// strongholdd (1 MiB).
inline constexpr std::uint32_t kMaxListPage = 1024;

// The names in the secret store (the identity storage's entries are not listed), sorted.
struct ListSecrets {
  static constexpr std::string_view kName = "secret.list";
  using Answer = std::vector<std::string>;
  std::string after{};
  std::uint32_t limit = kMaxListPage;
  SH_FIELDS(after, limit)
};

// not_found when there is no such secret.
struct DeleteSecret {
  static constexpr std::string_view kName = "secret.delete";
  using Answer = Done;
  std::string name;
  SH_FIELDS(name)
};

// One live record as a listing shows it: never secret bytes.
struct RecordEntry {
  static constexpr std::string_view kTypeName = "stronghold.RecordEntry";
  vault::Location location;
  vault::KeyType type = vault::KeyType::opaque;
  std::string hint;
  std::uint64_t version = 0;
  std::uint64_t created_at = 0;  // unix seconds
  std::uint64_t expires_at = 0;  // unix seconds; 0 for never
  Bytes public_key;              // empty for seeds, symmetric keys and expired records
  SH_FIELDS(location, type, hint, version, created_at, expires_at, public_key)
};

// The live records of the vault `vault`, or of every vault when empty, sorted by location
// (VAULT/RECORD).
struct ListRecords {
  static constexpr std::string_view kName = "list";
  using Answer = std::vector<RecordEntry>;
  std::string vault{};
  std::string after{};
  std::uint32_t limit = kMaxListPage;
  SH_FIELDS(vault, after, limit)
};

// ---- sharing between devices (snapshot/transfer.hpp)

// The vaults named (every vault, secret store included, when none) as an export file sealed to
// the recipient's X25519 public key and signed with the Ed25519 key at `sign_with`.
struct ExportVaults {
  static constexpr std::string_view kName = "export";
  using Answer = Bytes;
  Bytes recipient;
  vault::Location sign_with;
  std::vector<std::string> vaults{};
  SH_FIELDS(recipient, sign_with, vaults)
};

// What an import did, or would do, with one record or secret of an export.
struct ImportedEntry {
  static constexpr std::string_view kTypeName = "stronghold.ImportedEntry";
  vault::ImportedRecord::Kind kind = vault::ImportedRecord::Kind::record;
  std::string name;  // VAULT/RECORD, or the secret's name
  vault::ImportAction action = vault::ImportAction::add;
  SH_FIELDS(kind, name, action)
};

struct ImportReport {
  static constexpr std::string_view kTypeName = "stronghold.ImportReport";
  Bytes sender;  // the Ed25519 public key the export is signed with
  std::vector<ImportedEntry> records;
  bool imported = false;  // false: only planned, the sender was not confirmed
  SH_FIELDS(sender, records, imported)
};

// Reads an export sealed to the X25519 key at `key`. Its signature must verify with
// `expected_sender` (the Ed25519 public key the sender gave by a channel the importer trusts);
// without one, nothing is imported and the answer says who signed it and what it holds. A
// live record already here is kept unless `merge` is Overwrite::replace. authentication_failed
// for another signer or another recipient, corrupted for a damaged file.
struct ImportVaults {
  static constexpr std::string_view kName = "import";
  using Answer = ImportReport;
  Bytes file;
  vault::Location key;
  Bytes expected_sender{};
  vault::Overwrite merge = vault::Overwrite::refuse;
  SH_FIELDS(file, key, expected_sender, merge)
};

// The vaults named (every vault, secret store included, when none) as an export file sealed to
// `password` (Argon2id at the standard cost, run off the vault actor) and signed with the Ed25519
// key at `sign_with`.
struct ExportWithPassword {
  static constexpr std::string_view kName = "export.password";
  using Answer = Bytes;
  Secret password;
  vault::Location sign_with;
  std::vector<std::string> vaults{};
  SH_FIELDS(password, sign_with, vaults)
};

// Reads an export sealed to `password`; its KDF runs off the vault actor. The password
// authenticates the sender (who knew it), so `expected_sender` may be empty: the export is then
// imported whoever signed it, and the answer names the signer. authentication_failed for the
// wrong password or another signer than a given `expected_sender`, corrupted for a damaged file.
struct ImportWithPassword {
  static constexpr std::string_view kName = "import.password";
  using Answer = ImportReport;
  Bytes file;
  Secret password;
  Bytes expected_sender{};
  vault::Overwrite merge = vault::Overwrite::refuse;
  SH_FIELDS(file, password, expected_sender, merge)
};

// ---- Rust Stronghold snapshots (snapshot/rust_stronghold.hpp)

// One record of a Rust Stronghold snapshot, named by the paths its application used, and the
// location and key type (seed, ed25519, x25519, secp256k1, symmetric or opaque) it gets here.
struct RustRecordMap {
  static constexpr std::string_view kTypeName = "stronghold.RustRecordMap";
  std::string client;
  std::string vault;
  std::string record;
  vault::Location into;
  std::string type;
  SH_FIELDS(client, vault, record, into, type)
};

// Imports records of a Rust Stronghold snapshot file (versions 2 and 3), all in one transaction
// or none: with `preset` "wallet" the iota-sdk wallet's seed (client iota_seed, vault
// iota-wallet-secret, record iota-wallet-seed) as a BIP39 seed at `wallet_at` (wallet/seed when
// empty); with "identity" every DID of an IOTA Identity 0.6 account, its keys, chain state and
// document, into the identity storage (actors/src/rust_identity.hpp says how they are found);
// and every one of `maps`. The file opens with `password` (through the wallet's KDF for
// its version) or with the raw 32-byte `key`, exactly one of them; both KDFs are cheap (100
// rounds of PBKDF2, or BLAKE2b then age scrypt of at most 2^14) and run on the vault actor. A
// live record at a target is kept unless `merge` is Overwrite::replace. wrong_password when the
// file does not open, corrupted for damage, unsupported for another version, not_found for a
// record the file does not hold.
struct ImportStronghold {
  static constexpr std::string_view kName = "import.stronghold";
  using Answer = ImportReport;
  Bytes file;
  Secret password{};
  Secret key{};
  std::string preset{};
  std::string wallet_at{};
  std::vector<RustRecordMap> maps{};
  vault::Overwrite merge = vault::Overwrite::refuse;
  SH_FIELDS(file, password, key, preset, wallet_at, maps, merge)
};

struct RustVaultInfo {
  static constexpr std::string_view kTypeName = "stronghold.RustVaultInfo";
  Bytes id;  // 24 bytes
  std::uint64_t records = 0;
  std::uint64_t revoked = 0;
  SH_FIELDS(id, records, revoked)
};
struct RustClientInfo {
  static constexpr std::string_view kTypeName = "stronghold.RustClientInfo";
  Bytes id;  // 24 bytes
  std::vector<RustVaultInfo> vaults;
  std::vector<Bytes> store_keys;  // never the values: some applications keep secrets there
  SH_FIELDS(id, vaults, store_keys)
};
struct RustSnapshotInfo {
  static constexpr std::string_view kTypeName = "stronghold.RustSnapshotInfo";
  std::uint32_t version = 0;
  std::vector<RustClientInfo> clients;
  bool wallet_seed = false;  // holds the record the "wallet" preset imports
  SH_FIELDS(version, clients, wallet_seed)
};

// What a Rust Stronghold snapshot holds, opened as ImportStronghold opens it: ids, counts and
// store keys, never a secret.
struct InspectStronghold {
  static constexpr std::string_view kName = "inspect.stronghold";
  using Answer = RustSnapshotInfo;
  Bytes file;
  Secret password{};
  Secret key{};
  SH_FIELDS(file, password, key)
};

// ---- policies (vault/policy.hpp)

// The rules of a policy as requests carry them: `kinds` empty allows every kind; every other
// field as vault::Policy has it (0 or empty: no limit).
struct PolicyRules {
  static constexpr std::string_view kTypeName = "stronghold.PolicyRules";
  std::vector<std::uint16_t> kinds{};
  std::vector<std::string> callers{};
  std::uint64_t max_uses = 0;
  std::uint32_t rate_count = 0;
  std::uint32_t rate_seconds = 0;
  std::int64_t not_before = 0;
  std::int64_t not_after = 0;
  std::vector<std::string> path_prefixes{};
  std::uint64_t max_message = 0;
  bool allow_prehashed = true;
  SH_FIELDS(kinds, callers, max_uses, rate_count, rate_seconds, not_before, not_after, path_prefixes, max_message,
            allow_prehashed)
};

// Sets the policy of the vault `vault` (when `record` is empty) or of the key `vault`/`record`,
// in place of the one it had; rules that limit nothing remove it. It is itself policed: the
// current policies of the vault and the key must allow it. Use counts stay.
struct SetPolicy {
  static constexpr bool kUsesSecret = false;
  static constexpr std::string_view kName = "policy.set";
  using Answer = Done;
  std::string vault;
  std::string record{};
  PolicyRules rules;
  SH_FIELDS(vault, record, rules)
};

struct PolicyState {
  static constexpr std::string_view kTypeName = "stronghold.PolicyState";
  bool present = false;  // false: no policy, everything is allowed
  PolicyRules rules;
  std::uint64_t uses = 0;  // counted so far (only while a rule counts them)
  SH_FIELDS(present, rules, uses)
};

struct ShowPolicy {
  static constexpr bool kUsesSecret = false;
  static constexpr std::string_view kName = "policy.show";
  using Answer = PolicyState;
  std::string vault;
  std::string record{};
  SH_FIELDS(vault, record)
};

// ---- the audit log (snapshot/audit_log.hpp; its settings: vault/audit_settings.hpp)

// Sets the audit log's mode in the snapshot, so that every later open keeps it; the first time,
// makes the key that seals the log (PATH.audit, beside the snapshot). Takes the snapshot's
// password, whoever asks (wrong_password otherwise). Turning it off is logged. It accepts the log
// as it stands: one deleted or cut back starts again from what is left.
struct SetAuditMode {
  static constexpr bool kUsesSecret = false;
  static constexpr std::string_view kName = "audit.set";
  using Answer = Done;
  vault::AuditMode mode = vault::AuditMode::best_effort;
  Secret password;
  SH_FIELDS(mode, password)
};

// What audit.verify found: the log verifies when `first_break` is empty.
struct AuditReport {
  static constexpr std::string_view kTypeName = "stronghold.AuditReport";
  vault::AuditMode mode = vault::AuditMode::off;
  std::uint64_t entries = 0;          // verified
  std::uint64_t first_sequence = 0;   // of the oldest file kept
  std::uint64_t head_sequence = 0;    // at the last seal
  std::uint64_t anchor_sequence = 0;  // the head the snapshot recorded, which the log must reach
  std::uint64_t recovered = 0;        // entries sealed after a crash (written, never sealed before it)
  std::string first_break{};          // "FILE at offset N, entry S: what", empty when intact
  SH_FIELDS(mode, entries, first_sequence, head_sequence, anchor_sequence, recovered, first_break)
};

// Checks the whole log against its key and the snapshot's anchor. not_found when the log was
// never enabled; a damaged log is a report with first_break, not an error.
struct VerifyAudit {
  static constexpr bool kUsesSecret = false;
  static constexpr std::string_view kName = "audit.verify";
  using Answer = AuditReport;
  SH_FIELDS()
};

// One entry of the log (snapshot::AuditEntry).
struct AuditRecord {
  static constexpr std::string_view kTypeName = "stronghold.AuditRecord";
  std::uint64_t sequence = 0;
  std::int64_t time_ms = 0;
  std::string caller;
  std::uint16_t kind = 0;
  std::string location;
  std::uint8_t outcome = 0;  // snapshot::AuditOutcome
  std::uint8_t status = 0;   // an Errc when denied or failed
  std::string rule;
  Bytes digest;  // BLAKE2b-256 of the request's message; zeros when it has none
  SH_FIELDS(sequence, time_ms, caller, kind, location, outcome, status, rule, digest)
};

inline constexpr std::uint32_t kMaxAuditPage = 256;  // entries of at most ~1.1 KB: a page fits a frame

struct AuditPage {
  static constexpr std::string_view kTypeName = "stronghold.AuditPage";
  std::vector<AuditRecord> entries;
  bool more = false;          // ask again with `after` = the last sequence
  std::string first_break{};  // where verification stopped, when it did: nothing past it is shown
  SH_FIELDS(entries, more, first_break)
};

// The verified entries from `since_ms` on, after sequence `after`, at most `limit` (at most
// kMaxAuditPage).
struct ShowAudit {
  static constexpr bool kUsesSecret = false;
  static constexpr std::string_view kName = "audit.show";
  using Answer = AuditPage;
  std::int64_t since_ms = 0;
  std::uint64_t after = 0;
  std::uint32_t limit = kMaxAuditPage;
  SH_FIELDS(since_ms, after, limit)
};

// ---- client identities (vault/clients.hpp)

// Registers `public_key` (Ed25519, 32 bytes) as the key strongholdd's clients prove the name
// `name` with; already_exists for a registered name unless `overwrite` replaces it. Adding or
// removing a client takes the snapshot's password, whoever asks (wrong_password otherwise; its KDF
// runs off the vault actor): a connection may not make itself a client it cannot prove to be.
struct ClientAdd {
  static constexpr std::string_view kName = "client.add";
  using Answer = Done;
  std::string name;
  Bytes public_key;
  vault::Overwrite overwrite = vault::Overwrite::refuse;
  Secret password;
  SH_FIELDS(name, public_key, overwrite, password)
};

// not_found when no client `name` is registered.
struct ClientRemove {
  static constexpr std::string_view kName = "client.remove";
  using Answer = Done;
  std::string name;
  Secret password;
  SH_FIELDS(name, password)
};

struct ClientEntry {
  static constexpr std::string_view kTypeName = "stronghold.ClientEntry";
  std::string name;
  Bytes public_key;
  SH_FIELDS(name, public_key)
};

// The registered clients, sorted by name (at most vault::kMaxClients, about 110 bytes each: one
// answer holds them all), or only the client `name` when given (none when it is not registered).
struct ClientList {
  static constexpr std::string_view kName = "client.list";
  using Answer = std::vector<ClientEntry>;
  std::string name{};
  SH_FIELDS(name)
};

// ---- approvals (M of N; vault/approvals.hpp)

// Registers `public_key` (Ed25519, 32 bytes) as the key the approver `name` signs approvals with;
// like client.add, it takes the snapshot's password, whoever asks.
struct ApproverAdd {
  static constexpr std::string_view kName = "approver.add";
  using Answer = Done;
  std::string name;
  Bytes public_key;
  vault::Overwrite overwrite = vault::Overwrite::refuse;
  Secret password;
  SH_FIELDS(name, public_key, overwrite, password)
};

// not_found when no approver `name` is registered; invalid_argument when fewer approvers than the
// rule's threshold would remain.
struct ApproverRemove {
  static constexpr std::string_view kName = "approver.remove";
  using Answer = Done;
  std::string name;
  Secret password;
  SH_FIELDS(name, password)
};

// The registered approvers, sorted by name (at most vault::kMaxApprovers), or only `name`.
struct ApproverList {
  static constexpr std::string_view kName = "approver.list";
  using Answer = std::vector<ClientEntry>;
  std::string name{};
  SH_FIELDS(name)
};

// Sets the approval rule: requests of `kinds` (empty: kDefaultApprovalKinds) wait for `threshold`
// approvals (0 turns approvals off), for at most `deadline_seconds`. Takes the snapshot's password.
struct SetApprovalRule {
  static constexpr std::string_view kName = "approval.set";
  using Answer = Done;
  std::uint32_t threshold = 0;
  std::vector<std::uint16_t> kinds{};
  std::uint32_t deadline_seconds = vault::kDefaultApprovalDeadline;
  Secret password;
  SH_FIELDS(threshold, kinds, deadline_seconds, password)
};

// A request that waits for approvals: approvers sign "stronghold approval v1" || digest.
struct PendingRequest {
  static constexpr std::string_view kTypeName = "stronghold.PendingRequest";
  std::string id;  // 32 hex digits
  std::uint16_t kind = 0;
  std::string kind_name;
  std::string caller;
  std::string location;
  Bytes digest;                        // 32 bytes
  std::int64_t deadline = 0;           // unix seconds
  std::vector<std::string> approvers;  // who approved so far
  std::uint32_t threshold = 0;
  SH_FIELDS(id, kind, kind_name, caller, location, digest, deadline, approvers, threshold)
};

// The pending requests, oldest first (at most kMaxPendingApprovals).
struct ListApprovals {
  static constexpr std::string_view kName = "approval.list";
  using Answer = std::vector<PendingRequest>;
  SH_FIELDS()
};

// The approver `approver`'s Ed25519 `signature` over "stronghold approval v1" || the pending
// request `id`'s digest. not_found for an unknown or expired id, denied for an unknown approver or
// a signature that does not verify, already_exists for an approver who approved it already.
struct Approve {
  static constexpr std::string_view kName = "approval.approve";
  using Answer = Done;
  std::string id;
  std::string approver;
  Bytes signature;
  SH_FIELDS(id, approver, signature)
};

// ---- the identity storage (IOTA Identity's Storage interface)

struct DidCreated {
  vault::Did did;
  vault::KeyLocation location;
  SH_FIELDS(did, location)
};

// A JSON value of a DID (its chain state or its document), if it has one.
struct IdentityJson {
  bool present = false;
  std::string json;
  SH_FIELDS(present, json)
};

// A new DID with its first Ed25519 key: the given private key, or a generated one when empty.
struct DidCreate {
  static constexpr std::string_view kName = "did.create";
  using Answer = DidCreated;
  std::string network;
  std::string fragment;
  Secret private_key;
  SH_FIELDS(network, fragment, private_key)
};

// The DIDs, sorted by their text; paged like ListRecords.
struct DidList {
  static constexpr std::string_view kName = "did.list";
  using Answer = std::vector<vault::Did>;
  std::string after{};
  std::uint32_t limit = kMaxListPage;
  SH_FIELDS(after, limit)
};

struct DidExists {
  static constexpr std::string_view kName = "did.exists";
  using Answer = bool;
  vault::Did did;
  SH_FIELDS(did)
};

// Removes the DID with its keys and values; false when it did not exist.
struct DidPurge {
  static constexpr std::string_view kName = "did.purge";
  using Answer = bool;
  vault::Did did;
  SH_FIELDS(did)
};

struct DidKeyGenerate {
  static constexpr std::string_view kName = "did.key.generate";
  using Answer = vault::KeyLocation;
  vault::Did did;
  vault::IdentityKeyType type = vault::IdentityKeyType::ed25519;
  std::string fragment;
  SH_FIELDS(did, type, fragment)
};

struct DidKeyInsert {
  static constexpr std::string_view kName = "did.key.insert";
  using Answer = Done;
  vault::Did did;
  vault::KeyLocation location;
  Secret private_key;
  SH_FIELDS(did, location, private_key)
};

struct DidKeyPublic {
  static constexpr std::string_view kName = "did.key.public";
  using Answer = Bytes;
  vault::Did did;
  vault::KeyLocation location;
  SH_FIELDS(did, location)
};

// false when the key did not exist.
struct DidKeyDelete {
  static constexpr std::string_view kName = "did.key.delete";
  using Answer = bool;
  vault::Did did;
  vault::KeyLocation location;
  SH_FIELDS(did, location)
};

struct DidKeyExists {
  static constexpr std::string_view kName = "did.key.exists";
  using Answer = bool;
  vault::Did did;
  vault::KeyLocation location;
  SH_FIELDS(did, location)
};

// Ed25519 signatures of each message, in order.
struct DidKeySign {
  static constexpr std::string_view kName = "did.key.sign";
  using Answer = std::vector<Bytes>;
  vault::Did did;
  vault::KeyLocation location;
  std::vector<Bytes> messages;
  SH_FIELDS(did, location, messages)
};

// The plaintext of data encrypted to the DID's X25519 key.
struct DidDecrypt {
  static constexpr std::string_view kName = "did.decrypt";
  using Answer = Secret;
  vault::Did did;
  vault::KeyLocation location;
  vault::EncryptedData data;
  vault::ContentEncryption content = vault::ContentEncryption::aes256gcm;
  vault::KeyManagement management = vault::KeyManagement::ecdh_es;
  vault::AgreementInfo agreement;
  SH_FIELDS(did, location, data.associated_data, data.nonce, data.tag, data.ciphertext, data.encrypted_cek,
            data.ephemeral_public_key, content, management, agreement.apu, agreement.apv, agreement.pub_info,
            agreement.priv_info, agreement.form)
};

struct DidValueGet {
  static constexpr std::string_view kName = "did.value.get";
  using Answer = IdentityJson;
  vault::Did did;
  vault::IdentityValue which = vault::IdentityValue::chain_state;
  SH_FIELDS(did, which)
};

struct DidValueSet {
  static constexpr std::string_view kName = "did.value.set";
  using Answer = Done;
  vault::Did did;
  vault::IdentityValue which = vault::IdentityValue::chain_state;
  std::string json;
  SH_FIELDS(did, which, json)
};

// ---- a cluster (docs/cluster.md)

// A member of the etcd cluster that holds a cluster's journal.
struct ClusterMember {
  static constexpr std::string_view kTypeName = "stronghold.ClusterMember";
  std::string name;
  std::string urls;  // its client URLs, comma-separated
  SH_FIELDS(name, urls)
};

// A node of a cluster, as it registered itself (strongholdd --node-name, --listen).
struct ClusterNode {
  static constexpr std::string_view kTypeName = "stronghold.ClusterNode";
  std::string name;
  std::string address;  // where it listens for stronghold --remote; empty when it does not
  SH_FIELDS(name, address)
};

// Where this engine's chain stands, and what the cluster's shared journal says: its head, the
// registered nodes and etcd's members. An engine alone answers with its own position as the
// head, no name, and no nodes or members.
struct ClusterState {
  static constexpr std::string_view kTypeName = "stronghold.ClusterState";
  std::string node;            // this node's name
  std::uint64_t position = 0;  // the sequence number of the next entry this engine's state needs
  std::uint64_t head = 0;      // the shared journal's: the next entry's sequence number
  std::vector<ClusterNode> nodes{};
  std::vector<ClusterMember> members{};
  SH_FIELDS(node, position, head, nodes, members)
};

struct ClusterStatus {
  static constexpr bool kUsesSecret = false;
  static constexpr std::string_view kName = "cluster.status";
  using Answer = ClusterState;
  SH_FIELDS()
};

// ---- the list: X(kind, type). A kind is on the wire: append new requests, never renumber.
#define SH_ENGINE_REQUESTS(X) \
  X(1, GenerateKey)           \
  X(2, ImportKey)             \
  X(3, PublicKey)             \
  X(4, DeleteKey)             \
  X(5, DeriveKey)             \
  X(6, Sign)                  \
  X(7, SignEcdsa)             \
  X(8, SignBatch)             \
  X(9, PutSecret)             \
  X(10, GetSecret)            \
  X(11, SyncSnapshot)         \
  X(12, CollectGarbage)       \
  X(13, ChangePassword)       \
  X(14, CheckPassword)        \
  X(15, ExpireKey)            \
  X(16, SignSchnorr)          \
  X(17, NodePublicKey)        \
  X(18, GenerateMnemonic)     \
  X(19, RecoverMnemonic)      \
  X(20, AgreeKey)             \
  X(21, Hmac)                 \
  X(22, Hkdf)                 \
  X(23, Pbkdf2)               \
  X(24, AeadEncrypt)          \
  X(25, AeadDecrypt)          \
  X(26, ListSecrets)          \
  X(27, DeleteSecret)         \
  X(28, ListRecords)          \
  X(29, ExportVaults)         \
  X(30, ImportVaults)         \
  X(31, ExportWithPassword)   \
  X(32, ImportWithPassword)   \
  X(33, SetPolicy)            \
  X(34, ShowPolicy)           \
  X(35, VerifyAudit)          \
  X(36, ShowAudit)            \
  X(37, ClientAdd)            \
  X(38, ClientRemove)         \
  X(39, ClientList)           \
  X(40, SetAuditMode)         \
  X(41, ApproverAdd)          \
  X(42, ApproverRemove)       \
  X(43, ApproverList)         \
  X(44, SetApprovalRule)      \
  X(45, ListApprovals)        \
  X(46, Approve)              \
  X(47, ImportStronghold)     \
  X(48, InspectStronghold)    \
  X(49, SignKeccak)           \
  X(50, EvmAddress)           \
  X(51, CompareRecord)        \
  X(54, ConcatKdf)            \
  X(55, WrapKey)              \
  X(56, UnwrapKey)            \
  X(58, GenerateSeed)         \
  X(64, DidCreate)            \
  X(65, DidList)              \
  X(66, DidExists)            \
  X(67, DidPurge)             \
  X(68, DidKeyGenerate)       \
  X(69, DidKeyInsert)         \
  X(70, DidKeyPublic)         \
  X(71, DidKeyDelete)         \
  X(72, DidKeyExists)         \
  X(73, DidKeySign)           \
  X(74, DidDecrypt)           \
  X(75, DidValueGet)          \
  X(76, DidValueSet)          \
  X(77, ClusterStatus)

// The kinds, by name (RequestKind::GenerateKey) and number.
enum class RequestKind : std::uint16_t {
#define SH_KIND_ENUMERATOR(number, type) type = (number),
  SH_ENGINE_REQUESTS(SH_KIND_ENUMERATOR)
#undef SH_KIND_ENUMERATOR
};

// The kind of a request type (kind_of<Sign> == RequestKind::Sign).
template <class Request>
struct KindOf {};
#define SH_KIND_OF(number, type)                            \
  template <>                                               \
  struct KindOf<type> {                                     \
    static constexpr RequestKind value = RequestKind::type; \
  };
SH_ENGINE_REQUESTS(SH_KIND_OF)
#undef SH_KIND_OF
template <class Request>
inline constexpr RequestKind kind_of = KindOf<Request>::value;

template <class T>
concept EngineRequest = requires {
  KindOf<T>::value;
  typename T::Answer;
};

// Requests the identity registry serves (the supervisor routes them there); the rest go to
// the vault actor.
constexpr bool is_identity_request(RequestKind kind) noexcept { return static_cast<std::uint16_t>(kind) >= 64; }

// Calls `visit(Request{})` for each request type in kind order (tables and tests walk them).
template <class Visit>
void for_each_request_type(Visit&& visit) {
// A type name cannot be parenthesized: `(type){}` would be a compound literal.
#define SH_VISIT_TYPE(number, type) visit(type{});  // NOLINT(bugprone-macro-parentheses)
  SH_ENGINE_REQUESTS(SH_VISIT_TYPE)
#undef SH_VISIT_TYPE
}

// The name of a kind ("key.generate"), or "" for a number that is no kind.
std::string_view request_name(RequestKind kind) noexcept;
bool is_request_kind(std::uint16_t number) noexcept;

template <class Use>
Status Secret::open(Use&& use) const {
  if (!shielded)
    return Status(Errc::invalid_argument, "no secret given");
  runtime::ScratchFrame frame;
  SH_ASSIGN_OR_RETURN(auto plaintext, frame.take(shielded->size()));
  SH_RETURN_IF_ERROR(shielded->open(plaintext));
  return use(ByteView(plaintext));
}

}  // namespace stronghold::actors
