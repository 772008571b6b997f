/* autograd_internal.h — helpers shared by the autograd_*.c files (not installed).
 *
 * Backward functions receive a CONTIGUOUS f32 gradient of their output's shape (tide_backward
 * guarantees it). They compute input gradients with the raw ops of ops.h, hand them to
 * tide_ag_accumulate (which sums broadcast dims away) and release them. */
#ifndef TIDE_AUTOGRAD_INTERNAL_H
#define TIDE_AUTOGRAD_INTERNAL_H

#include "autograd.h"

/* autograd_anomaly.c: notes the first op whose output is non-finite while its inputs are
 * finite (anomaly mode only); fails when a node's backward turned a finite gradient into a
 * non-finite one. */
void ag_anomaly_forward(const tide_node *n, const tide_tensor *out);
int ag_anomaly_backward(const tide_node *n, const tide_tensor *grad_out);

/* tensor_view.c: a new header over base's storage with the given geometry (no history). */
tide_tensor *tide_tensor_header(tide_tensor *base, int ndim, const int64_t *shape,
                                const int64_t *strides, int64_t offset);

/* The contiguous version of t (t itself retained when it already is; f32 views are
 * materialised through the broadcasting kernels, which handle stride-0 dims row by row). */
static inline tide_tensor *ag_contig(const tide_tensor *t)
{
    if (tide_tensor_is_contiguous(t)) return tide_tensor_retain((tide_tensor *)t);
    if (t->dtype != TIDE_F32) return tide_tensor_contiguous((tide_tensor *)t);
    tide_tensor *c = tide_tensor_new(TIDE_F32, t->ndim, t->shape); /* zeros */
    if (c && tide_binary_out(c, TIDE_ADD, c, t) != TIDE_OK) {
        tide_tensor_release(c);
        return NULL;
    }
    return c;
}

/* Accumulates g into t when t needs a gradient, then releases g (NULL-safe). A NULL g means
 * the op computing it failed: returns TIDE_ERR with its message. */
static inline int ag_give(tide_tensor *t, tide_tensor *g)
{
    if (!g) return TIDE_ERR;
    /* a fresh, unshared, contiguous gradient becomes t's grad as is (no copy) */
    if (!t->grad && tide_needs_grad(t) && g->refcount == 1 && g->storage->refcount == 1 &&
        g->dtype == TIDE_F32 && tide_tensor_is_contiguous(g) && tide_same_shape(g, t)) {
        t->grad = g;
        return TIDE_OK;
    }
    int rc = tide_ag_accumulate(t, g);
    tide_tensor_release(g);
    return rc;
}

/* t's gradient as a contiguous f32 tensor of t's shape that may be written in place:
 * zeros when t has none yet, a private copy when the current one is shared. NULL on OOM. */
tide_tensor *ag_writable_grad(tide_tensor *t);

/* Backward of ops whose output picks elements of input 0 by an index tensor (saved[0]) along
 * dim ints[0] — gather, and the values of topk/sort: g is scattered back (autograd_index.c). */
int ag_bw_scatter_back(tide_node *n, const tide_tensor *g);

/* Marks n as unable to run its backward because a tensor it needs could not be saved (out
 * of memory): the forward result stays valid, and a backward through n fails with a clear
 * error before touching any gradient. NULL-safe. */
void ag_save_failed(tide_node *n);

/* Wraps a raw result: records a node (when needed) and returns out, or NULL when out is NULL
 * or its node could not be allocated (out is then released and the error set).
 * *node_out receives the node (NULL when none was needed or on failure). */
static inline tide_tensor *ag_wrap(tide_tensor *out, const char *name, tide_backward_fn bw,
                                   int n, tide_tensor *const *in, tide_node **node_out)
{
    if (tide_ag_try_record(out, name, bw, n, in, node_out) != TIDE_OK) {
        tide_tensor_release(out);
        return NULL;
    }
    return out;
}

/* Marks inputs (bit i = input i) whose VALUES the node's backward never reads, only their
 * shape: tide_backward skips their in-place version check, and the node's reference does not
 * keep their storage alive (tide_tensor_add_shape_ref) (NULL-safe). */
static inline void ag_value_free(tide_node *n, unsigned mask)
{
    tide_ag_value_free(n, mask);
}

#endif
