/* ops_sort.c — stable sort/argsort along any dim, and cumsum (topk: ops_topk.c).
 *
 * Ordering: NaN counts as larger than every number (as in NumPy/PyTorch), equal values keep
 * their original order (ties go to the lower index), so results are deterministic.
 * f32 and i32 lines of 256+ entries are sorted by a stable LSD radix sort (4 passes of 8 bits,
 * Knuth TAOCP vol. 3 §5.2.5) over order keys — the value's bits mapped so that unsigned
 * order is numeric order (NaN canonicalised to the top, -0 folded into +0), complemented for
 * descending; passes whose byte is the same for every key are skipped. i64 lines (exact
 * 64-bit keys) and short lines use a bottom-up merge sort of indices, stable by construction.
 * Output values are read back from the input by index, so they are bit-exact. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ops.h"

typedef int32_t i32;
typedef int64_t i64;

/* Row starts of t for lines along `dim`: iterate the alias of t with that dim removed. */
static void line_iter(tide_iter *it, const tide_tensor *t, int dim)
{
    tide_tensor v = *t;
    for (int d = dim; d + 1 < t->ndim; d++) v.shape[d] = t->shape[d + 1], v.strides[d] = t->strides[d + 1];
    v.ndim = t->ndim - 1;
    tide_iter_init(it, &v);
}

/* ---- sort ---- */

#define MERGE_SORT(T)                                                                          \
    static int lt_##T(const T *b, int64_t i, int64_t j, int desc)                              \
    {                                                                                          \
        T x = b[i], y = b[j];                                                                  \
        if (desc) return x > y || (x != x && y == y);                                          \
        return x < y || (y != y && x == x);                                                    \
    }                                                                                          \
    static void msort_##T(const T *b, int64_t *ix, int64_t *tmp, int64_t n, int desc)          \
    {                                                                                          \
        for (int64_t w = 1; w < n; w *= 2) {                                                   \
            for (int64_t lo = 0; lo < n; lo += 2 * w) {                                        \
                int64_t mid = lo + w < n ? lo + w : n, hi = lo + 2 * w < n ? lo + 2 * w : n;   \
                int64_t p = lo, q = mid, o = lo;                                               \
                while (p < mid && q < hi) tmp[o++] = lt_##T(b, ix[q], ix[p], desc) ? ix[q++] : ix[p++]; \
                while (p < mid) tmp[o++] = ix[p++];                                            \
                while (q < hi) tmp[o++] = ix[q++];                                             \
            }                                                                                  \
            memcpy(ix, tmp, (size_t)n * sizeof *ix);                                           \
        }                                                                                      \
    }                                                                                          \
    static void sort_line_##T(const tide_tensor *a, int64_t pos, int64_t st, int64_t n,        \
                              T *buf, int64_t *ix, int64_t *tmp, int desc, T *ov, int64_t ost, \
                              int64_t *oi)                                                     \
    {                                                                                          \
        const T *x = (const T *)a->storage->data + pos;                                        \
        for (int64_t j = 0; j < n; j++) buf[j] = x[j * st], ix[j] = j;                         \
        msort_##T(buf, ix, tmp, n, desc);                                                      \
        for (int64_t j = 0; j < n; j++) ov[j * ost] = buf[ix[j]], oi[j * ost] = ix[j];         \
    }
MERGE_SORT(float)
MERGE_SORT(i32)
MERGE_SORT(i64)

static inline uint32_t key_f32(float v, int desc)
{
    if (v != v) v = NAN;  /* one NaN pattern, positive: above +inf */
    if (v == 0) v = 0.0f; /* -0 ties with +0 */
    uint32_t b;
    memcpy(&b, &v, sizeof b);
    b = (b >> 31) ? ~b : (b | 0x80000000u);
    return desc ? ~b : b;
}

static inline uint32_t key_i32(int32_t v, int desc)
{
    uint32_t b = (uint32_t)v ^ 0x80000000u;
    return desc ? ~b : b;
}

/* Stable LSD radix sort of the pairs (k[j], ix[j]) by k; k2/ix2 are scratch of n entries. */
static void radix32(uint32_t *k, int64_t *ix, uint32_t *k2, int64_t *ix2, int64_t n)
{
    uint32_t *k0 = k;
    int64_t *ix0 = ix;
    for (int shift = 0; shift < 32; shift += 8) {
        int64_t cnt[256] = {0};
        for (int64_t j = 0; j < n; j++) cnt[(k[j] >> shift) & 255]++;
        if (cnt[(k[0] >> shift) & 255] == n) continue; /* this byte never differs */
        int64_t sum = 0;
        for (int b = 0; b < 256; b++) {
            int64_t c = cnt[b];
            cnt[b] = sum, sum += c;
        }
        for (int64_t j = 0; j < n; j++) {
            int64_t o = cnt[(k[j] >> shift) & 255]++;
            k2[o] = k[j], ix2[o] = ix[j];
        }
        uint32_t *tk = k;
        int64_t *ti = ix;
        k = k2, ix = ix2, k2 = tk, ix2 = ti;
    }
    if (ix != ix0) memcpy(ix0, ix, (size_t)n * sizeof *ix), memcpy(k0, k, (size_t)n * sizeof *k);
}

#define RADIX_MIN 256

#define RADIX_LINE(T, KEY)                                                                     \
    static void radix_line_##T(const tide_tensor *a, int64_t pos, int64_t st, int64_t n,       \
                               uint32_t *keys, int64_t *ix, int64_t *tmp, int desc, T *ov,     \
                               int64_t ost, int64_t *oi)                                       \
    {                                                                                          \
        const T *x = (const T *)a->storage->data + pos;                                        \
        for (int64_t j = 0; j < n; j++) keys[j] = KEY(x[j * st], desc), ix[j] = j;             \
        radix32(keys, ix, keys + n, tmp, n);                                                   \
        for (int64_t j = 0; j < n; j++) ov[j * ost] = x[ix[j] * st], oi[j * ost] = ix[j];      \
    }
RADIX_LINE(float, key_f32)
RADIX_LINE(i32, key_i32)

int tide_sort(const tide_tensor *a, int dim, int descending, tide_tensor **values,
              tide_tensor **indices)
{
    *values = *indices = NULL;
    if (a->ndim == 0) return tide_errorf("sort: input must have at least 1 dim");
    if ((dim = tide_norm_dim(dim, a->ndim, "sort")) < 0) return TIDE_ERR;
    int64_t n = a->shape[dim], st = a->strides[dim];
    tide_tensor *vo = tide_tensor_empty(a->dtype, a->ndim, a->shape);
    tide_tensor *io = tide_tensor_empty(TIDE_I64, a->ndim, a->shape);
    int64_t *ix = malloc((size_t)(n ? n : 1) * sizeof *ix), *tmp = malloc((size_t)(n ? n : 1) * sizeof *tmp);
    void *buf = malloc((size_t)(n ? n : 1) * 8);
    if (!vo || !io || !ix || !tmp || !buf) {
        tide_tensor_release(vo), tide_tensor_release(io), free(ix), free(tmp), free(buf);
        return vo && io ? tide_errorf("sort: out of memory") : TIDE_ERR;
    }
    int64_t lines = n ? tide_tensor_numel(a) / n : 0, ost = vo->strides[dim];
    tide_iter it, ot;
    line_iter(&it, a, dim);
    line_iter(&ot, vo, dim);
    for (int64_t l = 0; l < lines; l++, tide_iter_next(&it), tide_iter_next(&ot)) {
        int64_t *oi = tide_i64(io) + ot.pos;
        if (n >= RADIX_MIN && a->dtype == TIDE_F32)
            radix_line_float(a, it.pos, st, n, buf, ix, tmp, descending, tide_f32(vo) + ot.pos, ost, oi);
        else if (n >= RADIX_MIN && a->dtype == TIDE_I32)
            radix_line_i32(a, it.pos, st, n, buf, ix, tmp, descending, tide_i32(vo) + ot.pos, ost, oi);
        else if (a->dtype == TIDE_F32)
            sort_line_float(a, it.pos, st, n, buf, ix, tmp, descending, tide_f32(vo) + ot.pos, ost, oi);
        else if (a->dtype == TIDE_I32)
            sort_line_i32(a, it.pos, st, n, buf, ix, tmp, descending, tide_i32(vo) + ot.pos, ost, oi);
        else
            sort_line_i64(a, it.pos, st, n, buf, ix, tmp, descending, tide_i64(vo) + ot.pos, ost, oi);
    }
    free(ix), free(tmp), free(buf);
    *values = vo, *indices = io;
    return TIDE_OK;
}

/* ---- cumsum ---- */

tide_tensor *tide_cumsum(const tide_tensor *a, int dim)
{
    if (a->ndim == 0) return tide_errorf("cumsum: input must have at least 1 dim"), NULL;
    if ((dim = tide_norm_dim(dim, a->ndim, "cumsum")) < 0) return NULL;
    tide_dtype odt = a->dtype == TIDE_F32 ? TIDE_F32 : TIDE_I64;
    tide_tensor *out = tide_tensor_empty(odt, a->ndim, a->shape);
    if (!out) return NULL;
    int64_t n = a->shape[dim], st = a->strides[dim], ost = out->strides[dim];
    int64_t lines = n ? tide_tensor_numel(a) / n : 0;
    tide_iter it, ot;
    line_iter(&it, a, dim);
    line_iter(&ot, out, dim);
    for (int64_t l = 0; l < lines; l++, tide_iter_next(&it), tide_iter_next(&ot)) {
        if (a->dtype == TIDE_F32) { /* double running sum: no drift over long sequences */
            const float *x = (const float *)a->storage->data + it.pos;
            float *o = tide_f32(out) + ot.pos;
            double s = 0;
            for (int64_t j = 0; j < n; j++) s += x[j * st], o[j * ost] = (float)s;
        } else {
            int64_t *o = tide_i64(out) + ot.pos;
            uint64_t s = 0; /* wraps instead of overflowing */
            for (int64_t j = 0; j < n; j++) {
                int64_t v = a->dtype == TIDE_I32 ? ((const int32_t *)a->storage->data)[it.pos + j * st]
                                                 : ((const int64_t *)a->storage->data)[it.pos + j * st];
                s += (uint64_t)v;
                o[j * ost] = (int64_t)s;
            }
        }
    }
    return out;
}
