/* gbdt_loss.c — the two boosting losses in the raw score r, their first and second
 * derivatives, and the best constant score (the boosting baseline).
 *
 *   logistic (y in {0,1}):  l = log(1 + e^r) - y r,   l' = σ(r) - y,   l'' = σ(r)(1 - σ(r))
 *   squared  (y real):      l = (r - y)² / 2,          l' = r - y,      l'' = 1
 *
 * Weights multiply all three. softplus and σ are evaluated in the forms that never overflow. */
#include <math.h>

#include "gbdt.h"

static inline double sigmoid(double r)
{
    if (r >= 0) return 1.0 / (1.0 + exp(-r));
    double e = exp(r);
    return e / (1.0 + e);
}

static inline double softplus(double r) { return r > 0 ? r + log1p(exp(-r)) : log1p(exp(r)); }

void tide_gbdt_grad(tide_gbdt_loss loss, int64_t n, const double *raw, const float *y, const float *w, float *g,
                    float *h)
{
    if (loss == TIDE_GBDT_LOGISTIC) {
        for (int64_t i = 0; i < n; i++) {
            double p = sigmoid(raw[i]), wi = w ? w[i] : 1.0;
            g[i] = (float)(wi * (p - y[i]));
            h[i] = (float)(wi * p * (1.0 - p));
        }
    } else {
        for (int64_t i = 0; i < n; i++) {
            double wi = w ? w[i] : 1.0;
            g[i] = (float)(wi * (raw[i] - y[i]));
            h[i] = (float)wi;
        }
    }
}

double tide_gbdt_loss_value(tide_gbdt_loss loss, int64_t n, const double *raw, const float *y, const float *w)
{
    double s = 0, sw = 0;
    for (int64_t i = 0; i < n; i++) {
        double wi = w ? w[i] : 1.0, l;
        if (loss == TIDE_GBDT_LOGISTIC)
            l = softplus(raw[i]) - y[i] * raw[i];
        else
            l = 0.5 * (raw[i] - y[i]) * (raw[i] - y[i]);
        s += wi * l;
        sw += wi;
    }
    return sw > 0 ? s / sw : 0;
}

double tide_gbdt_baseline(tide_gbdt_loss loss, int64_t n, const float *y, const float *w)
{
    double s = 0, sw = 0;
    for (int64_t i = 0; i < n; i++) {
        double wi = w ? w[i] : 1.0;
        s += wi * y[i];
        sw += wi;
    }
    double mean = sw > 0 ? s / sw : 0;
    if (loss == TIDE_GBDT_SQUARED) return mean;
    return log(mean / (1.0 - mean)); /* fit refuses single-class data, so 0 < mean < 1 */
}
