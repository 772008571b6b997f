#!/bin/sh
# bench_ingest.sh — CSV ingest throughput: tide.data.read_events versus pandas.read_csv on the
# same ~200 MB simulator log in the same run, plus the prepared-dataset reload time. The temp
# files are deleted.
# Method: the file is in the page cache; ROUNDS rounds (default 3) each time one Tide read and
# then one pandas read, back to back, so both see the same machine load; reported: each
# side's best wall time, and the median of the per-round wall-clock ratios (the figure to
# trust on a shared machine). CPU time is printed too (Tide's includes its parse threads).
# The last line states both goals of the reader: >= 300 MB/s and >= 3x pandas (quiet machine).
# Tide does more per row than pandas here: it interns user/item/category/behavior into dense
# ids and maps event names to codes; pandas parses the ids as int64 and behavior as strings.
# ROWS=n overrides the log size (default 5.6M rows, about 200 MB).
cd "$(dirname "$0")/../.." || exit 1
LUAJIT=${LUAJIT:-luajit}
PY=/usr/bin/python3
ROWS=${ROWS:-5600000}
ROUNDS=${ROUNDS:-3}
tmp=$(mktemp -d /tmp/tide_bench_ingest.XXXXXX) || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM
log="$tmp/log.csv"

if ! "$LUAJIT" scripts/tide sim --out "$log" --events "$ROWS" --users $((ROWS / 100)) --no-truth --quiet; then
  echo "bench_ingest: the simulator failed; cannot generate the log"; exit 1
fi
cat "$log" > /dev/null  # page cache: measure parsing, not the disk
echo "log: $(( $(wc -c < "$log") / 1000000 )) MB, $(wc -l < "$log") lines (tide sim, seed 1); $(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg)"

have_pandas=1
if ! "$PY" -c "import pandas" 2>/dev/null; then
  if [ "$(id -u)" = 0 ]; then apt-get install -y -qq python3-pandas >/dev/null 2>&1; fi
  "$PY" -c "import pandas" 2>/dev/null || { have_pandas=0; echo "pandas: python3-pandas unavailable; ratio skipped"; }
fi

cat > "$tmp/tide.lua" <<'LUA'
package.path = "lua/?.lua;lua/?/init.lua;" .. package.path
package.cpath = "lua/?.so;" .. package.cpath
local ffi = require "ffi"
ffi.cdef [[ typedef struct { long tv_sec; long tv_nsec; } ts_t; int clock_gettime(int, ts_t *); ]]
local function now() local t = ffi.new("ts_t"); ffi.C.clock_gettime(1, t); return tonumber(t.tv_sec) + tonumber(t.tv_nsec) * 1e-9 end
local tide = require "tide"
local path, mode = arg[1], arg[2]
if mode == "read" then
  local t0, c0 = now(), os.clock()
  local ev = tide.data.read_events(path, "sim")
  io.write(("%.6f %.6f %d %d %d\n"):format(now() - t0, os.clock() - c0, ev.n, ev.n_users, ev.n_items))
elseif mode == "save" then
  tide.data.save(tide.data.read_events(path, "sim"), arg[3])
else -- reload
  local best = math.huge
  for _ = 1, 3 do
    collectgarbage(); collectgarbage()
    local t0 = now()
    local l = tide.data.load(path)
    best = math.min(best, now() - t0)
    assert(l.n > 0)
  end
  io.write(("%.6f\n"):format(best))
end
LUA
cat > "$tmp/peer_read_csv.py" <<'PY'
import sys, time
import pandas as pd
t0, c0 = time.perf_counter(), time.process_time()
df = pd.read_csv(sys.argv[1])
print("%.6f %.6f %d %s" % (time.perf_counter() - t0, time.process_time() - c0, len(df), pd.__version__))
PY

: > "$tmp/rounds"
i=0
while [ $i -lt "$ROUNDS" ]; do
  t=$("$LUAJIT" "$tmp/tide.lua" "$log" read) || { echo "bench_ingest: tide read failed"; exit 1; }
  p="- - - -"
  if [ $have_pandas = 1 ]; then p=$("$PY" "$tmp/peer_read_csv.py" "$log") || p="- - - -"; fi
  echo "$t $p" >> "$tmp/rounds"
  i=$((i + 1))
done
"$LUAJIT" "$tmp/tide.lua" "$log" save "$tmp/log.tds"
reload=$("$LUAJIT" "$tmp/tide.lua" "$tmp/log.tds" reload)

# columns: tide_wall tide_cpu rows users items pandas_wall pandas_cpu pandas_rows pandas_version
awk -v size="$(wc -c < "$log")" -v reload="$reload" -v ds="$(wc -c < "$tmp/log.tds")" '
{ tw[NR] = $1; tc[NR] = $2; rows = $3; users = $4; items = $5; pw[NR] = $6; pc[NR] = $7; pv = $9 }
END {
  n = NR; bt = 1e9; bc = 1e9; bp = 1e9; bpc = 1e9
  for (i = 1; i <= n; i++) {
    if (tw[i] < bt) bt = tw[i]; if (tc[i] < bc) bc = tc[i]
    if (pw[i] != "-") { if (pw[i] < bp) bp = pw[i]; if (pc[i] < bpc) bpc = pc[i]; r[i] = pw[i] / tw[i] }
  }
  mb = size / 1e6
  printf "tide  read_events: %d rows, %d users, %d items; best %.3f s wall = %.0f MB/s (CPU %.3f s)\n", rows, users, items, bt, mb / bt, bc
  printf "tide  dataset reload: %.3f s (%.0f MB file) = %.1fx faster than parsing the CSV\n", reload, ds / 1e6, bt / reload
  if (bp < 1e9) {
    for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (r[j] < r[i]) { x = r[i]; r[i] = r[j]; r[j] = x }
    med = (n % 2) ? r[(n + 1) / 2] : (r[n / 2] + r[n / 2 + 1]) / 2
    printf "pandas %s read_csv (C engine, default dtypes): best %.3f s wall = %.0f MB/s (CPU %.3f s)\n", pv, bp, mb / bp, bpc
    printf "ratio: tide is %.2fx pandas.read_csv (median of %d paired rounds; best/best %.2fx); goal >= 3x\n", med, n, bp / bt
  }
  # the two goals of the reader (issue 13), always printed; on a loaded machine both read low
  tput = mb / bt
  g1 = (tput >= 300) ? "met" : "NOT met"
  rs = (bp < 1e9) ? sprintf("%.2fx", med) : "n/a (no pandas)"
  g2 = (bp >= 1e9) ? "n/a" : ((med >= 3) ? "met" : "NOT met")
  printf "goals: throughput %.0f MB/s (>= 300 MB/s: %s); ratio %s pandas (>= 3x: %s)\n", tput, g1, rs, g2
}' "$tmp/rounds"
