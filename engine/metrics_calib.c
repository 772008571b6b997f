/* metrics_calib.c — calibration metrics of predicted probabilities: the Brier score and the
 * reliability diagram (binned mean prediction against observed frequency). Binning follows
 * sklearn.calibration.calibration_curve so that the two give the same bins. Contracts in
 * metrics.h. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "metrics.h"

double tide_brier(int64_t n, const float *p, const float *y)
{
    double s = 0;
    for (int64_t i = 0; i < n; i++) s += ((double)p[i] - y[i]) * ((double)p[i] - y[i]);
    return n > 0 ? s / (double)n : NAN;
}

static int cmp_f(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

/* numpy.percentile's default ("linear"): position q (n - 1) in the sorted sample */
static double percentile(int64_t n, const float *sorted, double q)
{
    double pos = q * (double)(n - 1);
    int64_t lo = (int64_t)floor(pos);
    if (lo >= n - 1) return sorted[n - 1];
    double fr = pos - (double)lo;
    return (double)sorted[lo] + fr * ((double)sorted[lo + 1] - (double)sorted[lo]);
}

int tide_reliability(int64_t n, const float *p, const float *y, int nb, int quantile, double *edges, double *stats)
{
    if (n < 1 || nb < 1) return tide_errorf("reliability: need n >= 1 and bins >= 1 (n = %lld, bins = %d)", (long long)n, nb);
    if (quantile) {
        float *s = malloc((size_t)n * sizeof(float));
        if (!s) return tide_errorf("reliability: out of memory");
        memcpy(s, p, (size_t)n * sizeof(float));
        qsort(s, (size_t)n, sizeof(float), cmp_f);
        for (int b = 0; b <= nb; b++) edges[b] = percentile(n, s, b * (1.0 / nb));
        free(s);
    } else {
        for (int b = 0; b <= nb; b++) edges[b] = b * (1.0 / nb); /* numpy.linspace's arithmetic */
        edges[nb] = 1;
    }
    memset(stats, 0, (size_t)nb * 3 * sizeof(double));
    for (int64_t i = 0; i < n; i++) {
        /* bin = number of interior edges strictly below p (numpy.searchsorted, side "left") */
        int lo = 0, hi = nb - 1; /* answer in [lo, hi] */
        while (lo < hi) {
            int mid = (lo + hi) / 2; /* interior edge mid + 1 */
            if (edges[mid + 1] < (double)p[i]) lo = mid + 1; else hi = mid;
        }
        stats[3 * lo] += 1, stats[3 * lo + 1] += p[i], stats[3 * lo + 2] += y[i];
    }
    return TIDE_OK;
}
