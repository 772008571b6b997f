"""peer_decay.py — peer for bench_decay_fit.lua: per-user Weibull return-gap MLE with right
censoring, fitted user by user with scipy.optimize (L-BFGS-B, analytic gradient) — how one would
do it in Python without writing a batched solver. Same simulated law (rates ~ Gamma(3, 30),
shape 0.8, 120-day window). Fits a subset and extrapolates the time to all users."""
import sys, time
import numpy as np
from scipy.optimize import minimize

N = int(sys.argv[1]) if len(sys.argv) > 1 else 100000
SUB = int(sys.argv[2]) if len(sys.argv) > 2 else 2000
W, K = 120.0, 0.8
rng = np.random.default_rng(7)
users = []
for u in range(SUB):
    lam = rng.gamma(3.0, 1 / 30.0)
    t, gaps, ev = 0.0, [], []
    while True:
        g = rng.exponential() ** (1 / K) / lam
        if t + g > W:
            gaps.append(W - t); ev.append(0); break
        t += g; gaps.append(g); ev.append(1)
    users.append((np.array(gaps), np.array(ev, dtype=float)))

def nll(u, t, e):
    lam, k = np.exp(u)
    t = np.maximum(t, 1e-12)
    llt = np.log(lam * t)
    p = np.exp(k * llt)
    ll = np.sum(e * (np.log(k) + np.log(lam) + (k - 1) * llt) - p)
    gl = np.sum(e * k / lam - k * p / lam)
    gk = np.sum(e * (1 / k + llt) - p * llt)
    return -ll, -np.array([gl * lam, gk * k])

a = time.perf_counter()
for t, e in users:
    lam0 = max(e.sum(), 1) / t.sum()
    minimize(nll, np.log([lam0, 1.0]), args=(t, e), jac=True, method="L-BFGS-B")
b = time.perf_counter()
per = (b - a) / SUB
print("peer  scipy L-BFGS-B per-user Weibull: %d users in %.2f s -> %.1f s extrapolated to %d users" % (SUB, b - a, per * N, N))
print("RESULT peer_weibull_s=%.3f" % (per * N))
