/* glm_fit.c — fitting penalised logistic regression: input checks, standardisation, the three
 * solvers (Newton/IRLS, L-BFGS, proximal Newton for l1) and the covariance of the estimate.
 * Objective, solver choice and references in glm.h. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "glm.h"
#include "lbfgs.h"

#define MAX_HESSIAN_P 5000 /* (p^2 doubles = 200 MB): beyond this no Hessian is formed */

typedef struct {
    int64_t n, d, p;
    const float *X, *t, *w;
    const double *mean, *sd;
    const double *p2, *p1; /* per-coefficient l2 and l1 weights on the z scale (index 0: 0) */
    double l1, W;          /* l1 > 0 selects proximal Newton; W = total weight, the test's scale */
} fit_ctx;

/* loss + sum_j p2_j beta_j^2 / 2 */
static double smooth(const fit_ctx *c, const double *beta, double *g, double *H)
{
    double f = tide_glm_objective(c->n, c->d, c->X, c->t, c->w, c->mean, c->sd, 0, beta, g, H);
    for (int64_t j = 1; j < c->p; j++) {
        f += 0.5 * c->p2[j] * beta[j] * beta[j];
        if (g) g[j] += c->p2[j] * beta[j];
        if (H) H[j * c->p + j] += c->p2[j];
    }
    return f;
}

/* sum_j p1_j |beta_j| */
static double l1_norm(const fit_ctx *c, const double *b)
{
    double s = 0;
    for (int64_t j = 1; j < c->p; j++) s += c->p1[j] * fabs(b[j]);
    return s;
}

/* ||minimum-norm subgradient of F||_inf, given the smooth gradient g */
static double subgrad_inf(const fit_ctx *c, const double *beta, const double *g)
{
    double m = fabs(g[0]);
    for (int64_t j = 1; j < c->p; j++) {
        double v = g[j];
        if (c->l1 > 0) v = beta[j] != 0 ? g[j] + copysign(c->p1[j], beta[j]) : fmax(fabs(g[j]) - c->p1[j], 0);
        m = fmax(m, fabs(v));
    }
    return m;
}

/* Armijo backtracking from beta along dir: F(beta + s dir) <= F + 1e-4 s slope. On success
 * beta is moved and its F returned; on failure beta is unchanged and NaN returned. */
static double backtrack(const fit_ctx *c, double *beta, const double *dir, double F, double slope, double *trial)
{
    for (double s = 1; s > 1e-12; s *= 0.5) {
        for (int64_t j = 0; j < c->p; j++) trial[j] = beta[j] + s * dir[j];
        double Ft = smooth(c, trial, NULL, NULL) + l1_norm(c, trial);
        if (Ft <= F + 1e-4 * s * slope) {
            memcpy(beta, trial, (size_t)c->p * sizeof(double));
            return Ft;
        }
    }
    return NAN;
}

/* Cholesky of H (copied into L), adding a growing ridge if it is numerically singular, as
 * happens when l2 = 0 and the data are (nearly) separable. */
static int factor(int64_t p, const double *H, double *L)
{
    double scale = 0;
    for (int64_t j = 0; j < p; j++) scale = fmax(scale, H[j * p + j]);
    for (double ridge = 0; ridge <= scale; ridge = ridge ? ridge * 100 : scale * 1e-12 + 1e-300) {
        memcpy(L, H, (size_t)(p * p) * sizeof(double));
        for (int64_t j = 0; j < p; j++) L[j * p + j] += ridge;
        if (tide_glm_cholesky(p, L) == 0) return 0;
    }
    return -1;
}

/* Minimises g'δ + δ'Hδ/2 + l1 ||beta_1: + δ_1:||_1 over δ by cyclic coordinate descent
 * (u = Hδ kept up to date), stopping when no coordinate moves its gradient by more than gstop. */
static void cd_quadratic(const fit_ctx *c, const double *beta, const double *g, const double *H, double *dlt,
                         double *u, double gstop)
{
    int64_t p = c->p;
    memset(dlt, 0, (size_t)p * sizeof(double));
    memset(u, 0, (size_t)p * sizeof(double));
    for (int sweep = 0; sweep < 1000; sweep++) {
        double moved = 0;
        for (int64_t j = 0; j < p; j++) {
            double a = H[j * p + j];
            if (!(a > 0)) continue;
            double cj = g[j] + u[j] - a * dlt[j], nd;
            if (j == 0) {
                nd = -cj / a;
            } else { /* soft threshold: new coefficient z = S(beta_j - cj / a, l1 / a) */
                double z = beta[j] - cj / a, thr = c->p1[j] / a;
                z = z > thr ? z - thr : z < -thr ? z + thr : 0;
                nd = z - beta[j];
            }
            double ch = nd - dlt[j];
            if (ch == 0) continue;
            dlt[j] = nd;
            for (int64_t k = 0; k < p; k++) u[k] += H[k * p + j] * ch;
            moved = fmax(moved, a * fabs(ch));
        }
        if (moved <= gstop) break;
    }
}

/* Newton (l1 = 0) or proximal Newton (l1 > 0) iterations; returns iterations done. */
static int newton(const fit_ctx *c, int max_iter, double tol, double *beta, tide_glm_model *m)
{
    int64_t p = c->p;
    double *g = malloc((size_t)(p * p * 2 + 4 * p) * sizeof(double));
    if (!g) return tide_errorf("logistic fit: out of memory for the %lld x %lld Hessian", (long long)p, (long long)p);
    double *H = g + p, *L = H + p * p, *dir = L + p * p, *u = dir + p, *trial = u + p;
    int it;
    double F = 0, gi = 0;
    for (it = 0;; it++) {
        F = smooth(c, beta, g, H) + l1_norm(c, beta);
        gi = subgrad_inf(c, beta, g);
        if (gi <= tol * c->W) { m->converged = 1; snprintf(m->message, sizeof m->message, "converged"); break; }
        if (it >= max_iter) { snprintf(m->message, sizeof m->message, "not converged after %d iterations", it); break; }
        double slope = 0;
        if (c->l1 > 0) {
            cd_quadratic(c, beta, g, H, dir, u, fmin(0.1 * gi, tol * c->W));
            for (int64_t j = 0; j < p; j++) trial[j] = beta[j] + dir[j];
            slope = 0;
            for (int64_t j = 0; j < p; j++) slope += g[j] * dir[j];
            slope += l1_norm(c, trial) - l1_norm(c, beta); /* Tseng & Yun's Δ, <= 0 */
        } else {
            if (factor(p, H, L) < 0) { snprintf(m->message, sizeof m->message, "Hessian not positive definite"); break; }
            for (int64_t j = 0; j < p; j++) dir[j] = -g[j];
            tide_glm_chol_solve(p, L, dir);
            for (int64_t j = 0; j < p; j++) slope += g[j] * dir[j];
        }
        if (!(slope < 0) || isnan(backtrack(c, beta, dir, F, slope, trial))) {
            snprintf(m->message, sizeof m->message, "line search made no progress at ||grad||_inf = %.3g "
                     "(tolerance %.3g)", gi, tol * c->W);
            break;
        }
    }
    m->objective = F;
    m->grad_inf = gi;
    free(g);
    return it;
}

/* L-BFGS (l1 = 0) driven by reverse communication, so the iteration count is known */
static int lbfgs_fit(const fit_ctx *c, int max_iter, double tol, double *beta, tide_glm_model *m)
{
    tide_lbfgs_opts lo;
    tide_lbfgs_default_opts(&lo);
    lo.m = 10;
    lo.max_iter = max_iter;
    lo.ftol = 1e-15; /* stop on the gradient test, or when F stalls at machine precision */
    double *g = malloc((size_t)c->p * sizeof(double));
    if (!g) return tide_errorf("logistic fit: out of memory");
    double F = smooth(c, beta, g, NULL);
    lo.gtol = tol * c->W / fmax(1.0, fabs(F)); /* lbfgs tests ||g|| <= gtol max(1, |F|); F only falls */
    tide_lbfgs *s = tide_lbfgs_new(c->p, &lo);
    if (!s) { free(g); return TIDE_ERR; }
    int rc;
    while ((rc = tide_lbfgs_step(s, beta, &F, g)) == TIDE_LBFGS_NEED_EVAL) F = smooth(c, beta, g, NULL);
    int it = tide_lbfgs_iterations(s);
    tide_lbfgs_free(s);
    m->objective = F;
    m->grad_inf = subgrad_inf(c, beta, g);
    free(g);
    m->converged = rc == TIDE_LBFGS_CONVERGED;
    snprintf(m->message, sizeof m->message, "%s (L-BFGS: %s, ||grad||_inf = %.3g, tolerance %.3g)",
             m->converged ? "converged" : "not converged", tide_lbfgs_status_name(rc), m->grad_inf, tol * c->W);
    return it;
}

/* cov = inverse penalised Hessian over the intercept and the non-zero slopes (others NaN) */
static int covariance(const fit_ctx *c, const double *beta, tide_glm_model *m)
{
    int64_t p = c->p, q = 0;
    double *H = malloc((size_t)(p * p * 3) * sizeof(double));
    int64_t *act = malloc((size_t)p * sizeof(int64_t));
    m->cov = malloc((size_t)(p * p) * sizeof(double));
    if (!H || !act || !m->cov) { free(H); free(act); return tide_errorf("logistic fit: out of memory for the covariance"); }
    smooth(c, beta, NULL, H);
    for (int64_t j = 0; j < p; j++)
        if (j == 0 || c->l1 == 0 || beta[j] != 0) act[q++] = j;
    double *S = H + p * p, *inv = S + p * p;
    for (int64_t a = 0; a < q; a++)
        for (int64_t b = 0; b < q; b++) S[a * q + b] = H[act[a] * p + act[b]];
    for (int64_t i = 0; i < p * p; i++) m->cov[i] = NAN;
    if (tide_glm_cholesky(q, S) == 0) {
        tide_glm_chol_inverse(q, S, inv);
        for (int64_t a = 0; a < q; a++)
            for (int64_t b = 0; b < q; b++) m->cov[act[a] * p + act[b]] = inv[a * q + b];
    } else {
        size_t k = strlen(m->message);
        snprintf(m->message + k, sizeof m->message - k, "; Hessian singular: no standard errors");
    }
    free(H);
    free(act);
    return TIDE_OK;
}

void tide_glm_default_opts(tide_glm_opts *o)
{
    memset(o, 0, sizeof *o);
    o->l2 = 1;
    o->standardize = 1;
    o->tol = 1e-8;
    o->want_cov = 1;
}

void tide_glm_model_free(tide_glm_model *m)
{
    if (!m) return;
    free(m->mean);
    free(m->sd);
    free(m->beta);
    free(m->cov);
    m->mean = m->sd = m->beta = m->cov = NULL;
}

static int check_input(int64_t n, int64_t d, const float *X, const float *t, const float *w,
                       const tide_glm_opts *o, double *W)
{
    if (n < 1) return tide_errorf("logistic fit: no rows");
    if (d < 0) return tide_errorf("logistic fit: negative feature count %lld", (long long)d);
    if (!(o->l2 >= 0 && isfinite(o->l2)) || !(o->l1 >= 0 && isfinite(o->l1)))
        return tide_errorf("logistic fit: l2 = %g and l1 = %g must be finite and >= 0", o->l2, o->l1);
    if (!(o->tol > 0) || o->max_iter < 0 || o->solver < 0 || o->solver > 2)
        return tide_errorf("logistic fit: bad options (tol %g, max_iter %d, solver %d)", o->tol, o->max_iter, o->solver);
    if (o->l1 > 0 && o->solver == TIDE_GLM_LBFGS)
        return tide_errorf("logistic fit: solver 'lbfgs' cannot handle l1 > 0 (not smooth); use 'irls' or 'auto' "
                           "(proximal Newton)");
    if (o->l1 > 0 && d + 1 > MAX_HESSIAN_P)
        return tide_errorf("logistic fit: l1 needs a Hessian, limited to %d features (got %lld)", MAX_HESSIAN_P - 1,
                           (long long)d);
    int64_t r, col;
    if (!tide_glm_check_finite(n, d, X, &r, &col))
        return tide_errorf("logistic fit: feature row %lld column %lld is %s", (long long)r + 1, (long long)col + 1,
                           isnan(X[r * d + col]) ? "NaN" : X[r * d + col] > 0 ? "inf" : "-inf");
    *W = 0;
    for (int64_t i = 0; i < n; i++) {
        if (!(t[i] >= 0 && t[i] <= 1)) return tide_errorf("logistic fit: target %lld is %g, not in [0, 1]", (long long)i + 1, t[i]);
        double wi = w ? w[i] : 1;
        if (!(wi >= 0 && isfinite(wi))) return tide_errorf("logistic fit: weight %lld is %g", (long long)i + 1, wi);
        *W += wi;
    }
    if (!(*W > 0)) return tide_errorf("logistic fit: total weight is 0");
    return TIDE_OK;
}

int tide_glm_fit(int64_t n, int64_t d, const float *X, const float *t, const float *w, const tide_glm_opts *o,
                 tide_glm_model *m)
{
    memset(m, 0, sizeof *m);
    m->d = d;
    double W = 0;
    if (check_input(n, d, X, t, w, o, &W) < 0) return TIDE_ERR;
    int64_t p = d + 1;
    m->mean = calloc((size_t)(d ? d : 1), sizeof(double));
    m->sd = malloc((size_t)(d ? d : 1) * sizeof(double));
    m->beta = calloc((size_t)p, sizeof(double));
    if (!m->mean || !m->sd || !m->beta) return tide_errorf("logistic fit: out of memory");
    /* The optimisation always runs on centred and scaled features, which keeps Newton and
     * L-BFGS well conditioned whatever the raw scales; `standardize` only decides where the
     * penalty applies. On raw coefficients (beta_raw_j = beta_j / sd_j) it becomes a penalty
     * with weights l2 / sd_j^2 and l1 / sd_j on the z scale. */
    for (int64_t i = 0; i < n; i++) /* two passes in double: mean, then population sd */
        for (int64_t j = 0; j < d; j++) m->mean[j] += X[i * d + j];
    for (int64_t j = 0; j < d; j++) m->mean[j] /= (double)n, m->sd[j] = 0;
    for (int64_t i = 0; i < n; i++)
        for (int64_t j = 0; j < d; j++) m->sd[j] += (X[i * d + j] - m->mean[j]) * (X[i * d + j] - m->mean[j]);
    for (int64_t j = 0; j < d; j++) {
        m->sd[j] = sqrt(m->sd[j] / (double)n);
        if (!(m->sd[j] > 0)) m->sd[j] = 1; /* constant column, as StandardScaler */
    }
    double *pen = malloc((size_t)(2 * p) * sizeof(double));
    if (!pen) return tide_errorf("logistic fit: out of memory");
    pen[0] = pen[p] = 0;
    for (int64_t j = 1; j < p; j++) {
        double s = o->standardize ? 1 : m->sd[j - 1];
        pen[j] = o->l2 / (s * s), pen[p + j] = o->l1 / s;
    }
    fit_ctx c = {n, d, p, X, t, w, m->mean, m->sd, pen, pen + p, o->l1, W};
    double tw = 0; /* start at the intercept-only optimum (for l2 = l1 = 0 and centred z) */
    for (int64_t i = 0; i < n; i++) tw += (w ? w[i] : 1) * t[i];
    double pbar = fmin(fmax(tw / W, 1e-10), 1 - 1e-10);
    m->beta[0] = log(pbar / (1 - pbar));
    int solver = o->solver;
    if (solver == TIDE_GLM_AUTO) solver = o->l1 > 0 || p <= 200 ? TIDE_GLM_IRLS : TIDE_GLM_LBFGS;
    m->solver = solver;
    int rc = solver == TIDE_GLM_IRLS ? newton(&c, o->max_iter ? o->max_iter : 100, o->tol, m->beta, m)
                                     : lbfgs_fit(&c, o->max_iter ? o->max_iter : 1000, o->tol, m->beta, m);
    if (rc < 0) { free(pen); return TIDE_ERR; }
    m->iterations = rc;
    if (m->converged && o->l2 == 0 && o->l1 == 0 && m->objective < 1e-6 * W) {
        /* the gradient vanishes as |beta| -> infinity on completely separated data, so the test
         * passes with meaningless coefficients; a near-zero loss gives it away (statsmodels
         * checks the same way) */
        m->converged = 0;
        snprintf(m->message, sizeof m->message, "classes are perfectly separated: the unpenalised MLE does not "
                 "exist (coefficients diverge); use l2 > 0");
    } else if (!m->converged && o->l2 == 0 && o->l1 == 0) {
        size_t k = strlen(m->message);
        snprintf(m->message + k, sizeof m->message - k, "; without a penalty the classes may be separable, try l2 > 0");
    }
    if (o->want_cov && p <= MAX_HESSIAN_P) rc = covariance(&c, m->beta, m);
    free(pen);
    return rc < 0 ? TIDE_ERR : TIDE_OK;
}
