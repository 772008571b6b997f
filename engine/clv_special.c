/* clv_special.c — the special functions the customer-base models need: digamma for the
 * likelihood gradients and the Gauss hypergeometric function 2F1 (with its parameter
 * derivatives) for the Pareto/NBD likelihood and the BG/NBD-family expectations. log-gamma is
 * libm's lgamma (accurate to a few ulp for positive arguments). Also the model name table. */
#include <math.h>
#include <string.h>

#include "clv.h"
#include "error.h"

static const char *NAMES[TIDE_CLV_NMODELS] = {"bgnbd", "paretonbd", "mbgnbd", "gammagamma"};
static const char *PNAMES[TIDE_CLV_NMODELS][4] = {
    {"r", "alpha", "a", "b"}, {"r", "alpha", "s", "beta"}, {"r", "alpha", "a", "b"}, {"p", "q", "gamma", ""}};

int tide_clv_lookup(const char *name)
{
    for (int i = 0; i < TIDE_CLV_NMODELS; i++)
        if (name && !strcmp(name, NAMES[i])) return i;
    tide_errorf("unknown model '%s' (bgnbd, paretonbd, mbgnbd, gammagamma)", name ? name : "(null)");
    return -1;
}

const char *tide_clv_name(tide_clv_model m) { return NAMES[m]; }
int tide_clv_nparams(tide_clv_model m) { return m == TIDE_CLV_GAMMAGAMMA ? 3 : 4; }
const char *tide_clv_param_name(tide_clv_model m, int i) { return PNAMES[m][i]; }

double tide_clv_digamma(double x)
{
    double r = 0;
    while (x < 10) { /* psi(x) = psi(x+1) - 1/x; at x >= 10 the series below is exact to 1e-16 */
        r -= 1 / x;
        x += 1;
    }
    double f = 1 / (x * x);
    /* A&S 6.3.18: ln x - 1/2x - sum B_2n / (2n x^2n) */
    double t = f * (1.0 / 12 - f * (1.0 / 120 - f * (1.0 / 252 - f * (1.0 / 240 - f * (1.0 / 132 - f * (691.0 / 32760 - f / 12))))));
    return r + log(x) - 0.5 / x - t;
}

/* Terms t_k = (a)_k (b)_k / ((c)_k k!) z^k, t_{k+1} = t_k (a+k)(b+k) z / ((c+k)(k+1)).
 * Derivatives: d t_k / da = t_k S_a(k), S_a(k) = sum_{j<k} 1/(a+j) (likewise b; minus for c),
 * d t_k / dz = k t_k / z, written as the running product so z = 0 needs no division. The
 * loop stops once two consecutive terms are below 1e-17 of the sums (terms can pass through
 * a small value before growing again when a+k or b+k is near 0, hence the two). */
int tide_clv_hyp2f1(double a, double b, double c, double z, double *f, double d[4])
{
    if (!(fabs(z) < 1)) return tide_errorf("hyp2f1(%g, %g; %g; %g): |z| must be < 1", a, b, c, z);
    if (c <= 0 && c == floor(c)) return tide_errorf("hyp2f1(%g, %g; %g; %g): c is a non-positive integer", a, b, c, z);
    /* Past the peak the terms shrink by about |z| per step, so reaching 1e-17 of the sum takes
     * at least log(1e-17) / log|z| steps. Beyond 100,000 of them (|z| > 1 - 3.9e-4) fail at
     * once: in the Pareto/NBD likelihood z = |alpha - beta| / (max + t) that near 1 means
     * alpha or beta has run off to where only a ratio is identified (no heterogeneity left),
     * a fit that does not converge anyway, and every evaluation there cost ~0.3 s of series
     * (a 60-customer log took 49 s to fail); a failure only makes the line search step back. */
    const long cap = 500000;
    if (fabs(z) > 0 && -39.1 / log(fabs(z)) > 100000.0)
        return tide_errorf("hyp2f1(%g, %g; %g; %g): z too close to 1 for the power series", a, b, c, z);
    double t = 1, sum = 1, sa = 0, sb = 0, sc = 0, da = 0, db = 0, dc = 0, dz = 0;
    int small = 0;
    for (long k = 0; k < cap; k++) {
        /* dz: d/dz of t_{k+1} = (k+1) t_{k+1} / z = t_k (a+k)(b+k)/(c+k) */
        double q = (a + k) * (b + k) / (c + k);
        double tz = t * q;                 /* d t_{k+1} / dz */
        sa += 1 / (a + k), sb += 1 / (b + k), sc += 1 / (c + k);
        t = tz * z / (k + 1);
        if (!isfinite(t) || !isfinite(sum)) break;
        sum += t;
        dz += tz;
        if (d) da += t * sa, db += t * sb, dc -= t * sc;
        double scale = fabs(sum) + (d ? fabs(da) + fabs(db) + fabs(dc) : 0);
        double term = fabs(t) * (1 + fabs(sa) + fabs(sb) + fabs(sc));
        if (term <= 1e-17 * scale && fabs(tz) <= 1e-17 * fabs(dz) + 1e-300) {
            if (++small >= 2) {
                *f = sum;
                if (d) d[0] = da, d[1] = db, d[2] = dc, d[3] = dz;
                return TIDE_OK;
            }
        } else
            small = 0;
    }
    return tide_errorf("hyp2f1(%g, %g; %g; %g): power series did not converge (z too close to 1 for these "
                       "parameters)", a, b, c, z);
}
