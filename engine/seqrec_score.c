/* seqrec_score.c — fused full-ranking evaluation of dot-product recommenders (see seqrec.h):
 * user states against the whole item table, seen-item exclusion, target ranks and top-K
 * lists, without a [users x items] score matrix.
 *
 * Why fused: with d = 50 the score matrix costs more to write and read back (31k users x 24k
 * items = 2.9 GB) than to compute. Here a block of SC_U users meets a tile of SC_I items
 * (seqrec_gemm.c) in a buffer that stays in L2, and each row of the tile is scanned at once:
 * a compare-and-count per target for the rank, and a threshold test per 16 scores for the
 * top-K (a candidate must beat the K-th best so far, which is rarely true once the list
 * settles). Blocks of users are shared out to threads; every score is a fixed-order dot
 * product, so the results do not depend on the thread count or the blocking. On a CPU with
 * AVX512_BF16 the tiles are computed in bf16 with a proven error bound (seqrec_bf16.c,
 * seqrec_score_bf16.c) and only the items that bound cannot settle get their exact fp32 score:
 * the same results, less work. TIDE_SEQREC_ISA=avx512 forces the exact tiles. This file ranks
 * one block of users; seqrec_run.c runs the threads. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "seqrec_score.h"

#if defined(__GNUC__) && defined(__x86_64__) && !defined(__clang__) && !defined(__SANITIZE_ADDRESS__)
#define HOT_SCAN __attribute__((target_clones("avx2", "default")))
#else
#define HOT_SCAN
#endif

/* best first: higher score, then lower id (tide_rank_targets' and tide_metrics_topk's rule) */
static int cand_cmp(const void *a, const void *b)
{
    const cand *x = a, *y = b;
    if (x->s != y->s) return x->s > y->s ? -1 : 1;
    return (x->id > y->id) - (x->id < y->id);
}

/* items that come before target j (score s) among v[0..n) = items i0..i0+n-1 */
HOT_SCAN static int64_t count_before(const float *v, int64_t n, int64_t i0, int64_t j, float s)
{
    int64_t cut = j - i0 < 0 ? 0 : (j - i0 > n ? n : j - i0);
    int32_t a = 0, b = 0;
    for (int64_t i = 0; i < cut; i++) a += v[i] >= s;
    for (int64_t i = cut + (cut < n && i0 + cut == j); i < n; i++) b += v[i] > s;
    return (int64_t)a + b;
}

HOT_SCAN static void topk_scan(topk_buf *t, int K, const float *v, int64_t n, int64_t i0, const int32_t *seen,
                               int64_t ns)
{
    int64_t i = 0;
    for (; i < n && t->n < K; i++) /* until K are kept every candidate enters */
        if (!isnan(v[i]) && !tide_sorted_has(seen, ns, (int32_t)(i0 + i))) heap_push(t, K, (cand){v[i], (int32_t)(i0 + i)});
    float thr = t->thr;
    for (; i < n; i += 16) {
        int len = n - i < 16 ? (int)(n - i) : 16, any = 0;
        for (int z = 0; z < len; z++) any += v[i + z] > thr; /* a vectorised count */
        if (!any) continue;
        for (int z = 0; z < len; z++)
            if (v[i + z] > thr && !tide_sorted_has(seen, ns, (int32_t)(i0 + i + z))) {
                heap_push(t, K, (cand){v[i + z], (int32_t)(i0 + i + z)});
                thr = t->thr;
            }
    }
}

static int cmp_i32(const void *a, const void *b)
{
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

static int grow(void **p, int64_t *cap, int64_t need, size_t elem)
{
    if (need <= *cap) return 0;
    void *q = realloc(*p, (size_t)need * elem);
    if (!q) return -1;
    *p = q;
    *cap = need;
    return 0;
}

/* users [c0, c1): states, seen lists and target scores, then the tiles, then the corrections */
int tide_seqrec_run_block(tide_seqrec_run *r, scratch *w, int64_t c0, int64_t c1)
{
    const sc_args *a = &r->a;
    const float *P = NULL;
    int64_t nu = c1 - c0, nr = (nu + SQ_MR - 1) / SQ_MR * SQ_MR, D = a->D;
    memset(w->H, 0, (size_t)(nr * D) * sizeof(float));
    for (int64_t u = 0; u < nu; u++) memcpy(w->H + u * D, a->H + (c0 + u) * a->ldh, (size_t)D * sizeof(float));
    int64_t ns = a->seen ? a->seen_off[c1] - a->seen_off[c0] : 0;
    if (grow((void **)&w->seen, &w->seen_cap, ns + 1, sizeof(int32_t)) < 0 ||
        grow((void **)&w->ss, &w->ss_cap, ns + 1, sizeof(float)) < 0)
        return tide_errorf("seqrec: out of memory");
    w->soff[0] = 0;
    for (int64_t u = 0; u < nu; u++) {
        int64_t m = 0, k = w->soff[u];
        if (a->seen) {
            m = a->seen_off[c0 + u + 1] - a->seen_off[c0 + u];
            memcpy(w->seen + k, a->seen + a->seen_off[c0 + u], (size_t)m * sizeof(int32_t));
            qsort(w->seen + k, (size_t)m, sizeof(int32_t), cmp_i32);
            int64_t d = 0;
            for (int64_t q = 0; q < m; q++)
                if (q == 0 || w->seen[k + q] != w->seen[k + d - 1]) w->seen[k + d++] = w->seen[k + q];
            m = d;
        }
        w->soff[u + 1] = k + m;
        w->cur[u] = k;
        w->tk[u] = (topk_buf){w->buf + (int64_t)u * a->K, 0, -INFINITY};
    }
    int64_t t0 = a->tgt ? a->tgt_off[c0] : 0, nt = a->tgt ? a->tgt_off[c1] - t0 : 0;
    if (grow((void **)&w->ts, &w->ts_cap, nt + 1, sizeof(float)) < 0) return tide_errorf("seqrec: out of memory");
    for (int64_t u = 0; u < nu && a->tgt; u++)
        for (int64_t p = a->tgt_off[c0 + u]; p < a->tgt_off[c0 + u + 1]; p++) {
            float s = tide_seqrec_dot(a->isa, D, w->H + u * D, a->E + (int64_t)a->tgt[p] * a->lde);
            if (isnan(s))
                return tide_errorf("seqrec: score of target item %d for row %lld is NaN", a->tgt[p], (long long)(c0 + u));
            w->ts[p - t0] = s;
            a->rank[p] = 0;
        }
    if (tide_seqrec_bf16_block(a, w, nu)) {
        if (tide_seqrec_tiles_bf16(a, w, c0, nu, nr, t0) < 0) return TIDE_ERR;
    } else if (!(P = tide_seqrec_fp32_table(r))) {
        return tide_errorf("seqrec: out of memory packing %lld items", (long long)a->I);
    } else
    for (int64_t i0 = 0; i0 < a->I; i0 += SC_I) {
        int64_t n = a->I - i0 < SC_I ? a->I - i0 : SC_I;
        int64_t p0 = i0 / SQ_PANEL, npt = (a->np - p0) < SC_I / SQ_PANEL ? a->np - p0 : SC_I / SQ_PANEL;
        tide_seqrec_tile(a->isa, nr, w->H, D, P + p0 * D * SQ_PANEL, npt, w->S, SC_I);
        for (int64_t u = 0; u < nu; u++) {
            const float *v = w->S + u * SC_I;
            for (int64_t p = a->tgt ? a->tgt_off[c0 + u] : 0; a->tgt && p < a->tgt_off[c0 + u + 1]; p++)
                a->rank[p] += count_before(v, n, i0, a->tgt[p], w->ts[p - t0]);
            if (a->K > 0)
                topk_scan(&w->tk[u], a->K, v, n, i0, w->seen + w->soff[u], w->soff[u + 1] - w->soff[u]);
            /* the seen items' scores for the rank corrections below, from this tile (sorted ids,
             * ascending tiles: a cursor per user) rather than one latency-bound dot each */
            for (int64_t *q = &w->cur[u]; *q < w->soff[u + 1] && w->seen[*q] < i0 + n; (*q)++)
                w->ss[*q] = v[w->seen[*q] - i0];
        }
    }
    for (int64_t u = 0; u < nu; u++) {
        const int32_t *sn = w->seen + w->soff[u];
        int64_t m = w->soff[u + 1] - w->soff[u];
        for (int64_t p = a->tgt ? a->tgt_off[c0 + u] : 0; a->tgt && p < a->tgt_off[c0 + u + 1]; p++) {
            int32_t j = a->tgt[p];
            float s = w->ts[p - t0];
            if (tide_sorted_has(sn, m, j)) { a->rank[p] = a->I; continue; } /* a seen target is a miss */
            for (int64_t q = 0; q < m; q++) { /* seen items are not candidates */
                float x = w->ss[w->soff[u] + q];
                a->rank[p] -= x > s || (x == s && sn[q] < j);
            }
        }
        if (a->K > 0) {
            topk_buf *t = &w->tk[u];
            qsort(t->c, (size_t)t->n, sizeof(cand), cand_cmp);
            for (int q = 0; q < a->K; q++) {
                a->items[(c0 + u) * a->K + q] = q < t->n ? t->c[q].id : -1;
                if (a->vals) a->vals[(c0 + u) * a->K + q] = q < t->n ? t->c[q].s : NAN;
            }
        }
    }
    return TIDE_OK;
}
