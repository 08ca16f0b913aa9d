// The cluster command: `cluster status`, the nodes of a cluster (docs/cluster.md), where each
// one's state stands against the shared journal's head, and etcd's members.
#include <algorithm>
#include <string>

#include "requests.hpp"

namespace stronghold::cli {
namespace {

// What another node says of its own position: asked through its TLS port with this client's
// certificate, so only with --remote.
std::string position_of(const GlobalOptions& options, const actors::ClusterNode& node, std::uint64_t& position) {
  if (node.address.empty())
    return "does not listen (no --listen)";
  if (options.remote.empty())
    return "not asked: give --remote and the TLS files to ask the other nodes";
  GlobalOptions there = options;  // the same certificate, and client identity: one snapshot
  there.remote = node.address;
  Requests requests(there);
  const auto state = requests.call(actors::ClusterStatus{});
  if (!state.ok())
    return "unreachable: " + state.status().message();
  position = state->position;
  return "";
}

Status cluster_status(const Args&, const Inputs&, Requests& requests, Output& out) {
  SH_ASSIGN_OR_RETURN(const actors::ClusterState here, requests.call(actors::ClusterStatus{}));
  out.value("head", std::to_string(here.head));
  std::vector<actors::ClusterNode> nodes = here.nodes;
  if (std::none_of(nodes.begin(), nodes.end(), [&](const auto& node) { return node.name == here.node; }))
    nodes.insert(nodes.begin(), actors::ClusterNode{here.node.empty() ? "-" : here.node, ""});
  for (const actors::ClusterNode& node : nodes) {
    std::uint64_t position = 0;
    std::string note = "this node";
    if (node.name == here.node || here.node.empty())
      position = here.position;
    else
      note = position_of(requests.options(), node, position);
    const bool known = note.empty() || note == "this node";
    out.result({{"node", node.name},
                {"address", node.address.empty() ? "-" : node.address},
                {"position", known ? std::to_string(position) : "?"},
                {"lag", known ? std::to_string(here.head > position ? here.head - position : 0) : "?"},
                {"note", note.empty() ? "-" : note}},
               Output::Layout::record);
  }
  for (const actors::ClusterMember& member : here.members)
    out.result({{"etcd member", member.name.empty() ? "-" : member.name}, {"urls", member.urls}},
               Output::Layout::record);
  return {};
}

}  // namespace

const std::vector<Command>& cluster_commands() {
  static const std::vector<Command> all = {
      {"cluster status",
       "cluster status [--json]\n"
       "  The cluster's journal head; each node (strongholdd --cluster), where it listens, the entry its\n"
       "  state needs next and how far behind the head that is (other nodes are asked over TLS: with\n"
       "  --remote); etcd's members. An engine alone prints itself, its position as the head.",
       {},
       {},
       cluster_status},
  };
  return all;
}

}  // namespace stronghold::cli
