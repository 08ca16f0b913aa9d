#!/usr/bin/env bash
# Builds the project (Release) and runs the end-to-end demo. Installs missing Debian packages.
set -euo pipefail
STRONGHOLD_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
source "$STRONGHOLD_ROOT/scripts/deps.sh"

ensure_packages
configure_and_build "$STRONGHOLD_ROOT/build" -DSTRONGHOLD_BUILD_TESTS=OFF -DSTRONGHOLD_BUILD_BENCH=OFF
"$STRONGHOLD_ROOT/build/interfaces/stronghold" demo
