// strongholdd: serves one snapshot to local clients over a Unix socket, alone or as a node of a
// cluster that shares its journal through etcd.
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <map>
#include <new>
#include <string_view>

#include "cluster/etcd_journal.hpp"
#include "remote/tunnel.hpp"
#include "server.hpp"
#include "stronghold/runtime/hardening.hpp"
#include "wire/terminal.hpp"

namespace {

constexpr const char* kUsage =
    "usage: strongholdd --snapshot PATH --socket PATH [--idle-lock SECONDS] [--password-file PATH]\n"
    "                   [--cluster URL[,...] [--cluster-name NAME] [--node-name NAME]\n"
    "                    [--etcd-ca FILE] [--etcd-cert FILE --etcd-key FILE] [--keep-entries N]]\n"
    "                   [--listen HOST:PORT --tls-cert FILE --tls-key FILE --tls-ca FILE\n"
    "                    [--forward-to HOST:PORT[,...] [--forward-above N]]]\n"
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
    "that have no use limit goes on. The audit mode is the cluster's; each node writes its own log\n"
    "(PATH.audit), anchored in the shared state under its name (see docs/cluster.md).\n"
    "--cluster-name (default 'default') names the cluster's keys in etcd, so that one etcd serves\n"
    "several. A node does not lock itself when idle unless --idle-lock says so.\n"
    "etcd's URLs are http://HOST:PORT (a private network only) or https://HOST:PORT: then etcd's\n"
    "certificate must verify against --etcd-ca (required) and name HOST, and --etcd-cert and\n"
    "--etcd-key answer etcd's --client-cert-auth.\n"
    "etcd keeps the journal's entries that a live node still needs and the last --keep-entries\n"
    "(default 100000); older ones are deleted. A node whose file is older than that starts from a\n"
    "copy of a live node's file, which it fetches itself when it listens (--listen and its TLS files:\n"
    "its file as it was is kept at PATH.behind-UNIXTIME), or which an operator copies.\n"
    "\n"
    "With --listen, it also serves on that TCP port (0: any free one, printed at start) to clients\n"
    "(stronghold --remote) over mutual TLS only: --tls-cert and --tls-key are its own, --tls-ca the\n"
    "cluster's CA, and only peers whose certificate that CA signed are served, as the snapshot's\n"
    "owner unless they prove a client identity. Each session there is a connection to --socket.\n"
    "A node registers its --node-name (default: the host's name; unique in the cluster) and its\n"
    "--listen address in etcd, for 'stronghold --remote ... cluster status': listen on an address\n"
    "that clients reach (not 0.0.0.0). A start under the name of a node that runs is refused; a\n"
    "restart after a crash waits for the old registration's lease to end (up to 10 s).\n"
    "With --forward-to (other nodes' --listen addresses), a node busy signing (--forward-above\n"
    "messages or more at once, default 256; 0: always) hands new signature requests to those nodes\n"
    "over the same mutual TLS, and serves them itself when a peer does not answer with a signature.\n"
    "Requests of a client identity are not forwarded: its policies are counted where it connected.\n";

// The CLI's hints speak of its own commands: the daemon's messages say what to do themselves.
int fail(const stronghold::Status& status) {
  (void)std::fprintf(stderr, "strongholdd: %s\n", status.message().c_str());
  return stronghold::wire::exit_code(status.code());
}

struct Arguments {
  stronghold::daemon::ServerOptions server;
  std::string password_file;
  std::string cluster_urls;
  stronghold::cluster::EtcdJournalOptions etcd;
  bool idle_lock_set = false;
  bool keep_entries_set = false;
  std::string listen;
  std::string node_name;
  stronghold::remote::TlsFiles tls;
  std::string forward_to;
  bool forward_above_set = false;
};

// --forward-to's addresses, reached with the node's own TLS files.
stronghold::Status parse_peers(Arguments& arguments) {
  const std::string& peers = arguments.forward_to;
  for (std::size_t start = 0; !peers.empty() && start <= peers.size();) {
    const std::size_t comma = std::min(peers.find(',', start), peers.size());
    auto address = stronghold::remote::parse_address(std::string_view(peers).substr(start, comma - start), false);
    if (!address.ok())
      return stronghold::Status(stronghold::Errc::invalid_argument, "--forward-to: " + address.status().message());
    for (const auto& known : arguments.server.forward.peers)
      if (known.host == address->host && known.port == address->port)
        return stronghold::error(stronghold::Errc::invalid_argument, "--forward-to names {}:{} twice", known.host,
                                 known.port);
    if (std::string_view(peers).substr(start, comma - start) == arguments.listen)
      return stronghold::error(stronghold::Errc::invalid_argument,
                               "--forward-to names this node's own --listen address {}", arguments.listen);
    arguments.server.forward.peers.push_back(std::move(*address));
    start = comma + 1;
  }
  return {};
}

// invalid_argument, with what to say, for a command line that is not one.
stronghold::Status parse(int argc, char** argv, Arguments& arguments) {
  using stronghold::Errc;
  const std::map<std::string_view, std::string*> texts = {{"--snapshot", &arguments.server.snapshot},
                                                          {"--socket", &arguments.server.socket},
                                                          {"--password-file", &arguments.password_file},
                                                          {"--cluster", &arguments.cluster_urls},
                                                          {"--cluster-name", &arguments.etcd.cluster},
                                                          {"--etcd-ca", &arguments.etcd.tls.ca},
                                                          {"--etcd-cert", &arguments.etcd.tls.certificate},
                                                          {"--etcd-key", &arguments.etcd.tls.key},
                                                          {"--listen", &arguments.listen},
                                                          {"--tls-cert", &arguments.tls.certificate},
                                                          {"--tls-key", &arguments.tls.key},
                                                          {"--tls-ca", &arguments.tls.ca},
                                                          {"--node-name", &arguments.node_name},
                                                          {"--forward-to", &arguments.forward_to}};
  for (int i = 1; i < argc; ++i) {
    const std::string_view word = argv[i];
    const auto text = texts.find(word);
    if (i + 1 == argc ||
        (text == texts.end() && word != "--idle-lock" && word != "--keep-entries" && word != "--forward-above"))
      return stronghold::error(Errc::invalid_argument, "unexpected '{}'; run 'strongholdd --help'", word);
    const std::string value = argv[++i];
    if (text != texts.end()) {
      *text->second = value;
      continue;
    }
    char* end = nullptr;
    errno = 0;
    const unsigned long long number = std::strtoull(value.c_str(), &end, 10);
    if (value.empty() || value.front() == '-' || *end != '\0' || errno == ERANGE)
      return stronghold::error(Errc::invalid_argument, "{} takes a number", word);
    if (word == "--keep-entries") {
      arguments.etcd.keep_entries = number;
      arguments.keep_entries_set = true;
      continue;
    }
    if (word == "--forward-above") {
      arguments.server.forward.above = number;
      arguments.forward_above_set = true;
      continue;
    }
    if (number > 100ULL * 365 * 24 * 3600)
      return stronghold::Status(Errc::invalid_argument, "--idle-lock takes a number of seconds up to 100 years");
    arguments.server.idle_lock = std::chrono::seconds(number);
    arguments.idle_lock_set = true;
  }
  if (arguments.server.snapshot.empty() || arguments.server.socket.empty())
    return stronghold::Status(Errc::invalid_argument, kUsage);
  const bool tls_given = !arguments.tls.certificate.empty() || !arguments.tls.key.empty() || !arguments.tls.ca.empty();
  if (arguments.listen.empty() && tls_given)
    return stronghold::Status(Errc::invalid_argument, "--tls-cert, --tls-key and --tls-ca go with --listen");
  const stronghold::remote::TlsFiles& etcd_tls = arguments.etcd.tls;
  if (arguments.cluster_urls.empty() &&
      (!etcd_tls.ca.empty() || !etcd_tls.certificate.empty() || !etcd_tls.key.empty()))
    return stronghold::Status(Errc::invalid_argument, "--etcd-ca, --etcd-cert and --etcd-key go with --cluster");
  if (arguments.cluster_urls.empty() && arguments.keep_entries_set)
    return stronghold::Status(Errc::invalid_argument, "--keep-entries goes with --cluster");
  if (arguments.cluster_urls.empty() && !arguments.node_name.empty())
    return stronghold::Status(Errc::invalid_argument, "--node-name names a node of a cluster: it goes with --cluster");
  if (!arguments.listen.empty() &&
      (arguments.tls.certificate.empty() || arguments.tls.key.empty() || arguments.tls.ca.empty()))
    return stronghold::Status(
        Errc::invalid_argument,
        "--listen needs --tls-cert, --tls-key and --tls-ca: nodes and clients use mutual TLS only");
  if (arguments.forward_to.empty() && arguments.forward_above_set)
    return stronghold::Status(Errc::invalid_argument, "--forward-above goes with --forward-to");
  if (!arguments.forward_to.empty() && (arguments.cluster_urls.empty() || arguments.listen.empty()))
    return stronghold::Status(Errc::invalid_argument,
                              "--forward-to names other nodes of a cluster: it goes with --cluster, and with "
                              "--listen and its TLS files, which the node presents to its peers");
  arguments.server.tls = arguments.tls;
  arguments.server.forward.tls = arguments.tls;
  return parse_peers(arguments);
}

// This node's name in `cluster status`: --node-name, else the host's name.
std::string node_name(const Arguments& arguments) {
  if (!arguments.node_name.empty())
    return arguments.node_name;
  char host[256] = {};
  return ::gethostname(host, sizeof host - 1) == 0 && host[0] != '\0' ? std::string(host) : std::string("node");
}

// The shared journal that makes the snapshot a node of a cluster; `listener`, when there is one,
// says where clients reach the node.
stronghold::Status join_cluster(Arguments& arguments, const stronghold::remote::Listener* listener) {
  arguments.etcd.node_name = node_name(arguments);
  arguments.server.engine.actors.node_name = arguments.etcd.node_name;
  if (listener != nullptr) {
    const auto address = stronghold::remote::parse_address(arguments.listen, true);
    arguments.etcd.node_address = address->host + ":" + std::to_string(listener->port());
  }
  const std::string& urls = arguments.cluster_urls;
  for (std::size_t start = 0; start <= urls.size();) {
    const std::size_t comma = std::min(urls.find(',', start), urls.size());
    auto endpoint = stronghold::cluster::parse_endpoint(std::string_view(urls).substr(start, comma - start));
    if (!endpoint.ok())
      return stronghold::Status(endpoint.status().code(), "--cluster: " + endpoint.status().message());
    arguments.etcd.endpoints.push_back(std::move(*endpoint));
    start = comma + 1;
  }
  SH_ASSIGN_OR_RETURN(arguments.server.engine.actors.shared_journal,
                      stronghold::cluster::EtcdJournal::make(std::move(arguments.etcd)));
  if (!arguments.idle_lock_set)
    arguments.server.idle_lock = std::chrono::seconds(0);  // a node serves the cluster's clients: it stays unlocked
  return {};
}

// The TLS port, whose sessions are connections to the node's own socket.
stronghold::Result<std::unique_ptr<stronghold::remote::Listener>> listen(const Arguments& arguments) {
  SH_ASSIGN_OR_RETURN(const stronghold::remote::Address address,
                      stronghold::remote::parse_address(arguments.listen, true));
  SH_ASSIGN_OR_RETURN(auto listener,
                      stronghold::remote::Listener::start({address, arguments.tls, arguments.server.socket}));
  const std::string name = node_name(arguments);
  (void)std::fprintf(stderr, "strongholdd: node %s listens on %s:%u (mutual TLS)\n", name.c_str(), address.host.c_str(),
                     static_cast<unsigned>(listener->port()));
  return listener;
}

int run(int argc, char** argv) {
  using namespace stronghold;
  if (argc > 1 && (std::string_view(argv[1]) == "--help" || std::string_view(argv[1]) == "-h")) {
    (void)std::fputs(kUsage, stdout);
    return 0;
  }
  Arguments arguments;
  if (const Status parsed = parse(argc, argv, arguments); !parsed.ok()) {
    (void)std::fprintf(stderr, parsed.message() == kUsage ? "%s" : "strongholdd: %s\n", parsed.message().c_str());
    return wire::kUsage;
  }
  runtime::harden_process();
  if (const Status prepared = daemon::prepare_signals(); !prepared.ok())
    return fail(prepared);
  std::unique_ptr<remote::Listener> listener;
  if (!arguments.listen.empty()) {
    auto started = listen(arguments);
    if (!started.ok())
      return fail(started.status());
    listener = std::move(*started);
  }
  if (!arguments.cluster_urls.empty())
    if (const Status joined = join_cluster(arguments, listener.get()); !joined.ok()) {
      (void)std::fprintf(stderr, "strongholdd: %s\n", joined.message().c_str());
      return wire::kUsage;
    }
  std::optional<runtime::SecretBuffer> password;
  if (auto read = wire::read_password(arguments.password_file, "STRONGHOLD_PASSWORD", "Snapshot password: "); read.ok())
    password = std::move(*read);
  else if (!arguments.password_file.empty())
    return fail(read.status());
  const Status served = daemon::serve(arguments.server, std::move(password));
  if (!served.ok())
    return fail(served);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  stronghold::runtime::exec_with_symbols_bound_now(argv);  // before any secret passes through a register
  try {
    return run(argc, argv);
  } catch (const std::bad_alloc&) {
    (void)std::fputs("strongholdd: out of memory\n", stderr);
  } catch (const std::exception& failure) {
    (void)std::fprintf(stderr, "strongholdd: unexpected error: %s; this is a bug: please report it\n", failure.what());
  }
  return stronghold::wire::exit_code(stronghold::Errc::internal);
}
