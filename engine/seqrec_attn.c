/* seqrec_attn.c — inference-only attention of one query per row over all its keys, for the
 * last block of a sequential recommender scored from the last position (seqrec.h).
 *
 * Why: the general kernel (nn_attention.c) copies strided keys and values to contiguous
 * buffers and issues two sgemm calls per (row, head) — with a single query row those calls
 * and copies cost ~10x the arithmetic. Here each row is a handful of dot products read in
 * place from the fused [B, S, 2D] key/value projection. The same softmax as nn_attention.c
 * (max-subtracted, masked keys weigh 0, no visible key gives a zero output; Cephes exp), so
 * the states agree with the taped forward to float rounding. Also the BLAS thread switch the
 * pipelined evaluation uses around these tape-free forwards (tide_seqrec_blas_threads). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>

#include "error.h"
#include "nn_internal.h"
#include "seqrec.h"

NN_VECTOR static void one_row(int64_t S, int64_t D, int64_t H, float scale, const float *restrict q,
                              const float *restrict kv, const uint8_t *restrict mask, float *restrict w,
                              float *restrict out)
{
    int64_t dh = D / H;
    for (int64_t h = 0; h < H; h++) {
        const float *qh = q + h * dh;
        float m = -INFINITY;
        for (int64_t j = 0; j < S; j++) {
            const float *k = kv + j * 2 * D + h * dh;
            float s = 0.0f;
            for (int64_t c = 0; c < dh; c++) s += qh[c] * k[c];
            w[j] = s * scale;
            if ((!mask || mask[j]) && w[j] > m) m = w[j];
        }
        float *o = out + h * dh;
        memset(o, 0, (size_t)dh * sizeof *o);
        if (m == -INFINITY) continue; /* no visible key: zero output, as nn_attention.c */
        float sum = 0.0f;
        for (int64_t j = 0; j < S; j++) {
            w[j] = mask && !mask[j] ? 0.0f : nn_expf(w[j] - m);
            sum += w[j];
        }
        float inv = 1.0f / sum;
        for (int64_t j = 0; j < S; j++) {
            if (w[j] == 0.0f) continue;
            const float *v = kv + j * 2 * D + D + h * dh;
            float p = w[j] * inv;
            for (int64_t c = 0; c < dh; c++) o[c] += p * v[c];
        }
    }
}

int tide_seqrec_last_attention(int64_t B, int64_t S, int64_t D, int64_t H, const float *q, const float *kv,
                               const uint8_t *mask, float *out)
{
    if (B < 0 || S < 1 || D < 1 || H < 1 || D % H != 0)
        return tide_errorf("seqrec: last_attention needs B >= 0, S >= 1 and heads dividing D, got B %lld, S %lld, "
                           "D %lld, heads %lld", (long long)B, (long long)S, (long long)D, (long long)H);
    float *w = malloc((size_t)S * sizeof *w);
    if (!w) return tide_errorf("seqrec: out of memory");
    float scale = (float)(1.0 / sqrt((double)(D / H)));
    for (int64_t b = 0; b < B; b++)
        one_row(S, D, H, scale, q + b * D, kv + b * S * 2 * D, mask ? mask + b * S : NULL, w, out + b * D);
    free(w);
    return TIDE_OK;
}

/* While the fused kernel's threads fill every core, OpenBLAS's own workers in the states'
 * small sgemms only spin-wait (~0.2 CPU-s per Games evaluation, stolen from the kernel). */
int tide_seqrec_blas_threads(int n)
{
#ifdef OPENBLAS_VERSION
    int prev = openblas_get_num_threads();
    if (n >= 1) openblas_set_num_threads(n);
    return prev;
#else
    (void)n;
    return -1;
#endif
}
