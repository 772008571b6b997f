/* gbdt_hist.c — gradient/hessian histograms of a leaf's rows, all features at once.
 *
 * Bins are stored row-major ([n][d] bytes), and histograms are built row by row (LightGBM's
 * "row-wise" mode): each row of the leaf costs one read of its gradient pair and one cache line
 * of bins, however scattered the leaf's rows are, where a feature-by-feature pass would touch
 * every row once per feature.
 *
 * Determinism: the leaf's rows are cut into chunks whose length depends only on the number of
 * rows, never on the thread count; each chunk fills its own partial histogram and the partials
 * are added feature by feature in chunk order. A histogram is therefore bit-identical for any
 * number of threads. A leaf of one chunk is split into feature blocks instead (their number
 * may follow the thread count: each feature is still summed over the same rows in order). */
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "gbdt_internal.h"

#define MIN_CHUNK 16384
#define MAX_CHUNKS 16

static int64_t chunk_len(int64_t m)
{
    int64_t c = (m + MAX_CHUNKS - 1) / MAX_CHUNKS;
    return c < MIN_CHUNK ? MIN_CHUNK : c;
}

typedef struct {
    gbdt_hist_ctx *c;
    const int32_t *idx;
    int64_t m, clen;
    int nchunks, nblocks; /* nblocks: feature blocks of a single-chunk build */
    gbdt_stat *out;       /* final histogram [d * stride] */
} build_job;

/* Features f0..f1-1 of rows a..b-1 of the leaf (idx NULL: rows a..b-1 of the data) into
 * H [d * stride]. Each feature's bins are summed over the rows in order, whatever f0, f1.
 * The loop is bound by its stores; COUNT 0 leaves the counts alone (one store an update
 * instead of two) when they are known otherwise: the root's never change, and with unit
 * hessians they equal the hessian sums. */
#define FILL(NAME, COUNT)                                                                                    \
    static void NAME(const gbdt_hist_ctx *c, const int32_t *idx, int64_t a, int64_t b, int f0, int f1,      \
                     gbdt_stat *H)                                                                           \
    {                                                                                                        \
        int d = c->d, S = c->stride;                                                                         \
        memset(H + (int64_t)f0 * S, 0, (size_t)(f1 - f0) * S * sizeof *H);                                   \
        const float *g = c->g, *h = c->h;                                                                    \
        for (int64_t i = a; i < b; i++) {                                                                    \
            int64_t r = idx ? idx[i] : i;                                                                    \
            if (idx && i + 16 < b) { /* a leaf's rows are scattered: fetch ahead */                          \
                __builtin_prefetch(c->bins + (int64_t)idx[i + 16] * d);                                      \
                __builtin_prefetch(g + idx[i + 16]);                                                         \
                __builtin_prefetch(h + idx[i + 16]);                                                         \
            }                                                                                                \
            const uint8_t *bin = c->bins + r * d;                                                            \
            double gi = g[r], hi = h[r];                                                                     \
            gbdt_stat *Hf = H + (int64_t)f0 * S;                                                             \
            for (int f = f0; f < f1; f++, Hf += S) {                                                         \
                gbdt_stat *s = Hf + bin[f];                                                                  \
                s->g += gi;                                                                                  \
                s->h += hi;                                                                                  \
                if (COUNT) s->n++;                                                                           \
            }                                                                                                \
        }                                                                                                    \
    }
FILL(fill_counted, 1)
FILL(fill_uncounted, 0)

static void fill(const gbdt_hist_ctx *c, const int32_t *idx, int64_t a, int64_t b, int f0, int f1, gbdt_stat *H)
{
    if ((!idx && c->all_counts) || c->unit_hessian) fill_uncounted(c, idx, a, b, f0, f1, H);
    else fill_counted(c, idx, a, b, f0, f1, H);
}

static void build_task(void *arg, int k)
{
    build_job *j = arg;
    gbdt_hist_ctx *c = j->c;
    if (j->nchunks == 1) { /* one chunk: feature block k of all rows, straight into out */
        fill(c, j->idx, 0, j->m, c->d * k / j->nblocks, c->d * (k + 1) / j->nblocks, j->out);
        return;
    }
    int64_t a = k * j->clen, b = a + j->clen < j->m ? a + j->clen : j->m;
    fill(c, j->idx, a, b, 0, c->d, c->partial + (int64_t)k * c->d * c->stride);
}

/* feature f of the partials, summed in chunk order */
static void reduce_task(void *arg, int f)
{
    build_job *j = arg;
    int S = j->c->stride;
    int64_t step = (int64_t)j->c->d * S;
    gbdt_stat *H = j->out + (int64_t)f * S;
    const gbdt_stat *P = j->c->partial + (int64_t)f * S;
    memcpy(H, P, (size_t)S * sizeof *H);
    for (int k = 1; k < j->nchunks; k++)
        for (int b = 0; b < S; b++) {
            const gbdt_stat *q = P + k * step + b;
            H[b].g += q->g;
            H[b].h += q->h;
            H[b].n += q->n;
        }
}

int gbdt_hist_build(gbdt_hist_ctx *c, const int32_t *idx, int64_t m, gbdt_stat *hist)
{
    build_job j = {c, idx, m, chunk_len(m), 1, 1, hist};
    j.nchunks = m > 0 ? (int)((m + j.clen - 1) / j.clen) : 1;
    /* A small leaf is split by features instead (same sums: the split does not change any
     * feature's order of addition), when it is worth waking the workers. */
    if (j.nchunks == 1 && m * c->d >= 65536) {
        j.nblocks = 2 * gbdt_pool_threads(c->pool);
        if (j.nblocks > c->d) j.nblocks = c->d;
    }
    if (j.nchunks > 1) {
        int64_t need = (int64_t)c->d * j.nchunks * c->stride;
        if (need > c->partial_cap) {
            gbdt_stat *p = realloc(c->partial, (size_t)need * sizeof *p);
            if (!p) return tide_errorf("gbdt: out of memory for histograms");
            c->partial = p;
            c->partial_cap = need;
        }
    }
    int cached = !idx && c->all_counts && m == c->n;
    gbdt_pool_run(c->pool, j.nchunks > 1 ? j.nchunks : j.nblocks, build_task, &j, 1);
    if (j.nchunks > 1) gbdt_pool_run(c->pool, c->d, reduce_task, &j, 1);
    int64_t E = (int64_t)c->d * c->stride;
    if (c->unit_hessian) { /* sums of ones: exact integers in double */
        for (int64_t e = 0; e < E; e++) hist[e].n = (int64_t)hist[e].h;
    } else if (cached) {
        for (int64_t e = 0; e < E; e++) hist[e].n = c->all_counts[e];
    } else if (!idx && m == c->n && (c->all_counts = malloc((size_t)E * sizeof *c->all_counts))) {
        for (int64_t e = 0; e < E; e++) c->all_counts[e] = hist[e].n; /* kept for the next roots */
    }
    return TIDE_OK;
}

void gbdt_hist_subtract(gbdt_stat *big, const gbdt_stat *small, int64_t entries)
{
    for (int64_t i = 0; i < entries; i++) {
        big[i].g -= small[i].g;
        big[i].h -= small[i].h;
        big[i].n -= small[i].n;
    }
}
