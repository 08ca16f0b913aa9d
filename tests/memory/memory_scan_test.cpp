// No plaintext secret stays in a serving process's ordinary memory: known keys, seeds, a
// mnemonic, secret values and passwords go in through every kind of request, and after each one
// (and after lock, with the guarded memory included) the process's memory is searched for them.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <charconv>
#include <chrono>
#include <fstream>
#include <string_view>
#include <thread>

#include <doctest/doctest.h>
#include <fmt/format.h>
#include <sodium.h>

#include "stronghold/actors/wire.hpp"
#include "stronghold/snapshot/snapshot.hpp"
#include "stronghold/vault/keys.hpp"
#include "support/child_process.hpp"
#include "support/file_bytes.hpp"
#include "support/memory_scan.hpp"
#include "support/temp_dir.hpp"
#include "wire/client.hpp"

using namespace stronghold;
using wire::Op;

namespace {

Bytes text(std::string_view value) { return Bytes(value.begin(), value.end()); }

// 32 bytes that appear nowhere by chance: BLAKE2b of a label.
Bytes derived(std::string_view label) {
  Bytes out(32);
  crypto_generichash(out.data(), out.size(), reinterpret_cast<const std::uint8_t*>(label.data()), label.size(), nullptr,
                     0);
  return out;
}

const std::string kPassword = "memory-scan-password-0b5e";
const std::string kSecretValue = "memory-scan-secret-value-77c1";
const std::string kExportPassword = "memory-scan-export-pw-12ab";
const std::string kMnemonic = "legal winner thank year wave sausage worth useful legal winner thank yellow";
const Bytes kEd25519 = derived("memory-scan ed25519 seed");
const Bytes kSecp256k1 = derived("memory-scan secp256k1 key");
const Bytes kX25519 = derived("memory-scan x25519 key");

std::vector<test::KnownSecret> known_secrets() {
  return test::with_hex_forms({{"the snapshot password", text(kPassword)},
                               {"a secret value", text(kSecretValue)},
                               {"the export password", text(kExportPassword)},
                               {"the mnemonic", text(kMnemonic)},
                               {"the Ed25519 seed", kEd25519},
                               {"the secp256k1 key", kSecp256k1},
                               {"the X25519 key", kX25519}});
}

std::string join(const std::vector<std::string>& words, std::size_t from) {
  std::string text;
  for (std::size_t i = from; i < words.size(); ++i)
    text += (i > from ? " " : "") + words[i];
  return text;
}

class ServedSnapshot {
 public:
  // A snapshot holding `bulk_keys` generated keys (so that an export of it is large).
  explicit ServedSnapshot(int bulk_keys = 0) {
    snapshot::SnapshotOptions options;
    options.kdf = snapshot::KdfPreset::fast;
    auto created = snapshot::Snapshot::create(snapshot::posix_file_system(), snapshot_, as_bytes(kPassword), options);
    REQUIRE(created.ok());
    vault::Transaction tx((*created)->keystore());
    for (int i = 0; i < bulk_keys; ++i)
      REQUIRE(vault::generate_key(tx, vault::Location{"bulk", std::to_string(i)}, vault::KeyType::ed25519).ok());
    REQUIRE((*created)->commit(std::move(tx)).ok());
    created->reset();
    std::ofstream(dir_.file("password")) << kPassword << "\n";
    std::ofstream(dir_.file("export-password")) << kExportPassword << "\n";
    pid_ = test::spawn_program({STRONGHOLDD_PATH, "--snapshot", snapshot_, "--socket", socket_, "--password-file",
                                dir_.file("password"), "--idle-lock", "0"});
    REQUIRE(pid_ > 0);
    for (int i = 0; i < 400 && !wire::Client::connect(socket_).ok(); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
    REQUIRE(wire::Client::connect(socket_).ok());
    // The password file is gone once read: any copy found later is the daemon's.
    (void)std::remove(dir_.file("password").c_str());
  }
  ~ServedSnapshot() {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }

  // `stronghold --socket S ARGS` with `input` on standard input; requires success and returns
  // standard output.
  std::string cli(std::vector<std::string> args, const std::string& input = "") {
    args.insert(args.begin(), {STRONGHOLD_CLI_PATH, "--socket", socket_});
    const test::ProgramRun run = test::run_program(args, {}, input);
    REQUIRE_MESSAGE(run.exit_code == 0, args.at(3) << " " << args.at(4) << ": " << run.err);
    expect_clean("stronghold " + join(args, 3));
    return run.out;
  }

  // One request of the daemon's own protocol; requires success and scans after it (unless
  // told not to: a loop scans once at its end).
  void call(Op op, std::vector<Bytes> fields, bool scan_after = true) {
    auto client = wire::Client::connect(socket_);
    REQUIRE(client.ok());
    const auto answer = client->call(op, std::move(fields));
    REQUIRE_MESSAGE(answer.ok(), answer.status().to_string());
    if (scan_after)
      expect_clean(fmt::format("daemon op {}", static_cast<int>(op)));
  }

  // One engine request through the request op; requires a success, scans after it (with `also`)
  // and returns the answer.
  template <actors::EngineRequest R>
  typename R::Answer request(const R& engine_request, const std::vector<test::KnownSecret>& also = {}) {
    auto client = wire::Client::connect(socket_);
    REQUIRE(client.ok());
    const auto answer = client->call(actors::wire::encode_request(engine_request).value().view());
    REQUIRE_MESSAGE(answer.ok(), answer.status().to_string());
    auto decoded = actors::wire::decode_answer<R>(answer->view());
    REQUIRE_MESSAGE(decoded.ok(), decoded.status().to_string());
    expect_clean(fmt::format("daemon request {}", R::kName), false, also);
    return std::move(*decoded);
  }

  // Fails naming `request` and every mapping that holds a secret.
  void expect_clean(const std::string& request, bool include_guarded = false,
                    const std::vector<test::KnownSecret>& also = {}) {
    auto secrets = known_secrets();
    secrets.insert(secrets.end(), also.begin(), also.end());
    const auto hits = test::scan_process(pid_, secrets, include_guarded);
    REQUIRE_MESSAGE(hits.ok(), hits.status().to_string());
    CHECK_MESSAGE(hits->empty(), "after " << request << ": " << test::describe(*hits));
  }

  std::string file(const std::string& name) const { return dir_.file(name); }

 private:
  test::TempDir dir_;
  std::string snapshot_ = dir_.file("scan.stronghold");
  std::string socket_ = dir_.file("scan.sock");
  pid_t pid_ = -1;
};

}  // namespace

TEST_CASE("strongholdd keeps no plaintext secret in ordinary memory, through every request and after lock") {
  ServedSnapshot served;
  served.expect_clean("start with a password file");

  // The CLI through the daemon: every command that carries or touches a secret.
  served.cli({"key", "import", "--type", "ed25519", "--at", "w/ed"}, to_hex(kEd25519) + "\n");
  served.cli({"key", "import", "--type", "secp256k1", "--at", "w/k1"}, to_hex(kSecp256k1) + "\n");
  served.cli({"key", "import", "--type", "x25519", "--at", "w/x"}, to_hex(kX25519) + "\n");
  served.cli({"sign", "--at", "w/ed", "--hex", "0102"});
  served.cli({"sign", "--at", "w/k1", "--hex", "0102"});
  served.cli({"sign", "--at", "w/k1", "--hex", "0102", "--schnorr"});
  served.cli({"mnemonic", "recover", "--at", "w/seed"}, kMnemonic + "\n");
  served.cli({"derive", "--from", "w/seed", "--path", "m/44'/4218'/0'", "--curve", "ed25519", "--at", "w/child"});
  served.cli({"dh", "--at", "w/x", "--peer", to_hex(derived("peer")), "--into", "w/shared"});
  served.cli({"secret", "put", "mail"}, kSecretValue + "\n");
  served.cli({"secret", "get", "mail"});
  served.cli({"export", "--out", served.file("all.export"), "--sign-with", "w/ed", "--export-password-file",
              served.file("export-password")});
  served.cli({"import", "--in", served.file("all.export"), "--export-password-file", served.file("export-password"),
              "--merge", "keep"});
  served.cli({"list"});
  served.cli({"did", "create", "--network", "dev"});

  // The daemon's own operations.
  served.call(Op::ping, {});
  served.call(Op::generate, {text("w/gen"), text("ed25519")});
  served.call(Op::public_key, {text("w/ed")});
  for (const char* key : {"w/ed", "w/k1", "w/child"})
    served.call(Op::sign, {text(key), text("a message")});
  served.call(Op::sign_batch, {text("w/ed"), text("one"), text("two"), text("three")});
  served.call(Op::remove, {text("w/gen")});
  served.call(Op::sync, {});
  for (int i = 0; i < 60; ++i)
    served.call(Op::sign, {text("w/ed"), text("again")}, false);
  served.expect_clean("60 more signatures");

  served.call(Op::lock, {});
  served.expect_clean("lock (guarded memory included)", true);
  served.call(Op::unlock, {text(kPassword)});
  served.cli({"sign", "--at", "w/ed", "--hex", "03"});
  served.cli({"lock"});
  served.expect_clean("sign, then lock through the CLI (guarded memory included)", true);
}

TEST_CASE("strongholdd keeps no copy of a large request (an export and its password) nor of a mnemonic it made") {
  ServedSnapshot served(6000);  // an export of about 900 KB: the request grows the frame buffer
  served.cli({"export", "--out", served.file("bulk.export"), "--sign-with", "bulk/0", "--export-password-file",
              served.file("export-password")});
  served.cli({"import", "--in", served.file("bulk.export"), "--export-password-file", served.file("export-password")});
  std::string mnemonic = served.cli({"mnemonic", "generate", "--at", "w/new", "--words", "24"});
  REQUIRE(mnemonic.size() > 100);
  mnemonic.pop_back();  // the newline
  served.expect_clean("mnemonic generate", false, {{"the generated mnemonic", text(mnemonic)}});
}

namespace {

// A driver (tests/memory/driver.hpp) in a process of its own, fed commands and secrets by pipe.
class Driver {
 public:
  explicit Driver(const char* program) {
    int to_child[2], from_child[2];
    REQUIRE(::pipe(to_child) == 0);
    REQUIRE(::pipe(from_child) == 0);
    pid_ = ::fork();
    REQUIRE(pid_ >= 0);
    if (pid_ == 0) {
      ::dup2(to_child[0], 0);
      ::dup2(from_child[1], 1);
      for (const int fd : {to_child[0], to_child[1], from_child[0], from_child[1]})
        ::close(fd);
      char* argv[] = {const_cast<char*>(program), nullptr};
      char* envp[] = {nullptr};
      ::execve(argv[0], argv, envp);
      ::_exit(127);
    }
    ::close(to_child[0]);
    ::close(from_child[1]);
    in_ = to_child[1];
    out_ = ::fdopen(from_child[0], "r");
  }
  ~Driver() {
    ::close(in_);
    (void)std::fclose(out_);
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }

  // Runs one command with `secret`; requires success and scans after it (unless told not to).
  void run(const std::string& command, ByteView secret = {}, bool scan_after = true) {
    const std::string line = command + " " + std::to_string(secret.size()) + "\n";
    REQUIRE(::write(in_, line.data(), line.size()) == static_cast<ssize_t>(line.size()));
    if (!secret.empty())
      REQUIRE(::write(in_, secret.data(), secret.size()) == static_cast<ssize_t>(secret.size()));
    char answer[64] = {};
    int code = -1;
    REQUIRE(std::fgets(answer, sizeof answer, out_) != nullptr);
    const std::string_view reply(answer);
    REQUIRE(reply.starts_with("done "));
    REQUIRE(std::from_chars(reply.data() + 5, reply.data() + reply.size(), code).ec == std::errc());
    REQUIRE_MESSAGE(code == 0, command << " answered " << code);
    if (scan_after)
      expect_clean(command);
  }

  void expect_clean(const std::string& request, bool include_guarded = false) {
    const auto hits = test::scan_process(pid_, known_secrets(), include_guarded);
    REQUIRE_MESSAGE(hits.ok(), hits.status().to_string());
    CHECK_MESSAGE(hits->empty(), "after " << request << ": " << test::describe(*hits));
  }

 private:
  pid_t pid_ = -1;
  int in_ = -1;
  std::FILE* out_ = nullptr;
};

}  // namespace

TEST_CASE("an application's process keeps no plaintext secret the engine was given, through the façade and the C ABI") {
  for (const std::string mode : {"facade", "c"}) {
    CAPTURE(mode);
    test::TempDir dir;
    Driver driver(mode == "facade" ? FACADE_DRIVER_PATH : C_ABI_DRIVER_PATH);
    driver.run("create " + dir.file("app.stronghold"), as_bytes(kPassword));
    driver.run("import w/ed ed25519", kEd25519);
    driver.run("import w/k1 secp256k1", kSecp256k1);
    driver.run("import w/x x25519", kX25519);
    driver.run("sign w/ed");
    driver.run("sign w/k1");
    driver.run("generate w/gen");
    driver.run("put mail", as_bytes(kSecretValue));
    driver.run("get mail");
    if (mode == "facade") {
      driver.run("batch w/ed");
      driver.run("mnemonic w/seed", as_bytes(kMnemonic));
      driver.run("derive w/seed w/child");
    }
    for (int i = 0; i < 60; ++i)
      driver.run("sign w/ed", {}, false);
    driver.expect_clean("60 more signatures");
    driver.run("close");
    driver.expect_clean("close (guarded memory included)", true);
  }
}

TEST_CASE("strongholdd keeps no plaintext secret of the request op's requests nor of its answers") {
  ServedSnapshot served;
  const auto seal = [](const Bytes& plaintext) { return actors::Secret::seal(plaintext).value(); };
  const auto at = [](const char* location) { return vault::Location::parse(location).value(); };
  served.request(actors::ImportKey{at("w/ed"), vault::KeyType::ed25519, seal(kEd25519)});
  served.request(actors::Sign{at("w/ed"), text("a message")});
  served.request(actors::PutSecret{"mail", seal(text(kSecretValue))});
  served.request(actors::GetSecret{"mail"});
  served.request(actors::CheckPassword{seal(text(kPassword))});
  served.request(actors::RecoverMnemonic{at("w/seed"), seal(text(kMnemonic))});
  served.request(actors::Pbkdf2{seal(text(kExportPassword)), text("salt"), 1000, 32, at("w/derived")});
  const auto made = served.request(actors::GenerateMnemonic{at("w/new"), 24});
  Bytes mnemonic;
  REQUIRE(made.open([&](ByteView words) {
                mnemonic.assign(words.begin(), words.end());
                return Status{};
              })
              .ok());
  served.expect_clean("mnemonic.generate", false, {{"the generated mnemonic", mnemonic}});
}
