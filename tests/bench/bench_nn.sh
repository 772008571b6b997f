#!/bin/sh
# bench_nn.sh — forward+backward of a 2-block transformer (dim 64, 2 heads, FFN 256, GELU,
# dropout 0.1, causal, seq 200, batch 128), of a GRU layer (64 -> 64, seq 200, batch 128) and
# of the same as an LSTM layer:
# Tide (bench_nn.lua) versus PyTorch CPU (bench_nn_torch.py) in the same run.
# Both run at 1 and 2 threads (Tide: OpenBLAS threads; torch: set_num_threads) in interleaved
# rounds, since the machine is shared; each side keeps its best time over all rounds and
# thread settings, and the ratio is Tide's best over torch's best (goal: <= 0.5).
# BENCH_ROUNDS (default 2) and BENCH_REPS (default 3) control the effort.
cd "$(dirname "$0")/../.." || exit 1
LUAJIT=${LUAJIT:-luajit}
PY=/usr/bin/python3
ROUNDS=${BENCH_ROUNDS:-2}
REPS=${BENCH_REPS:-3}
out=$(mktemp)
trap 'rm -f "$out"' EXIT

have_torch=1
if ! "$PY" -c "import torch" 2>/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "bench_nn: installing python3-torch"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-torch >/dev/null 2>&1
  fi
  "$PY" -c "import torch" 2>/dev/null || { have_torch=0; echo "bench_nn: PyTorch is not available; Tide's figures only"; }
fi

# one process per (side, model, threads), so each peak RSS belongs to one model
r=1
while [ "$r" -le "$ROUNDS" ]; do
  for model in transformer gru lstm; do
    for th in 1 2; do
      OPENBLAS_NUM_THREADS=$th "$LUAJIT" tests/bench/bench_nn.lua "$REPS" "$model" | sed -n "s/^RESULT /tide $th /p" >>"$out"
      if [ "$have_torch" = 1 ]; then
        OMP_NUM_THREADS=$th "$PY" tests/bench/bench_nn_torch.py "$th" "$REPS" "$model" | sed -n "s/^RESULT /torch $th /p" >>"$out"
      fi
    done
  done
  r=$((r + 1))
done

echo "config: transformer = 2 pre-norm blocks, dim 64, 2 heads, FFN 256 GELU, dropout 0.1, causal,"
echo "        batch 128 x seq 200; GRU, LSTM = 64 -> 64, batch 128 x seq 200; forward + backward of sum(out)"
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null) on $(nproc 2>/dev/null) cores"
# columns: side threads model wall_ms rss_mb cpu_ms. The wall ratio is the goal's measure; the
# CPU ratio (process CPU time, all threads) is printed too because it moves far less with the
# load other jobs put on a shared machine.
awk '
  { k = $1 " " $3
    if (!(k in best) || $4 < best[k]) { best[k] = $4; th[k] = $2 }
    if (!(k in cpu) || $6 < cpu[k]) cpu[k] = $6
    if ($5 > rss[k]) rss[k] = $5 }
  END {
    printf "%-12s %15s %15s %6s %11s %11s %6s %9s %9s\n", "model", "tide ms (thr)", "torch ms (thr)", "ratio",
      "tide cpu ms", "torch cpu", "ratio", "tide MB", "torch MB"
    n = split("transformer gru lstm", models, " ")
    for (i = 1; i <= n; i++) {
      m = models[i]; t = "tide " m; p = "torch " m
      if (!(t in best)) continue
      if (p in best)
        printf "%-12s %10.1f (%d) %10.1f (%d) %6.2f %11.1f %11.1f %6.2f %9.0f %9.0f\n", m, best[t], th[t],
          best[p], th[p], best[t] / best[p], cpu[t], cpu[p], cpu[t] / cpu[p], rss[t], rss[p]
      else
        printf "%-12s %10.1f (%d) %15s %6s %11.1f %11s %6s %9.0f %9s\n", m, best[t], th[t], "-", "-",
          cpu[t], "-", "-", rss[t], "-"
    }
  }' "$out"
