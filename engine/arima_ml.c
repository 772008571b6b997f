/* arima_ml.c — exact Gaussian maximum likelihood for ARIMA(p, d, q) by the Kalman filter on
 * the state-space form of the ARMA part (see arima.h for the equations and references). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arima.h"
#include "arima_internal.h"
#include "error.h"
#include "lbfgs.h"

#define RMAX 12

/* Stationary state covariance: vec(P) = (I - T (x) T)^-1 vec(R R'), by Gaussian elimination
 * with partial pivoting on the r^2 x r^2 system. T has phi in its first column and ones on
 * the superdiagonal. 0 if singular (a unit root). */
static int initial_cov(int r, const double *phi, const double *R, double *P)
{
    int m = r * r;
    double *A = calloc((size_t)m * (m + 1), sizeof(double));
    if (!A) return 0;
    double Tm[RMAX][RMAX] = {{0}};
    for (int i = 0; i < r; i++) {
        Tm[i][0] = phi[i];
        if (i + 1 < r) Tm[i][i + 1] = 1;
    }
    /* row (i, j) of vec(P): P_ij - sum_kl T_ik T_jl P_kl = R_i R_j */
    for (int i = 0; i < r; i++)
        for (int j = 0; j < r; j++) {
            double *row = A + (size_t)(i * r + j) * (m + 1);
            row[i * r + j] += 1;
            for (int k = 0; k < r; k++)
                for (int l = 0; l < r; l++) row[k * r + l] -= Tm[i][k] * Tm[j][l];
            row[m] = R[i] * R[j];
        }
    int ok = 1;
    for (int c = 0; c < m && ok; c++) {
        int piv = c;
        for (int k = c + 1; k < m; k++)
            if (fabs(A[(size_t)k * (m + 1) + c]) > fabs(A[(size_t)piv * (m + 1) + c])) piv = k;
        if (!(fabs(A[(size_t)piv * (m + 1) + c]) > 1e-12)) { ok = 0; break; }
        if (piv != c)
            for (int k = 0; k <= m; k++) {
                double t = A[(size_t)c * (m + 1) + k];
                A[(size_t)c * (m + 1) + k] = A[(size_t)piv * (m + 1) + k];
                A[(size_t)piv * (m + 1) + k] = t;
            }
        for (int k = c + 1; k < m; k++) {
            double f = A[(size_t)k * (m + 1) + c] / A[(size_t)c * (m + 1) + c];
            if (f == 0) continue;
            for (int l = c; l <= m; l++) A[(size_t)k * (m + 1) + l] -= f * A[(size_t)c * (m + 1) + l];
        }
    }
    for (int c = m - 1; c >= 0 && ok; c--) {
        double s = A[(size_t)c * (m + 1) + m];
        for (int l = c + 1; l < m; l++) s -= A[(size_t)c * (m + 1) + l] * P[l];
        P[c] = s / A[(size_t)c * (m + 1) + c];
    }
    free(A);
    return ok;
}

int tide_arima_exact_loglik(const double *w, int64_t n, int p, int q, int with_mean, const double *par, double *loglik,
                            double *sigma2)
{
    int r = p > q + 1 ? p : q + 1;
    if (r > RMAX) return tide_errorf("arima: exact likelihood needs max(p, q + 1) <= %d, got %d", RMAX, r);
    if (!tide_arima_stable(par, p)) return tide_errorf("arima: AR part is not stationary; no exact likelihood");
    double phi[RMAX] = {0}, R[RMAX] = {0}, a[RMAX] = {0}, P[RMAX * RMAX], K[RMAX], TP[RMAX * RMAX];
    for (int i = 0; i < p; i++) phi[i] = par[i];
    R[0] = 1;
    for (int j = 0; j < q; j++) R[j + 1] = par[p + j];
    double mu = with_mean ? par[p + q] : 0;
    if (!initial_cov(r, phi, R, P)) return tide_errorf("arima: singular initial state covariance (unit root)");
    double ssq = 0, sumlogF = 0;
    for (int64_t t = 0; t < n; t++) {
        double F = P[0], v = w[t] - mu - a[0];
        if (!(F > 0)) return tide_errorf("arima: Kalman filter variance %g <= 0 at step %lld", F, (long long)t + 1);
        ssq += v * v / F;
        sumlogF += log(F);
        /* K = T P Z' / F (Z picks the first state); T x: (T x)_i = phi_i x_0 + x_{i+1} */
        for (int i = 0; i < r; i++) K[i] = (phi[i] * P[0 * r + 0] + (i + 1 < r ? P[(i + 1) * r + 0] : 0)) / F;
        double an[RMAX] = {0};
        for (int i = 0; i < r; i++) an[i] = phi[i] * a[0] + (i + 1 < r ? a[i + 1] : 0) + K[i] * v;
        memcpy(a, an, (size_t)r * sizeof(double));
        /* P <- T P T' + R R' - K K' F */
        for (int i = 0; i < r; i++)
            for (int j = 0; j < r; j++) TP[i * r + j] = phi[i] * P[0 * r + j] + (i + 1 < r ? P[(i + 1) * r + j] : 0);
        for (int i = 0; i < r; i++)
            for (int j = 0; j < r; j++)
                P[i * r + j] = TP[i * r + 0] * phi[j] + (j + 1 < r ? TP[i * r + j + 1] : 0) + R[i] * R[j] - K[i] * K[j] * F;
    }
    double s2 = ssq / (double)n;
    if (sigma2) *sigma2 = s2;
    *loglik = -0.5 * (double)n * (log(2 * M_PI * s2) + 1) - 0.5 * sumlogF;
    if (!isfinite(*loglik)) return tide_errorf("arima: exact log-likelihood is not finite");
    return TIDE_OK;
}

/* Partial autocorrelations tanh(u_1..u_k) -> coefficients c of 1 - sum c_i z^i with all roots
 * outside the unit circle (the Durbin-Levinson step-up recursion). */
static void pacf_to_coef(const double *u, int k, double *c)
{
    double tmp[64];
    for (int m = 0; m < k; m++) {
        double rr = tanh(u[m]);
        for (int j = 0; j < m; j++) tmp[j] = c[j] - rr * c[m - 1 - j];
        memcpy(c, tmp, (size_t)m * sizeof(double));
        c[m] = rr;
    }
}

/* the inverse (step-down) map, for starting values; clamps |pacf| < 0.99 */
static void coef_to_pacf(const double *c, int k, double *u)
{
    double a[64], b[64];
    memcpy(a, c, (size_t)k * sizeof(double));
    for (int m = k; m >= 1; m--) {
        double rr = fmax(-0.99, fmin(0.99, a[m - 1]));
        u[m - 1] = atanh(rr);
        for (int j = 0; j < m - 1; j++) b[j] = (a[j] + rr * a[m - 2 - j]) / (1 - rr * rr);
        memcpy(a, b, (size_t)(m - 1) * sizeof(double));
    }
}

typedef struct {
    const double *w;
    int64_t n;
    int p, q, m;
} ml_ctx;

static void to_params(const ml_ctx *c, const double *u, double *par)
{
    pacf_to_coef(u, c->p, par);
    double neg[64];
    pacf_to_coef(u + c->p, c->q, neg); /* 1 + sum theta z^j = 1 - sum (-theta) z^j */
    for (int j = 0; j < c->q; j++) par[c->p + j] = -neg[j];
    if (c->m) par[c->p + c->q] = u[c->p + c->q];
}

static double ml_value(const ml_ctx *c, const double *u)
{
    double par[64], ll;
    to_params(c, u, par);
    if (tide_arima_exact_loglik(c->w, c->n, c->p, c->q, c->m, par, &ll, NULL)) return INFINITY;
    return -ll / (double)c->n;
}

/* central differences in u (the map is smooth and the likelihood cheap for small r) */
static double ml_obj(const double *u, double *g, int64_t K, void *vc)
{
    const ml_ctx *c = vc;
    double f = ml_value(c, u), uu[64];
    memcpy(uu, u, (size_t)K * sizeof(double));
    for (int64_t k = 0; k < K; k++) {
        double h = 1e-6 * fmax(1, fabs(u[k]));
        uu[k] = u[k] + h;
        double fp = ml_value(c, uu);
        uu[k] = u[k] - h;
        double fm = ml_value(c, uu);
        uu[k] = u[k];
        g[k] = isfinite(fp) && isfinite(fm) ? (fp - fm) / (2 * h) : 0;
    }
    return f;
}

int tide_arima_fit_ml(const double *x, int64_t n, int p, int d, int q, int with_mean, tide_arima_fit_result *res)
{
    tide_arima_fit_result css;
    if (tide_arima_fit(x, n, p, d, q, with_mean, p, &css)) return TIDE_ERR;
    int K = p + q + (with_mean ? 1 : 0), r = p > q + 1 ? p : q + 1;
    if (r > RMAX) return tide_errorf("arima: exact likelihood needs max(p, q + 1) <= %d, got %d", RMAX, r);
    memset(res, 0, sizeof *res);
    double *w = malloc((size_t)n * sizeof(double));
    if (!w) return tide_errorf("arima: out of memory");
    memcpy(w, x, (size_t)n * sizeof(double));
    for (int k = 0; k < d; k++)
        for (int64_t t = 0; t < n - 1 - k; t++) w[t] = w[t + 1] - w[t];
    ml_ctx c = {w, n - d, p, q, with_mean};
    double u[64] = {0}, neg[64];
    /* start: the CSS estimate mapped into the constrained space (clamped if outside it) */
    coef_to_pacf(css.params, p, u);
    for (int j = 0; j < q; j++) neg[j] = -css.params[p + j];
    coef_to_pacf(neg, q, u + p);
    if (with_mean) u[p + q] = css.params[p + q];
    tide_lbfgs_opts o;
    tide_lbfgs_default_opts(&o);
    o.max_iter = 300;
    o.gtol = 1e-7;
    o.ftol = 1e-14;
    o.max_step = 2;
    double f = 0, g[64];
    int st = TIDE_LBFGS_CONVERGED;
    if (K) st = tide_lbfgs_minimize(ml_obj, &c, K, u, &f, &o);
    else f = ml_value(&c, u);
    double gn = 0;
    if (K) {
        ml_obj(u, g, K, &c);
        for (int k = 0; k < K; k++) gn = fmax(gn, fabs(g[k]));
    }
    /* FD gradients carry ~1e-9 noise: a failed line search below 1e-5 is at the optimum */
    if (st == TIDE_LBFGS_ELINESEARCH && gn <= 1e-5) st = TIDE_LBFGS_CONVERGED;
    to_params(&c, u, res->params);
    double ll = 0;
    if (!isfinite(f) || tide_arima_exact_loglik(w, c.n, p, q, with_mean, res->params, &ll, &res->sigma2)) {
        free(w);
        return tide_errorf("arima: exact likelihood cannot be evaluated at the fitted point");
    }
    res->loglik = ll;
    res->nobs = (int)c.n;
    res->aic = -2 * ll + 2 * (K + 1);
    res->stationary = tide_arima_stable(res->params, p);
    for (int j = 0; j < q; j++) neg[j] = -res->params[p + j];
    res->invertible = tide_arima_stable(neg, q);
    if (st != TIDE_LBFGS_CONVERGED)
        snprintf(res->reason, sizeof res->reason, "L-BFGS stopped: %s (max |gradient| %.3g)", tide_lbfgs_status_name(st), gn);
    /* SEs: Hessian of -loglik in the natural parameters by second differences */
    double H[64 * 64], A[64], pp[64];
    int ok = 1;
    for (int i = 0; i < K && ok; i++)
        for (int j = 0; j <= i && ok; j++) {
            double hi = 1e-4 * fmax(1, fabs(res->params[i])), hj = 1e-4 * fmax(1, fabs(res->params[j])), v[4];
            for (int s = 0; s < 4; s++) {
                memcpy(pp, res->params, (size_t)K * sizeof(double));
                pp[i] += (s & 1 ? -hi : hi);
                pp[j] += (s & 2 ? -hj : hj);
                if (tide_arima_exact_loglik(w, c.n, p, q, with_mean, pp, &v[s], NULL)) ok = 0;
            }
            H[i * K + j] = H[j * K + i] = -(v[0] - v[1] - v[2] + v[3]) / (4 * hi * hj);
        }
    if (ok && K) ok = tide_arima_inverse_diag(H, K, A);
    for (int i = 0; i < K; i++) res->se[i] = ok ? sqrt(A[i]) : NAN;
    if (K && !ok && !res->reason[0])
        snprintf(res->reason, sizeof res->reason, "the Hessian is not positive definite (on the stationarity boundary?)");
    res->converged = res->reason[0] == 0;
    free(w);
    return TIDE_OK;
}
