"""bench_sentiment_sklearn.py — the peer for bench_sentiment: scikit-learn TF-IDF character
1-3-grams (sublinear tf, min_df 2) + logistic regression (liblinear), C chosen from {1, 4, 16}
on a validation slice of the training file (every 10th row), then refit on all of it.
Reads the SAME train/test CSV files (label,review) that bench_sentiment.lua wrote.
Usage: bench_sentiment_sklearn.py NAME TRAIN.csv TEST.csv [PROBS] -> one RESULT line; with
PROBS, the test probabilities one per line (for the paired comparison, sentiment_paired.lua)."""
import csv
import sys
import time

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score, roc_auc_score


def load(path):
    with open(path, newline="", encoding="utf-8") as f:
        r = csv.reader(f)
        next(r)
        rows = list(r)
    return [x[1] for x in rows], np.array([int(x[0]) for x in rows])


def fit(texts, y, c):
    vec = TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True, min_df=2)
    x = vec.fit_transform(texts)
    return vec, LogisticRegression(C=c, solver="liblinear", max_iter=2000).fit(x, y)


def main():
    name, train_path, test_path = sys.argv[1:4]
    xa, ya = load(train_path)
    xb, yb = load(test_path)
    t0 = time.time()
    val = np.arange(len(xa)) % 10 == 0
    best_c, best = 1.0, -1.0
    for c in (1.0, 4.0, 16.0):
        vec, m = fit([t for t, v in zip(xa, val) if not v], ya[~val], c)
        acc = accuracy_score(ya[val], m.predict(vec.transform([t for t, v in zip(xa, val) if v])))
        if acc > best:
            best_c, best = c, acc
    t1 = time.time()
    vec, m = fit(xa, ya, best_c)
    t2 = time.time()
    p = m.predict_proba(vec.transform(xb))[:, 1]
    t3 = time.time()
    if len(sys.argv) > 4:
        np.savetxt(sys.argv[4], p, fmt="%.9g")
    print("RESULT %s acc=%.4f f1=%.4f auc=%.4f train_s=%.2f select_s=%.2f pred_per_s=%.0f C=%g" % (
        name, accuracy_score(yb, p > 0.5), f1_score(yb, p > 0.5), roc_auc_score(yb, p),
        t2 - t1, t1 - t0, len(xb) / (t3 - t2), best_c))


if __name__ == "__main__":
    main()
