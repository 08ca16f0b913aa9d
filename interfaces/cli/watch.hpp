// `stronghold --socket S watch`: strongholdd's watch stream (Op::watch, stronghold/actors/events.hpp)
// printed as it comes.
#pragma once

#include <string>
#include <vector>

#include "session.hpp"

namespace stronghold::cli {

inline constexpr char kWatchUsage[] =
    "watch [--count N] [--queue N] [--json]   (with --socket)\n"
    "  Prints strongholdd's events as they happen, one per line (time, type, caller, request kind,\n"
    "  location, detail): denials, rate limits, approvals asked for, given and expired, policy and\n"
    "  setting changes, exports, imports, deletions, expired keys, wrong passwords, actors restarted.\n"
    "  --count N: stop after N events. --queue N: events strongholdd keeps for this watcher while it\n"
    "  reads slowly (default 1024); beyond them an 'overflow' event says how many were dropped.";

Status watch(const GlobalOptions& options, const std::vector<std::string>& words);

}  // namespace stronghold::cli
