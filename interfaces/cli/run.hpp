// `stronghold COMMAND ...`: finds the command, reads its inputs, and runs it on the snapshot file
// or, with --socket, in strongholdd.
#pragma once

#include <string>
#include <vector>

#include "session.hpp"

namespace stronghold::cli {

// Runs `words` (the command and its arguments); returns the exit code.
int run_command(const GlobalOptions& options, const std::vector<std::string>& words);

}  // namespace stronghold::cli
