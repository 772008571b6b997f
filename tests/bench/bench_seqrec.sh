#!/bin/sh
# bench_seqrec.sh — SASRec training and evaluation, Tide (bench_seqrec.lua) versus the PyTorch
# peer (../shared/peer/sasrec_torch.py) in the same run, at the SASRec paper's settings (d 50,
# 2 blocks, 1 head, batch 128, Adam 1e-3 / 0.98): on Amazon Games (Video.txt.gz, maxlen 50,
# dropout 0.5) and on random data of MovieLens-1M's shape (maxlen 200, dropout 0.2).
# The peer runs at 1 and 2 threads and its best is the reference (one torch thread is faster
# on 2 cores); Tide runs with OpenBLAS at 2 threads, with its default length-bucketed batches
# (and, on the second row, with padded random batches as the peer). Goals (issue 19): epoch time <= 0.4x,
# peak RSS <= 0.33x, full-ranking evaluation of all users < 0.5 s.
# BENCH_EPOCHS (default 3) epochs per run; BENCH_SETS (default "games ml1m").
cd "$(dirname "$0")/../.." || exit 1
LUAJIT=${LUAJIT:-luajit}
PY=/usr/bin/python3
PEER=../shared/peer
EPOCHS=${BENCH_EPOCHS:-3}
SETS=${BENCH_SETS:-"games ml1m"}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

have_torch=1
if ! "$PY" -c "import torch" 2>/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "bench_seqrec: installing python3-torch"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-torch >/dev/null 2>&1
  fi
  "$PY" -c "import torch" 2>/dev/null || { have_torch=0; echo "bench_seqrec: PyTorch is not available; Tide's figures only"; }
fi

for set in $SETS; do
  case $set in
    games) zcat ../shared/data/seqrec-amazon/Video.txt.gz >"$tmp/data.txt"; maxlen=50; drop=0.5 ;;
    ml1m) "$PY" "$PEER/prep_data.py" synth-ml1m "$tmp/data.txt" 1 >/dev/null; maxlen=200; drop=0.2 ;;
    *) echo "bench_seqrec: unknown set $set"; continue ;;
  esac
  OPENBLAS_NUM_THREADS=2 "$LUAJIT" tests/bench/bench_seqrec.lua "$tmp/data.txt" "$EPOCHS" "$maxlen" "$drop" >"$tmp/tide.txt" 2>&1
  grep -v '^RESULT' "$tmp/tide.txt" | sed "s/^/  tide $set: /"
  for th in 1 2; do
    [ "$have_torch" = 1 ] || break
    OMP_NUM_THREADS=$th "$PY" "$PEER/sasrec_torch.py" --data "$tmp/data.txt" --epochs "$EPOCHS" --threads "$th" \
      --maxlen "$maxlen" --dropout "$drop" --eval none --time-eval >"$tmp/torch$th.txt" 2>&1
  done
  awk -v set="$set" -v have="$have_torch" '
    FILENAME ~ /tide/ && $1 == "RESULT" { t[$2] = $3 + 0 }
    FILENAME ~ /torch/ {
      if (match($0, /"median_epoch_s": [0-9.]+/)) { v = substr($0, RSTART + 18, RLENGTH - 18) + 0; if (!("e" in p) || v < p["e"]) p["e"] = v }
      if (match($0, /"peak_rss_mib": [0-9.]+/)) { v = substr($0, RSTART + 16, RLENGTH - 16) + 0; if (!("r" in p) || v < p["r"]) p["r"] = v }
      if ($0 ~ /eval_timing/ && $0 ~ /"full"/ && match($0, /"seconds": [0-9.]+/)) { v = substr($0, RSTART + 11, RLENGTH - 11) + 0; if (!("f" in p) || v < p["f"]) p["f"] = v }
      if ($0 ~ /eval_timing/ && $0 ~ /"sampled"/ && match($0, /"seconds": [0-9.]+/)) { v = substr($0, RSTART + 11, RLENGTH - 11) + 0; if (!("s" in p) || v < p["s"]) p["s"] = v }
    }
    END {
      printf "%-6s %-22s %10s %10s %7s %s\n", set, "measure", "tide", "torch", "ratio", "goal"
      row("epoch seconds (median)", t["epoch_s"], p["e"], "<= 0.4")
      row("  same, padded batches", t["epoch_padded_s"], p["e"], "(the peer pads to maxlen)")
      row("peak RSS MiB (training)", t["train_rss_mib"], p["r"], "<= 0.33")
      row("full-ranking eval s", t["eval_full_s"], p["f"], "< 0.5 s")
      row("sampled eval s", t["eval_sampled_s"], p["s"], "<= 0.2")
    }
    function row(name, a, b, goal) {
      if (have == 1 && b > 0) printf "%-6s %-22s %10.3f %10.3f %7.2f %s\n", set, name, a, b, a / b, goal
      else printf "%-6s %-22s %10.3f %10s %7s %s\n", set, name, a, "-", "-", goal
    }' "$tmp/tide.txt" "$tmp"/torch*.txt 2>/dev/null
done
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null) on $(nproc 2>/dev/null) cores"
echo "(peak RSS of the peer is of the whole process, including evaluation; Tide's is measured after training)"
