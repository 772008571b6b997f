"""peer_logistic.py — the sklearn side of bench_logistic.sh: draws the data set (numpy, seed 3),
writes it as CSV (y, x1..xd) for Tide, then times LogisticRegression(C=1) on the raw features
with lbfgs (default tol 1e-4) and newton-cholesky (tol 1e-10). Prints one line per solver:
"PEER <solver> <seconds> <iterations> <intercept> <coef...>".
Usage: peer_logistic.py out.csv [n] [d]"""
import sys
import time
import warnings

import numpy as np
from sklearn.linear_model import LogisticRegression

warnings.filterwarnings("ignore")
path = sys.argv[1]
n = int(sys.argv[2]) if len(sys.argv) > 2 else 100000
d = int(sys.argv[3]) if len(sys.argv) > 3 else 20
rng = np.random.default_rng(3)
# features of unequal scales and means (0..d-1): raw-scale solvers feel the conditioning
X = (rng.normal(size=(n, d)) * np.linspace(0.5, 3, d) + np.arange(d)).astype(np.float32)
beta = rng.normal(size=d) * 0.3
y = (rng.random(n) < 1 / (1 + np.exp(0.5 - (X - np.arange(d)) @ beta))).astype(np.float32)
np.savetxt(path, np.c_[y, X], fmt="%.9g", delimiter=",")
X = X.astype(np.float64)
for solver, tol in (("lbfgs", 1e-4), ("newton-cholesky", 1e-10)):
    t = time.perf_counter()
    m = LogisticRegression(C=1.0, solver=solver, tol=tol, max_iter=10000).fit(X, y)
    dt = time.perf_counter() - t
    print("PEER", solver, "%.4f" % dt, m.n_iter_[0], " ".join("%.12g" % v for v in np.r_[m.intercept_, m.coef_[0]]))
