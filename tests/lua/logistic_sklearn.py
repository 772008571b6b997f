"""logistic_sklearn.py — reference values for tests/lua/test_logistic.lua, computed by sklearn
and numpy (an implementation independent of Tide's).

Usage: /usr/bin/python3 tests/lua/logistic_sklearn.py data.csv
data.csv: one row per observation, columns y, w, x1..xd (X is rounded to float32 first, as Tide
stores it). Prints one line per case, "name v0 v1 ... vd" (intercept first, %.12g):
  raw_C<c>      LogisticRegression(C=c) on raw X           -> Tide l2 = 1/c, standardize = false
  std_C1        the same on StandardScaler(X) (ddof 0)     -> Tide standardize = true, beta_std
  balanced_C1   class_weight="balanced", raw X
  weighted_C1   sample_weight=w, raw X
  enet_C0.2    saga, elasticnet l1_ratio 0.5 on scaled X  -> l2 = l1 = 0.5 / 0.2
  l1_C0.1      saga, l1 on scaled X                       -> l1 = 1 / 0.1, l2 = 0
  l1raw_C0.2    saga, l1 on raw X                          -> l1 = 1 / 0.2, l2 = 0, standardize = false
  unpen         penalty=None, raw X; se_unpen: sqrt(diag(inv(X'VX))) at that optimum (the
                statsmodels Logit closed form); se_C1: sqrt(diag(inv(X'VX + I'))) at raw_C1
"""
import sys
import warnings

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

warnings.filterwarnings("ignore")
D = np.loadtxt(sys.argv[1], delimiter=",", ndmin=2)
y, w = D[:, 0].astype(int), D[:, 1]
X = D[:, 2:].astype(np.float32).astype(np.float64)
Z = StandardScaler().fit_transform(X)


def fit(A, C=1.0, solver="newton-cholesky", **kw):
    sw = kw.pop("sample_weight", None)
    m = LogisticRegression(C=C, solver=solver, tol=1e-14 if solver == "saga" else 1e-12,
                           max_iter=200000 if solver == "saga" else 1000, **kw)
    m.fit(A, y, sample_weight=sw)
    return np.r_[m.intercept_, m.coef_[0]]


def se(b, l2):
    A = np.c_[np.ones(len(y)), X]
    p = 1 / (1 + np.exp(-A @ b))
    H = A.T @ (A * (p * (1 - p))[:, None]) + l2 * np.diag(np.r_[0, np.ones(X.shape[1])])
    return np.sqrt(np.diag(np.linalg.inv(H)))


out = {}
for C in (0.1, 1.0, 10.0):
    out["raw_C%g" % C] = fit(X, C)
out["std_C1"] = fit(Z)
out["balanced_C1"] = fit(X, class_weight="balanced")
out["weighted_C1"] = fit(X, sample_weight=w)
out["enet_C0.2"] = fit(Z, 0.2, "saga", penalty="elasticnet", l1_ratio=0.5)
out["l1_C0.1"] = fit(Z, 0.1, "saga", penalty="l1")
out["l1raw_C0.2"] = fit(X, 0.2, "saga", penalty="l1")
out["unpen"] = fit(X, penalty=None)
out["se_unpen"] = se(out["unpen"], 0)
out["se_C1"] = se(out["raw_C1"], 1)
for k, v in out.items():
    print(k, " ".join("%.12g" % x for x in v))
