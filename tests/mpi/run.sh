#!/bin/sh
# tests/mpi/run.sh — the MPI checks (check_mpi.lua) with -np 1 and -np 2 on this machine, then
# the sharded results of the two runs compared. Skips with a message when mpirun is absent.
set -eu
cd "$(dirname "$0")/../.."
LUAJIT=${LUAJIT:-luajit}
if ! command -v mpirun >/dev/null 2>&1; then echo "test-mpi: SKIPPED (mpirun not installed)"; exit 0; fi
if [ ! -f lua/tide/mpi_core.so ]; then echo "test-mpi: lua/tide/mpi_core.so missing (run make mpi)"; exit 1; fi
# OpenMPI refuses root without this flag; --oversubscribe lets 2 ranks run on a 1-core box
FLAGS="--oversubscribe"
[ "$(id -u)" = 0 ] && FLAGS="$FLAGS --allow-run-as-root"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export TIDE_MPI_TMP="$tmp" OMPI_MCA_btl_vader_single_copy_mechanism=none OPENBLAS_NUM_THREADS=1
for np in 1 2; do
  mpirun $FLAGS -np $np "$LUAJIT" tests/mpi/check_mpi.lua "$tmp/np$np.txt"
done
"$LUAJIT" tests/mpi/compare.lua "$tmp/np1.txt" "$tmp/np2.txt"
# data-parallel `tide train`: two runs on 2 ranks save byte-identical models (results depend
# only on N and the seed), and 1 rank under mpirun equals the plain serial command
for run in a b; do
  mpirun $FLAGS -np 2 "$LUAJIT" scripts/tide train tests/mpi/train_tiny.lua --quiet --save "$tmp/np2$run.ckpt" >"$tmp/np2$run.out"
done
cmp -s "$tmp/np2a.ckpt" "$tmp/np2b.ckpt" || { echo "test-mpi: FAILED: two np 2 trainings differ"; exit 1; }
grep -q "data-parallel on 2 MPI ranks" "$tmp/np2a.out" || { echo "test-mpi: FAILED: tide train did not run data-parallel"; cat "$tmp/np2a.out"; exit 1; }
mpirun $FLAGS -np 1 "$LUAJIT" scripts/tide train tests/mpi/train_tiny.lua --quiet --save "$tmp/np1.ckpt" >/dev/null
"$LUAJIT" scripts/tide train tests/mpi/train_tiny.lua --quiet --save "$tmp/serial.ckpt" >/dev/null
cmp -s "$tmp/np1.ckpt" "$tmp/serial.ckpt" || { echo "test-mpi: FAILED: np 1 differs from the serial run"; exit 1; }
echo "test-mpi: tide train on 2 ranks is deterministic; np 1 equals the serial run"
