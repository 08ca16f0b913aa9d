// Acting as another user, for the tests of what a process of another uid gets from a daemon or a
// client. Root can, and so can a non-root uid that holds CAP_SETUID and CAP_SETGID (for example
// started by `setpriv --inh-caps=+setuid,+setgid --ambient-caps=+setuid,+setgid`). A user
// namespace cannot: SO_PEERCRED reports the peer's uid as seen from the reader's namespace, and
// every process an unprivileged user makes, in a namespace of its own or not, has that user's uid
// there.
#pragma once

#include <sys/types.h>

namespace stronghold::test {

// The uid (and gid) to act as: 65534 (nobody), or 65533 when the test itself runs as 65534.
uid_t other_uid() noexcept;

// For a forked child: takes on other_uid() as its gid and uid; false when it may not. Only
// system calls, so it is safe after fork in a threaded process.
bool become_other_user() noexcept;

// True when this process can act as another user. When it cannot, the test case fails with how
// to allow it, unless STRONGHOLD_SKIP_OTHER_UID=1 says to skip such cases (then false, with a
// message): these cases never pass without having run.
bool other_user_available_or_skipped();

}  // namespace stronghold::test
