# BCa / percentile reference for a fixed replicate vector and jackknife values (numpy, formulas
# of Efron & Tibshirani 1993 ch. 14 and Davison & Hinkley 1997 eq. 5.25), for test_ab_boot.c
import numpy as np
from scipy.stats import norm
B=200
reps=np.array([((i*37)%B)/B*2-1 + 0.3*np.sin(i) for i in range(B)])  # deterministic
est=0.1
ga=np.array([1.,2.,4.,8.,3.]); gb=np.array([2.,2.5,9.,1.])
jack=np.concatenate([ga,gb])
def acc(groups):
    num=den=0
    for g in groups:
        n=len(g); l=(n-1)*(g.mean()-g); num+=np.sum(l**3)/n**3; den+=np.sum(l**2)/n**2
    return num/(6*den**1.5)
a=acc([ga,gb])
share=(np.sum(reps<est)+0.5*np.sum(reps==est))/B
z0=norm.ppf(share)
q=lambda p: np.quantile(reps,p)  # type 7 (linear)
zl=z0+norm.ppf(0.05); zh=z0+norm.ppf(0.95)
print("a",repr(a),"z0",repr(z0))
print("pct",repr(q(0.05)),repr(q(0.95)))
print("bca",repr(q(norm.cdf(z0+zl/(1-a*zl)))),repr(q(norm.cdf(z0+zh/(1-a*zh)))))
print("sd",repr(reps.std(ddof=1)))
