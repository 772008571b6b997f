"""bench_activation_sklearn.py — scikit-learn peers of bench_activation.lua on the identical
matrices and user split it exported: LogisticRegression(C=1) on StandardScaler output (the
same penalty as Tide's l2 = 1 on standardised features) and HistGradientBoostingClassifier
with the same tree settings as Tide's GBDT. Prints "RESULT scenario model auc fit_seconds"
and "COEF scenario max_abs_diff" (standardised-scale coefficients, intercept included).
usage: python3 bench_activation_sklearn.py OUTDIR scenario..."""
import sys
import time

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.preprocessing import StandardScaler


def load(path):
    a = np.loadtxt(path, delimiter=",", dtype=np.float64, ndmin=2)
    return a[:, 1:], a[:, 0]


def main():
    out = sys.argv[1]
    for name in sys.argv[2:]:
        Xtr, ytr = load(f"{out}/{name}_lr_train.csv")
        Xte, yte = load(f"{out}/{name}_lr_test.csv")
        sc = StandardScaler().fit(Xtr)
        t0 = time.perf_counter()
        # newton-cholesky converges to ~1e-8; lbfgs stops ~1e-2 away on these matrices
        lr = LogisticRegression(C=1.0, solver="newton-cholesky", tol=1e-10, max_iter=1000).fit(
            sc.transform(Xtr), ytr)
        secs = time.perf_counter() - t0
        auc = roc_auc_score(yte, lr.predict_proba(sc.transform(Xte))[:, 1])
        print(f"RESULT {name} sk_lr {auc:.4f} {secs:.4f}")
        tide = np.array([float(line.split(",")[-1]) for line in open(f"{out}/{name}_coef.csv")])
        sk = np.concatenate([lr.intercept_, lr.coef_[0]])
        print(f"COEF {name} {np.max(np.abs(tide - sk)):.3g} {np.max(np.abs(sk)):.3g}")
        Xtr, ytr = load(f"{out}/{name}_gb_train.csv")
        Xte, yte = load(f"{out}/{name}_gb_test.csv")
        t0 = time.perf_counter()
        gb = HistGradientBoostingClassifier(max_iter=200, learning_rate=0.05, max_leaf_nodes=31,
                                            max_depth=None, min_samples_leaf=20,
                                            early_stopping=False, random_state=0).fit(Xtr, ytr)
        secs = time.perf_counter() - t0
        auc = roc_auc_score(yte, gb.predict_proba(Xte)[:, 1])
        print(f"RESULT {name} sk_hgb {auc:.4f} {secs:.4f}")


if __name__ == "__main__":
    main()
