/* ops_topk.c — top-k along the last dim, built for full-catalogue ranking (rows of ~24k item
 * scores, k from 10 to 1000).
 *
 * Order: NaN ranks above every number, ties go to the lower index (as ops_sort.c), so the
 * result is one well-defined sequence. Two strategies per row:
 *  - small k: a binary heap of the k best whose root is the worst kept entry; a new element
 *    costs ONE comparison with the root unless it enters the top k (~n comparisons a row).
 *  - larger k: sample ~1024 evenly spaced entries, select from the sample a threshold that
 *    the k-th best value very likely exceeds, keep only the entries at least as good as the
 *    threshold (one comparison each), then quickselect (Hoare) the k best of those and
 *    heap-sort them. If fewer than k entries pass, the threshold was too strict and the whole
 *    row is selected instead — the filter changes only the speed, never the result, because
 *    every entry ranking at or above the k-th best also passes whenever k entries pass.
 * Comparisons use an order key: the double's bits mapped to an unsigned integer that sorts
 * best first (NaN canonicalised, -0 folded into +0), with the index as tie-break, so the
 * inner loops compare integers instead of branching on NaN and on the direction.
 * A contiguous f32 row is read in place; other rows are first copied into a double buffer
 * (so i64 scores beyond 2^53 rank by their nearest double). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ops.h"

typedef struct {
    uint64_t k; /* order key: smaller is better */
    int64_t i;
} kv;

static inline uint64_t order_key(double v, int largest)
{
    if (v != v) v = NAN; /* one NaN bit pattern, positive */
    if (v == 0) v = 0.0; /* -0 ties with +0 */
    uint64_t b;
    memcpy(&b, &v, sizeof b);
    b = (b >> 63) ? ~b : (b | 0x8000000000000000ull); /* unsigned order == numeric order */
    return largest ? ~b : b;
}

/* x ranks before y */
static inline int before(kv x, kv y, int largest)
{
    (void)largest;
    return x.k < y.k || (x.k == y.k && x.i < y.i);
}

/* heap with the WORST entry at the root */
static void sift_down(kv *h, int64_t n, int64_t i, int largest)
{
    for (;;) {
        int64_t l = 2 * i + 1, r = l + 1, w = i;
        if (l < n && before(h[w], h[l], largest)) w = l;
        if (r < n && before(h[w], h[r], largest)) w = r;
        if (w == i) return;
        kv t = h[i];
        h[i] = h[w], h[w] = t;
        i = w;
    }
}

/* Sorts h[0..n) best first, in place. */
static void heap_sort(kv *h, int64_t n, int largest)
{
    for (int64_t i = n / 2; i-- > 0;) sift_down(h, n, i, largest);
    for (int64_t m = n; m > 1; m--) {
        kv t = h[0];
        h[0] = h[m - 1], h[m - 1] = t;
        sift_down(h, m - 1, 0, largest);
    }
}

/* Rearranges a[0..n) so that a[0..k) are the k best (k >= 1) and a[k-1] is the k-th. */
static void select_k(kv *a, int64_t n, int64_t k, int largest)
{
    int64_t lo = 0, hi = n - 1, t = k - 1;
    while (hi > lo) {
        int64_t mid = lo + (hi - lo) / 2;
        /* median of three as pivot, so sorted input does not go quadratic */
        if (before(a[mid], a[lo], largest)) { kv s = a[mid]; a[mid] = a[lo]; a[lo] = s; }
        if (before(a[hi], a[lo], largest)) { kv s = a[hi]; a[hi] = a[lo]; a[lo] = s; }
        if (before(a[hi], a[mid], largest)) { kv s = a[hi]; a[hi] = a[mid]; a[mid] = s; }
        kv p = a[mid];
        int64_t i = lo, j = hi;
        while (i <= j) {
            while (before(a[i], p, largest)) i++;
            while (before(p, a[j], largest)) j--;
            if (i <= j) {
                kv s = a[i];
                a[i] = a[j], a[j] = s;
                i++, j--;
            }
        }
        if (t <= j) hi = j;
        else if (t >= i) lo = i;
        else break; /* a[t] is the pivot, in place */
    }
}

typedef struct {
    kv *work;   /* n entries */
    kv *sample; /* up to SAMPLE entries */
} scratch;

#define SAMPLE 1024
#define HEAP_MAX_K 16

#define TOPK_ROW(T)                                                                            \
    static void topk_row_##T(const T *x, int64_t n, int64_t k, int largest, scratch *s, kv *out) \
    {                                                                                          \
        if (k <= HEAP_MAX_K || n < 4 * SAMPLE) {                                               \
            kv *h = out;                                                                       \
            for (int64_t m = 0; m < k; m++) h[m].k = order_key((double)x[m], largest), h[m].i = m; \
            for (int64_t i = k / 2; i-- > 0;) sift_down(h, k, i, largest);                     \
            double rv = (double)x[h[0].i]; /* value of the worst kept entry */               \
            for (int64_t j = k; j < n; j++) {                                                  \
                double xv = (double)x[j];                                                      \
                /* cheap numeric pre-test; the key decides (ties: a later index loses) */     \
                int maybe = largest ? (xv > rv || (xv != xv && rv == rv))                      \
                                    : (xv < rv || (rv != rv && xv == xv));                     \
                if (maybe) {                                                                   \
                    h[0].k = order_key(xv, largest), h[0].i = j;                               \
                    sift_down(h, k, 0, largest);                                               \
                    rv = (double)x[h[0].i];                                                    \
                }                                                                              \
            }                                                                                  \
            heap_sort(h, k, largest);                                                          \
            return;                                                                            \
        }                                                                                      \
        int64_t m = SAMPLE, step = n / m;                                                      \
        for (int64_t q = 0; q < m; q++)                                                        \
            s->sample[q].k = order_key((double)x[q * step], largest), s->sample[q].i = q * step; \
        int64_t r = (int64_t)((double)k * (double)m / (double)n * 1.25) + 16, c = 0;           \
        if (r < m) {                                                                           \
            select_k(s->sample, m, r, largest);                                                \
            int64_t ti = s->sample[r - 1].i;                                                   \
            double tv = (double)x[ti];                                                         \
            /* keep entries ranking at or above the threshold value (index ignored) */        \
            for (int64_t j = 0; j < n; j++) {                                                  \
                double xv = (double)x[j];                                                      \
                if (largest ? (xv >= tv || xv != xv) : (xv <= tv || tv != tv))                 \
                    s->work[c].k = order_key(xv, largest), s->work[c++].i = j;                 \
            }                                                                                  \
        }                                                                                      \
        if (c < k) { /* threshold too strict (or k close to n): select from the whole row */  \
            for (int64_t j = 0; j < n; j++) s->work[j].k = order_key((double)x[j], largest), s->work[j].i = j; \
            c = n;                                                                             \
        }                                                                                      \
        select_k(s->work, c, k, largest);                                                      \
        heap_sort(s->work, k, largest);                                                        \
        memcpy(out, s->work, (size_t)k * sizeof *out);                                         \
    }
TOPK_ROW(float)
TOPK_ROW(double)

int tide_topk(const tide_tensor *a, int64_t k, int largest, tide_tensor **values,
              tide_tensor **indices)
{
    *values = *indices = NULL;
    if (a->ndim == 0) return tide_errorf("topk: input must have at least 1 dim");
    int64_t n = a->shape[a->ndim - 1];
    if (k < 0 || k > n)
        return tide_errorf("topk: k=%lld out of range for a last dim of size %lld", (long long)k,
                           (long long)n);
    int64_t shape[TIDE_MAX_DIMS];
    memcpy(shape, a->shape, sizeof shape);
    shape[a->ndim - 1] = k;
    tide_tensor *vo = tide_tensor_empty(a->dtype, a->ndim, shape);
    tide_tensor *io = tide_tensor_empty(TIDE_I64, a->ndim, shape);
    size_t nn = (size_t)(n ? n : 1);
    scratch s = {malloc(nn * sizeof(kv)), malloc(SAMPLE * sizeof(kv))};
    kv *best = malloc((size_t)(k ? k : 1) * sizeof *best);
    double *buf = malloc(nn * sizeof *buf);
    if (!vo || !io || !s.work || !s.sample || !best || !buf) {
        tide_tensor_release(vo), tide_tensor_release(io);
        free(s.work), free(s.sample), free(best), free(buf);
        return vo && io ? tide_errorf("topk: out of memory") : TIDE_ERR;
    }
    int64_t st = a->strides[a->ndim - 1], rows = n && k ? tide_tensor_numel(a) / n : 0;
    tide_tensor lines = *a; /* rows: iterate a with the last dim dropped */
    lines.ndim = a->ndim - 1;
    tide_iter it;
    tide_iter_init(&it, &lines);
    int64_t *oi = tide_i64(io);
    for (int64_t r = 0; r < rows; r++, tide_iter_next(&it)) {
        const float *xf = (const float *)a->storage->data + it.pos;
        if (a->dtype == TIDE_F32 && st == 1) {
            topk_row_float(xf, n, k, largest, &s, best);
        } else {
            tide_tensor row = *a;
            row.ndim = 1, row.shape[0] = n, row.strides[0] = st, row.offset = it.pos;
            for (int64_t j = 0; j < n; j++) buf[j] = tide_tensor_get(&row, &j);
            topk_row_double(buf, n, k, largest, &s, best);
        }
        for (int64_t j = 0; j < k; j++) { /* values read back by index: exact, -0 and NaN kept */
            int64_t o = r * k + j, src = it.pos + best[j].i * st;
            if (a->dtype == TIDE_F32) tide_f32(vo)[o] = ((const float *)a->storage->data)[src];
            else if (a->dtype == TIDE_I32) tide_i32(vo)[o] = ((const int32_t *)a->storage->data)[src];
            else tide_i64(vo)[o] = ((const int64_t *)a->storage->data)[src];
            oi[o] = best[j].i;
        }
    }
    free(s.work), free(s.sample), free(best), free(buf);
    *values = vo, *indices = io;
    return TIDE_OK;
}
