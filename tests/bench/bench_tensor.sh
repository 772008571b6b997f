#!/bin/sh
# bench_tensor.sh — Tide matmul called from Lua versus raw cblas_sgemm from C, measured in the
# same run with the same OpenBLAS threads; elementwise add/exp bandwidth versus memcpy.
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
    if (!hdr++) printf "%-16s %12s %12s %8s %12s %8s\n", "matmul (n,k,m)", "raw GFLOP/s", "Lua alloc", "ratio", "Lua out=", "ratio"
    printf "%-16s %12.2f %12.2f %7.2fx %12.2f %7.2fx\n", $2"x"$3"x"$4, fl / raw[key], fl / $5,
      raw[key] / $5, fl / $6, raw[key] / $6 }
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
