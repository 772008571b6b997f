/* ops_sort.c — stable sort/argsort along any dim, and cumsum (topk: ops_topk.c).
 *
 * Ordering: NaN counts as larger than every number (as in NumPy/PyTorch), equal values keep
 * their original order (ties go to the lower index), so results are deterministic.
 * sort is a bottom-up merge sort of indices (stable by construction) over a typed copy of
 * each line, so i64 keys stay exact. */
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

int tide_sort(const tide_tensor *a, int dim, int descending, tide_tensor **values,
              tide_tensor **indices)
{
    *values = *indices = NULL;
    if (a->ndim == 0) return tide_errorf("sort: input must have at least 1 dim");
    if ((dim = tide_norm_dim(dim, a->ndim, "sort")) < 0) return TIDE_ERR;
    int64_t n = a->shape[dim], st = a->strides[dim];
    tide_tensor *vo = tide_tensor_new(a->dtype, a->ndim, a->shape);
    tide_tensor *io = tide_tensor_new(TIDE_I64, a->ndim, a->shape);
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
        if (a->dtype == TIDE_F32)
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
    tide_tensor *out = tide_tensor_new(odt, a->ndim, a->shape);
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
