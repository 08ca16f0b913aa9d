#!/usr/bin/env bash
# Builds the project (Release) and runs every test with ctest. Installs missing Debian packages.
#   scripts/test.sh              the normal build, in build/
#   scripts/test.sh --sanitize   AddressSanitizer + UndefinedBehaviorSanitizer, in build-sanitize/
#                                (clang; the fuzzers' tree too: scripts/fuzz.sh)
set -euo pipefail
STRONGHOLD_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
source "$STRONGHOLD_ROOT/scripts/deps.sh"

build_dir="$STRONGHOLD_ROOT/build"
sanitize=false
case "${1:-}" in
  "") ;;
  --sanitize)
    sanitize=true
    build_dir="$STRONGHOLD_ROOT/build-sanitize"
    export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
    export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
    ;;
  *) echo "usage: scripts/test.sh [--sanitize]" >&2; exit 1 ;;
esac

# etcd for the cluster's tests (tests/cluster), which start their own members on loopback.
ensure_packages etcd-server etcd-client
# Tests on, whatever an earlier configure (the demo's) left in the cache; and no test run is a
# failure, not a pass.
if $sanitize; then
  configure_instrumented
  cmake --build "$build_dir" --parallel "$(nproc)"
else
  configure_and_build "$build_dir" -DSTRONGHOLD_BUILD_TESTS=ON
fi
ctest --test-dir "$build_dir" --output-on-failure --no-tests=error --parallel "$(nproc)"
