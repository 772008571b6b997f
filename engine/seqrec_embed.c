/* seqrec_embed.c — the input layer of the self-attention recommenders without the tape, in
 * one pass: out[b, t] = table[ids[b, t]] * scale + pos[P - T + t] (the last T of P learned
 * positions). The taped path gathers, scales and adds a broadcast position table in three
 * passes over [B, T, D] (the add through the strided iterator); the operations per element
 * are the same float multiply and add, so the result has the same bits. */
#include "error.h"
#include "seqrec.h"

int tide_seqrec_embed(int64_t B, int64_t T, int64_t D, const float *table, int64_t R, const int32_t *ids,
                      float scale, const float *pos, int64_t P, float *out)
{
    if (B < 0 || T < 1 || D < 1 || T > P)
        return tide_errorf("seqrec: embed needs T in 1..%lld positions and D >= 1, got T %lld, D %lld", (long long)P,
                           (long long)T, (long long)D);
    for (int64_t p = 0; p < B * T; p++)
        if (ids[p] < 0 || ids[p] >= R)
            return tide_errorf("seqrec: embed row %d outside [0, %lld)", ids[p], (long long)R);
    const float *p0 = pos + (P - T) * D;
    for (int64_t b = 0; b < B; b++)
        for (int64_t t = 0; t < T; t++) {
            const float *e = table + (int64_t)ids[b * T + t] * D, *q = p0 + t * D;
            float *o = out + (b * T + t) * D;
            for (int64_t d = 0; d < D; d++) o[d] = e[d] * scale + q[d];
        }
    return TIDE_OK;
}
