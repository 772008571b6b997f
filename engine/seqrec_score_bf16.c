/* seqrec_score_bf16.c — the bf16 first pass of the fused full ranking (seqrec_score.c) on CPUs
 * with AVX512_BF16: the item table sorted and packed in bf16 (seqrec_bf16.c's kernels), then per
 * block of users and tile of items a fused bf16 tile and scan that settles most items by the
 * proven error bound, and exact fp32 scores for the rest, so the ranks and lists are bitwise
 * those of the fp32 tiles. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "seqrec_score.h"

/* room for need targets' bands and counts (a user may have any number of targets) */
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
int tide_seqrec_bf16_block(const sc_args *a, scratch *w, int64_t nu)
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
            if (a->K > 0 && (tk->n < a->K || worse(tk->c[0], (cand){x, i})) && !tide_sorted_has(sn, ns, i))
                heap_push(tk, a->K, (cand){x, i});
        }
    }
    return TIDE_OK;
}

/* The bf16 first pass over all tiles, a fused tile settled after the next one is scanned. The
 * tiles follow the bf16 table's order (by norm, see bf16_setup), not ids, so an item ties with
 * the top-K's root by id too; the lists are the same (the best K under a total order), and a
 * scan that sees a top-K one tile old only lists more items (its cut is lower). */
int tide_seqrec_tiles_bf16(const sc_args *a, scratch *w, int64_t c0, int64_t nu, int64_t nr, int64_t t0)
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
int tide_seqrec_bf16_setup(tide_seqrec_run *r)
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
