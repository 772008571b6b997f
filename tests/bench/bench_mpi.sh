#!/bin/sh
# bench_mpi — scale-out on one machine: the same sharded job (per-user decay fits, full-ranking
# evaluation, data-parallel MLP training at a fixed global batch) with mpirun -np 1 and -np 2
# on a simulated log of MPI_BENCH_EVENTS (default 10M) events; time per phase, speed-up and
# efficiency T1 / (N · TN); then a communication model (bytes per step, all-reduce time fitted
# to a ring model) projecting the training phase's efficiency to 8–64 ranks, for this machine's
# shared-memory transport and for two network assumptions. The np 1 and np 2 runs must agree
# on the gathered fits and the metrics (checked).
set -eu
cd "$(dirname "$0")/../.."
LUAJIT=${LUAJIT:-luajit}
command -v mpirun >/dev/null 2>&1 || { echo "skip: mpirun not installed (make test-mpi installs openmpi)"; exit 0; }
[ -f lua/tide/mpi_core.so ] || { echo "skip: lua/tide/mpi_core.so not built (make mpi)"; exit 0; }
EVENTS=${MPI_BENCH_EVENTS:-10000000}
FLAGS="--oversubscribe --bind-to none"
[ "$(id -u)" = 0 ] && FLAGS="$FLAGS --allow-run-as-root"
dir=$(mktemp -d /tmp/tide-bench-mpi.XXXXXX)
trap 'rm -rf "$dir"' EXIT
$LUAJIT tests/bench/bench_mpi_prep.lua "$dir" "$EVENTS" 2
for np in 1 2; do
  OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 mpirun $FLAGS -np $np $LUAJIT tests/bench/bench_mpi.lua "$dir" > "$dir/np$np.txt"
done
cat "$dir/np1.txt" "$dir/np2.txt" | awk '
function get(line, key,   m) { if (match(line, key "=[^ ]+")) return substr(line, RSTART + length(key) + 1, RLENGTH - length(key) - 1); return "" }
/^RESULT np=/ { n = get($0, "np"); for (i = split("load_s fit_s eval_s train_s train_step_s allreduce_step_s bytes_per_step ndcg theta_sum users", k, " "); i > 0; i--) v[n, k[i]] = get($0, k[i]); ev = get($0, "events") }
/^RESULT_AR/ { print "  all-reduce np 2: " get($0, "bytes") " bytes in " get($0, "seconds") " s" }
/^RESULT_MODEL/ { alpha = get($0, "alpha_s"); beta = get($0, "beta_s_per_byte") }
END {
  printf "scaling on %d events, one machine (2 cores shared), wall seconds per phase:\n", ev
  printf "  %-6s %9s %9s %9s %7s %7s\n", "phase", "np 1", "np 2", "speed-up", "eff.", ""
  split("load_s fit_s eval_s train_s", ph, " ")
  for (i = 1; i <= 4; i++) { a = v[1, ph[i]]; b = v[2, ph[i]]
    printf "  %-6s %9.3f %9.3f %8.2fx %6.0f%%\n", substr(ph[i], 1, length(ph[i]) - 2), a, b, a / b, 100 * a / (2 * b) }
  if (v[1, "theta_sum"] + 0 == 0 || (v[1, "theta_sum"] - v[2, "theta_sum"])^2 > 1e-8 * v[1, "theta_sum"]^2 || (v[1, "ndcg"] - v[2, "ndcg"])^2 > 1e-18 || v[1, "users"] != v[2, "users"]) {
    print "MISMATCH between np 1 and np 2: theta_sum " v[1, "theta_sum"] " vs " v[2, "theta_sum"] ", NDCG " v[1, "ndcg"] " vs " v[2, "ndcg"]; bad = 1 }
  else printf "  np 1 and np 2 agree: NDCG@10 %.5f over %d users, gathered per-user fits (sum theta %s)\n", v[1, "ndcg"], v[1, "users"], v[1, "theta_sum"]
  bytes = v[2, "bytes_per_step"]; comp = v[1, "train_step_s"] - v[1, "allreduce_step_s"]
  printf "communication: %d bytes per step (one flat f32 gradient block); all-reduce at np 2 %.6f s/step; compute at np 1 %.4f s/step\n", bytes, v[2, "allreduce_step_s"], comp
  printf "ring model fitted on this machine: alpha = %.2e s, beta = %.2e s/byte (%.1f GB/s)\n", alpha, beta, 1e-9 / beta
  printf "projected training efficiency at a fixed global batch, E(N) = (c/N) / (c/N + 2(N-1)a + 2(N-1)/N b B):\n"
  printf "  %-28s %7s %7s %7s %7s\n", "transport", "N=8", "N=16", "N=32", "N=64"
  nets = 3; name[1] = "this machine (shared memory)"; a[1] = alpha; bb[1] = beta
  name[2] = "10 GbE (a=20us, 1.1 GB/s)"; a[2] = 2e-5; bb[2] = 1 / 1.1e9
  name[3] = "100 Gb IB (a=2us, 11 GB/s)"; a[3] = 2e-6; bb[3] = 1 / 11e9
  for j = 1; j <= nets; j++) { printf "  %-28s", name[j]
    for (N = 8; N <= 64; N *= 2) { c = comp / N; t = 2 * (N - 1) * a[j] + 2 * (N - 1) / N * bb[j] * bytes; printf " %6.0f%%", 100 * c / (c + t) }
    printf "\n" }
  exit bad }'
