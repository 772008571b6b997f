#!/bin/sh
# bench_sentiment — each Chinese review corpus (and the English beauty reviews) on a
# stratified 80/20 split (tide.sentiment.io.stratified_split, written to temp files): Tide's
# default model (tide.sentiment.linear.train_stack: TF-IDF + NB-TF-IDF at C 4 weighted
# by internal 3-fold CV on the training file), "mix" (TF-IDF + NB-binary linear + fastText),
# fastText alone, the lexicon and optionally the TextCNNs, against the scikit-learn peer (TF-IDF char 1-3-grams +
# liblinear logistic regression, C chosen on the training rows) run here on the SAME files.
# Per model: accuracy, F1, AUC, train time, in-process predictions/s over the whole corpus.
# Then each model is paired with the peer row by row (sentiment_paired.lua): difference with
# a 95 % interval and McNemar's exact p.
# Goals (issue 17): the default >= 1 accuracy point above the peer on each Chinese corpus,
# training < 30 s on online_shopping_10_cats on two cores, >= 50,000 predictions/s.
# BENCH_CNN=1 adds the TextCNNs (minutes); BENCH_CORPORA=hotel,waimai limits the corpora.
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
LUAJIT=${LUAJIT:-luajit}
if [ ! -d ../shared/data/chinese-review-sentiment ]; then echo "skip: ../shared/data not found"; exit 0; fi
TMP=$(mktemp -d /tmp/tide_bench_sentiment.XXXXXX) || exit 1
trap 'rm -rf "$TMP"' EXIT
cnn=; [ "${BENCH_CNN:-0}" = 1 ] && cnn=cnn
tide_out=$($LUAJIT tests/bench/bench_sentiment.lua "$TMP" $cnn) || { echo "$tide_out"; exit 1; }
echo "$tide_out" | grep -v '^RESULT'
if ! /usr/bin/python3 -c 'import sklearn' 2>/dev/null; then
  if [ "$(id -u)" = 0 ]; then apt-get install -y -qq python3-sklearn >/dev/null 2>&1; fi
fi
peer=""
if /usr/bin/python3 -c 'import sklearn' 2>/dev/null; then
  for n in hotel waimai shopping beauty_en; do
    [ -f "$TMP/${n}_train.csv" ] || continue
    peer="$peer
$(/usr/bin/python3 tests/bench/bench_sentiment_sklearn.py "$n" "$TMP/${n}_train.csv" "$TMP/${n}_test.csv" "$TMP/${n}_sklearn.p")"
  done
else
  echo "peer skipped: no python3-sklearn (apt-get install python3-sklearn)"
fi
printf '%s\n%s\n' "$tide_out" "$peer" | awk '
  function val(s, k,   m) { if (match(s, k "=[^ ]*")) return substr(s, RSTART + length(k) + 1, RLENGTH - length(k) - 1); return "" }
  /^RESULT/ && / model=/ { n = $2; m = val($0, "model"); key = n SUBSEP m; acc[key] = val($0, "acc"); f1[key] = val($0, "f1");
    auc[key] = val($0, "auc"); tr[key] = val($0, "train_s"); pr[key] = val($0, "pred_per_s"); if (!(n in seen)) { seen[n] = 1; names[++nn] = n }
    if (!(m in mseen)) { mseen[m] = 1; models[++nm] = m } }
  /^RESULT/ && !/ model=/ { n = $2; key = n SUBSEP "sklearn"; acc[key] = val($0, "acc"); f1[key] = val($0, "f1"); auc[key] = val($0, "auc");
    tr[key] = val($0, "train_s"); pr[key] = val($0, "pred_per_s"); cc[n] = val($0, "C") }
  END {
    models[++nm] = "sklearn"
    printf "%-10s %-9s %7s %7s %7s %9s %11s %s\n", "corpus", "model", "acc", "F1", "AUC", "train_s", "pred/s", "vs sklearn (acc points)"
    for (i = 1; i <= nn; i++) for (j = 1; j <= nm; j++) { k = names[i] SUBSEP models[j]; if (!(k in acc)) continue
      d = ""; s = names[i] SUBSEP "sklearn"
      if (models[j] != "sklearn" && (s in acc)) d = sprintf("%+.2f", 100 * (acc[k] - acc[s]))
      if (models[j] == "sklearn") d = "(C=" cc[names[i]] ")"
      rate = (pr[k] + 0 > 0) ? sprintf("%11.0f", pr[k]) : sprintf("%11s", "-")
      printf "%-10s %-9s %7.4f %7.4f %7.4f %9.2f %s %s\n", names[i], models[j], acc[k], f1[k], auc[k], tr[k], rate, d }
    k = "shopping" SUBSEP "default"
    if (k in tr) printf "goal: default model training on online_shopping_10_cats %.2f s (< 30 s): %s; prediction %.0f reviews/s (>= 50k): %s\n",
      tr[k], (tr[k] + 0 < 30 ? "OK" : "SLOW"), pr[k], (pr[k] + 0 >= 50000 ? "OK" : "SLOW")
  }'
echo "paired with the peer on the same test rows (a difference whose interval contains 0 is noise):"
$LUAJIT tests/bench/sentiment_paired.lua "$TMP"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
