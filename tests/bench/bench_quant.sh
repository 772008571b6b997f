#!/bin/sh
# bench_quant — int8 and pruned scoring tables vs f32 (the peer, same run): ranking quality
# (NDCG@10 / HR@10, item2vec on the SASRec Beauty set) and classification accuracy (an MLP),
# memory and CPU time of scoring (512 users, one user), one BLAS thread.
DATA=../shared/data/seqrec-amazon/Beauty.txt
LUAJIT=${LUAJIT:-luajit}
if [ ! -f "$DATA" ]; then echo "skip: $DATA not found"; exit 0; fi
OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 $LUAJIT tests/bench/bench_quant.lua "$DATA" "${EVAL_USERS:-6000}"
