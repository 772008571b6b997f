/* tensor_copy.c — the strided iterator, copy with broadcast and dtype conversion, fill, cast. */
#include <string.h>

#include "tensor.h"

void tide_iter_init(tide_iter *it, const tide_tensor *t)
{
    it->ndim = t->ndim;
    for (int i = 0; i < t->ndim; i++) {
        it->shape[i] = t->shape[i];
        it->strides[i] = t->strides[i];
        it->idx[i] = 0;
    }
    it->pos = t->offset;
}

void tide_iter_next(tide_iter *it)
{
    for (int d = it->ndim - 1; d >= 0; d--) {
        it->pos += it->strides[d];
        if (++it->idx[d] < it->shape[d]) return;
        it->pos -= it->strides[d] * it->shape[d];
        it->idx[d] = 0;
    }
}

static double load(const void *base, tide_dtype dt, int64_t off)
{
    switch (dt) {
    case TIDE_F32: return ((const float *)base)[off];
    case TIDE_I32: return ((const int32_t *)base)[off];
    case TIDE_I64: return (double)((const int64_t *)base)[off];
    }
    return 0;
}

static void store(void *base, tide_dtype dt, int64_t off, double v)
{
    switch (dt) {
    case TIDE_F32: ((float *)base)[off] = (float)v; break;
    case TIDE_I32: ((int32_t *)base)[off] = (int32_t)v; break;
    case TIDE_I64: ((int64_t *)base)[off] = (int64_t)v; break;
    }
}

/* Same dtype, dst's last dim contiguous and src's (already broadcast to dst's shape) either
 * contiguous or broadcast along it: one memcpy or one fill per row instead of an iterator step
 * per element (a narrow of a wider tensor, a cat along the last dim, an expanded row). */
static void copy_rows(tide_tensor *dst, const tide_tensor *src)
{
    int nd = dst->ndim;
    int64_t len = dst->shape[nd - 1], n = tide_tensor_numel(dst);
    if (n == 0) return;
    /* the rows' starts: the strided iterator over every dim but the last */
    tide_tensor drow = *dst, srow = *src;
    drow.ndim = srow.ndim = nd - 1;
    tide_iter id, is;
    tide_iter_init(&id, &drow);
    tide_iter_init(&is, &srow);
    size_t es = tide_dtype_size(dst->dtype);
    char *db = dst->storage->data;
    const char *sb = src->storage->data;
    for (int64_t r = 0; r < n / len; r++, tide_iter_next(&id), tide_iter_next(&is)) {
        char *to = db + (size_t)id.pos * es;
        const char *from = sb + (size_t)is.pos * es;
        if (src->strides[nd - 1] == 1 || len == 1) memcpy(to, from, (size_t)len * es);
        else if (es == 4) {
            uint32_t v;
            memcpy(&v, from, 4);
            for (int64_t j = 0; j < len; j++) memcpy(to + (size_t)j * 4, &v, 4);
        } else
            for (int64_t j = 0; j < len; j++) memcpy(to + (size_t)j * es, from, es);
    }
}

int tide_tensor_copy(tide_tensor *dst, const tide_tensor *src)
{
    int64_t n = tide_tensor_numel(dst);
    tide_tensor_bump_version(dst); /* autograd's in-place check */
    /* fast path: same dtype, same shape, both contiguous */
    if (dst->dtype == src->dtype && tide_same_shape(dst, src) && tide_tensor_is_contiguous(dst) &&
        tide_tensor_is_contiguous(src)) {
        memmove(tide_tensor_data(dst), tide_tensor_data(src), (size_t)n * tide_dtype_size(dst->dtype));
        return TIDE_OK;
    }
    /* broadcast src to dst's shape */
    if (src->ndim > dst->ndim) goto bad;
    tide_tensor view = *src;
    int lead = dst->ndim - src->ndim;
    view.ndim = dst->ndim;
    for (int i = 0; i < dst->ndim; i++) {
        if (i < lead) {
            view.shape[i] = dst->shape[i];
            view.strides[i] = 0;
            continue;
        }
        int64_t s = src->shape[i - lead];
        view.shape[i] = dst->shape[i];
        view.strides[i] = src->strides[i - lead];
        if (s == dst->shape[i]) continue;
        if (s != 1) goto bad;
        view.strides[i] = 0;
    }
    /* Copying from an overlapping view of the same storage would read already-written data;
     * go through a temporary in that case. */
    if (src->storage == dst->storage) {
        tide_tensor *tmp = tide_tensor_clone(src);
        if (!tmp) return TIDE_ERR;
        int rc = tide_tensor_copy(dst, tmp);
        tide_tensor_release(tmp);
        return rc;
    }
    if (dst->dtype == src->dtype && dst->ndim >= 1 && dst->strides[dst->ndim - 1] == 1 &&
        view.strides[dst->ndim - 1] <= 1 && view.strides[dst->ndim - 1] >= 0) {
        copy_rows(dst, &view);
        return TIDE_OK;
    }
    tide_iter is, id;
    tide_iter_init(&is, &view);
    tide_iter_init(&id, dst);
    const void *sb = src->storage->data;
    void *db = dst->storage->data;
    if (dst->dtype == TIDE_F32 && src->dtype == TIDE_F32) {
        for (int64_t i = 0; i < n; i++) {
            ((float *)db)[id.pos] = ((const float *)sb)[is.pos];
            tide_iter_next(&is);
            tide_iter_next(&id);
        }
    } else {
        for (int64_t i = 0; i < n; i++) {
            store(db, dst->dtype, id.pos, load(sb, src->dtype, is.pos));
            tide_iter_next(&is);
            tide_iter_next(&id);
        }
    }
    return TIDE_OK;
bad : {
    char s1[96], s2[96];
    return tide_errorf("copy: source %s does not broadcast to destination %s",
                       tide_shape_str(src, s1, sizeof s1), tide_shape_str(dst, s2, sizeof s2));
}
}

int tide_tensor_fill(tide_tensor *t, double v)
{
    int64_t n = tide_tensor_numel(t);
    tide_tensor_bump_version(t); /* autograd's in-place check */
    if (tide_tensor_is_contiguous(t)) {
        if (t->dtype == TIDE_F32) {
            float *p = tide_f32(t), fv = (float)v;
            for (int64_t i = 0; i < n; i++) p[i] = fv;
        } else if (t->dtype == TIDE_I32) {
            int32_t *p = tide_i32(t), iv = (int32_t)v;
            for (int64_t i = 0; i < n; i++) p[i] = iv;
        } else {
            int64_t *p = tide_i64(t), iv = (int64_t)v;
            for (int64_t i = 0; i < n; i++) p[i] = iv;
        }
        return TIDE_OK;
    }
    tide_iter it;
    tide_iter_init(&it, t);
    for (int64_t i = 0; i < n; i++) {
        store(t->storage->data, t->dtype, it.pos, v);
        tide_iter_next(&it);
    }
    return TIDE_OK;
}

tide_tensor *tide_tensor_cast(const tide_tensor *t, tide_dtype dt)
{
    tide_tensor *c = tide_tensor_empty(dt, t->ndim, t->shape);
    if (c && tide_tensor_copy(c, t) != TIDE_OK) {
        tide_tensor_release(c);
        return NULL;
    }
    return c;
}
