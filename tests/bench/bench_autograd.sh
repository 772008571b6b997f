#!/bin/sh
# bench_autograd.sh — the generic autograd tape and the optimizer step, Tide
# (bench_autograd.lua) versus PyTorch CPU (bench_autograd_torch.py), interleaved rounds at 1
# and 2 threads; each side keeps its best; ratio = Tide / torch (lower is better).
# BENCH_ROUNDS (default 2) and BENCH_REPS (default 3) control the effort.
cd "$(dirname "$0")/../.." || exit 1
LUAJIT=${LUAJIT:-luajit}
PY=/usr/bin/python3
ROUNDS=${BENCH_ROUNDS:-2}
REPS=${BENCH_REPS:-3}
out=$(mktemp)
trap 'rm -f "$out"' EXIT
have_torch=1
"$PY" -c "import torch" 2>/dev/null || { have_torch=0; echo "bench_autograd: PyTorch is not available; Tide's figures only"; }
r=1
while [ "$r" -le "$ROUNDS" ]; do
  for th in 1 2; do
    OPENBLAS_NUM_THREADS=$th "$LUAJIT" tests/bench/bench_autograd.lua "$REPS" | sed -n "s/^RESULT /tide $th /p" >>"$out"
    if [ "$have_torch" = 1 ]; then
      OMP_NUM_THREADS=$th "$PY" tests/bench/bench_autograd_torch.py "$th" "$REPS" | sed -n "s/^RESULT /torch $th /p" >>"$out"
    fi
  done
  r=$((r + 1))
done
awk '
  { k = $1 " " $3; if (!(k in best) || $4 < best[k]) { best[k] = $4; th[k] = $2 } }
  END {
    printf "%-12s %16s %16s %8s\n", "workload", "tide ms (thr)", "torch ms (thr)", "ratio"
    n = split("mlp_step elementwise tiny_chain adam_1m", w, " ")
    for (i = 1; i <= n; i++) {
      t = "tide " w[i]; p = "torch " w[i]
      if (!(t in best)) continue
      if (p in best) printf "%-12s %11.3f (%d) %11.3f (%d) %8.2f\n", w[i], best[t], th[t], best[p], th[p], best[t] / best[p]
      else printf "%-12s %11.3f (%d) %16s %8s\n", w[i], best[t], th[t], "-", "-"
    }
  }' "$out"
