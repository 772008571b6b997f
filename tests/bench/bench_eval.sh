#!/bin/sh
# bench_eval — (1) full-ranking evaluation over all users x items of the Video/"Games" set
# (31,013 x 23,715) with seen exclusion, Tide (C kernels) vs a PyTorch peer on identical
# scores; target: metric computation (ranks, exclusion, HR/NDCG/MRR) + top-10 under 0.5 s.
# (2) per-user decay fitting for 100k simulated users, vs scipy fitting user by user.
DATA=../shared/data/seqrec-amazon/Video.txt.gz
LUAJIT=${LUAJIT:-luajit}
have_py() { /usr/bin/python3 -c "import $1" 2>/dev/null; }
if [ ! -f "$DATA" ]; then echo "skip: $DATA not found"; else
  tide_out=$($LUAJIT tests/bench/bench_eval.lua "$DATA") || { echo "$tide_out"; exit 1; }
  echo "$tide_out" | grep -v '^RESULT'
  if have_py torch; then
    peer_out=$(/usr/bin/python3 tests/bench/peer_eval.py "$DATA" 1)
    echo "$peer_out" | grep -v '^RESULT'
    tm=$(echo "$tide_out" | sed -n 's/.*tide_metric_s=\([0-9.]*\).*/\1/p')
    tk=$(echo "$tide_out" | sed -n 's/.*tide_topk_s=\([0-9.]*\).*/\1/p')
    pm=$(echo "$peer_out" | sed -n 's/.*peer_metric_s=\([0-9.]*\).*/\1/p')
    pk=$(echo "$peer_out" | sed -n 's/.*peer_topk_s=\([0-9.]*\).*/\1/p')
    tf=$(echo "$tide_out" | sed -n 's/.*tide_fused_s=\([0-9.]*\).*/\1/p')
    awk -v tm="$tm" -v tk="$tk" -v tf="$tf" -v pm="$pm" -v pk="$pk" 'BEGIN {
      printf "ratio: metric peer/tide = %.1fx, top-10 peer/tide = %.1fx, metric+top-10 peer/tide(fused) = %.1fx\n",
        pm / tm, pk / tk, (pm + pk) / tf
      printf "tide metric incl. top-10 and seen exclusion (fused) = %.3f s (target < 0.5 s): %s\n", tf, (tf < 0.5 ? "OK" : "SLOW (machine busy? see CPU time)") }'
  else
    echo "peer skipped: /usr/bin/python3 has no torch (apt-get install python3-torch)"
  fi
fi
echo "-- per-user decay fitting, 100k simulated users"
fit_out=$($LUAJIT tests/bench/bench_decay_fit.lua 100000) || { echo "$fit_out"; exit 1; }
echo "$fit_out" | grep -v '^RESULT'
if have_py scipy; then
  pd=$(/usr/bin/python3 tests/bench/peer_decay.py 100000 2000)
  echo "$pd" | grep -v '^RESULT'
  tw=$(echo "$fit_out" | sed -n 's/.*fit_weibull_plain_s=\([0-9.]*\).*/\1/p')
  pw=$(echo "$pd" | sed -n 's/.*peer_weibull_s=\([0-9.]*\).*/\1/p')
  awk -v t="$tw" -v p="$pw" 'BEGIN { printf "ratio: per-user Weibull MLE peer/tide = %.0fx\n", p / t }'
else
  echo "peer skipped: /usr/bin/python3 has no scipy"
fi
