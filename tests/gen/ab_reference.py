# Independent XXH64 (from the xxHash spec) + scipy reference values for tests/c/test_ab_*.c
import struct
from scipy import stats, special
M=(1<<64)-1
P1,P2,P3,P4,P5=0x9E3779B185EBCA87,0xC2B2AE3D27D4EB4F,0x165667B19E3779F9,0x85EBCA77C2B2AE63,0x27D4EB2F165667C5
rotl=lambda x,r:((x<<r)|(x>>(64-r)))&M
def rnd(a,i): a=(a+i*P2)&M; return (rotl(a,31)*P1)&M
def mrg(a,v): a^=rnd(0,v); return (a*P1+P4)&M
def xx64(b,seed=0):
    n=len(b); i=0
    if n>=32:
        v=[(seed+P1+P2)&M,(seed+P2)&M,seed,(seed-P1)&M]
        while i+32<=n:
            for k in range(4): v[k]=rnd(v[k],struct.unpack_from('<Q',b,i+8*k)[0])
            i+=32
        h=(rotl(v[0],1)+rotl(v[1],7)+rotl(v[2],12)+rotl(v[3],18))&M
        for k in range(4): h=mrg(h,v[k])
    else: h=(seed+P5)&M
    h=(h+n)&M
    while i+8<=n: h^=rnd(0,struct.unpack_from('<Q',b,i)[0]); h=(rotl(h,27)*P1+P4)&M; i+=8
    if i+4<=n: h^=(struct.unpack_from('<I',b,i)[0]*P1)&M; h=(rotl(h,23)*P2+P3)&M; i+=4
    while i<n: h^=(b[i]*P5)&M; h=(rotl(h,11)*P1)&M; i+=1
    h^=h>>33; h=(h*P2)&M; h^=h>>29; h=(h*P3)&M; h^=h>>32
    return h
for s in [b"", b"abc", b"user-12345", bytes(range(100))]:
    print(s[:12], "%016x"%xx64(s), "%016x"%xx64(s, 42))
salt=b"exp-2026-spring"; seed=xx64(salt)
def arm(i, w=(0.5,0.3,0.2), hold=0.1):
    u=(xx64(str(i).encode(),seed)>>11)/2.0**53
    if u<hold: return 0
    v=(u-hold)/(1-hold); c=0; s=sum(w)
    for k,x in enumerate(w):
        c+=x
        if v*s<c: return k+1
print("arms", [arm(i) for i in [1,2,3,17,42,1000,99999,123456789]])
print("arms_str", [arm(x) for x in ["alice","bob","u-7"]] if False else "")
def armb(b, w=(0.5,0.3,0.2), hold=0.1):
    u=(xx64(b,seed)>>11)/2.0**53
    if u<hold: return 0
    v=(u-hold)/(1-hold); c=0; s=sum(w)
    for k,x in enumerate(w):
        c+=x
        if v*s<c: return k+1
print("arms_str", [armb(x) for x in [b"alice",b"bob",b"u-7"]])
print("unit 42", repr((xx64(b"42",seed)>>11)/2.0**53))
for p in [0.975, 0.995, 0.6, 1e-6]:
    print("norm_ppf", p, repr(stats.norm.ppf(p)))
for p,df in [(0.975,1),(0.975,2.5),(0.975,10),(0.995,30),(0.025,7),(1e-6,3),(0.999,1000)]:
    print("t_ppf", p, df, repr(stats.t.ppf(p,df)))
for t,df in [(2.0,5),(-1.3,12.5),(0.0,3),(8.0,2)]:
    print("t_cdf", t, df, repr(stats.t.cdf(t,df)))
for x,df in [(3.841458820694124,1),(10.0,3),(0.5,2),(100.0,80),(250.0,60),(1e-3,4)]:
    print("chi2_sf", x, df, repr(stats.chi2.sf(x,df)))
for a,x in [(0.5,0.2),(3.0,2.5),(10.0,14.0),(50.0,40.0)]:
    print("gamma_p", a, x, repr(special.gammainc(a,x)))
for a,b,x in [(2.0,3.0,0.4),(0.5,0.5,0.9),(30.0,12.0,0.7)]:
    print("betainc", a,b,x, repr(special.betainc(a,b,x)))
# Student t quantiles at 40 digits with mpmath (scipy's stdtrit is only good to ~1e-10):
# the upper quantile t of the lower tail p solves I_{d/(d+t^2)}(d/2, 1/2) / 2 = p
import mpmath
mpmath.mp.dps = 40
for p, d in [("0.025", 1), ("0.025", 2.5), ("0.025", 10), ("0.005", 30), ("0.025", 7), ("1e-6", 3), ("0.001", 1000)]:
    g = lambda t: mpmath.betainc(d / 2., 0.5, 0, d / (d + t ** 2), regularized=True) / 2 - mpmath.mpf(p)
    print("t_ppf mpmath lower tail", p, d, mpmath.nstr(-mpmath.findroot(g, (1.0, 200.0), solver="illinois"), 20))
