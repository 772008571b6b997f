/* linear_rows.c — where a linear model's rows live: the dense per-bucket table uq that training,
 * files and combining work on, and the packed scoring index (linear.h: a bitmap of the stored
 * rows, a rank per 64 buckets, the stored rows in order) that scoring reads. Both big tables
 * are asked for transparent huge pages. */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "linear.h"

float *tide_linear_rows_alloc(int64_t buckets, int views)
{
    /* 2 MiB-aligned and advised into transparent huge pages: scoring touches a few hundred
     * random rows of this table per review, and with 4 KiB pages nearly each of them is also
     * a TLB miss (a two-level page walk under virtualisation). */
    const size_t huge = (size_t)2 << 20;
    size_t bytes = (size_t)buckets * (size_t)views * 2 * sizeof(float);
    if (bytes < huge) return calloc((size_t)buckets * (size_t)views * 2, sizeof(float));
    void *p = NULL;
    size_t round = (bytes + huge - 1) & ~(huge - 1);
    if (posix_memalign(&p, huge, round) != 0) return NULL;
#ifdef MADV_HUGEPAGE
    madvise(p, round, MADV_HUGEPAGE); /* advice only: a refusal keeps small pages */
#endif
    memset(p, 0, round);
    return p;
}

int tide_linear_index(tide_linear *m)
{
    size_t W = (size_t)(m->ids.buckets + 63) / 64, stride = 2 * (size_t)m->views, k = 0;
    free(m->seen); free(m->rows);
    m->rows = NULL;
    m->seen = calloc(W, sizeof *m->seen);
    if (!m->seen) goto oom;
    for (int64_t j = 0; j < m->ids.buckets; j++)
        for (size_t v = 0; v < (size_t)m->views; v++)
            if (m->uq[(size_t)j * stride + 2 * v + 1] > 0) { m->seen[j >> 6].bits |= (uint64_t)1 << (j & 63); break; }
    for (size_t w = 0; w < W; w++) {
        m->seen[w].rank = k;
        k += (size_t)__builtin_popcountll(m->seen[w].bits);
    }
    m->rows = tide_linear_rows_alloc(k ? (int64_t)k : 1, m->views);
    if (!m->rows) goto oom;
    k = 0;
    for (int64_t j = 0; j < m->ids.buckets; j++)
        if (m->seen[j >> 6].bits >> (j & 63) & 1) memcpy(&m->rows[stride * k++], &m->uq[(size_t)j * stride], stride * sizeof(float));
    return TIDE_OK;
oom:
    free(m->seen);
    m->seen = NULL;
    return tide_errorf("linear: out of memory for the scoring index (%lld buckets)", (long long)m->ids.buckets);
}
