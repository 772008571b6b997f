/* tensor.h — refcounted storage and strided tensor views over it.
 *
 * A tide_storage owns one 64-byte aligned buffer and is shared by every view of it. A
 * tide_tensor is a header: dtype, shape, strides (in elements), offset (in elements) and one
 * reference to its storage. Views (view/reshape, transpose, permute, narrow, select, expand,
 * squeeze, unsqueeze) only build a new header. Headers are refcounted too, because the
 * autograd tape and Lua userdata may hold the same tensor.
 *
 * Ownership: every function returning tide_tensor * returns a NEW reference owned by the
 * caller (release it with tide_tensor_release), or NULL with tide_error() set.
 * A 0-dim tensor (ndim 0) holds one element: scalars broadcast through it. */
#ifndef TIDE_TENSOR_H
#define TIDE_TENSOR_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

#define TIDE_MAX_DIMS 8

typedef enum { TIDE_F32 = 0, TIDE_I32 = 1, TIDE_I64 = 2 } tide_dtype;

typedef struct tide_storage {
    void *data;      /* 64-byte aligned, owned */
    size_t nbytes;
    int refcount;
    /* bumped by every in-place write (autograd checks it, see autograd.h); starts at 0 */
    uint64_t version;
} tide_storage;

struct tide_node; /* autograd.h */

typedef struct tide_tensor {
    tide_storage *storage;
    tide_dtype dtype;
    int ndim;
    int64_t shape[TIDE_MAX_DIMS];
    int64_t strides[TIDE_MAX_DIMS]; /* in elements; 0 for broadcast dims */
    int64_t offset;                 /* in elements */
    int refcount;
    /* how many of those references need only the tensor's shape, never its values (autograd
     * nodes whose backward reads just the geometry, the backward sweep's own list): once
     * every reference is such, the storage is given back early (tide_tensor_drop_values) */
    int shape_refs;
    /* autograd: see autograd.h. A leaf has node == NULL. */
    int requires_grad;
    struct tide_tensor *grad;   /* owned reference, NULL until backward reaches this tensor */
    struct tide_node *node;     /* creator node (owned), NULL for leaves */
} tide_tensor;

/* ---- storage ---- */
tide_storage *tide_storage_new(size_t nbytes); /* zero-filled; NULL + error on OOM */
tide_storage *tide_storage_new_uninit(size_t nbytes); /* contents undefined: for outputs */
/* A storage over `data` (malloc'd or aligned_alloc'd, ownership moves in); NULL + error on OOM. */
tide_storage *tide_storage_adopt(void *data, size_t nbytes);
/* Bytes held by all tensor storages now (live) and at most since the last reset (peak). */
void tide_storage_memory(size_t *live, size_t *peak);
void tide_storage_reset_peak(void);
void tide_storage_retain(tide_storage *s);
void tide_storage_release(tide_storage *s);
/* Records an in-place write into s (or t's storage): every engine function that writes into
 * an existing tensor calls this, so autograd can tell a saved tensor was modified. */
static inline void tide_storage_bump(tide_storage *s) { s->version++; }
static inline void tide_tensor_bump_version(tide_tensor *t) { tide_storage_bump(t->storage); }

/* ---- lifetime ---- */
size_t tide_dtype_size(tide_dtype dt);
const char *tide_dtype_name(tide_dtype dt);
tide_tensor *tide_tensor_retain(tide_tensor *t); /* returns t */
void tide_tensor_release(tide_tensor *t);        /* NULL-safe */
/* A reference that needs only t's shape (dtype, shape, strides, node, grad; never its values).
 * When every remaining reference is of this kind the storage is released at once and t keeps
 * its geometry over an empty storage whose data pointer is NULL, so a tensor the Lua GC has
 * not yet collected, or one the tape keeps only for its shape, does not hold its buffer. */
void tide_tensor_add_shape_ref(tide_tensor *t);     /* NULL-safe; t must already be retained */
void tide_tensor_release_shape_ref(tide_tensor *t); /* NULL-safe; releases the reference */

/* ---- creation (contiguous, new storage) ---- */
tide_tensor *tide_tensor_new(tide_dtype dt, int ndim, const int64_t *shape); /* zeros */
tide_tensor *tide_tensor_empty_like(const tide_tensor *t);                  /* zeros, same shape */
/* Uninitialised contents: for op outputs that are fully written before anyone reads them
 * (saves a pass over memory and, for big buffers, the page faults of zeroing). */
tide_tensor *tide_tensor_empty(tide_dtype dt, int ndim, const int64_t *shape);
tide_tensor *tide_tensor_full(tide_dtype dt, int ndim, const int64_t *shape, double v);
tide_tensor *tide_tensor_scalar(tide_dtype dt, double v);                   /* 0-dim */
tide_tensor *tide_tensor_arange(tide_dtype dt, double start, double stop, double step);
tide_tensor *tide_tensor_eye(tide_dtype dt, int64_t n, int64_t m);
/* Wraps a copy of `data` (n elements of dt) in a tensor of the given shape. */
tide_tensor *tide_tensor_from_data(tide_dtype dt, int ndim, const int64_t *shape, const void *data);

/* ---- queries ---- */
int64_t tide_tensor_numel(const tide_tensor *t);
/* Checks a shape before anything is built from it: ndim in 0..TIDE_MAX_DIMS, no negative size,
 * and the product of the nonzero sizes (which every stride and byte count is bounded by, even
 * for an empty tensor) at most 2^59. Sets *numel (may be NULL); TIDE_ERR + message naming op. */
int tide_shape_check(int ndim, const int64_t *shape, int64_t *numel, const char *op);
int tide_tensor_is_contiguous(const tide_tensor *t);
/* Address of the first element of the view (storage data + offset). */
void *tide_tensor_data(const tide_tensor *t);
static inline float *tide_f32(const tide_tensor *t) { return (float *)tide_tensor_data(t); }
static inline int32_t *tide_i32(const tide_tensor *t) { return (int32_t *)tide_tensor_data(t); }
static inline int64_t *tide_i64(const tide_tensor *t) { return (int64_t *)tide_tensor_data(t); }
/* Element at a multi-index (0-based) as double; idx has t->ndim entries. No bounds check. */
double tide_tensor_get(const tide_tensor *t, const int64_t *idx);
void tide_tensor_set(tide_tensor *t, const int64_t *idx, double v);
/* Writes "[2,3]" into buf (for messages); returns buf. */
char *tide_shape_str(const tide_tensor *t, char *buf, size_t n);
int tide_same_shape(const tide_tensor *a, const tide_tensor *b);
/* Normalises a possibly negative dim against ndim; -1 + error if out of range. */
int tide_norm_dim(int dim, int ndim, const char *op);

/* ---- views (share storage; never copy) ---- */
/* view requires a layout where the reshape is expressible with strides; reshape copies
 * (via contiguous) when it is not. One entry of shape may be -1 (inferred). */
tide_tensor *tide_tensor_view(tide_tensor *t, int ndim, const int64_t *shape);
tide_tensor *tide_tensor_reshape(tide_tensor *t, int ndim, const int64_t *shape);
tide_tensor *tide_tensor_transpose(tide_tensor *t, int d0, int d1);
tide_tensor *tide_tensor_permute(tide_tensor *t, const int *perm);
tide_tensor *tide_tensor_narrow(tide_tensor *t, int dim, int64_t start, int64_t len);
tide_tensor *tide_tensor_select(tide_tensor *t, int dim, int64_t index); /* drops dim */
tide_tensor *tide_tensor_expand(tide_tensor *t, int ndim, const int64_t *shape);
tide_tensor *tide_tensor_squeeze(tide_tensor *t, int dim); /* dim < -ndim: all size-1 dims */
tide_tensor *tide_tensor_unsqueeze(tide_tensor *t, int dim);
/* Returns t itself (retained) if already contiguous, else a contiguous copy. */
tide_tensor *tide_tensor_contiguous(tide_tensor *t);
tide_tensor *tide_tensor_clone(const tide_tensor *t); /* always a fresh contiguous copy */

/* ---- copying ---- */
/* dst <- src, src broadcast to dst's shape, dtype converted. */
int tide_tensor_copy(tide_tensor *dst, const tide_tensor *src);
int tide_tensor_fill(tide_tensor *t, double v);
tide_tensor *tide_tensor_cast(const tide_tensor *t, tide_dtype dt);

/* ---- strided iteration helper ----
 * Walks every element of `t` in row-major order, giving the element offset (in elements,
 * relative to storage data). Used by kernels that accept arbitrary views. */
typedef struct {
    int ndim;
    int64_t shape[TIDE_MAX_DIMS];
    int64_t strides[TIDE_MAX_DIMS];
    int64_t idx[TIDE_MAX_DIMS];
    int64_t pos; /* current element offset */
} tide_iter;
void tide_iter_init(tide_iter *it, const tide_tensor *t);
void tide_iter_next(tide_iter *it); /* advance one element in row-major order */

/* Broadcast shapes a and b (NumPy rules) into out (ndim returned), -1 + error if they
 * cannot broadcast. `op` names the caller in the message. */
int tide_broadcast_shape(const tide_tensor *a, const tide_tensor *b, int64_t *out,
                         const char *op);

#endif
