/* decay_topk.c — per-row top-k of a sparse CSR profile (decayed interest per user): keeps each
 * user's k strongest keys, strongest first, ties broken by the smaller key so the result does
 * not depend on the input order. Used by tide.decay.profile's top_k option. */
#include <stdlib.h>

#include "decay.h"
#include "error.h"

typedef struct { float v; int32_t key; } kv;

static int cmp_kv(const void *a, const void *b)
{
    const kv *x = a, *y = b;
    if (x->v != y->v) return x->v > y->v ? -1 : 1;
    return (x->key > y->key) - (x->key < y->key);
}

int64_t tide_decay_rows_topk(int64_t U, const int64_t *off, const int32_t *key, const float *val, int64_t k,
                             int64_t *oo, int32_t *ok, float *ov)
{
    if (k < 1) return tide_errorf("decay.rows_topk: k must be >= 1, got %lld", (long long)k);
    int64_t widest = 0;
    for (int64_t u = 0; u < U; u++) {
        if (off[u + 1] < off[u]) return tide_errorf("decay.rows_topk: offsets decrease at row %lld", (long long)u + 1);
        if (off[u + 1] - off[u] > widest) widest = off[u + 1] - off[u];
    }
    kv *buf = malloc(sizeof *buf * (size_t)(widest ? widest : 1));
    if (!buf) return tide_errorf("decay.rows_topk: out of memory for a row of %lld keys", (long long)widest);
    int64_t m = 0;
    oo[0] = 0;
    for (int64_t u = 0; u < U; u++) {
        int64_t n = off[u + 1] - off[u];
        for (int64_t i = 0; i < n; i++) buf[i] = (kv){val[off[u] + i], key[off[u] + i]};
        qsort(buf, (size_t)n, sizeof *buf, cmp_kv);
        for (int64_t i = 0; i < n && i < k; i++) { ok[m] = buf[i].key; ov[m] = buf[i].v; m++; }
        oo[u + 1] = m;
    }
    free(buf);
    return m;
}
