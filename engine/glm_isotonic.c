/* glm_isotonic.c — isotonic regression by pool-adjacent-violators (Ayer et al. 1955; Barlow
 * et al. 1972), the non-parametric calibrator of Zadrozny & Elkan (KDD 2002). Contract in
 * glm.h; the tie pooling and knot trimming follow sklearn's IsotonicRegression so that the
 * piecewise-linear function applied afterwards is the same. */
#include <math.h>
#include <stdlib.h>

#include "error.h"
#include "glm.h"

typedef struct {
    double x, y, w;
} pt;

static int cmp_x(const void *a, const void *b)
{
    double u = ((const pt *)a)->x, v = ((const pt *)b)->x;
    return (u > v) - (u < v);
}

int tide_isotonic_fit(int64_t n, const float *x, const float *y, const float *w, double *kx, double *ky, int64_t *k)
{
    if (n < 1) return tide_errorf("isotonic: no points");
    pt *v = malloc((size_t)n * sizeof *v);
    if (!v) return tide_errorf("isotonic: out of memory");
    int64_t m = 0;
    for (int64_t i = 0; i < n; i++) {
        double wi = w ? w[i] : 1;
        if (isnan(x[i]) || isnan(y[i]) || !(wi >= 0) || !isfinite(wi)) {
            free(v);
            return tide_errorf("isotonic: point %lld has x = %g, y = %g, weight = %g", (long long)i + 1, x[i], y[i], wi);
        }
        if (wi > 0) v[m++] = (pt){x[i], y[i], wi}; /* zero weights carry no information */
    }
    if (m == 0) { free(v); return tide_errorf("isotonic: every weight is 0"); }
    qsort(v, (size_t)m, sizeof *v, cmp_x);
    int64_t u = 0; /* pool tied x into their weighted mean: v[0..u) unique */
    for (int64_t i = 0; i < m; i++) {
        if (u > 0 && v[u - 1].x == v[i].x) {
            double ws = v[u - 1].w + v[i].w;
            v[u - 1].y += (v[i].y - v[u - 1].y) * v[i].w / ws;
            v[u - 1].w = ws;
        } else {
            v[u++] = v[i];
        }
    }
    /* PAV: blocks as a stack (value, weight, first unique index) kept in ky/kx scratch space */
    double *bv = ky, *bw = kx;
    int64_t *bs = malloc((size_t)u * sizeof(int64_t)), nb = 0;
    if (!bs) { free(v); return tide_errorf("isotonic: out of memory"); }
    for (int64_t i = 0; i < u; i++) {
        bv[nb] = v[i].y, bw[nb] = v[i].w, bs[nb] = i, nb++;
        while (nb > 1 && bv[nb - 2] > bv[nb - 1]) { /* violator: pool with the previous block */
            double ws = bw[nb - 2] + bw[nb - 1];
            bv[nb - 2] += (bv[nb - 1] - bv[nb - 2]) * bw[nb - 1] / ws;
            bw[nb - 2] = ws;
            nb--;
        }
    }
    for (int64_t b = nb - 1; b >= 0; b--) /* fitted value of every unique x into v[].y */
        for (int64_t i = bs[b]; i < (b + 1 < nb ? bs[b + 1] : u); i++) v[i].y = bv[b];
    free(bs);
    int64_t q = 0; /* keep the ends and every point whose value differs from a neighbour's */
    for (int64_t i = 0; i < u; i++)
        if (i == 0 || i == u - 1 || v[i].y != v[i - 1].y || v[i].y != v[i + 1].y) kx[q] = v[i].x, ky[q] = v[i].y, q++;
    *k = q;
    free(v);
    return TIDE_OK;
}

void tide_isotonic_apply(int64_t k, const double *kx, const double *ky, int64_t n, const float *x, float *out)
{
    for (int64_t i = 0; i < n; i++) {
        double xi = x[i];
        if (isnan(xi)) { out[i] = NAN; continue; }
        if (xi <= kx[0]) { out[i] = (float)ky[0]; continue; }
        if (xi >= kx[k - 1]) { out[i] = (float)ky[k - 1]; continue; }
        int64_t lo = 0, hi = k - 1; /* kx[lo] < xi < kx[hi] */
        while (hi - lo > 1) {
            int64_t mid = (lo + hi) / 2;
            if (kx[mid] <= xi) lo = mid; else hi = mid;
        }
        out[i] = (float)(ky[lo] + (ky[hi] - ky[lo]) * (xi - kx[lo]) / (kx[hi] - kx[lo]));
    }
}
