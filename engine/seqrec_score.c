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
 * AVX512_BF16 the tiles are computed in bf16 with a proven error bound (seqrec_bf16.c) and only
 * the items that bound cannot settle get their exact fp32 score: the same results, less work.
 * TIDE_SEQREC_ISA=avx512 forces the exact tiles. */
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "error.h"
#include "seqrec.h"
#include "seqrec_internal.h"

enum { SC_U = 64, SC_I = 1024 }; /* users x items per tile: 256 KB of scores, in L2 */

#if defined(__GNUC__) && defined(__x86_64__) && !defined(__clang__) && !defined(__SANITIZE_ADDRESS__)
#define HOT_SCAN __attribute__((target_clones("avx2", "default")))
#else
#define HOT_SCAN
#endif

typedef struct {
    float s;
    int32_t id;
} cand;

/* best first: higher score, then lower id (tide_rank_targets' and tide_metrics_topk's rule) */
static int cand_cmp(const void *a, const void *b)
{
    const cand *x = a, *y = b;
    if (x->s != y->s) return x->s > y->s ? -1 : 1;
    return (x->id > y->id) - (x->id < y->id);
}

/* One user's running top-K: a min-heap of the best K so far, worst at the root. Items arrive
 * in increasing id, so once the heap is full a newcomer must score strictly above the root
 * (an equal score comes with a higher id: it ranks after), which a block of 16 scores is
 * tested for at once. */
typedef struct {
    cand *c;
    int n;
    float thr; /* the root's score once full, else -inf */
} topk_buf;

static int worse(cand a, cand b) { return a.s < b.s || (a.s == b.s && a.id > b.id); }

static void heap_push(topk_buf *t, int K, cand x)
{
    cand *h = t->c;
    int p;
    if (t->n < K) { /* sift up */
        for (p = t->n++; p > 0 && worse(x, h[(p - 1) / 2]); p = (p - 1) / 2) h[p] = h[(p - 1) / 2];
    } else { /* replace the root, sift down */
        for (p = 0;;) {
            int l = 2 * p + 1;
            if (l >= K) break;
            int m = l + 1 < K && worse(h[l + 1], h[l]) ? l + 1 : l;
            if (!worse(h[m], x)) break;
            h[p] = h[m];
            p = m;
        }
    }
    h[p] = x;
    if (t->n == K) t->thr = h[0].s;
}

static int is_seen(const int32_t *seen, int64_t ns, int32_t i)
{
    int64_t lo = 0, hi = ns;
    while (lo < hi) {
        int64_t m = (lo + hi) / 2;
        if (seen[m] < i) lo = m + 1;
        else hi = m;
    }
    return lo < ns && seen[lo] == i;
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
        if (!isnan(v[i]) && !is_seen(seen, ns, (int32_t)(i0 + i))) heap_push(t, K, (cand){v[i], (int32_t)(i0 + i)});
    float thr = t->thr;
    for (; i < n; i += 16) {
        int len = n - i < 16 ? (int)(n - i) : 16, any = 0;
        for (int z = 0; z < len; z++) any += v[i + z] > thr; /* a vectorised count */
        if (!any) continue;
        for (int z = 0; z < len; z++)
            if (v[i + z] > thr && !is_seen(seen, ns, (int32_t)(i0 + i + z))) {
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

typedef struct {
    int64_t B, D, ldh, I, lde;
    const float *H, *E;
    const int64_t *seen_off, *tgt_off;
    const int32_t *seen, *tgt;
    int64_t *rank;
    int K;
    int32_t *items;
    float *vals;
    int64_t np; /* panels of the packed tables */
    int isa;
    const uint32_t *Pb; /* bf16 panels when the bf16 first pass runs (seqrec_bf16.c), else NULL */
    const int32_t *perm; /* the bf16 table's item order: its row k is item perm[k] */
    const double *tmax; /* per tile of SC_I rows of it: the largest item 2-norm, rounding-error norm */
    double emax;        /* the largest item 2-norm */
} sc_args;

/* Threads take blocks of SC_U users from a shared counter, so a thread slowed by other load
 * does not hold the rest back; every user's result is computed alone, whoever computes it. */
typedef struct {
    tide_seqrec_run *r;
    int rc;
    char err[512];
} sc_job;

/* A started evaluation (seqrec.h): its arguments, packed tables and threads. The threads pack
 * the item table themselves (the caller computes the first states meanwhile) and wait for each
 * block's states (tide_seqrec_run_ready). */
struct tide_seqrec_run {
    sc_args a;
    float *P;          /* the fp32 panels: packed when a block runs exact (or no bf16 pass) */
    uint32_t *Pb;      /* the bf16 pass's table (bf16_setup) */
    int32_t *perm;
    double *tmax;
    int T;
    atomic_llong next, ready; /* the next block to take; the rows of H that hold states */
    pthread_mutex_t mu;       /* guards the fields below and the lazy packing of P */
    pthread_cond_t cv;        /* signalled when prep or ready change, or on abort */
    int prep;                 /* the bf16 table: 0 to do, 1 being done, 2 done, -1 out of memory */
    int aborted;              /* wait came before every state */
    sc_job jobs[8];
    pthread_t th[8];
    int started[8];
};

/* One tile's items awaiting their exact scores: a fused tile is settled one tile late, so the
 * item rows it reads were prefetched while the next tile was computed (they come from all over
 * the table, and waiting for each at once cost as much as the rest of the rescoring). */
typedef struct {
    int64_t start[SC_U + 1]; /* user u's items are [start[u], start[u + 1]) of the arrays below */
    double B[SC_U];          /* each user's bound for that tile */
    int32_t *idx, *ids;      /* the items' tile rows and ids, */
    uint8_t *band;           /* fused: 1 when in the target's band (not only above the top-K cut), */
    float *X;                /* and their exact scores */
    int fused;
} pend;

/* per-thread scratch for one block of up to SC_U users */
typedef struct {
    float *H, *S, *ts;    /* padded states, score tile, target scores */
    int32_t *seen;        /* each user's distinct seen ids, sorted */
    float *ss;            /* their scores, picked from the tiles (bitwise the dot products) */
    int64_t soff[SC_U + 1], seen_cap, ss_cap, ts_cap, cur[SC_U];
    cand *buf;
    topk_buf tk[SC_U];
    uint32_t *Hb;         /* the bf16 pass: bf16 states, their 2-norms, */
    double hn[SC_U], hd[SC_U];
    pend pd[2];           /* the items to rescore of the last two tiles */
    float *up, *dn;       /* each target's band [dn, up] around its score */
    float *sel;           /* scratch of kth_largest */
    int64_t *cnt, band_cap;
    float fup[SC_U], fdn[SC_U], fkc[SC_U]; /* the fused scan: one band and cut per user, */
    int64_t fcnt[SC_U];   /* the counts above, the band and top-K masks of each panel, */
    uint64_t any[SC_U];   /* and which panels have some */
    uint16_t bits[SC_U * (SC_I / SQ_PANEL)], kbits[SC_U * (SC_I / SQ_PANEL)];
} scratch;

static int grow(void **p, int64_t *cap, int64_t need, size_t elem)
{
    if (need <= *cap) return 0;
    void *q = realloc(*p, (size_t)need * elem);
    if (!q) return -1;
    *p = q;
    *cap = need;
    return 0;
}

static int grow_bands(scratch *w, int64_t need)
{
    if (need <= w->band_cap) return 0;
    float *up = realloc(w->up, (size_t)need * sizeof(float));
    if (up) w->up = up;
    float *dn = up ? realloc(w->dn, (size_t)need * sizeof(float)) : NULL;
    if (dn) w->dn = dn;
    int64_t *cnt = dn ? realloc(w->cnt, (size_t)need * sizeof(int64_t)) : NULL;
    if (!cnt) return -1;
    w->cnt = cnt;
    w->band_cap = need;
    return 0;
}

/* the r-th largest of v[0..n) (1 <= r <= n), by quickselect (Hoare) on a copy in buf */
static float kth_largest(const float *v, int64_t n, int64_t r, float *buf)
{
    memcpy(buf, v, (size_t)n * sizeof(float));
    int64_t lo = 0, hi = n - 1, k = r - 1; /* the k-th of buf in decreasing order */
    while (lo < hi) {
        float piv = buf[lo + (hi - lo) / 2];
        int64_t i = lo, j = hi;
        while (i <= j) {
            while (buf[i] > piv) i++;
            while (buf[j] < piv) j--;
            if (i <= j) {
                float t = buf[i];
                buf[i++] = buf[j];
                buf[j--] = t;
            }
        }
        if (k <= j) hi = j;
        else if (k >= i) lo = i;
        else break;
    }
    return buf[k];
}

static float round_up_f(double x)
{
    float f = (float)x;
    return (double)f < x ? nextafterf(f, INFINITY) : f;
}

static float round_down_f(double x)
{
    float f = (float)x;
    return (double)f > x ? nextafterf(f, -INFINITY) : f;
}

/* The bf16 pass runs for a block whose states are finite and far from overflow (the bound of
 * seqrec_bf16.c assumes no infinity or NaN anywhere); it fills the bf16 states and norms. */
static int bf16_block(const sc_args *a, scratch *w, int64_t nu)
{
    if (!a->Pb) return 0;
    int64_t D = a->D;
    for (int64_t u = 0; u < nu; u++) {
        for (int64_t d = 0; d < D; d++)
            if (!isfinite(w->H[u * D + d])) return 0;
        tide_seqrec_bf16_norms(D, w->H + u * D, &w->hn[u], &w->hd[u]);
        if (!(w->hn[u] * a->emax < 0x1p100)) return 0;
    }
    int64_t nr = (nu + SQ_MR - 1) / SQ_MR * SQ_MR;
    tide_seqrec_bf16_rows(nr, D, w->H, D, w->Hb); /* padding rows are 0 */
    return 1;
}

/* The bf16 pass over one tile (rows i0 ..): per user row, the items surely above a target's
 * score are counted, items surely below it and unable to enter the top-K are dropped, and the
 * rest are listed in pd for their exact scores (settle_tile). When every user of the block has
 * at most one target and a full top-K (or none), the scan runs inside the tile
 * (tide_seqrec_tile_bf16_scan) and the approximate scores are never stored. */
static int scan_tile(const sc_args *a, scratch *w, int64_t c0, int64_t nu, int64_t nr, int64_t t0, int64_t i0,
                     pend *pd)
{
    int64_t D = a->D, D2 = (D + 1) / 2, nb = SC_I / SQ_PANEL;
    int64_t n = a->I - i0 < SC_I ? a->I - i0 : SC_I;
    int64_t p0 = i0 / SQ_PANEL, npt = (a->np - p0) < SC_I / SQ_PANEL ? a->np - p0 : SC_I / SQ_PANEL;
    int fused = 1;
    for (int64_t u = 0; u < nr; u++) {
        w->fup[u] = w->fdn[u] = w->fkc[u] = INFINITY, w->fcnt[u] = 0, w->any[u] = 0;
        if (u >= nu) continue;
        int64_t tb = a->tgt ? a->tgt_off[c0 + u] : 0, nt = a->tgt ? a->tgt_off[c0 + u + 1] - tb : 0;
        /* the bound for this user and this tile's items (seqrec_bf16.c) */
        double B = pd->B[u] = tide_seqrec_bf16_bound(D, w->hn[u], w->hd[u], a->tmax[2 * (i0 / SC_I)],
                                                     a->tmax[2 * (i0 / SC_I) + 1]);
        if (nt > 1 || (a->K > 0 && w->tk[u].n < a->K)) fused = 0;
        if (nt == 1) {
            double st = w->ts[tb - t0];
            w->fup[u] = round_up_f(st + B), w->fdn[u] = round_down_f(st - B);
        }
        if (a->K > 0 && w->tk[u].n == a->K) w->fkc[u] = round_down_f((double)w->tk[u].thr - B);
    }
    if (fused)
        tide_seqrec_tile_bf16_scan(nr, w->Hb, D2, a->Pb + p0 * D2 * SQ_PANEL, npt, n, w->fup, w->fdn, w->fkc,
                                   w->fcnt, w->bits, w->kbits, nb, w->any);
    else
        tide_seqrec_tile_bf16(nr, w->Hb, D2, a->Pb + p0 * D2 * SQ_PANEL, npt, w->S, SC_I);
    int64_t M = 0;
    for (int64_t u = 0; u < nu; u++) {
        const float *v = w->S + u * SC_I;
        int64_t tb = a->tgt ? a->tgt_off[c0 + u] : 0, nt = a->tgt ? a->tgt_off[c0 + u + 1] - tb : 0, m = 0;
        int32_t *idx = pd->idx + M;
        pd->start[u] = M;
        if (fused) {
            if (nt == 1) a->rank[tb] += w->fcnt[u];
            for (uint64_t an = w->any[u]; an; an &= an - 1) { /* the panels with some */
                int q = __builtin_ctzll(an);
                unsigned bb = w->bits[u * nb + q];
                for (unsigned bm = bb | w->kbits[u * nb + q]; bm; bm &= bm - 1) {
                    pd->band[M + m] = bb >> __builtin_ctz(bm) & 1;
                    idx[m++] = (int32_t)(q * SQ_PANEL + __builtin_ctz(bm));
                }
            }
        } else {
            if (grow_bands(w, nt + 1) < 0) return tide_errorf("seqrec: out of memory");
            double B = pd->B[u];
            for (int64_t t = 0; t < nt; t++) {
                double s = w->ts[tb + t - t0];
                w->up[t] = round_up_f(s + B), w->dn[t] = round_down_f(s - B), w->cnt[t] = 0;
            }
            /* the top-K's final K-th score is >= L: the heap's root once full, else the
             * (K + seen)-th best approximate score of this row - B (K of those items are
             * candidates, each exact >= its approximation - B); a < L - B means exact < L */
            float kcut = w->fkc[u];
            int64_t ns = w->soff[u + 1] - w->soff[u];
            if (a->K > 0 && w->tk[u].n < a->K)
                kcut = a->K + ns > n ? -INFINITY : round_down_f((double)kth_largest(v, n, a->K + ns, w->sel) - 2 * B);
            m = tide_seqrec_bf16_scan(v, n, w->up, w->dn, nt, kcut, idx, w->cnt);
            for (int64_t t = 0; t < nt; t++) a->rank[tb + t] += w->cnt[t];
        }
        for (int64_t k = 0; k < m; k++) {
            int32_t id = pd->ids[M + k] = a->perm[i0 + idx[k]];
            const char *row = (const char *)(a->E + id * a->lde);
            for (int64_t b = 0; b < D * 4; b += 64) __builtin_prefetch(row + b);
        }
        M += m;
    }
    pd->start[nu] = M;
    pd->fused = fused;
    return TIDE_OK;
}

/* The listed items' exact scores (bitwise the fp32 tile's), all users' at once, then the exact
 * rules: the same ranks and lists as the fp32 tiles. An unfused tile is settled before the next
 * is computed (its rows of approximate scores in w->S tell which target bands an item is in). */
static int settle_tile(const sc_args *a, scratch *w, int64_t c0, int64_t nu, int64_t t0, const pend *pd)
{
    tide_seqrec_exact_rows(w->H, a->D, a->E, a->lde, pd->start, nu, pd->ids, pd->X);
    for (int64_t u = 0; u < nu; u++) {
        const float *v = w->S + u * SC_I;
        int64_t tb = a->tgt ? a->tgt_off[c0 + u] : 0, nt = a->tgt ? a->tgt_off[c0 + u + 1] - tb : 0;
        if (grow_bands(w, nt + 1) < 0) return tide_errorf("seqrec: out of memory");
        for (int64_t t = 0; t < nt && !pd->fused; t++) {
            double s = w->ts[tb + t - t0];
            w->up[t] = round_up_f(s + pd->B[u]), w->dn[t] = round_down_f(s - pd->B[u]);
        }
        topk_buf *tk = &w->tk[u];
        const int32_t *sn = w->seen + w->soff[u];
        int64_t ns = w->soff[u + 1] - w->soff[u];
        for (int64_t k = pd->start[u]; k < pd->start[u + 1]; k++) {
            float x = pd->X[k];
            int32_t i = pd->ids[k];
            for (int64_t t = 0; t < nt; t++) {
                /* items settled by the scan (bitwise its compares: same bounds, same floats) */
                if (pd->fused ? !pd->band[k] : (v[pd->idx[k]] > w->up[t] || v[pd->idx[k]] < w->dn[t])) continue;
                int32_t j = a->tgt[tb + t];
                float s = w->ts[tb + t - t0];
                a->rank[tb + t] += i != j && (x > s || (x == s && i < j));
            }
            if (a->K > 0 && (tk->n < a->K || worse(tk->c[0], (cand){x, i})) && !is_seen(sn, ns, i))
                heap_push(tk, a->K, (cand){x, i});
        }
    }
    return TIDE_OK;
}

/* The bf16 first pass over all tiles, a fused tile settled after the next one is scanned. The
 * tiles follow the bf16 table's order (by norm, see bf16_setup), not ids, so an item ties with
 * the top-K's root by id too; the lists are the same (the best K under a total order), and a
 * scan that sees a top-K one tile old only lists more items (its cut is lower). */
static int tiles_bf16(const sc_args *a, scratch *w, int64_t c0, int64_t nu, int64_t nr, int64_t t0)
{
    const pend *late = NULL;
    int q = 0;
    for (int64_t i0 = 0; i0 < a->I; i0 += SC_I) {
        pend *cur = &w->pd[q];
        if (scan_tile(a, w, c0, nu, nr, t0, i0, cur) < 0) return TIDE_ERR;
        if (late && settle_tile(a, w, c0, nu, t0, late) < 0) return TIDE_ERR;
        late = NULL;
        if (cur->fused) late = cur, q ^= 1;
        else if (settle_tile(a, w, c0, nu, t0, cur) < 0) return TIDE_ERR;
    }
    if (late && settle_tile(a, w, c0, nu, t0, late) < 0) return TIDE_ERR;
    /* the seen items' exact scores for the rank corrections */
    for (int64_t u = 0; u < nu && a->tgt; u++)
        tide_seqrec_exact_items(w->H + u * a->D, a->D, a->E, a->lde, w->seen + w->soff[u],
                                w->soff[u + 1] - w->soff[u], w->ss + w->soff[u]);
    return TIDE_OK;
}

/* The fp32 panels, packed by the first block that needs them; NULL when out of memory */
static const float *fp32_table(tide_seqrec_run *r)
{
    pthread_mutex_lock(&r->mu);
    int64_t np;
    if (!r->P) r->P = tide_seqrec_pack(r->a.I, r->a.D, r->a.E, r->a.lde, &np);
    const float *P = r->P;
    pthread_mutex_unlock(&r->mu);
    return P;
}

/* users [c0, c1): states, seen lists and target scores, then the tiles, then the corrections */
static int run_block(tide_seqrec_run *r, scratch *w, int64_t c0, int64_t c1)
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
    if (bf16_block(a, w, nu)) {
        if (tiles_bf16(a, w, c0, nu, nr, t0) < 0) return TIDE_ERR;
    } else if (!(P = fp32_table(r))) {
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
            if (is_seen(sn, m, j)) { a->rank[p] = a->I; continue; } /* a seen target is a miss */
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

static int bf16_setup(tide_seqrec_run *r);

/* The first thread to come prepares the bf16 table (when this CPU has the pass), the others wait
 * for it: -1 when out of memory. */
static int prepare(tide_seqrec_run *r)
{
    pthread_mutex_lock(&r->mu);
    int mine = r->prep == 0;
    if (mine) r->prep = 1;
    while (!mine && r->prep == 1) pthread_cond_wait(&r->cv, &r->mu);
    pthread_mutex_unlock(&r->mu);
    if (mine) {
        int rc = r->a.isa == SQ_BF16 ? bf16_setup(r) : 0;
        pthread_mutex_lock(&r->mu);
        r->prep = rc < 0 ? -1 : 2;
        pthread_cond_broadcast(&r->cv);
        pthread_mutex_unlock(&r->mu);
    }
    return r->prep < 0 ? tide_errorf("seqrec: out of memory packing %lld items", (long long)r->a.I) : TIDE_OK;
}

/* Blocks until the states of users [0, c1) are in; -1 when the run was ended without them */
static int await_rows(tide_seqrec_run *r, int64_t c1)
{
    if (atomic_load_explicit(&r->ready, memory_order_acquire) >= c1) return TIDE_OK;
    pthread_mutex_lock(&r->mu);
    while (atomic_load_explicit(&r->ready, memory_order_acquire) < c1 && !r->aborted)
        pthread_cond_wait(&r->cv, &r->mu);
    int ok = atomic_load_explicit(&r->ready, memory_order_acquire) >= c1;
    pthread_mutex_unlock(&r->mu);
    return ok ? TIDE_OK : tide_errorf("seqrec: the run was ended before its states were in");
}

static void *job_run(void *arg)
{
    sc_job *j = arg;
    tide_seqrec_run *r = j->r;
    const sc_args *a = &r->a;
    scratch w = {0};
    int64_t nr = (SC_U + SQ_MR - 1) / SQ_MR * SQ_MR;
    j->rc = prepare(r);
    w.H = aligned_alloc(64, (size_t)((nr * a->D * 4 + 63) / 64 * 64));
    w.S = aligned_alloc(64, (size_t)nr * SC_I * sizeof(float));
    w.buf = malloc((size_t)SC_U * (size_t)(a->K > 0 ? a->K : 1) * sizeof(cand));
    if (j->rc == 0 && a->Pb) {
        w.Hb = malloc((size_t)(nr * ((a->D + 1) / 2)) * sizeof(uint32_t));
        w.sel = malloc(SC_I * sizeof(float));
        if (!w.Hb || !w.sel) j->rc = tide_errorf("seqrec: out of memory");
        for (int k = 0; k < 2; k++) {
            pend *pd = &w.pd[k];
            pd->idx = malloc(((size_t)SC_U * SC_I + 16) * sizeof(int32_t)); /* scan_avx512 writes 16 at once */
            pd->ids = malloc((size_t)SC_U * SC_I * sizeof(int32_t));
            pd->band = malloc((size_t)SC_U * SC_I);
            pd->X = malloc((size_t)SC_U * SC_I * sizeof(float));
            if (!pd->idx || !pd->ids || !pd->band || !pd->X) j->rc = tide_errorf("seqrec: out of memory");
        }
    }
    if (j->rc == 0 && (!w.H || !w.S || !w.buf)) j->rc = tide_errorf("seqrec: out of memory");
    for (int64_t c0; j->rc == 0 && (c0 = atomic_fetch_add(&r->next, SC_U)) < a->B;) {
        int64_t c1 = c0 + SC_U < a->B ? c0 + SC_U : a->B;
        j->rc = await_rows(r, c1);
        if (j->rc == 0) j->rc = run_block(r, &w, c0, c1);
    }
    if (j->rc < 0) snprintf(j->err, sizeof j->err, "%s", tide_error()); /* messages are per thread */
    free(w.H); free(w.S); free(w.buf); free(w.seen); free(w.ss); free(w.ts);
    free(w.Hb); free(w.sel);
    free(w.up); free(w.dn); free(w.cnt);
    for (int k = 0; k < 2; k++) free(w.pd[k].idx), free(w.pd[k].ids), free(w.pd[k].band), free(w.pd[k].X);
    return NULL;
}

static int n_threads(int64_t B, int64_t I)
{
    const char *e = getenv("TIDE_THREADS");
    long t = e && atoi(e) > 0 ? atoi(e) : sysconf(_SC_NPROCESSORS_ONLN);
    int64_t by_work = B * I / (1 << 22) + 1, blocks = (B + SC_U - 1) / SC_U;
    if (t > 8) t = 8;
    if (t > by_work) t = (long)by_work;
    if (t > blocks) t = (long)blocks;
    return t < 1 ? 1 : (int)t;
}

static int check_csr(int64_t B, const int64_t *off, const int32_t *ids, int64_t I, const char *what)
{
    if (off[0] != 0) return tide_errorf("seqrec: %s offsets must start at 0, got %lld", what, (long long)off[0]);
    for (int64_t b = 0; b < B; b++) {
        if (off[b + 1] < off[b]) return tide_errorf("seqrec: %s offsets decrease at row %lld", what, (long long)b);
        for (int64_t p = off[b]; p < off[b + 1]; p++)
            if (ids[p] < 0 || ids[p] >= I)
                return tide_errorf("seqrec: %s item %d of row %lld is outside [0, %lld)", what, ids[p], (long long)b,
                                   (long long)I);
    }
    return TIDE_OK;
}

typedef struct {
    double key;
    int32_t id;
} norm_key;

static int cmp_key(const void *a, const void *b)
{
    const norm_key *x = a, *y = b;
    if (x->key != y->key) return x->key < y->key ? -1 : 1;
    return (x->id > y->id) - (x->id < y->id);
}

/* The bf16 pass needs a finite item table far from overflow (seqrec_bf16.c); else the fp32 tiles
 * run alone. Its table is sorted by each item's share of the error bound (2^-9.5 |e| + |e - e~|,
 * the state's rounding error being ~2^-9.5 |h|), so a tile's largest norms, which set the bound
 * for all of its items, are close to each item's own: on trained embeddings this halves the
 * items left unsure. -1: out of memory. */
static int bf16_setup(tide_seqrec_run *r)
{
    sc_args *a = &r->a;
    int64_t nt = (a->I + SC_I - 1) / SC_I;
    double *tmax = calloc((size_t)(2 * nt), sizeof(double)), *q = malloc((size_t)a->I * 2 * sizeof(double));
    norm_key *key = malloc((size_t)a->I * sizeof(norm_key));
    int32_t *perm = malloc((size_t)a->I * sizeof(int32_t));
    int rc = -1;
    if (!tmax || !q || !key || !perm) goto done;
    rc = 0;
    for (int64_t i = 0; i < a->I; i++) {
        const float *e = a->E + i * a->lde;
        for (int64_t d = 0; d < a->D; d++)
            if (!isfinite(e[d])) goto done;
        tide_seqrec_bf16_norms(a->D, e, &q[2 * i], &q[2 * i + 1]);
        key[i] = (norm_key){1.38e-3 * q[2 * i] + q[2 * i + 1], (int32_t)i}; /* 1.38e-3 ~ 2^-9.5 */
        if (q[2 * i] > a->emax) a->emax = q[2 * i];
    }
    if (!(a->emax < 0x1p60)) goto done;
    qsort(key, (size_t)a->I, sizeof *key, cmp_key);
    for (int64_t k = 0; k < a->I; k++) {
        int32_t i = perm[k] = key[k].id;
        double *t = tmax + 2 * (k / SC_I);
        if (q[2 * i] > t[0]) t[0] = q[2 * i];
        if (q[2 * i + 1] > t[1]) t[1] = q[2 * i + 1];
    }
    rc = -1;
    if (!(r->Pb = tide_seqrec_pack_bf16(a->I, a->D, a->E, a->lde, a->np, perm))) goto done;
    rc = 0;
    a->Pb = r->Pb, a->tmax = r->tmax = tmax, a->perm = r->perm = perm;
    tmax = NULL, perm = NULL;
done:
    if (!a->Pb) a->emax = 0;
    free(tmax);
    free(q);
    free(key);
    free(perm);
    return rc;
}

int tide_seqrec_rank_topk_start_rows(int64_t B, int64_t D, const float *H, int64_t ldh, int64_t I, const float *E,
                                     int64_t lde, const int64_t *seen_off, const int32_t *seen, const int64_t *tgt_off,
                                     const int32_t *tgt, int64_t *rank, int K, int32_t *items, float *vals,
                                     int64_t ready, tide_seqrec_run **out)
{
    *out = NULL;
    if (B < 0 || D < 1 || I < 1 || I > INT32_MAX || ldh < D || lde < D)
        return tide_errorf("seqrec: bad sizes B %lld, D %lld, I %lld (ldh %lld, lde %lld)", (long long)B, (long long)D,
                           (long long)I, (long long)ldh, (long long)lde);
    if (K < 0 || (K > 0 && !items)) return tide_errorf("seqrec: K must be >= 0 (with an items buffer), got %d", K);
    if (ready < 0 || ready > B)
        return tide_errorf("seqrec: ready must be in [0, %lld], got %lld", (long long)B, (long long)ready);
    if (seen && check_csr(B, seen_off, seen, I, "seen") < 0) return TIDE_ERR;
    if (tgt && check_csr(B, tgt_off, tgt, I, "target") < 0) return TIDE_ERR;
    tide_seqrec_run *r = calloc(1, sizeof *r);
    if (!r) return tide_errorf("seqrec: out of memory");
    int64_t np = (I + SQ_PANEL - 1) / SQ_PANEL;
    r->a = (sc_args){B, D, ldh, I, lde, H, E, seen_off, tgt_off, seen, tgt, rank, K, items, vals, np + (np & 1),
                     tide_seqrec_isa(), NULL, NULL, NULL, 0};
    pthread_mutex_init(&r->mu, NULL);
    pthread_cond_init(&r->cv, NULL);
    atomic_init(&r->next, 0);
    atomic_init(&r->ready, ready);
    *out = r;
    if (B == 0) return TIDE_OK; /* nothing to run: wait only frees */
    r->T = n_threads(B, I);
    /* every worker is a background thread, so the caller can compute the next states meanwhile;
     * a job whose thread cannot be created runs in wait, once every state is in */
    for (int k = 0; k < r->T; k++) {
        r->jobs[k] = (sc_job){r, 0, ""};
        r->started[k] = pthread_create(&r->th[k], NULL, job_run, &r->jobs[k]) == 0;
    }
    return TIDE_OK;
}

int tide_seqrec_rank_topk_start(int64_t B, int64_t D, const float *H, int64_t ldh, int64_t I, const float *E,
                                int64_t lde, const int64_t *seen_off, const int32_t *seen, const int64_t *tgt_off,
                                const int32_t *tgt, int64_t *rank, int K, int32_t *items, float *vals,
                                tide_seqrec_run **out)
{
    return tide_seqrec_rank_topk_start_rows(B, D, H, ldh, I, E, lde, seen_off, seen, tgt_off, tgt, rank, K, items,
                                            vals, B, out);
}

int tide_seqrec_run_ready(tide_seqrec_run *r, int64_t n)
{
    pthread_mutex_lock(&r->mu);
    int64_t have = atomic_load_explicit(&r->ready, memory_order_relaxed);
    int ok = n >= have && n <= r->a.B;
    if (ok) atomic_store_explicit(&r->ready, n, memory_order_release);
    pthread_cond_broadcast(&r->cv);
    pthread_mutex_unlock(&r->mu);
    return ok ? TIDE_OK
              : tide_errorf("seqrec: ready must grow within [%lld, %lld], got %lld", (long long)have,
                            (long long)r->a.B, (long long)n);
}

int tide_seqrec_rank_topk_wait(tide_seqrec_run *r)
{
    if (!r) return TIDE_OK;
    pthread_mutex_lock(&r->mu);
    int64_t have = atomic_load_explicit(&r->ready, memory_order_relaxed);
    r->aborted = have < r->a.B; /* the workers stop instead of waiting forever */
    pthread_cond_broadcast(&r->cv);
    pthread_mutex_unlock(&r->mu);
    for (int k = 0; k < r->T; k++) {
        if (r->started[k]) pthread_join(r->th[k], NULL);
        else job_run(&r->jobs[k]);
    }
    int rc = TIDE_OK;
    if (r->aborted)
        rc = tide_errorf("seqrec: waited with the states of %lld of %lld users", (long long)have, (long long)r->a.B);
    for (int k = 0; k < r->T && rc == TIDE_OK; k++)
        if (r->jobs[k].rc < 0) rc = tide_errorf("%s", r->jobs[k].err);
    pthread_mutex_destroy(&r->mu);
    pthread_cond_destroy(&r->cv);
    free(r->P);
    free(r->Pb);
    free(r->perm);
    free(r->tmax);
    free(r);
    return rc;
}

int tide_seqrec_rank_topk(int64_t B, int64_t D, const float *H, int64_t ldh, int64_t I, const float *E,
                          int64_t lde, const int64_t *seen_off, const int32_t *seen, const int64_t *tgt_off,
                          const int32_t *tgt, int64_t *rank, int K, int32_t *items, float *vals)
{
    tide_seqrec_run *r;
    if (tide_seqrec_rank_topk_start(B, D, H, ldh, I, E, lde, seen_off, seen, tgt_off, tgt, rank, K, items, vals, &r) < 0)
        return TIDE_ERR;
    return tide_seqrec_rank_topk_wait(r);
}
