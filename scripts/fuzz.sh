#!/usr/bin/env bash
# Builds the fuzzers with clang (libFuzzer, ASan, UBSan) and runs them: the snapshot opener on
# fresh seeds for half of the time; strongholdd's frame decoder, the engine's wire decoder, the Rust
# Stronghold reader (on its fixtures) and the audit log reader (on fresh seeds too) for the rest.
#   scripts/fuzz.sh [SECONDS]   default 90
set -euo pipefail
STRONGHOLD_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
source "$STRONGHOLD_ROOT/scripts/deps.sh"
seconds=${1:-90}

# The tree of scripts/test.sh --sanitize: after it, the fuzzers are built already.
configure_instrumented
build="$STRONGHOLD_ROOT/build-sanitize"
cmake --build "$build" --parallel "$(nproc)" --target snapshot_open_fuzzer frame_decoder_fuzzer wire_decoder_fuzzer \
  audit_log_fuzzer rust_stronghold_fuzzer make_snapshot_seeds
corpus="$build/corpus"
audit="$build/audit-corpus"
rm -rf "$corpus" "$audit" && mkdir -p "$corpus" "$audit"
"$build/tests/make_snapshot_seeds" "$corpus" "$audit"
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
"$build/tests/snapshot_open_fuzzer" -max_total_time="$((seconds / 2))" -rss_limit_mb=2048 -max_len=65536 \
  -timeout=10 -print_final_stats=1 "$corpus"
frames="$build/frame-corpus"
rm -rf "$frames" && mkdir -p "$frames"
"$build/tests/frame_decoder_fuzzer" -max_total_time="$((seconds / 6))" -rss_limit_mb=2048 \
  -max_len=8192 -timeout=10 -print_final_stats=1 "$frames"
wire="$build/wire-corpus"
rm -rf "$wire" && mkdir -p "$wire"
"$build/tests/wire_decoder_fuzzer" -max_total_time="$((seconds / 6))" -rss_limit_mb=2048 \
  -max_len=8192 -timeout=10 -print_final_stats=1 "$wire"
# Seeds: each fixture as layer 0 or 1 (the file after "PARTI" and its version).
rust="$build/rust-corpus"
rm -rf "$rust" && mkdir -p "$rust"
for fixture in "$STRONGHOLD_ROOT"/tests/fixtures/rust-stronghold/*.stronghold; do
  version=$(od -An -tu1 -j5 -N1 "$fixture" | tr -d ' ')
  { printf "\\$(printf '%03o' "$((version - 2))")"; tail -c +8 "$fixture"; } >"$rust/$(basename "$fixture")"
done
"$build/tests/rust_stronghold_fuzzer" -max_total_time="$((seconds / 12))" -rss_limit_mb=2048 \
  -max_len=65536 -timeout=10 -print_final_stats=1 "$rust"
"$build/tests/audit_log_fuzzer" -max_total_time="$((seconds - seconds / 2 - 2 * (seconds / 6) - seconds / 12))" \
  -rss_limit_mb=2048 -max_len=65536 -timeout=10 -print_final_stats=1 "$audit"
