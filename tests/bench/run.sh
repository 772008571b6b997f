#!/bin/sh
# Runs every benchmark: tests/bench/bench_*.sh in name order. Each prints its own figures and
# ratios against a peer measured in the same run. BENCH_FILTER=name runs only matching ones.
cd "$(dirname "$0")/../.." || exit 1
export B=${B:-build} LUAJIT=${LUAJIT:-luajit}
status=0
for b in tests/bench/bench_*.sh; do
  [ -f "$b" ] || continue
  case "$b" in *"${BENCH_FILTER:-}"*) ;; *) continue ;; esac
  echo "== $(basename "$b" .sh)"
  sh "$b" || { echo "bench $(basename "$b") failed"; status=1; }
  echo
done
exit $status
