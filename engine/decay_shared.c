/* decay_shared.c — "shared shape, per-series rate" fits: one shape for all series (the Lomax
 * exponent a of POWER, the Weibull k), a rate λ_s per series (user), optionally shrunk toward
 * their geometric mean. Per-series family choice mislabels heterogeneous populations: a
 * Gamma mixture of exponential users pooled into one law is exactly a Lomax (so a global fit
 * says "power"), while two free parameters per thin series overfit. Sharing the shape asks the
 * right question — is the within-user hazard flat (exponential) or decreasing/increasing? —
 * with one extra parameter against S per-user rates, so AIC compares like with like.
 *
 * Objective over u = (log shape, log λ_1..λ_S, m): −Σ_s Σ_i ℓ(t_i; λ_s, shape)
 *   + ½·prec·Σ_s (log λ_s − m)²   (m, the prior mean of the log rates, is fitted too).
 * EXP has no shape: the same code fits per-series rates (shape slot unused).
 * Series without an observed return have an MLE rate of 0: with prec = 0 they are left out of
 * the optimisation (status 3, λ = 0.5 / exposure as in decay_fit.c); with prec > 0 the prior
 * holds them. Standard errors: the observed information is an arrowhead matrix (the shape and
 * m couple to every λ_s, the λ_s not to each other), inverted through the Schur complement of
 * its diagonal part in O(S). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "decay.h"
#include "error.h"
#include "lbfgs.h"

typedef struct {
    tide_decay_family fam;
    int64_t S;
    const int64_t *off;
    const double *t;
    const uint8_t *ev;
    const uint8_t *active; /* series in the optimisation */
    double prec;
} sh_ctx;

/* −ℓ of series s at (log λ, log shape) and its gradient g[0] = d/dlog λ, g[1] = d/dlog shape */
static double series_nll(const sh_ctx *c, int64_t s, double ul, double ua, double g[2])
{
    double th[2] = {exp(ul), exp(ua)}, gt[2] = {0, 0}, ll = 0;
    for (int64_t i = c->off[s]; i < c->off[s + 1]; i++) ll += tide_decay_loglik1(c->fam, 1, th, c->t[i], c->ev[i], gt);
    g[0] = -th[0] * gt[0];
    g[1] = c->fam == TIDE_DECAY_EXP ? 0 : -th[1] * gt[1];
    return -ll;
}

/* u = (ua, ul_1..ul_S, m) */
static double sh_obj(const double *u, double *gu, int64_t n, void *vc)
{
    const sh_ctx *c = vc;
    double f = 0, g[2];
    memset(gu, 0, sizeof(double) * (size_t)n);
    for (int64_t s = 0; s < c->S; s++) {
        if (!c->active[s]) continue;
        f += series_nll(c, s, u[1 + s], u[0], g);
        gu[1 + s] += g[0];
        gu[0] += g[1];
        if (c->prec > 0) {
            double d = u[1 + s] - u[1 + c->S];
            f += 0.5 * c->prec * d * d;
            gu[1 + s] += c->prec * d;
            gu[1 + c->S] -= c->prec * d;
        }
    }
    return isfinite(f) ? f : INFINITY;
}

/* 2×2 per-series Hessian blocks of series_nll in (log λ, log shape) by central differences */
static void series_hess(const sh_ctx *c, int64_t s, double ul, double ua, double h[3])
{
    double gp[2], gm[2], e = 1e-5 * fmax(1, fabs(ul)), ea = 1e-5 * fmax(1, fabs(ua));
    series_nll(c, s, ul + e, ua, gp); series_nll(c, s, ul - e, ua, gm);
    h[0] = (gp[0] - gm[0]) / (2 * e);       /* ll */
    double cross = (gp[1] - gm[1]) / (2 * e); /* l-a */
    series_nll(c, s, ul, ua + ea, gp); series_nll(c, s, ul, ua - ea, gm);
    h[1] = 0.5 * (cross + (gp[0] - gm[0]) / (2 * ea));
    h[2] = (gp[1] - gm[1]) / (2 * ea);      /* aa */
}

/* standard errors through the arrowhead structure: head = (shape, m), diagonal block = λ_s */
static void sh_errors(const sh_ctx *c, const double *u, double *se_rate, double *se_shape)
{
    int64_t S = c->S;
    int hasa = c->fam != TIDE_DECAY_EXP, hasm = c->prec > 0;
    double *d = malloc(sizeof(double) * (size_t)(S ? S : 1)), *b = malloc(sizeof(double) * (size_t)(S ? S : 1));
    for (int64_t s = 0; s < S; s++) se_rate[s] = NAN;
    *se_shape = NAN;
    if (!d || !b) { free(d); free(b); return; }
    /* Schur complement of the head: [haa ham; ham hmm] − Σ v_s v_sᵀ / d_s, v_s = (b_s, −prec) */
    double haa = 0, hmm = hasm ? 0 : 1, sam = 0, saa = 0, smm = 0;
    for (int64_t s = 0; s < S; s++) {
        if (!c->active[s]) { d[s] = NAN; continue; }
        double h[3];
        series_hess(c, s, u[1 + s], u[0], h);
        d[s] = h[0] + c->prec;
        b[s] = hasa ? h[1] : 0;
        haa += h[2];
        if (hasm) hmm += c->prec;
        if (!(d[s] > 0)) { free(d); free(b); return; }
        double vm = hasm ? -c->prec : 0;
        saa += b[s] * b[s] / d[s]; sam += b[s] * vm / d[s]; smm += vm * vm / d[s];
    }
    double A = hasa ? haa - saa : 1, B = hasa ? -sam : 0, D = hmm - smm; /* ham = 0 */
    if (!hasm) { B = 0; D = 1; }
    double det = A * D - B * B;
    if (!(A > 0) || !(det > 0)) { free(d); free(b); return; }
    double ia = D / det, ib = -B / det, id = A / det; /* inverse of the 2×2 Schur complement */
    if (hasa) *se_shape = exp(u[0]) * sqrt(ia);
    for (int64_t s = 0; s < S; s++) {
        if (!c->active[s]) continue;
        double x = hasa ? b[s] / d[s] : 0, y = hasm ? -c->prec / d[s] : 0;
        double v = 1 / d[s] + x * x * (hasa ? ia : 0) + 2 * x * y * ib + y * y * (hasm ? id : 0);
        se_rate[s] = v > 0 ? exp(u[1 + s]) * sqrt(v) : NAN;
    }
    free(d);
    free(b);
}

int tide_decay_fit_shared(tide_decay_family fam, int64_t S, const int64_t *off, const double *t,
                          const uint8_t *ev, double prec, int max_iter, int want_se, double *theta,
                          double *se, double *loglik, int32_t *status)
{
    if (fam != TIDE_DECAY_EXP && fam != TIDE_DECAY_POWER && fam != TIDE_DECAY_WEIBULL)
        return tide_errorf("decay_fit_shared: a shared shape needs the exponential, power or weibull family, got %s",
                           tide_decay_name(fam));
    if (!(prec >= 0) || !isfinite(prec)) return tide_errorf("decay_fit_shared: prior_prec must be finite and >= 0, got %g", prec);
    int P = tide_decay_nparams(fam, 1);
    double D = 0, Texp = 0;
    for (int64_t i = 0; i < off[S]; i++) {
        if (!(t[i] >= 0) || !isfinite(t[i])) return tide_errorf("decay_fit_shared: gap %lld is %g; gaps must be finite and >= 0", (long long)i, t[i]);
        D += ev[i]; Texp += t[i];
    }
    if (D == 0) return tide_errorf("decay_fit_shared: no observed return in any series");
    int64_t n = S + 2;
    double *u = malloc(sizeof(double) * (size_t)n), *ser = malloc(sizeof(double) * (size_t)(S ? S : 1));
    uint8_t *act = malloc((size_t)(S ? S : 1));
    if (!u || !ser || !act) { free(u); free(ser); free(act); return tide_errorf("decay_fit_shared: out of memory for %lld series", (long long)S); }
    double l0 = D / Texp, msum = 0;
    u[0] = 0; /* shape 1: the exponential as the start */
    for (int64_t s = 0; s < S; s++) {
        double d = 0, T = 0;
        for (int64_t i = off[s]; i < off[s + 1]; i++) { d += ev[i]; T += t[i]; }
        act[s] = d > 0 || (prec > 0 && off[s + 1] > off[s]);
        /* start: the series' own exponential rate, pulled toward the pool when thin */
        u[1 + s] = log((d + 1) / (T + 1 / l0));
        status[s] = act[s] ? 0 : 3;
        theta[s * P] = T > 0 ? 0.5 / T : l0; /* inactive series: as decay_fit.c reports them */
        if (P > 1) theta[s * P + 1] = 1;
        msum += u[1 + s];
    }
    u[1 + S] = S ? msum / (double)S : 0;
    sh_ctx c = {fam, S, off, t, ev, act, prec};
    tide_lbfgs_opts lo;
    tide_lbfgs_default_opts(&lo);
    lo.max_iter = max_iter > 0 ? max_iter : 500;
    lo.gtol = 1e-11; /* relative to |f|, which grows with the number of series */
    double f;
    int st = tide_lbfgs_minimize(sh_obj, &c, n, u, &f, &lo);
    double se_shape = NAN;
    if (want_se && se) sh_errors(&c, u, ser, &se_shape);
    for (int64_t s = 0; s < S; s++) {
        double g[2];
        if (act[s]) {
            theta[s * P] = exp(u[1 + s]);
            if (P > 1) theta[s * P + 1] = exp(u[0]);
            status[s] = st;
        }
        if (P > 1 && !act[s]) theta[s * P + 1] = exp(u[0]);
        if (se) { se[s * P] = act[s] && want_se ? ser[s] : NAN; if (P > 1) se[s * P + 1] = se_shape; }
        loglik[s] = -series_nll(&c, s, log(theta[s * P]), P > 1 ? log(theta[s * P + 1]) : 0, g);
    }
    free(u); free(ser); free(act);
    return st < 0 && st != TIDE_LBFGS_ELINESEARCH ? tide_errorf("decay_fit_shared: %s", tide_lbfgs_status_name(st)) : TIDE_OK;
}
