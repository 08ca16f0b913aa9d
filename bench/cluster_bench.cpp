// A cluster on this machine, in one run: three etcd members on loopback (scripts/etcd-members.sh),
// two strongholdd nodes pinned to one core each (taskset), and a strongholdd alone, on snapshots of
// their own in bench-data/cluster.
//   - Ed25519 signatures per second through the nodes' sockets, in batches of 64 (signing never
//     touches etcd): both nodes loaded, as a ratio of node a loaded alone, the same client load;
//     and a third node, f, on a's core, loaded alone and forwarding to b what it does not sign
//     itself (--forward-to, over the nodes' mutual TLS), as a ratio of a alone.
//   - The latency of one commit (key.generate, one at a time) through etcd, as a ratio of one in
//     the strongholdd alone (appended to its file and synced).
//   - Commits per second with 8 writers: on one node, across both nodes (whose commits conflict:
//     one of two at once is refused busy), and on the strongholdd alone.
// With --etcd-tls, etcd's members serve clients over TLS only, with client certificates
// (scripts/tls-certs.sh), and the nodes reach them through https://.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string_view>

#include <fmt/format.h>

#include "daemon_load.hpp"
#include "stronghold/engine.hpp"
#include "wire/client.hpp"

namespace {

using namespace stronghold;
using namespace stronghold::bench;

constexpr int kConnections = 4;  // in all, shared by the nodes loaded
constexpr int kInFlight = 256;   // messages per connection, in batches
constexpr int kCommits = 200;    // one at a time, for the latency
constexpr int kWriters = 8;
constexpr double kWriteSeconds = 2.0;

// Runs `words`, its standard error into `log`.
pid_t spawn(const std::vector<std::string>& words, const std::string& log) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd >= 0)
      ::dup2(fd, STDERR_FILENO);
    std::vector<char*> argv;
    argv.reserve(words.size() + 1);
    for (const std::string& word : words)
      argv.push_back(const_cast<char*>(word.c_str()));
    argv.push_back(nullptr);
    ::execvp(argv[0], argv.data());
    ::_exit(127);
  }
  return pid;
}

void stop(pid_t pid) {
  ::kill(pid, SIGTERM);
  ::waitpid(pid, nullptr, 0);
}

// Three etcd members, started by a shell that stops them when its standard input closes.
struct Etcd {
  pid_t shell = -1;
  int input = -1;
  std::string endpoints;

  // `certificates`: a folder of scripts/tls-certs.sh's for members over TLS; empty for plain HTTP.
  Etcd(const std::filesystem::path& dir, const std::string& certificates) {
    int to_shell[2], from_shell[2];
    if (::pipe(to_shell) != 0 || ::pipe(from_shell) != 0)
      std::abort();
    shell = ::fork();
    if (shell == 0) {
      ::dup2(to_shell[0], STDIN_FILENO);
      ::dup2(from_shell[1], STDOUT_FILENO);
      for (const int fd : {to_shell[0], to_shell[1], from_shell[0], from_shell[1]})
        ::close(fd);
      const std::string script = fmt::format(
          "TLS_FOR_ETCD='{}'; source '{}/etcd-members.sh' && start_etcd_members '{}' >&2 && "
          "echo \"$ETCD_ENDPOINTS\" && read -r _; stop_etcd_members",
          certificates, STRONGHOLD_SCRIPTS_DIR, dir.string());
      ::execlp("bash", "bash", "-c", script.c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
    ::close(to_shell[0]);
    ::close(from_shell[1]);
    input = to_shell[1];
    char line[512] = {};
    FILE* out = ::fdopen(from_shell[0], "r");
    if (out == nullptr || std::fgets(line, sizeof line, out) == nullptr)
      std::abort();
    (void)std::fclose(out);
    endpoints = std::string(line, std::strcspn(line, "\n"));
  }
  ~Etcd() {
    ::close(input);
    ::waitpid(shell, nullptr, 0);
  }
};

void wait_for(const std::string& socket) {
  for (int i = 0; i < 400 && !wire::Client::connect(socket).ok(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
}

// The first line of `log` that holds `text`, once a process wrote it (up to 10 s); empty if none.
std::string wait_for_line(const std::filesystem::path& log, std::string_view text) {
  for (int i = 0; i < 1000; ++i) {
    std::ifstream in(log);
    for (std::string line; std::getline(in, line);)
      if (line.find(text) != std::string::npos)
        return line;
    ::usleep(10'000);
  }
  return "";
}

// Where the node whose log is `log` listens: HOST:PORT.
std::string listen_address(const std::filesystem::path& log) {
  const std::string line = wait_for_line(log, " listens on ");
  if (line.empty()) {
    fmt::print(stderr, "bench_cluster: {} never said where it listens\n", log.string());
    std::abort();
  }
  const std::size_t start = line.find(" listens on ") + std::string_view(" listens on ").size();
  return line.substr(start, line.find(' ', start) - start);
}

// key.generate at `at`, replacing what is there: one commit. ok; conflict when another node
// committed first every time the node sent it, or unavailable when it was queued behind such a
// commit while the node restarts its state (both: try again); anything else ends the benchmark.
Errc commit(wire::Client& client, const vault::Location& at) {
  const auto request =
      actors::wire::encode_request(actors::GenerateKey{at, vault::KeyType::ed25519, vault::Overwrite::replace, 0});
  auto answer = client.call(request.value().view());
  const Status outcome =
      answer.ok() ? actors::wire::decode_answer<actors::GenerateKey>(answer->view()).status() : answer.status();
  if (!outcome.ok() && outcome.code() != Errc::conflict && outcome.code() != Errc::unavailable) {
    fmt::print(stderr, "bench_cluster: a commit failed: {}\n", outcome.message());
    std::abort();
  }
  return outcome.code();
}

// Seconds per commit, one at a time on one connection.
std::vector<double> commit_latencies(const std::string& socket) {
  auto client = wire::Client::connect(socket).value();
  const auto at = vault::Location::parse("latency/k").value();
  std::vector<double> seconds;
  for (int i = 0; i < kCommits; ++i) {
    const auto start = Clock::now();
    if (commit(client, at) != Errc::ok)  // no other writer: nothing comes first
      std::abort();
    seconds.push_back(elapsed(start));
  }
  return seconds;
}

struct Written {
  double per_second = 0;
  double refused_share = 0;  // of the tries, refused (conflict or unavailable: see commit)
};

// kWriters writers, spread over `sockets`, each committing one at a time for kWriteSeconds.
Written write_rate(const std::vector<std::string>& sockets) {
  std::atomic<std::uint64_t> done{0}, refused{0};
  std::vector<std::thread> writers;
  writers.reserve(kWriters);
  const auto start = Clock::now();
  for (int w = 0; w < kWriters; ++w)
    writers.emplace_back([&, w] {
      auto client = wire::Client::connect(sockets[static_cast<std::size_t>(w) % sockets.size()]).value();
      const auto at = vault::Location::parse(fmt::format("writer{}/k", w)).value();
      while (elapsed(start) < kWriteSeconds) {
        if (commit(client, at) == Errc::ok)
          ++done;
        else
          ++refused;
      }
    });
  for (auto& writer : writers)
    writer.join();
  const double tries = static_cast<double>(done + refused);
  return {static_cast<double>(done) / elapsed(start), tries > 0 ? static_cast<double>(refused) / tries : 0};
}

double percentile(std::vector<double> values, double share) {
  std::sort(values.begin(), values.end());
  return values[std::min(values.size() - 1, static_cast<std::size_t>(share * static_cast<double>(values.size())))];
}

}  // namespace

int main(int argc, char** argv) {
  const bool tls = argc == 2 && std::string_view(argv[1]) == "--etcd-tls";
  if (argc > 2 || (argc == 2 && !tls)) {
    (void)std::fprintf(stderr, "usage: bench_cluster [--etcd-tls]\n");
    return 2;
  }
  const std::filesystem::path dir = std::filesystem::absolute("bench-data/cluster");
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const std::string certificates = (dir / "certs").string();  // for the nodes' ports, and etcd with --etcd-tls
  {
    const pid_t made =
        spawn({fmt::format("{}/tls-certs.sh", STRONGHOLD_SCRIPTS_DIR), certificates, "etcd", "a", "b", "f"},
              (dir / "certs.log").string());
    int status = 0;
    if (::waitpid(made, &status, 0) != made || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      (void)std::fprintf(stderr, "bench_cluster: scripts/tls-certs.sh failed (see %s)\n", (dir / "certs.log").c_str());
      return 1;
    }
  }
  EngineOptions options;
  options.snapshot.kdf = snapshot::KdfPreset::fast;
  {
    auto setup = Engine::create((dir / "a.stronghold").string(), Bytes{'b'}, options).value();
    if (!setup->generate(vault::Location::parse("b/ed").value(), vault::KeyType::ed25519).ok())
      return 1;
  }
  std::filesystem::copy_file(dir / "a.stronghold", dir / "b.stronghold");
  std::filesystem::copy_file(dir / "a.stronghold", dir / "f.stronghold");
  std::filesystem::copy_file(dir / "a.stronghold", dir / "alone.stronghold");
  std::ofstream((dir / "password").string()) << "b\n";
  std::optional<Etcd> etcd(std::in_place, dir / "etcd", tls ? certificates : "");
  const auto socket = [&](const char* name) { return (dir / fmt::format("{}.sock", name)).string(); };
  const auto daemon = [&](const char* name, const char* core, bool node, const std::vector<std::string>& more) {
    std::vector<std::string> words = {"taskset",
                                      "-c",
                                      core,
                                      STRONGHOLDD_PATH,
                                      "--snapshot",
                                      (dir / fmt::format("{}.stronghold", name)).string(),
                                      "--socket",
                                      socket(name),
                                      "--password-file",
                                      (dir / "password").string()};
    if (node)
      words.insert(words.end(), {"--cluster", etcd->endpoints, "--node-name", name, "--listen", "127.0.0.1:0",
                                 "--tls-cert", fmt::format("{}/{}.pem", certificates, name), "--tls-key",
                                 fmt::format("{}/{}.key", certificates, name), "--tls-ca", certificates + "/ca.pem"});
    words.insert(words.end(), more.begin(), more.end());
    if (node && tls)
      words.insert(words.end(),
                   {"--etcd-ca", certificates + "/ca.pem", "--etcd-cert", fmt::format("{}/{}.pem", certificates, name),
                    "--etcd-key", fmt::format("{}/{}.key", certificates, name)});
    return spawn(words, (dir / fmt::format("{}.log", name)).string());
  };
  const pid_t a = daemon("a", "0", true, {});
  const pid_t b = daemon("b", "1", true, {});
  const pid_t alone = daemon("alone", "0", false, {});
  for (const char* name : {"a", "b", "alone"})
    wait_for(socket(name));
  const pid_t f = daemon("f", "0", true, {"--forward-to", listen_address(dir / "b.log")});
  wait_for(socket("f"));
  wait_for_line(dir / "f.log", "signing goes to peer");

  std::vector<double> one, two, ratio, forwarding, forwarding_ratio;
  for (int round = 0; round < kRounds; ++round) {
    one.push_back(daemon_rate({socket("a")}, kConnections, kInFlight, Mode::batch_op));
    two.push_back(daemon_rate({socket("a"), socket("b")}, kConnections / 2, kInFlight, Mode::batch_op));
    ratio.push_back(two.back() / one.back());
    forwarding.push_back(daemon_rate({socket("f")}, kConnections, kInFlight, Mode::batch_op));
    forwarding_ratio.push_back(forwarding.back() / one.back());
  }
  const std::vector<double> through_etcd = commit_latencies(socket("a"));
  const std::vector<double> local = commit_latencies(socket("alone"));
  const Written on_one = write_rate({socket("a")});
  const Written on_both = write_rate({socket("a"), socket("b")});
  const Written written_alone = write_rate({socket("alone")});

  fmt::print("a cluster of 2 strongholdd nodes, each pinned to one core, and 3 etcd members on this machine{}\n",
             tls ? ", over TLS" : "");
  fmt::print("  signing, batches of 64, {} connections, median of {} interleaved rounds:\n", kConnections, kRounds);
  fmt::print("    1 node                      {:>9.0f}/s\n", median(one));
  fmt::print("    2 nodes                     {:>9.0f}/s = {:.2f} x 1 node (rounds {:.2f}..{:.2f})\n", median(two),
             median(ratio), min(ratio), max(ratio));
  fmt::print("    1 node forwarding to the other, loaded alone\n");
  fmt::print("                                {:>9.0f}/s = {:.2f} x 1 node (rounds {:.2f}..{:.2f})\n",
             median(forwarding), median(forwarding_ratio), min(forwarding_ratio), max(forwarding_ratio));
  fmt::print("  one commit at a time ({} commits), median and 99th percentile:\n", kCommits);
  fmt::print("    strongholdd alone (synced)  {:>7.2f} ms   {:>7.2f} ms\n", median(local) * 1e3,
             percentile(local, 0.99) * 1e3);
  fmt::print("    through etcd                {:>7.2f} ms   {:>7.2f} ms = {:.2f} x alone (median)\n",
             median(through_etcd) * 1e3, percentile(through_etcd, 0.99) * 1e3, median(through_etcd) / median(local));
  fmt::print("  commits per second, {} writers for {:.0f} s:\n", kWriters, kWriteSeconds);
  fmt::print("    strongholdd alone           {:>7.0f}/s\n", written_alone.per_second);
  fmt::print("    one node                    {:>7.0f}/s = {:.2f} x alone\n", on_one.per_second,
             on_one.per_second / written_alone.per_second);
  fmt::print("    across both nodes           {:>7.0f}/s = {:.2f} x alone ({:.0f}% of tries refused, to try again)\n",
             on_both.per_second, on_both.per_second / written_alone.per_second, on_both.refused_share * 100);
  for (const pid_t pid : {f, a, b, alone})
    stop(pid);
  for (const char* name : {"a", "b", "f", "alone"}) {  // what a node said, before its folder goes
    std::ifstream log((dir / fmt::format("{}.log", name)).string());
    for (std::string line; std::getline(log, line);)
      fmt::print(stderr, "{}: {}\n", name, line);
  }
  etcd.reset();
  std::filesystem::remove_all(dir);
  return 0;
}
