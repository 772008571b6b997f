/* decay.c — the decay families of decay.h: survival S(t; θ), its gradient, the one-gap
 * log-likelihood (log density for an observed return, log survival for a censored one) and
 * its gradient, half-lives, and a vectorised evaluator over many series.
 *
 * Density f = −dS/dt per family (used for observed gaps):
 *   EXP         f = λ e^(−λt)
 *   LINEAR      f = λ                        on [0, 1/λ)
 *   LOG         f = λ / (1+t)                while λ·ln(1+t) < 1
 *   HYPERBOLIC  f = λ / (1+λt)²
 *   POWER       f = aλ (1+λt)^(−a−1)
 *   WEIBULL     f = kλ (λt)^(k−1) e^(−(λt)^k)
 *   MIXEXP      f = Σ w_i λ_i e^(−λ_i t) */
#include "decay.h"

#include <math.h>
#include <string.h>
#include <strings.h>

#include "error.h"

static const char *names[] = {"exponential", "linear", "logarithmic", "hyperbolic",
                              "power", "weibull", "mixture"};

const char *tide_decay_name(tide_decay_family fam)
{
    return (unsigned)fam < TIDE_DECAY_NFAMILIES ? names[fam] : "unknown";
}

int tide_decay_lookup(const char *name)
{
    for (int i = 0; i < TIDE_DECAY_NFAMILIES; i++)
        if (!strcasecmp(name, names[i])) return i;
    if (!strcasecmp(name, "exp")) return TIDE_DECAY_EXP;
    if (!strcasecmp(name, "log")) return TIDE_DECAY_LOG;
    if (!strcasecmp(name, "powerlaw") || !strcasecmp(name, "power-law")) return TIDE_DECAY_POWER;
    if (!strcasecmp(name, "stretched")) return TIDE_DECAY_WEIBULL;
    if (!strcasecmp(name, "mixexp")) return TIDE_DECAY_MIXEXP;
    return tide_errorf("decay: unknown family '%s' (exponential, linear, logarithmic, "
                       "hyperbolic, power, weibull, mixture)", name);
}

int tide_decay_nparams(tide_decay_family fam, int k)
{
    switch (fam) {
    case TIDE_DECAY_EXP: case TIDE_DECAY_LINEAR: case TIDE_DECAY_LOG: case TIDE_DECAY_HYPERBOLIC:
        return 1;
    case TIDE_DECAY_POWER: case TIDE_DECAY_WEIBULL: return 2;
    case TIDE_DECAY_MIXEXP: return k >= 1 && k <= 16 ? 2 * k : -1;
    default: return -1;
    }
}

int tide_decay_nfree(tide_decay_family fam, int k)
{
    int p = tide_decay_nparams(fam, k);
    return fam == TIDE_DECAY_MIXEXP && p > 0 ? p - 1 : p;
}

double tide_decay_survival(tide_decay_family fam, int k, const double *th, double t, double *g)
{
    double l = th[0], s;
    switch (fam) {
    case TIDE_DECAY_EXP:
        s = exp(-l * t);
        if (g) g[0] = -t * s;
        return s;
    case TIDE_DECAY_LINEAR:
        s = 1 - l * t;
        if (s <= 0) { if (g) g[0] = 0; return 0; }
        if (g) g[0] = -t;
        return s;
    case TIDE_DECAY_LOG: {
        double L = log1p(t);
        s = 1 - l * L;
        if (s <= 0) { if (g) g[0] = 0; return 0; }
        if (g) g[0] = -L;
        return s;
    }
    case TIDE_DECAY_HYPERBOLIC:
        s = 1 / (1 + l * t);
        if (g) g[0] = -t * s * s;
        return s;
    case TIDE_DECAY_POWER: {
        double a = th[1], b = log1p(l * t);
        s = exp(-a * b);
        if (g) { g[0] = -a * t / (1 + l * t) * s; g[1] = -b * s; }
        return s;
    }
    case TIDE_DECAY_WEIBULL: {
        double kk = th[1], lt = l * t;
        double p = lt > 0 ? pow(lt, kk) : 0;
        s = exp(-p);
        if (g) {
            g[0] = lt > 0 ? -kk * p / l * s : 0;
            g[1] = lt > 0 ? -p * log(lt) * s : 0;
        }
        return s;
    }
    case TIDE_DECAY_MIXEXP: {
        s = 0;
        for (int i = 0; i < k; i++) {
            double e = exp(-th[k + i] * t);
            s += th[i] * e;
            if (g) { g[i] = e; g[k + i] = -th[i] * t * e; }
        }
        return s;
    }
    default: return NAN;
    }
}

/* log f(t) (event) or log S(t) (censored), gradient added into g. The clipped families
 * (LINEAR, LOG) have bounded support: outside it the likelihood is zero (-inf). */
double tide_decay_loglik1(tide_decay_family fam, int k, const double *th, double t, int event,
                          double *g)
{
    double l = th[0];
    switch (fam) {
    case TIDE_DECAY_EXP:
        if (g) g[0] += event ? 1 / l - t : -t;
        return event ? log(l) - l * t : -l * t;
    case TIDE_DECAY_LINEAR:
    case TIDE_DECAY_LOG: {
        double u = fam == TIDE_DECAY_LINEAR ? t : log1p(t);
        double s = 1 - l * u;
        if (event) {
            if (s < 0) return -INFINITY; /* past the end of the support */
            if (g) g[0] += 1 / l;
            return log(l) - (fam == TIDE_DECAY_LOG ? log1p(t) : 0);
        }
        if (s <= 0) return -INFINITY;
        if (g) g[0] += -u / s;
        return log(s);
    }
    case TIDE_DECAY_HYPERBOLIC: {
        double q = 1 + l * t;
        if (g) g[0] += event ? 1 / l - 2 * t / q : -t / q;
        return event ? log(l) - 2 * log1p(l * t) : -log1p(l * t);
    }
    case TIDE_DECAY_POWER: {
        /* log1p, not log(1 + λt): when λt falls below the rounding of 1 + λt, log(q) is 0
         * and the optimizer could grow a without paying for t (an unbounded fake likelihood
         * in the exponential limit a -> inf, λ -> 0 with aλ fixed) */
        double a = th[1], q = 1 + l * t, lq = log1p(l * t);
        if (event) {
            if (g) { g[0] += 1 / l - (a + 1) * t / q; g[1] += 1 / a - lq; }
            return log(a) + log(l) - (a + 1) * lq;
        }
        if (g) { g[0] += -a * t / q; g[1] += -lq; }
        return -a * lq;
    }
    case TIDE_DECAY_WEIBULL: {
        double kk = th[1];
        double tt = t > 1e-12 ? t : 1e-12; /* a zero gap has infinite hazard when k < 1 */
        double llt = log(l * tt), p = exp(kk * llt);
        if (event) {
            if (g) { g[0] += kk / l - kk * p / l; g[1] += 1 / kk + llt - p * llt; }
            return log(kk) + log(l) + (kk - 1) * llt - p;
        }
        if (g) { g[0] += -kk * p / l; g[1] += -p * llt; }
        return -p;
    }
    case TIDE_DECAY_MIXEXP: {
        double v = 0;
        double e[16];
        for (int i = 0; i < k; i++) {
            e[i] = exp(-th[k + i] * t);
            v += th[i] * (event ? th[k + i] : 1) * e[i];
        }
        if (!(v > 0)) return -INFINITY;
        if (g)
            for (int i = 0; i < k; i++) {
                double li = th[k + i];
                if (event) {
                    g[i] += li * e[i] / v;
                    g[k + i] += th[i] * e[i] * (1 - li * t) / v;
                } else {
                    g[i] += e[i] / v;
                    g[k + i] += -th[i] * t * e[i] / v;
                }
            }
        return log(v);
    }
    default: return NAN;
    }
}

double tide_decay_half_life(tide_decay_family fam, int k, const double *th)
{
    double l = th[0];
    switch (fam) {
    case TIDE_DECAY_EXP: return log(2) / l;
    case TIDE_DECAY_LINEAR: return 0.5 / l;
    case TIDE_DECAY_LOG: return expm1(0.5 / l);
    case TIDE_DECAY_HYPERBOLIC: return 1 / l;
    case TIDE_DECAY_POWER: return expm1(log(2) / th[1]) / l;
    case TIDE_DECAY_WEIBULL: return pow(log(2), 1 / th[1]) / l;
    case TIDE_DECAY_MIXEXP: {
        /* S is decreasing: bracket then bisect */
        double lo = 0, hi = 1;
        for (int i = 0; i < 200 && tide_decay_survival(fam, k, th, hi, NULL) > 0.5; i++) hi *= 2;
        for (int i = 0; i < 200; i++) {
            double mid = 0.5 * (lo + hi);
            if (tide_decay_survival(fam, k, th, mid, NULL) > 0.5) lo = mid; else hi = mid;
        }
        return 0.5 * (lo + hi);
    }
    default: return NAN;
    }
}

int tide_decay_eval(tide_decay_family fam, int k, int64_t n, const double *theta,
                    const int32_t *series, int64_t n_series, const double *t, double *out,
                    double *grad)
{
    int P = tide_decay_nparams(fam, k);
    if (P < 0) return tide_errorf("decay_eval: bad family %d / components %d", (int)fam, k);
    for (int64_t i = 0; i < n; i++) {
        int64_t s = series ? series[i] : 0;
        if (s < 0 || s >= n_series)
            return tide_errorf("decay_eval: series id %lld at position %lld is outside [0, %lld)",
                               (long long)s, (long long)i, (long long)n_series);
        out[i] = tide_decay_survival(fam, k, theta + s * P, t[i], grad ? grad + i * P : NULL);
    }
    return TIDE_OK;
}

int tide_decay_weights(tide_decay_family fam, int k, const double *theta, double half_life,
                       int64_t n, const double *age, double *out)
{
    int P = tide_decay_nparams(fam, k);
    if (P < 0) return tide_errorf("decay weights: bad family %d / components %d", (int)fam, k);
    if (half_life != 0) {
        if (fam != TIDE_DECAY_EXP || !(half_life > 0) || !isfinite(half_life))
            return tide_errorf("decay weights: half_life %g needs the exponential family and a "
                               "finite value > 0", half_life);
    } else {
        double wsum = 0;
        for (int i = 0; i < P; i++) {
            if (!(theta[i] > 0) || !isfinite(theta[i]))
                return tide_errorf("decay weights: %s parameter %d = %g must be finite and > 0",
                                   tide_decay_name(fam), i + 1, theta[i]);
            if (fam == TIDE_DECAY_MIXEXP && i < k) wsum += theta[i];
        }
        if (fam == TIDE_DECAY_MIXEXP && fabs(wsum - 1) > 1e-4)
            return tide_errorf("decay weights: mixture weights sum to %g, not 1", wsum);
    }
    for (int64_t i = 0; i < n; i++) {
        double a = age[i];
        if (isnan(a)) return tide_errorf("decay weights: age %lld is NaN", (long long)i + 1);
        if (a < 0) out[i] = 0;
        else if (half_life > 0) out[i] = pow(2.0, -a / half_life);
        else out[i] = tide_decay_survival(fam, k, theta, a, NULL);
    }
    return TIDE_OK;
}
