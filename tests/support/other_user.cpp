#include "support/other_user.hpp"

#include <grp.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

#include <doctest/doctest.h>

namespace stronghold::test {

uid_t other_uid() noexcept { return ::geteuid() == 65534 ? 65533 : 65534; }

bool become_other_user() noexcept {
  const uid_t uid = other_uid();
  return ::setgroups(0, nullptr) == 0 && ::setgid(uid) == 0 && ::setuid(uid) == 0 && ::geteuid() == uid;
}

bool other_user_available_or_skipped() {
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0)
    ::_exit(become_other_user() ? 0 : 1);
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
    return true;
  const char* skip = std::getenv("STRONGHOLD_SKIP_OTHER_UID");
  if (skip != nullptr && std::strcmp(skip, "1") == 0) {
    MESSAGE("skipped because STRONGHOLD_SKIP_OTHER_UID=1: this process cannot act as another user");
    return false;
  }
  FAIL("this process (uid " << ::geteuid() << ") cannot act as uid " << other_uid()
                            << ": run the tests as root, or give them CAP_SETUID and CAP_SETGID (setpriv "
                               "--inh-caps=+setuid,+setgid --ambient-caps=+setuid,+setgid), or set "
                               "STRONGHOLD_SKIP_OTHER_UID=1 to skip the cases that need it");
  return false;
}

}  // namespace stronghold::test
