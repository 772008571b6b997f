/* tensor_view.c — views: new headers over the same storage, never a data copy
 * (except reshape of a layout that strides cannot express, which goes through contiguous). */
#include <string.h>

#include "tensor.h"

tide_tensor *tide_tensor_header(tide_tensor *base, int ndim, const int64_t *shape,
                                const int64_t *strides, int64_t offset);

static int infer_shape(const tide_tensor *t, int ndim, const int64_t *shape, int64_t *out,
                       const char *op)
{
    if (ndim < 0 || ndim > TIDE_MAX_DIMS)
        return tide_errorf("%s: %d dims requested, at most %d supported", op, ndim, TIDE_MAX_DIMS);
    int64_t known = 1, numel = tide_tensor_numel(t); /* known: product of the nonzero sizes */
    int infer = -1, zero = 0;
    for (int i = 0; i < ndim; i++) {
        if (shape[i] == -1) {
            if (infer >= 0) return tide_errorf("%s: only one size may be -1", op);
            infer = i;
        } else if (shape[i] < 0) {
            return tide_errorf("%s: invalid size %lld", op, (long long)shape[i]);
        } else if (__builtin_mul_overflow(known, shape[i] ? shape[i] : 1, &known)) {
            return tide_shape_check(ndim, shape, NULL, op); /* names the shape */
        } else if (shape[i] == 0) {
            zero = 1;
        }
        out[i] = shape[i];
    }
    if (zero) known = 0;
    if (infer >= 0) {
        if (known == 0 || numel % known != 0) goto mismatch;
        out[infer] = numel / known;
    } else if (known != numel) {
        goto mismatch;
    }
    return tide_shape_check(ndim, out, NULL, op);
mismatch : {
    char s[96];
    return tide_errorf("%s: cannot view %s (%lld elements) with the requested shape", op,
                       tide_shape_str(t, s, sizeof s), (long long)numel);
}
}

/* Strides for viewing t as `shape` without copying, or 0 if impossible. Walks both shapes
 * grouping dims that are contiguous with each other in t (the rule numpy/torch use). */
static int view_strides(const tide_tensor *t, int ndim, const int64_t *shape, int64_t *strides)
{
    int64_t numel = tide_tensor_numel(t);
    if (numel == 0 || t->ndim == 0) {
        int64_t st = 1;
        for (int i = ndim - 1; i >= 0; i--) {
            strides[i] = st;
            st *= shape[i] ? shape[i] : 1;
        }
        return 1;
    }
    int view_d = ndim - 1;
    int64_t chunk_base_stride = t->strides[t->ndim - 1];
    int64_t tensor_numel = 1, view_numel = 1;
    for (int td = t->ndim - 1; td >= 0; td--) {
        tensor_numel *= t->shape[td];
        /* end of a contiguous chunk of t's dims */
        if (td == 0 || (t->shape[td - 1] != 1 &&
                        t->strides[td - 1] != tensor_numel * chunk_base_stride)) {
            while (view_d >= 0 && (view_numel < tensor_numel || shape[view_d] == 1)) {
                strides[view_d] = view_numel * chunk_base_stride;
                view_numel *= shape[view_d];
                view_d--;
            }
            if (view_numel != tensor_numel) return 0;
            if (td > 0) {
                chunk_base_stride = t->strides[td - 1];
                tensor_numel = 1;
                view_numel = 1;
            }
        }
    }
    return view_d == -1;
}

tide_tensor *tide_tensor_view(tide_tensor *t, int ndim, const int64_t *shape)
{
    int64_t sh[TIDE_MAX_DIMS], st[TIDE_MAX_DIMS];
    if (infer_shape(t, ndim, shape, sh, "view") != TIDE_OK) return NULL;
    if (!view_strides(t, ndim, sh, st)) {
        char s[96];
        tide_errorf("view: %s tensor is not laid out for this view; use reshape (copies)",
                    tide_shape_str(t, s, sizeof s));
        return NULL;
    }
    return tide_tensor_header(t, ndim, sh, st, t->offset);
}

tide_tensor *tide_tensor_reshape(tide_tensor *t, int ndim, const int64_t *shape)
{
    int64_t sh[TIDE_MAX_DIMS], st[TIDE_MAX_DIMS];
    if (infer_shape(t, ndim, shape, sh, "reshape") != TIDE_OK) return NULL;
    if (view_strides(t, ndim, sh, st)) return tide_tensor_header(t, ndim, sh, st, t->offset);
    tide_tensor *c = tide_tensor_contiguous(t);
    if (!c) return NULL;
    tide_tensor *v = tide_tensor_view(c, ndim, sh);
    tide_tensor_release(c);
    return v;
}

tide_tensor *tide_tensor_transpose(tide_tensor *t, int d0, int d1)
{
    if ((d0 = tide_norm_dim(d0, t->ndim, "transpose")) < 0) return NULL;
    if ((d1 = tide_norm_dim(d1, t->ndim, "transpose")) < 0) return NULL;
    int64_t sh[TIDE_MAX_DIMS], st[TIDE_MAX_DIMS];
    memcpy(sh, t->shape, sizeof sh);
    memcpy(st, t->strides, sizeof st);
    sh[d0] = t->shape[d1], sh[d1] = t->shape[d0];
    st[d0] = t->strides[d1], st[d1] = t->strides[d0];
    return tide_tensor_header(t, t->ndim, sh, st, t->offset);
}

tide_tensor *tide_tensor_permute(tide_tensor *t, const int *perm)
{
    int seen[TIDE_MAX_DIMS] = {0};
    int64_t sh[TIDE_MAX_DIMS], st[TIDE_MAX_DIMS];
    for (int i = 0; i < t->ndim; i++) {
        int d = tide_norm_dim(perm[i], t->ndim, "permute");
        if (d < 0) return NULL;
        if (seen[d]++) return tide_errorf("permute: dim %d repeated", perm[i] + 1), NULL;
        sh[i] = t->shape[d];
        st[i] = t->strides[d];
    }
    return tide_tensor_header(t, t->ndim, sh, st, t->offset);
}

tide_tensor *tide_tensor_narrow(tide_tensor *t, int dim, int64_t start, int64_t len)
{
    if ((dim = tide_norm_dim(dim, t->ndim, "narrow")) < 0) return NULL;
    if (start < 0 || len < 0 || start > t->shape[dim] - len) /* no start + len: it may overflow */
        return tide_errorf("narrow: start %lld, length %lld out of bounds for dim %d of size %lld",
                           (long long)start, (long long)len, dim + 1, (long long)t->shape[dim]),
               NULL;
    int64_t sh[TIDE_MAX_DIMS];
    memcpy(sh, t->shape, sizeof sh);
    sh[dim] = len;
    return tide_tensor_header(t, t->ndim, sh, t->strides, t->offset + start * t->strides[dim]);
}

tide_tensor *tide_tensor_select(tide_tensor *t, int dim, int64_t index)
{
    if ((dim = tide_norm_dim(dim, t->ndim, "select")) < 0) return NULL;
    if (index < 0 || index >= t->shape[dim])
        return tide_errorf("select: index %lld out of range for dim %d of size %lld",
                           (long long)index, dim + 1, (long long)t->shape[dim]),
               NULL;
    int64_t sh[TIDE_MAX_DIMS], st[TIDE_MAX_DIMS];
    int n = 0;
    for (int i = 0; i < t->ndim; i++) {
        if (i == dim) continue;
        sh[n] = t->shape[i];
        st[n++] = t->strides[i];
    }
    return tide_tensor_header(t, n, sh, st, t->offset + index * t->strides[dim]);
}

tide_tensor *tide_tensor_expand(tide_tensor *t, int ndim, const int64_t *shape)
{
    if (ndim < t->ndim || ndim > TIDE_MAX_DIMS) {
        char s[96];
        return tide_errorf("expand: cannot expand %s to %d dims", tide_shape_str(t, s, sizeof s),
                           ndim),
               NULL;
    }
    int64_t sh[TIDE_MAX_DIMS], st[TIDE_MAX_DIMS];
    int lead = ndim - t->ndim;
    for (int i = 0; i < ndim; i++) {
        int64_t want = shape[i];
        if (i < lead) {
            if (want < 0) return tide_errorf("expand: size -1 not allowed for a new dim"), NULL;
            sh[i] = want;
            st[i] = 0;
            continue;
        }
        int64_t have = t->shape[i - lead];
        if (want == -1) want = have;
        if (have == want) {
            sh[i] = have;
            st[i] = t->strides[i - lead];
        } else if (have == 1 && want >= 0) {
            sh[i] = want;
            st[i] = 0;
        } else {
            char s[96];
            return tide_errorf("expand: dim %d of %s has size %lld, cannot expand to %lld", i + 1,
                               tide_shape_str(t, s, sizeof s), (long long)have, (long long)want),
                   NULL;
        }
    }
    if (tide_shape_check(ndim, sh, NULL, "expand") != TIDE_OK) return NULL;
    return tide_tensor_header(t, ndim, sh, st, t->offset);
}

tide_tensor *tide_tensor_squeeze(tide_tensor *t, int dim)
{
    int64_t sh[TIDE_MAX_DIMS], st[TIDE_MAX_DIMS];
    int n = 0;
    if (dim < -t->ndim) { /* all size-1 dims */
        for (int i = 0; i < t->ndim; i++)
            if (t->shape[i] != 1) sh[n] = t->shape[i], st[n++] = t->strides[i];
    } else {
        if ((dim = tide_norm_dim(dim, t->ndim, "squeeze")) < 0) return NULL;
        for (int i = 0; i < t->ndim; i++)
            if (i != dim || t->shape[i] != 1) sh[n] = t->shape[i], st[n++] = t->strides[i];
    }
    return tide_tensor_header(t, n, sh, st, t->offset);
}

tide_tensor *tide_tensor_unsqueeze(tide_tensor *t, int dim)
{
    if (t->ndim >= TIDE_MAX_DIMS)
        return tide_errorf("unsqueeze: already %d dims", TIDE_MAX_DIMS), NULL;
    if ((dim = tide_norm_dim(dim, t->ndim + 1, "unsqueeze")) < 0) return NULL;
    int64_t sh[TIDE_MAX_DIMS], st[TIDE_MAX_DIMS];
    int n = 0;
    for (int i = 0; i <= t->ndim; i++) {
        if (i == dim) {
            sh[n] = 1;
            st[n++] = i < t->ndim ? t->strides[i] * t->shape[i] : 1;
        }
        if (i < t->ndim) sh[n] = t->shape[i], st[n++] = t->strides[i];
    }
    return tide_tensor_header(t, n, sh, st, t->offset);
}

tide_tensor *tide_tensor_contiguous(tide_tensor *t)
{
    if (tide_tensor_is_contiguous(t)) return tide_tensor_retain(t);
    return tide_tensor_clone(t);
}

tide_tensor *tide_tensor_clone(const tide_tensor *t)
{
    tide_tensor *c = tide_tensor_empty(t->dtype, t->ndim, t->shape);
    if (c && tide_tensor_copy(c, t) != TIDE_OK) {
        tide_tensor_release(c);
        return NULL;
    }
    return c;
}
