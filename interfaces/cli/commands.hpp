// The commands of `stronghold`, each run on the snapshot file directly (one process, one
// transaction per command).
#pragma once

#include <string>
#include <vector>

#include "session.hpp"

namespace stronghold::cli {

// Runs `words` (the command and its arguments); returns the exit code.
int run_command(const GlobalOptions& options, const std::vector<std::string>& words);

// The usage text of every command, for `stronghold --help`.
const char* overall_usage();

}  // namespace stronghold::cli
