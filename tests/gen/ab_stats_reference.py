# Reference values for tests/lua/test_abtest_stats.lua (run with /usr/bin/python3; scipy 1.10).
import numpy as np
from scipy import stats
a = np.array([3.1, 4.7, 2.2, 5.9, 4.4, 3.8, 6.1, 2.9]); b = np.array([5.2, 6.8, 4.1, 7.7, 5.5, 6.0, 4.9])
r = stats.ttest_ind(b, a, equal_var=False)
va, vb = a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)
df = (va + vb) ** 2 / (va ** 2 / (len(a) - 1) + vb ** 2 / (len(b) - 1))
print("welch t", repr(r.statistic), "p", repr(r.pvalue), "df", repr(df))
# ratio metric by the delta method (Deng et al. 2018), written out with numpy
ya = np.array([10., 0, 5, 20, 7, 3]); xa = np.array([2., 1, 1, 4, 2, 1])
yb = np.array([12., 4, 9, 30, 2, 8, 6]); xb = np.array([2., 1, 2, 5, 1, 2, 1])
def rv(y, x):
    n = len(y); R = y.mean() / x.mean()
    C = np.cov(np.vstack([y, x]))  # ddof 1
    return R, (C[0, 0] - 2 * R * C[0, 1] + R * R * C[1, 1]) / (n * x.mean() ** 2)
Ra, Va = rv(ya, xa); Rb, Vb = rv(yb, xb)
print("ratio", repr(Ra), repr(Rb), "se", repr(np.sqrt(Va + Vb)), "p", repr(2 * stats.norm.sf(abs(Rb - Ra) / np.sqrt(Va + Vb))))
print("srm p", repr(stats.chisquare([5040, 4960, 1100], f_exp=np.array([0.45, 0.45, 0.1]) * 11100).pvalue))
