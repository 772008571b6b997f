/* dp_mech.c — Laplace and Gaussian noise, Gaussian calibration and the RDP accountant of the
 * sampled Gaussian mechanism (see dp.h for the papers). */
#include <math.h>

#include "dp.h"
#include "error.h"

void tide_dp_laplace(tide_rng *r, double *out, int64_t n, double b)
{
    /* 1 - U lies in (0, 1], so both logs are finite */
    for (int64_t i = 0; i < n; i++)
        out[i] = b * (log(1.0 - tide_rng_uniform(r)) - log(1.0 - tide_rng_uniform(r)));
}

void tide_dp_gaussian(tide_rng *r, double *out, int64_t n, double sigma)
{
    for (int64_t i = 0; i < n; i++) out[i] = sigma * tide_rng_normal(r);
}

static double Phi(double x) { return 0.5 * erfc(-x / M_SQRT2); }

/* delta(sigma) of the Gaussian mechanism (Balle & Wang 2018, Theorem 8); decreasing in sigma. */
static double gauss_delta(double sens, double eps, double sigma)
{
    double a = sens / (2 * sigma), b = eps * sigma / sens;
    return Phi(a - b) - exp(eps) * Phi(-a - b);
}

int tide_dp_gauss_sigma(double sens, double eps, double delta, int analytic, double *sigma)
{
    if (!(sens > 0) || !isfinite(sens)) return tide_errorf("gaussian: sensitivity must be > 0, got %g", sens);
    if (!(eps > 0) || !isfinite(eps)) return tide_errorf("gaussian: epsilon must be > 0, got %g", eps);
    if (!(delta > 0 && delta < 1)) return tide_errorf("gaussian: delta must be in (0, 1), got %g", delta);
    if (!analytic) {
        if (eps >= 1)
            return tide_errorf("gaussian: the classic calibration holds only for epsilon < 1 (got %g); "
                               "use the analytic one", eps);
        *sigma = sens * sqrt(2 * log(1.25 / delta)) / eps;
        return TIDE_OK;
    }
    if (eps > 700) return tide_errorf("gaussian: epsilon %g is too large to calibrate", eps);
    /* bracket, then bisect in log sigma; hi always satisfies the bound, so returning hi is safe */
    double lo = sens * 1e-6, hi = sens;
    while (gauss_delta(sens, eps, hi) > delta) {
        lo = hi;
        hi *= 2;
        if (hi > sens * 1e12) return tide_errorf("gaussian: no sigma reaches delta = %g", delta);
    }
    for (int it = 0; it < 200 && hi / lo > 1 + 1e-12; it++) {
        double mid = sqrt(lo * hi);
        if (gauss_delta(sens, eps, mid) > delta) lo = mid;
        else hi = mid;
    }
    *sigma = hi;
    return TIDE_OK;
}

double tide_dp_rdp_sgm(double q, double sigma, int alpha)
{
    if (q >= 1) return alpha / (2 * sigma * sigma);
    if (q <= 0) return 0;
    /* log terms: log C(alpha,k) + (alpha-k) log(1-q) + k log q + (k^2-k)/(2 sigma^2) */
    double lq = log(q), l1q = log1p(-q), lbin = 0, m = -INFINITY;
    double s = 0;
    /* two passes (max, then sum) keep the sum in range for large alpha / small sigma */
    for (int k = 0; k <= alpha; k++) {
        if (k > 0) lbin += log((double)(alpha - k + 1) / k);
        double t = lbin + (alpha - k) * l1q + k * lq + ((double)k * k - k) / (2 * sigma * sigma);
        if (t > m) m = t;
    }
    lbin = 0;
    for (int k = 0; k <= alpha; k++) {
        if (k > 0) lbin += log((double)(alpha - k + 1) / k);
        s += exp(lbin + (alpha - k) * l1q + k * lq + ((double)k * k - k) / (2 * sigma * sigma) - m);
    }
    return (m + log(s)) / (alpha - 1);
}

double tide_dp_rdp_to_eps(const double *orders, const double *rdp, int n, double delta, double *best)
{
    double e = INFINITY, b = NAN;
    for (int i = 0; i < n; i++) {
        double v = rdp[i] + log(1 / delta) / (orders[i] - 1);
        if (v < e) e = v, b = orders[i];
    }
    if (best) *best = b;
    return e;
}
