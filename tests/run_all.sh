#!/bin/sh
# Runs every C test binary and the Lua test runner; ends with one line "N passed, N failed".
# B: build dir (build or build-san). SANITIZE=1 preloads ASan for LuaJIT.
B=${B:-build}; LUAJIT=${LUAJIT:-luajit}
pass=0; fail=0
tmp=$(mktemp); trap 'rm -f "$tmp"' EXIT
for t in "$B"/tests/c/test_*; do
  [ -x "$t" ] || continue
  "$t" >"$tmp" 2>&1; rc=$?
  p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$tmp" | tail -1)
  f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$tmp" | tail -1)
  p=${p:-0}; f=${f:-0}
  if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
  if [ "$f" -ne 0 ]; then cat "$tmp"; fi
  echo "c: $(basename "$t"): $p passed, $f failed"
  pass=$((pass + p)); fail=$((fail + f))
done
# LuaJIT itself is not instrumented: the sanitizer runtimes are preloaded for that one process
# (not exported, so helper commands like sed are not checked).
preload=""
if [ "${SANITIZE:-0}" = 1 ]; then
  preload="$(cc -print-file-name=libasan.so) $(cc -print-file-name=libubsan.so)"
  export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
  export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$(pwd)/tests/lsan.supp:print_suppressions=0}
  export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
fi
LD_PRELOAD="$preload" TIDE_CORE=${TIDE_CORE:-core} "$LUAJIT" tests/lua/run.lua tests/lua/test_*.lua \
  >"$tmp" 2>&1; rc=$?
cat "$tmp"
lp=$(sed -n 's/^lua: \([0-9]*\) passed, \([0-9]*\) failed.*/\1/p' "$tmp" | tail -1)
lf=$(sed -n 's/^lua: \([0-9]*\) passed, \([0-9]*\) failed.*/\2/p' "$tmp" | tail -1)
lp=${lp:-0}; lf=${lf:-0}
if [ "$rc" -ne 0 ] && [ "$lf" -eq 0 ]; then lf=1; echo "lua runner exited with $rc"; fi
pass=$((pass + lp)); fail=$((fail + lf))
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
