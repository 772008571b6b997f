/* quant_sparse.c — magnitude pruning and the CSR scoring kernel (see quant.h). */
#include <math.h>
#include <stdlib.h>

#include "error.h"
#include "quant.h"

static int cmp_f(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

int tide_prune_threshold(const float *w, int64_t n, double frac, float *threshold)
{
    if (!(frac >= 0 && frac <= 1)) return tide_errorf("quant.prune: fraction must be in [0, 1], got %g", frac);
    int64_t k = (int64_t)floor(frac * (double)n);
    if (k == 0) {
        *threshold = -1;
        return TIDE_OK;
    }
    float *m = malloc((size_t)n * sizeof(float));
    if (!m) return tide_errorf("quant.prune: out of memory for %lld magnitudes", (long long)n);
    for (int64_t i = 0; i < n; i++) {
        if (!isfinite(w[i])) {
            free(m);
            return tide_errorf("quant.prune: entry %lld is not finite", (long long)i + 1);
        }
        m[i] = fabsf(w[i]);
    }
    /* a full sort keeps this simple and exact; pruning runs once per model, not per request */
    qsort(m, (size_t)n, sizeof(float), cmp_f);
    *threshold = m[k - 1];
    free(m);
    return TIDE_OK;
}

int64_t tide_prune_apply(const float *w, int64_t n, float threshold, float *out)
{
    int64_t kept = 0;
    for (int64_t i = 0; i < n; i++) {
        int keep = fabsf(w[i]) > threshold;
        out[i] = keep ? w[i] : 0.0f;
        kept += keep && w[i] != 0;
    }
    return kept;
}

void tide_qsparse_free(tide_qsparse *s)
{
    if (!s) return;
    free(s->off);
    free(s->col);
    free(s->val);
    free(s);
}

tide_qsparse *tide_qsparse_new(const float *w, int64_t rows, int64_t cols)
{
    int64_t nnz = 0;
    for (int64_t i = 0; i < rows * cols; i++) nnz += w[i] != 0;
    tide_qsparse *s = calloc(1, sizeof *s);
    if (s) {
        s->off = malloc((size_t)(rows + 1) * sizeof(int64_t));
        s->col = malloc((size_t)nnz * sizeof(int32_t) + 1);
        s->val = malloc((size_t)nnz * sizeof(float) + 1);
    }
    if (!s || !s->off || !s->col || !s->val) {
        tide_qsparse_free(s);
        return tide_errorf("quant.sparse: out of memory for %lld entries", (long long)nnz), NULL;
    }
    s->cols = cols;
    s->rows = rows;
    s->nnz = nnz;
    int64_t p = 0;
    for (int64_t r = 0; r < rows; r++) {
        s->off[r] = p;
        for (int64_t j = 0; j < cols; j++) {
            float v = w[r * cols + j];
            if (v != 0) {
                s->col[p] = (int32_t)j;
                s->val[p++] = v;
            }
        }
    }
    s->off[rows] = p;
    return s;
}

void tide_qsparse_scores(const tide_qsparse *s, const float *x, int64_t B, const float *bias, float *out)
{
    for (int64_t b = 0; b < B; b++) {
        const float *xb = x + b * s->cols;
        for (int64_t r = 0; r < s->rows; r++) {
            float a = bias ? bias[r] : 0;
            for (int64_t p = s->off[r]; p < s->off[r + 1]; p++) a += s->val[p] * xb[s->col[p]];
            out[b * s->rows + r] = a;
        }
    }
}

size_t tide_qsparse_bytes(const tide_qsparse *s)
{
    return (size_t)(s->rows + 1) * sizeof(int64_t) + (size_t)s->nnz * (sizeof(int32_t) + sizeof(float));
}
