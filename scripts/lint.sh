#!/usr/bin/env bash
# Format and static checks of every tracked C/C++ file. Installs missing Debian packages.
#   scripts/lint.sh                 clang-format check, then clang-tidy on every translation unit
#   scripts/lint.sh --fix           reformats the files in place first, then clang-tidy
#   scripts/lint.sh --format-only   the clang-format check alone (seconds; no build directory)
#   scripts/lint.sh [...] -- REGEX  clang-tidy only on the translation units whose path matches
# clang-tidy reads compile_commands.json from build-lint/, configured (never built) with clang and
# the fuzzers on, so the fuzz targets are translation units too; the one file the build generates
# that a unit includes (the BIP39 wordlists' literals) is generated first.
# The one tracked source it does not see is tests/consumer/main.cpp: a project of its own, built by
# the install test against the installed package, so in no compile database of this build.
set -euo pipefail
STRONGHOLD_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
source "$STRONGHOLD_ROOT/scripts/deps.sh"
cd "$STRONGHOLD_ROOT"

fix=false tidy=true filter=.
while [ $# -gt 0 ]; do
  case "$1" in
    --fix) fix=true ;;
    --format-only) tidy=false ;;
    --) shift; filter=${1:?"a regex after --"} ;;
    *) echo "usage: scripts/lint.sh [--fix] [--format-only] [-- REGEX]" >&2; exit 1 ;;
  esac
  shift
done

ensure_packages clang clang-format clang-tidy
mapfile -t sources < <(git ls-files '*.cpp' '*.hpp' '*.h' '*.c')

check_format() {
  if $fix; then
    clang-format -i "${sources[@]}"
  fi
  local unformatted
  unformatted=$(printf '%s\0' "${sources[@]}" |
    xargs -0 -P "$(nproc)" -I{} sh -c 'clang-format --dry-run --Werror "$1" 2>/dev/null || echo "$1"' _ {} | sort)
  if [ -n "$unformatted" ]; then
    echo "clang-format: these files are not formatted (scripts/lint.sh --fix formats them):" >&2
    echo "$unformatted" | sed 's/^/  /' >&2
    return 1
  fi
  echo "clang-format: ${#sources[@]} files formatted"
}

# Each translation unit's findings are printed together, and only when it has any.
run_tidy() {
  local build="$STRONGHOLD_ROOT/build-lint" start=$SECONDS
  CC=clang CXX=clang++ cmake -S "$STRONGHOLD_ROOT" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_EXPORT_COMPILE_COMMANDS=ON -DSTRONGHOLD_BUILD_TESTS=ON -DSTRONGHOLD_BUILD_BENCH=ON \
    -DSTRONGHOLD_FUZZ=ON >/dev/null || { echo "clang-tidy: configuring $build failed" >&2; return 1; }
  cmake --build "$build" --target bip39_wordlists >/dev/null ||
    { echo "clang-tidy: generating the BIP39 wordlists in $build failed" >&2; return 1; }
  local units
  units=$(grep -o '"file": "[^"]*"' "$build/compile_commands.json" | sed 's/^"file": "//; s/"$//' | sort -u |
    grep -E -- "$filter" || true)
  [ -n "$units" ] || { echo "clang-tidy: no translation unit matches '$filter'" >&2; return 1; }
  local count
  count=$(echo "$units" | wc -l)
  if ! echo "$units" | xargs -P "$(nproc)" -I{} sh -c \
    'out=$(clang-tidy -p "$1" --quiet "$2" 2>&1) || { printf "%s\n" "$out" | grep -v "warnings\? generated\.$"; exit 1; }' \
    _ "$build" {}; then
    echo "clang-tidy: findings above (in $((SECONDS - start)) s)" >&2
    return 1
  fi
  echo "clang-tidy: $count translation units clean in $((SECONDS - start)) s"
}

status=0
check_format || status=1
if $tidy; then
  run_tidy || status=1
fi
exit $status
