#!/bin/sh
# bench_gbdt — Tide's histogram GBDT vs scikit-learn's HistGradientBoostingClassifier on the
# same deterministic synthetic data (200k x 20 train, 50k test; bench_gbdt.lua writes it, both
# read it), matched settings, no early stopping. Prints held-out AUC and train time of each,
# both at 1 and 2 threads (the peer's via OMP_NUM_THREADS), and the ratios at equal threads.
# Goal (issue 14): Tide trains >= 2x faster at equal AUC. The load average is printed with the
# figures: on a shared machine wall times move with it, so CPU seconds are printed too (at one
# thread they do not depend on the load). BENCH_GBDT_N overrides the train rows,
# BENCH_GBDT_PEER_THREADS the peer's thread counts (default "1 2").
LUAJIT=${LUAJIT:-luajit}
TMP=$(mktemp -d /tmp/tide_bench_gbdt.XXXXXX) || exit 1
trap 'rm -rf "$TMP"' EXIT
echo "load average before: $(cat /proc/loadavg)"
tide_out=$($LUAJIT tests/bench/bench_gbdt.lua "$TMP" "${BENCH_GBDT_N:-200000}") || { echo "$tide_out"; exit 1; }
echo "$tide_out"
if /usr/bin/python3 -c 'import sklearn' 2>/dev/null; then
  peer=$(for t in ${BENCH_GBDT_PEER_THREADS:-1 2}; do OMP_NUM_THREADS=$t /usr/bin/python3 tests/bench/bench_gbdt.py "$TMP/data.ckpt" $t || exit 1; done) \
    || { echo "$peer"; exit 1; }
  echo "$peer"
else
  echo "peer skipped: no python3-sklearn (apt-get install python3-sklearn)"; exit 0
fi
echo "load average after: $(cat /proc/loadavg)"
printf '%s\n%s\n' "$tide_out" "$peer" | awk '
  function val(s, k) { if (match(s, k "=[^ ]*")) return substr(s, RSTART + length(k) + 1, RLENGTH - length(k) - 1); return "" }
  /^RESULT tide threads=1/ { t1 = val($0, "train_s"); c1 = val($0, "cpu_s") }
  /^RESULT tide threads=2/ { t2 = val($0, "train_s"); a2 = val($0, "auc") }
  /^RESULT sklearn threads=1/ { s1 = val($0, "train_s"); p1 = val($0, "cpu_s"); as = val($0, "auc") }
  /^RESULT sklearn threads=2/ { s2 = val($0, "train_s"); as = val($0, "auc") }
  END {
    printf "tide threads 1 -> 2: %.2fx faster\n", t1 / t2
    if (s2 != "") printf "sklearn threads 1 -> 2: %.2fx faster; sklearn / tide at 2 threads: %.2fx\n", s1 / s2, s2 / t2
    else s2 = s1
    printf "train time sklearn / tide at 1 thread: %.2fx (CPU seconds: %.2fx)\n", s1 / t1, p1 / c1
    printf "AUC tide %.4f vs sklearn %.4f (%+.4f)\n", a2, as, a2 - as
    best_t = (t1 + 0 < t2 + 0) ? t1 : t2; best_s = (s1 + 0 < s2 + 0) ? s1 : s2
    printf "goal >= 2x faster at equal AUC (best thread count of each: %.2fx): %s\n", best_s / best_t,
      (best_s / best_t >= 2 && a2 >= as - 0.002) ? "OK" : "NOT MET"
  }'
