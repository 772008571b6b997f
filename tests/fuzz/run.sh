#!/bin/sh
# Runs each libFuzzer target named on the command line for FUZZ_SECONDS, from its seed corpus
# (tests/fuzz/corpus/<target>, read only) plus a working corpus in build-fuzz/corpus/<target>.
# Crashing inputs go to build-fuzz/crashes/; the script fails when any target crashed.
# FUZZ_RUNS=N (with FUZZ_SEED, default 1) runs exactly N inputs per target instead: the same
# inputs every time, so a CI step is repeatable and a new finding is never a matter of luck.
S=${FUZZ_SECONDS:-60}
if [ -n "${FUZZ_RUNS:-}" ]; then budget="-runs=$FUZZ_RUNS -seed=${FUZZ_SEED:-1}"; what="$FUZZ_RUNS inputs (seed ${FUZZ_SEED:-1})"
else budget="-max_total_time=$S"; what="${S}s"; fi
fail=0
# the CSV and dataset targets write their input to a scratch file: keep it in memory
if [ -z "${TMPDIR:-}" ] && [ -d /dev/shm ] && [ -w /dev/shm ]; then export TMPDIR=/dev/shm; fi
mkdir -p build-fuzz/crashes
for t in "$@"; do
  mkdir -p "build-fuzz/corpus/$t"
  seeds="tests/fuzz/corpus/$t"; [ -d "$seeds" ] || seeds=""
  log="build-fuzz/$t.log"
  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1 \
    "build-fuzz/tests/fuzz/$t" $budget -timeout=20 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="build-fuzz/crashes/$t-" "build-fuzz/corpus/$t" $seeds >"$log" 2>&1
  rc=$?
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1)
  if [ "$rc" -ne 0 ]; then
    fail=1
    echo "fuzz: $t: FAILED after ${runs:-?} runs ($cov); log $log:"
    grep -E 'ERROR|fuzz check failed|SUMMARY|Test unit written' "$log" | head -20
  else
    echo "fuzz: $t: $what, ${runs:-?} runs, $cov, no crash"
  fi
done
exit $fail
