// The shared journal of a cluster (stronghold/actors/shared_journal.hpp) in etcd, through its
// JSON gateway (etcd 3.4: /v3/kv/range, /v3/kv/txn, /v3/watch). Under the prefix
// /stronghold/CLUSTER/ it keeps:
//   file-id            the snapshot file the cluster serves (16 bytes, set by the first node)
//   head               where the chain ends: next sequence u64 LE | previous tag 16 (set by the
//                      first node to where its file stands, together with file-id)
//   journal/SEQUENCE   each entry as a snapshot file holds it, SEQUENCE in 20 decimal digits
//   nodes/NAME         {"address": where the node listens, or "", "position": the first entry
//                      its file does not hold synced}, under a lease of kNodeTtl that the node's
//                      reads of the journal keep alive (cluster status, trimming)
// Entries every live node has and that are not among the last keep_entries are deleted (trim).
// An append is one transaction: if head still holds the position the first entry follows, put the
// entries and move head past the last. etcd acknowledges it once a majority of its members has it on disk.
// etcd sees only sealed entries and chain positions, never a key or a password.
//
// Over TLS when the endpoints are https:// (etcd's certificate verified against a CA and the
// endpoint's host, a client certificate when etcd asks for one); plain HTTP otherwise, for
// loopback or a private network only.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "cluster/http.hpp"
#include "stronghold/actors/shared_journal.hpp"

namespace stronghold::cluster {

struct EtcdJournalOptions {
  std::vector<Endpoint> endpoints;  // etcd's client URLs, tried in turn: all https:// or none
  // For https:// endpoints (TlsClient): the CA that signed etcd's certificates (required), and
  // this node's certificate and key when etcd runs with --client-cert-auth.
  remote::TlsFiles tls;
  std::string cluster = "default";  // the key prefix's name: one cluster, one snapshot file
  // For each request to one member; past it the next member is tried. etcd itself gives up on a
  // write without a quorum after about 7 s.
  std::chrono::milliseconds timeout{3'000};
  // This node, as `cluster status` shows it: a name (the rules of a cluster name; unique in the
  // cluster, or nodes overwrite each other's entries) and where it listens (may be empty).
  std::string node_name = "node";
  std::string node_address;
  // etcd keeps at least the last this many entries (at least 1), beyond every entry a live node
  // still needs; a node whose file is older must start from a copy of a live node's file.
  std::uint64_t keep_entries = 100'000;
};

// How long a node's entry outlives its last keep-alive, and how often its reads renew it.
inline constexpr std::chrono::seconds kNodeTtl{10};
inline constexpr std::chrono::seconds kNodeRenewal{3};
// How often a starting node looks at an entry under its name, waiting for its lease to end or
// its node to put it again (check_name_free).
inline constexpr std::chrono::milliseconds kNameLook{500};

class EtcdJournal final : public actors::SharedJournal {
 public:
  // invalid_argument without endpoints, with https:// and http:// endpoints mixed, with TLS files
  // for plain endpoints or files TlsClient::make refuses, or with a cluster name that is empty,
  // longer than 64 bytes, or not of letters, digits, '-', '_' and '.', and likewise for a node
  // name. Contacts nobody yet.
  static Result<std::shared_ptr<EtcdJournal>> make(EtcdJournalOptions options);
  // Leaves the list of nodes (revokes the lease): a node that stopped cleanly holds trimming back
  // no longer, and its restart need not wait for its lease to end.
  ~EtcdJournal() override;

  Status attach(const std::array<std::uint8_t, 16>& file_id, const snapshot::ChainPosition& position) override;
  Status append(std::span<const snapshot::StagedEntry> entries) override;
  Result<std::vector<actors::SharedEntry>> read(std::uint64_t from, std::chrono::milliseconds wait,
                                                std::size_t max_bytes) override;
  Result<actors::ClusterState> view() override;
  void durable(std::uint64_t next_sequence) override { durable_ = next_sequence; }

 private:
  EtcdJournal(EtcdJournalOptions options, std::shared_ptr<const TlsClient> tls);  // tls: for https://
  struct Answer;
  // POSTs `body` to the members in turn from the last that answered; the JSON answer (at most
  // `max_answer` bytes) of the first that does, or the last failure.
  Result<Answer> call(std::string_view path, const std::string& body, std::size_t max_answer);
  std::string key(std::string_view name) const { return prefix_ + std::string(name); }
  std::string entry_key(std::uint64_t sequence) const;
  // Puts this node's entry under a fresh lease; with `replacing`, only if the entry's revision is
  // still that one (0: no entry), else already_exists: of nodes started under one name at the
  // same moment, each of which found the name free, one gets it.
  Status register_node(std::optional<std::uint64_t> replacing = std::nullopt);
  // The revision of the entry under this node's name that it may take (0: none), or
  // already_exists when another node runs under that name: it puts its entry again (as each
  // renewal does) while this one waits. An entry whose lease ends meanwhile (its node was killed
  // a moment ago: at most kNodeTtl) is this node's to take, and so is its own.
  Result<std::uint64_t> check_name_free();
  // Puts this node's entry under `lease` if its revision is still `replacing` (or, that entry
  // gone meanwhile, if there is none); else, unless the entry is this journal's own, revokes
  // `lease` and returns already_exists.
  Status claim_name(const std::string& lease, std::uint64_t replacing);
  // The seconds `lease` has left (0: none; it expired, or etcd forgot it).
  Result<std::uint64_t> lease_left(const std::string& lease);
  // attach's checks, once this node is registered (so that no trim passes its file meanwhile).
  Status check_attach(const std::array<std::uint8_t, 16>& file_id, const snapshot::ChainPosition& position);
  // Renews the lease when kNodeRenewal passed and puts the entry again (under a fresh lease when
  // etcd forgot the old one), then trims. Failures wait for the next read.
  void keep_registered();
  // Puts this node's entry (its address and `position`) under `lease`.
  Status put_node_entry(const std::string& lease, std::uint64_t position);
  // Deletes the entries before the oldest any registered node needs (and the one before it,
  // which a node's start checks its file's chain against) and before the last keep_entries, at
  // most kMaxTrim at once, unless a node's entry changed meanwhile (a transaction compares them).
  void trim();
  // Leaves the list of nodes for good (revokes the lease): this node was refused, or the journal
  // moved past its file, so that it can never catch up from etcd. A node that stayed registered
  // there would hold trimming back for ever.
  void strand();

  EtcdJournalOptions options_;
  HttpClient http_;
  std::string prefix_;
  std::mutex mutex_;  // guards preferred_
  std::size_t preferred_ = 0;
  std::mutex lease_mutex_;  // guards what follows
  std::string lease_;       // etcd's lease id, as its text; empty before the first registration
  std::chrono::steady_clock::time_point renewed_{};
  bool stranded_ = false;                  // refused, or behind the journal's start: no longer registered
  std::uint64_t trimmed_below_ = 0;        // the entries before it are gone
  std::atomic<std::uint64_t> durable_{0};  // the file holds every entry before it (durable())
};

}  // namespace stronghold::cluster
