#!/bin/sh
# bench_ingest.sh — CSV ingest throughput: tide.data.read_events versus pandas.read_csv on the
# same ~200 MB simulator log in the same run (file in the page cache for both; best of 3 runs
# each, wall clock and process CPU time: on a shared machine the CPU-time ratio is the steadier
# one), plus the prepared-dataset reload time. The temp files are deleted.
# Tide does more per row than pandas here: it interns user/item/category/behavior into dense
# ids and maps event names to codes; pandas parses the ids as int64 and behavior as strings.
# ROWS=n overrides the log size (default 5.6M rows, about 200 MB).
cd "$(dirname "$0")/../.." || exit 1
LUAJIT=${LUAJIT:-luajit}
PY=/usr/bin/python3
ROWS=${ROWS:-5600000}
tmp=$(mktemp -d /tmp/tide_bench_ingest.XXXXXX) || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM
log="$tmp/log.csv"

if ! "$LUAJIT" scripts/tide sim --out "$log" --events "$ROWS" --users $((ROWS / 100)) --no-truth --quiet; then
  echo "bench_ingest: the simulator failed; cannot generate the log"; exit 1
fi
cat "$log" > /dev/null  # page cache: measure parsing, not the disk
mb=$(( $(wc -c < "$log") / 1000000 ))
echo "log: $log, $mb MB, $(wc -l < "$log") lines (tide sim, seed 1)"

# ---- Tide
"$LUAJIT" - "$log" "$tmp/log.tds" <<'LUA'
package.path = "lua/?.lua;lua/?/init.lua;" .. package.path
package.cpath = "lua/?.so;" .. package.cpath
local ffi = require "ffi"
ffi.cdef [[ typedef struct { long tv_sec; long tv_nsec; } ts_t; int clock_gettime(int, ts_t *); ]]
local function now() local t = ffi.new("ts_t"); ffi.C.clock_gettime(1, t); return tonumber(t.tv_sec) + tonumber(t.tv_nsec) * 1e-9 end
local tide = require "tide"
local path, ds = arg[1], arg[2]
local size = io.open(path):seek("end")
local best, cbest, ev = math.huge, math.huge
for _ = 1, 3 do
  ev = nil
  collectgarbage(); collectgarbage()
  local t0, c0 = now(), os.clock()
  ev = tide.data.read_events(path, "sim")
  best, cbest = math.min(best, now() - t0), math.min(cbest, os.clock() - c0)
end
print(("tide  read_events: %d rows, %d users, %d items in %.3f s wall (%.0f MB/s), %.3f s CPU (%.0f MB/s)"):format(
  ev.n, ev.n_users, ev.n_items, best, size / 1e6 / best, cbest, size / 1e6 / cbest))
tide.data.save(ev, ds)
local lbest, l = math.huge
for _ = 1, 3 do
  collectgarbage(); collectgarbage()
  local t0 = now()
  l = tide.data.load(ds)
  lbest = math.min(lbest, now() - t0)
end
assert(l.n == ev.n)
print(("tide  dataset reload: %.3f s (%.0f MB file) = %.1fx faster than parsing the CSV"):format(
  lbest, io.open(ds):seek("end") / 1e6, best / lbest))
local f = io.open(ds .. ".time", "w"); f:write(best, " ", cbest, "\n"); f:close()
LUA
[ -f "$tmp/log.tds.time" ] || { echo "bench_ingest: tide run failed"; exit 1; }
tide_s=$(cut -d' ' -f1 "$tmp/log.tds.time")
tide_cpu=$(cut -d' ' -f2 "$tmp/log.tds.time")

# ---- pandas peer
if ! "$PY" -c "import pandas" 2>/dev/null; then
  if [ "$(id -u)" = 0 ]; then apt-get install -y -qq python3-pandas >/dev/null 2>&1; fi
fi
if ! "$PY" -c "import pandas" 2>/dev/null; then
  echo "pandas: python3-pandas unavailable; ratio skipped"; exit 0
fi
"$PY" - "$log" "$tide_s" "$tide_cpu" <<'PY'
import os, sys, time, gc
import pandas as pd
path, tide_s, tide_cpu = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
size = os.path.getsize(path)
best = cbest = float("inf")
df = None
for _ in range(3):
    df = None
    gc.collect()
    t0, c0 = time.perf_counter(), time.process_time()
    df = pd.read_csv(path)
    best, cbest = min(best, time.perf_counter() - t0), min(cbest, time.process_time() - c0)
print("pandas %s read_csv (C engine, default dtypes): %d rows in %.3f s wall (%.0f MB/s), %.3f s CPU (%.0f MB/s)"
      % (pd.__version__, len(df), best, size / 1e6 / best, cbest, size / 1e6 / cbest))
print("ratio: tide is %.2fx pandas.read_csv by wall clock, %.2fx by CPU time (goal >= 3x)"
      % (best / tide_s, cbest / tide_cpu))
print("tide throughput: %.0f MB/s wall, %.0f MB/s CPU (goal >= 300 MB/s)" % (size / 1e6 / tide_s, size / 1e6 / tide_cpu))
PY
