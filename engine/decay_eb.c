/* decay_eb.c — empirical-Bayes shrinkage of exponential return rates (Gamma prior fitted by
 * marginal likelihood, per segment) and the extraction of return gaps from event sequences.
 *
 * Why a Gamma prior: with λ_s ~ Gamma(a, b) and an exponential gap law, a series with d
 * observed returns over exposure T (sum of its gaps, censored included) has likelihood
 * λ^d e^(−λT), so the posterior is Gamma(a+d, b+T) and the marginal is available in closed
 * form (Gamma-Poisson conjugacy, as in Fader & Hardie's customer-base models). A user with two
 * gaps gets a rate near the segment's a/b; a heavy user keeps its own d/T. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "decay.h"
#include "error.h"
#include "lbfgs.h"

double tide_digamma(double x)
{
    double r = 0;
    while (x < 10) { r -= 1 / x; x += 1; }
    double f = 1 / (x * x);
    /* asymptotic series: ln x − 1/(2x) − Σ B_2n / (2n x^2n) */
    return r + log(x) - 0.5 / x -
           f * (1.0 / 12 - f * (1.0 / 120 - f * (1.0 / 252 - f * (1.0 / 240 - f * (1.0 / 132)))));
}

typedef struct {
    const double *d, *T;
    const int64_t *idx;
    int64_t n;
} eb_ctx;

/* negative log marginal likelihood in (log a, log b) */
static double eb_nll(const double *u, double *g, int64_t F, void *vctx)
{
    (void)F;
    eb_ctx *c = vctx;
    double a = exp(u[0]), b = exp(u[1]), f = 0, ga = 0, gb = 0;
    double lb = log(b), lga = lgamma(a), pa = tide_digamma(a);
    for (int64_t j = 0; j < c->n; j++) {
        int64_t s = c->idx[j];
        double d = c->d[s], T = c->T[s];
        f -= a * lb - lga + lgamma(a + d) - (a + d) * log(b + T);
        ga -= lb - pa + tide_digamma(a + d) - log(b + T);
        gb -= a / b - (a + d) / (b + T);
    }
    g[0] = a * ga;
    g[1] = b * gb;
    return f;
}

int tide_decay_gamma_eb(int64_t S, const double *d, const double *T, const int32_t *segment,
                        int64_t G, double *a, double *b)
{
    if (G < 1) return tide_errorf("gamma_eb: need at least one segment");
    for (int64_t s = 0; s < S; s++) {
        if (!(d[s] >= 0) || !(T[s] >= 0) || !isfinite(T[s]))
            return tide_errorf("gamma_eb: series %lld has d=%g T=%g; need d >= 0, T >= 0",
                               (long long)s, d[s], T[s]);
        if (segment && (segment[s] < 0 || segment[s] >= G))
            return tide_errorf("gamma_eb: segment %d of series %lld outside [0, %lld)", segment[s],
                               (long long)s, (long long)G);
    }
    int64_t *cnt = calloc((size_t)G + 1, sizeof(int64_t)), *idx = malloc(((size_t)S + 1) * sizeof(int64_t));
    if (!cnt || !idx) { free(cnt); free(idx); return tide_errorf("gamma_eb: out of memory"); }
    for (int64_t s = 0; s < S; s++) cnt[(segment ? segment[s] : 0) + 1]++;
    for (int64_t g = 0; g < G; g++) cnt[g + 1] += cnt[g];
    int64_t *pos = malloc((size_t)G * sizeof(int64_t));
    if (!pos) { free(cnt); free(idx); return tide_errorf("gamma_eb: out of memory"); }
    memcpy(pos, cnt, (size_t)G * sizeof(int64_t));
    for (int64_t s = 0; s < S; s++) idx[pos[segment ? segment[s] : 0]++] = s;
    free(pos);
    tide_lbfgs_opts o;
    tide_lbfgs_default_opts(&o);
    o.max_iter = 500;
    o.gtol = 1e-9;
    for (int64_t g = 0; g < G; g++) {
        eb_ctx c = {d, T, idx + cnt[g], cnt[g + 1] - cnt[g]};
        /* method-of-moments start on the raw rates of series with exposure */
        double m = 0, v = 0, nn = 0, sd = 0, sT = 0;
        for (int64_t j = 0; j < c.n; j++) {
            int64_t s = c.idx[j];
            sd += d[s]; sT += T[s];
            if (T[s] > 0) { double r = d[s] / T[s]; m += r; v += r * r; nn++; }
        }
        if (nn < 2 || sT <= 0) { /* not enough series: a flat-ish prior at the pooled rate */
            double r = sT > 0 && sd > 0 ? sd / sT : 1;
            a[g] = 0.5; b[g] = 0.5 / r;
            continue;
        }
        m /= nn; v = v / nn - m * m;
        double pooled = sd > 0 ? sd / sT : m;
        double a0 = v > 0 ? fmin(fmax(m * m / v, 0.05), 100) : 10;
        double x[2] = {log(a0), log(a0 / fmax(pooled, 1e-300))}, f;
        int st = tide_lbfgs_minimize(eb_nll, &c, 2, x, &f, &o);
        a[g] = exp(x[0]);
        b[g] = exp(x[1]);
        if (!(a[g] > 0 && b[g] > 0) || !isfinite(a[g]) || !isfinite(b[g])) {
            free(cnt);
            free(idx);
            return tide_errorf("gamma_eb: the prior of segment %lld diverged (a %g, b %g, %s)", (long long)g + 1, a[g], b[g],
                               tide_lbfgs_status_name(st));
        }
    }
    free(cnt);
    free(idx);
    return TIDE_OK;
}

typedef struct {
    int32_t key;
    int64_t pos;
} kp;

static int kp_cmp(const void *x, const void *y)
{
    const kp *a = x, *b = y;
    if (a->key != b->key) return a->key < b->key ? -1 : 1;
    return a->pos < b->pos ? -1 : a->pos > b->pos;
}

int64_t tide_decay_gaps(int64_t U, const int64_t *off, const int64_t *time, const int32_t *key,
                        int64_t t_end, double min_gap, double unit, double **gap, uint8_t **event,
                        int32_t **user, int32_t **keyo)
{
    *gap = NULL; *event = NULL; *user = NULL;
    if (keyo) *keyo = NULL;
    if (!(unit > 0)) return tide_errorf("decay_gaps: unit must be > 0, got %g", unit);
    int64_t n = off[U], maxlen = 0;
    for (int64_t u = 0; u < U; u++) {
        if (off[u + 1] < off[u]) return tide_errorf("decay_gaps: offsets decrease at user %lld", (long long)u);
        maxlen = off[u + 1] - off[u] > maxlen ? off[u + 1] - off[u] : maxlen;
        for (int64_t i = off[u] + 1; i < off[u + 1]; i++)
            if (time[i] < time[i - 1])
                return tide_errorf("decay_gaps: user %lld's events are not time-sorted (row %lld)",
                                   (long long)u + 1, (long long)i + 1);
    }
    /* at most one gap per event (observed) plus one censored per group: <= n + n */
    double *gp = malloc(((size_t)2 * n + 1) * sizeof(double));
    uint8_t *ep = malloc((size_t)2 * n + 1);
    int32_t *up = malloc(((size_t)2 * n + 1) * sizeof(int32_t));
    int32_t *kpo = key ? malloc(((size_t)2 * n + 1) * sizeof(int32_t)) : NULL;
    kp *scratch = key ? malloc(((size_t)maxlen + 1) * sizeof(kp)) : NULL;
    if (!gp || !ep || !up || (key && (!kpo || !scratch))) {
        free(gp); free(ep); free(up); free(kpo); free(scratch);
        return tide_errorf("decay_gaps: out of memory for %lld events", (long long)n);
    }
    int64_t m = 0;
    for (int64_t u = 0; u < U; u++) {
        int64_t a = off[u], len = off[u + 1] - a;
        if (len == 0) continue;
        if (key) {
            for (int64_t i = 0; i < len; i++) { scratch[i].key = key[a + i]; scratch[i].pos = a + i; }
            qsort(scratch, (size_t)len, sizeof(kp), kp_cmp);
        }
        int64_t i = 0;
        while (i < len) { /* one group: all of the user's events, or those of one key */
            int64_t j = i;
            int32_t kk = key ? scratch[i].key : 0;
            if (key) while (j + 1 < len && scratch[j + 1].key == kk) j++;
            else j = len - 1;
            int64_t prev = time[key ? scratch[i].pos : a + i];
            for (int64_t q = i + 1; q <= j; q++) {
                int64_t tq = time[key ? scratch[q].pos : a + q];
                double dt = (double)(tq - prev);
                if (dt > 0 && dt >= min_gap) {
                    gp[m] = dt / unit; ep[m] = 1; up[m] = (int32_t)u;
                    if (kpo) kpo[m] = kk;
                    m++;
                }
                prev = tq;
            }
            double c = (double)(t_end - prev);
            gp[m] = c > 0 ? c / unit : 0; ep[m] = 0; up[m] = (int32_t)u;
            if (kpo) kpo[m] = kk;
            m++;
            i = j + 1;
        }
    }
    free(scratch);
    *gap = gp; *event = ep; *user = up;
    if (keyo) *keyo = kpo; else free(kpo);
    return m;
}
