#!/bin/sh
# bench_fasttext_size — fastText model file size (format 2: changed rows only, lossless f32 or
# opt-in int8) per review corpus, against the format-1 size (every row as f32), and the
# held-out accuracy/AUC change of the int8 file. Peer: the format-1 layout (computed size).
LUAJIT=${LUAJIT:-luajit}
if [ ! -d ../shared/data/chinese-review-sentiment ]; then echo "skip: ../shared/data not found"; exit 0; fi
TMP=$(mktemp -d /tmp/tide_bench_ftsize.XXXXXX) || exit 1
trap 'rm -rf "$TMP"' EXIT
$LUAJIT tests/bench/bench_fasttext_size.lua "$TMP"
