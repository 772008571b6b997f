/* ops_index.c — gather, scatter_add, index_select, index_add, masked_fill, cat and stack.
 *
 * Index tensors are i32 or i64 and 0-based here (the Lua binding converts from 1-based).
 * Every index is bounds-checked BEFORE anything is written, so a bad index leaves an in-place
 * target untouched. Slices are moved through header-only views (stack tide_tensor structs
 * that are never retained) and tide_tensor_copy / tide_binary_out, so any strided layout
 * works; the embedding-style case (dim 0, contiguous rows) is a plain row loop. */
#include <string.h>

#include "ops.h"
#include "ops_plan.h"

static int64_t load_index(const tide_tensor *ix, int64_t off)
{
    return ix->dtype == TIDE_I32 ? ((const int32_t *)ix->storage->data)[off]
                                 : ((const int64_t *)ix->storage->data)[off];
}

static int check_index_tensor(const tide_tensor *ix, const char *op)
{
    if (ix->dtype != TIDE_I32 && ix->dtype != TIDE_I64)
        return tide_errorf("%s: index must be i32 or i64, got %s", op, tide_dtype_name(ix->dtype));
    return TIDE_OK;
}

/* Checks every entry of ix against [0, size); the message names the first bad one. */
static int check_bounds(const tide_tensor *ix, int64_t size, int dim, const char *op)
{
    tide_iter it;
    int64_t n = tide_tensor_numel(ix);
    tide_iter_init(&it, ix);
    for (int64_t i = 0; i < n; i++, tide_iter_next(&it)) {
        int64_t v = load_index(ix, it.pos);
        if (v < 0 || v >= size)
            return tide_errorf("%s: index %lld out of range for dim %d of size %lld", op,
                               (long long)v, dim, (long long)size);
    }
    return TIDE_OK;
}

/* A header-only alias of t: shares storage without a reference (callers keep t alive). */
static tide_tensor alias(const tide_tensor *t)
{
    tide_tensor v = *t;
    v.refcount = 1;
    v.grad = NULL, v.node = NULL, v.requires_grad = 0;
    return v;
}

static tide_tensor slice(const tide_tensor *t, int dim, int64_t i)
{
    tide_tensor v = alias(t);
    v.offset += i * t->strides[dim];
    for (int d = dim; d + 1 < t->ndim; d++) v.shape[d] = t->shape[d + 1], v.strides[d] = t->strides[d + 1];
    v.ndim--;
    return v;
}

static void add_elem(tide_dtype dt, void *dst, int64_t od, const void *src, int64_t os)
{
    if (dt == TIDE_F32) ((float *)dst)[od] += ((const float *)src)[os];
    else if (dt == TIDE_I32) ((int32_t *)dst)[od] = (int32_t)((uint32_t)((int32_t *)dst)[od] + (uint32_t)((const int32_t *)src)[os]);
    else ((int64_t *)dst)[od] = (int64_t)((uint64_t)((int64_t *)dst)[od] + (uint64_t)((const int64_t *)src)[os]);
}

/* ---- gather / scatter_add ---- */

static int check_gather_shapes(const tide_tensor *a, int dim, const tide_tensor *ix,
                               const tide_tensor *src, const char *op)
{
    char s1[96], s2[96];
    if (check_index_tensor(ix, op) != TIDE_OK) return TIDE_ERR;
    if (ix->ndim != a->ndim || (src && src->ndim != a->ndim))
        return tide_errorf("%s: index %s must have as many dims as input %s", op,
                           tide_shape_str(ix, s1, 96), tide_shape_str(a, s2, 96));
    for (int d = 0; d < a->ndim; d++) {
        if ((d != dim && ix->shape[d] > a->shape[d]) || (src && ix->shape[d] > src->shape[d]))
            return tide_errorf("%s: index %s too large for %s %s", op, tide_shape_str(ix, s1, 96),
                               src && ix->shape[d] > src->shape[d] ? "src" : "input",
                               tide_shape_str(src && ix->shape[d] > src->shape[d] ? src : a, s2, 96));
    }
    if (src && src->dtype != a->dtype)
        return tide_errorf("%s: src dtype %s differs from input dtype %s", op,
                           tide_dtype_name(src->dtype), tide_dtype_name(a->dtype));
    return check_bounds(ix, a->shape[dim], dim, op);
}

/* Offset in t of the element at multi-index idx with idx[dim] replaced by v. */
static int64_t offset_at(const tide_tensor *t, const int64_t *idx, int dim, int64_t v)
{
    int64_t off = t->offset;
    for (int d = 0; d < t->ndim; d++) off += (d == dim ? v : idx[d]) * t->strides[d];
    return off;
}

tide_tensor *tide_gather(const tide_tensor *a, int dim, const tide_tensor *index)
{
    if ((dim = tide_norm_dim(dim, a->ndim, "gather")) < 0) return NULL;
    if (check_gather_shapes(a, dim, index, NULL, "gather") != TIDE_OK) return NULL;
    tide_tensor *out = tide_tensor_empty(a->dtype, index->ndim, index->shape);
    if (!out) return NULL;
    size_t es = tide_dtype_size(a->dtype);
    char *o = out->storage->data;
    const char *src = a->storage->data;
    tide_iter it;
    tide_iter_init(&it, index);
    int64_t n = tide_tensor_numel(index);
    for (int64_t i = 0; i < n; i++, tide_iter_next(&it)) {
        int64_t so = offset_at(a, it.idx, dim, load_index(index, it.pos));
        memcpy(o + (size_t)i * es, src + (size_t)so * es, es);
    }
    return out;
}

int tide_scatter_add_(tide_tensor *a, int dim, const tide_tensor *index, const tide_tensor *src)
{
    if ((dim = tide_norm_dim(dim, a->ndim, "scatter_add")) < 0) return TIDE_ERR;
    if (check_gather_shapes(a, dim, index, src, "scatter_add") != TIDE_OK) return TIDE_ERR;
    tide_tensor_bump_version(a); /* autograd's in-place check */
    tide_iter it;
    tide_iter_init(&it, index);
    int64_t n = tide_tensor_numel(index);
    for (int64_t i = 0; i < n; i++, tide_iter_next(&it)) {
        int64_t od = offset_at(a, it.idx, dim, load_index(index, it.pos));
        int64_t os = offset_at(src, it.idx, -1, 0);
        add_elem(a->dtype, a->storage->data, od, src->storage->data, os);
    }
    return TIDE_OK;
}

tide_tensor *tide_scatter_add(const tide_tensor *a, int dim, const tide_tensor *index,
                              const tide_tensor *src)
{
    tide_tensor *out = tide_tensor_clone(a);
    if (out && tide_scatter_add_(out, dim, index, src) != TIDE_OK) {
        tide_tensor_release(out);
        return NULL;
    }
    return out;
}

/* ---- index_select / index_add ---- */

static int check_index_1d(const tide_tensor *a, int dim, const tide_tensor *ix, const char *op)
{
    char s1[96];
    if (check_index_tensor(ix, op) != TIDE_OK) return TIDE_ERR;
    if (ix->ndim != 1)
        return tide_errorf("%s: index must be 1-D, got %s", op, tide_shape_str(ix, s1, 96));
    return check_bounds(ix, a->shape[dim], dim, op);
}

tide_tensor *tide_index_select(const tide_tensor *a, int dim, const tide_tensor *index)
{
    if ((dim = tide_norm_dim(dim, a->ndim, "index_select")) < 0) return NULL;
    if (check_index_1d(a, dim, index, "index_select") != TIDE_OK) return NULL;
    int64_t shape[TIDE_MAX_DIMS], k = index->shape[0];
    memcpy(shape, a->shape, sizeof shape);
    shape[dim] = k;
    tide_tensor *out = tide_tensor_empty(a->dtype, a->ndim, shape);
    if (!out) return NULL;
    int64_t off = index->offset, ist = index->strides[0];
    if (dim == 0 && tide_tensor_is_contiguous(a)) { /* embedding lookup: copy whole rows */
        size_t row = (size_t)(tide_tensor_numel(a) / (a->shape[0] ? a->shape[0] : 1)) *
                     tide_dtype_size(a->dtype);
        const char *src = tide_tensor_data(a);
        char *dst = tide_tensor_data(out);
        for (int64_t i = 0; i < k; i++)
            memcpy(dst + (size_t)i * row, src + (size_t)load_index(index, off + i * ist) * row, row);
        return out;
    }
    for (int64_t i = 0; i < k; i++) {
        tide_tensor d = slice(out, dim, i), s = slice(a, dim, load_index(index, off + i * ist));
        if (tide_tensor_copy(&d, &s) != TIDE_OK) {
            tide_tensor_release(out);
            return NULL;
        }
    }
    return out;
}

int tide_index_add_(tide_tensor *a, int dim, const tide_tensor *index, const tide_tensor *src)
{
    char s1[96], s2[96];
    if ((dim = tide_norm_dim(dim, a->ndim, "index_add")) < 0) return TIDE_ERR;
    if (check_index_1d(a, dim, index, "index_add") != TIDE_OK) return TIDE_ERR;
    int ok = src->ndim == a->ndim;
    for (int d = 0; ok && d < a->ndim; d++)
        ok = src->shape[d] == (d == dim ? index->shape[0] : a->shape[d]);
    if (!ok)
        return tide_errorf("index_add: src %s does not match input %s with %lld indices",
                           tide_shape_str(src, s1, 96), tide_shape_str(a, s2, 96),
                           (long long)index->shape[0]);
    if (src->dtype != a->dtype)
        return tide_errorf("index_add: src dtype %s differs from input dtype %s",
                           tide_dtype_name(src->dtype), tide_dtype_name(a->dtype));
    tide_tensor_bump_version(a); /* autograd's in-place check */
    int64_t k = index->shape[0], off = index->offset, ist = index->strides[0];
    if (dim == 0 && a->dtype == TIDE_F32 && tide_tensor_is_contiguous(a) &&
        tide_tensor_is_contiguous(src) && a->storage != src->storage) {
        int64_t row = a->shape[0] ? tide_tensor_numel(a) / a->shape[0] : 0;
        float *dst = tide_f32(a);
        const float *s = tide_f32(src);
        for (int64_t i = 0; i < k; i++) {
            float *d = dst + load_index(index, off + i * ist) * row;
            for (int64_t j = 0; j < row; j++) d[j] += s[i * row + j];
        }
        return TIDE_OK;
    }
    for (int64_t i = 0; i < k; i++) {
        tide_tensor d = slice(a, dim, load_index(index, off + i * ist)), s = slice(src, dim, i);
        if (tide_binary_out(&d, TIDE_ADD, &d, &s) != TIDE_OK) return TIDE_ERR;
    }
    return TIDE_OK;
}

tide_tensor *tide_index_add(const tide_tensor *a, int dim, const tide_tensor *index,
                            const tide_tensor *src)
{
    tide_tensor *out = tide_tensor_clone(a);
    if (out && tide_index_add_(out, dim, index, src) != TIDE_OK) {
        tide_tensor_release(out);
        return NULL;
    }
    return out;
}

/* ---- masked_fill ---- */

tide_tensor *tide_masked_fill(const tide_tensor *a, const tide_tensor *mask, double v)
{
    char s1[96], s2[96];
    int ok = mask->ndim <= a->ndim;
    for (int i = 0; ok && i < mask->ndim; i++) {
        int64_t m = mask->shape[mask->ndim - 1 - i], s = a->shape[a->ndim - 1 - i];
        ok = m == s || m == 1;
    }
    if (!ok)
        return tide_errorf("masked_fill: mask %s does not broadcast to input %s",
                           tide_shape_str(mask, s1, 96), tide_shape_str(a, s2, 96)), NULL;
    if (a->dtype != TIDE_F32 && v != (double)(int64_t)v)
        return tide_errorf("masked_fill: value %g is not an integer for a %s tensor", v,
                           tide_dtype_name(a->dtype)), NULL;
    tide_scalar_box box;
    return tide_where(mask, tide_scalar_box_init(&box, a->dtype, v), a);
}

/* ---- cat / stack ---- */

tide_tensor *tide_cat(const tide_tensor *const *ts, int n, int dim)
{
    char s1[96], s2[96];
    if (n < 1) return tide_errorf("cat: needs at least one tensor"), NULL;
    const tide_tensor *t0 = ts[0];
    if ((dim = tide_norm_dim(dim, t0->ndim, "cat")) < 0) return NULL;
    int64_t shape[TIDE_MAX_DIMS];
    memcpy(shape, t0->shape, sizeof shape);
    shape[dim] = 0;
    for (int i = 0; i < n; i++) {
        const tide_tensor *t = ts[i];
        int bad = t->ndim == t0->ndim ? -1 : 0;
        for (int d = 0; bad < 0 && d < t0->ndim; d++)
            if (d != dim && t->shape[d] != t0->shape[d]) bad = d;
        if (bad >= 0)
            return tide_errorf("cat: tensor %d has shape %s, incompatible with %s (only the joined "
                               "dim may differ)", i + 1, tide_shape_str(t, s1, 96),
                               tide_shape_str(t0, s2, 96)), NULL;
        if (t->dtype != t0->dtype)
            return tide_errorf("cat: tensor %d has dtype %s, expected %s", i + 1,
                               tide_dtype_name(t->dtype), tide_dtype_name(t0->dtype)), NULL;
        shape[dim] += t->shape[dim];
    }
    tide_tensor *out = tide_tensor_empty(t0->dtype, t0->ndim, shape);
    if (!out) return NULL;
    int64_t at = 0;
    for (int i = 0; i < n; i++) {
        tide_tensor d = alias(out);
        d.shape[dim] = ts[i]->shape[dim];
        d.offset += at * out->strides[dim];
        at += ts[i]->shape[dim];
        if (tide_tensor_copy(&d, ts[i]) != TIDE_OK) {
            tide_tensor_release(out);
            return NULL;
        }
    }
    return out;
}

tide_tensor *tide_stack(const tide_tensor *const *ts, int n, int dim)
{
    char s1[96], s2[96];
    if (n < 1) return tide_errorf("stack: needs at least one tensor"), NULL;
    if (n > 1 << 20) return tide_errorf("stack: too many tensors (%d)", n), NULL;
    if ((dim = tide_norm_dim(dim, ts[0]->ndim + 1, "stack")) < 0) return NULL;
    if (ts[0]->ndim + 1 > TIDE_MAX_DIMS)
        return tide_errorf("stack: result would have more than %d dims", TIDE_MAX_DIMS), NULL;
    for (int i = 1; i < n; i++)
        if (!tide_same_shape(ts[i], ts[0]))
            return tide_errorf("stack: tensor %d has shape %s, expected %s", i + 1,
                               tide_shape_str(ts[i], s1, 96), tide_shape_str(ts[0], s2, 96)), NULL;
    int64_t shape[TIDE_MAX_DIMS];
    int nd = ts[0]->ndim + 1;
    for (int d = 0, s = 0; d < nd; d++) shape[d] = d == dim ? n : ts[0]->shape[s++];
    for (int i = 0; i < n; i++)
        if (ts[i]->dtype != ts[0]->dtype)
            return tide_errorf("stack: tensor %d has dtype %s, expected %s", i + 1,
                               tide_dtype_name(ts[i]->dtype), tide_dtype_name(ts[0]->dtype)), NULL;
    tide_tensor *out = tide_tensor_empty(ts[0]->dtype, nd, shape);
    if (!out) return NULL;
    for (int i = 0; i < n; i++) {
        tide_tensor d = slice(out, dim, i);
        if (tide_tensor_copy(&d, ts[i]) != TIDE_OK) {
            tide_tensor_release(out);
            return NULL;
        }
    }
    return out;
}
