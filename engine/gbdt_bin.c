/* gbdt_bin.c — quantile bin edges per feature and the binning of a data matrix.
 *
 * Edges follow scikit-learn's HistGradientBoosting (_find_binning_thresholds): with at most
 * max_bins distinct values, one bin per value and the edges at the midpoints between them;
 * otherwise the edges are the j/max_bins quantiles (midpoint interpolation) of the values,
 * duplicates dropped. Edges are computed in double and stored as floats; a row lies in the
 * first bin whose edge is >= x, so "bin <= b" is exactly "x <= edge b" and a tree trained on
 * bins predicts the same on raw floats. Edges come from a seeded sample of rows (Knuth's
 * selection sampling, rows kept in order), so they are deterministic. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "gbdt_internal.h"
#include "rng.h"

/* float -> unsigned key with the same order (negative floats reversed) */
static inline uint32_t fkey(float x)
{
    uint32_t u;
    memcpy(&u, &x, 4);
    return (u >> 31) ? ~u : (u | 0x80000000u);
}

static inline float kfloat(uint32_t k)
{
    uint32_t u = (k >> 31) ? (k & 0x7fffffffu) : ~k;
    float x;
    memcpy(&x, &u, 4);
    return x;
}

/* LSD radix sort of m keys, 8 bits a pass; tmp has room for m keys. Result in a. */
static void radix_sort(uint32_t *a, uint32_t *tmp, int64_t m)
{
    for (int shift = 0; shift < 32; shift += 8) {
        int64_t cnt[257] = {0};
        for (int64_t i = 0; i < m; i++)
            cnt[((a[i] >> shift) & 255) + 1]++;
        for (int k = 0; k < 256; k++)
            cnt[k + 1] += cnt[k];
        for (int64_t i = 0; i < m; i++)
            tmp[cnt[(a[i] >> shift) & 255]++] = a[i];
        memcpy(a, tmp, (size_t)m * sizeof *a);
    }
}

/* Edge between two consecutive distinct values a < b: their midpoint, unless rounding to
 * float lands it on b (then b would share a's bin), in which case a itself. */
static float mid_edge(float a, float b)
{
    float e = (float)(0.5 * ((double)a + (double)b));
    return e < b ? e : a;
}

typedef struct {
    gbdt_binner *b;
    const float *X;
    const int64_t *rows;
    int64_t m, n;
    int d, failed;
} fit_job;

/* Sorted non-NaN values of one feature over the sample rows -> its edges. */
static void fit_feature(void *arg, int f)
{
    fit_job *j = arg;
    uint32_t *v = malloc((size_t)(j->m ? j->m : 1) * 2 * sizeof *v);
    if (!v) {
        j->failed = 1;
        return;
    }
    int64_t m = 0;
    for (int64_t i = 0; i < j->m; i++) {
        float x = j->X[j->rows[i] * j->d + f];
        if (!isnan(x)) v[m++] = fkey(x);
    }
    radix_sort(v, v + j->m, m);
    int B = j->b->max_bins, nb = 0;
    float *e = j->b->edges + (int64_t)f * B;
    int64_t distinct = m > 0;
    for (int64_t i = 1; i < m; i++)
        distinct += v[i] != v[i - 1];
    if (distinct <= B) {
        for (int64_t i = 1; i < m; i++)
            if (v[i] != v[i - 1]) e[nb++] = mid_edge(kfloat(v[i - 1]), kfloat(v[i]));
    } else {
        float top = kfloat(v[m - 1]);
        for (int k = 1; k < B; k++) {
            double q = (double)k * (double)(m - 1) / B;
            int64_t lo = (int64_t)floor(q), hi = (int64_t)ceil(q);
            float a = kfloat(v[lo]), c = kfloat(v[hi]);
            float x = a == c ? a : (float)(0.5 * ((double)a + (double)c));
            if (x >= top || (nb > 0 && x <= e[nb - 1])) continue; /* empty or repeated bin */
            e[nb++] = x;
        }
    }
    j->b->n_bins[f] = nb + 1;
    free(v);
}

int gbdt_bin_fit(gbdt_binner *b, gbdt_pool *p, int64_t n, int d, const float *X, int max_bins, int64_t sample,
                 uint64_t seed)
{
    memset(b, 0, sizeof *b);
    b->d = d;
    b->max_bins = max_bins;
    int64_t m = n < sample ? n : sample;
    b->n_bins = calloc((size_t)d, sizeof *b->n_bins);
    b->edges = calloc((size_t)d * (size_t)max_bins, sizeof *b->edges);
    int64_t *rows = malloc((size_t)m * sizeof *rows);
    if (!b->n_bins || !b->edges || !rows) {
        free(rows);
        gbdt_bin_free(b);
        return tide_errorf("gbdt: out of memory for bin edges (%d features)", d);
    }
    if (m == n) {
        for (int64_t i = 0; i < n; i++)
            rows[i] = i;
    } else { /* Knuth's Algorithm S: each row kept with probability (left to pick)/(left to see) */
        tide_rng r;
        tide_rng_seed(&r, seed ^ 0x9e3779b97f4a7c15ull);
        int64_t k = 0;
        for (int64_t i = 0; i < n && k < m; i++)
            if ((double)(n - i) * tide_rng_uniform(&r) < (double)(m - k)) rows[k++] = i;
    }
    fit_job j = {b, X, rows, m, n, d, 0};
    gbdt_pool_run(p, d, fit_feature, &j, 1);
    free(rows);
    if (j.failed) {
        gbdt_bin_free(b);
        return tide_errorf("gbdt: out of memory sorting a feature sample (%lld rows)", (long long)m);
    }
    return TIDE_OK;
}

int gbdt_bin_of(const gbdt_binner *b, int f, float x)
{
    if (isnan(x)) return b->max_bins;
    const float *e = b->edges + (int64_t)f * b->max_bins, *base = e;
    int len = b->n_bins[f] - 1; /* edges; the answer is how many are < x (branch-free search) */
    if (len == 0) return 0;
    while (len > 1) {
        int half = len >> 1;
        base = base[half] < x ? base + half : base;
        len -= half;
    }
    return (int)(base - e) + (*base < x);
}

typedef struct {
    const gbdt_binner *b;
    const float *X;
    int64_t n;
    uint8_t *rows, *cols;
} apply_job;

#define BIN_BLOCK 8192

static void apply_block(void *arg, int t)
{
    apply_job *j = arg;
    int d = j->b->d;
    int64_t i0 = (int64_t)t * BIN_BLOCK, i1 = i0 + BIN_BLOCK < j->n ? i0 + BIN_BLOCK : j->n;
    for (int64_t i = i0; i < i1; i++)
        for (int f = 0; f < d; f++)
            j->rows[i * d + f] = (uint8_t)gbdt_bin_of(j->b, f, j->X[i * d + f]);
    for (int f = 0; f < d; f++)
        for (int64_t i = i0; i < i1; i++) j->cols[f * j->n + i] = j->rows[i * d + f];
}

void gbdt_bin_apply(const gbdt_binner *b, gbdt_pool *p, int64_t n, const float *X, uint8_t *rows, uint8_t *cols)
{
    apply_job j = {b, X, n, rows, cols};
    gbdt_pool_run(p, (int)((n + BIN_BLOCK - 1) / BIN_BLOCK), apply_block, &j, 1);
}

void gbdt_bin_free(gbdt_binner *b)
{
    free(b->n_bins);
    free(b->edges);
    b->n_bins = NULL;
    b->edges = NULL;
}
