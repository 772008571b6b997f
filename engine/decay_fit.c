/* decay_fit.c — maximum-likelihood fits of the decay laws of decay.h to return gaps, one law
 * per series (user, category, segment or everything), batched in C.
 *
 * Estimand: the survival function of the return gap. Observed gaps contribute log f(t), the
 * open gap from the last interaction to the end of the window contributes log S(t) (right
 * censoring), so a user who stopped coming back pulls the curve towards slower returns instead
 * of being ignored (the bias of fitting only observed gaps).
 *
 * Optimisation is over unconstrained parameters u (log rates/shapes, softmax logits for the
 * mixture weights) with L-BFGS (lbfgs.h). LINEAR and LOG have a support that depends on λ, so
 * their likelihood is maximised exactly by bisection on the (monotone) score instead.
 * Standard errors: inverse of the observed information, i.e. of the Hessian of −loglik in u
 * by central differences of the analytic gradient, mapped to θ by the delta method. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "decay.h"
#include "error.h"
#include "lbfgs.h"

#define MAXP 32

void tide_decay_fit_default_opts(tide_decay_fit_opts *o)
{
    memset(o, 0, sizeof *o);
    o->max_iter = 200;
    o->want_se = 1;
}

static int is_log_family(tide_decay_family f) { return f != TIDE_DECAY_MIXEXP; }

int tide_decay_to_free(tide_decay_family fam, int k, const double *th, double *u)
{
    int P = tide_decay_nparams(fam, k);
    if (P < 0) return TIDE_ERR;
    if (is_log_family(fam)) {
        for (int i = 0; i < P; i++) u[i] = log(th[i]);
        return TIDE_OK;
    }
    for (int i = 0; i < k - 1; i++) u[i] = log(th[i]) - log(th[k - 1]);
    for (int i = 0; i < k; i++) u[k - 1 + i] = log(th[k + i]);
    return TIDE_OK;
}

void tide_decay_from_free(tide_decay_family fam, int k, const double *u, double *th)
{
    int P = tide_decay_nparams(fam, k);
    if (is_log_family(fam)) {
        for (int i = 0; i < P; i++) th[i] = exp(u[i]);
        return;
    }
    double mx = 0, z = 0; /* last logit fixed at 0 */
    for (int i = 0; i < k - 1; i++) mx = fmax(mx, u[i]);
    for (int i = 0; i < k; i++) z += th[i] = exp((i < k - 1 ? u[i] : 0) - mx);
    for (int i = 0; i < k; i++) th[i] /= z;
    for (int i = 0; i < k; i++) th[k + i] = exp(u[k - 1 + i]);
}

void tide_decay_grad_to_free(tide_decay_family fam, int k, const double *th, const double *gt, double *gu)
{
    if (is_log_family(fam)) {
        int P = tide_decay_nparams(fam, k);
        for (int i = 0; i < P; i++) gu[i] = th[i] * gt[i];
        return;
    }
    double sw = 0; /* softmax weights: dw_i/du_j = w_i (δ_ij − w_j) */
    for (int i = 0; i < k; i++) sw += gt[i] * th[i];
    for (int j = 0; j < k - 1; j++) gu[j] = th[j] * (gt[j] - sw);
    for (int i = 0; i < k; i++) gu[k - 1 + i] = th[k + i] * gt[k + i];
}

typedef struct {
    tide_decay_family fam;
    int k, P, F;
    const double *t;
    const uint8_t *ev;
    int64_t n;
    const double *prior;
    double prec;
} series_ctx;

/* −loglik(u) − log prior, gradient in u */
static double neg_ll(const double *u, double *gu, int64_t F, void *vctx)
{
    series_ctx *c = vctx;
    double th[MAXP], gt[MAXP] = {0};
    tide_decay_from_free(c->fam, c->k, u, th);
    double ll = 0;
    for (int64_t i = 0; i < c->n; i++) ll += tide_decay_loglik1(c->fam, c->k, th, c->t[i], c->ev[i], gt);
    tide_decay_grad_to_free(c->fam, c->k, th, gt, gu);
    for (int64_t i = 0; i < F; i++) gu[i] = -gu[i];
    double f = -ll;
    if (c->prior && c->prec > 0)
        for (int64_t i = 0; i < F; i++) {
            double d = u[i] - c->prior[i];
            f += 0.5 * c->prec * d * d;
            gu[i] += c->prec * d;
        }
    return f;
}

/* Inverts the symmetric F×F matrix A in place by Gauss-Jordan; returns 0 if singular/indefinite. */
int tide_decay_invert_spd(double *A, int F)
{
    if (F < 1 || F > TIDE_DECAY_MAX_FREE) return 0;
    double inv[TIDE_DECAY_MAX_FREE * TIDE_DECAY_MAX_FREE];
    for (int i = 0; i < F; i++)
        for (int j = 0; j < F; j++) inv[i * F + j] = i == j;
    for (int c = 0; c < F; c++) {
        double p = A[c * F + c];
        if (!(p > 0) || !isfinite(p)) return 0; /* no pivoting needed for SPD; fail otherwise */
        for (int j = 0; j < F; j++) { A[c * F + j] /= p; inv[c * F + j] /= p; }
        for (int r = 0; r < F; r++) {
            if (r == c) continue;
            double m = A[r * F + c];
            for (int j = 0; j < F; j++) { A[r * F + j] -= m * A[c * F + j]; inv[r * F + j] -= m * inv[c * F + j]; }
        }
    }
    memcpy(A, inv, sizeof(double) * F * F);
    return 1;
}

int tide_decay_fd_covariance(double (*fn)(const double *u, double *g, int64_t F, void *ctx), void *ctx,
                             const double *u, int F, double *H)
{
    if (F < 1 || F > TIDE_DECAY_MAX_FREE) return 0;
    double up[TIDE_DECAY_MAX_FREE], gp[TIDE_DECAY_MAX_FREE], gm[TIDE_DECAY_MAX_FREE];
    for (int i = 0; i < F; i++) {
        double h = 1e-5 * fmax(1, fabs(u[i]));
        memcpy(up, u, sizeof(double) * F);
        up[i] = u[i] + h; fn(up, gp, F, ctx);
        up[i] = u[i] - h; fn(up, gm, F, ctx);
        for (int j = 0; j < F; j++) H[i * F + j] = (gp[j] - gm[j]) / (2 * h);
    }
    for (int i = 0; i < F; i++)
        for (int j = 0; j < i; j++) H[i * F + j] = H[j * F + i] = 0.5 * (H[i * F + j] + H[j * F + i]);
    return tide_decay_invert_spd(H, F);
}

/* se of θ at u: observed information in u by central differences, delta method to θ. */
static void std_errors(series_ctx *c, const double *u, double *se)
{
    int F = c->F, P = c->P, k = c->k;
    double H[MAXP * MAXP], th[MAXP];
    for (int i = 0; i < P; i++) se[i] = NAN;
    if (!tide_decay_fd_covariance(neg_ll, c, u, F, H)) return;
    tide_decay_from_free(c->fam, k, u, th);
    if (is_log_family(c->fam)) {
        for (int i = 0; i < P; i++) se[i] = th[i] * sqrt(H[i * F + i]);
        return;
    }
    /* weights: J[i][j] = w_i (δ_ij − w_j), j < k−1 */
    for (int i = 0; i < k; i++) {
        double v = 0;
        for (int a = 0; a < k - 1; a++)
            for (int b = 0; b < k - 1; b++) {
                double ja = th[i] * ((i == a) - th[a]), jb = th[i] * ((i == b) - th[b]);
                v += ja * H[a * F + b] * jb;
            }
        se[i] = sqrt(fmax(v, 0));
        se[k + i] = th[k + i] * sqrt(H[(k - 1 + i) * F + (k - 1 + i)]);
    }
}

/* d loglik / dλ for the clipped families (decreasing in λ) */
static double clipped_score(tide_decay_family fam, const double *t, const uint8_t *ev, int64_t n,
                            double d, double l)
{
    double s = d / l;
    for (int64_t i = 0; i < n; i++)
        if (!ev[i]) {
            double u = fam == TIDE_DECAY_LINEAR ? t[i] : log1p(t[i]);
            s -= u / (1 - l * u);
        }
    return s;
}

/* LINEAR / LOG: maximise d·log λ + Σ_censored log(1 − λ u_c) on 0 < λ ≤ 1/max u_event,
 * λ < 1/max u_censored (u = t or ln(1+t)). The score is decreasing, so bisection is exact. */
static int fit_clipped(tide_decay_family fam, const double *t, const uint8_t *ev, int64_t n,
                       double *lam, double *se)
{
    double d = 0, mo = 0, mc = 0;
    for (int64_t i = 0; i < n; i++) {
        double u = fam == TIDE_DECAY_LINEAR ? t[i] : log1p(t[i]);
        if (ev[i]) { d++; mo = fmax(mo, u); } else mc = fmax(mc, u);
    }
    *se = NAN;
    if (d == 0 || mo <= 0) return 3;
    double hi = fmin(1 / mo, mc > 0 ? (1 - 1e-12) / mc : INFINITY), lo = 0;
    if (clipped_score(fam, t, ev, n, d, hi) >= 0) { *lam = hi; return TIDE_LBFGS_CONVERGED; } /* boundary max: no se */
    for (int it = 0; it < 200; it++) {
        double mid = 0.5 * (lo + hi);
        if (clipped_score(fam, t, ev, n, d, mid) > 0) lo = mid; else hi = mid;
    }
    double l = 0.5 * (lo + hi), info = d / (l * l);
    for (int64_t i = 0; i < n; i++)
        if (!ev[i]) {
            double u = fam == TIDE_DECAY_LINEAR ? t[i] : log1p(t[i]);
            info += u * u / ((1 - l * u) * (1 - l * u));
        }
    *lam = l;
    *se = 1 / sqrt(info);
    return TIDE_LBFGS_CONVERGED;
}

/* Default start: the exponential MLE λ0 = events / exposure, spread for the mixture. */
static void auto_init(tide_decay_family fam, int k, const double *t, const uint8_t *ev, int64_t n,
                      double *th)
{
    double d = 0, T = 0, mx = 0;
    for (int64_t i = 0; i < n; i++) { d += ev[i]; T += t[i]; mx = fmax(mx, t[i]); }
    double l0 = (d > 0 && T > 0) ? d / T : (T > 0 ? 0.5 / T : 1);
    switch (fam) {
    case TIDE_DECAY_POWER: th[0] = 2 * l0; th[1] = 1.5; break;
    case TIDE_DECAY_WEIBULL: th[0] = l0; th[1] = 1; break;
    case TIDE_DECAY_MIXEXP:
        for (int i = 0; i < k; i++) {
            th[i] = 1.0 / k;
            th[k + i] = l0 * pow(5.0, 0.5 * (k - 1) - i);
        }
        break;
    default: th[0] = l0;
    }
}

static void sort_mixture(int k, double *th, double *se)
{
    for (int i = 1; i < k; i++) /* insertion sort by rate, descending */
        for (int j = i; j > 0 && th[k + j] > th[k + j - 1]; j--) {
            double tmp;
            tmp = th[j]; th[j] = th[j - 1]; th[j - 1] = tmp;
            tmp = th[k + j]; th[k + j] = th[k + j - 1]; th[k + j - 1] = tmp;
            if (se) {
                tmp = se[j]; se[j] = se[j - 1]; se[j - 1] = tmp;
                tmp = se[k + j]; se[k + j] = se[k + j - 1]; se[k + j - 1] = tmp;
            }
        }
}

int tide_decay_fit(tide_decay_family fam, int k, int64_t S, const int64_t *off, const double *t,
                   const uint8_t *ev, const tide_decay_fit_opts *opts, double *theta, double *se,
                   double *loglik, int32_t *status)
{
    tide_decay_fit_opts o;
    if (opts) o = *opts; else tide_decay_fit_default_opts(&o);
    int P = tide_decay_nparams(fam, k), F = tide_decay_nfree(fam, k);
    if (P < 0) return tide_errorf("decay_fit: bad family %d or mixture size %d (1..16)", (int)fam, k);
    for (int64_t s = 0; s < S; s++)
        if (off[s + 1] < off[s]) return tide_errorf("decay_fit: offsets decrease at series %lld", (long long)s);
    for (int64_t i = 0; i < off[S]; i++)
        if (!(t[i] >= 0) || !isfinite(t[i]))
            return tide_errorf("decay_fit: gap %lld is %g; gaps must be finite and >= 0", (long long)i, t[i]);
    tide_lbfgs_opts lo;
    tide_lbfgs_default_opts(&lo);
    lo.max_iter = o.max_iter;
    lo.gtol = 1e-8;
    tide_lbfgs *solver = tide_lbfgs_new(F, &lo);
    if (!solver) return TIDE_ERR;
    double u[MAXP], g[MAXP], th[MAXP], sev[MAXP];
    for (int64_t s = 0; s < S; s++) {
        series_ctx c = {fam, k, P, F, t + off[s], ev + off[s], off[s + 1] - off[s], NULL, 0};
        if (o.prior_u && o.prior_prec > 0) {
            c.prior = o.prior_shared ? o.prior_u : o.prior_u + s * F;
            c.prec = o.prior_prec;
        }
        int64_t d = 0;
        for (int64_t i = 0; i < c.n; i++) d += c.ev[i];
        int st;
        for (int i = 0; i < P; i++) sev[i] = NAN;
        if (fam == TIDE_DECAY_LINEAR || fam == TIDE_DECAY_LOG) {
            st = fit_clipped(fam, c.t, c.ev, c.n, th, sev);
            if (st == 3) { if (o.init) th[0] = o.init[0]; else auto_init(fam, k, c.t, c.ev, c.n, th); }
        } else if (d == 0 && !c.prior) {
            st = 3; /* nothing to fit: the MLE rate is 0 */
            if (o.init) memcpy(th, o.init, sizeof(double) * P); else auto_init(fam, k, c.t, c.ev, c.n, th);
        } else {
            if (o.init) memcpy(th, o.init, sizeof(double) * P); else auto_init(fam, k, c.t, c.ev, c.n, th);
            tide_decay_to_free(fam, k, th, u);
            if (c.prior && !o.init) memcpy(u, c.prior, sizeof(double) * F);
            tide_lbfgs_reset(solver);
            double f = neg_ll(u, g, F, &c);
            while ((st = tide_lbfgs_step(solver, u, &f, g)) == TIDE_LBFGS_NEED_EVAL) f = neg_ll(u, g, F, &c);
            tide_decay_from_free(fam, k, u, th);
            if (o.want_se && se) std_errors(&c, u, sev);
        }
        if (fam == TIDE_DECAY_MIXEXP) sort_mixture(k, th, sev);
        double ll = 0;
        for (int64_t i = 0; i < c.n; i++) ll += tide_decay_loglik1(fam, k, th, c.t[i], c.ev[i], NULL);
        /* parameters or likelihood that left the finite range are flagged, never passed off
         * as an estimate (the status tells the caller; theta is kept for inspection) */
        int bad = !isfinite(ll);
        for (int i = 0; i < P; i++) bad |= !isfinite(th[i]);
        if (bad) st = TIDE_DECAY_FIT_NONFINITE;
        memcpy(theta + s * P, th, sizeof(double) * P);
        if (se) memcpy(se + s * P, sev, sizeof(double) * P);
        if (loglik) loglik[s] = ll;
        if (status) status[s] = st;
    }
    tide_lbfgs_free(solver);
    return TIDE_OK;
}
