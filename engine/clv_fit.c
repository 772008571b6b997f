/* clv_fit.c — input checks and maximum-likelihood fits of the customer-base models:
 * L-BFGS (lbfgs.c) on log-parameters, so positivity needs no bounds, then standard errors
 * from the Hessian. A fit that stops early, ends on a non-maximum or runs a parameter off to
 * 0 or infinity is reported as not converged with the reason; the numbers are still returned
 * (the best point reached) so the caller can inspect them. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "clv.h"
#include "error.h"
#include "lbfgs.h"

int tide_clv_check(tide_clv_model m, const tide_clv_data *d)
{
    const char *nm = tide_clv_name(m);
    if (d->n < 1) return tide_errorf("%s: no customers", nm);
    int64_t useful = 0;
    for (int64_t i = 0; i < d->n; i++) {
        double x = d->x[i], tx = d->tx[i], w = d->w ? d->w[i] : 1;
        if (!isfinite(x) || x < 0 || x != floor(x))
            return tide_errorf("%s: customer %lld: frequency %g must be a non-negative integer", nm, (long long)i + 1, x);
        if (!isfinite(w) || w < 0) return tide_errorf("%s: customer %lld: weight %g must be >= 0", nm, (long long)i + 1, w);
        if (m == TIDE_CLV_GAMMAGAMMA) {
            if (x > 0 && !(tx > 0 && isfinite(tx)))
                return tide_errorf("%s: customer %lld: monetary value %g must be finite and > 0 when frequency > 0", nm,
                                   (long long)i + 1, tx);
            useful += x > 0 && w > 0;
            continue;
        }
        double T = d->T[i];
        if (!isfinite(tx) || tx < 0) return tide_errorf("%s: customer %lld: recency %g must be finite and >= 0", nm, (long long)i + 1, tx);
        /* T = 0 (first purchase on the calibration end day) is allowed: the likelihood of no
         * purchase in no time is 1 in every model, so such a customer adds nothing to the fit
         * and is still scored (as a new customer) */
        if (!isfinite(T) || T < 0) return tide_errorf("%s: customer %lld: T %g must be finite and >= 0", nm, (long long)i + 1, T);
        if (tx > T) return tide_errorf("%s: customer %lld: recency %g is after T %g", nm, (long long)i + 1, tx, T);
        if (x == 0 && tx != 0) return tide_errorf("%s: customer %lld: recency %g with frequency 0 (must be 0)", nm, (long long)i + 1, tx);
        useful += w > 0;
    }
    if (!useful) return tide_errorf("%s: no customer carries information (%s)", nm,
                                    m == TIDE_CLV_GAMMAGAMMA ? "all have frequency 0" : "all weights are 0");
    return TIDE_OK;
}

typedef struct {
    tide_clv_model m;
    const tide_clv_data *d;
    double scale; /* 1 / total weight: the objective is the mean negative log-likelihood */
    int failed;
} fit_ctx;

/* f(u) = -ll(exp u) * scale; df/du_i = -theta_i dll/dtheta_i * scale. An evaluation that fails
 * (series not converging far from the optimum) returns +inf, which makes the line search
 * step back (lbfgs.h). */
static double objective(const double *u, double *g, int64_t n, void *vctx)
{
    fit_ctx *c = vctx;
    double th[4] = {0}, ll, gr[4] = {0};
    for (int i = 0; i < n; i++) th[i] = exp(u[i]);
    if (tide_clv_loglik(c->m, th, c->d, &ll, gr)) {
        c->failed++;
        for (int i = 0; i < n; i++) g[i] = 0;
        return INFINITY;
    }
    for (int i = 0; i < n; i++) g[i] = -th[i] * gr[i] * c->scale;
    return -ll * c->scale;
}

/* Inverse of the symmetric n x n matrix H by Cholesky (H = L L'); 0 if H is not positive
 * definite. */
static int spd_inverse(int n, const double H[4][4], double inv[4][4])
{
    double L[4][4] = {{0}};
    for (int i = 0; i < n; i++)
        for (int j = 0; j <= i; j++) {
            double s = H[i][j];
            for (int k = 0; k < j; k++) s -= L[i][k] * L[j][k];
            if (i == j) {
                if (!(s > 0)) return 0;
                L[i][i] = sqrt(s);
            } else
                L[i][j] = s / L[j][j];
        }
    for (int col = 0; col < n; col++) { /* solve L L' v = e_col */
        double y[4], v[4];
        for (int i = 0; i < n; i++) {
            double s = i == col;
            for (int k = 0; k < i; k++) s -= L[i][k] * y[k];
            y[i] = s / L[i][i];
        }
        for (int i = n - 1; i >= 0; i--) {
            double s = y[i];
            for (int k = i + 1; k < n; k++) s -= L[k][i] * v[k];
            v[i] = s / L[i][i];
        }
        for (int i = 0; i < n; i++) inv[i][col] = v[i];
    }
    return 1;
}

/* Hessian of the total negative log-likelihood in u = log theta, by central differences of
 * the analytic gradient (step 1e-4 in u: truncation error ~1e-8 relative, far below the SE
 * precision anyone reads). Returns 0 if a gradient could not be evaluated. */
static int hessian_u(fit_ctx *c, const double *u, int P, double H[4][4])
{
    double up[4], gp[4], gm[4], h = 1e-4, save = c->scale;
    c->scale = 1;
    for (int j = 0; j < P; j++) {
        memcpy(up, u, sizeof up);
        up[j] = u[j] + h;
        if (!isfinite(objective(up, gp, P, c))) return c->scale = save, 0;
        up[j] = u[j] - h;
        if (!isfinite(objective(up, gm, P, c))) return c->scale = save, 0;
        for (int i = 0; i < P; i++) H[i][j] = (gp[i] - gm[i]) / (2 * h);
    }
    c->scale = save;
    for (int i = 0; i < P; i++)
        for (int j = 0; j < i; j++) H[i][j] = H[j][i] = 0.5 * (H[i][j] + H[j][i]);
    return 1;
}

int tide_clv_fit(tide_clv_model m, const tide_clv_data *d, const double *init, int max_iter, double gtol,
                 tide_clv_fit_result *res)
{
    memset(res, 0, sizeof *res);
    if (tide_clv_check(m, d)) return TIDE_ERR;
    int P = tide_clv_nparams(m);
    double wsum = 0;
    for (int64_t i = 0; i < d->n; i++) wsum += d->w ? d->w[i] : 1;
    fit_ctx c = {m, d, 1 / wsum, 0};
    double u[4];
    for (int i = 0; i < P; i++) {
        double v = init ? init[i] : 1;
        if (!(v > 0) || !isfinite(v))
            return tide_errorf("%s: initial %s = %g must be finite and > 0", tide_clv_name(m), tide_clv_param_name(m, i), v);
        u[i] = log(v);
    }
    {
        double th[4], ll;
        for (int i = 0; i < P; i++) th[i] = exp(u[i]);
        if (tide_clv_loglik(m, th, d, &ll, NULL)) {
            tide_error_prefix("cannot evaluate the likelihood at the start point");
            return TIDE_ERR;
        }
    }
    tide_lbfgs_opts o;
    tide_lbfgs_default_opts(&o);
    o.max_iter = max_iter > 0 ? max_iter : 500;
    o.gtol = gtol > 0 ? gtol : 1e-9;
    o.ftol = 1e-15;
    o.max_step = 5; /* a step of e^5 in any parameter per line search keeps series in range */
    tide_lbfgs *s = tide_lbfgs_new(P, &o);
    if (!s) return TIDE_ERR;
    double g[4];
    double f = objective(u, g, P, &c);
    int st;
    while ((st = tide_lbfgs_step(s, u, &f, g)) == TIDE_LBFGS_NEED_EVAL) f = objective(u, g, P, &c);
    res->iterations = tide_lbfgs_iterations(s);
    res->evaluations = tide_lbfgs_evaluations(s);
    tide_lbfgs_free(s);
    for (int i = 0; i < P; i++) res->theta[i] = exp(u[i]);
    res->loglik = -f / c.scale;
    double gn = 0;
    for (int i = 0; i < P; i++) gn = fmax(gn, fabs(g[i]));
    for (int i = 0; i < 4; i++) res->se[i] = NAN;
    /* The mean log-likelihood is summed to ~1e-13 relative precision, so near the optimum the
     * line search can fail to find a decrease that the rounding noise does not swamp; with a
     * gradient that small (per customer, in log-parameters) the point is the maximum. */
    if (st == TIDE_LBFGS_ELINESEARCH && gn <= 1e-6) st = TIDE_LBFGS_CONVERGED;
    res->status = st;
    if (st != TIDE_LBFGS_CONVERGED)
        snprintf(res->reason, sizeof res->reason, "L-BFGS stopped: %s after %d iterations (max |gradient| %.3g)",
                 tide_lbfgs_status_name(st), res->iterations, gn);
    for (int i = 0; i < P && !res->reason[0]; i++)
        if (fabs(u[i]) > 25)
            snprintf(res->reason, sizeof res->reason, "%s = %.3g runs off to the boundary (no interior maximum)",
                     tide_clv_param_name(m, i), res->theta[i]);
    double H[4][4], inv[4][4];
    if (hessian_u(&c, u, P, H) && spd_inverse(P, H, inv)) {
        for (int i = 0; i < P; i++) res->se[i] = res->theta[i] * sqrt(inv[i][i]); /* delta method */
    } else if (!res->reason[0])
        snprintf(res->reason, sizeof res->reason, "the Hessian at the end point is not positive definite (not a maximum)");
    res->converged = res->reason[0] == 0;
    return TIDE_OK;
}
