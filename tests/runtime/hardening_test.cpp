#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <doctest/doctest.h>

#include "stronghold/runtime/hardening.hpp"
#include "stronghold/runtime/secret_buffer.hpp"
#include "support/child_process.hpp"

using stronghold::runtime::harden_process;

TEST_CASE("after hardening the process is not dumpable and has no core limit") {
  // In a child: hardening is one-way and would also change this test process.
  const auto outcome = stronghold::test::run_in_child([] {
    const rlimit unlimited{RLIM_INFINITY, RLIM_INFINITY};
    setrlimit(RLIMIT_CORE, &unlimited);  // may be refused without privileges; hardening must not care
    const auto report = harden_process();
    rlimit core{};
    getrlimit(RLIMIT_CORE, &core);
    if (prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) != 0)
      return 1;
    if (core.rlim_cur != 0 || core.rlim_max != 0)
      return 2;
    if (report.measures.size() != 4 || !report.measures[0].applied || !report.measures[1].applied)
      return 3;
    return 0;
  });
  CHECK(outcome.exit_code == 0);
}

TEST_CASE("the hardening report tells what could not be applied") {
  // A memlock limit of zero makes every later guarded allocation fail to lock: the report
  // must say so instead of staying silent as libsodium does.
  const auto outcome = stronghold::test::run_in_child([] {
    const rlimit no_lock{0, 0};
    if (setrlimit(RLIMIT_MEMLOCK, &no_lock) != 0)
      return 4;
    // Root locks memory regardless of the limit (CAP_IPC_LOCK); drop to an ordinary user.
    if (geteuid() == 0 && setuid(65534) != 0)
      return 6;
    auto buffer = stronghold::runtime::SecretBuffer::create(32);
    if (!buffer.ok())
      return 5;
    const auto report = harden_process();
    if (report.fully_applied())
      return 1;
    const auto text = report.to_string();
    return text.find("[not applied] guarded memory locked in RAM") != std::string::npos ? 0 : 2;
  });
  CHECK(outcome.exit_code == 0);
}
