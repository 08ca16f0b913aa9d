// The `stronghold` binary itself: every command run as a user would, with its output and exit
// code checked.
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <future>
#include <sstream>
#include <thread>

#include <doctest/doctest.h>
#include <fmt/format.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sodium.h>

#include "stronghold/runtime/hex.hpp"
#include "stronghold/runtime/sanitizers.hpp"
#include "stronghold/snapshot/snapshot.hpp"
#include "stronghold/vault/keys.hpp"
#include "stronghold/vault/verify.hpp"
#include "support/child_process.hpp"
#include "support/file_bytes.hpp"
#include "support/foreign_listener.hpp"
#include "support/other_user.hpp"
#include "support/temp_dir.hpp"
#include "wire/client.hpp"
#include "wire/socket_trust.hpp"

using namespace stronghold;

namespace {

struct Run : test::ProgramRun {
  // The lines of standard output.
  std::vector<std::string> lines() const {
    std::vector<std::string> all;
    std::istringstream stream(out);
    for (std::string line; std::getline(stream, line);)
      all.push_back(line);
    return all;
  }
};

class Cli {
 public:
  Cli() : snapshot_(dir_.file("cli.stronghold")) {}
  ~Cli() { stop_daemon(); }

  // From now on every command but init goes to a strongholdd serving the snapshot (--socket),
  // started with the password.
  void serve(const std::string& password = "cli-pw") {
    std::ofstream(dir_.file("daemon-pw")) << password << "\n";
    daemon_ = test::spawn_program({STRONGHOLDD_PATH, "--snapshot", snapshot_, "--socket", socket_, "--password-file",
                                   dir_.file("daemon-pw"), "--idle-lock", "0"});
    REQUIRE(daemon_ > 0);
    for (int i = 0; i < 400 && !wire::Client::connect(socket_).ok(); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
    REQUIRE(wire::Client::connect(socket_).ok());
  }
  void stop_daemon() {
    if (daemon_ <= 0)
      return;
    ::kill(daemon_, SIGTERM);
    int status = 0;
    ::waitpid(daemon_, &status, 0);
    daemon_ = -1;
    CHECK((WIFEXITED(status) && WEXITSTATUS(status) == 0));
  }
  bool serving() const { return daemon_ > 0; }

  // Runs `stronghold --snapshot <ours> [--socket <the daemon's>] ARGS` with `input` on standard
  // input and `password` in STRONGHOLD_PASSWORD (none when empty).
  Run run(std::vector<std::string> args, const std::string& input = "", const std::string& password = "cli-pw",
          std::vector<std::string> extra_environment = {}) {
    if (serving() && !on_file_ && (args.empty() || args.front() != "init"))
      args.insert(args.begin(), {"--socket", socket_});
    args.insert(args.begin(), {STRONGHOLD_CLI_PATH, "--snapshot", snapshot_});
    std::vector<std::string> environment = {"HOME=" + dir_.path().string(), "PATH=/usr/bin:/bin"};
    if (!password.empty())
      environment.push_back("STRONGHOLD_PASSWORD=" + password);
    environment.insert(environment.end(), extra_environment.begin(), extra_environment.end());
    return Run{test::run_program(std::move(args), std::move(environment), input, std::chrono::seconds(120),
                                 address_space_limit_)};
  }

  // Runs on the file even while a daemon serves it (or with a --socket of its own).
  Run run_on_file(std::vector<std::string> args, const std::string& input = "") {
    on_file_ = true;
    Run result = run(std::move(args), input);
    on_file_ = false;
    return result;
  }

  // Runs and requires success; returns standard output's lines.
  std::vector<std::string> ok(std::vector<std::string> args, const std::string& input = "") {
    const Run result = run(std::move(args), input);
    INFO("stderr: " << result.err);
    REQUIRE(result.exit_code == 0);
    return result.lines();
  }

  // Commands run from now on get at most this much address space (0: no limit).
  void limit_address_space(rlim_t bytes) { address_space_limit_ = bytes; }

  std::string file(const std::string& name) const { return dir_.file(name); }
  const std::string& snapshot() const { return snapshot_; }
  const std::string& socket() const { return socket_; }
  const std::filesystem::path& folder() const { return dir_.path(); }

 private:
  test::TempDir dir_;
  std::string snapshot_;
  std::string socket_ = dir_.file("d.sock");
  pid_t daemon_ = -1;
  bool on_file_ = false;
  rlim_t address_space_limit_ = 0;
};

// Runs `body` on a new snapshot twice: with the commands run on the file, and sent to a
// strongholdd serving it.
template <class Body>
void on_file_and_through_daemon(Body body) {
  for (const bool through_daemon : {false, true}) {
    CAPTURE(through_daemon);
    Cli cli;
    cli.ok({"init", "--kdf", "fast"});
    if (through_daemon)
      cli.serve();
    body(cli);
  }
}

Bytes hex(const std::string& text) { return from_hex(text).value(); }

}  // namespace

TEST_CASE("init --kdf fast warns that it is for tests") {
  Cli cli;
  const Run fast = cli.run({"init", "--kdf", "fast"});
  CHECK(fast.exit_code == 0);
  CHECK(fast.err.find("for tests") != std::string::npos);
}

TEST_CASE("keys: init, generate, import, sign, and the signatures verify") {
  on_file_and_through_daemon([](Cli& cli) {
    const Run again = cli.run({"init", "--kdf", "fast"});
    CHECK(again.exit_code == 5);
    CHECK(again.err.find("never overwrites") != std::string::npos);

    const Bytes ed = hex(cli.ok({"key", "generate", "--type", "ed25519", "--at", "w/ed"}).at(0));
    const Bytes k1 = hex(cli.ok({"key", "generate", "--type", "secp256k1", "--at", "w/k1"}).at(0));
    CHECK(ed.size() == 32);
    CHECK(k1.size() == 33);
    CHECK(hex(cli.ok({"key", "public", "--at", "w/ed"}).at(0)) == ed);
    CHECK(vault::verify_ed25519(ed, Bytes{0x72}, hex(cli.ok({"sign", "--at", "w/ed", "--hex", "72"}).at(0))));
    CHECK(vault::verify_ecdsa(k1, Bytes{0x72}, hex(cli.ok({"sign", "--at", "w/k1", "--hex", "72"}).at(0))));
    CHECK(cli.ok({"sign", "--at", "w/k1", "--hex", "72", "--recoverable"}).at(0).size() == 130);
    std::ofstream(cli.file("message"), std::ios::binary) << "a message in a file";
    const Bytes from_file = hex(cli.ok({"sign", "--at", "w/ed", "--file", cli.file("message")}).at(0));
    CHECK(vault::verify_ed25519(ed, as_bytes("a message in a file"), from_file));

    // RFC 8032 TEST 1 imported from standard input.
    const auto imported = cli.ok({"key", "import", "--type", "ed25519", "--at", "w/rfc"},
                                 "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60\n");
    CHECK(imported.at(0) == "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
    CHECK(
        cli.ok({"sign", "--at", "w/rfc", "--hex", ""}).at(0) ==
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b");

    const auto listed = cli.ok({"list"});
    REQUIRE(listed.size() == 3);
    CHECK(listed[0] == "w/ed\ted25519\t-\t1\tnever");
    const auto json = cli.ok({"--json", "key", "public", "--at", "w/ed"});
    CHECK(json.at(0) == "{\"public_key\":\"" + to_hex(ed) + "\"}");
    cli.ok({"delete", "--at", "w/rfc"});
    CHECK(cli.run({"sign", "--at", "w/rfc", "--hex", "00"}).exit_code == 3);
    cli.ok({"gc"});
    CHECK(cli.ok({"list"}).size() == 2);
  });
}

TEST_CASE("evm: a known key's address and web3's signature of a personal message") {
  on_file_and_through_daemon([](Cli& cli) {
    // The web3.js documentation's account and its signature of "Some data" (EIP-191).
    cli.ok({"key", "import", "--type", "secp256k1", "--at", "eth/k"},
           "4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318\n");
    CHECK(cli.ok({"evm", "address", "--at", "eth/k"}).at(0) == "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23");
    const std::string personal =
        to_hex(as_bytes("\x19"
                        "Ethereum Signed Message:\n9Some data"));
    CHECK(cli.ok({"sign", "--at", "eth/k", "--hex", personal, "--keccak", "--recoverable"}).at(0) ==
          "b91467e570a6466aa9e9876cbcd013baba02900b8979d43fe208a4a4f339f5fd"
          "6007e74cd82e037b800186422fc2da167c747ef045e5d18a5f5d4300f8e1a02901");
    CHECK(cli.ok({"sign", "--at", "eth/k", "--hex", personal, "--keccak"}).at(0).size() == 128);
    CHECK(cli.run({"sign", "--at", "eth/k", "--hex", personal, "--keccak", "--prehashed"}).exit_code == 5);
    cli.ok({"key", "generate", "--type", "ed25519", "--at", "eth/ed"});
    const Run not_secp256k1 = cli.run({"sign", "--at", "eth/ed", "--hex", "00", "--keccak"});
    CHECK(not_secp256k1.exit_code == 5);
    CHECK(not_secp256k1.err.find("--keccak need a secp256k1 key") != std::string::npos);
    CHECK(cli.run({"evm", "address", "--at", "eth/ed"}).exit_code == 5);
    CHECK(cli.run({"evm", "address", "--at", "eth/none"}).exit_code == 3);
  });
}

TEST_CASE("compare: a record against a value on standard input, equal or not") {
  on_file_and_through_daemon([](Cli& cli) {
    const std::string key = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
    cli.ok({"key", "import", "--type", "ed25519", "--at", "w/ed"}, key + "\n");
    CHECK(cli.ok({"compare", "--at", "w/ed"}, key + "\n").at(0) == "true");
    std::string other = key;
    other.back() = '1';
    CHECK(cli.ok({"compare", "--at", "w/ed"}, other + "\n").at(0) == "false");
    CHECK(cli.ok({"compare", "--at", "w/ed"}, key.substr(0, 62) + "\n").at(0) == "false");
    CHECK(cli.run({"compare", "--at", "w/ed"}, "not hex\n").exit_code == 5);
    CHECK(cli.run({"compare", "--at", "w/none"}, key + "\n").exit_code == 3);
  });
}

TEST_CASE("kdf pbkdf2 and kdf concat store RFC 7914's and RFC 7518's keys") {
  on_file_and_through_daemon([](Cli& cli) {
    // RFC 7914 section 11 (SHA-256); SHA-512: python3 -c "import hashlib;
    // print(hashlib.pbkdf2_hmac('sha512', b'passwd', b'salt', 1, 64).hex())"
    const std::vector<std::string> pbkdf2 = {"kdf", "pbkdf2",   "--salt", "73616c74", "--rounds",
                                             "1",   "--length", "64",     "--hash"};
    const auto with = [](std::vector<std::string> words, std::initializer_list<std::string> more) {
      words.insert(words.end(), more);
      return words;
    };
    cli.ok(with(pbkdf2, {"sha256", "--at", "kdf/p256"}), "passwd\n");
    cli.ok(with(pbkdf2, {"sha512", "--at", "kdf/p512"}), "passwd\n");
    CHECK(cli.ok({"compare", "--at", "kdf/p256"},
                 "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc"
                 "49ca9cccf179b645991664b39d77ef317c71b845b1e30bd509112041d3a19783\n")
              .at(0) == "true");
    CHECK(cli.ok({"compare", "--at", "kdf/p512"},
                 "c74319d99499fc3e9013acff597c23c5baf0a0bec5634c46b8352b793e324723"
                 "d55caa76b2b25c43402dcfdc06cdcf66f95b7d0429420b39520006749c51a04e\n")
              .at(0) == "true");
    CHECK(cli.run(with(pbkdf2, {"sha256", "--at", "kdf/p256"}), "passwd\n").exit_code == 5);
    CHECK(cli.run(with(pbkdf2, {"md5", "--at", "kdf/md5"}), "passwd\n").exit_code == 5);
    CHECK(cli.run({"kdf", "pbkdf2", "--salt", "00", "--rounds", "1000001", "--hash", "sha256", "--at", "kdf/slow"},
                  "pw\n")
              .exit_code == 5);

    // RFC 7518 Appendix C: Z, "A128GCM", apu "Alice", apv "Bob", 128 bits.
    cli.ok({"key", "import", "--type", "symmetric", "--at", "kdf/z"},
           "9e56d91d817135d372834283bf84269cfb316ea3da806a48f6daa7798cfe90c4\n");
    cli.ok({"kdf", "concat", "--from", "kdf/z", "--hash", "sha256", "--alg", "A128GCM", "--apu", "416c696365", "--apv",
            "426f62", "--pub-info", "00000080", "--length", "16", "--at", "kdf/cek"});
    CHECK(cli.ok({"compare", "--at", "kdf/cek"}, "56aa8deaf8236d205c2228cd71a7101a\n").at(0) == "true");
    const Run again =
        cli.run({"kdf", "concat", "--from", "kdf/z", "--hash", "sha256", "--alg", "A128GCM", "--at", "kdf/cek"});
    CHECK(again.exit_code == 5);
    CHECK(again.err.find("--replace") != std::string::npos);
    CHECK(cli.run({"kdf", "concat", "--from", "kdf/none", "--hash", "sha256", "--alg", "A128GCM", "--at", "kdf/c"})
              .exit_code == 3);
  });
}

TEST_CASE("key wrap prints RFC 3394's wrapped key and key unwrap stores the key, refusing altered bytes") {
  on_file_and_through_daemon([](Cli& cli) {
    // RFC 3394 section 4.6: a 256-bit key under a 256-bit KEK.
    const std::string kek = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
    const std::string key = "00112233445566778899aabbccddeeff000102030405060708090a0b0c0d0e0f";
    const std::string wrapped = "28c9f404c4b810f4cbccb35cfb87f8263f5786e2d80ed326cbc7f0e71a99f43bfb988b9b7a02dd21";
    cli.ok({"key", "import", "--type", "symmetric", "--at", "kw/kek"}, kek + "\n");
    cli.ok({"key", "import", "--type", "symmetric", "--at", "kw/key"}, key + "\n");
    CHECK(cli.ok({"key", "wrap", "--at", "kw/key", "--with", "kw/kek"}).at(0) == wrapped);
    cli.ok({"key", "unwrap", "--hex", wrapped, "--with", "kw/kek", "--into", "kw/back"});
    CHECK(cli.ok({"compare", "--at", "kw/back"}, key + "\n").at(0) == "true");
    CHECK(cli.run({"key", "unwrap", "--hex", wrapped, "--with", "kw/kek", "--into", "kw/back"}).exit_code == 5);

    std::string altered = wrapped;
    altered[10] = altered[10] == '0' ? '1' : '0';
    const Run refused = cli.run({"key", "unwrap", "--hex", altered, "--with", "kw/kek", "--into", "kw/altered"});
    CHECK(refused.exit_code == 5);
    CHECK(refused.err.find("integrity check") != std::string::npos);
    CHECK(cli.run({"compare", "--at", "kw/altered"}, key + "\n").exit_code == 3);
    CHECK(cli.run({"key", "unwrap", "--hex", wrapped, "--with", "kw/key", "--into", "kw/other"}).exit_code == 5);
    CHECK(cli.run({"key", "unwrap", "--hex", wrapped.substr(0, 40), "--with", "kw/kek", "--into", "kw/short"})
              .exit_code == 5);
    CHECK(cli.run({"key", "wrap", "--at", "kw/key", "--with", "kw/none"}).exit_code == 3);
  });
}

TEST_CASE("exit codes: usage, wrong password, not found, damaged, invalid input, busy") {
  Cli cli;
  CHECK(cli.run({"list"}).exit_code == 3);  // no snapshot yet
  cli.ok({"init", "--kdf", "fast"});
  cli.ok({"key", "generate", "--type", "ed25519", "--at", "w/ed"});
  CHECK(cli.run({}).exit_code == 1);
  CHECK(cli.run({"frobnicate"}).exit_code == 1);
  CHECK(cli.run({"key", "generate", "--at", "w/x"}).exit_code == 1);                  // --type missing
  CHECK(cli.run({"sign", "--at", "w/ed", "--hex", "00", "--bogus"}).exit_code == 1);  // unknown option
  CHECK(cli.run({"list"}, "", "wrong").exit_code == 2);
  const Run no_password = cli.run({"list"}, "", "");
  CHECK(no_password.exit_code == 5);
  CHECK(no_password.err.find("--password-file") != std::string::npos);
  CHECK(cli.run({"key", "public", "--at", "w/none"}).exit_code == 3);
  CHECK(cli.run({"sign", "--at", "w/ed", "--hex", "zz"}).exit_code == 5);
  CHECK(cli.run({"key", "generate", "--type", "rsa", "--at", "w/r"}).exit_code == 5);
  CHECK(cli.run({"key", "generate", "--type", "ed25519", "--at", "bad"}).exit_code == 5);
  CHECK(cli.run({"key", "import", "--type", "secp256k1", "--at", "w/zero"}, std::string(64, '0')).exit_code == 5);
  CHECK(cli.run({"sign", "--at", "w/ed", "--hex", "00", "--schnorr"}).exit_code == 5);  // wrong key type
  {
    // Another process holds the snapshot.
    auto held = snapshot::Snapshot::open(snapshot::posix_file_system(), cli.snapshot(), as_bytes("cli-pw"), {});
    REQUIRE(held.ok());
    const Run busy = cli.run({"list"});
    CHECK(busy.exit_code == 6);
    CHECK(busy.err.find("strongholdd") != std::string::npos);
  }
  // Every error is one line on stderr and nothing on stdout.
  const Run failed = cli.run({"key", "public", "--at", "w/none"});
  CHECK(failed.out.empty());
  CHECK(std::count(failed.err.begin(), failed.err.end(), '\n') == 1);
  // A damaged file.
  {
    std::fstream file(cli.snapshot(), std::ios::in | std::ios::out | std::ios::binary);
    file.seekp(200);
    file.put('\x5a').put('\xa5');
  }
  CHECK(cli.run({"list"}).exit_code == 4);
}

TEST_CASE("init creates missing folders private and never changes the mode of an existing one") {
  Cli cli;
  const std::string shared = cli.file("shared");
  REQUIRE(::mkdir(shared.c_str(), 0700) == 0);
  REQUIRE(::chmod(shared.c_str(), 01777) == 0);  // like /tmp
  auto mode_of = [](const std::string& path) {
    struct stat info {};
    REQUIRE(::stat(path.c_str(), &info) == 0);
    return info.st_mode & 07777;
  };
  cli.ok({"--snapshot", shared + "/s.stronghold", "init", "--kdf", "fast"});
  CHECK(mode_of(shared) == 01777);
  cli.ok({"--snapshot", shared + "/new/deeper/s.stronghold", "init", "--kdf", "fast"});
  CHECK(mode_of(shared) == 01777);
  CHECK(mode_of(shared + "/new") == 0700);
  CHECK(mode_of(shared + "/new/deeper") == 0700);
}

TEST_CASE("a torn final write is a warning, a damaged final entry exit 4, and reading changes no byte") {
  Cli cli;
  cli.ok({"init", "--kdf", "fast"});
  cli.ok({"key", "generate", "--type", "ed25519", "--at", "w/ed"});
  const std::string whole = test::read_text(cli.snapshot());
  auto write_snapshot = [&](const std::string& content) { std::ofstream(cli.snapshot(), std::ios::binary) << content; };
  write_snapshot(whole + std::string("\x2a\x00\x00", 3));
  const Run torn = cli.run({"list"});
  CHECK(torn.exit_code == 0);
  CHECK_MESSAGE(torn.err.find("warning") != std::string::npos, torn.err);
  CHECK(torn.err.find("3 bytes") != std::string::npos);
  CHECK(test::read_text(cli.snapshot()) == whole + std::string("\x2a\x00\x00", 3));
  std::string damaged = whole;
  damaged[damaged.size() - 20] ^= 0x01;  // inside the final entry's seal
  write_snapshot(damaged);
  CHECK(cli.run({"list"}).exit_code == 4);
  CHECK(test::read_text(cli.snapshot()) == damaged);
}

TEST_CASE("seed generate, and derive from a derived key as from its seed") {
  on_file_and_through_daemon([](Cli& cli) {
    CHECK(cli.run({"seed", "generate", "--at", "w/seed", "--bytes", "65"}).exit_code == 5);
    CHECK(cli.run({"seed", "generate", "--at", "w/seed", "--bytes", "15"}).exit_code == 5);
    CHECK(cli.run({"seed", "generate", "--at", "w/seed", "--bytes", "lots"}).exit_code == 5);
    cli.ok({"seed", "generate", "--at", "w/seed", "--bytes", "16"});
    CHECK(cli.run({"seed", "generate", "--at", "w/seed"}).exit_code == 5);
    cli.ok({"seed", "generate", "--at", "w/seed", "--replace"});
    for (const char* curve : {"ed25519", "secp256k1"}) {
      const std::string account = std::string("w/account-") + curve;
      cli.ok({"derive", "--from", "w/seed", "--path", "m/44'/1'", "--curve", curve, "--at", account});
      const auto whole =
          cli.ok({"derive", "--from", "w/seed", "--path", "m/44'/1'/2'/3'", "--curve", curve, "--at", account + "-w"});
      CHECK(cli.ok({"derive", "--from", account, "--path", "m/2'/3'", "--curve", curve, "--at", account + "-s"}) ==
            whole);
    }
    cli.ok({"key", "generate", "--type", "ed25519", "--at", "w/plain"});
    const auto refused =
        cli.run({"derive", "--from", "w/plain", "--path", "m/1'", "--curve", "ed25519", "--at", "w/x"});
    CHECK(refused.exit_code == 5);
    CHECK(refused.err.find("no chain code") != std::string::npos);
  });
}

TEST_CASE("mnemonic, derivation, xpub, X25519 exchange") {
  on_file_and_through_daemon([](Cli& cli) {
    const auto mnemonic = cli.ok({"mnemonic", "generate", "--at", "w/seed", "--words", "12"});
    REQUIRE(mnemonic.size() == 1);
    CHECK(std::count(mnemonic[0].begin(), mnemonic[0].end(), ' ') == 11);
    const auto derived =
        cli.ok({"derive", "--from", "w/seed", "--path", "m/44'/4218'/0'", "--curve", "ed25519", "--at", "w/acct"});
    cli.ok({"mnemonic", "recover", "--at", "w/again"}, mnemonic[0] + "\n");
    CHECK(cli.ok({"derive", "--from", "w/again", "--path", "m/44'/4218'/0'", "--curve", "ed25519", "--at",
                  "w/acct2"}) == derived);
    CHECK(cli.ok({"xpub", "--from", "w/seed", "--path", "m/44'/0'/0'"}).at(0).starts_with("xpub"));
    CHECK(cli.run({"mnemonic", "recover", "--at", "w/bad"}, "abandon abandon\n").exit_code == 5);
    const auto spanish = cli.ok({"mnemonic", "generate", "--at", "w/es", "--words", "12", "--language", "spanish"});
    REQUIRE(spanish.size() == 1);
    cli.ok({"mnemonic", "recover", "--at", "w/es-found"}, spanish[0] + "\n");
    cli.ok({"mnemonic", "recover", "--at", "w/es-named", "--language", "spanish"}, spanish[0] + "\n");
    const auto spanish_key =
        cli.ok({"derive", "--from", "w/es", "--path", "m/0'", "--curve", "ed25519", "--at", "w/k"});
    CHECK(cli.ok({"derive", "--from", "w/es-found", "--path", "m/0'", "--curve", "ed25519", "--at", "w/k2"}) ==
          spanish_key);
    CHECK(cli.ok({"derive", "--from", "w/es-named", "--path", "m/0'", "--curve", "ed25519", "--at", "w/k3"}) ==
          spanish_key);
    const Run english_named =
        cli.run({"mnemonic", "recover", "--at", "w/es-en", "--language", "english"}, spanish[0] + "\n");
    CHECK(english_named.exit_code == 5);
    CHECK(english_named.err.find("word 1 of the mnemonic is not in the BIP39 english list") != std::string::npos);
    const Run unknown = cli.run({"mnemonic", "generate", "--at", "w/xx", "--language", "klingon"});
    CHECK(unknown.exit_code == 5);
    CHECK(unknown.err.find("chinese-simplified") != std::string::npos);
    CHECK(cli.run({"mnemonic", "generate", "--at", "w/any", "--language", "any"}).exit_code == 5);
    CHECK(cli.run({"derive", "--from", "w/seed", "--path", "m/x", "--curve", "ed25519", "--at", "w/y"}).exit_code == 5);

    const auto ours = cli.ok({"key", "generate", "--type", "x25519", "--at", "w/x"});
    const auto theirs = cli.ok({"key", "generate", "--type", "x25519", "--at", "w/peer"});
    cli.ok({"dh", "--at", "w/x", "--peer", theirs.at(0), "--into", "w/shared"});
    cli.ok({"dh", "--at", "w/peer", "--peer", ours.at(0), "--into", "w/shared2"});
    CHECK(cli.run({"dh", "--at", "w/x", "--peer", std::string(64, '0'), "--into", "w/z"}).exit_code == 5);
  });
}

TEST_CASE("the secret store, passwd, export and import between snapshots") {
  on_file_and_through_daemon([](Cli& cli) {
    cli.ok({"secret", "put", "mail"}, "correct horse\n");
    CHECK(cli.ok({"secret", "get", "mail"}) == std::vector<std::string>{"correct horse"});
    CHECK(cli.ok({"secret", "list"}) == std::vector<std::string>{"mail"});
    const auto ed = cli.ok({"key", "generate", "--type", "ed25519", "--at", "share/ed"});

    // Export under a password, import into a second snapshot.
    std::ofstream(cli.file("export-pw")) << "transfer\n";
    CHECK(cli.run({"export", "--out", cli.file("out.export"), "--export-password-file", cli.file("export-pw")})
              .exit_code == 1);  // --sign-with missing
    cli.ok({"export", "--out", cli.file("out.export"), "--sign-with", "share/ed", "--export-password-file",
            cli.file("export-pw"), "--vault", "share"});
    CHECK(cli.run({"export", "--out", cli.file("out.export"), "--sign-with", "share/ed", "--export-password-file",
                   cli.file("export-pw")})
              .exit_code == 5);
    Cli other;
    other.ok({"init", "--kdf", "fast"});
    if (cli.serving())
      other.serve();
    const auto plan =
        other.ok({"import", "--in", cli.file("out.export"), "--export-password-file", cli.file("export-pw")});
    CHECK(plan == std::vector<std::string>{"sender\ted25519\t" + ed.at(0), "add\trecord\tshare/ed"});
    CHECK(other.ok({"key", "public", "--at", "share/ed"}) == ed);
    CHECK(other.run({"secret", "get", "mail"}).exit_code == 3);  // only the chosen vault
    std::ofstream(cli.file("wrong-pw")) << "other\n";
    CHECK(other.run({"import", "--in", cli.file("out.export"), "--export-password-file", cli.file("wrong-pw")})
              .exit_code == 5);

    // Export to the other device's X25519 key.
    const auto recipient = other.ok({"key", "generate", "--type", "x25519", "--at", "device/kex"});
    cli.ok({"export", "--out", cli.file("to-other"), "--sign-with", "share/ed", "--recipient", recipient.at(0)});
    CHECK(other.ok({"import", "--in", cli.file("to-other"), "--key", "device/kex", "--from", ed.at(0), "--merge",
                    "replace"}) ==
          std::vector<std::string>{"sender\ted25519\t" + ed.at(0), "replace\trecord\tshare/ed", "add\tsecret\tmail"});
    CHECK(other.ok({"secret", "get", "mail"}) == std::vector<std::string>{"correct horse"});

    // passwd: the old password stops working, even with the old header spliced onto the new file.
    std::ofstream(cli.file("new-pw")) << "brand new\n";
    const std::string before_change = test::read_text(cli.snapshot());
    if (cli.serving()) {
      // Through strongholdd the current password is checked too.
      CHECK(cli.run({"passwd", "--new-password-file", cli.file("new-pw")}, "", "wrong").exit_code == 2);
      cli.ok({"passwd", "--new-password-file", cli.file("new-pw")});
      cli.ok({"lock"});
      const Run locked = cli.run({"list"});
      CHECK(locked.exit_code == 6);
      CHECK(locked.err.find("unlock") != std::string::npos);
      CHECK(cli.run({"unlock"}).exit_code == 2);
      CHECK(cli.run({"--password-file", cli.file("new-pw"), "unlock"}, "", "").exit_code == 0);
      CHECK(cli.run({"unlock"}, "", "wrong").exit_code == 2);  // unlocked already, but not with that
      cli.ok({"secret", "delete", "mail"});
      cli.stop_daemon();
    } else {
      cli.ok({"passwd", "--new-password-file", cli.file("new-pw")});
      cli.run({"--password-file", cli.file("new-pw"), "secret", "delete", "mail"}, "", "");
    }
    CHECK(cli.run({"list"}).exit_code == 2);
    CHECK(cli.run({"--password-file", cli.file("new-pw"), "list"}, "", "").exit_code == 0);
    CHECK(cli.run({"--password-file", cli.file("new-pw"), "secret", "get", "mail"}, "", "").exit_code == 3);
    const std::string after = test::read_text(cli.snapshot());
    std::ofstream(cli.snapshot(), std::ios::binary)
        << before_change.substr(0, snapshot::kHeaderSize) << after.substr(snapshot::kHeaderSize);
    CHECK(cli.run({"list"}).exit_code == 4);
  });
}

// The plan lines an import prints: the sender, then one per record or secret.
std::vector<std::string> plan_lines(const std::string& sender, std::vector<std::string> records) {
  records.insert(records.begin(), "sender\ted25519\t" + sender);
  return records;
}

TEST_CASE(
    "an export forged with only the recipient's public key changes nothing, and the real sender's says what it replaces") {
  on_file_and_through_daemon([](Cli& cli) {
    // The recipient: a wallet key, a secret, and the X25519 key exports to it are sealed to.
    const auto wallet = cli.ok({"key", "generate", "--type", "ed25519", "--at", "wallet/main"});
    cli.ok({"secret", "put", "mail"}, "own value\n");
    const std::string recipient = cli.ok({"key", "generate", "--type", "x25519", "--at", "device/kex"}).at(0);
    // The real sender and a forger, each with a snapshot of its own, each exporting its own
    // wallet/main and "mail" to the recipient's public key, signed with its own key.
    Cli sender, forger;
    std::string sender_key, forger_key, sender_wallet;
    for (Cli* other : {&sender, &forger}) {
      other->ok({"init", "--kdf", "fast"});
      const std::string signing = other->ok({"key", "generate", "--type", "ed25519", "--at", "id/sign"}).at(0);
      const std::string other_wallet = other->ok({"key", "generate", "--type", "ed25519", "--at", "wallet/main"}).at(0);
      other->ok({"secret", "put", "mail"}, other == &sender ? "sender value\n" : "forged value\n");
      other->ok({"export", "--out", other->file("out.export"), "--sign-with", "id/sign", "--recipient", recipient});
      (other == &sender ? sender_key : forger_key) = signing;
      if (other == &sender)
        sender_wallet = other_wallet;
    }
    const std::string forged = forger.file("out.export"), real = sender.file("out.export");
    auto unchanged = [&] {
      CHECK(cli.ok({"key", "public", "--at", "wallet/main"}) == wallet);
      CHECK(cli.ok({"secret", "get", "mail"}) == std::vector<std::string>{"own value"});
    };

    // The importer names the real sender: the forgery is refused, and who signed it is said.
    const Run refused =
        cli.run({"import", "--in", forged, "--key", "device/kex", "--from", sender_key, "--merge", "replace"});
    CHECK(refused.exit_code == 5);
    CHECK(refused.err.find("signed by " + forger_key) != std::string::npos);
    CHECK(refused.lines() == plan_lines(forger_key, {}));
    unchanged();
    // Without --from: the sender's fingerprint and the plan, and nothing changes.
    const Run unconfirmed = cli.run({"import", "--in", forged, "--key", "device/kex", "--merge", "replace"});
    CHECK(unconfirmed.exit_code == 5);
    CHECK(unconfirmed.lines() ==
          plan_lines(forger_key, {"add\trecord\tid/sign", "replace\trecord\twallet/main", "replace\tsecret\tmail"}));
    CHECK(unconfirmed.err.find("not confirmed: check the fingerprint above and give --from HEX") != std::string::npos);
    unchanged();

    // The real sender, confirmed: what is here is kept unless --merge replace, which names it.
    CHECK(cli.ok({"import", "--in", real, "--key", "device/kex", "--from", sender_key}) ==
          plan_lines(sender_key, {"add\trecord\tid/sign", "keep\trecord\twallet/main", "keep\tsecret\tmail"}));
    unchanged();
    const auto replaced =
        cli.ok({"--json", "import", "--in", real, "--key", "device/kex", "--from", sender_key, "--merge", "replace"});
    CHECK(replaced == std::vector<std::string>{R"({"action":"sender","kind":"ed25519","name":")" + sender_key + "\"}",
                                               R"({"action":"replace","kind":"record","name":"id/sign"})",
                                               R"({"action":"replace","kind":"record","name":"wallet/main"})",
                                               R"({"action":"replace","kind":"secret","name":"mail"})"});
    CHECK(cli.ok({"key", "public", "--at", "wallet/main"}).at(0) == sender_wallet);
    CHECK(cli.ok({"secret", "get", "mail"}) == std::vector<std::string>{"sender value"});
    CHECK(cli.run({"import", "--in", real, "--key", "device/kex", "--from", "abcd"}).exit_code == 5);
  });
}

TEST_CASE("export --out refuses a symbolic link and leaves it as it was") {
  on_file_and_through_daemon([](Cli& cli) {
    const std::string out = cli.file("planted.export"), target = cli.file("target");
    REQUIRE(::symlink(target.c_str(), out.c_str()) == 0);
    std::ofstream(cli.file("export-pw")) << "transfer\n";
    cli.ok({"key", "generate", "--type", "ed25519", "--at", "id/sign"});
    const Run refused =
        cli.run({"export", "--out", out, "--sign-with", "id/sign", "--export-password-file", cli.file("export-pw")});
    CHECK(refused.exit_code == 5);
    CHECK(refused.err.find("symbolic link") != std::string::npos);
    CHECK(std::filesystem::is_symlink(out));
    CHECK_FALSE(std::filesystem::exists(target));
  });
}

TEST_CASE("a symbolic link to the snapshot is busy while strongholdd serves it, and passwd keeps the link") {
  Cli cli;
  cli.ok({"init", "--kdf", "fast"});
  const std::string link = cli.file("link.stronghold");
  REQUIRE(::symlink(cli.snapshot().c_str(), link.c_str()) == 0);
  cli.serve();
  CHECK(cli.run_on_file({"--snapshot", link, "key", "generate", "--type", "ed25519", "--at", "w/raced"}).exit_code ==
        6);
  cli.ok({"key", "generate", "--type", "ed25519", "--at", "w/served"});
  cli.stop_daemon();
  std::ofstream(cli.file("new-pw")) << "brand new\n";
  cli.ok({"--snapshot", link, "passwd", "--new-password-file", cli.file("new-pw")});
  CHECK(std::filesystem::is_symlink(link));
  CHECK(cli.run({"--password-file", cli.file("new-pw"), "key", "public", "--at", "w/served"}, "", "").exit_code == 0);
}

TEST_CASE("DIDs from the command line") {
  on_file_and_through_daemon([](Cli& cli) {
    const auto created =
        cli.ok({"did", "create", "--import"}, "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb\n");
    REQUIRE(created.size() == 2);
    CHECK(created[0] == "did:iota:8TURG5VChANzPVSsrfwhqbHqNDPWHr6cFg2RuzyUoFke");
    CHECK(created[1] == "sign-0:15534036041411610771");
    const auto dev = cli.ok({"did", "create", "--network", "dev", "--fragment", "key-1"});
    CHECK(dev.at(0).starts_with("did:iota:dev:"));
    CHECK(cli.ok({"did", "list"}).size() == 2);
    CHECK(
        cli.ok({"did", "sign", "--did", created[0], "--location", created[1], "--hex", "72"}).at(0) ==
        "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00");
    CHECK(cli.ok({"did", "public", "--did", created[0], "--location", created[1]}).at(0) ==
          "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c");
    CHECK(cli.run({"did", "create", "--import"}, "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb\n")
              .exit_code == 5);
    CHECK(cli.run({"did", "create", "--network", "UPPER"}).exit_code == 5);
    CHECK(cli.run({"did", "sign", "--did", "did:iota:nope", "--location", created[1], "--hex", "00"}).exit_code == 5);
    cli.ok({"did", "purge", "--did", created[0]});
    CHECK(cli.run({"did", "public", "--did", created[0], "--location", created[1]}).exit_code == 3);
    CHECK(cli.run({"did", "purge", "--did", created[0]}).exit_code == 3);
    CHECK(cli.ok({"did", "list"}) == std::vector<std::string>{dev.at(0)});
  });
}

TEST_CASE("through strongholdd: long output in parts, inputs too large for one request, refusals") {
  Cli cli;
  cli.ok({"init", "--kdf", "fast"});
  constexpr int kKeys = 30'000;  // a listing of about 1.3 MB: more than one answer frame holds
  {
    auto snapshot = snapshot::Snapshot::open(snapshot::posix_file_system(), cli.snapshot(), as_bytes("cli-pw"), {});
    REQUIRE(snapshot.ok());
    vault::Transaction tx((*snapshot)->keystore());
    for (int i = 0; i < kKeys; ++i)
      REQUIRE(vault::generate_key(tx, vault::Location::parse(fmt::format("bulk/key-{:05}", i)).value(),
                                  vault::KeyType::ed25519)
                  .ok());
    REQUIRE((*snapshot)->commit(std::move(tx)).ok());
  }
  const auto local = cli.ok({"list"});
  cli.serve();
  const auto listed = cli.ok({"list"});
  REQUIRE(listed.size() == kKeys);
  CHECK(listed == local);
  CHECK(listed.back() == "bulk/key-29999\ted25519\t-\t30000\tnever");
  const auto json = cli.ok({"--json", "list"});
  CHECK(
      json.front() ==
      "{\"location\":\"bulk/key-00000\",\"type\":\"ed25519\",\"hint\":\"-\",\"version\":\"1\",\"expires\":\"never\"}");

  // A message of 2 MiB is signed on the file, but is more than one request to the daemon holds.
  std::ofstream(cli.file("big"), std::ios::binary) << std::string(2 << 20, 'x');
  const Run too_large = cli.run({"sign", "--at", "bulk/key-00001", "--file", cli.file("big")});
  CHECK(too_large.exit_code == 5);
  CHECK(too_large.err.find("without --socket") != std::string::npos);

  const Run nobody = cli.run_on_file({"--socket", cli.file("nobody.sock"), "list"});
  CHECK(nobody.exit_code == 6);
  CHECK(nobody.err.find("no strongholdd answers") != std::string::npos);
  CHECK(cli.run_on_file({"lock"}).exit_code == 1);  // lock needs --socket
  const Run init = cli.run({"--socket", "ignored", "init"});
  CHECK(init.exit_code == 5);
  CHECK(init.err.find("without --socket") != std::string::npos);
  CHECK(cli.run({"key", "generate", "--type", "ed25519"}).exit_code == 1);  // --at missing, said by the daemon
  CHECK(cli.run({"key", "public", "--at", "w/none"}).exit_code == 3);

  // The file is held by the daemon: commands without --socket are told so.
  const Run busy = cli.run_on_file({"list"});
  CHECK(busy.exit_code == 6);
  CHECK(busy.err.find("--socket") != std::string::npos);
}

TEST_CASE("a socket served by another user gets nothing: no password, key or secret value") {
  if (!test::other_user_available_or_skipped())
    return;
  Cli cli;
  cli.ok({"init", "--kdf", "fast"});
  test::TempDir shared;  // like /tmp: everyone may create files in it
  REQUIRE(::chmod(shared.path().c_str(), 01777) == 0);
  for (const bool disguised : {false, true}) {
    CAPTURE(disguised);
    if (disguised && ::geteuid() != 0) {
      MESSAGE("the disguised socket (chowned to root) needs root: only the other user's own socket was tried");
      continue;
    }
    const std::string socket = shared.file(disguised ? "disguised.sock" : "theirs.sock");
    test::ForeignListener listener(socket);
    REQUIRE(listener.listening());
    if (disguised) {  // the file looks like ours; only the serving process tells
      REQUIRE(::chown(socket.c_str(), 0, 0) == 0);
      REQUIRE(::chmod(socket.c_str(), 0600) == 0);
    }
    const std::vector<Run> runs = {
        cli.run_on_file({"--socket", socket, "unlock"}),
        cli.run_on_file({"--socket", socket, "secret", "put", "mail"}, "correct horse\n"),
        cli.run_on_file({"--socket", socket, "key", "import", "--type", "ed25519", "--at", "w/k"},
                        "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60\n"),
    };
    CHECK(listener.received().empty());
    for (const Run& refused : runs) {
      CHECK(refused.exit_code == 6);
      CHECK(refused.err.find(fmt::format("uid {}", test::other_uid())) != std::string::npos);
      CHECK(refused.out.empty());
    }
  }
}

TEST_CASE("a socket, or a socket's folder, that other users may write to is refused") {
  Cli cli;
  cli.ok({"init", "--kdf", "fast"});
  cli.serve();
  const char* const folder = cli.folder().c_str();
  REQUIRE(::chmod(cli.socket().c_str(), 0666) == 0);
  const Run open_socket = cli.run({"list"});
  CHECK(open_socket.exit_code == 6);
  CHECK(open_socket.err.find("writable by others") != std::string::npos);
  REQUIRE(::chmod(cli.socket().c_str(), 0600) == 0);

  REQUIRE(::chmod(folder, 0777) == 0);
  const Run open_folder = cli.run({"list"});
  CHECK(open_folder.exit_code == 6);
  CHECK(open_folder.err.find("writable by others") != std::string::npos);
  CHECK(open_folder.err.find(cli.folder().string()) != std::string::npos);
  REQUIRE(::chmod(folder, 01777) == 0);  // sticky, as /tmp: no one else may replace our socket
  CHECK(cli.run({"list"}).exit_code == 0);
  REQUIRE(::chmod(folder, 0700) == 0);
}

TEST_CASE("a daemon that never answers: the CLI gives up after STRONGHOLD_TIMEOUT seconds") {
  Cli cli;
  // A socket of this user that takes connections and never answers.
  const int silent = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  const sockaddr_un address = wire::socket_address(cli.socket()).value();
  REQUIRE(::bind(silent, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0);
  REQUIRE(::listen(silent, 8) == 0);
  const Run waited = cli.run({"--socket", cli.socket(), "list"}, "", "cli-pw", {"STRONGHOLD_TIMEOUT=1"});
  CHECK(waited.exit_code == 6);
  CHECK(waited.err.find("did not answer within 1 s") != std::string::npos);
  const Run unlock = cli.run({"--socket", cli.socket(), "unlock"}, "", "cli-pw", {"STRONGHOLD_TIMEOUT=1"});
  CHECK(unlock.exit_code == 6);
  const Run bad = cli.run({"--socket", cli.socket(), "list"}, "", "cli-pw", {"STRONGHOLD_TIMEOUT=soon"});
  CHECK(bad.exit_code == 5);
  CHECK(bad.err.find("STRONGHOLD_TIMEOUT") != std::string::npos);
  ::close(silent);
}

TEST_CASE("--help works for the program and every command") {
  Cli cli;
  const Run overall = cli.run({"--help"});
  CHECK(overall.exit_code == 0);
  CHECK(overall.out.find("exit codes") != std::string::npos);
  for (const std::vector<std::string>& command : {std::vector<std::string>{"init"},
                                                  {"key", "generate"},
                                                  {"key", "import"},
                                                  {"key", "public"},
                                                  {"sign"},
                                                  {"mnemonic", "generate"},
                                                  {"mnemonic", "recover"},
                                                  {"seed", "generate"},
                                                  {"derive"},
                                                  {"xpub"},
                                                  {"dh"},
                                                  {"kdf", "pbkdf2"},
                                                  {"kdf", "concat"},
                                                  {"key", "wrap"},
                                                  {"key", "unwrap"},
                                                  {"secret", "put"},
                                                  {"secret", "get"},
                                                  {"secret", "list"},
                                                  {"secret", "delete"},
                                                  {"list"},
                                                  {"delete"},
                                                  {"gc"},
                                                  {"export"},
                                                  {"import"},
                                                  {"did", "create"},
                                                  {"did", "list"},
                                                  {"did", "sign"},
                                                  {"did", "public"},
                                                  {"did", "purge"},
                                                  {"passwd"}}) {
    auto args = command;
    args.push_back("--help");
    const Run help = cli.run(args);
    CHECK_MESSAGE(help.exit_code == 0, command.front());
    CHECK(help.out.starts_with("usage: stronghold " + command.front()));
  }
  for (const char* mnemonic : {"generate", "recover"})
    CHECK(cli.run({"mnemonic", mnemonic, "--help"}).out.find("--language LANG") != std::string::npos);
}

TEST_CASE("no command replaces a key, a seed, a shared secret or a secret value without --replace") {
  on_file_and_through_daemon([](Cli& cli) {
    const auto first = cli.ok({"key", "generate", "--type", "ed25519", "--at", "wallet/main"});
    const Run again = cli.run({"key", "generate", "--type", "ed25519", "--at", "wallet/main"});
    CHECK(again.exit_code == 5);
    CHECK(again.err.find("already holds a record") != std::string::npos);
    CHECK(again.err.find("--replace") != std::string::npos);
    CHECK(cli.ok({"key", "public", "--at", "wallet/main"}) == first);
    const std::string rfc_key = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60\n";
    CHECK(cli.run({"key", "import", "--type", "ed25519", "--at", "wallet/main"}, rfc_key).exit_code == 5);
    CHECK(cli.ok({"key", "public", "--at", "wallet/main"}) == first);

    const auto mnemonic = cli.ok({"mnemonic", "generate", "--at", "wallet/seed", "--words", "12"});
    CHECK(cli.run({"mnemonic", "generate", "--at", "wallet/seed"}).exit_code == 5);
    CHECK(cli.run({"mnemonic", "recover", "--at", "wallet/main"}, mnemonic.at(0) + "\n").exit_code == 5);
    CHECK(cli.run({"derive", "--from", "wallet/seed", "--path", "m/0'", "--curve", "ed25519", "--at", "wallet/main"})
              .exit_code == 5);
    const auto peer = cli.ok({"key", "generate", "--type", "x25519", "--at", "wallet/x"});
    CHECK(cli.run({"dh", "--at", "wallet/x", "--peer", peer.at(0), "--into", "wallet/main"}).exit_code == 5);
    CHECK(cli.ok({"key", "public", "--at", "wallet/main"}) == first);

    cli.ok({"secret", "put", "mail"}, "one\n");
    CHECK(cli.run({"secret", "put", "mail"}, "two\n").exit_code == 5);
    CHECK(cli.ok({"secret", "get", "mail"}) == std::vector<std::string>{"one"});

    // Said explicitly, it replaces.
    const auto replaced = cli.ok({"key", "import", "--type", "ed25519", "--at", "wallet/main", "--replace"}, rfc_key);
    CHECK(replaced.at(0) == "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
    cli.ok({"secret", "put", "mail", "--replace"}, "two\n");
    CHECK(cli.ok({"secret", "get", "mail"}) == std::vector<std::string>{"two"});
    cli.ok({"derive", "--from", "wallet/seed", "--path", "m/0'", "--curve", "ed25519", "--at", "wallet/main",
            "--replace"});
    CHECK(cli.ok({"key", "public", "--at", "wallet/main"}).at(0) != replaced.at(0));
  });
}

TEST_CASE(
    "hostile input: long vault paths, directories, missing files, long passwords, reserved and unprintable names") {
  on_file_and_through_daemon([](Cli& cli) {
    cli.ok({"key", "generate", "--type", "ed25519", "--at", "w/ed"});
    // A vault path longer than any location: an error, not a stack overflow (the daemon lives on).
    for (const std::size_t length : {256u, 400u, 5000u}) {
      const Run long_vault = cli.run({"export", "--out", cli.file("x.export"), "--sign-with", "w/ed", "--recipient",
                                      std::string(64, '1'), "--vault", std::string(length, 'B')});
      CHECK(long_vault.exit_code == 5);
    }
    CHECK(cli.ok({"key", "public", "--at", "w/ed"}).size() == 1);

    const Run directory = cli.run({"sign", "--at", "w/ed", "--file", cli.file("")});
    CHECK(directory.exit_code == 5);
    CHECK(directory.err.find("directory") != std::string::npos);
    const Run missing = cli.run({"sign", "--at", "w/ed", "--file", cli.file("no-such-file")});
    CHECK(missing.exit_code == 3);
    CHECK(missing.err.find("no-such-file") != std::string::npos);
    CHECK(cli.run({"sign", "--at", "w/ed", "--file", std::string(5000, 'p')}).exit_code == 9);

    std::ofstream(cli.file("long-pw"), std::ios::binary) << std::string(1024, 'a') << "b\n";
    const Run long_password = cli.run({"export", "--out", cli.file("y.export"), "--sign-with", "w/ed",
                                       "--export-password-file", cli.file("long-pw")});
    CHECK(long_password.exit_code == 5);
    CHECK(long_password.err.find("longer than 1024") != std::string::npos);

    CHECK(cli.run({"secret", "put", "identity/index/did:iota:x"}, "v\n").exit_code == 5);
    CHECK(cli.run({"secret", "delete", "identity/index/did:iota:x"}).exit_code == 5);
    // A C1 control (CSI, U+009B) before "31m"; a literal of its own ends the hex escape.
    const std::string csi = std::string("w/a\xc2\x9b") + "31m";
    CHECK(cli.run({"key", "generate", "--type", "ed25519", "--at", csi}).exit_code == 5);
    CHECK(cli.run({"key", "generate", "--type", "ed25519", "--at", "w/\xff"}).exit_code == 5);
  });
}

TEST_CASE("bad paths: a long snapshot path, a password file longer than its limit, a file read by its size") {
  Cli cli;
  cli.ok({"init", "--kdf", "fast"});
  const Run long_path = cli.run({"--snapshot", std::string(5000, 's'), "list"});
  CHECK(long_path.exit_code == 9);
  CHECK(long_path.err.find("stronghold: ") == 0);
  std::ofstream(cli.file("pw"), std::ios::binary) << "cli-pw" << std::string(1100, 'x') << "\n";
  CHECK(cli.run({"--password-file", cli.file("pw"), "list"}, "", "").exit_code == 5);
  // A small import file is read by its size: 1 GiB is never reserved for it, even under a
  // memory limit (the sanitizers need more address space than any limit leaves).
#if !STRONGHOLD_ADDRESS_SANITIZER
  std::ofstream(cli.file("small.export"), std::ios::binary) << std::string(521, 'x');
  cli.limit_address_space(rlim_t{512} << 20);
  const Run small = cli.run({"import", "--in", cli.file("small.export"), "--export-password-file", cli.file("pw")});
  CHECK(small.exit_code == 5);
#endif
}

// ---- the commands the request vocabulary brought

namespace {

Bytes hmac_sha256(ByteView key, ByteView message) {
  Bytes tag(crypto_auth_hmacsha256_BYTES);
  crypto_auth_hmacsha256_state state;
  crypto_auth_hmacsha256_init(&state, key.data(), key.size());
  crypto_auth_hmacsha256_update(&state, message.data(), message.size());
  crypto_auth_hmacsha256_final(&state, tag.data());
  return tag;
}

Bytes hmac_openssl(const EVP_MD* hash, ByteView key, ByteView message) {
  Bytes tag(EVP_MAX_MD_SIZE);
  unsigned int size = 0;
  REQUIRE(HMAC(hash, key.data(), static_cast<int>(key.size()), message.data(), message.size(), tag.data(), &size) !=
          nullptr);
  tag.resize(size);
  return tag;
}

Bytes bytes_of(std::string_view text) { return Bytes(text.begin(), text.end()); }
std::string hex_of(std::string_view text) { return to_hex(bytes_of(text)); }

}  // namespace

TEST_CASE("symmetric keys: hmac agrees with libsodium and OpenSSL, hkdf with RFC 5869, aead round-trips") {
  on_file_and_through_daemon([](Cli& cli) {
    const Bytes key = from_hex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f").value();
    // A symmetric key has no public key to print.
    CHECK(cli.ok({"key", "import", "--type", "symmetric", "--at", "sym/k"}, to_hex(key)).empty());
    CHECK(cli.run({"key", "import", "--type", "symmetric", "--at", "sym/short"}, "0011").exit_code == 5);
    const Bytes message = bytes_of("what the tag covers");
    const std::string message_hex = to_hex(message);
    CHECK(cli.ok({"hmac", "--at", "sym/k", "--hash", "sha256", "--hex", message_hex}) ==
          std::vector<std::string>{to_hex(hmac_sha256(key, message))});
    CHECK(cli.ok({"hmac", "--at", "sym/k", "--hash", "sha384", "--hex", message_hex}) ==
          std::vector<std::string>{to_hex(hmac_openssl(EVP_sha384(), key, message))});
    CHECK(cli.ok({"hmac", "--at", "sym/k", "--hash", "sha512", "--hex", message_hex}) ==
          std::vector<std::string>{to_hex(hmac_openssl(EVP_sha512(), key, message))});
    CHECK(cli.run({"hmac", "--at", "sym/k", "--hash", "md5", "--hex", message_hex}).exit_code == 5);

    // HKDF-SHA256 (RFC 5869): PRK = HMAC(salt, IKM); the first 32 bytes are HMAC(PRK, info || 1).
    const Bytes salt = from_hex("a0a1a2a3").value(), info = from_hex("b0b1").value();
    cli.ok({"hkdf", "--from", "sym/k", "--hash", "sha256", "--salt", to_hex(salt), "--info", to_hex(info), "--at",
            "sym/derived"});
    Bytes info_block = info;
    info_block.push_back(1);
    const Bytes derived = hmac_sha256(hmac_sha256(salt, key), info_block);
    CHECK(cli.ok({"hmac", "--at", "sym/derived", "--hash", "sha256", "--hex", message_hex}) ==
          std::vector<std::string>{to_hex(hmac_sha256(derived, message))});
    const Run again =
        cli.run({"hkdf", "--from", "sym/k", "--hash", "sha256", "--salt", "00", "--info", "00", "--at", "sym/derived"});
    CHECK(again.exit_code == 5);
    CHECK(again.err.find("--replace") != std::string::npos);

    for (const std::string cipher : {"xchacha20poly1305", "aes256gcm"}) {
      CAPTURE(cipher);
      const std::string plaintext = hex_of("attack at dawn");
      const auto sealed =
          cli.ok({"aead", "encrypt", "--at", "sym/k", "--hex", plaintext, "--ad", "cafe", "--cipher", cipher});
      REQUIRE(sealed.size() == 1);
      CHECK(cli.ok({"aead", "decrypt", "--at", "sym/k", "--hex", sealed[0], "--ad", "cafe", "--cipher", cipher}) ==
            std::vector<std::string>{plaintext});
      std::string changed = sealed[0];
      changed[changed.size() / 2] = changed[changed.size() / 2] == '0' ? '1' : '0';
      CHECK(cli.run({"aead", "decrypt", "--at", "sym/k", "--hex", changed, "--ad", "cafe", "--cipher", cipher})
                .exit_code == 5);
      CHECK(cli.run({"aead", "decrypt", "--at", "sym/k", "--hex", sealed[0], "--ad", "beef", "--cipher", cipher})
                .exit_code == 5);
    }
    // The plaintext as hex on standard input rather than in the process list.
    const auto from_stdin = cli.run({"aead", "encrypt", "--at", "sym/k", "--stdin"}, hex_of("kept off argv") + "\n");
    REQUIRE(from_stdin.exit_code == 0);
    CHECK(cli.ok({"aead", "decrypt", "--at", "sym/k", "--hex", from_stdin.lines().at(0)}) ==
          std::vector<std::string>{hex_of("kept off argv")});
    CHECK(cli.run({"aead", "encrypt", "--at", "sym/k", "--stdin"}, "not hex").exit_code == 5);
    CHECK(cli.run({"aead", "encrypt", "--at", "sym/k", "--stdin", "--hex", "00"}, "00").exit_code == 5);
    // nonce || ciphertext || tag, as libsodium opens it.
    const auto sealed = cli.ok({"aead", "encrypt", "--at", "sym/k", "--hex", hex_of("plain")});
    const Bytes bytes = from_hex(sealed.at(0)).value();
    REQUIRE(bytes.size() ==
            crypto_aead_xchacha20poly1305_ietf_NPUBBYTES + 5 + crypto_aead_xchacha20poly1305_ietf_ABYTES);
    Bytes opened(5);
    CHECK(crypto_aead_xchacha20poly1305_ietf_decrypt(
              opened.data(), nullptr, nullptr, bytes.data() + crypto_aead_xchacha20poly1305_ietf_NPUBBYTES,
              bytes.size() - crypto_aead_xchacha20poly1305_ietf_NPUBBYTES, nullptr, 0, bytes.data(), key.data()) == 0);
    CHECK(opened == bytes_of("plain"));
  });
}

TEST_CASE("a rental key: --expires and key expire set its end, after which it is refused and gc removes it") {
  on_file_and_through_daemon([](Cli& cli) {
    cli.ok({"key", "generate", "--type", "ed25519", "--at", "rent/soon", "--expires", "1s"});
    cli.ok({"key", "generate", "--type", "ed25519", "--at", "rent/later"});
    const auto now = static_cast<std::uint64_t>(std::time(nullptr));
    cli.ok({"key", "expire", "--at", "rent/later", "--in", "48h"});
    const auto listed = cli.ok({"list"});
    REQUIRE(listed.size() == 2);
    const std::string later = listed[0].substr(listed[0].rfind('\t') + 1);
    constexpr std::uint64_t kTwoDays = std::uint64_t{48} * 3600;
    CHECK(std::stoull(later) >= now + kTwoDays);
    CHECK(std::stoull(later) <= now + kTwoDays + 60);
    for (const std::string bad : {"0s", "5", "h", "12x", "99999999999999999d", "-3m"})
      CHECK(cli.run({"key", "expire", "--at", "rent/later", "--in", bad}).exit_code == 5);
    std::this_thread::sleep_for(std::chrono::milliseconds(2100));
    const Run refused = cli.run({"sign", "--at", "rent/soon", "--hex", "00"});
    CHECK(refused.exit_code == 5);
    CHECK(refused.err.find("expired") != std::string::npos);
    CHECK(cli.ok({"sign", "--at", "rent/later", "--hex", "00"}).size() == 1);
    cli.ok({"gc"});
    const auto kept = cli.ok({"list"});
    REQUIRE(kept.size() == 1);
    CHECK(kept[0].starts_with("rent/later\t"));
  });
}

TEST_CASE("identity commands: a DID's keys, encryption to it, its chain state and document") {
  on_file_and_through_daemon([](Cli& cli) {
    const auto created = cli.ok({"did", "create", "--network", "dev"});
    REQUIRE(created.size() == 2);
    const std::string& did = created[0];
    CHECK(cli.run({"did", "exists", "--did", did}).exit_code == 0);
    const std::string stranger = "did:iota:dev:" + std::string(32, '1');  // base58 of 32 zero bytes
    CHECK(cli.run({"did", "exists", "--did", stranger}).exit_code == 3);

    const auto kex = cli.ok({"did", "key", "generate", "--did", did, "--type", "x25519", "--fragment", "kex"});
    REQUIRE(kex.size() == 1);
    CHECK(kex[0].starts_with("kex:"));
    CHECK(cli.run({"did", "key", "exists", "--did", did, "--location", kex[0]}).exit_code == 0);

    // Encrypted to the DID's X25519 key, with and without key wrapping; a changed tag is refused.
    for (const bool wrap : {false, true}) {
      CAPTURE(wrap);
      std::vector<std::string> encrypt = {
          "did", "encrypt", "--did", did, "--location", kex[0], "--hex", hex_of("for the DID"), "--ad", "0a0b"};
      if (wrap)
        encrypt.push_back("--wrap");
      const auto sealed = cli.ok(encrypt);
      REQUIRE(sealed.size() == (wrap ? 5u : 4u));
      std::vector<std::string> decrypt = {"did",          "decrypt", "--did",   did,       "--location", kex[0],
                                          "--ciphertext", sealed[0], "--nonce", sealed[1], "--tag",      sealed[2],
                                          "--epk",        sealed[3], "--ad",    "0a0b"};
      if (wrap)
        decrypt.insert(decrypt.end(), {"--cek", sealed[4]});
      CHECK(cli.ok(decrypt) == std::vector<std::string>{hex_of("for the DID")});
      decrypt[11] = std::string(sealed[2].size(), '0');
      CHECK(cli.run(decrypt).exit_code == 5);
    }

    // A key given by its private key: the location IOTA Identity would make, and its public key.
    const Bytes seed(crypto_sign_SEEDBYTES, 0x42);
    Bytes public_key(crypto_sign_PUBLICKEYBYTES), secret_key(crypto_sign_SECRETKEYBYTES);
    crypto_sign_seed_keypair(public_key.data(), secret_key.data(), seed.data());
    const auto inserted =
        cli.ok({"did", "key", "insert", "--did", did, "--type", "ed25519", "--fragment", "given"}, to_hex(seed));
    REQUIRE(inserted.size() == 1);
    CHECK(cli.ok({"did", "public", "--did", did, "--location", inserted[0]}) ==
          std::vector<std::string>{to_hex(public_key)});
    const auto signature = cli.ok({"did", "sign", "--did", did, "--location", inserted[0], "--hex", "abcd"});
    CHECK(vault::verify_ed25519(public_key, from_hex("abcd").value(), from_hex(signature.at(0)).value()));
    cli.ok({"did", "key", "delete", "--did", did, "--location", inserted[0]});
    CHECK(cli.run({"did", "key", "exists", "--did", did, "--location", inserted[0]}).exit_code == 3);
    CHECK(cli.run({"did", "key", "delete", "--did", did, "--location", inserted[0]}).exit_code == 3);

    // The chain state and the document: none until set, then what was set.
    CHECK(cli.run({"did", "state", "get", "--did", did}).exit_code == 3);
    const std::string state = R"({"last_diff_message_id":")" + std::string(64, 'a') + R"("})";
    cli.ok({"did", "state", "set", "--did", did, "--value", state});
    CHECK(cli.ok({"did", "state", "get", "--did", did}) == std::vector<std::string>{state});
    CHECK(cli.run({"did", "state", "set", "--did", did, "--value", R"({"last_diff_message_id":"0x01"})"}).exit_code ==
          5);
    const std::string document = R"({"doc":{"id":")" + did + R"("},"meta":{}})";
    std::ofstream(cli.file("doc.json")) << document;
    cli.ok({"did", "document", "set", "--did", did, "--file", cli.file("doc.json")});
    CHECK(cli.ok({"did", "document", "get", "--did", did}) == std::vector<std::string>{document});
    CHECK(cli.run({"did", "state", "get", "--did", stranger}).exit_code == 3);
    cli.ok({"did", "purge", "--did", did});
    CHECK(cli.run({"did", "exists", "--did", did}).exit_code == 3);
  });
}

TEST_CASE("policy set and show: a refused request exits 7 and names the rule") {
  on_file_and_through_daemon([](Cli& cli) {
    cli.ok({"key", "generate", "--type", "ed25519", "--at", "w/ed"});
    cli.ok({"policy", "set", "--at", "w/ed", "--max-uses", "2", "--allow", "sign,public,policy"});
    cli.ok({"sign", "--at", "w/ed", "--hex", "01"});
    cli.ok({"key", "public", "--at", "w/ed"});
    cli.ok({"sign", "--at", "w/ed", "--hex", "02"});
    const Run used_up = cli.run({"sign", "--at", "w/ed", "--hex", "03"});
    CHECK(used_up.exit_code == 7);
    CHECK(used_up.err.find("denied by policy of w/ed: used 2 of its 2 uses") != std::string::npos);
    const Run not_allowed = cli.run({"key", "expire", "--at", "w/ed", "--in", "1h"});
    CHECK(not_allowed.exit_code == 7);
    CHECK(not_allowed.err.find("key.expire requests are not allowed") != std::string::npos);
    const auto shown = cli.ok({"policy", "show", "--at", "w/ed"});
    CHECK(std::find(shown.begin(), shown.end(),
                    "allow\tkey.public,sign,sign.ecdsa,sign.batch,sign.schnorr,policy.set,policy.show,sign.keccak") !=
          shown.end());
    CHECK(std::find(shown.begin(), shown.end(), "max_uses\t2") != shown.end());
    CHECK(std::find(shown.begin(), shown.end(), "uses\t2") != shown.end());
    CHECK(cli.ok({"policy", "show", "--vault", "w"}).at(0) == "policy\tnone (everything is allowed)");

    CHECK(cli.run({"policy", "set", "--at", "w/ed", "--rate", "5"}).exit_code == 5);
    CHECK(cli.run({"policy", "set", "--at", "w/ed", "--allow", "nonsense"}).exit_code == 5);
    CHECK(cli.run({"policy", "set", "--vault", "w", "--at", "w/ed"}).exit_code == 5);
    CHECK(cli.run({"policy", "set", "--vault", "w", "--not-after", "2027-13-01"}).exit_code == 5);
    CHECK(cli.ok({"policy", "show", "--at", "w/ed"}).size() == 11);  // bad input changed nothing

    // A vault's callers: the owner on the file, uid:N through strongholdd; neither is named.
    cli.ok({"policy", "set", "--vault", "w", "--callers", "client:nobody", "--not-after", "2100-01-01T00:00:00Z"});
    const Run stranger = cli.run({"key", "public", "--at", "w/ed"});
    CHECK(stranger.exit_code == 7);
    CHECK(stranger.err.find("is not among the allowed callers") != std::string::npos);
  });
}

TEST_CASE("audit set, show and verify: each request is an entry, and a damaged log exits 4 naming the break") {
  on_file_and_through_daemon([](Cli& cli) {
    CHECK(cli.run({"audit", "verify"}).exit_code == 3);  // no log before audit set
    CHECK(cli.run({"audit", "set", "--mode", "sometimes"}).exit_code == 5);
    cli.ok({"audit", "set", "--mode", "fail-closed"});
    cli.ok({"key", "generate", "--type", "ed25519", "--at", "w/ed"});
    cli.ok({"sign", "--at", "w/ed", "--hex", "0102"});
    CHECK(cli.run({"sign", "--at", "w/none", "--hex", "0102"}).exit_code == 3);
    const auto lines = cli.ok({"audit", "show"});
    const auto has = [&](std::string_view text) {
      return std::any_of(lines.begin(), lines.end(),
                         [&](const std::string& line) { return line.find(text) != std::string::npos; });
    };
    CHECK(has("\tkey.generate\tw/ed\tallowed\t"));
    CHECK(has("\tsign\tw/ed\tallowed\t"));
    CHECK(has("\tsign\tw/none\tfailed\t"));
    const auto json = cli.ok({"audit", "show", "--since", "2020-01-01", "--json"});
    CHECK(json.size() == lines.size() + 1);  // and the show before it
    CHECK(json.back().find("\"outcome\":\"allowed\"") != std::string::npos);
    CHECK(cli.ok({"audit", "show", "--since", "2999-01-01"}).empty());
    const auto verified = cli.ok({"audit", "verify"});
    CHECK(std::find(verified.begin(), verified.end(), "first_break\tnone") != verified.end());
    CHECK(cli.ok({"audit", "verify", "--json"}).back() == R"({"check":"first_break","value":"none"})");

    // One byte of the log changed: verify names the break and exits 4.
    const std::string log = cli.snapshot() + ".audit";
    std::fstream file(log, std::ios::in | std::ios::out | std::ios::binary);
    file.seekg(100);
    char byte = 0;
    file.get(byte);
    file.seekp(100);
    file.put(static_cast<char>(byte ^ 1));
    file.close();
    const Run broken = cli.run({"audit", "verify"});
    CHECK(broken.exit_code == 4);
    CHECK(broken.err.find("does not verify") != std::string::npos);
  });
}

namespace {

// `client keygen --out FILE`'s public key.
std::string keygen(Cli& cli, const std::string& file) {
  const auto printed = cli.ok({"client", "keygen", "--out", file});
  REQUIRE(printed.size() == 1);
  return printed[0];
}

}  // namespace

TEST_CASE("client add, list and remove work on the file and through strongholdd, and take the password") {
  on_file_and_through_daemon([](Cli& cli) {
    const std::string alice = keygen(cli, cli.file("alice.key"));
    std::ofstream(cli.file("bob.pub")) << keygen(cli, cli.file("bob.key")) << "\n";
    cli.ok({"client", "add", "alice", "--public-key", alice});
    cli.ok({"client", "add", "bob", "--public-key-file", cli.file("bob.pub")});
    CHECK(cli.run({"client", "add", "alice", "--public-key", alice}).exit_code == 5);  // already there
    CHECK(cli.run({"client", "add", "bad/name", "--public-key", alice}).exit_code == 5);
    CHECK(cli.run({"client", "add", "carol", "--public-key", std::string(64, '0')}).exit_code == 5);
    CHECK(cli.run({"client", "add", "carol", "--public-key", alice}, "", "wrong-pw").exit_code == 2);
    const auto listed = cli.ok({"client", "list"});
    REQUIRE(listed.size() == 2);
    CHECK(listed[0] == "alice\t" + alice);
    CHECK(cli.ok({"list"}).empty());  // the registry is not among the records
    cli.ok({"client", "remove", "bob"});
    CHECK(cli.run({"client", "remove", "bob"}).exit_code == 3);
    CHECK(cli.ok({"--json", "client", "list"}) ==
          std::vector<std::string>{R"({"name":"alice","public_key":")" + alice + R"("})"});
  });
}

TEST_CASE(
    "a client proven with --client and --client-key passes a policy naming it, and no proof or another key exits 7") {
  Cli cli;
  cli.ok({"init", "--kdf", "fast"});
  cli.ok({"client", "add", "alice", "--public-key", keygen(cli, cli.file("alice.key"))});
  (void)keygen(cli, cli.file("other.key"));
  cli.ok({"key", "generate", "--type", "ed25519", "--at", "w/ed"});
  cli.ok({"policy", "set", "--vault", "w", "--callers", "client:alice"});
  cli.serve();
  const std::vector<std::string> as_alice = {"--client", "alice", "--client-key", cli.file("alice.key")};
  const auto with = [](std::vector<std::string> front, const std::vector<std::string>& command) {
    front.insert(front.end(), command.begin(), command.end());
    return front;
  };
  const std::vector<std::string> sign = {"sign", "--at", "w/ed", "--hex", "01"};
  cli.ok(with(as_alice, sign));
  const Run anonymous = cli.run(sign);
  CHECK(anonymous.exit_code == 7);
  CHECK(anonymous.err.find("caller uid:0 is not among the allowed callers") != std::string::npos);
  const Run impostor = cli.run(with({"--client", "alice", "--client-key", cli.file("other.key")}, sign));
  CHECK(impostor.exit_code == 7);
  CHECK(impostor.err.find("does not prove client alice") != std::string::npos);
  CHECK(cli.run(with({"--client", "alice"}, sign)).exit_code == 1);  // no key file
  CHECK(cli.run_on_file(with(as_alice, sign)).exit_code == 1);       // no strongholdd to prove it to
}

TEST_CASE("client key files: made 0600 and never over a file, refused when others may read them or through a link") {
  Cli cli;
  cli.ok({"init", "--kdf", "fast"});
  const std::string key = cli.file("alice.key");
  const std::string alice = keygen(cli, key);
  struct stat info {};
  REQUIRE(::stat(key.c_str(), &info) == 0);
  CHECK((info.st_mode & 07777) == 0600);
  CHECK(info.st_size == 32);
  CHECK(cli.run({"client", "keygen", "--out", key}).exit_code == 5);
  std::filesystem::create_symlink(cli.file("nowhere"), cli.file("dangling"));
  CHECK(cli.run({"client", "keygen", "--out", cli.file("dangling")}).exit_code == 5);
  CHECK(!std::filesystem::exists(cli.file("nowhere")));

  cli.ok({"client", "add", "alice", "--public-key", alice});
  cli.serve();
  const auto sign_as = [&](const std::string& file) {
    return cli.run({"--client", "alice", "--client-key", file, "key", "public", "--at", "w/none"});
  };
  CHECK(sign_as(key).exit_code == 3);  // proven; no such key
  std::filesystem::create_symlink(key, cli.file("link.key"));
  const Run linked = sign_as(cli.file("link.key"));
  CHECK(linked.exit_code == 5);
  CHECK(linked.err.find("is a symbolic link") != std::string::npos);
  REQUIRE(::chmod(key.c_str(), 0644) == 0);
  const Run readable = sign_as(key);
  CHECK(readable.exit_code == 5);
  CHECK(readable.err.find("has mode 0644") != std::string::npos);
  REQUIRE(::chmod(key.c_str(), 0600) == 0);
  if (::chown(key.c_str(), 65534, 65534) == 0) {  // root may give it away
    const Run foreign = sign_as(key);
    CHECK(foreign.exit_code == 5);
    CHECK(foreign.err.find("belongs to uid 65534") != std::string::npos);
  }
  CHECK(sign_as(cli.file("missing.key")).exit_code == 3);
  CHECK(sign_as(cli.folder().string()).exit_code == 5);  // not a regular file
}

TEST_CASE("approve: a delete under a 2-of-3 rule exits 8 until two approvers approved it") {
  on_file_and_through_daemon([](Cli& cli) {
    for (const std::string name : {"ann", "ben", "cat"})
      cli.ok({"approver", "add", name, "--public-key",
              cli.ok({"key", "generate", "--type", "ed25519", "--at", "approvers/" + name}).at(0)});
    CHECK(cli.ok({"approver", "list"}).size() == 3);
    CHECK(cli.run({"approval", "set", "--threshold", "4"}).exit_code == 5);  // more than the approvers
    cli.ok({"approval", "set", "--threshold", "2", "--kinds", "key.delete", "--deadline", "10m"});
    cli.ok({"key", "generate", "--type", "ed25519", "--at", "w/gone"});
    const Run waits = cli.run({"delete", "--at", "w/gone"});
    CHECK(waits.exit_code == 8);
    const auto pending = cli.ok({"approval", "list"});
    if (!cli.serving()) {
      // Each command on the file is a process of its own: what waited is forgotten when it exits.
      CHECK(pending.empty());
      CHECK(cli.run({"approve", "--request", "00", "--key", "approvers/ann", "--approver", "ann"}).exit_code == 3);
      return;
    }
    REQUIRE(pending.size() == 1);
    const std::string id = pending[0].substr(0, pending[0].find('\t'));
    CHECK(waits.err.find(id) != std::string::npos);
    cli.ok({"approve", "--request", id, "--key", "approvers/ann", "--approver", "ann"});
    CHECK(cli.run({"delete", "--at", "w/gone"}).exit_code == 8);
    // cat's key under ben's name does not verify.
    CHECK(cli.run({"approve", "--request", id, "--key", "approvers/cat", "--approver", "ben"}).exit_code == 7);
    cli.ok({"approve", "--request", id, "--key", "approvers/ben", "--approver", "ben"});
    cli.ok({"delete", "--at", "w/gone"});
    CHECK(cli.run({"key", "public", "--at", "w/gone"}).exit_code == 3);
    CHECK(cli.ok({"approval", "list"}).empty());
  });
}

TEST_CASE("watch prints strongholdd's events as they happen, and stops after --count") {
  Cli cli;
  cli.ok({"init", "--kdf", "fast"});
  cli.ok({"key", "generate", "--type", "ed25519", "--at", "w/ed"});
  cli.ok({"policy", "set", "--vault", "w", "--callers", "client:nobody"});
  CHECK(cli.run({"watch"}).exit_code == 1);  // no strongholdd to watch
  cli.serve();
  CHECK(cli.run({"watch", "--count", "0"}).exit_code == 5);
  CHECK(cli.run({"watch", "--queue", "70000"}).exit_code == 5);
  auto watching = std::async(std::launch::async, [&cli] { return cli.run({"--json", "watch", "--count", "2"}); });
  // Denied signatures until the watcher has seen two (it may subscribe after the first few).
  for (int i = 0; i < 400 && watching.wait_for(std::chrono::milliseconds(50)) != std::future_status::ready; ++i)
    CHECK(cli.run({"sign", "--at", "w/ed", "--hex", "01"}).exit_code == 7);
  REQUIRE(watching.wait_for(std::chrono::seconds(60)) == std::future_status::ready);
  const Run watched = watching.get();
  INFO("stderr: " << watched.err);
  CHECK(watched.exit_code == 0);
  const auto lines = watched.lines();
  REQUIRE(lines.size() == 2);
  for (const std::string& line : lines) {
    CHECK(line.starts_with(R"({"time":")"));
    CHECK(line.find(R"("type":"denied","caller":"uid:)" + std::to_string(::geteuid()) +
                    R"(","kind":"sign","location":"w/ed","detail":"denied by policy of vault w: )") !=
          std::string::npos);
  }
}

TEST_CASE("did encrypt and decrypt agree on the Concat KDF's form: Identity 0.6's by default, RFC 7518's by --kdf") {
  Cli cli;
  cli.ok({"init", "--kdf", "fast"});
  const std::string did = cli.ok({"did", "create", "--network", "dev"}).at(0);
  const std::string kex =
      cli.ok({"did", "key", "generate", "--did", did, "--type", "x25519", "--fragment", "kex"}).at(0);
  const std::vector<std::string> encrypt = {"did", "encrypt", "--did", did, "--location", kex, "--hex", "c0ffee"};
  CHECK(cli.run({"did", "encrypt", "--did", did, "--location", kex, "--hex", "00", "--kdf", "a256"}).exit_code == 5);
  for (const std::string form : {"identity", "rfc7518"}) {
    CAPTURE(form);
    std::vector<std::string> sealing = encrypt;
    sealing.insert(sealing.end(), {"--kdf", form});
    const auto sealed = cli.ok(sealing);
    REQUIRE(sealed.size() == 4);
    const std::vector<std::string> decrypt = {"did",   "decrypt",      "--did",   did,       "--location",
                                              kex,     "--ciphertext", sealed[0], "--nonce", sealed[1],
                                              "--tag", sealed[2],      "--epk",   sealed[3]};
    std::vector<std::string> same = decrypt;
    same.insert(same.end(), {"--kdf", form});
    CHECK(cli.ok(same) == std::vector<std::string>{"c0ffee"});
    std::vector<std::string> other = decrypt;
    other.insert(other.end(), {"--kdf", form == "identity" ? "rfc7518" : "identity"});
    CHECK(cli.run(other).exit_code == 5);
    if (form == "identity")
      CHECK(cli.ok(decrypt) == std::vector<std::string>{"c0ffee"});  // the default
  }
}

TEST_CASE("import-stronghold opens a file with its raw key from a key file only this user may read") {
  const std::string wallet = std::string(STRONGHOLD_TEST_DATA_DIR) + "/fixtures/rust-stronghold/v2.stronghold";
  // PBKDF2-HMAC-SHA512("current_password", "wallet.rs", 100)[0..32], the v2 fixture's key:
  //   python3 -c "import hashlib; print(hashlib.pbkdf2_hmac('sha512', b'current_password', b'wallet.rs',
  //   100)[:32].hex())"
  const Bytes key = from_hex("0d0f5b8e549f6f4c666ebfaac1cf6d08f8e5d36e619f09fc7cb5f94f263daacf").value();
  on_file_and_through_daemon([&](Cli& cli) {
    const std::string key_file = cli.file("rust.key");
    test::write_bytes(key_file, key);
    std::ofstream(cli.file("rust-pw")) << "current_password\n";
    REQUIRE(::chmod(key_file.c_str(), 0644) == 0);
    CHECK(cli.run({"import-stronghold", "--in", wallet, "--source-key-file", key_file}).exit_code == 5);
    REQUIRE(::chmod(key_file.c_str(), 0600) == 0);
    CHECK(cli.run({"import-stronghold", "--in", wallet, "--source-key-file", key_file, "--source-password-file",
                   cli.file("rust-pw")})
              .exit_code == 5);
    CHECK(cli.ok({"list"}).empty());
    CHECK(cli.ok({"import-stronghold", "--in", wallet, "--source-key-file", key_file}) ==
          std::vector<std::string>{"add\trecord\twallet/seed"});
    CHECK(cli.ok({"inspect-stronghold", "--in", wallet, "--source-key-file", key_file}).at(0) == "2\tyes");
  });
}

TEST_CASE("import-stronghold takes an iota-sdk wallet's seed, and a bad file or password changes nothing") {
  const std::string fixtures = std::string(STRONGHOLD_TEST_DATA_DIR) + "/fixtures/rust-stronghold/";
  on_file_and_through_daemon([&](Cli& cli) {
    std::ofstream(cli.file("rust-pw")) << "current_password\n";
    std::ofstream(cli.file("wrong-pw")) << "not the password\n";
    const Bytes cut = test::read_bytes(fixtures + "v2.stronghold");
    test::write_bytes(cli.file("cut.stronghold"), ByteView(cut).first(40));
    Bytes other_version = cut;
    other_version[5] = 7;
    test::write_bytes(cli.file("v7.stronghold"), other_version);
    const std::string wallet = fixtures + "v2.stronghold";
    CHECK(cli.run({"import-stronghold", "--in", wallet, "--source-password-file", cli.file("wrong-pw")}).exit_code ==
          2);
    CHECK(cli.run({"import-stronghold", "--in", cli.file("cut.stronghold"), "--source-password-file",
                   cli.file("rust-pw")})
              .exit_code == 4);
    CHECK(cli.run({"inspect-stronghold", "--in", cli.file("v7.stronghold"), "--source-password-file",
                   cli.file("rust-pw")})
              .exit_code == 4);
    CHECK(cli.ok({"list"}).empty());
    const auto info = cli.ok({"inspect-stronghold", "--in", wallet, "--source-password-file", cli.file("rust-pw")});
    REQUIRE(info.size() == 3);
    CHECK(info[0] == "2\tyes");
    CHECK(cli.ok({"import-stronghold", "--in", wallet, "--source-password-file", cli.file("rust-pw"), "--at",
                  "w/seed"}) == std::vector<std::string>{"add\trecord\tw/seed"});
    // The seed of the fixture's mnemonic (tests/fixtures/rust-stronghold/README.md) derives this key.
    cli.ok({"mnemonic", "recover", "--at", "m/seed"},
           "winter spend artefact viable cigar pink easy charge ranch license coyote cage brass mushroom repair game "
           "attack peanut glad rather cart obey famous chat\n");
    const std::string path = "m/44'/4218'/0'/0'/0'";
    const auto imported = cli.ok({"derive", "--from", "w/seed", "--path", path, "--curve", "ed25519", "--at", "w/k"});
    const auto expected = cli.ok({"derive", "--from", "m/seed", "--path", path, "--curve", "ed25519", "--at", "m/k"});
    REQUIRE(imported.size() == 1);
    CHECK(imported == expected);
  });
}
