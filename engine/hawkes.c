/* hawkes.c — exponential-kernel Hawkes process: O(n) log-likelihood and gradient (Ozaki 1979),
 * MLE with L-BFGS, intensity and horizon probabilities, Ogata (1981) thinning, and the
 * time-rescaling goodness-of-fit test. Contracts in hawkes.h.
 *
 * Per sequence on [a, T] with events t_1 < ... < t_n:
 *   A_1 = B_1 = 0,  Δ = t_i − t_{i−1},  e = e^(−βΔ)
 *   A_i = e (1 + A_{i−1})                 = Σ_{j<i} e^(−β(t_i − t_j))
 *   B_i = e (Δ (1 + A_{i−1}) + B_{i−1})   = Σ_{j<i} (t_i − t_j) e^(−β(t_i − t_j)) = −dA_i/dβ
 *   LL  = Σ log(μ + α A_i) − μ (T − a) − (α/β) Σ (1 − E_i),  E_i = e^(−β(T − t_i)). */
#include "hawkes.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "lbfgs.h"

double tide_hawkes_loglik(const tide_hawkes *p, int64_t S, const int64_t *off, const double *t,
                          const double *t0, const double *t1, double grad[3])
{
    double mu = p->mu, al = p->alpha, be = p->beta;
    double ll = 0, gm = 0, ga = 0, gb = 0;
    for (int64_t s = 0; s < S; s++) {
        double T = t1[s], A = 0, B = 0, sumE1 = 0, sumTE = 0;
        ll -= mu * (T - t0[s]);
        gm -= T - t0[s];
        for (int64_t i = off[s]; i < off[s + 1]; i++) {
            if (i > off[s]) {
                double d = t[i] - t[i - 1], e = exp(-be * d);
                B = e * (d * (1 + A) + B);
                A = e * (1 + A);
            }
            double lam = mu + al * A;
            ll += log(lam);
            gm += 1 / lam;
            ga += A / lam;
            gb -= al * B / lam;
            double E = exp(-be * (T - t[i]));
            sumE1 += 1 - E;
            sumTE += (T - t[i]) * E;
        }
        ll -= al / be * sumE1;
        ga -= sumE1 / be;
        gb += al / (be * be) * sumE1 - al / be * sumTE;
    }
    if (grad) { grad[0] = gm; grad[1] = ga; grad[2] = gb; }
    return ll;
}

typedef struct {
    int64_t S;
    const int64_t *off;
    const double *t, *t0, *t1;
} hk_ctx;

static double hk_nll(const double *u, double *g, int64_t n, void *vc)
{
    (void)n;
    hk_ctx *c = vc;
    tide_hawkes p = {exp(u[0]), exp(u[1]), exp(u[2])};
    double gr[3];
    double ll = tide_hawkes_loglik(&p, c->S, c->off, c->t, c->t0, c->t1, gr);
    g[0] = -p.mu * gr[0];
    g[1] = -p.alpha * gr[1];
    g[2] = -p.beta * gr[2];
    return -ll;
}

int tide_hawkes_fit(int64_t S, const int64_t *off, const double *t, const double *t0, const double *t1,
                    tide_hawkes *p, double se[3], double *loglik)
{
    double n = 0, Ttot = 0, gaps = 0, ngaps = 0;
    for (int64_t s = 0; s < S; s++) {
        if (!(t1[s] > t0[s])) return tide_errorf("hawkes_fit: sequence %lld has an empty window [%g, %g]", (long long)s, t0[s], t1[s]);
        for (int64_t i = off[s]; i < off[s + 1]; i++) {
            if (t[i] < t0[s] || t[i] > t1[s] || !isfinite(t[i]))
                return tide_errorf("hawkes_fit: event %lld at %g is outside its window [%g, %g]", (long long)i, t[i], t0[s], t1[s]);
            if (i > off[s]) {
                if (t[i] < t[i - 1]) return tide_errorf("hawkes_fit: events of sequence %lld are not sorted", (long long)s);
                gaps += t[i] - t[i - 1]; ngaps++;
            }
        }
        n += (double)(off[s + 1] - off[s]);
        Ttot += t1[s] - t0[s];
    }
    if (n < 2) return tide_errorf("hawkes_fit: need at least 2 events, got %g", n);
    double u[3];
    if (p->mu > 0 && p->alpha > 0 && p->beta > 0) {
        u[0] = log(p->mu); u[1] = log(p->alpha); u[2] = log(p->beta);
    } else {
        double b0 = ngaps > 0 && gaps > 0 ? ngaps / gaps : 1;
        u[0] = log(0.5 * n / Ttot); u[1] = log(0.5 * b0); u[2] = log(b0);
    }
    hk_ctx c = {S, off, t, t0, t1};
    tide_lbfgs_opts o;
    tide_lbfgs_default_opts(&o);
    o.max_iter = 500;
    o.gtol = 1e-9;
    double f;
    int st = tide_lbfgs_minimize(hk_nll, &c, 3, u, &f, &o);
    p->mu = exp(u[0]); p->alpha = exp(u[1]); p->beta = exp(u[2]);
    /* a rate that ran off to 0 or infinity (e.g. alpha -> 0 on Poisson data drives log alpha
     * to -inf) is not an estimate: say so instead of returning it */
    if (!(p->mu > 0 && p->alpha > 0 && p->beta > 0) || !isfinite(p->mu) || !isfinite(p->alpha) ||
        !isfinite(p->beta) || !isfinite(f))
        return tide_errorf("hawkes_fit: the fit diverged (mu %g, alpha %g, beta %g, %s)", p->mu, p->alpha,
                           p->beta, tide_lbfgs_status_name(st));
    if (loglik) *loglik = -f;
    if (se) {
        double H[9], gp[3], gm[3], up[3], inv[9];
        for (int i = 0; i < 3; i++) {
            double h = 1e-5 * fmax(1, fabs(u[i]));
            memcpy(up, u, sizeof up);
            up[i] = u[i] + h; hk_nll(up, gp, 3, &c);
            up[i] = u[i] - h; hk_nll(up, gm, 3, &c);
            for (int j = 0; j < 3; j++) H[3 * i + j] = (gp[j] - gm[j]) / (2 * h);
        }
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < i; j++) H[3 * i + j] = H[3 * j + i] = 0.5 * (H[3 * i + j] + H[3 * j + i]);
        /* 3x3 inverse by cofactors */
        double det = H[0] * (H[4] * H[8] - H[5] * H[7]) - H[1] * (H[3] * H[8] - H[5] * H[6]) +
                     H[2] * (H[3] * H[7] - H[4] * H[6]);
        inv[0] = (H[4] * H[8] - H[5] * H[7]) / det;
        inv[4] = (H[0] * H[8] - H[2] * H[6]) / det;
        inv[8] = (H[0] * H[4] - H[1] * H[3]) / det;
        double th[3] = {p->mu, p->alpha, p->beta};
        /* positive definite (Sylvester: leading minors > 0), else the optimum is not a strict
         * maximum and no standard error is reported */
        int pd = H[0] > 0 && H[0] * H[4] - H[1] * H[3] > 0 && det > 0;
        for (int i = 0; i < 3; i++) se[i] = pd && inv[4 * i] > 0 ? th[i] * sqrt(inv[4 * i]) : NAN;
    }
    return st < 0 && st != TIDE_LBFGS_ELINESEARCH ? tide_errorf("hawkes_fit: %s", tide_lbfgs_status_name(st)) : st;
}

double tide_hawkes_intensity(const tide_hawkes *p, int64_t n, const double *t, double at)
{
    double s = 0;
    for (int64_t i = 0; i < n && t[i] < at; i++) s += exp(-p->beta * (at - t[i]));
    return p->mu + p->alpha * s;
}

double tide_hawkes_prob_event(const tide_hawkes *p, int64_t n, const double *t, double at, double h)
{
    double s = 0;
    for (int64_t i = 0; i < n && t[i] <= at; i++) s += exp(-p->beta * (at - t[i]));
    double L = p->mu * h + p->alpha / p->beta * s * (-expm1(-p->beta * h));
    return -expm1(-L);
}

void tide_hawkes_prob_batch(const tide_hawkes *p, int64_t S, const int64_t *off, const double *t,
                            const double *at, double h, double *out)
{
    for (int64_t s = 0; s < S; s++) out[s] = tide_hawkes_prob_event(p, off[s + 1] - off[s], t + off[s], at[s], h);
}

int64_t tide_hawkes_simulate(const tide_hawkes *p, double T, tide_rng *r, double **out)
{
    *out = NULL;
    if (!(p->mu > 0 && p->alpha >= 0 && p->beta > 0 && T > 0))
        return tide_errorf("hawkes_simulate: need mu > 0, alpha >= 0, beta > 0, T > 0");
    int64_t cap = 64, n = 0;
    double *v = malloc((size_t)cap * sizeof(double));
    if (!v) return tide_errorf("hawkes_simulate: out of memory");
    double now = 0, S = 0; /* S = Σ e^(−β(now − t_i)) */
    for (;;) {
        double bar = p->mu + p->alpha * S; /* intensity only decays until the next event */
        double w = -log(1 - tide_rng_uniform(r)) / bar;
        now += w;
        if (now > T) break;
        S *= exp(-p->beta * w);
        if (tide_rng_uniform(r) * bar <= p->mu + p->alpha * S) {
            if (n == cap) {
                double *nv = realloc(v, (size_t)(cap *= 2) * sizeof(double));
                if (!nv) { free(v); return tide_errorf("hawkes_simulate: out of memory"); }
                v = nv;
            }
            v[n++] = now;
            S += 1;
        }
    }
    *out = v;
    return n;
}

void tide_hawkes_rescale(const tide_hawkes *p, int64_t n, const double *t, double t0, double *tau)
{
    double A = 0; /* excitation just before t_i, excluding t_i */
    for (int64_t i = 0; i < n; i++) {
        if (i == 0) { tau[0] = p->mu * (t[0] - t0); continue; }
        double d = t[i] - t[i - 1], e = exp(-p->beta * d);
        tau[i] = p->mu * d + p->alpha / p->beta * (1 + A) * (1 - e);
        A = e * (1 + A);
    }
}

int64_t tide_hawkes_rescale_pooled(const tide_hawkes *p, int64_t S, const int64_t *off, const double *t,
                                   const double *t0, const double *t1, double *tau)
{
    double carry = 0, ab = p->alpha / p->beta; /* compensator mass not yet ended by an event */
    int64_t m = 0;
    for (int64_t s = 0; s < S; s++) {
        double A = 0, prev = t0[s]; /* A: excitation just before the current event, excluding it */
        for (int64_t i = off[s]; i < off[s + 1]; i++) {
            double d = t[i] - prev;
            if (i == off[s]) {
                tau[m++] = carry + p->mu * d;
                carry = 0;
            } else {
                double e = exp(-p->beta * d);
                tau[m++] = p->mu * d + ab * (1 + A) * (1 - e);
                A = e * (1 + A);
            }
            prev = t[i];
        }
        double d = t1[s] - prev; /* the open interval after the last event (or the whole window) */
        carry += p->mu * d + (off[s + 1] > off[s] ? ab * (1 + A) * -expm1(-p->beta * d) : 0);
    }
    return m;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double tide_ks_exp1(int64_t n, double *x, double *pvalue)
{
    qsort(x, (size_t)n, sizeof(double), cmp_d);
    double D = 0;
    for (int64_t i = 0; i < n; i++) {
        double u = -expm1(-x[i]);
        D = fmax(D, fmax((double)(i + 1) / n - u, u - (double)i / n));
    }
    if (pvalue) {
        double sn = sqrt((double)n), lam = (sn + 0.12 + 0.11 / sn) * D, q = 0;
        for (int j = 1; j <= 100; j++) {
            double term = exp(-2.0 * j * j * lam * lam);
            q += (j % 2 ? 2 : -2) * term;
            if (term < 1e-16) break;
        }
        *pvalue = lam < 0.2 ? 1 : fmin(fmax(q, 0), 1);
    }
    return D;
}
