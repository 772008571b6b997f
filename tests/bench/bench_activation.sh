#!/bin/sh
# bench_activation.sh — activation quality on UCI Online Retail (churn within 90 days;
# reactivation of customers dormant >= 60 days) and on the simulator: Tide logistic / Tide GBDT
# (bench_activation.lua) against scikit-learn LogisticRegression / HistGradientBoostingClassifier
# (bench_activation_sklearn.py) on the identical feature matrix and user split; test AUCs and
# fit seconds side by side, the LR coefficient max |difference| at the same penalty, and the
# simulator's ECE before/after calibration and AUC gains of the decay and sentiment features.
cd "$(dirname "$0")/../.." || exit 1
LUAJIT=${LUAJIT:-luajit}
PY=/usr/bin/python3
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
out="$dir/results.txt"
# one thread on each side: a shared 2-core machine makes thread counts above 1 noise
OPENBLAS_NUM_THREADS=1 TIDE_THREADS=1 "$LUAJIT" tests/bench/bench_activation.lua "$dir" >"$out" || { cat "$out"; exit 1; }
if "$PY" -c "import sklearn" 2>/dev/null; then
  OMP_NUM_THREADS=1 "$PY" tests/bench/bench_activation_sklearn.py "$dir" uci_churn uci_react sim >>"$out" || exit 1
else
  echo "bench_activation: scikit-learn is not available; Tide's figures only"
fi
grep '^NOTE ' "$out" | sed 's/^NOTE //'
echo
awk '
  /^RESULT / { auc[$2 " " $3] = $4; sec[$2 " " $3] = $5 }
  /^COEF /   { coef[$2] = $3; scale[$2] = $4 }
  END {
    printf "%-10s %18s %18s %18s %18s %14s\n", "scenario", "tide LR auc (s)", "sklearn LR", "tide GBDT", "sklearn HGB", "LR |dcoef|max"
    n = split("uci_churn uci_react sim", s, " ")
    for (i = 1; i <= n; i++) {
      line = sprintf("%-10s", s[i])
      m = split("tide_lr sk_lr tide_hgb sk_hgb", k, " ")
      for (j = 1; j <= m; j++) {
        key = s[i] " " k[j]
        if (key in auc) line = line sprintf(" %9.4f (%6.3f)", auc[key], sec[key])
        else line = line sprintf(" %18s", "-")
      }
      if (s[i] in coef) line = line sprintf(" %7s/%-6s", coef[s[i]], scale[s[i]])
      print line
    }
  }' "$out"
