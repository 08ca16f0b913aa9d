// Every request kind of the vocabulary, through every front end: for each kind (walked from
// SH_ENGINE_REQUESTS, so a new kind without a sample here does not compile), one request is
// round-tripped through its wire form and run through the C++ façade, the C ABI's
// stronghold_call and strongholdd's request op, each on its own copy of one snapshot; the
// answers must be the same bytes, or, where an answer is fresh randomness, equally valid.
#include <signal.h>
#include <sodium.h>
#include <sys/wait.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <thread>

#include <doctest/doctest.h>

#include "actors/fast_options.hpp"
#include "stronghold/actors/wire.hpp"
#include "stronghold/engine.hpp"
#include "stronghold/identity/stronghold_storage.hpp"
#include "stronghold/stronghold.h"
#include "stronghold/vault/key_wrap.hpp"
#include "support/child_process.hpp"
#include "support/temp_dir.hpp"
#include "support/test_files.hpp"
#include "wire/client.hpp"

using namespace stronghold;
using namespace stronghold::actors;
using vault::KeyType;
using vault::Location;

namespace {

const Bytes kPassword = {'v', 'o', 'c', 'a', 'b'};
const Bytes kNewPassword = {'n', 'e', 'w'};
const std::string_view kExportPassword = "share";

Location at(std::string_view text) { return Location::parse(text).value(); }
Secret secret(ByteView bytes) { return Secret::seal(bytes).value(); }
Secret secret(std::string_view text) { return secret(as_bytes(text)); }
Bytes filled(std::uint8_t byte, std::size_t size = 32) { return Bytes(size, byte); }

Bytes x25519_public(ByteView secret_key) {
  Bytes public_key(crypto_scalarmult_BYTES);
  REQUIRE(crypto_scalarmult_base(public_key.data(), secret_key.data()) == 0);
  return public_key;
}

// What the snapshot holds before the walk: keys of every type at known values, a BIP39 seed, a
// secret, a client, two DIDs (one to purge) with an X25519 key, data encrypted to it, and two exports (to a
// key and with a password).
struct Fixture {
  Bytes ed_public, x_public, export_file, password_export_file;
  vault::Did did, doomed_did;
  vault::KeyLocation did_signing_key, did_x25519_key;
  vault::EncryptedData encrypted;
};

Fixture prepare(const std::string& path) {
  stronghold::EngineOptions options;
  options.snapshot.kdf = snapshot::KdfPreset::fast;
  auto engine = std::shared_ptr<Engine>(Engine::create(path, kPassword, options).value());
  REQUIRE(engine->call(SetAuditMode{vault::AuditMode::best_effort, secret(kPassword)})
              .ok());  // every request of the walk is logged
  Fixture fixture;
  fixture.ed_public = engine->import_key(at("w/ed"), KeyType::ed25519, filled(0x11)).value();
  REQUIRE(engine->import_key(at("w/k1"), KeyType::secp256k1, filled(0x12)).ok());
  fixture.x_public = engine->import_key(at("w/x"), KeyType::x25519, filled(0x13)).value();
  REQUIRE(engine->import_key(at("w/sym"), KeyType::symmetric, filled(0x14)).ok());
  REQUIRE(engine->import_key(at("w/doomed"), KeyType::ed25519, filled(0x15)).ok());
  REQUIRE(engine->import_key(at("w/expiring"), KeyType::ed25519, filled(0x16)).ok());
  REQUIRE(engine
              ->call(RecoverMnemonic{.at = at("w/seed"),
                                     .mnemonic = secret("abandon abandon abandon abandon abandon abandon abandon "
                                                        "abandon abandon abandon abandon about")})
              .ok());
  REQUIRE(engine->put_secret("s", as_bytes(std::string_view("secret value"))).ok());
  REQUIRE(engine->call(ClientAdd{"bob", fixture.ed_public, vault::Overwrite::refuse, secret(kPassword)}).ok());
  REQUIRE(engine->call(ApproverAdd{"dave", fixture.ed_public, vault::Overwrite::refuse, secret(kPassword)}).ok());
  fixture.export_file = engine->call(ExportVaults{fixture.x_public, at("w/ed"), {"w"}}).value();
  fixture.password_export_file = engine->call(ExportWithPassword{secret(kExportPassword), at("w/ed"), {"w"}}).value();

  identity::StrongholdStorage identities(engine);
  const auto created = identities.did_create("dev", "sign-0", filled(0x21)).value();
  fixture.did = created.did;
  fixture.did_signing_key = created.location;
  fixture.doomed_did = identities.did_create("dev", "sign-0", filled(0x22)).value().did;
  const Bytes x_secret = filled(0x23);
  fixture.did_x25519_key =
      vault::KeyLocation::make(vault::IdentityKeyType::x25519, "enc-0", x25519_public(x_secret)).value();
  REQUIRE(identities.key_insert(fixture.did, fixture.did_x25519_key, x_secret).ok());
  fixture.encrypted = identities
                          .data_encrypt(fixture.did, as_bytes(std::string_view("to the DID")), Bytes{1, 2},
                                        vault::ContentEncryption::aes256gcm, {}, x25519_public(x_secret))
                          .value();
  REQUIRE(engine->sync().ok());
  return fixture;
}

// ---- one sample request per kind, valid in the fixture's snapshot when the walk reaches it

template <class R>
R sample(const Fixture&);

#define SH_SAMPLE(type) \
  template <>           \
  type sample<type>([[maybe_unused]] const Fixture& f)

// Fresh randomness goes to vault "fresh", so that listing vault "w" is deterministic.
SH_SAMPLE(GenerateKey) { return {.at = at("fresh/new"), .type = KeyType::secp256k1}; }
SH_SAMPLE(ImportKey) { return {.at = at("w/imported"), .type = KeyType::ed25519, .key = secret(filled(0x31))}; }
SH_SAMPLE(PublicKey) { return {.at = at("w/k1")}; }
SH_SAMPLE(DeleteKey) { return {.at = at("w/doomed")}; }
SH_SAMPLE(DeriveKey) { return {at("w/seed"), "m/44'/4218'/0'", vault::Curve::ed25519, at("w/derived")}; }
SH_SAMPLE(Sign) { return {at("w/ed"), Bytes{'m'}}; }
SH_SAMPLE(SignEcdsa) { return {at("w/k1"), Bytes{'m'}, {false, vault::EcdsaFormat::der}}; }
SH_SAMPLE(SignBatch) { return {at("w/k1"), {Bytes{1}, Bytes{}, Bytes{2, 3}}}; }
SH_SAMPLE(PutSecret) { return {"t", secret("another")}; }
SH_SAMPLE(GetSecret) { return {"s"}; }
SH_SAMPLE(SyncSnapshot) { return {}; }
SH_SAMPLE(ClusterStatus) { return {}; }  // an engine alone: its own position
SH_SAMPLE(CollectGarbage) { return {}; }
SH_SAMPLE(ChangePassword) { return {secret(kPassword), secret(kNewPassword)}; }
SH_SAMPLE(CheckPassword) { return {secret(kNewPassword)}; }
SH_SAMPLE(ExpireKey) { return {.at = at("w/expiring"), .expires_at = 4102444800}; }  // 2100-01-01
SH_SAMPLE(SignSchnorr) { return {at("w/k1"), Bytes(32, 5), Bytes(32, 6)}; }
SH_SAMPLE(NodePublicKey) { return {at("w/seed"), "m/0'/1", vault::Curve::secp256k1}; }
SH_SAMPLE(GenerateMnemonic) {
  return {.at = at("fresh/mnemonic"), .words = 12, .language = vault::Bip39Language::japanese};
}
// French, its "é" composed (the list's is decomposed).
SH_SAMPLE(RecoverMnemonic) {
  return {.at = at("w/recovered"),
          .mnemonic = secret("implorer visage sonnette voyage v\xc3\xa9loce pourpre volaille tribunal implorer "
                             "visage sonnette voyelle"),
          .language = vault::Bip39Language::french};
}
SH_SAMPLE(AgreeKey) { return {at("w/x"), x25519_public(filled(0x41)), at("w/shared")}; }
SH_SAMPLE(Hmac) { return {at("w/sym"), vault::Hash::sha512, Bytes{'m'}}; }
SH_SAMPLE(Hkdf) { return {at("w/sym"), vault::Hash::sha256, Bytes{1}, Bytes{2}, 32, at("w/hkdf")}; }
SH_SAMPLE(Pbkdf2) {
  return {secret("password"), Bytes(16, 7), 1000, 32, at("w/pbkdf2"), vault::Overwrite::refuse, vault::Hash::sha256};
}
SH_SAMPLE(AeadEncrypt) {
  return {at("w/sym"), vault::Aead::xchacha20poly1305, secret("plain"), Bytes{9}, Bytes(24, 8)};
}
SH_SAMPLE(AeadDecrypt) {
  // What AeadEncrypt's sample makes (checked by the walk, which runs it first).
  AeadDecrypt request{
      .at = at("w/sym"), .cipher = vault::Aead::xchacha20poly1305, .sealed = {}, .associated_data = Bytes{9}};
  unsigned char ciphertext[5 + crypto_aead_xchacha20poly1305_ietf_ABYTES];
  unsigned long long length = 0;
  const Bytes key = filled(0x14), nonce = Bytes(24, 8), ad = Bytes{9};
  crypto_aead_xchacha20poly1305_ietf_encrypt(ciphertext, &length, reinterpret_cast<const unsigned char*>("plain"), 5,
                                             ad.data(), ad.size(), nullptr, nonce.data(), key.data());
  request.sealed.nonce = nonce;
  request.sealed.ciphertext.assign(ciphertext, ciphertext + 5);
  request.sealed.tag.assign(ciphertext + 5, ciphertext + length);
  return request;
}
SH_SAMPLE(ListSecrets) { return {}; }
SH_SAMPLE(DeleteSecret) { return {"t"}; }
SH_SAMPLE(ListRecords) { return {"w"}; }
SH_SAMPLE(ExportVaults) { return {f.x_public, at("w/ed"), {"w"}}; }
SH_SAMPLE(ImportVaults) { return {f.export_file, at("w/x"), f.ed_public, vault::Overwrite::replace}; }
SH_SAMPLE(ExportWithPassword) { return {secret(kExportPassword), at("w/ed"), {"w"}}; }
SH_SAMPLE(ImportWithPassword) {
  return {f.password_export_file, secret(kExportPassword), f.ed_public, vault::Overwrite::replace};
}
// A policy that counts uses: no later kind signs with w/ed, so its count stays 0.
SH_SAMPLE(SetPolicy) { return {"w", "ed", PolicyRules{{}, {}, 1000, 10, 60, 0, 0, {}, 0, true}}; }
SH_SAMPLE(ShowPolicy) { return {"w", "ed"}; }
// Every front end serves a copy of the same snapshot and its log, and runs the same requests
// before these: the same entries, the same report. The first ten entries are the fixture's own.
// (A report covers the requests before it, not itself.)
SH_SAMPLE(VerifyAudit) { return {}; }
SH_SAMPLE(ShowAudit) { return {0, 0, 10}; }
SH_SAMPLE(SetAuditMode) { return {vault::AuditMode::best_effort, secret(kNewPassword)}; }
// Client management takes the password, which ChangePassword's sample changed.
SH_SAMPLE(ClientAdd) { return {"alice", f.ed_public, vault::Overwrite::refuse, secret(kNewPassword)}; }
SH_SAMPLE(ClientRemove) { return {"alice", secret(kNewPassword)}; }
SH_SAMPLE(ClientList) { return {}; }  // bob, whom the fixture added
SH_SAMPLE(ApproverAdd) { return {"carol", f.ed_public, vault::Overwrite::refuse, secret(kNewPassword)}; }
SH_SAMPLE(ApproverRemove) { return {"carol", secret(kNewPassword)}; }
SH_SAMPLE(ApproverList) { return {}; }  // dave, whom the fixture added
// 1 of 1 on key.delete alone: a pending request's id is random, so no later kind of the walk may
// wait (the default kinds include import.stronghold with replace and key.wrap).
SH_SAMPLE(SetApprovalRule) {
  return {1, {static_cast<std::uint16_t>(RequestKind::DeleteKey)}, 600, secret(kNewPassword)};
}
SH_SAMPLE(ListApprovals) { return {}; }  // none waits
// A pending request's id is random, so no sample approves one: every front end refuses the same
// unknown id alike (tests/actors/approval_test.cpp approves real ones).
SH_SAMPLE(Approve) { return {"00000000000000000000000000000000", "dave", Bytes(64, 1)}; }
// iota-sdk's own wallet file (tests/fixtures/rust-stronghold): its seed lands in vault "rust".
Bytes rust_wallet_file() {
  const std::string text = test::read_test_file("fixtures/rust-stronghold/v2.stronghold");
  return {text.begin(), text.end()};
}
SH_SAMPLE(ImportStronghold) {
  return {rust_wallet_file(), secret("current_password"), {}, "wallet", "rust/seed", {}, vault::Overwrite::replace};
}
SH_SAMPLE(InspectStronghold) { return {rust_wallet_file(), secret("current_password"), {}}; }
SH_SAMPLE(SignKeccak) {
  SignKeccak request{at("w/k1"), Bytes{'m'}};
  request.options.format = vault::EcdsaFormat::recoverable;
  return request;
}
SH_SAMPLE(EvmAddress) { return {at("w/k1")}; }
SH_SAMPLE(CompareRecord) { return {at("w/ed"), secret(filled(0x11))}; }
SH_SAMPLE(ConcatKdf) {
  return {at("w/shared"), vault::Hash::sha384, "A128GCM", Bytes{'A'}, Bytes{'B'}, Bytes{0, 0, 0, 128}, Bytes{}, 16,
          at("w/concat")};
}
SH_SAMPLE(WrapKey) { return {at("w/sym"), at("w/sym")}; }
SH_SAMPLE(UnwrapKey) {
  // What WrapKey's sample answers: w/sym (0x14 bytes) wrapped under itself.
  Bytes wrapped(32 + vault::kKeyWrapOverhead);
  REQUIRE(vault::aes_key_wrap_raw(filled(0x14), filled(0x14), wrapped).ok());
  return {wrapped, at("w/sym"), at("w/unwrapped")};
}
SH_SAMPLE(GenerateSeed) { return {.at = at("fresh/seed"), .bytes = 32}; }
SH_SAMPLE(DidCreate) { return {"dev", "sign-0", secret(filled(0x51))}; }
SH_SAMPLE(DidList) { return {}; }
SH_SAMPLE(DidExists) { return {f.did}; }
SH_SAMPLE(DidPurge) { return {f.doomed_did}; }
SH_SAMPLE(DidKeyGenerate) { return {f.did, vault::IdentityKeyType::ed25519, "sign-1"}; }
SH_SAMPLE(DidKeyInsert) {
  return {f.did, vault::KeyLocation::make(vault::IdentityKeyType::x25519, "enc-1", x25519_public(filled(0x52))).value(),
          secret(filled(0x52))};
}
SH_SAMPLE(DidKeyPublic) { return {f.did, f.did_signing_key}; }
SH_SAMPLE(DidKeyDelete) {  // the key DidKeyInsert's sample added
  return {f.did,
          vault::KeyLocation::make(vault::IdentityKeyType::x25519, "enc-1", x25519_public(filled(0x52))).value()};
}
SH_SAMPLE(DidKeyExists) { return {f.did, f.did_signing_key}; }
SH_SAMPLE(DidKeySign) { return {f.did, f.did_signing_key, {Bytes{1}, Bytes{2}}}; }
SH_SAMPLE(DidDecrypt) {
  return {f.did, f.did_x25519_key, f.encrypted, vault::ContentEncryption::aes256gcm, vault::KeyManagement::ecdh_es, {}};
}
SH_SAMPLE(DidValueGet) { return {f.did, vault::IdentityValue::document}; }
SH_SAMPLE(DidValueSet) { return {f.did, vault::IdentityValue::chain_state, R"({"n":1})"}; }

#undef SH_SAMPLE

// ---- answers: fresh randomness is compared by what must hold of it

template <class R>
void normalize(typename R::Answer&) {}

// A new key: its size says its type.
template <>
void normalize<GenerateKey>(Bytes& public_key) {
  public_key.assign(public_key.size(), 0);
}
// A new (Japanese) mnemonic: its word count, from its ideographic spaces.
template <>
void normalize<GenerateMnemonic>(Secret& mnemonic) {
  std::size_t words = 0;
  REQUIRE(mnemonic
              .open([&](ByteView text) {
                const std::string_view chars(reinterpret_cast<const char*>(text.data()), text.size());
                for (std::size_t at = chars.find("\xe3\x80\x80"); at != std::string_view::npos;
                     at = chars.find("\xe3\x80\x80", at + 3))
                  ++words;
                ++words;
                return Status();
              })
              .ok());
  mnemonic = secret(std::to_string(words));
}
// A new key location: its type and fragment (its hash names the new key).
template <>
void normalize<DidKeyGenerate>(vault::KeyLocation& location) {
  location = vault::KeyLocation::make(location.type(), location.fragment(), filled(0)).value();
}
// An export: sealed to a fresh ephemeral key or under a fresh salt; its size is fixed by what it
// holds.
template <>
void normalize<ExportVaults>(Bytes& file) {
  file.assign(file.size(), 0);
}
template <>
void normalize<ExportWithPassword>(Bytes& file) {
  normalize<ExportVaults>(file);
}
// The log's anchor follows its head by up to a second (or the next commit): where it stands
// depends on timing, so only its bound is compared.
template <>
void normalize<VerifyAudit>(AuditReport& report) {
  CHECK(report.anchor_sequence <= report.head_sequence);
  report.anchor_sequence = 0;
}
// An engine alone is its own head. Where its chain stands depends on timing (a use reservation
// or an audit anchor may be committed a moment later on one front end than on another), so only
// that is compared.
template <>
void normalize<ClusterStatus>(ClusterState& state) {
  CHECK(state.node.empty());
  CHECK(state.position > 1);
  CHECK(state.head == state.position);
  CHECK(state.nodes.empty());
  CHECK(state.members.empty());
  state.position = state.head = 0;
}
// Records made during the walk carry the second they were made in.
template <>
void normalize<ListRecords>(std::vector<RecordEntry>& records) {
  for (RecordEntry& record : records)
    record.created_at = 0;
}

// The kinds whose sample is refused (alike by every front end) rather than served.
template <class R>
constexpr Errc kSampleOutcome = Errc::ok;
template <>
constexpr Errc kSampleOutcome<Approve> = Errc::not_found;

template <class R>
Bytes normalized(const runtime::SecretBytes& answer) {
  auto decoded = actors::wire::decode_answer<R>(ByteView(answer.data(), answer.size()));
  if (kSampleOutcome<R> != Errc::ok) {
    REQUIRE(decoded.status().code() == kSampleOutcome<R>);
    return Bytes(answer.view().begin(), answer.view().end());
  }
  REQUIRE_MESSAGE(decoded.ok(), R::kName, ": ", decoded.status().to_string());
  normalize<R>(*decoded);
  const auto encoded = actors::wire::encode_answer<R>(*decoded).value();
  return Bytes(encoded.view().begin(), encoded.view().end());
}

// The façade's typed call, its answer encoded for the comparison.
template <class R>
runtime::SecretBytes through_facade(Engine& engine, const R& request) {
  return actors::wire::encode_reply<R>(engine.call(request)).value();
}

runtime::SecretBytes through_c_abi(stronghold_engine* engine, const runtime::SecretBytes& request) {
  std::uint8_t* answer = nullptr;
  std::size_t answer_len = 0;
  REQUIRE(stronghold_call(engine, request.data(), request.size(), &answer, &answer_len) == STRONGHOLD_OK);
  runtime::SecretBytes copy(ByteView(answer, answer_len));
  stronghold_free_answer(answer, answer_len);
  return copy;
}

runtime::SecretBytes through_daemon(stronghold::wire::Client& client, const runtime::SecretBytes& request) {
  auto answer = client.call(request.view());
  REQUIRE_MESSAGE(answer.ok(), answer.status().to_string());
  return std::move(*answer);
}

struct FrontEnds {
  test::TempDir dir;
  Fixture fixture = prepare(dir.file("source.stronghold"));
  std::unique_ptr<Engine> facade;
  stronghold_engine* c_abi = nullptr;
  pid_t daemon_pid = -1;
  std::optional<stronghold::wire::Client> daemon_client;

  FrontEnds() {
    for (const std::string copy : {"facade.stronghold", "c.stronghold", "daemon.stronghold"}) {
      std::filesystem::copy_file(dir.file("source.stronghold"), dir.file(copy));
      std::filesystem::copy_file(dir.file("source.stronghold.audit"), dir.file(copy + ".audit"));
    }
    start_daemon();
    stronghold::EngineOptions options;
    options.snapshot.kdf = snapshot::KdfPreset::fast;
    facade = Engine::open(dir.file("facade.stronghold"), kPassword, options).value();
    REQUIRE(stronghold_open(dir.file("c.stronghold").c_str(), kPassword.data(), kPassword.size(), 0, &c_abi) ==
            STRONGHOLD_OK);
  }
  ~FrontEnds() {
    stronghold_close(c_abi);
    if (daemon_pid > 0) {
      ::kill(daemon_pid, SIGKILL);
      ::waitpid(daemon_pid, nullptr, 0);
    }
  }

  void start_daemon() {
    std::ofstream(dir.file("password")) << "vocab\n";
    const std::string socket = dir.file("d.sock");
    daemon_pid = test::spawn_program({STRONGHOLDD_PATH, "--snapshot", dir.file("daemon.stronghold"), "--socket", socket,
                                      "--password-file", dir.file("password")});
    REQUIRE(daemon_pid > 0);
    for (int i = 0; i < 200 && !daemon_client; ++i) {
      if (auto connected = stronghold::wire::Client::connect(socket); connected.ok())
        daemon_client.emplace(std::move(*connected));
      else
        std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
    REQUIRE(daemon_client.has_value());
  }
  FrontEnds(const FrontEnds&) = delete;
  FrontEnds& operator=(const FrontEnds&) = delete;
};

}  // namespace

TEST_CASE("every request kind gives the same answer through the façade, the C ABI and strongholdd") {
  FrontEnds front_ends;
  std::size_t kinds = 0;
  for_each_request_type([&](auto prototype) {
    using R = decltype(prototype);
    ++kinds;
    CAPTURE(R::kName);
    const R request = sample<R>(front_ends.fixture);
    const runtime::SecretBytes encoded = actors::wire::encode_request(request).value();
    // The wire form decodes to a request that encodes to the same bytes.
    const auto decoded = actors::wire::decode_request<R>(ByteView(encoded.data(), encoded.size()));
    REQUIRE(decoded.ok());
    CHECK(std::ranges::equal(actors::wire::encode_request(*decoded).value().view(), encoded.view()));

    const runtime::SecretBytes facade = through_facade(*front_ends.facade, request);
    const Bytes expected = normalized<R>(facade);  // fails unless the request succeeded
    CHECK(normalized<R>(through_c_abi(front_ends.c_abi, encoded)) == expected);
    CHECK(normalized<R>(through_daemon(*front_ends.daemon_client, encoded)) == expected);
  });
  CHECK(kinds >= 40);
}

namespace {

// One request of a policy table, with the outcome every front end must give it.
struct PolicyStep {
  std::string what;
  runtime::SecretBytes request;
  Errc expected = Errc::ok;
  std::function<Result<Bytes>(const runtime::SecretBytes&)> outcome;  // the answer's bytes, or its error
};

template <class R>
PolicyStep policy_step(std::string what, R request, Errc expected) {
  return {std::move(what), actors::wire::encode_request(request).value(), expected,
          [](const runtime::SecretBytes& answer) -> Result<Bytes> {
            auto decoded = actors::wire::decode_answer<R>(ByteView(answer.data(), answer.size()));
            if (!decoded.ok())
              return decoded.status();
            const auto encoded = actors::wire::encode_answer<R>(*decoded).value();
            return Bytes(encoded.view().begin(), encoded.view().end());
          }};
}

SetPolicy policy_on(std::string_view where, PolicyRules rules) {
  const Location location = at(where);
  return {location.vault, location.record, std::move(rules)};
}

std::vector<PolicyStep> policy_table() {
  const std::string daemon_caller = "uid:" + std::to_string(::geteuid());
  const auto kind = [](RequestKind k) { return static_cast<std::uint16_t>(k); };
  const Bytes digest(32, 7);
  std::vector<PolicyStep> steps;
  const auto add = [&](auto step) { steps.push_back(std::move(step)); };
  add(policy_step("kinds: set", policy_on("w/ed", {.kinds = {kind(RequestKind::Sign)}}), Errc::ok));
  add(policy_step("kinds: allowed", Sign{at("w/ed"), Bytes{'m'}}, Errc::ok));
  add(policy_step("kinds: refused", SignBatch{at("w/ed"), {Bytes{'m'}}}, Errc::denied));
  add(policy_step("prehashed: set", policy_on("w/k1", {.allow_prehashed = false}), Errc::ok));
  add(policy_step("prehashed: allowed", SignEcdsa{at("w/k1"), digest, {false, vault::EcdsaFormat::der}}, Errc::ok));
  add(policy_step("prehashed: refused", SignEcdsa{at("w/k1"), digest, {true, vault::EcdsaFormat::der}}, Errc::denied));
  add(policy_step("callers: set", policy_on("w/k1", {.callers = {"owner", daemon_caller}}), Errc::ok));
  add(policy_step("callers: allowed", SignEcdsa{at("w/k1"), Bytes{'m'}, {}}, Errc::ok));
  add(policy_step("callers: narrowed", policy_on("w/k1", {.callers = {"client:nobody"}}), Errc::ok));
  add(policy_step("callers: refused", SignEcdsa{at("w/k1"), Bytes{'m'}, {}}, Errc::denied));
  add(policy_step("max uses: set", policy_on("w/expiring", {.max_uses = 1}), Errc::ok));
  add(policy_step("max uses: allowed", Sign{at("w/expiring"), Bytes{'m'}}, Errc::ok));
  add(policy_step("max uses: refused", Sign{at("w/expiring"), Bytes{'m'}}, Errc::denied));
  add(policy_step("rate: set", policy_on("w/doomed", {.rate_count = 1, .rate_seconds = 86'400}), Errc::ok));
  add(policy_step("rate: allowed", Sign{at("w/doomed"), Bytes{'m'}}, Errc::ok));
  add(policy_step("rate: refused", Sign{at("w/doomed"), Bytes{'m'}}, Errc::denied));
  add(policy_step("window: opened", policy_on("w/sym", {.not_before = 1}), Errc::ok));
  add(policy_step("window: allowed", Hmac{at("w/sym"), vault::Hash::sha256, Bytes{'m'}}, Errc::ok));
  add(policy_step("window: closed", policy_on("w/sym", {.not_after = 1}), Errc::ok));
  add(policy_step("window: refused", Hmac{at("w/sym"), vault::Hash::sha256, Bytes{'m'}}, Errc::denied));
  add(policy_step("paths: set", policy_on("w/seed", {.path_prefixes = {"m/44'/4218'"}}), Errc::ok));
  add(policy_step("paths: allowed", NodePublicKey{at("w/seed"), "m/44'/4218'/0'", vault::Curve::ed25519}, Errc::ok));
  add(policy_step("paths: refused", NodePublicKey{at("w/seed"), "m/44'/60'/0'", vault::Curve::ed25519}, Errc::denied));
  add(policy_step("message: set", SetPolicy{"w", "", {.max_message = 4}}, Errc::ok));
  add(policy_step("message: allowed", Sign{at("w/ed"), Bytes(4, 'm')}, Errc::ok));
  add(policy_step("message: refused", Sign{at("w/ed"), Bytes(5, 'm')}, Errc::denied));
  return steps;
}

}  // namespace

TEST_CASE("each policy rule allows and refuses alike through the façade, the C ABI and strongholdd") {
  FrontEnds front_ends;
  for (const PolicyStep& step : policy_table()) {
    CAPTURE(step.what);
    const Result<Bytes> facade = step.outcome(front_ends.facade->call_wire(step.request.view()).value());
    const Result<Bytes> c_abi = step.outcome(through_c_abi(front_ends.c_abi, step.request));
    const Result<Bytes> daemon = step.outcome(through_daemon(*front_ends.daemon_client, step.request));
    CHECK(facade.status().code() == step.expected);
    CHECK(c_abi.status().code() == step.expected);
    CHECK(daemon.status().code() == step.expected);
    if (step.expected == Errc::ok) {
      CHECK(c_abi.value() == facade.value());
      CHECK(daemon.value() == facade.value());
    }
  }
}

TEST_CASE("an application that opens the C ABI as a named caller is that caller to policies") {
  test::TempDir dir;
  const std::string path = dir.file("named.stronghold");
  {
    auto engine = Engine::create(path, kPassword, test::fast_engine_options()).value();
    REQUIRE(engine->generate(at("w/ed"), KeyType::ed25519).ok());
    REQUIRE(engine->call(SetPolicy{"w", "", {.callers = {"app-1"}}}).ok());
  }
  const std::uint8_t message[] = {'m'};
  std::uint8_t signature[64];
  for (const char* caller : {"app-1", "app-2"}) {
    CAPTURE(caller);
    stronghold_engine* engine = nullptr;
    REQUIRE(stronghold_open_as(path.c_str(), kPassword.data(), kPassword.size(), 0, caller, &engine) == STRONGHOLD_OK);
    const int signed_as =
        stronghold_sign(engine, "w/ed", message, sizeof message, signature, sizeof signature, nullptr);
    CHECK(signed_as == (std::string_view(caller) == "app-1" ? STRONGHOLD_OK : STRONGHOLD_DENIED));
    stronghold_close(engine);
  }
  stronghold_engine* engine = nullptr;
  for (const char* bad :
       {"", "with space", "new\nline", "0123456789012345678901234567890123456789012345678901234567890123x"})
    CHECK(stronghold_open_as(path.c_str(), kPassword.data(), kPassword.size(), 0, bad, &engine) ==
          STRONGHOLD_INVALID_ARGUMENT);
  CHECK(stronghold_open_as(path.c_str(), kPassword.data(), kPassword.size(), 0, nullptr, &engine) ==
        STRONGHOLD_INVALID_ARGUMENT);
  CHECK(engine == nullptr);
}
