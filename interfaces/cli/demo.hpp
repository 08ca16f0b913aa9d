#pragma once

namespace stronghold::cli {

// The end-to-end tour printed by `stronghold demo`. Returns the process exit code.
int run_demo();

}  // namespace stronghold::cli
