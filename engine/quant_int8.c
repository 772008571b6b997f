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

/* Σ_j x[j] c[j], portable: four lanes, so the compiler may keep them in one SSE register. */
static float dot_i8_base(const float *x, const int8_t *c, int64_t n)
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

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define HAVE_AVX2_PATH 1
/* The dot for four rows at once with AVX2 + FMA: 8 codes per row sign-extended to int32
 * (vpmovsxbd), converted, and multiply-added against the same 8 user values; the four
 * horizontal sums share three hadds. Compiled for that ISA in this function only and called
 * only when the CPU has it (see scores_small). out[i] = Σ_j x[j] c[i·D + j], i < 4. */
__attribute__((target("avx2,fma"))) static void dot4_i8_avx2(const float *x, const int8_t *c, int64_t D, float *out)
{
    __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
    int64_t j = 0;
#define CODES(row) _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)(c + (row) * D + j))))
    for (; j + 8 <= D; j += 8) {
        __m256 xv = _mm256_loadu_ps(x + j);
        a0 = _mm256_fmadd_ps(xv, CODES(0), a0);
        a1 = _mm256_fmadd_ps(xv, CODES(1), a1);
        a2 = _mm256_fmadd_ps(xv, CODES(2), a2);
        a3 = _mm256_fmadd_ps(xv, CODES(3), a3);
    }
#undef CODES
    __m256 t = _mm256_hadd_ps(_mm256_hadd_ps(a0, a1), _mm256_hadd_ps(a2, a3));
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(t), _mm256_extractf128_ps(t, 1));
    _mm_storeu_ps(out, s);
    for (; j < D; j++)
        for (int i = 0; i < 4; i++) out[i] += x[j] * (float)c[i * D + j];
}
#endif

/* Scores of few users: out[b, r] = s_r · Σ_j x[b, j] c[r, j] (+ bias), one pass over the codes
 * per user — the memory-bound case int8 is for (a quarter of f32's bytes). */
static void scores_small(const tide_qrows *q, const float *x, int64_t B, const float *bias, float *out)
{
    int64_t R = q->rows, D = q->cols;
    for (int64_t b = 0; b < B; b++) {
        const float *xb = x + b * D;
        float *ob = out + b * R;
        int64_t r = 0;
#ifdef HAVE_AVX2_PATH
        if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
            for (; r + 4 <= R; r += 4) dot4_i8_avx2(xb, q->q + r * D, D, ob + r);
#endif
        for (; r < R; r++) ob[r] = dot_i8_base(xb, q->q + r * D, D);
        for (r = 0; r < R; r++) ob[r] = q->scale[r] * ob[r] + (bias ? bias[r] : 0);
    }
}

int tide_qrows_scores(const tide_qrows *q, const float *x, int64_t B, const float *bias, float *out)
{
    int64_t R = q->rows, D = q->cols;
    if (B <= SMALL_B) {
        scores_small(q, x, B, bias, out);
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
