#!/usr/bin/env bash
# Puts known bugs back into the committed tree, one at a time, and checks that the suite catches
# each: applies the mutant to a scratch copy of HEAD, rebuilds the test programs concerned, runs
# them, and reports "killed by <tests>" or "SURVIVED". Exits non-zero when any mutant survives (or
# no longer applies: each edit fails loudly when its target text is gone, so a moved function
# shows up here rather than as a mutant that silently tests nothing). Slow, so not part of CI.
#   scripts/mutants.sh            every mutant
#   scripts/mutants.sh 3 7        only those
# The scratch copy and its build stay in build-mutants/ (STRONGHOLD_MUTANTS_DIR), so later runs
# rebuild only what changed.
set -euo pipefail
STRONGHOLD_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
source "$STRONGHOLD_ROOT/scripts/deps.sh"
scratch=${STRONGHOLD_MUTANTS_DIR:-$STRONGHOLD_ROOT/build-mutants}
fresh=$scratch/fresh
src=$scratch/src
build=$scratch/build

# ID|FILE|PERL SUBSTITUTIONS (each must match once)|BUILD TARGETS (all: everything)|CTEST REGEX|WHAT
mutants=(
  '1a|actors/src/engine.cpp|s{(\n( +)auto promise = self->make_response_promise<caf::ok_atom>\(\);\n +state\.waiting\.push_back\(promise\);)}{\n${2}return caf::ok_atom::value;$1}|all||the journal writer answers an append before syncing it'
  '1b|actors/src/engine.cpp|s{(const std::uint64_t id = state\.waiting\.add\(promise\);\n)(  self->request\(state\.writer, state\.journal_timeout, append_atom::value)}{$1  promise.deliver(value);\n$2}|all||persist() answers before handing the entry to the writer'
  '2|snapshot/src/posix_file_system.cpp|s{(Status sync\(\) override \{\n +if \()::fdatasync\(fd_\.get\(\)\) != 0\)}{$1fd_.get() < 0)}|all||PosixAppendFile::sync without fdatasync'
  '3|vault/src/keystore.cpp|s{size\(41 \+ record\.public_key\.size\(\)\)}{size(40 + record.public_key.size())}; s{\n +bytes\[40\] = static_cast<std::uint8_t>\(record\.type\);}{}; s{memcpy\(bytes \+ 41, record\.public_key}{memcpy(bytes + 40, record.public_key}|vault_tests|^vault_tests\.|the record type left out of a record'"'"'s associated data'
  '4|snapshot/src/snapshot.cpp|s{ByteWriter\(ad\)\.u64\(position\.next_sequence\);\n +ad\.insert\(ad\.end\(\), position\.previous_tag\.begin\(\), position\.previous_tag\.end\(\)\);}{static_cast<void>(position);}|snapshot_tests|^snapshot_tests\.|journal entries without sequence number and previous tag in their associated data'
  '5|runtime/src/compare.cpp|s{(if \(a\.size\(\) != b\.size\(\)\)\n +return) false;}{$1 a.empty() != b.empty();}|runtime_tests|^runtime_tests\.|constant_time_equal true when one side is empty'
  '6|interfaces/src/c_api.cpp|s{\n +if \(message == nullptr && message_len > 0\)\n +return Status\(Errc::invalid_argument, "no message given"\);}{}|c_abi_test|^c_abi\.|stronghold_sign without its null-message check'
  '7|interfaces/daemon/server.cpp|s{if \(!peer\.ok\(\) \x7c\x7c peer->uid != ::geteuid\(\)\)}{if (!peer.ok())}|daemon_tests strongholdd|^daemon_tests\.|the daemon without its peer-uid check'
)

# The scratch source becomes HEAD again; files whose bytes did not change keep their times, so the
# build stays incremental.
sync_scratch() {
  rm -rf "$fresh"
  mkdir -p "$fresh" "$src"
  git -C "$STRONGHOLD_ROOT" archive HEAD | tar -x -C "$fresh"
  (cd "$fresh" && find . -type f) | while read -r file; do
    if ! cmp -s "$fresh/$file" "$src/$file"; then
      mkdir -p "$(dirname "$src/$file")"
      cp "$fresh/$file" "$src/$file"
    fi
  done
}

# Applies PERL (substitutions "s{...}{...}" separated by "; ") to FILE; fails unless each matched.
apply() {
  local file=$1 perl=$2 expected code
  expected=$(grep -o '\(^\|; \)s{' <<<"$perl" | wc -l)
  code=$(sed 's/\(^\|; \)s{/\1$n += s{/g' <<<"$perl")
  perl -0777 -i -pe "$code; END { exit(\$n == $expected ? 0 : 3) }" "$src/$file" ||
    { echo "error: the mutant's target text is not in $file (the code moved: update scripts/mutants.sh)" >&2; return 1; }
}

# The ctest names that failed, from a ctest log.
failed_tests() { sed -n '/The following tests FAILED:/,$p' "$1" | sed -n 's/^[[:space:]]*[0-9]* - //p' | paste -sd ',' -; }

ensure_packages
sync_scratch
cmake -S "$src" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DSTRONGHOLD_BUILD_TESTS=ON -DSTRONGHOLD_BUILD_BENCH=OFF >/dev/null
# The unmutated tree must pass first: a test that fails anyway would pass for a killer of every
# mutant.
baseline=$scratch/baseline.log
if ! cmake --build "$build" --parallel "$(nproc)" >"$baseline" 2>&1 ||
  ! ctest --test-dir "$build" --output-on-failure --no-tests=error --parallel "$(nproc)" >>"$baseline" 2>&1; then
  echo "error: HEAD itself does not build or pass its tests (see $baseline): fix that first" >&2
  exit 1
fi
survivors=0
results=()
for entry in "${mutants[@]}"; do
  IFS='|' read -r id file perl targets regex what <<<"$entry"
  if [ $# -gt 0 ] && [[ " $* " != *" $id "* ]]; then continue; fi
  echo "== mutant $id: $what ($file)"
  apply "$file" "$perl"
  if [ "$targets" = all ]; then targets_args=(); else read -ra targets_args <<<"$targets"; fi
  log=$scratch/mutant-$id.log
  if ! cmake --build "$build" --parallel "$(nproc)" ${targets_args:+--target "${targets_args[@]}"} >"$log" 2>&1; then
    echo "error: mutant $id does not build (see $log)" >&2
    exit 1
  fi
  ctest --test-dir "$build" --output-on-failure --no-tests=error --parallel "$(nproc)" ${regex:+-R "$regex"} >>"$log" 2>&1 || true
  killers=$(failed_tests "$log")
  if [ -n "$killers" ]; then
    results+=("mutant $id: killed by $killers")
  else
    results+=("mutant $id: SURVIVED ($what)")
    survivors=$((survivors + 1))
  fi
  echo "${results[-1]}"
  cp "$fresh/$file" "$src/$file"  # the next mutant starts from HEAD
done
echo
printf '%s\n' "${results[@]}"
[ "$survivors" -eq 0 ]
