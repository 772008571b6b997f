/* quant_int8.c — per-row symmetric int8 tables and their scoring kernel (see quant.h). */
#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "quant.h"

#define ROW_BLOCK 256 /* rows dequantised per sgemm call: 256 x cols floats of scratch */
#define SMALL_B 4     /* up to this many users, the direct int8 dot wins (memory-bound) */

tide_qrows *tide_qrows_new(const float *w, int64_t rows, int64_t cols)
{
    if (rows < 0 || cols < 1) return tide_errorf("quant.int8: shape [%lld, %lld] needs cols >= 1", (long long)rows, (long long)cols), NULL;
    for (int64_t i = 0; i < rows * cols; i++)
        if (!isfinite(w[i]))
            return tide_errorf("quant.int8: entry [%lld, %lld] is not finite", (long long)(i / cols + 1), (long long)(i % cols + 1)), NULL;
    tide_qrows *q = calloc(1, sizeof *q);
    if (q) {
        q->q = malloc((size_t)(rows * cols) + 1);
        q->scale = malloc((size_t)rows * sizeof(float) + 1);
    }
    if (!q || !q->q || !q->scale) {
        tide_qrows_free(q);
        return tide_errorf("quant.int8: out of memory for [%lld, %lld]", (long long)rows, (long long)cols), NULL;
    }
    q->cols = cols;
    q->rows = rows;
    for (int64_t r = 0; r < rows; r++) {
        const float *x = w + r * cols;
        float mx = 0;
        for (int64_t j = 0; j < cols; j++) mx = fmaxf(mx, fabsf(x[j]));
        float s = mx / 127.0f;
        q->scale[r] = s;
        int8_t *c = q->q + r * cols;
        for (int64_t j = 0; j < cols; j++) {
            float v = s > 0 ? rintf(x[j] / s) : 0;
            c[j] = (int8_t)fminf(127.0f, fmaxf(-127.0f, v));
        }
    }
    return q;
}

void tide_qrows_free(tide_qrows *q)
{
    if (!q) return;
    free(q->q);
    free(q->scale);
    free(q);
}

void tide_qrows_dequant(const tide_qrows *q, float *out)
{
    for (int64_t r = 0; r < q->rows; r++) {
        const int8_t *c = q->q + r * q->cols;
        float s = q->scale[r];
        for (int64_t j = 0; j < q->cols; j++) out[r * q->cols + j] = s * (float)c[j];
    }
}

size_t tide_qrows_bytes(const tide_qrows *q) { return (size_t)(q->rows * q->cols) + (size_t)q->rows * sizeof(float); }

/* Σ_j x[j] c[j] with int8 codes widened in the loop (vectorises to pmovsx + mul + add). */
static float dot_i8(const float *x, const int8_t *c, int64_t n)
{
    float a0 = 0, a1 = 0, a2 = 0, a3 = 0;
    int64_t j = 0;
    for (; j + 4 <= n; j += 4) {
        a0 += x[j] * (float)c[j];
        a1 += x[j + 1] * (float)c[j + 1];
        a2 += x[j + 2] * (float)c[j + 2];
        a3 += x[j + 3] * (float)c[j + 3];
    }
    for (; j < n; j++) a0 += x[j] * (float)c[j];
    return (a0 + a1) + (a2 + a3);
}

int tide_qrows_scores(const tide_qrows *q, const float *x, int64_t B, const float *bias, float *out)
{
    int64_t R = q->rows, D = q->cols;
    if (B <= SMALL_B) {
        for (int64_t b = 0; b < B; b++)
            for (int64_t r = 0; r < R; r++)
                out[b * R + r] = q->scale[r] * dot_i8(x + b * D, q->q + r * D, D) + (bias ? bias[r] : 0);
        return TIDE_OK;
    }
    float *tmp = malloc((size_t)(ROW_BLOCK * D) * sizeof(float));
    if (!tmp) return tide_errorf("quant.int8: out of memory for a %d x %lld scratch", ROW_BLOCK, (long long)D);
    for (int64_t r0 = 0; r0 < R; r0 += ROW_BLOCK) {
        int64_t nr = R - r0 < ROW_BLOCK ? R - r0 : ROW_BLOCK;
        tide_qrows sub = {nr, D, q->q + r0 * D, q->scale + r0};
        tide_qrows_dequant(&sub, tmp);
        /* out[:, r0:r0+nr] = x [B, D] · tmp^T, written with ldc = R */
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)B, (int)nr, (int)D, 1.0f, x, (int)D, tmp, (int)D,
                    0.0f, out + r0, (int)R);
    }
    free(tmp);
    if (bias)
        for (int64_t b = 0; b < B; b++)
            for (int64_t r = 0; r < R; r++) out[b * R + r] += bias[r];
    return TIDE_OK;
}
