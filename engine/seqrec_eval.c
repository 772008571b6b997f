/* seqrec_eval.c — candidate sampling and ranking for the sampled protocol (see seqrec.h).
 * The draw loop mirrors tide_rank_sampled in metrics.c step for step (marking, stream, the
 * "fewer candidates than asked" case), which a test checks by comparing the two paths. */
#include <math.h>
#include <stdlib.h>

#include "error.h"
#include "rng.h"
#include "seqrec.h"

enum { NONE = 0, SEEN = 1, TARGET = 2, DRAWN = 3, SEEN_TARGET = 4 };

int tide_seqrec_candidates(int64_t B, int64_t I, const int64_t *seen_off, const int32_t *seen,
                           const int64_t *tgt_off, const int32_t *tgt, int n_neg, uint64_t seed,
                           int64_t user_base, int32_t *cand, uint8_t *flags)
{
    if (n_neg < 1 || n_neg > 1 << 24) return tide_errorf("seqrec: n_neg must be in 1..2^24, got %d", n_neg);
    if (B < 0 || I < 1) return tide_errorf("seqrec: need B >= 0 and I >= 1");
    uint8_t *mark = calloc((size_t)I, 1);
    if (!mark) return tide_errorf("seqrec: out of memory");
    int64_t C = 1 + (int64_t)n_neg;
    for (int64_t b = 0; b < B; b++) {
        int64_t excl = 0, nt = tgt_off[b + 1] - tgt_off[b];
        if (nt == 0) continue;
        for (int64_t p = tgt_off[b]; p < tgt_off[b + 1]; p++) {
            if (tgt[p] < 0 || tgt[p] >= I) { free(mark); return tide_errorf("seqrec: target id %d outside 0..%lld", tgt[p], (long long)I - 1); }
            mark[tgt[p]] = TARGET;
        }
        if (seen)
            for (int64_t p = seen_off[b]; p < seen_off[b + 1]; p++) {
                int32_t i = seen[p];
                if (i < 0 || i >= I) { free(mark); return tide_errorf("seqrec: seen id %d outside 0..%lld", i, (long long)I - 1); }
                if (mark[i] == NONE) { mark[i] = SEEN; excl++; }
                else if (mark[i] == TARGET) mark[i] = SEEN_TARGET;
            }
        int64_t ncand = I - excl - nt;
        tide_rng r = {seed, (uint64_t)(user_base + b) << 24};
        for (int64_t p = tgt_off[b]; p < tgt_off[b + 1]; p++) {
            int32_t *row = cand + p * C;
            row[0] = tgt[p];
            flags[p] = mark[tgt[p]] == SEEN_TARGET;
            int m = 0;
            if (ncand <= n_neg) {
                for (int64_t i = 0; i < I; i++)
                    if (mark[i] == NONE && m < n_neg) row[1 + m++] = (int32_t)i;
            } else {
                while (m < n_neg) {
                    int32_t i = (int32_t)tide_rng_below(&r, (uint64_t)I);
                    if (mark[i] != NONE) continue;
                    mark[i] = DRAWN;
                    row[1 + m++] = i;
                }
                for (int q = 0; q < m; q++) mark[row[1 + q]] = NONE;
            }
            for (int64_t q = 1 + m; q < C; q++) row[q] = -1;
        }
        for (int64_t p = tgt_off[b]; p < tgt_off[b + 1]; p++) mark[tgt[p]] = NONE;
        if (seen)
            for (int64_t p = seen_off[b]; p < seen_off[b + 1]; p++) mark[seen[p]] = NONE;
    }
    free(mark);
    return TIDE_OK;
}

int tide_seqrec_rank_candidates(int64_t N, int64_t C, const float *scores, int64_t ld, const int32_t *cand,
                                const uint8_t *flags, int64_t I, int64_t *rank)
{
    for (int64_t p = 0; p < N; p++) {
        const float *x = scores + p * ld;
        const int32_t *c = cand + p * C;
        float s = x[0];
        if (isnan(s)) return tide_errorf("seqrec: score of target item %d (row %lld) is NaN", c[0], (long long)p);
        int64_t rk = 0;
        for (int64_t q = 1; q < C; q++)
            if (c[q] >= 0) rk += x[q] > s || (x[q] == s && c[q] < c[0]);
        rank[p] = flags && flags[p] ? I : rk;
    }
    return TIDE_OK;
}

int tide_seqrec_dot_rows(int64_t N, int64_t C, int64_t D, const float *h, int64_t ldh, const float *table,
                         int64_t ldt, int64_t R, const int32_t *cand, float *out)
{
    for (int64_t p = 0; p < N * C; p++)
        if (cand[p] >= R) return tide_errorf("seqrec: candidate id %d outside 0..%lld", cand[p], (long long)R - 1);
    for (int64_t n = 0; n < N; n++) {
        const float *x = h + n * ldh;
        for (int64_t c = 0; c < C; c++) {
            int32_t id = cand[n * C + c];
            float acc = 0.0f;
            if (id >= 0) {
                const float *e = table + (int64_t)id * ldt;
                for (int64_t d = 0; d < D; d++) acc += x[d] * e[d];
            }
            out[n * C + c] = acc;
        }
    }
    return TIDE_OK;
}
