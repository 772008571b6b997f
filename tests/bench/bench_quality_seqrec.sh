#!/bin/sh
# bench_quality_seqrec.sh — issue 19's quality table (tests/bench/quality_seqrec.lua): every
# sequential model at its defaults next to popularity, SAR and the decayed category profile,
# full-ranking and sampled-100 HR@10 / NDCG@10 with 95 % intervals, leave-last-out.
# Bounded for `make bench`: QUALITY_EPOCHS (default 5) caps every model's epochs and
# QUALITY_SETS defaults to the two small sets; the full table is
#   QUALITY_EPOCHS= QUALITY_SETS="games beauty movielens sim" sh tests/bench/bench_quality_seqrec.sh
cd "$(dirname "$0")/../.." || exit 1
LUAJIT=${LUAJIT:-luajit}
export QUALITY_EPOCHS="${QUALITY_EPOCHS-5}" QUALITY_SETS="${QUALITY_SETS:-movielens sim}"
echo "quality_seqrec: sets '$QUALITY_SETS', epochs capped at ${QUALITY_EPOCHS:-the defaults}"
"$LUAJIT" tests/bench/quality_seqrec.lua
