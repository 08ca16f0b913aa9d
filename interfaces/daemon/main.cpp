// strongholdd: serves one snapshot to local clients over a Unix socket, alone or as a node of a
// cluster that shares its journal through etcd.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "cluster/etcd_journal.hpp"
#include "server.hpp"
#include "stronghold/runtime/hardening.hpp"
#include "wire/terminal.hpp"

namespace {

constexpr const char* kUsage =
    "usage: strongholdd --snapshot PATH --socket PATH [--idle-lock SECONDS] [--password-file PATH]\n"
    "                   [--cluster http://HOST:PORT[,...] [--cluster-name NAME]]\n"
    "\n"
    "Serves the snapshot to this user's processes over a Unix socket (created 0600; peers of other\n"
    "users are refused). The password comes from --password-file, $STRONGHOLD_PASSWORD or a prompt;\n"
    "without any, it starts locked and a client unlocks it. After --idle-lock seconds without a\n"
    "request (default 300, 0 for never) it locks itself: keys leave memory until the next unlock.\n"
    "SIGTERM or SIGINT: everything acknowledged is made durable, the socket removed, exit 0.\n"
    "\n"
    "With --cluster (etcd's client URLs), the snapshot is one node of a cluster: every commit is\n"
    "appended to a journal in etcd first (acknowledged once a majority of etcd's members has it),\n"
    "and the other nodes' commits are applied as they come. Start every node from a copy of the same\n"
    "file, with its password. Without a majority of etcd, writes fail (exit 6); signing with keys\n"
    "that have no use limit goes on. A node keeps no audit log (see docs/cluster.md).\n"
    "--cluster-name (default 'default') names the cluster's keys in etcd, so that one etcd serves\n"
    "several. A node does not lock itself when idle unless --idle-lock says so.\n";

// The CLI's hints speak of its own commands: the daemon's messages say what to do themselves.
int fail(const stronghold::Status& status) {
  (void)std::fprintf(stderr, "strongholdd: %s\n", status.message().c_str());
  return stronghold::wire::exit_code(status.code());
}

}  // namespace

int main(int argc, char** argv) {
  using namespace stronghold;
  runtime::exec_with_symbols_bound_now(argv);  // before any secret passes through a register
  daemon::ServerOptions options;
  std::string password_file;
  std::string cluster_urls;
  bool idle_lock_set = false;
  cluster::EtcdJournalOptions etcd;
  for (int i = 1; i < argc; ++i) {
    const std::string_view word = argv[i];
    if (word == "--help" || word == "-h") {
      (void)std::fputs(kUsage, stdout);
      return 0;
    }
    if (i + 1 == argc || (word != "--snapshot" && word != "--socket" && word != "--idle-lock" &&
                          word != "--password-file" && word != "--cluster" && word != "--cluster-name")) {
      (void)std::fprintf(stderr, "strongholdd: unexpected '%s'; run 'strongholdd --help'\n", argv[i]);
      return wire::kUsage;
    }
    const std::string value = argv[++i];
    if (word == "--snapshot")
      options.snapshot = value;
    else if (word == "--socket")
      options.socket = value;
    else if (word == "--password-file")
      password_file = value;
    else if (word == "--cluster")
      cluster_urls = value;
    else if (word == "--cluster-name")
      etcd.cluster = value;
    else {
      char* end = nullptr;
      const long seconds = std::strtol(value.c_str(), &end, 10);
      if (*end != '\0' || seconds < 0) {
        (void)std::fprintf(stderr, "strongholdd: --idle-lock takes a number of seconds\n");
        return wire::kUsage;
      }
      options.idle_lock = std::chrono::seconds(seconds);
      idle_lock_set = true;
    }
  }
  if (options.snapshot.empty() || options.socket.empty()) {
    (void)std::fputs(kUsage, stderr);
    return wire::kUsage;
  }
  if (!cluster_urls.empty()) {
    for (std::size_t start = 0; start <= cluster_urls.size();) {
      const std::size_t comma = std::min(cluster_urls.find(',', start), cluster_urls.size());
      auto endpoint = cluster::parse_endpoint(std::string_view(cluster_urls).substr(start, comma - start));
      if (!endpoint.ok()) {
        (void)std::fprintf(stderr, "strongholdd: --cluster: %s\n", endpoint.status().message().c_str());
        return wire::kUsage;
      }
      etcd.endpoints.push_back(std::move(*endpoint));
      start = comma + 1;
    }
    auto journal = cluster::EtcdJournal::make(std::move(etcd));
    if (!journal.ok()) {
      (void)std::fprintf(stderr, "strongholdd: %s\n", journal.status().message().c_str());
      return wire::kUsage;
    }
    options.engine.actors.shared_journal = std::move(*journal);
    if (!idle_lock_set)
      options.idle_lock = std::chrono::seconds(0);  // a node serves the cluster's clients: it stays unlocked
  }
  runtime::harden_process();
  std::optional<runtime::SecretBuffer> password;
  if (auto read = wire::read_password(password_file, "STRONGHOLD_PASSWORD", "Snapshot password: "); read.ok())
    password = std::move(*read);
  else if (!password_file.empty())
    return fail(read.status());
  const Status served = daemon::serve(options, std::move(password));
  if (!served.ok())
    return fail(served);
  return 0;
}
