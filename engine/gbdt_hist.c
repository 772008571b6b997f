/* gbdt_hist.c — gradient/hessian histograms of a leaf's rows, per feature.
 *
 * Work is split into (feature, row chunk) tasks. The chunk length depends only on the number
 * of rows in the leaf, never on the thread count; each task fills its own partial histogram
 * and the partials of a feature are then added chunk by chunk in order. Hence a histogram is
 * bit-identical for any number of threads. Gradients of the leaf's rows are first gathered in
 * row order (LightGBM's "ordered gradients") so the inner loop reads them sequentially. */
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "gbdt_internal.h"

#define MIN_CHUNK 32768
#define MAX_CHUNKS 32
#define GATHER_BLOCK 65536

static int64_t chunk_len(int64_t m)
{
    int64_t c = (m + MAX_CHUNKS - 1) / MAX_CHUNKS;
    return c < MIN_CHUNK ? MIN_CHUNK : c;
}

typedef struct {
    gbdt_hist_ctx *c;
    const int32_t *idx;
    int64_t m, clen;
    int nchunks;
    gbdt_stat *out; /* final histogram [d * stride] */
} build_job;

static void fill(const gbdt_hist_ctx *c, const int32_t *idx, int f, int64_t a, int64_t b, gbdt_stat *H)
{
    memset(H, 0, (size_t)c->stride * sizeof *H);
    const uint8_t *col = c->bins + (int64_t)f * c->n;
    if (idx) {
        const float *og = c->og, *oh = c->oh;
        for (int64_t i = a; i < b; i++) {
            gbdt_stat *s = H + col[idx[i]];
            s->g += og[i];
            s->h += oh[i];
            s->n++;
        }
    } else {
        const float *g = c->g, *h = c->h;
        for (int64_t i = a; i < b; i++) {
            gbdt_stat *s = H + col[i];
            s->g += g[i];
            s->h += h[i];
            s->n++;
        }
    }
}

/* task t = feature t / nchunks, chunk t % nchunks */
static void build_task(void *arg, int t)
{
    build_job *j = arg;
    gbdt_hist_ctx *c = j->c;
    int f = t / j->nchunks, k = t % j->nchunks;
    int64_t a = k * j->clen, b = a + j->clen < j->m ? a + j->clen : j->m;
    gbdt_stat *H = j->nchunks == 1 ? j->out + (int64_t)f * c->stride : c->partial + (int64_t)t * c->stride;
    fill(c, j->idx, f, a, b, H);
}

static void reduce_task(void *arg, int f)
{
    build_job *j = arg;
    int S = j->c->stride;
    gbdt_stat *H = j->out + (int64_t)f * S;
    const gbdt_stat *P = j->c->partial + (int64_t)f * j->nchunks * S;
    memcpy(H, P, (size_t)S * sizeof *H);
    for (int k = 1; k < j->nchunks; k++)
        for (int b = 0; b < S; b++) {
            H[b].g += P[(int64_t)k * S + b].g;
            H[b].h += P[(int64_t)k * S + b].h;
            H[b].n += P[(int64_t)k * S + b].n;
        }
}

static void gather_task(void *arg, int t)
{
    build_job *j = arg;
    gbdt_hist_ctx *c = j->c;
    int64_t a = (int64_t)t * GATHER_BLOCK, b = a + GATHER_BLOCK < j->m ? a + GATHER_BLOCK : j->m;
    for (int64_t i = a; i < b; i++) {
        c->og[i] = c->g[j->idx[i]];
        c->oh[i] = c->h[j->idx[i]];
    }
}

int gbdt_hist_build(gbdt_hist_ctx *c, const int32_t *idx, int64_t m, gbdt_stat *hist)
{
    build_job j = {c, idx, m, chunk_len(m), 0, hist};
    j.nchunks = m > 0 ? (int)((m + j.clen - 1) / j.clen) : 1;
    int parallel = m * c->d >= 65536; /* below that, waking workers costs more than it saves */
    if (j.nchunks > 1) {
        int64_t need = (int64_t)c->d * j.nchunks * c->stride;
        if (need > c->partial_cap) {
            gbdt_stat *p = realloc(c->partial, (size_t)need * sizeof *p);
            if (!p) return tide_errorf("gbdt: out of memory for histograms");
            c->partial = p;
            c->partial_cap = need;
        }
    }
    if (idx) gbdt_pool_run(c->pool, (int)((m + GATHER_BLOCK - 1) / GATHER_BLOCK), gather_task, &j, parallel);
    gbdt_pool_run(c->pool, c->d * j.nchunks, build_task, &j, parallel);
    if (j.nchunks > 1) gbdt_pool_run(c->pool, c->d, reduce_task, &j, parallel);
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
