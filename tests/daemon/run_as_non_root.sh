#!/bin/sh
# Runs the daemon tests that act as another user (every case named "...another user...") as uid
# 65534, which holds only CAP_SETUID and CAP_SETGID: the daemon then runs as 65534 and the other
# user is 65533. Only root can arrange that; a suite run by another uid already runs these cases
# as that uid in the daemon_tests entries, so there this says so and passes.
# Usage: run_as_non_root.sh DAEMON_TESTS STRONGHOLDD
set -eu
tests=$1
daemon=$2
if [ "$(id -u)" -ne 0 ]; then
  echo "running as uid $(id -u), not root: the daemon_tests entries run these cases as this uid"
  exit 0
fi
as_nobody() { env -u STRONGHOLD_SKIP_OTHER_UID TMPDIR=/tmp setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
# A build folder under /root is out of reach of 65534: run copies of the two binaries instead.
if ! as_nobody test -x "$tests" || ! as_nobody test -x "$daemon"; then
  copy=$(mktemp -d /tmp/stronghold-non-root-XXXXXX)
  trap 'rm -rf "$copy"' EXIT
  cp "$tests" "$daemon" "$copy/"
  chmod 755 "$copy" "$copy/$(basename "$tests")" "$copy/$(basename "$daemon")"
  tests=$copy/$(basename "$tests")
  daemon=$copy/$(basename "$daemon")
  echo "uid 65534 cannot reach the build folder: running copies in $copy"
fi
export STRONGHOLD_TEST_STRONGHOLDD="$daemon"
as_nobody --inh-caps=+setuid,+setgid --ambient-caps=+setuid,+setgid \
  "$tests" '--test-case=*another user*'
