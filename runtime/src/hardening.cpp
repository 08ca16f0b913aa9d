#include "stronghold/runtime/hardening.hpp"

#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

#include <fmt/format.h>

#include "stronghold/runtime/guarded_memory.hpp"
#include "stronghold/runtime/status.hpp"

namespace stronghold::runtime {
namespace {

HardeningMeasure disable_core_dumps() {
  HardeningMeasure measure{"core dumps disabled (RLIMIT_CORE 0)", false, {}};
  const rlimit none{0, 0};
  if (setrlimit(RLIMIT_CORE, &none) == 0)
    measure.applied = true;
  else
    measure.detail = "setrlimit: " + errno_text(errno);
  return measure;
}

HardeningMeasure disable_dumpable() {
  HardeningMeasure measure{"not dumpable, not ptrace-able by other processes (PR_SET_DUMPABLE 0)", false, {}};
  if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == 0 && prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) == 0)
    measure.applied = true;
  else
    measure.detail = "prctl: " + errno_text(errno);
  return measure;
}

std::string memlock_limit_text() {
  rlimit limit{};
  if (getrlimit(RLIMIT_MEMLOCK, &limit) != 0)
    return "RLIMIT_MEMLOCK unknown";
  if (limit.rlim_cur == RLIM_INFINITY)
    return "RLIMIT_MEMLOCK unlimited";
  return fmt::format("RLIMIT_MEMLOCK {} KiB", limit.rlim_cur / 1024);
}

}  // namespace

HardeningReport harden_process() {
  HardeningReport report;
  report.measures.push_back(disable_core_dumps());
  report.measures.push_back(disable_dumpable());

  const GuardedMemoryStats stats = guarded_memory_stats();
  HardeningMeasure locked{"guarded memory locked in RAM (mlock)", stats.lock_failures == 0, memlock_limit_text()};
  if (!locked.applied)
    locked.detail = fmt::format("{} allocation(s) could not be locked; {}", stats.lock_failures, locked.detail);
  report.measures.push_back(std::move(locked));

  HardeningMeasure advised{"guarded memory excluded from dumps and wiped on fork (MADV_DONTDUMP, MADV_WIPEONFORK)",
                           stats.advise_failures == 0,
                           {}};
  if (!advised.applied)
    advised.detail = fmt::format("{} allocation(s) refused by madvise", stats.advise_failures);
  report.measures.push_back(std::move(advised));
  return report;
}

bool HardeningReport::fully_applied() const {
  for (const auto& measure : measures)
    if (!measure.applied)
      return false;
  return true;
}

std::string HardeningReport::to_string() const {
  std::string text;
  for (const auto& measure : measures) {
    text += measure.applied ? "[ok] " : "[not applied] ";
    text += measure.name;
    if (!measure.detail.empty())
      text += (measure.applied ? " (" : ": ") + measure.detail + (measure.applied ? ")" : "");
    text += '\n';
  }
  return text;
}

void exec_with_symbols_bound_now(char** argv) noexcept {
  const char* const bound = std::getenv("LD_BIND_NOW");
  if ((bound != nullptr && *bound != '\0') || argv == nullptr || argv[0] == nullptr)
    return;
  // NOLINTNEXTLINE(concurrency-mt-unsafe): callers run this first in main, before any thread
  if (::setenv("LD_BIND_NOW", "1", 1) != 0)
    return;
  ::execv("/proc/self/exe", argv);  // returns only on failure: run on, lazily bound
}

}  // namespace stronghold::runtime
