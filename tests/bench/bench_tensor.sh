#!/bin/sh
# bench_tensor.sh — Tide matmul called from Lua versus raw cblas_sgemm (from a C process, and
# through the FFI interleaved with Tide in the same process, which is the ratio reported),
# same OpenBLAS threads; elementwise add/exp bandwidth versus memcpy; full-ranking topk
# versus torch.topk.
# Builds the C half with the Makefile's flags against $B/libtide.a (run `make` first).
cd "$(dirname "$0")/../.." || exit 1
B=${B:-build}; LUAJIT=${LUAJIT:-luajit}
[ -f "$B/libtide.a" ] || { echo "bench_tensor: $B/libtide.a missing, run make first"; exit 1; }
out="$B/tests/bench"; mkdir -p "$out"
cc -std=c11 -D_GNU_SOURCE -O3 -march=x86-64-v2 -funroll-loops $(pkg-config --cflags openblas) \
  -Iengine tests/bench/bench_matmul.c -o "$out/bench_matmul" "$B/libtide.a" \
  $(pkg-config --libs openblas 2>/dev/null || echo -lopenblas) -lutf8proc -lz -lm -lpthread \
  || { echo "bench_tensor: could not build bench_matmul.c"; exit 1; }
raw=$(mktemp); lua=$(mktemp); trap 'rm -f "$raw" "$lua"' EXIT
"$out/bench_matmul" >"$raw" || exit 1
"$LUAJIT" tests/bench/bench_matmul.lua >"$lua" || exit 1
echo "threads: OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-default} on $(nproc) cores"
awk '
  FNR == NR && $1 == "sgemm" { raw[$2" "$3" "$4] = $5; next }
  FNR == NR && $1 == "bw"    { bw[$2] = $4; gb[$2] = $5; next }
  $1 == "lua_mm" { key = $2" "$3" "$4; fl = 2 * $2 * $3 * $4 * 1e-9
    if (!hdr++) {
      print "GFLOP/s; ratio = Tide speed / raw sgemm speed, measured interleaved in one process"
      printf "%-16s %9s %9s %9s %7s %9s %7s\n", "matmul n,k,m", "C proc", "raw FFI", "Lua new", "ratio", "Lua out=", "ratio"
    }
    printf "%-16s %9.1f %9.1f %9.1f %6.2fx %9.1f %6.2fx\n", $2","$3","$4, fl / raw[key], fl / $5,
      fl / $6, $5 / $6, fl / $7, $5 / $7 }
  $1 == "lua_bw" { lbw[$2] = $3 / $4 * 1e-9 }
  END {
    m = gb["memcpy"]
    printf "\n%-30s %8s %8s\n", "elementwise (16M f32)", "GB/s", "vs memcpy"
    printf "%-30s %8.2f %8s\n", "memcpy (C)", m, "1.00x"
    printf "%-30s %8.2f %7.2fx\n", "add into out (C)", gb["add_out"], gb["add_out"] / m
    printf "%-30s %8.2f %7.2fx\n", "add, new result (C)", gb["add_alloc"], gb["add_alloc"] / m
    printf "%-30s %8.2f %7.2fx\n", "a + b (Lua)", lbw["add_alloc"], lbw["add_alloc"] / m
    printf "%-30s %8.2f %7.2fx\n", "exp into out (C)", gb["exp_out"], gb["exp_out"] / m
    printf "%-30s %8.2f %7.2fx\n", "a:exp() (Lua)", lbw["exp_alloc"], lbw["exp_alloc"] / m
  }' "$raw" "$lua"

# ---- full-ranking topk: Tide from Lua versus torch.topk, both single-threaded kernels ----
echo
tl=$(mktemp); tp=$(mktemp); trap 'rm -f "$raw" "$lua" "$tl" "$tp"' EXIT
PY=/usr/bin/python3
if ! "$PY" -c 'import torch' 2>/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-torch >/dev/null 2>&1
  fi
fi
have_torch=0; "$PY" -c 'import torch' 2>/dev/null && have_torch=1
[ $have_torch = 1 ] || echo "bench_tensor: python3-torch unavailable, topk peer skipped"
# three alternating rounds, best per k: other processes on the machine hit both sides alike
for round in 1 2 3; do
  "$LUAJIT" tests/bench/topk_bench.lua >>"$tl" || exit 1
  [ $have_torch = 1 ] || continue
  "$PY" - >>"$tp" <<'PYEOF'
import time, torch
torch.set_num_threads(1)
torch.manual_seed(7)
x = torch.randn(1000, 24000)
for k in (10, 100, 1000):
    torch.topk(x, k)
    best = 1e9
    for _ in range(5):
        reps, t0 = 0, time.perf_counter()
        while True:
            torch.topk(x, k); reps += 1
            t = time.perf_counter() - t0
            if t >= 0.2: break
        best = min(best, t / reps)
    print("torch_topk 1000 24000 %d %.6e" % (k, best))
PYEOF
done
awk '
  FNR == NR { if (!($4 in tide) || $5 < tide[$4]) tide[$4] = $5; rows = $2; items = $3; next }
  { if (!($4 in torch) || $5 < torch[$4]) torch[$4] = $5 }
  END {
    printf "%-28s %14s %14s %8s\n", "topk [" rows "," items "]", "Tide us/row", "torch us/row", "speedup"
    n = split("10 100 1000", ks, " "); for (q = 1; q <= n; q++) { k = ks[q]; if (!(k in tide)) continue
      if (k in torch) printf "%-28s %14.1f %14.1f %7.2fx\n", "k=" k, tide[k] / rows * 1e6, torch[k] / rows * 1e6, torch[k] / tide[k]
      else printf "%-28s %14.1f %14s\n", "k=" k, tide[k] / rows * 1e6, "-"
    }
  }' "$tl" "$tp"
