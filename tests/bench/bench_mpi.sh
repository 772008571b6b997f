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
grep -h '^RESULT np=' "$dir/np1.txt" "$dir/np2.txt"   # the raw figures, kept in the output
cat "$dir/np1.txt" "$dir/np2.txt" | awk '
function get(line, key,   m) { if (match(line, key "=[^ ]+")) return substr(line, RSTART + length(key) + 1, RLENGTH - length(key) - 1); return "" }
/^RESULT np=/ { n = get($0, "np"); for (i = split("load_s fit_s eval_s train_s load_cpu fit_cpu eval_cpu train_cpu train_step_s allreduce_step_s bytes_per_step ndcg theta_sum users", k, " "); i > 0; i--) v[n, k[i]] = get($0, k[i]); ev = get($0, "events") }
/^RESULT_AR/ { print "  all-reduce np 2: " get($0, "bytes") " bytes in " get($0, "seconds") " s" }
/^RESULT_MODEL/ { alpha = get($0, "alpha_s"); beta = get($0, "beta_s_per_byte") }
END {
  printf "scaling on %d events, one machine: wall s (slowest rank: what you wait for) and CPU s of the\n", ev
  printf "busiest rank (the work per rank: the speed-up on otherwise idle cores); eff. = T1 / (2 T2):\n"
  printf "  %-6s %8s %8s %8s %6s | %8s %8s %8s %6s\n", "phase", "wall np1", "np2", "speed-up", "eff.", "CPU np1", "np2", "speed-up", "eff."
  split("load fit eval train", ph, " ")
  for (i = 1; i <= 4; i++) { t1 = v[1, ph[i] "_s"]; t2 = v[2, ph[i] "_s"]; c1 = v[1, ph[i] "_cpu"]; c2 = v[2, ph[i] "_cpu"]
    printf "  %-6s %8.3f %8.3f %7.2fx %5.0f%% | %8.3f %8.3f %7.2fx %5.0f%%\n", ph[i], t1, t2, t1 / t2, 100 * t1 / (2 * t2), c1, c2, c1 / c2, 100 * c1 / (2 * c2) }
  if (v[1, "theta_sum"] + 0 == 0 || (v[1, "theta_sum"] - v[2, "theta_sum"])^2 > 1e-8 * v[1, "theta_sum"]^2 || (v[1, "ndcg"] - v[2, "ndcg"])^2 > 1e-18 || v[1, "users"] != v[2, "users"]) {
    print "MISMATCH between np 1 and np 2: theta_sum " v[1, "theta_sum"] " vs " v[2, "theta_sum"] ", NDCG " v[1, "ndcg"] " vs " v[2, "ndcg"]; bad = 1 }
  else printf "  np 1 and np 2 agree: NDCG@10 %.5f over %d users, gathered per-user fits (sum theta %s)\n", v[1, "ndcg"], v[1, "users"], v[1, "theta_sum"]
  bytes = v[2, "bytes_per_step"]
  # compute per step at np 1 from CPU time (wall time is inflated by other jobs on the machine)
  comp = v[1, "train_cpu"] * v[1, "train_step_s"] / v[1, "train_s"]
  printf "communication: %d bytes per step (one flat f32 gradient block); all-reduce at np 2 (incl. waiting for the slower rank) %.6f s/step; compute at np 1 %.4f CPU s/step\n", bytes, v[2, "allreduce_step_s"], comp
  printf "ring model fitted on this machine: alpha = %.2e s, beta = %.2e s/byte (%.1f GB/s)\n", alpha, beta, 1e-9 / beta
  printf "projected training efficiency at a fixed global batch, E(N) = (c/N) / (c/N + 2(N-1)a + 2(N-1)/N b B):\n"
  printf "  %-28s %7s %7s %7s %7s\n", "transport", "N=8", "N=16", "N=32", "N=64"
  nets = 3; name[1] = "this machine (shared memory)"; lat[1] = alpha; bb[1] = beta
  name[2] = "10 GbE (a=20us, 1.1 GB/s)"; lat[2] = 2e-5; bb[2] = 1 / 1.1e9
  name[3] = "100 Gb IB (a=2us, 11 GB/s)"; lat[3] = 2e-6; bb[3] = 1 / 11e9
  for (j = 1; j <= nets; j++) { printf "  %-28s", name[j]
    for (N = 8; N <= 64; N *= 2) { c = comp / N; t = 2 * (N - 1) * lat[j] + 2 * (N - 1) / N * bb[j] * bytes; printf " %6.0f%%", 100 * c / (c + t) }
    printf "\n" }
  exit bad }'
