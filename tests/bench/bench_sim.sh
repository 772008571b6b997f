#!/bin/sh
# bench_sim.sh — simulator throughput: 10M rows (events) to plain CSV and to gzip (level 1 and
# 6) through `tide sim`, versus a pandas peer measured in the same run that only draws
# independent random rows with numpy and serialises them with DataFrame.to_csv (no model).
# BENCH_SIM_EVENTS overrides the row count.
cd "$(dirname "$0")/../.." || exit 1
LUAJIT=${LUAJIT:-luajit}
N=${BENCH_SIM_EVENTS:-10000000}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
run() { # out level -> "rows seconds"
  SIM_N=$N SIM_OUT=$1 SIM_LEVEL=$2 "$LUAJIT" -e '
    package.path = "lua/?.lua;lua/?/init.lua;" .. package.path
    package.cpath = "lua/?.so;" .. package.cpath
    local c0 = os.clock()
    local s = require("tide").sim.generate{ events = tonumber(os.getenv("SIM_N")), seed = 1,
      out = os.getenv("SIM_OUT"), level = tonumber(os.getenv("SIM_LEVEL")), truth = false, truth_tensors = false }
    print(("%d %.4f %.4f %d %.4f"):format(s.rows, s.seconds - s.build_seconds, s.build_seconds,
      s.bytes, os.clock() - c0))'
}
echo "rows requested: $N ($(nproc) cores; load average $(cut -d' ' -f1 /proc/loadavg) at start)"
plain=$(run "$tmp/sim.csv" 1) || exit 1
gz1=$(run "$tmp/sim.csv.gz" 1) || exit 1
gz6=$(run "$tmp/sim6.csv.gz" 6) || exit 1
gzsize1=$(stat -c %s "$tmp/sim.csv.gz"); gzsize6=$(stat -c %s "$tmp/sim6.csv.gz")
t0=$(date +%s.%N); gzip -1 -c "$tmp/sim.csv" > "$tmp/ref.gz"; t1=$(date +%s.%N)
peer=""
if /usr/bin/python3 -c 'import pandas, numpy' 2>/dev/null; then
  peer=$(/usr/bin/python3 tests/bench/peer_sim.py "$N" "$tmp") || peer=""
else
  echo "peer skipped: /usr/bin/python3 lacks pandas/numpy (apt-get install python3-pandas)"
fi
pp=$(echo "$peer" | sed -n 's/.*peer_plain_rows_per_s=\([0-9]*\).*/\1/p')
pg=$(echo "$peer" | sed -n 's/.*peer_gzip1_rows_per_s=\([0-9]*\).*/\1/p')
pcp=$(echo "$peer" | sed -n 's/.*peer_plain_cpu_s=\([0-9.]*\).*/\1/p')
pcg=$(echo "$peer" | sed -n 's/.*peer_gzip1_cpu_s=\([0-9.]*\).*/\1/p')
echo "$plain|$gz1|$gz6|$gzsize1|$gzsize6|$t0|$t1|${pp:-0}|${pg:-0}|${pcp:-0}|${pcg:-0}" | awk -F'|' '{
  split($1, a, " "); split($2, b, " "); split($3, c, " ")
  rows = a[1]; mb = a[4] / 1e6
  printf "%-26s %10s %9s %9s %11s %10s\n", "tide sim", "rows", "wall s", "Mrows/s", "vs pandas", "CPU s"
  pr = a[1] / (a[2] + a[3]); gr = b[1] / (b[2] + b[3]); g6 = c[1] / (c[2] + c[3])
  printf "%-26s %10d %9.2f %9.2f %11s %10.2f\n", "plain CSV (" int(mb) " MB)", a[1], a[2] + a[3], pr / 1e6, ($8 > 0 ? sprintf("%.1fx", pr / $8) : "-"), a[5]
  printf "%-26s %10d %9.2f %9.2f %11s %10.2f\n", "gzip -1 (" int($4 / 1e6) " MB)", b[1], b[2] + b[3], gr / 1e6, ($9 > 0 ? sprintf("%.1fx", gr / $9) : "-"), b[5]
  printf "%-26s %10d %9.2f %9.2f %11s %10.2f\n", "gzip -6 (" int($5 / 1e6) " MB)", c[1], c[2] + c[3], g6 / 1e6, "-", c[5]
  printf "CPU time covers all threads and includes the truth-free setup; rows per CPU-second: plain %.2fM, gzip -1 %.2fM\n", a[1] / a[5] / 1e6, b[1] / b[5] / 1e6
  printf "calibration pass (visits only): %.2f s of the plain run\n", a[3]
  printf "reference: gzip -1 CLI alone compresses the plain file at %.2f Mrows/s (%.0f MB/s)\n", rows / ($7 - $6) / 1e6, mb / ($7 - $6)
  if ($8 > 0) printf "pandas peer (random rows, no model): plain %.2f Mrows/s, gzip-1 %.2f Mrows/s\n", $8 / 1e6, $9 / 1e6
  if ($10 > 0) printf "rows per CPU-second vs pandas (less sensitive to load): plain %.1fx, gzip -1 %.1fx\n", (a[1] / a[5]) / (rows / $10), (b[1] / b[5]) / (rows / $11)
}'
