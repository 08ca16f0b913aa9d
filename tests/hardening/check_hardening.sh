#!/usr/bin/env bash
# Checks that each ELF file given was built with the project's hardening: position-independent,
# full RELRO (read-only relocations, bound at start), stack canaries, control-flow protection
# (on x86-64: ENDBR64 landing pads; Debian 12's own start files carry no CET note, so the
# linked file's IBT/SHSTK note cannot be asked for), and, with --fortify, fortified libc calls.
#   check_hardening.sh [--fortify] FILE...
set -uo pipefail
fortify=0
if [ "${1:-}" = "--fortify" ]; then
  fortify=1
  shift
fi
failures=0
fail() {
  echo "not hardened: $1: $2" >&2
  failures=$((failures + 1))
}
for file in "$@"; do
  [ -f "$file" ] || { fail "$file" "missing"; continue; }
  readelf -h "$file" | grep -q 'Type:[[:space:]]*DYN' || fail "$file" "not position-independent (ELF type is not DYN)"
  readelf -lW "$file" | grep -q 'GNU_RELRO' || fail "$file" "no RELRO segment"
  readelf -dW "$file" | grep -Eq 'BIND_NOW|FLAGS_1.*NOW' || fail "$file" "relocations not bound at start (-z now)"
  symbols=$(readelf --dyn-syms -W "$file")
  grep -q '__stack_chk_fail' <<<"$symbols" || fail "$file" "no stack protector (__stack_chk_fail)"
  if [ "$fortify" -eq 1 ]; then
    grep -Eq '__[a-z0-9_]+_chk' <<<"$symbols" || fail "$file" "no fortified calls (__*_chk)"
  fi
  if [ "$(uname -m)" = "x86_64" ]; then
    # Without -fcf-protection a file holds only the few landing pads of the start files.
    pads=$(objdump -d --no-show-raw-insn "$file" | grep -c endbr64)
    [ "$pads" -ge 100 ] || fail "$file" "no control-flow protection ($pads ENDBR64 landing pads)"
  fi
  [ "$failures" -eq 0 ] && echo "hardened: $file"
done
exit $((failures > 0))
