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
