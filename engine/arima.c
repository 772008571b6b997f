/* arima.c — conditional-sum-of-squares ARIMA: the residual recursion with its analytic
 * gradient, the L-BFGS fit with Hessian standard errors, stationarity/invertibility checks,
 * psi weights and forecasts. See arima.h for the model and references. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arima.h"
#include "arima_internal.h"
#include "error.h"
#include "lbfgs.h"

#define MAXP 64

/* e_t = (w_t - mu) - sum_i phi_i (w_{t-i} - mu) - sum_j theta_j e_{t-j}, t >= cond.
 * Derivatives follow the same recursion (Box & Jenkins 7.2.1):
 *   de_t/dphi_i   = -(w_{t-i} - mu)      - sum_j theta_j de_{t-j}/dphi_i
 *   de_t/dtheta_j = -e_{t-j}             - sum_k theta_k de_{t-k}/dtheta_j
 *   de_t/dmu      = -1 + sum_i phi_i     - sum_j theta_j de_{t-j}/dmu
 * kept for the last q steps only (a ring of q+1 rows of K derivatives). */
int tide_arima_css(const double *w, int64_t n, int p, int q, int with_mean, int cond, const double *par, double *ss,
                   double *grad, double *e)
{
    int K = p + q + (with_mean ? 1 : 0);
    const double *phi = par, *theta = par + p;
    double mu = with_mean ? par[p + q] : 0, s = 0;
    double *er = e ? e : calloc((size_t)n, sizeof(double));
    double *de = grad ? calloc((size_t)n * (size_t)(K ? K : 1), sizeof(double)) : NULL;
    if (!er || (grad && !de)) {
        if (!e) free(er);
        free(de);
        return tide_errorf("arima: out of memory for %lld residuals", (long long)n);
    }
    if (e) memset(e, 0, (size_t)n * sizeof(double));
    if (grad) memset(grad, 0, (size_t)K * sizeof(double));
    double sphi = 0;
    for (int i = 0; i < p; i++) sphi += phi[i];
    for (int64_t t = cond; t < n; t++) {
        double v = w[t] - mu;
        for (int i = 0; i < p; i++) v -= phi[i] * (w[t - 1 - i] - mu);
        for (int j = 0; j < q && t - 1 - j >= cond; j++) v -= theta[j] * er[t - 1 - j];
        er[t] = v;
        s += v * v;
        if (!grad) continue;
        double *dt = de + t * K;
        for (int i = 0; i < p; i++) dt[i] = -(w[t - 1 - i] - mu);
        for (int j = 0; j < q; j++) dt[p + j] = t - 1 - j >= cond ? -er[t - 1 - j] : 0;
        if (with_mean) dt[p + q] = -1 + sphi;
        for (int j = 0; j < q && t - 1 - j >= cond; j++) {
            const double *dp = de + (t - 1 - j) * K;
            for (int k = 0; k < K; k++) dt[k] -= theta[j] * dp[k];
        }
        for (int k = 0; k < K; k++) grad[k] += 2 * v * dt[k];
    }
    if (!e) free(er);
    free(de);
    *ss = s;
    if (!isfinite(s)) return tide_errorf("arima: the residuals overflow at these parameters");
    return TIDE_OK;
}

int tide_arima_stable(const double *c, int k)
{
    double a[MAXP], b[MAXP];
    memcpy(a, c, (size_t)k * sizeof(double));
    for (int m = k; m >= 1; m--) { /* a[m-1] is the partial autocorrelation of order m */
        double r = a[m - 1];
        if (!(fabs(r) < 1)) return 0;
        for (int j = 0; j < m - 1; j++) b[j] = (a[j] + r * a[m - 2 - j]) / (1 - r * r);
        memcpy(a, b, (size_t)(m - 1) * sizeof(double));
    }
    return 1;
}

static int64_t diff(const double *x, int64_t n, int d, double *w)
{
    memcpy(w, x, (size_t)n * sizeof(double));
    for (int k = 0; k < d; k++)
        for (int64_t t = 0; t < n - 1 - k; t++) w[t] = w[t + 1] - w[t];
    return n - d;
}

typedef struct {
    const double *w;
    int64_t n;
    int p, q, m, cond;
    double scale;
    int failed;
} css_ctx;

static double css_obj(const double *par, double *g, int64_t K, void *vc)
{
    css_ctx *c = vc;
    double ss;
    if (tide_arima_css(c->w, c->n, c->p, c->q, c->m, c->cond, par, &ss, g, NULL)) {
        c->failed = 1;
        for (int64_t k = 0; k < K; k++) g[k] = 0;
        return INFINITY;
    }
    for (int64_t k = 0; k < K; k++) g[k] *= c->scale;
    return ss * c->scale;
}

/* diag of H^-1 into diag[K] by Gauss-Jordan elimination with partial pivoting (H [K*K] is
 * destroyed); 0 if H is singular or an entry of the diagonal is not positive (H not positive
 * definite along that axis). */
int tide_arima_inverse_diag(double *H, int K, double *diag)
{
    double *A = calloc((size_t)K * K, sizeof(double));
    if (!A) return 0;
    int ok = 1;
    for (int i = 0; i < K; i++) A[i * K + i] = 1;
    for (int col = 0; col < K && ok; col++) {
        int piv = col;
        for (int r = col + 1; r < K; r++)
            if (fabs(H[r * K + col]) > fabs(H[piv * K + col])) piv = r;
        if (!(fabs(H[piv * K + col]) > 1e-300)) { ok = 0; break; }
        for (int k = 0; k < K; k++) {
            double t1 = H[col * K + k]; H[col * K + k] = H[piv * K + k]; H[piv * K + k] = t1;
            double t2 = A[col * K + k]; A[col * K + k] = A[piv * K + k]; A[piv * K + k] = t2;
        }
        double dv = H[col * K + col];
        for (int k = 0; k < K; k++) H[col * K + k] /= dv, A[col * K + k] /= dv;
        for (int r = 0; r < K; r++) {
            if (r == col) continue;
            double f = H[r * K + col];
            for (int k = 0; k < K; k++) H[r * K + k] -= f * H[col * K + k], A[r * K + k] -= f * A[col * K + k];
        }
    }
    for (int i = 0; i < K && ok; i++) ok = A[i * K + i] > 0;
    for (int i = 0; i < K; i++) diag[i] = A[i * K + i];
    free(A);
    return ok;
}

/* Hessian of the concentrated log-likelihood -nobs/2 log(S/nobs) by central differences of
 * the analytic gradient; SEs = sqrt(diag(H^-1)). 0 if not positive definite. */
static int hessian_se(css_ctx *c, const double *par, int K, double *se)
{
    double *H = calloc((size_t)K * K + (size_t)K * 4, sizeof(double));
    if (!H) return 0;
    double *A = H + K * K, *pp = A + K, *gp = pp + K, *gm = gp + K;
    double nobs = (double)(c->n - c->cond), ss0, save = c->scale;
    c->scale = 1;
    double tmp[MAXP];
    ss0 = css_obj(par, tmp, K, c);
    int ok = isfinite(ss0) && ss0 > 0;
    for (int j = 0; j < K && ok; j++) {
        double h = 1e-5 * fmax(1, fabs(par[j]));
        memcpy(pp, par, (size_t)K * sizeof(double));
        pp[j] += h;
        ok &= isfinite(css_obj(pp, gp, K, c));
        pp[j] -= 2 * h;
        ok &= isfinite(css_obj(pp, gm, K, c));
        /* d2/dpj dpi of nobs/2 log S = nobs/2 (S_ij / S - S_i S_j / S^2); at the minimum S_i = 0 */
        for (int i = 0; i < K; i++) H[i * K + j] = nobs / 2 * (gp[i] - gm[i]) / (2 * h) / ss0;
    }
    c->scale = save;
    if (ok) ok = tide_arima_inverse_diag(H, K, A);
    for (int i = 0; i < K; i++) se[i] = ok ? sqrt(A[i]) : NAN;
    free(H);
    return ok;
}

int tide_arima_fit(const double *x, int64_t n, int p, int d, int q, int with_mean, int cond, tide_arima_fit_result *res)
{
    memset(res, 0, sizeof *res);
    int K = p + q + (with_mean ? 1 : 0);
    if (p < 0 || q < 0 || d < 0 || p > 30 || q > 30 || d > 3)
        return tide_errorf("arima: orders p = %d, d = %d, q = %d must be within 0..30, 0..3, 0..30", p, d, q);
    if (cond < p) cond = p;
    for (int64_t t = 0; t < n; t++)
        if (!isfinite(x[t])) return tide_errorf("arima: series value %lld is not finite", (long long)t + 1);
    if (n - d - cond <= K + 1)
        return tide_errorf("arima: %lld observations are too few for ARIMA(%d,%d,%d)%s (need more than %d after "
                           "differencing and conditioning)", (long long)n, p, d, q, with_mean ? " with mean" : "",
                           d + cond + K + 1);
    double *w = malloc((size_t)n * sizeof(double));
    if (!w) return tide_errorf("arima: out of memory");
    int64_t nw = diff(x, n, d, w);
    css_ctx c = {w, nw, p, q, with_mean, cond, 1.0 / (double)(nw - cond), 0};
    double *par = res->params;
    if (with_mean) {
        double s = 0;
        for (int64_t t = 0; t < nw; t++) s += w[t];
        par[p + q] = s / (double)nw;
    }
    tide_lbfgs_opts o;
    tide_lbfgs_default_opts(&o);
    o.max_iter = 500;
    o.gtol = 1e-10;
    o.ftol = 1e-15;
    double f = 0;
    int st = TIDE_LBFGS_CONVERGED;
    if (K) st = tide_lbfgs_minimize(css_obj, &c, K, par, &f, &o);
    else f = css_obj(par, NULL, 0, &c); /* ARIMA(0,d,0): nothing to estimate */
    double ss = f * (double)(nw - cond);
    res->nobs = (int)(nw - cond);
    res->sigma2 = ss / res->nobs;
    res->loglik = -0.5 * res->nobs * (log(2 * M_PI * res->sigma2) + 1);
    res->aic = -2 * res->loglik + 2 * (K + 1);
    double g[MAXP];
    css_obj(par, g, K, &c);
    double gn = 0;
    for (int k = 0; k < K; k++) gn = fmax(gn, fabs(g[k]));
    /* rounding floor of S/nobs: a failed line search with a tiny gradient is the minimum */
    if (st == TIDE_LBFGS_ELINESEARCH && gn <= 1e-7 * fmax(1, f)) st = TIDE_LBFGS_CONVERGED;
    double neg[MAXP];
    for (int j = 0; j < q; j++) neg[j] = -par[p + j];
    res->stationary = tide_arima_stable(par, p);
    res->invertible = tide_arima_stable(neg, q);
    if (st != TIDE_LBFGS_CONVERGED)
        snprintf(res->reason, sizeof res->reason, "L-BFGS stopped: %s (max |gradient| %.3g)", tide_lbfgs_status_name(st), gn);
    else if (!(res->sigma2 > 0))
        snprintf(res->reason, sizeof res->reason, "the model fits the series exactly (sigma^2 = 0)");
    if (K && !hessian_se(&c, par, K, res->se) && !res->reason[0])
        snprintf(res->reason, sizeof res->reason, "the Hessian is not positive definite (parameters not identified)");
    res->converged = res->reason[0] == 0;
    free(w);
    return TIDE_OK;
}

int tide_arima_psi(const double *phi, int p, int d, const double *theta, int q, int h, double *psi)
{
    /* phi*(B) = phi(B) (1 - B)^d, as coefficients c_i of 1 - sum c_i B^i */
    int P = p + d;
    double a[MAXP + 4] = {1}; /* polynomial 1 - sum phi_i B^i */
    for (int i = 0; i < p; i++) a[i + 1] = -phi[i];
    for (int k = 0; k < d; k++)
        for (int i = p + k + 1; i >= 1; i--) a[i] -= a[i - 1];
    for (int j = 0; j < h; j++) {
        double v = j == 0 ? 1 : (j <= q ? theta[j - 1] : 0);
        for (int i = 1; i <= P && i <= j; i++) v += -a[i] * psi[j - i];
        psi[j] = v;
    }
    return TIDE_OK;
}

int tide_arima_forecast(const double *x, int64_t n, int p, int d, int q, int with_mean, int cond, const double *par,
                        double sigma2, int h, double *mean, double *se)
{
    if (h < 1) return tide_errorf("arima: forecast horizon must be >= 1, got %d", h);
    if (cond < p) cond = p;
    if (n - d <= cond) return tide_errorf("arima: series too short to forecast");
    double *w = malloc((size_t)(n + h) * sizeof(double) * 3);
    if (!w) return tide_errorf("arima: out of memory");
    double *e = w + n + h, *lev = e + n + h, ss;
    int64_t nw = diff(x, n, d, w);
    if (tide_arima_css(w, nw, p, q, with_mean, cond, par, &ss, NULL, e)) {
        free(w);
        return TIDE_ERR;
    }
    double mu = with_mean ? par[p + q] : 0;
    for (int k = 0; k < h; k++) { /* future errors have mean 0 */
        int64_t t = nw + k;
        double v = mu;
        for (int i = 0; i < p; i++) v += par[i] * (w[t - 1 - i] - mu);
        for (int j = 0; j < q; j++)
            if (t - 1 - j < nw && t - 1 - j >= cond) v += par[p + j] * e[t - 1 - j];
        w[t] = v, e[t] = 0;
    }
    /* undo the differencing: keep the last values of each differencing level */
    double last[4];
    memcpy(lev, x, (size_t)n * sizeof(double));
    for (int k = 0; k < d; k++) { /* last[k] = last value of the k-times differenced series */
        last[k] = lev[n - 1 - k];
        for (int64_t t = 0; t < n - 1 - k; t++) lev[t] = lev[t + 1] - lev[t];
    }
    for (int s = 0; s < h; s++) {
        double v = w[nw + s];
        for (int k = d - 1; k >= 0; k--) {
            v += last[k];
            last[k] = v;
        }
        mean[s] = v;
    }
    double psi[512];
    double *ps = h <= 512 ? psi : malloc((size_t)h * sizeof(double));
    if (!ps) {
        free(w);
        return tide_errorf("arima: out of memory");
    }
    tide_arima_psi(par, p, d, par + p, q, h, ps);
    double acc = 0;
    for (int s = 0; s < h; s++) {
        acc += ps[s] * ps[s];
        se[s] = sqrt(sigma2 * acc);
    }
    if (ps != psi) free(ps);
    free(w);
    return TIDE_OK;
}
