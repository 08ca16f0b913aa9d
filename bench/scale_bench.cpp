// The engine at scale, through its façade, in one run (each figure against a baseline measured
// in the same run where one exists):
//   1. building a snapshot of N Ed25519 keys: the engine has no request that makes many keys in
//      one commit, so the build keeps kInFlight key.generate requests in flight and the snapshot
//      actor's group commit shares one fdatasync among everything appended meanwhile; the rate
//      over the first and the last 10% of the build, and their ratio;
//   2. file bytes per key, against the 64 bytes of a key pair;
//   3. reopening: from the open to the first signature, against reading the file;
//   4. resident memory after the open and its peak during it, as multiples of the file size (in
//      a fresh process, so that the peak is the open's own and not the build's);
//   5. synced single-key commits on the store of N keys, one at a time, at the default compaction
//      threshold: their latency distribution against a 200-byte append + fdatasync beside it.
//
//   bench_scale [--keys N] [--commits M] [--dir DIR]
//
// Files go to DIR/scale-PID (DIR: --dir, else $STRONGHOLD_BENCH_DIR, else ./bench-data: the disk
// a snapshot would use, not a RAM-backed /tmp) and are removed at the end.
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <semaphore>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <sodium.h>

#include "stronghold/engine.hpp"

namespace {

using namespace stronghold;
using Clock = std::chrono::steady_clock;

const Bytes kPassword = {'s', 'c', 'a', 'l', 'e'};
const Bytes kMessage(64, 0x5a);
constexpr std::ptrdiff_t kInFlight = 1024;  // key.generate requests outstanding during the build
constexpr double kKeyPairBytes = 64;        // an Ed25519 secret and its public key

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

[[noreturn]] void fail(const std::string& what) {
  fmt::print(stderr, "bench_scale: {}\n", what);
  std::abort();  // also from an engine thread, where exit would race the others
}

struct Options {
  std::size_t keys = 1'000'000;
  std::size_t commits = 100'000;
  std::filesystem::path dir;
  std::string measure_open;  // internal: the child that measures an open of this file
};

// 0 for anything but a positive count.
std::size_t count_argument(const char* text) {
  char* end = nullptr;
  const unsigned long long value = std::strtoull(text, &end, 10);
  return end == text || *end != '\0' ? 0 : value;
}

// Nothing for a command line it does not understand.
std::optional<Options> parse(int argc, char** argv) {
  Options options;
  const char* configured = std::getenv("STRONGHOLD_BENCH_DIR");
  options.dir = configured != nullptr ? configured : "bench-data";
  if (argc % 2 == 0)
    return std::nullopt;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--keys")
      options.keys = count_argument(argv[i + 1]);
    else if (flag == "--commits")
      options.commits = count_argument(argv[i + 1]);
    else if (flag == "--dir")
      options.dir = argv[i + 1];
    else if (flag == "--measure-open")
      options.measure_open = argv[i + 1];
    else
      return std::nullopt;
  }
  if (options.keys < 100 || options.commits == 0)
    return std::nullopt;
  return options;
}

vault::Location key_location(std::size_t i) { return vault::Location::parse(fmt::format("scale/k{:09}", i)).value(); }

// Long enough that a compaction stall is measured rather than turned into a timeout.
EngineOptions engine_options() {
  EngineOptions options;
  options.snapshot.kdf = snapshot::KdfPreset::fast;  // the password KDF is not what is measured
  options.timeout = std::chrono::minutes(10);
  options.actors.journal_timeout = std::chrono::minutes(10);
  return options;
}

std::unique_ptr<Engine> open_engine(const std::string& path) {
  auto engine = Engine::open(path, kPassword, engine_options());
  if (!engine.ok())
    fail(fmt::format("open: {}", engine.status().message()));
  return std::move(*engine);
}

// ---- 1. the build

// Key pairs per second that libsodium makes on one thread (the vault actor is one thread).
double raw_keypair_rate() {
  std::uint8_t public_key[crypto_sign_PUBLICKEYBYTES], secret_key[crypto_sign_SECRETKEYBYTES];
  std::size_t made = 0;
  const auto start = Clock::now();
  while (seconds_since(start) < 0.5) {
    crypto_sign_keypair(public_key, secret_key);
    ++made;
  }
  sodium_memzero(secret_key, sizeof secret_key);
  return static_cast<double>(made) / seconds_since(start);
}

// The build notes the time at every multiple of this many acknowledged keys.
std::size_t mark_step(std::size_t keys) { return std::max<std::size_t>(1, keys / 100); }

// Generates `keys` keys with kInFlight requests outstanding; returns when each multiple of
// mark_step of them had been acknowledged (durable), in seconds from the start.
std::vector<double> generate_keys(Engine& engine, std::size_t keys) {
  const std::size_t step = mark_step(keys);
  std::vector<double> marks(keys / step);
  std::counting_semaphore<kInFlight> room(kInFlight);
  std::atomic<std::size_t> acknowledged{0};
  const auto start = Clock::now();
  for (std::size_t i = 0; i < keys; ++i) {
    room.acquire();
    engine.call_async(actors::GenerateKey{key_location(i)}, [&](const Result<Bytes>& public_key) {
      if (!public_key.ok())
        fail(fmt::format("key.generate: {}", public_key.status().message()));
      const std::size_t done = ++acknowledged;
      if (done % step == 0 && done / step <= marks.size())
        marks[done / step - 1] = seconds_since(start);
      room.release();
    });
  }
  for (std::ptrdiff_t i = 0; i < kInFlight; ++i)
    room.acquire();
  return marks;
}

void report_build(const std::string& path, std::size_t keys) {
  auto created = Engine::create(path, kPassword, engine_options());
  if (!created.ok())
    fail(fmt::format("create: {}", created.status().message()));
  const double raw_rate = raw_keypair_rate();
  const std::vector<double> marks = generate_keys(**created, keys);
  (*created)->close();
  const std::size_t tenth = marks.size() / 10;
  const auto keys_per_tenth = static_cast<double>(tenth * mark_step(keys));
  const double first = keys_per_tenth / marks[tenth - 1];
  const double last = keys_per_tenth / (marks.back() - marks[marks.size() - tenth - 1]);
  const double total = marks.back();  // at the last mark: within 1% of the end
  const auto marked = static_cast<double>(marks.size() * mark_step(keys));
  fmt::print("1. build of {} Ed25519 keys ({} key.generate requests in flight, group commit, default compaction):\n",
             keys, kInFlight);
  fmt::print("   {:.1f} s, {:.0f} keys/s overall (= {:.3f} x raw crypto_sign_keypair on one thread, {:.0f}/s)\n", total,
             marked / total, marked / total / raw_rate, raw_rate);
  fmt::print("   first 10%: {:.0f} keys/s; last 10%: {:.0f} keys/s; last / first = {:.2f} (goal: at least 0.80)\n",
             first, last, last / first);
  const auto bytes = static_cast<double>(std::filesystem::file_size(path));
  fmt::print("2. file: {:.1f} MB, {:.1f} bytes per key (= {:.2f} x the {:.0f} bytes of a key pair)\n", bytes / 1e6,
             bytes / static_cast<double>(keys), bytes / static_cast<double>(keys) / kKeyPairBytes, kKeyPairBytes);
}

// ---- 3 and 4. the reopen, in a fresh process

std::uint64_t status_kib(const char* field) {
  std::ifstream status("/proc/self/status");
  std::string line;
  const std::string prefix = std::string(field) + ":";
  while (std::getline(status, line))
    if (line.starts_with(prefix))
      return std::strtoull(line.c_str() + prefix.size(), nullptr, 10);
  fail(fmt::format("no {} in /proc/self/status", field));
}

// Seconds to read the whole file once (from the page cache, as the open that follows reads it).
double seconds_to_read(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    fail("cannot read " + path);
  std::vector<char> chunk(std::size_t{1} << 20);
  const auto start = Clock::now();
  while (::read(fd, chunk.data(), chunk.size()) > 0) {
  }
  const double seconds = seconds_since(start);
  ::close(fd);
  return seconds;
}

// Runs in the child: a process that has done nothing else, so its peak is the open's.
int measure_open(const std::string& path, std::size_t keys) {
  const double read_seconds = seconds_to_read(path);
  const std::uint64_t before_kib = status_kib("VmRSS");
  const auto start = Clock::now();
  auto engine = open_engine(path);
  if (!engine->sign(key_location(keys / 2), kMessage).ok())
    fail("the first signature failed");
  const double seconds = seconds_since(start);
  const std::uint64_t rss_kib = status_kib("VmRSS");
  const std::uint64_t peak_kib = status_kib("VmHWM");
  const auto file_kib = static_cast<double>(std::filesystem::file_size(path)) / 1024;
  fmt::print(
      "3. reopen: open to the first signature {:.2f} s, {:.0f} records/s (= {:.1f} x reading the file, {:.3f} s)\n",
      seconds, static_cast<double>(keys) / seconds, seconds / read_seconds, read_seconds);
  fmt::print(
      "4. memory after the open: VmRSS {:.1f} MB = {:.2f} x the file; peak during it: VmHWM {:.1f} MB = {:.2f} x the "
      "file (a fresh process: {:.1f} MB before the open; the open added {:.2f} x the file)\n",
      static_cast<double>(rss_kib) / 1024, static_cast<double>(rss_kib) / file_kib,
      static_cast<double>(peak_kib) / 1024, static_cast<double>(peak_kib) / file_kib,
      static_cast<double>(before_kib) / 1024, static_cast<double>(rss_kib - before_kib) / file_kib);
  engine->close();
  return 0;
}

void report_open(const std::string& path, std::size_t keys) {
  (void)std::fflush(stdout);  // before the child prints its own lines
  std::string self = std::filesystem::read_symlink("/proc/self/exe").string();
  std::string keys_text = std::to_string(keys), flag_keys = "--keys", flag_open = "--measure-open";
  std::string file = path;
  char* const child_argv[] = {self.data(), flag_keys.data(), keys_text.data(), flag_open.data(), file.data(), nullptr};
  pid_t child = 0;
  if (::posix_spawn(&child, self.c_str(), nullptr, nullptr, child_argv, environ) != 0)
    fail("cannot start the process that measures the open");
  int status = 0;
  if (::waitpid(child, &status, 0) != child || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
    fail("the process that measures the open failed");
}

// ---- 5. commits

struct Distribution {
  std::vector<double> us;
  double at(double quantile) const {
    return us[std::min(us.size() - 1, static_cast<std::size_t>(quantile * static_cast<double>(us.size())))];
  }
};

// One 200-byte append + fdatasync per call, to a file in the snapshot's folder.
class RawAppend {
 public:
  explicit RawAppend(const std::filesystem::path& path)
      : fd_(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0600)) {
    if (fd_ < 0)
      fail("cannot create " + path.string());
  }
  ~RawAppend() { ::close(fd_); }
  RawAppend(const RawAppend&) = delete;
  RawAppend& operator=(const RawAppend&) = delete;
  void operator()() const {
    if (::write(fd_, record_.data(), record_.size()) != static_cast<ssize_t>(record_.size()) || ::fdatasync(fd_) != 0)
      fail("raw append failed");
  }

 private:
  int fd_;
  std::vector<char> record_ = std::vector<char>(200, 'x');
};

template <class Call>
void time_into(Distribution& into, const Call& call) {
  const auto start = Clock::now();
  call();
  into.us.push_back(seconds_since(start) * 1e6);
}

// Commits and raw appends alternate, so that both see the same machine.
void report_commits(const std::string& path, const std::filesystem::path& dir, std::size_t keys, std::size_t commits) {
  auto engine = open_engine(path);
  const RawAppend raw(dir / "raw-append");
  Distribution commit, sync;
  for (std::size_t i = 0; i < commits; ++i) {
    time_into(commit, [&] {
      if (!engine->generate(key_location(keys + i), vault::KeyType::ed25519).ok())
        fail("a commit failed");
    });
    time_into(sync, raw);
  }
  engine->close();
  std::sort(commit.us.begin(), commit.us.end());
  std::sort(sync.us.begin(), sync.us.end());
  const double median = commit.at(0.5);
  const auto stalls = std::count_if(commit.us.begin(), commit.us.end(), [&](double us) { return us > 10 * median; });
  fmt::print("5. {} synced single-key commits at {} keys, one at a time, default compaction threshold:\n", commits,
             keys);
  fmt::print(
      "   commit: median {:.0f} us, p99 {:.0f} us, p99.9 {:.0f} us, max {:.0f} us; max / median = {:.1f} "
      "(goal: below 10; {} commits above 10 x the median)\n",
      median, commit.at(0.99), commit.at(0.999), commit.us.back(), commit.us.back() / median, stalls);
  fmt::print("   raw 200-byte append + fdatasync beside it: median {:.0f} us, p99 {:.0f} us, max {:.0f} us\n",
             sync.at(0.5), sync.at(0.99), sync.us.back());
  fmt::print("   commit / raw fdatasync: median {:.2f}, p99 {:.2f}, p99.9 {:.2f}, max {:.2f}\n", median / sync.at(0.5),
             commit.at(0.99) / sync.at(0.99), commit.at(0.999) / sync.at(0.999), commit.us.back() / sync.us.back());
}

}  // namespace

int main(int argc, char** argv) {
  const auto parsed = parse(argc, argv);
  if (!parsed) {
    fmt::print(stderr, "usage: bench_scale [--keys N] [--commits M] [--dir DIR] (N at least 100)\n");
    return 2;
  }
  const Options& options = *parsed;
  if (sodium_init() < 0)
    fail("libsodium did not initialize");
  if (!options.measure_open.empty())
    return measure_open(options.measure_open, options.keys);
  const std::filesystem::path dir = options.dir / fmt::format("scale-{}", ::getpid());
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "scale.stronghold").string();
  report_build(path, options.keys);
  report_open(path, options.keys);
  report_commits(path, dir, options.keys, options.commits);
  std::filesystem::remove_all(dir);
  return 0;
}
