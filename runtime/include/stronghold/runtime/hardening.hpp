// Process hardening in one call, with an honest report of what could not be applied.
#pragma once

#include <string>
#include <vector>

namespace stronghold::runtime {

struct HardeningMeasure {
  std::string name;  // "core dumps disabled", ...
  bool applied = false;
  std::string detail;  // why not, or the limit in force
};

struct HardeningReport {
  std::vector<HardeningMeasure> measures;
  bool fully_applied() const;
  // One line per measure: "[ok] ..." or "[not applied] ...: reason".
  std::string to_string() const;
};

// Sets RLIMIT_CORE to 0, makes the process non-dumpable (which also denies ptrace to other
// users' processes and to non-privileged processes of the same user), and reports whether
// every guarded allocation so far was locked in RAM and excluded from dumps and forks.
// Guarded allocations made later are advised the same way; call again to re-check them.
HardeningReport harden_process();

// For a program's main, before anything else: unless every library's symbols are already bound
// at start (LD_BIND_NOW), runs the program again with them bound, and returns only when that
// was not needed or not possible. Lazy binding resolves a library's symbol at its first call,
// and the dynamic linker's resolver saves the vector registers on the stack first: registers
// that may just have held a key (a memcpy of it). Building with -z now binds the program's own
// calls; the libraries' calls to each other (libsodium into libc) need the variable.
void exec_with_symbols_bound_now(char** argv) noexcept;

}  // namespace stronghold::runtime
