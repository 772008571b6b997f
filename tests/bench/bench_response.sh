#!/bin/sh
# bench_response.sh — set-based quality of the response kernel against no decay, the return-gap
# law and the popularity / SAR candidates (see the .lua): on the bundled UCI Online Retail log
# (customer, product), then on three simulator logs (user, category) large enough that each
# test window holds over a thousand true pairs and the log spans four of them (90 days): 8,000
# users and 600,000 rows each, written by `tide sim` (fixed seeds, so the same bytes every run)
# to a temporary directory.
cd "$(dirname "$0")/../.." || exit 1
LJ=${LUAJIT:-luajit}
"$LJ" tests/bench/bench_response.lua examples/data/uci-online-retail/online_retail.csv.gz retail item
dir=$(mktemp -d) || exit 1
trap 'rm -rf "$dir"' EXIT
for law in exponential power mixture; do
  "$LJ" scripts/tide sim --out "$dir/sim_$law.csv.gz" --users 8000 --events 600000 --seed 11 --decay "$law" --quiet || exit 1
  echo
  "$LJ" tests/bench/bench_response.lua "$dir/sim_$law.csv.gz" sim category 0.0208333
done
