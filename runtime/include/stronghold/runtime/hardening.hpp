// Process hardening in one call, with an honest report of what could not be applied.
#pragma once

#include <string>
#include <vector>

namespace stronghold::runtime {

struct HardeningMeasure {
  std::string name;    // "core dumps disabled", ...
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

}  // namespace stronghold::runtime
