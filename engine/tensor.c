/* tensor.c — storage lifetime, tensor headers, creation, and element access (see tensor.h).
 * Views live in tensor_view.c, copy/fill/cast and the strided iterator in tensor_copy.c. */
#include "tensor.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "autograd.h"
#include "limit.h"

/* ---- storage ---- */

/* Bytes held by tensor storages now and at most since the last reset (tide_storage_memory);
 * relaxed atomics, since worker threads may allocate too (add - sub wraps modulo 2^64, which
 * the atomic add undoes). */
static size_t mem_live, mem_peak;

static void mem_count(size_t add, size_t sub)
{
    size_t now = __atomic_add_fetch(&mem_live, add - sub, __ATOMIC_RELAXED);
    size_t peak = __atomic_load_n(&mem_peak, __ATOMIC_RELAXED);
    while (now > peak && !__atomic_compare_exchange_n(&mem_peak, &peak, now, 1, __ATOMIC_RELAXED,
                                                      __ATOMIC_RELAXED)) {
    }
}

tide_storage *tide_storage_adopt(void *data, size_t nbytes)
{
    tide_storage *s = malloc(sizeof *s);
    if (!s) {
        tide_errorf("out of memory allocating a storage header");
        return NULL;
    }
    s->data = data;
    s->nbytes = nbytes;
    s->refcount = 1;
    s->version = 0;
    mem_count(nbytes, 0);
    return s;
}

void tide_storage_memory(size_t *live, size_t *peak)
{
    *live = __atomic_load_n(&mem_live, __ATOMIC_RELAXED);
    *peak = __atomic_load_n(&mem_peak, __ATOMIC_RELAXED);
}

void tide_storage_reset_peak(void)
{
    __atomic_store_n(&mem_peak, __atomic_load_n(&mem_live, __ATOMIC_RELAXED), __ATOMIC_RELAXED);
}

/* Every tensor an op creates comes through here, so this one check holds max_tensor_bytes
 * (limit.h) for op results too, not only for Lua constructors and file loaders: a matmul of
 * [1e4,1] by [1,1e5] under a small limit is an error ("matmul: tensor: 4000000000 bytes
 * exceed ..."; the binding adds the op's name) rather than an out-of-memory kill. */
static tide_storage *storage_alloc(size_t nbytes, int zero)
{
    if (tide_limit_check_bytes(nbytes, "tensor") != TIDE_OK) return NULL;
    tide_storage *s = malloc(sizeof *s);
    if (!s) {
        tide_errorf("out of memory allocating a storage header");
        return NULL;
    }
    /* aligned_alloc needs a size that is a multiple of the alignment */
    size_t padded = (nbytes + 63) & ~(size_t)63;
    if (padded == 0) padded = 64;
    s->data = aligned_alloc(64, padded);
    if (!s->data) {
        free(s);
        tide_errorf("tensor: out of memory allocating %zu bytes", nbytes);
        return NULL;
    }
    if (zero) memset(s->data, 0, padded);
    s->nbytes = nbytes;
    mem_count(nbytes, 0);
    s->refcount = 1;
    s->version = 0;
    return s;
}

tide_storage *tide_storage_new(size_t nbytes) { return storage_alloc(nbytes, 1); }
tide_storage *tide_storage_new_uninit(size_t nbytes) { return storage_alloc(nbytes, 0); }

void tide_storage_retain(tide_storage *s) { s->refcount++; }

void tide_storage_release(tide_storage *s)
{
    if (!s) return;
    TIDE_ASSERT(s->refcount > 0);
    if (--s->refcount == 0) {
        mem_count(0, s->nbytes);
        free(s->data);
        free(s);
    }
}

/* ---- lifetime ---- */

size_t tide_dtype_size(tide_dtype dt)
{
    switch (dt) {
    case TIDE_F32: return 4;
    case TIDE_I32: return 4;
    case TIDE_I64: return 8;
    }
    TIDE_ASSERT(0 && "bad dtype");
    return 0;
}

const char *tide_dtype_name(tide_dtype dt)
{
    switch (dt) {
    case TIDE_F32: return "f32";
    case TIDE_I32: return "i32";
    case TIDE_I64: return "i64";
    }
    return "?";
}

tide_tensor *tide_tensor_retain(tide_tensor *t)
{
    if (t) t->refcount++;
    return t;
}

/* The storage of tensors whose values nobody can read any more: never freed, no data. */
static tide_storage dropped_storage = {.data = NULL, .nbytes = 0, .refcount = 1 << 30};

static void drop_values_if_unread(tide_tensor *t)
{
    if (t->refcount > 0 && t->refcount == t->shape_refs && t->storage != &dropped_storage) {
        tide_storage_release(t->storage);
        t->storage = &dropped_storage;
        t->offset = 0;
    }
}

void tide_tensor_add_shape_ref(tide_tensor *t)
{
    if (!t) return;
    TIDE_ASSERT(t->shape_refs < t->refcount);
    t->shape_refs++;
    drop_values_if_unread(t);
}

void tide_tensor_release_shape_ref(tide_tensor *t)
{
    if (!t) return;
    TIDE_ASSERT(t->shape_refs > 0);
    t->shape_refs--;
    tide_tensor_release(t);
}

/* Releasing a node may release tensors which release their nodes: iterate with an explicit
 * stack instead of recursing, so a long chain (an RNN unrolled 10k steps) cannot blow the C
 * stack. */
void tide_tensor_release(tide_tensor *t)
{
    tide_tensor *stack_small[64];
    tide_tensor **stack = stack_small;
    size_t cap = 64, n = 0;
    if (!t) return;
    stack[n++] = t;
    while (n > 0) {
        tide_tensor *x = stack[--n];
        TIDE_ASSERT(x->refcount > 0);
        if (--x->refcount > 0) {
            drop_values_if_unread(x);
            continue;
        }
        tide_tensor *children[TIDE_NODE_MAX_INPUTS + TIDE_NODE_MAX_SAVED + 1];
        int nc = 0;
        if (x->grad) children[nc++] = x->grad;
        tide_node *node = x->node;
        if (node) {
            for (int i = 0; i < node->ninputs; i++) {
                if (!node->inputs[i]) continue;
                if (node->value_free >> i & 1u) node->inputs[i]->shape_refs--;
                children[nc++] = node->inputs[i];
            }
            for (int i = 0; i < node->nsaved; i++)
                if (node->saved[i]) children[nc++] = node->saved[i];
            free(node->ctx);
            free(node);
        }
        tide_storage_release(x->storage);
        free(x);
        if (n + (size_t)nc > cap) {
            size_t ncap = cap * 2 + (size_t)nc;
            tide_tensor **ns = malloc(ncap * sizeof *ns);
            if (!ns) {
                /* out of memory (a release cannot fail): recurse for these children instead;
                 * the depth is bounded by the chain only under exhaustion */
                for (int i = 0; i < nc; i++) tide_tensor_release(children[i]);
                continue;
            }
            memcpy(ns, stack, n * sizeof *ns);
            if (stack != stack_small) free(stack);
            stack = ns;
            cap = ncap;
        }
        for (int i = 0; i < nc; i++) stack[n++] = children[i];
    }
    if (stack != stack_small) free(stack);
}

/* A header over `s` (retained) with the given geometry. */
static tide_tensor *header_new(tide_storage *s, tide_dtype dt, int ndim, const int64_t *shape,
                               const int64_t *strides, int64_t offset)
{
    tide_tensor *t = calloc(1, sizeof *t);
    if (!t) {
        tide_errorf("out of memory allocating a tensor header");
        return NULL;
    }
    tide_storage_retain(s);
    t->storage = s;
    t->dtype = dt;
    t->ndim = ndim;
    for (int i = 0; i < ndim; i++) {
        t->shape[i] = shape[i];
        t->strides[i] = strides[i];
    }
    t->offset = offset;
    t->refcount = 1;
    return t;
}

/* Internal: used by tensor_view.c to build views. */
tide_tensor *tide_tensor_header(tide_tensor *base, int ndim, const int64_t *shape,
                                const int64_t *strides, int64_t offset)
{
    return header_new(base->storage, base->dtype, ndim, shape, strides, offset);
}

/* ---- creation ---- */

int tide_shape_check(int ndim, const int64_t *shape, int64_t *numel, const char *op)
{
    if (ndim < 0 || ndim > TIDE_MAX_DIMS)
        return tide_errorf("%s: %d dims requested, at most %d supported", op, ndim, TIDE_MAX_DIMS);
    int64_t span = 1, n = 1;
    for (int i = 0; i < ndim; i++) {
        if (shape[i] < 0) return tide_errorf("%s: negative size %lld in dim %d", op, (long long)shape[i], i + 1);
        /* a zero size empties the tensor but not its strides: {0, 2^40, 2^40} has a stride of
         * 2^80 in dim 1, so the check is on the nonzero sizes (numpy's rule too) */
        if (__builtin_mul_overflow(span, shape[i] ? shape[i] : 1, &span) || span > INT64_MAX / 16) {
            char s[160];
            size_t k = 0;
            for (int j = 0; j < ndim && k < sizeof s; j++)
                k += (size_t)snprintf(s + k, sizeof s - k, j ? ",%lld" : "%lld", (long long)shape[j]);
            return tide_errorf("%s: shape [%s] too large (its nonzero sizes multiply past 2^59)", op, s);
        }
        n *= shape[i]; /* n <= span: no overflow */
    }
    if (numel) *numel = n;
    return TIDE_OK;
}

static tide_tensor *tensor_alloc(tide_dtype dt, int ndim, const int64_t *shape, int zero)
{
    int64_t numel = 0;
    if (tide_shape_check(ndim, shape, &numel, "tensor") != TIDE_OK) return NULL;
    tide_storage *s = storage_alloc((size_t)numel * tide_dtype_size(dt), zero);
    if (!s) return NULL;
    int64_t strides[TIDE_MAX_DIMS];
    int64_t st = 1;
    for (int i = ndim - 1; i >= 0; i--) {
        strides[i] = st;
        st *= shape[i];
    }
    tide_tensor *t = header_new(s, dt, ndim, shape, strides, 0);
    tide_storage_release(s);
    return t;
}

tide_tensor *tide_tensor_new(tide_dtype dt, int ndim, const int64_t *shape)
{
    return tensor_alloc(dt, ndim, shape, 1);
}

tide_tensor *tide_tensor_empty(tide_dtype dt, int ndim, const int64_t *shape)
{
    return tensor_alloc(dt, ndim, shape, 0);
}

tide_tensor *tide_tensor_empty_like(const tide_tensor *t)
{
    return tide_tensor_new(t->dtype, t->ndim, t->shape);
}

tide_tensor *tide_tensor_full(tide_dtype dt, int ndim, const int64_t *shape, double v)
{
    tide_tensor *t = tide_tensor_new(dt, ndim, shape);
    if (t && v != 0.0) tide_tensor_fill(t, v);
    return t;
}

tide_tensor *tide_tensor_scalar(tide_dtype dt, double v) { return tide_tensor_full(dt, 0, NULL, v); }

tide_tensor *tide_tensor_arange(tide_dtype dt, double start, double stop, double step)
{
    if (step == 0 || !isfinite(start) || !isfinite(stop) || !isfinite(step))
        return tide_errorf("arange: step must be nonzero and bounds finite"), NULL;
    double span = (stop - start) / step;
    if (!(span < 0x1p59)) /* also catches an infinite span; a double past int64 is UB to convert */
        return tide_errorf("arange: %g elements requested, too large", span), NULL;
    int64_t n = span > 0 ? (int64_t)ceil(span - 1e-9) : 0;
    tide_tensor *t = tide_tensor_new(dt, 1, &n);
    if (!t) return NULL;
    for (int64_t i = 0; i < n; i++) {
        int64_t idx = i;
        tide_tensor_set(t, &idx, start + (double)i * step);
    }
    return t;
}

tide_tensor *tide_tensor_eye(tide_dtype dt, int64_t n, int64_t m)
{
    int64_t shape[2] = {n, m};
    tide_tensor *t = tide_tensor_new(dt, 2, shape);
    if (!t) return NULL;
    for (int64_t i = 0; i < n && i < m; i++) {
        int64_t idx[2] = {i, i};
        tide_tensor_set(t, idx, 1.0);
    }
    return t;
}

tide_tensor *tide_tensor_from_data(tide_dtype dt, int ndim, const int64_t *shape, const void *data)
{
    tide_tensor *t = tide_tensor_new(dt, ndim, shape);
    if (t) memcpy(t->storage->data, data, (size_t)tide_tensor_numel(t) * tide_dtype_size(dt));
    return t;
}

/* ---- queries ---- */

int64_t tide_tensor_numel(const tide_tensor *t)
{
    int64_t n = 1;
    for (int i = 0; i < t->ndim; i++) n *= t->shape[i];
    return n;
}

int tide_tensor_is_contiguous(const tide_tensor *t)
{
    int64_t st = 1;
    for (int i = t->ndim - 1; i >= 0; i--) {
        if (t->shape[i] != 1 && t->strides[i] != st) return 0;
        st *= t->shape[i];
    }
    return 1;
}

void *tide_tensor_data(const tide_tensor *t)
{
    return (char *)t->storage->data + (size_t)t->offset * tide_dtype_size(t->dtype);
}

static int64_t elem_offset(const tide_tensor *t, const int64_t *idx)
{
    int64_t off = t->offset;
    for (int i = 0; i < t->ndim; i++) off += idx[i] * t->strides[i];
    return off;
}

double tide_tensor_get(const tide_tensor *t, const int64_t *idx)
{
    int64_t off = elem_offset(t, idx);
    switch (t->dtype) {
    case TIDE_F32: return ((const float *)t->storage->data)[off];
    case TIDE_I32: return ((const int32_t *)t->storage->data)[off];
    case TIDE_I64: return (double)((const int64_t *)t->storage->data)[off];
    }
    return 0;
}

void tide_tensor_set(tide_tensor *t, const int64_t *idx, double v)
{
    int64_t off = elem_offset(t, idx);
    tide_tensor_bump_version(t);
    switch (t->dtype) {
    case TIDE_F32: ((float *)t->storage->data)[off] = (float)v; break;
    case TIDE_I32: ((int32_t *)t->storage->data)[off] = (int32_t)v; break;
    case TIDE_I64: ((int64_t *)t->storage->data)[off] = (int64_t)v; break;
    }
}

char *tide_shape_str(const tide_tensor *t, char *buf, size_t n)
{
    size_t used = 0;
    used += (size_t)snprintf(buf + used, n - used, "[");
    for (int i = 0; i < t->ndim && used < n; i++)
        used += (size_t)snprintf(buf + used, n - used, i ? ",%lld" : "%lld", (long long)t->shape[i]);
    if (used < n) snprintf(buf + used, n - used, "]");
    return buf;
}

int tide_same_shape(const tide_tensor *a, const tide_tensor *b)
{
    if (a->ndim != b->ndim) return 0;
    for (int i = 0; i < a->ndim; i++)
        if (a->shape[i] != b->shape[i]) return 0;
    return 1;
}

int tide_norm_dim(int dim, int ndim, const char *op)
{
    int d = dim < 0 ? dim + ndim : dim;
    if (d < 0 || d >= ndim) {
        if (ndim == 0) return tide_errorf("%s: dim %d out of range for a 0-dim tensor", op, dim);
        return tide_errorf("%s: dim %d out of range for a %d-dim tensor", op, dim, ndim);
    }
    return d;
}

int tide_broadcast_shape(const tide_tensor *a, const tide_tensor *b, int64_t *out, const char *op)
{
    int nd = a->ndim > b->ndim ? a->ndim : b->ndim;
    for (int i = 0; i < nd; i++) {
        int ia = a->ndim - nd + i, ib = b->ndim - nd + i;
        int64_t sa = ia >= 0 ? a->shape[ia] : 1, sb = ib >= 0 ? b->shape[ib] : 1;
        if (sa != sb && sa != 1 && sb != 1) {
            char s1[96], s2[96];
            return tide_errorf("%s: shapes %s and %s cannot broadcast (dim %d: %lld vs %lld)", op,
                               tide_shape_str(a, s1, sizeof s1), tide_shape_str(b, s2, sizeof s2),
                               i + 1, (long long)sa, (long long)sb);
        }
        out[i] = sa == 1 ? sb : sa;
    }
    return nd;
}
