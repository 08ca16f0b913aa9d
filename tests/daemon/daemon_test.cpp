// The real strongholdd binary: serving, many requests in flight, hostile clients, the idle lock
// and a clean stop.
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <set>
#include <thread>

#include <doctest/doctest.h>
#include <sodium.h>

#include "stronghold/actors/wire.hpp"
#include "stronghold/engine.hpp"
#include "stronghold/runtime/sanitizers.hpp"
#include "stronghold/snapshot/snapshot.hpp"
#include "stronghold/snapshot/transfer.hpp"
#include "stronghold/vault/keys.hpp"
#include "stronghold/vault/verify.hpp"
#include "support/child_process.hpp"
#include "support/foreign_listener.hpp"
#include "support/identity_document.hpp"
#include "support/other_user.hpp"
#include "support/temp_dir.hpp"
#include "wire/client.hpp"
#include "wire/socket_trust.hpp"

using namespace stronghold;
using wire::Op;
namespace ac = stronghold::actors;

namespace {

const Bytes kPassword = {'d', 'a', 'e', 'm', 'o', 'n'};

Bytes text(std::string_view value) { return Bytes(value.begin(), value.end()); }

// The daemon under test; STRONGHOLD_TEST_STRONGHOLDD names a copy when the build folder is out of
// reach of the uid the tests run as (see run_as_non_root.sh).
std::string strongholdd() {
  const char* copy = std::getenv("STRONGHOLD_TEST_STRONGHOLDD");
  return copy != nullptr ? copy : STRONGHOLDD_PATH;
}

class Daemon {
 public:
  explicit Daemon(std::vector<std::string> extra = {}) {
    snapshot::SnapshotOptions options;
    options.kdf = snapshot::KdfPreset::fast;
    REQUIRE(snapshot::Snapshot::create(snapshot::posix_file_system(), snapshot_, kPassword, options).ok());
    std::ofstream(password_file_) << "daemon\n";
    start(std::move(extra));
  }
  ~Daemon() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }

  void start(std::vector<std::string> extra) {
    std::vector<std::string> args = {strongholdd(), "--snapshot",      snapshot_,     "--socket",
                                     socket_,       "--password-file", password_file_};
    args.insert(args.end(), extra.begin(), extra.end());
    pid_ = test::spawn_program(args);
    REQUIRE(pid_ > 0);
    for (int i = 0; i < 200 && !wire::Client::connect(socket_).ok(); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
    REQUIRE(wire::Client::connect(socket_).ok());
  }

  // SIGTERM, then the exit code (or 128 + signal).
  int stop() {
    ::kill(pid_, SIGTERM);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }

  wire::Client client() { return wire::Client::connect(socket_).value(); }
  const std::string& socket() const { return socket_; }
  const std::string& snapshot_path() const { return snapshot_; }
  pid_t pid() const { return pid_; }

 private:
  test::TempDir dir_;
  std::string snapshot_ = dir_.file("d.stronghold");
  std::string socket_ = dir_.file("d.sock");
  std::string password_file_ = dir_.file("password");
  pid_t pid_ = -1;
};

// A raw connection for hostile traffic.
class Raw {
 public:
  explicit Raw(const std::string& path) {
    fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
    REQUIRE(::connect(fd_, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0);
  }
  ~Raw() { ::close(fd_); }
  int fd() const noexcept { return fd_; }
  void send(const Bytes& bytes) {
    REQUIRE(::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(bytes.size()));
  }
  // The next response, or none when the daemon closed the connection or `timeout` passed.
  std::optional<wire::Message> receive(std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    runtime::SecretBytes body;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!reader_.next(body)) {
      pollfd ready{fd_, POLLIN, 0};
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0 || ::poll(&ready, 1, static_cast<int>(left.count())) <= 0)
        return std::nullopt;
      std::uint8_t buffer[65536];
      const ssize_t got = ::recv(fd_, buffer, sizeof buffer, 0);
      if (got <= 0 || !reader_.feed(ByteView(buffer, static_cast<std::size_t>(got))).ok())
        return std::nullopt;
    }
    auto message = wire::decode_body(body.view(), false);
    if (!message.ok())
      return std::nullopt;
    return std::move(*message);
  }
  bool closed_by_peer() {
    pollfd ready{fd_, POLLIN, 0};
    if (::poll(&ready, 1, 5000) <= 0)
      return false;
    std::uint8_t byte;
    for (;;) {
      const ssize_t got = ::recv(fd_, &byte, 1, 0);
      if (got <= 0)
        return true;
    }
  }

 private:
  int fd_ = -1;
  wire::FrameReader reader_;
};

Bytes request(std::uint64_t id, Op op, std::vector<Bytes> fields) {
  const auto frame = wire::encode_frame(wire::Message{id, static_cast<std::uint8_t>(op), std::move(fields)});
  return Bytes(frame.view().begin(), frame.view().end());
}

// How many files the process `pid` holds open.
std::size_t open_files(pid_t pid) {
  const auto folder = std::filesystem::path("/proc") / std::to_string(pid) / "fd";
  return static_cast<std::size_t>(std::distance(std::filesystem::directory_iterator(folder), {}));
}

// The most memory the process `pid` has held resident so far, in KiB.
std::size_t peak_resident_kib(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(status, line);)
    if (line.starts_with("VmHWM:"))
      return std::stoul(line.substr(6));
  return 0;
}

// Sends all of `bytes` on `fd` (blocking while the peer does not read); false if it hangs up.
bool send_all(int fd, const Bytes& bytes) {
  for (std::size_t sent = 0; sent < bytes.size();) {
    const ssize_t wrote = ::send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (wrote <= 0)
      return false;
    sent += static_cast<std::size_t>(wrote);
  }
  return true;
}

// The frame of an engine request (the request op) with `id`.
template <ac::EngineRequest R>
Bytes request_frame(std::uint64_t id, const R& engine_request) {
  const auto encoded = ac::wire::encode_request(engine_request).value();
  return request(id, Op::request, {Bytes(encoded.view().begin(), encoded.view().end())});
}

// Whether a request op's answer carries R's answer (not an error).
template <ac::EngineRequest R>
bool answered_well(const std::optional<wire::Message>& answer) {
  return answer && answer->code == 0 && answer->fields.size() == 1 &&
         ac::wire::decode_answer<R>(answer->fields[0]).ok();
}

// A snapshot (fast KDF) in a folder of its own, for a daemon that is expected not to start.
struct SpareSnapshot {
  SpareSnapshot() {
    snapshot::SnapshotOptions options;
    options.kdf = snapshot::KdfPreset::fast;
    REQUIRE(snapshot::Snapshot::create(snapshot::posix_file_system(), path, kPassword, options).ok());
  }
  test::TempDir dir;
  std::string path = dir.file("spare.stronghold");
};

// strongholdd started locked (no password) on `snapshot` and `socket`; one that keeps running is
// killed after a while, so a daemon that should have refused fails the test instead of hanging.
test::ProgramRun run_daemon(const std::string& snapshot, const std::string& socket) {
  return test::run_program({strongholdd(), "--snapshot", snapshot, "--socket", socket}, {}, "",
                           std::chrono::seconds(20));
}

vault::Location at(std::string_view location) { return vault::Location::parse(std::string(location)).value(); }

// `request` through the request op: the answer in its wire form.
template <ac::EngineRequest R>
runtime::SecretBytes ask_wire(wire::Client& client, const R& request) {
  const auto encoded = ac::wire::encode_request(request).value();
  return client.call(encoded.view()).value();
}

template <ac::EngineRequest R>
Result<typename R::Answer> ask(wire::Client& client, const R& request) {
  const auto answer = ask_wire(client, request);
  return ac::wire::decode_answer<R>(answer.view());
}

// The daemon answers `request` as the façade does on `engine`: the same outcome, and the same
// bytes (the encoding is canonical: equal answers, equal bytes).
template <ac::EngineRequest R>
void check_same_answer(wire::Client& client, Engine& engine, const R& request) {
  CAPTURE(R::kName);
  const auto daemon_answer = ask_wire(client, request);
  const auto facade_answer = engine.call(R(request));
  CHECK(ac::wire::decode_answer<R>(daemon_answer.view()).code() == facade_answer.code());
  CHECK(std::ranges::equal(daemon_answer.view(), ac::wire::encode_reply<R>(facade_answer).value().view()));
}

}  // namespace

TEST_CASE("strongholdd serves keys and signatures, with many requests in flight on one connection") {
  Daemon daemon;
  struct stat info {};
  REQUIRE(::stat(daemon.socket().c_str(), &info) == 0);
  CHECK((info.st_mode & 0777) == 0600);

  auto client = daemon.client();
  const Bytes public_key = client.call(Op::generate, {text("w/ed"), text("ed25519")}).value().at(0);
  CHECK(client.call(Op::public_key, {text("w/ed")}).value().at(0) == public_key);
  CHECK(client.call(Op::public_key, {text("w/none")}).code() == Errc::not_found);
  CHECK(client.call(Op::generate, {text("w/x"), text("rsa")}).code() == Errc::invalid_argument);

  // 500 signatures in flight on one connection, each answered once under its own id.
  Raw raw(daemon.socket());
  Bytes burst;
  for (std::uint64_t id = 1; id <= 500; ++id) {
    const Bytes frame = request(id, Op::sign, {text("w/ed"), Bytes{static_cast<std::uint8_t>(id), std::uint8_t{7}}});
    burst.insert(burst.end(), frame.begin(), frame.end());
  }
  raw.send(burst);
  std::set<std::uint64_t> answered;
  int valid = 0;
  for (int i = 0; i < 500; ++i) {
    const auto response = raw.receive();
    REQUIRE(response.has_value());
    answered.insert(response->id);
    valid += response->code == 0 &&
             vault::verify_ed25519(public_key, Bytes{static_cast<std::uint8_t>(response->id), std::uint8_t{7}},
                                   response->fields.at(0));
  }
  CHECK(answered.size() == 500);
  CHECK(valid == 500);

  // A batch: one request, one signature per message, in order.
  std::vector<Bytes> fields = {text("w/ed")};
  for (int i = 0; i < 100; ++i)
    fields.push_back(Bytes{static_cast<std::uint8_t>(i)});
  const auto signatures = client.call(Op::sign_batch, fields).value();
  REQUIRE(signatures.size() == 100);
  CHECK(vault::verify_ed25519(public_key, Bytes{99}, signatures[99]));
  CHECK(daemon.stop() == 0);
}

TEST_CASE("hostile clients get an error or a closed connection, and the daemon keeps serving") {
  Daemon daemon;
  auto client = daemon.client();
  REQUIRE(client.call(Op::generate, {text("w/ed"), text("ed25519")}).ok());

  SUBCASE("malformed frames are answered with an error; the connection goes on") {
    Raw raw(daemon.socket());
    raw.send(Bytes{0, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0, 1, 0xee});  // unknown op
    auto answer = raw.receive();
    REQUIRE(answer.has_value());
    CHECK(answer->code == static_cast<std::uint8_t>(Errc::invalid_argument));
    raw.send(Bytes{0, 0, 0, 14, 0, 0, 0, 0, 0, 0, 0, 2, 6, 0, 0, 0, 9, 'w'});  // a field past the end
    answer = raw.receive();
    REQUIRE(answer.has_value());
    CHECK(answer->code == static_cast<std::uint8_t>(Errc::invalid_argument));
    raw.send(request(3, Op::sign, {text("w/ed")}));  // a missing field
    answer = raw.receive();
    REQUIRE(answer.has_value());
    CHECK(answer->id == 3);
    CHECK(answer->code == static_cast<std::uint8_t>(Errc::invalid_argument));
    raw.send(request(4, Op::ping, {}));
    answer = raw.receive();
    REQUIRE(answer.has_value());
    CHECK((answer->id == 4 && answer->code == 0));
  }
  SUBCASE("an oversized or empty frame closes the connection") {
    for (const Bytes& header : {Bytes{0x7f, 0xff, 0xff, 0xff}, Bytes{0, 0x10, 0, 1}, Bytes{0, 0, 0, 0}}) {
      Raw raw(daemon.socket());
      raw.send(header);
      const auto answer = raw.receive();
      REQUIRE(answer.has_value());
      CHECK(answer->code == static_cast<std::uint8_t>(Errc::invalid_argument));
      CHECK(raw.closed_by_peer());
    }
  }
  SUBCASE("a thousand connections opened and dropped, some mid-frame") {
    for (int i = 0; i < 1000; ++i) {
      Raw raw(daemon.socket());
      if (i % 3 == 0)
        raw.send(Bytes{0, 0, 1, 0, 1, 2, 3});  // a truncated frame, then gone
      if (i % 3 == 1)
        raw.send(request(1, Op::sign, {text("w/ed"), Bytes{1}}));  // gone before its answer
    }
  }
  SUBCASE("a client that never reads does not stop the others") {
    Raw hog(daemon.socket());
    Bytes burst;
    for (std::uint64_t id = 1; id <= 20000; ++id) {
      const Bytes frame = request(id, Op::sign, {text("w/ed"), Bytes(200, 1)});
      burst.insert(burst.end(), frame.begin(), frame.end());
    }
    // Writes until the daemon stops reading this connection (its answers pile up unread), which
    // blocks the writer: that is the point. Shutting the socket down releases it.
    std::thread flood([&] {
      for (std::size_t sent = 0; sent < burst.size();) {
        const ssize_t wrote = ::send(hog.fd(), burst.data() + sent, burst.size() - sent, MSG_NOSIGNAL);
        if (wrote <= 0)
          return;
        sent += static_cast<std::size_t>(wrote);
      }
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    auto other = daemon.client();
    CHECK(other.call(Op::ping, {}).ok());
    CHECK(other.call(Op::sign, {text("w/ed"), Bytes{1}}).ok());
    ::shutdown(hog.fd(), SHUT_RDWR);
    flood.join();
  }
  // Whatever happened above, the daemon still serves.
  auto after = daemon.client();
  CHECK(after.call(Op::sign, {text("w/ed"), Bytes{2}}).ok());
  CHECK(daemon.stop() == 0);
}

TEST_CASE("ping says the protocol version, and an older client's command words are refused as unsupported") {
  Daemon daemon;
  auto client = daemon.client();
  const auto version = client.call(Op::ping, {});
  REQUIRE(version.ok());
  CHECK(*version == std::vector<Bytes>{Bytes{wire::kProtocolVersion}});
  // What a version 1 client sent for `stronghold --socket ... list`: its command words.
  const auto old = client.call(Op::retired_command, {text("list"), Bytes{}});
  CHECK(old.code() == Errc::unsupported);
  CHECK(old.status().message().find("protocol version 2") != std::string::npos);
  CHECK(old.status().message().find("stronghold client of the same version") != std::string::npos);
  // The same connection still serves.
  CHECK(client.call(Op::generate, {text("w/ok"), text("ed25519")}).ok());
  CHECK(client.call(Op::public_key, {text("w/ok")}).ok());
  CHECK(daemon.stop() == 0);
}

TEST_CASE("a forwarded request is refused where the node cannot tell it applied what the forwarder had") {
  Daemon daemon;  // alone: no cluster journal to compare with
  auto client = daemon.client();
  REQUIRE(client.call(Op::generate, {text("w/ed"), text("ed25519")}).ok());
  CHECK(client.call(Op::from_peer, {Bytes(3)}).code() == Errc::invalid_argument);
  CHECK(client.call(Op::from_peer, {Bytes(8), Bytes(8)}).code() == Errc::invalid_argument);
  // Without a position, a peer's session is served as any (what an earlier forwarder sent).
  REQUIRE(client.call(Op::from_peer, {}).ok());
  CHECK(client.call(Op::sign, {text("w/ed"), Bytes{1}}).ok());
  REQUIRE(client.call(Op::from_peer, {wire::u64_field(1)}).ok());
  const auto refused = client.call(Op::sign, {text("w/ed"), Bytes{1}});
  CHECK(refused.code() == Errc::unavailable);
  CHECK(refused.status().message().find("in no cluster") != std::string::npos);
  CHECK(client.call(Op::ping, {}).ok());  // the session goes on
  CHECK(daemon.stop() == 0);
}

TEST_CASE("a node in no cluster gives no copy of its file, and a locked one none at all") {
  Daemon daemon;
  auto client = daemon.client();
  const auto refused = client.call(Op::image, {wire::u64_field(0)});
  CHECK(refused.code() == Errc::unavailable);
  CHECK(refused.status().message().find("in no cluster") != std::string::npos);
  CHECK(client.call(Op::ping, {}).ok());
  // Locked, its file would be a target for guessing the password that nothing else gives.
  REQUIRE(client.call(Op::lock, {}).ok());
  const auto locked = client.call(Op::image, {wire::u64_field(0)});
  CHECK(locked.code() == Errc::busy);
  CHECK(locked.status().message().find("locked") != std::string::npos);
  CHECK(daemon.stop() == 0);
}

TEST_CASE("a flood of connections, beyond the bound or at the file limit, does not keep a new client out") {
  Daemon daemon;
  const pid_t pid = daemon.pid();
  std::size_t flood_size = 400;
  std::size_t most_files = 0;  // that the daemon may hold open during the flood
  SUBCASE("beyond the bound of 256 connections") { most_files = open_files(pid) + 256; }
  // Not under the sanitizers: their runtime checks that memory is readable by writing it to a pipe
  // (IsAccessibleMemoryRange), which fails at the file limit, and UBSan then reports a sound
  // object as having an invalid vptr. The plain builds run this case.
#if !STRONGHOLD_ADDRESS_SANITIZER
  SUBCASE("at the process's file limit") {
    rlimit limit{};
    REQUIRE(::prlimit(pid, RLIMIT_NOFILE, nullptr, &limit) == 0);
    limit.rlim_cur = open_files(pid) + 32;
    REQUIRE(::prlimit(pid, RLIMIT_NOFILE, &limit, nullptr) == 0);
    most_files = limit.rlim_cur;
    flood_size = 300;
  }
#endif
  std::vector<std::unique_ptr<Raw>> flood;
  for (std::size_t i = 0; i < flood_size; ++i)
    flood.push_back(std::make_unique<Raw>(daemon.socket()));
  Raw fresh(daemon.socket());
  fresh.send(request(1, Op::ping, {}));
  const auto answer = fresh.receive(std::chrono::seconds(30));
  REQUIRE(answer.has_value());
  CHECK((answer->id == 1 && answer->code == 0));
  CHECK(open_files(pid) <= most_files);
  flood.clear();
  CHECK(daemon.client().call(Op::ping, {}).ok());
  CHECK(daemon.stop() == 0);
}

TEST_CASE("a flood of pipelined large requests keeps the daemon's memory bounded") {
  Daemon daemon;
  REQUIRE(daemon.client().call(Op::generate, {text("w/ed"), text("ed25519")}).ok());
  // Four connections send 256 requests of almost 1 MiB each (1 GiB in all), signatures by the
  // sign op and by the request op, without waiting for answers.
  constexpr int kSenders = 4, kRequests = 256;
  const Bytes message(wire::kMaxFrame - 1024, 0x5a);
  const Bytes frames[2] = {
      request(1, Op::sign, {text("w/ed"), message}),
      request_frame(2, ac::Sign{at("w/ed"), message}),
  };
  std::vector<std::unique_ptr<Raw>> connections;
  connections.reserve(kSenders);
  for (int i = 0; i < kSenders; ++i)
    connections.push_back(std::make_unique<Raw>(daemon.socket()));
  std::atomic<int> signed_ok{0};
  std::vector<std::thread> senders;
  senders.reserve(kSenders);
  for (int i = 0; i < kSenders; ++i)
    senders.emplace_back([&, i] {
      for (int k = 0; k < kRequests && send_all(connections[i]->fd(), frames[i % 2]); ++k) {
      }
      for (int k = 0; k < kRequests; ++k) {
        const auto answer = connections[i]->receive(std::chrono::seconds(60));
        signed_ok += i % 2 == 0 ? answer && answer->code == 0 : answered_well<ac::Sign>(answer);
      }
    });
  for (auto& sender : senders)
    sender.join();
  CHECK(signed_ok == kSenders * kRequests);
  const std::size_t peak = peak_resident_kib(daemon.pid());
  MESSAGE("strongholdd's peak resident memory: " << peak / 1024 << " MiB");
  CHECK(peak > 0);
  CHECK(peak < 512 * 1024);
  CHECK(daemon.stop() == 0);
}

TEST_CASE("password KDFs wait for each other, not other requests, and too many are refused as busy") {
  Daemon daemon;
  REQUIRE(daemon.client().call(Op::generate, {text("w/ed"), text("ed25519")}).ok());
  // An export under a password at the default KDF cost (about 0.4 s to import).
  SpareSnapshot spare;
  auto source = snapshot::Snapshot::open(snapshot::posix_file_system(), spare.path, kPassword).value();
  const auto sender = vault::Location::parse("id/sender").value();
  vault::Transaction make_sender(source->keystore());
  REQUIRE(vault::generate_key(make_sender, sender, vault::KeyType::ed25519).ok());
  REQUIRE(source->commit(std::move(make_sender)).ok());
  const auto transfer = snapshot::TransferPassword::for_export(text("transfer"), snapshot::KdfPreset::standard).value();
  const Bytes exported = snapshot::export_with_password(source->keystore(), transfer, sender, {}).value();

  // Eight imports, then a key's public key, all on one connection at once.
  constexpr std::uint64_t kImports = 8, kPublicKey = 100;
  Bytes burst;
  for (std::uint64_t id = 1; id <= kImports; ++id) {
    const Bytes frame = request_frame(id, ac::ImportWithPassword{exported, ac::Secret::seal(text("transfer")).value()});
    burst.insert(burst.end(), frame.begin(), frame.end());
  }
  const Bytes public_key = request_frame(kPublicKey, ac::PublicKey{at("w/ed")});
  burst.insert(burst.end(), public_key.begin(), public_key.end());
  Raw raw(daemon.socket());
  raw.send(burst);

  std::vector<wire::Message> answers;  // in the order they came
  for (std::uint64_t i = 0; i <= kImports; ++i) {
    auto answer = raw.receive(std::chrono::seconds(60));
    REQUIRE(answer.has_value());
    answers.push_back(std::move(*answer));
  }
  const auto busy = static_cast<std::uint8_t>(Errc::busy);
  const auto is_public_key = [](const wire::Message& answer) { return answer.id == kPublicKey; };
  const auto is_import_done = [&](const wire::Message& answer) {
    return answer.id != kPublicKey && answer.code != busy;
  };
  const auto public_key_answer = std::find_if(answers.begin(), answers.end(), is_public_key);
  REQUIRE(public_key_answer != answers.end());
  CHECK(answered_well<ac::PublicKey>(std::optional<wire::Message>(std::move(*public_key_answer))));
  CHECK(public_key_answer < std::find_if(answers.begin(), answers.end(), is_import_done));
  const auto refused =
      std::count_if(answers.begin(), answers.end(), [&](const auto& answer) { return answer.code == busy; });
  CHECK(refused > 0);
  CHECK(std::count_if(answers.begin(), answers.end(), [](const auto& answer) { return answer.code == 0; }) ==
        static_cast<std::ptrdiff_t>(kImports) + 1 - refused);
  CHECK(daemon.stop() == 0);
}

TEST_CASE("a process of another user is disconnected without an answer") {
  if (!test::other_user_available_or_skipped())
    return;
  Daemon daemon;
  // Past the file modes: the daemon's own uid check decides.
  ::chmod(std::filesystem::path(daemon.socket()).parent_path().c_str(), 0711);
  ::chmod(daemon.socket().c_str(), 0666);
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    if (!test::become_other_user())
      ::_exit(3);
    const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::memcpy(address.sun_path, daemon.socket().c_str(), daemon.socket().size() + 1);
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0)
      ::_exit(4);
    const Bytes ping = request(1, Op::ping, {});
    [[maybe_unused]] const auto sent = ::send(fd, ping.data(), ping.size(), MSG_NOSIGNAL);
    std::uint8_t byte;
    ::_exit(::recv(fd, &byte, 1, 0) <= 0 ? 0 : 5);  // 0: closed without an answer
  }
  int status = 0;
  ::waitpid(child, &status, 0);
  CHECK((WIFEXITED(status) && WEXITSTATUS(status) == 0));
  ::chmod(daemon.socket().c_str(), 0600);  // our own client refuses a socket others may write to
  CHECK(daemon.client().call(Op::ping, {}).ok());
  CHECK(daemon.stop() == 0);
}

TEST_CASE("strongholdd does not start where a process of another user serves its socket, and says who") {
  if (!test::other_user_available_or_skipped())
    return;
  test::TempDir shared;  // like /tmp: everyone may create files in it
  REQUIRE(::chmod(shared.path().c_str(), 01777) == 0);
  const std::string socket = shared.file("d.sock");
  test::ForeignListener squatter(socket);
  REQUIRE(squatter.listening());
  SpareSnapshot spare;
  const test::ProgramRun refused = run_daemon(spare.path, socket);
  CHECK(refused.exit_code == 6);
  // Named from the serving process's credentials (a pid), not only from the file's owner.
  CHECK(refused.err.find(fmt::format("a process of another user (uid {}, pid ", test::other_uid())) !=
        std::string::npos);
  CHECK(squatter.received().empty());
}

TEST_CASE("strongholdd refuses a socket folder that other users may write to") {
  SpareSnapshot spare;
  test::TempDir open_folder;
  REQUIRE(::chmod(open_folder.path().c_str(), 0777) == 0);
  const test::ProgramRun refused = run_daemon(spare.path, open_folder.file("d.sock"));
  CHECK(refused.exit_code != 0);
  CHECK(refused.exit_code < 128);  // refused, not killed for running on
  CHECK(refused.err.find("writable by others") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(open_folder.file("d.sock")));
}

TEST_CASE("strongholdd replaces only a socket nobody answers on, never another file") {
  SpareSnapshot spare;
  const auto slurp = [](const std::string& path) {
    std::ifstream file(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(file), {});
  };
  // strongholdd refuses `socket` with a message holding `words`, and the file there is intact.
  const auto refused_intact = [&](const std::string& socket, const std::string& kept, const std::string& words) {
    CAPTURE(socket);
    const std::string before = slurp(kept);
    REQUIRE(!before.empty());
    const test::ProgramRun refused = run_daemon(spare.path, socket);
    CHECK(refused.exit_code != 0);
    CHECK(refused.exit_code < 128);  // refused, not killed for running on
    CHECK(refused.err.find(words) != std::string::npos);
    CHECK(slurp(kept) == before);
  };
  const std::string notes = spare.dir.file("notes.txt");
  std::ofstream(notes) << "not a socket\n";
  refused_intact(notes, notes, "a regular file");
  // The snapshot and its lock file, named differently: compared as files, not as strings.
  refused_intact(spare.dir.file("./spare.stronghold"), spare.path, "the snapshot");
  std::ofstream(spare.path + ".lock") << "held\n";
  refused_intact(spare.dir.file("../" + spare.dir.path().filename().string() + "/spare.stronghold.lock"),
                 spare.path + ".lock", "the snapshot");
  const std::string link = spare.dir.file("link.sock");
  std::filesystem::create_symlink(notes, link);
  refused_intact(link, notes, "a symbolic link");
  CHECK(std::filesystem::is_symlink(link));

  // A socket left by a daemon that stopped is replaced.
  const std::string stale = spare.dir.file("stale.sock");
  {
    const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    const sockaddr_un address = wire::socket_address(stale).value();
    REQUIRE(::bind(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0);
    ::close(fd);
  }
  const pid_t served = test::spawn_program({strongholdd(), "--snapshot", spare.path, "--socket", stale});
  bool answered = false;
  for (int i = 0; i < 200 && !answered; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
    auto client = wire::Client::connect(stale);
    answered = client.ok() && client->call(Op::ping, {}).ok();
  }
  CHECK(answered);
  ::kill(served, SIGTERM);
  int status = 0;
  ::waitpid(served, &status, 0);
  CHECK((WIFEXITED(status) && WEXITSTATUS(status) == 0));
}

TEST_CASE("the idle lock drops the keys until the password is given again, and a wrong one never unlocks") {
  Daemon daemon({"--idle-lock", "1"});
  auto client = daemon.client();
  REQUIRE(client.call(Op::generate, {text("w/ed"), text("ed25519")}).ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(2600));
  CHECK(client.call(Op::sign, {text("w/ed"), Bytes{1}}).code() == Errc::busy);
  CHECK(client.call(Op::unlock, {text("wrong")}).code() == Errc::wrong_password);
  CHECK(client.call(Op::unlock, {kPassword}).ok());
  CHECK(client.call(Op::unlock, {kPassword}).ok());  // already unlocked: fine with the password
  CHECK(client.call(Op::unlock, {text("wrong")}).code() == Errc::wrong_password);  // but not without
  CHECK(client.call(Op::sign, {text("w/ed"), Bytes{1}}).ok());
  CHECK(client.call(Op::lock, {}).ok());
  CHECK(client.call(Op::public_key, {text("w/ed")}).code() == Errc::busy);
  CHECK(daemon.stop() == 0);
}

TEST_CASE("SIGTERM: everything acknowledged is durable, the socket is gone, a second daemon is refused") {
  Daemon daemon;
  Bytes public_key;
  {
    auto client = daemon.client();
    public_key = client.call(Op::generate, {text("w/kept"), text("ed25519")}).value().at(0);
  }
  // A second daemon on the same socket: refused (busy), the first keeps serving.
  const pid_t second =
      test::spawn_program({strongholdd(), "--snapshot", daemon.snapshot_path(), "--socket", daemon.socket()});
  int status = 0;
  ::waitpid(second, &status, 0);
  CHECK((WIFEXITED(status) && WEXITSTATUS(status) == 6));
  CHECK(daemon.client().call(Op::ping, {}).ok());

  CHECK(daemon.stop() == 0);
  CHECK_FALSE(std::filesystem::exists(daemon.socket()));
  auto reopened = snapshot::Snapshot::open(snapshot::posix_file_system(), daemon.snapshot_path(), kPassword, {});
  REQUIRE(reopened.ok());
  CHECK((*reopened)->keystore().public_key(vault::Location::parse("w/kept").value()).value() == public_key);
}

TEST_CASE("the request op answers engine requests as the façade does on the same snapshot content") {
  Daemon daemon;
  auto client = daemon.client();
  const Bytes public_key = ask(client, ac::GenerateKey{at("w/ed")}).value();
  REQUIRE(ask(client, ac::GenerateKey{at("w/mac"), vault::KeyType::symmetric}).ok());
  REQUIRE(ask(client, ac::PutSecret{"token", ac::Secret::seal(text("hush")).value()}).ok());
  const auto did = ask(client, ac::DidCreate{"main", "sign-0", ac::Secret{}}).value();
  const auto token = ask(client, ac::GetSecret{"token"}).value();
  CHECK(token
            .open([](ByteView value) {
              return std::ranges::equal(value, text("hush")) ? Status{} : Status(Errc::internal, "another value");
            })
            .ok());

  // Valid answers: signatures that verify, a batch near a frame's size.
  CHECK(vault::verify_ed25519(public_key, text("hello"), ask(client, ac::Sign{at("w/ed"), text("hello")}).value()));
  ac::SignBatch batch{at("w/ed"), {}};
  for (int i = 0; i < 4000; ++i)
    batch.messages.push_back(Bytes(200, static_cast<std::uint8_t>(i)));
  REQUIRE(ac::wire::encode_request(batch).value().size() > 800'000);
  const auto signatures = ask(client, batch).value();
  REQUIRE(signatures.size() == batch.messages.size());
  std::size_t valid = 0;
  for (std::size_t i = 0; i < signatures.size(); ++i)
    valid += vault::verify_ed25519(public_key, batch.messages[i], signatures[i]) ? 1 : 0;
  CHECK(valid == signatures.size());

  const Bytes did_key = ask(client, ac::DidKeyPublic{did.did, did.location}).value();
  CHECK(vault::verify_ed25519(did_key, text("m"),
                              ask(client, ac::DidKeySign{did.did, did.location, {text("m")}}).value().at(0)));
  CHECK(ask(client, ac::CheckPassword{ac::Secret::seal(kPassword).value()}).ok());
  CHECK(ask(client, ac::CheckPassword{ac::Secret::seal(text("wrong")).value()}).code() == Errc::wrong_password);

  // The same answers as the façade's on a copy of the snapshot.
  REQUIRE(ask(client, ac::SyncSnapshot{}).ok());
  test::TempDir copy_dir;
  const std::string copy = copy_dir.file("copy.stronghold");
  std::filesystem::copy_file(daemon.snapshot_path(), copy);
  const EngineOptions defaults;  // named: GCC 12 misreads a defaulted temporary here as uninitialized
  auto engine = Engine::open(copy, kPassword, defaults).value();
  check_same_answer(client, *engine, ac::PublicKey{at("w/ed")});
  check_same_answer(client, *engine, ac::Sign{at("w/ed"), text("same")});
  check_same_answer(client, *engine, ac::SignBatch{at("w/ed"), {text("a"), text("b")}});
  check_same_answer(client, *engine, ac::GetSecret{"token"});
  check_same_answer(client, *engine, ac::GetSecret{"none"});
  check_same_answer(client, *engine, ac::Hmac{at("w/mac"), vault::Hash::sha512, text("tag me")});
  check_same_answer(client, *engine, ac::ListRecords{});
  check_same_answer(client, *engine, ac::DidKeySign{did.did, did.location, {text("m"), text("n")}});
  check_same_answer(client, *engine, ac::CheckPassword{ac::Secret::seal(kPassword).value()});
  check_same_answer(client, *engine, ac::CheckPassword{ac::Secret::seal(text("wrong")).value()});
  check_same_answer(client, *engine, ac::DeleteKey{at("w/ed")});
  check_same_answer(client, *engine, ac::PublicKey{at("w/ed")});  // not_found, in the answer

  // What does not decode is an ordinary error; too large a request is never sent.
  CHECK(client.call(ByteView(Bytes{ac::wire::kVersion, 0xff, 0x7f})).code() == Errc::unsupported);
  const auto request = ac::wire::encode_request(ac::PublicKey{at("w/mac")}).value();
  CHECK(client.call(request.view().first(request.size() - 1)).code() == Errc::invalid_argument);
  CHECK(client.call(Op::request, {}).code() == Errc::invalid_argument);
  CHECK(client.call(ByteView(Bytes(wire::kMaxWireMessage + 1))).code() == Errc::resource_exhausted);
  CHECK(ask(client, ac::ListRecords{}).ok());  // the connection still serves

  REQUIRE(client.call(Op::lock, {}).ok());
  CHECK(client.call(request.view()).code() == Errc::busy);
  CHECK(daemon.stop() == 0);
}

TEST_CASE("a 200 KiB DID document round-trips through strongholdd, and one of another DID is refused") {
  Daemon daemon;
  auto client = daemon.client();
  const auto did = ask(client, ac::DidCreate{"main", "sign-0", ac::Secret{}}).value().did;
  const std::string document = test::padded_document(did.to_string(), std::size_t{200} * 1024);
  REQUIRE(ask(client, ac::DidValueSet{did, vault::IdentityValue::document, document}).ok());
  const auto stored = ask(client, ac::DidValueGet{did, vault::IdentityValue::document}).value();
  CHECK(stored.present);
  CHECK(stored.json == document);
  const auto other = ask(client, ac::DidCreate{"main", "sign-0", ac::Secret{}}).value().did;
  CHECK(ask(client, ac::DidValueSet{other, vault::IdentityValue::document, document}).code() == Errc::invalid_argument);
  CHECK(ask(client, ac::DidValueGet{other, vault::IdentityValue::document}).value().present == false);
  REQUIRE(ask(client, ac::SyncSnapshot{}).ok());
  CHECK(daemon.stop() == 0);
  const EngineOptions defaults;  // named: GCC 12 misreads a defaulted temporary here as uninitialized
  auto engine = Engine::open(daemon.snapshot_path(), kPassword, defaults).value();
  CHECK(engine->call(ac::DidValueGet{did, vault::IdentityValue::document}).value().json == document);
}

TEST_CASE("password KDF requests take the KDF queue, and those beyond it are refused as busy") {
  Daemon daemon;
  constexpr std::uint64_t kRequests = 10;
  Bytes burst;
  for (std::uint64_t id = 1; id <= kRequests; ++id) {
    const ac::Pbkdf2 derive{ac::Secret::seal(text("pass")).value(), text("salt"), ac::kMaxPbkdf2Rounds / 4, 32,
                            at("w/k" + std::to_string(id))};
    const auto encoded = ac::wire::encode_request(derive).value();
    const Bytes frame = request(id, Op::request, {Bytes(encoded.view().begin(), encoded.view().end())});
    burst.insert(burst.end(), frame.begin(), frame.end());
  }
  Raw raw(daemon.socket());
  raw.send(burst);
  std::set<std::uint64_t> answered;
  std::ptrdiff_t refused = 0, derived = 0;
  for (std::uint64_t i = 0; i < kRequests; ++i) {
    const auto answer = raw.receive(std::chrono::seconds(60));
    REQUIRE(answer.has_value());
    answered.insert(answer->id);
    refused += answer->code == static_cast<std::uint8_t>(Errc::busy);
    derived += answer->code == 0 && ac::wire::decode_answer<ac::Pbkdf2>(answer->fields.at(0)).ok();
  }
  CHECK(answered.size() == kRequests);
  CHECK(refused > 0);
  CHECK(derived == static_cast<std::ptrdiff_t>(kRequests) - refused);
  CHECK(daemon.stop() == 0);
}

TEST_CASE("an answer larger than a frame holds becomes an error answer of its kind, and the daemon keeps serving") {
  Daemon daemon;
  auto client = daemon.client();
  const Bytes recipient = ask(client, ac::GenerateKey{at("w/x"), vault::KeyType::x25519}).value();
  REQUIRE(ask(client, ac::GenerateKey{at("w/ed")}).ok());
  // Forty secrets of 30,000 random bytes: an export of them outgrows a frame.
  for (int i = 0; i < 40; ++i) {
    Bytes value(30'000);
    randombytes_buf(value.data(), value.size());
    REQUIRE(ask(client, ac::PutSecret{"bulk" + std::to_string(i), ac::Secret::seal(value).value()}).ok());
  }
  const auto answer = ask_wire(client, ac::ExportVaults{recipient, at("w/ed")});
  CHECK(ac::wire::message_kind(answer.view()).value() == ac::RequestKind::ExportVaults);
  CHECK(ac::wire::decode_answer<ac::ExportVaults>(answer.view()).code() == Errc::resource_exhausted);
  CHECK(ask(client, ac::ListSecrets{}).value().size() == 40);
  CHECK(daemon.stop() == 0);
}

namespace {

// A client's key: its seed, and the public key the registry holds.
struct ClientKeys {
  Bytes seed;
  Bytes public_key = Bytes(crypto_sign_PUBLICKEYBYTES);
  explicit ClientKeys(std::uint8_t fill) : seed(crypto_sign_SEEDBYTES, fill) {
    unsigned char secret_key[crypto_sign_SECRETKEYBYTES];
    crypto_sign_seed_keypair(public_key.data(), secret_key, seed.data());
    sodium_memzero(secret_key, sizeof secret_key);
  }
  Bytes sign(ByteView challenge, std::string_view name) const {
    unsigned char secret_key[crypto_sign_SECRETKEYBYTES];
    Bytes unused(crypto_sign_PUBLICKEYBYTES);
    crypto_sign_seed_keypair(unused.data(), secret_key, seed.data());
    const Bytes message = wire::client_proof_message(challenge, name);
    Bytes signature(crypto_sign_BYTES);
    crypto_sign_detached(signature.data(), nullptr, message.data(), message.size(), secret_key);
    sodium_memzero(secret_key, sizeof secret_key);
    return signature;
  }
};

// The engine request's answer through `client`'s request op.
template <ac::EngineRequest R>
Result<typename R::Answer> call(wire::Client& client, const R& engine_request) {
  const auto encoded = ac::wire::encode_request(engine_request).value();
  SH_ASSIGN_OR_RETURN(const runtime::SecretBytes answer, client.call(encoded.view()));
  return ac::wire::decode_answer<R>(answer.view());
}

// A daemon whose snapshot has the key w/ed, the client alice, and a policy on vault w that only
// alice passes.
struct ClientDaemon {
  Daemon daemon;
  ClientKeys alice{0xa1};
  ClientDaemon() {
    wire::Client admin = daemon.client();
    REQUIRE(call(admin, ac::ClientAdd{"alice", alice.public_key, vault::Overwrite::refuse,
                                      ac::Secret::seal(kPassword).value()})
                .ok());
    REQUIRE(call(admin, ac::GenerateKey{.at = vault::Location::parse("w/ed").value()}).ok());
    REQUIRE(call(admin, ac::SetPolicy{"w", "", {.callers = {"client:alice"}}}).ok());
  }
  // A signature with w/ed, asked on `client`.
  Status sign(wire::Client& client) {
    return call(client, ac::Sign{vault::Location::parse("w/ed").value(), Bytes{'m'}}).status();
  }
};

// A challenge for `name` on the raw connection.
Bytes challenge(Raw& raw, std::uint64_t id, std::string_view name) {
  raw.send(request(id, Op::challenge, {text(name)}));
  auto answer = raw.receive();
  REQUIRE(answer);
  REQUIRE(answer->code == 0);
  REQUIRE(answer->fields.size() == 1);
  REQUIRE(answer->fields[0].size() == wire::kChallengeSize);
  return answer->fields[0];
}

// The status of a proof with `signature` on the raw connection.
Errc prove(Raw& raw, std::uint64_t id, const Bytes& signature) {
  raw.send(request(id, Op::prove, {signature}));
  auto answer = raw.receive();
  REQUIRE(answer);
  return static_cast<Errc>(answer->code);
}

}  // namespace

TEST_CASE("a connection that proves a registered client passes a policy naming it, and one that does not is denied") {
  ClientDaemon f;
  wire::Client proven = f.daemon.client();
  REQUIRE(proven.prove("alice", f.alice.seed).ok());
  CHECK(f.sign(proven).ok());

  wire::Client anonymous = f.daemon.client();
  CHECK(f.sign(anonymous).code() == Errc::denied);

  wire::Client impostor = f.daemon.client();
  const Status wrong_key = impostor.prove("alice", ClientKeys(0xb2).seed);
  CHECK(wrong_key.code() == Errc::denied);
  CHECK(wrong_key.message().find("does not prove client alice") != std::string::npos);
  CHECK(f.sign(impostor).code() == Errc::denied);

  wire::Client stranger = f.daemon.client();
  CHECK(stranger.prove("bob", f.alice.seed).code() == Errc::denied);  // no client bob

  // A client removed is proven no more; the connection proven before keeps its identity.
  REQUIRE(call(proven, ac::ClientRemove{"alice", ac::Secret::seal(kPassword).value()}).ok());
  wire::Client late = f.daemon.client();
  CHECK(late.prove("alice", f.alice.seed).code() == Errc::denied);
  CHECK(f.sign(proven).ok());
}

TEST_CASE("managing clients takes the snapshot's password, so a connection cannot make itself a client") {
  ClientDaemon f;
  wire::Client client = f.daemon.client();
  const ClientKeys mallory(0xc3);
  const auto wrong = ac::Secret::seal(text("guess")).value();
  CHECK(call(client, ac::ClientAdd{"mallory", mallory.public_key, vault::Overwrite::refuse, wrong}).status().code() ==
        Errc::wrong_password);
  CHECK(call(client, ac::ClientAdd{"alice", mallory.public_key, vault::Overwrite::replace, wrong}).status().code() ==
        Errc::wrong_password);
  CHECK(call(client, ac::ClientRemove{"alice", wrong}).status().code() == Errc::wrong_password);
  CHECK(client.prove("mallory", mallory.seed).code() == Errc::denied);
  CHECK(client.prove("alice", mallory.seed).code() == Errc::denied);
  const auto listed = call(client, ac::ClientList{}).value();
  REQUIRE(listed.size() == 1);
  CHECK(listed[0].public_key == f.alice.public_key);
}

TEST_CASE("a signature answers one challenge of one connection: replayed, it is refused") {
  ClientDaemon f;
  Raw first(f.daemon.socket());
  const Bytes signature = f.alice.sign(challenge(first, 1, "alice"), "alice");
  CHECK(prove(first, 2, signature) == Errc::ok);
  CHECK(prove(first, 3, signature) == Errc::denied);  // its challenge was answered

  Raw second(f.daemon.socket());
  const Bytes fresh = challenge(second, 1, "alice");
  CHECK(prove(second, 2, signature) == Errc::denied);                     // another connection's challenge
  CHECK(prove(second, 3, f.alice.sign(fresh, "alice")) == Errc::denied);  // spent by the refusal
  CHECK(prove(second, 4, f.alice.sign(challenge(second, 5, "alice"), "alice")) == Errc::ok);
}

TEST_CASE("a connection that fails three proofs is closed after the third answer") {
  ClientDaemon f;
  Raw raw(f.daemon.socket());
  const Bytes forged(crypto_sign_BYTES, 7);
  for (std::uint64_t attempt = 1; attempt <= wire::kMaxFailedProofs; ++attempt) {
    (void)challenge(raw, 2 * attempt, "alice");
    CHECK(prove(raw, 2 * attempt + 1, forged) == Errc::denied);
    if (attempt < wire::kMaxFailedProofs) {  // still served
      raw.send(request(100 + attempt, Op::ping, {}));
      const auto pong = raw.receive();
      REQUIRE(pong);
      CHECK(pong->code == 0);
    }
  }
  CHECK(raw.closed_by_peer());
  wire::Client next = f.daemon.client();  // others are served
  CHECK(next.prove("alice", f.alice.seed).ok());
}

namespace {

// A raw connection subscribed to the watch stream with a queue of `capacity` events.
std::unique_ptr<Raw> watcher(const Daemon& daemon, std::uint32_t capacity) {
  auto raw = std::make_unique<Raw>(daemon.socket());
  Bytes asked(4);
  for (std::size_t i = 0; i < 4; ++i)
    asked[i] = static_cast<std::uint8_t>(capacity >> (8 * (3 - i)));
  raw->send(request(77, Op::watch, {asked}));
  const auto answer = raw->receive();
  REQUIRE(answer);
  REQUIRE(answer->code == 0);
  return raw;
}

// The next event on a watching connection.
ac::Event next_event(Raw& raw) {
  auto message = raw.receive();
  REQUIRE(message);
  CHECK(message->id == 77);
  return wire::event_from_fields(message->fields).value();
}

}  // namespace

TEST_CASE("a watcher sees denials, changes, deletions and wrong passwords through strongholdd as they happen") {
  ClientDaemon f;
  auto raw = watcher(f.daemon, 64);
  wire::Client client = f.daemon.client();
  CHECK(f.sign(client).code() == Errc::denied);
  ac::Event event = next_event(*raw);
  CHECK(event.type == ac::EventType::denied);
  CHECK(event.caller == "uid:" + std::to_string(::geteuid()));
  CHECK(event.kind == "sign");
  CHECK(event.location == "w/ed");

  REQUIRE(call(client, ac::GenerateKey{.at = vault::Location::parse("v/k").value()}).ok());
  REQUIRE(call(client, ac::DeleteKey{vault::Location::parse("v/k").value()}).ok());
  event = next_event(*raw);
  CHECK(event.type == ac::EventType::deleted);
  CHECK(event.location == "v/k");

  const auto wrong = ac::Secret::seal(text("guess")).value();
  CHECK(call(client, ac::ClientRemove{"alice", wrong}).status().code() == Errc::wrong_password);
  event = next_event(*raw);
  CHECK(event.type == ac::EventType::unlock_failed);
  CHECK(event.kind == "client.remove");
  CHECK(client.call(Op::unlock, {text("guess")}).status().code() == Errc::wrong_password);
  event = next_event(*raw);  // unlocked already: the engine checks the password
  CHECK(event.type == ac::EventType::unlock_failed);
  CHECK(event.kind == "password.check");
  CHECK(event.caller == "uid:" + std::to_string(::geteuid()));
  REQUIRE(client.call(Op::lock, {}).ok());
  CHECK(client.call(Op::unlock, {text("guess")}).status().code() == Errc::wrong_password);
  event = next_event(*raw);  // locked: the watcher still hears of it
  CHECK(event.type == ac::EventType::unlock_failed);
  CHECK(event.kind == "unlock");
  REQUIRE(client.call(Op::unlock, {kPassword}).ok());

  wire::Client impostor = f.daemon.client();
  CHECK(impostor.prove("alice", ClientKeys(0xb2).seed).code() == Errc::denied);
  event = next_event(*raw);
  CHECK(event.type == ac::EventType::denied);
  CHECK(event.kind == "prove");

  // A second watch on the same connection is refused; the first goes on.
  raw->send(request(78, Op::watch, {}));
  const auto refused = raw->receive();
  REQUIRE(refused);
  CHECK(refused->id == 78);
  CHECK(static_cast<Errc>(refused->code) == Errc::already_exists);
  CHECK(f.sign(client).code() == Errc::denied);
  CHECK(next_event(*raw).type == ac::EventType::denied);
}

TEST_CASE("a watcher that stops reading never holds up strongholdd, and is told how many events it missed") {
  ClientDaemon f;
  auto raw = watcher(f.daemon, 8);
  wire::Client client = f.daemon.client();
  // Far more events than the watcher's queue, outbox and socket buffers hold together; every
  // request is answered while nobody reads them.
  constexpr std::uint64_t kDenials = 20'000;
  for (std::uint64_t i = 0; i < kDenials; ++i)
    REQUIRE(f.sign(client).code() == Errc::denied);
  std::uint64_t received = 0;
  std::uint64_t missed = 0;
  while (received + missed < kDenials) {
    const ac::Event event = next_event(*raw);
    if (event.type == ac::EventType::overflow)
      missed += std::stoull(event.detail);
    else
      ++received;
  }
  CHECK(received + missed == kDenials);
  CHECK(missed > 0);
  CHECK_FALSE(raw->receive(std::chrono::milliseconds(200)));  // nothing else
}
