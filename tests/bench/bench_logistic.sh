#!/bin/sh
# bench_logistic — penalised logistic regression on 100k x 20 simulated rows (features of
# unequal means and scales): Tide's Newton/IRLS and L-BFGS against sklearn's lbfgs and
# newton-cholesky on the same data, times (one run each) and coefficient agreement.
# BENCH_LOGISTIC_N / BENCH_LOGISTIC_D change the size.
LUAJIT=${LUAJIT:-luajit}
if ! /usr/bin/python3 -c 'import sklearn' 2>/dev/null; then echo "skip: no python3-sklearn"; exit 0; fi
TMP=$(mktemp -d /tmp/tide_bench_logistic.XXXXXX) || exit 1
trap 'rm -rf "$TMP"' EXIT
/usr/bin/python3 tests/bench/peer_logistic.py "$TMP/data.csv" "${BENCH_LOGISTIC_N:-100000}" "${BENCH_LOGISTIC_D:-20}" \
  > "$TMP/peer.txt" || exit 1
$LUAJIT tests/bench/bench_logistic.lua "$TMP/data.csv" "$TMP/peer.txt"
