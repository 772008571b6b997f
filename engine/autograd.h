/* autograd.h — tape-based reverse-mode differentiation over the ops of ops.h and nn.h.
 *
 * Every tide_ag_* function computes its result with the raw op and, when grad mode is on and
 * some input requires grad, records a node (backward function + retained inputs + saved
 * values) as the result's creator. tide_backward replays the nodes reachable from a root in
 * reverse topological order, ADDING into each leaf's ->grad, then frees the nodes it used,
 * so a training loop does not grow memory. Broadcasting is undone with tide_sum_to.
 *
 * Ownership and errors as in tensor.h: NEW references, NULL + tide_error() on failure. */
#ifndef TIDE_AUTOGRAD_H
#define TIDE_AUTOGRAD_H

#include "ops.h"
#include "tensor.h"

/* A recorded operation. `backward` receives the node and the gradient of its output and
 * must add into the grads of its inputs via tide_ag_accumulate. Guarantees to backward
 * functions (autograd.c):
 *  - grad_out is a CONTIGUOUS f32 tensor of the output's shape;
 *  - a leaf's ->grad, once it exists, is a contiguous f32 tensor of the leaf's shape with
 *    storage of its own, so it may be updated in place (sparse row updates, optimizers);
 *  - tide_ag_save(n, out) of the node's own output stores a history-free alias (no cycle);
 *  - inputs may be NULL (optional operands) and are skipped by the sweep;
 *  - backward runs with grad mode off; returning TIDE_ERR (message set) aborts the sweep
 *    and the error is reported as "backward of <name>: <message>".
 *  - every input and saved tensor must be unchanged since it was captured: tide_backward
 *    checks the storage versions of all reachable nodes BEFORE running any backward and
 *    fails (no gradient touched) when something wrote into one in place (copy, fill, set,
 *    random fills, index_add_, *_out, optimizer steps, also through a view);
 * After a sweep every node it used is "spent" (backward == NULL, inputs/saved released):
 * a second backward through it fails with a clear message. */
typedef struct tide_node tide_node;
typedef int (*tide_backward_fn)(tide_node *n, const tide_tensor *grad_out);

#define TIDE_NODE_MAX_INPUTS 8
#define TIDE_NODE_MAX_SAVED 8

struct tide_node {
    const char *name;                               /* op name, for messages */
    tide_backward_fn backward;
    int ninputs;
    tide_tensor *inputs[TIDE_NODE_MAX_INPUTS];      /* retained */
    int nsaved;
    tide_tensor *saved[TIDE_NODE_MAX_SAVED];        /* retained */
    double scalars[8];                              /* op parameters (dims, eps, ...) */
    int64_t ints[TIDE_MAX_DIMS * 2];
    void *ctx;                                      /* extra op state, freed with free() */
    int64_t seq;                                    /* creation order on the tape */    /* in-place safety (PyTorch's version counters): the storage version of every input and
     * saved tensor when it was captured; tide_backward refuses to run when one changed.
     * Inputs whose bit is set in value_free are not checked: the backward reads only their
     * shape (add, sub, views, sum, ...) or only for another input's gradient when that
     * input needs none (x in x * c), so writing into them later is harmless. */
    uint64_t input_version[TIDE_NODE_MAX_INPUTS];
    uint64_t saved_version[TIDE_NODE_MAX_SAVED];
    unsigned value_free;
};

/* Marks inputs (bit i = input i) whose values n's backward never reads, only their shape
 * (and node and grad): their version is not checked and n's reference to them is a shape
 * reference (tensor.h), so their storage can be freed as soon as nothing else reads it.
 * Call right after recording; NULL-safe. */
void tide_ag_value_free(tide_node *n, unsigned mask);

/* ---- grad mode ---- */
int tide_grad_enabled(void);
int tide_set_grad_enabled(int on); /* returns the previous setting */
int tide_needs_grad(const tide_tensor *t);

/* ---- anomaly detection (autograd_anomaly.c; off by default, it scans every value) ----
 * On: the first recorded op whose output holds a NaN/Inf while its inputs are finite is noted
 * ("log -> f32 [4]", read with tide_anomaly_forward; cleared when the mode is switched on), and
 * tide_backward fails at the first node whose backward turns a finite gradient into a
 * non-finite one, naming the op. */
int tide_set_detect_anomaly(int on); /* returns the previous setting */
int tide_detect_anomaly(void);
const char *tide_anomaly_forward(void); /* "" when nothing was noted */
/* 1 when every element of t is finite (always 1 for integer tensors and NULL). */
int tide_tensor_all_finite(const tide_tensor *t);

/* ---- leaves and gradients ---- */
int tide_set_requires_grad(tide_tensor *t, int on); /* error on non-f32 or non-leaf off */
void tide_zero_grad(tide_tensor *t);                 /* drops t->grad */
tide_tensor *tide_detach(tide_tensor *t);            /* same storage, no history */
/* Adds g (summed down to t's shape) into t->grad, creating it on first use. */
int tide_ag_accumulate(tide_tensor *t, const tide_tensor *g);
/* Backpropagates from root. grad_out NULL means ones (root must then have one element). */
int tide_backward(tide_tensor *root, const tide_tensor *grad_out);

/* Creates a node for `out` if grad mode is on and any input needs grad, and sets *node to it
 * (for the caller to fill saved/params) or to NULL when no node is needed. Returns TIDE_OK, or
 * TIDE_ERR ("<name>: out of memory recording its autograd node") when the node cannot be
 * allocated: nothing is recorded and the caller releases `out` and reports the error. */
int tide_ag_try_record(tide_tensor *out, const char *name, tide_backward_fn backward,
                       int ninputs, tide_tensor *const *inputs, tide_node **node);
/* The same for callers that cannot report an error: the node or NULL (none needed); aborts
 * with the message if the node cannot be allocated, since a silently missing node would
 * mean silently missing gradients. No engine op uses it (every op, nn layers included,
 * reports the failure through tide_ag_try_record); kept for custom ops in tests. */
tide_node *tide_ag_record(tide_tensor *out, const char *name, tide_backward_fn backward,
                          int ninputs, tide_tensor *const *inputs);
void tide_ag_save(tide_node *n, tide_tensor *t); /* retains t */

/* ---- differentiable ops (same semantics as the raw versions) ---- */
tide_tensor *tide_ag_unary(tide_unop op, tide_tensor *a);
tide_tensor *tide_ag_binary(tide_binop op, tide_tensor *a, tide_tensor *b);
tide_tensor *tide_ag_binary_scalar(tide_binop op, tide_tensor *a, double s, int reversed);
tide_tensor *tide_ag_clamp(tide_tensor *a, double lo, double hi);
tide_tensor *tide_ag_where(tide_tensor *cond, tide_tensor *a, tide_tensor *b);
tide_tensor *tide_ag_reduce(tide_redop op, tide_tensor *a, const int *dims, int ndims,
                            int keepdim, int unbiased);
tide_tensor *tide_ag_matmul(tide_tensor *a, tide_tensor *b);
tide_tensor *tide_ag_gather(tide_tensor *a, int dim, tide_tensor *index);
tide_tensor *tide_ag_scatter_add(tide_tensor *a, int dim, tide_tensor *index, tide_tensor *src);
tide_tensor *tide_ag_index_select(tide_tensor *a, int dim, tide_tensor *index);
tide_tensor *tide_ag_index_add(tide_tensor *a, int dim, tide_tensor *index, tide_tensor *src);
tide_tensor *tide_ag_masked_fill(tide_tensor *a, tide_tensor *mask, double v);
tide_tensor *tide_ag_cumsum(tide_tensor *a, int dim);
/* topk/sort: values are differentiable (gradient scattered back through indices) */
int tide_ag_topk(tide_tensor *a, int64_t k, int largest, tide_tensor **values,
                 tide_tensor **indices);
int tide_ag_sort(tide_tensor *a, int dim, int descending, tide_tensor **values,
                 tide_tensor **indices);
/* cat/stack (ops.h): any n >= 1; more than TIDE_NODE_MAX_INPUTS inputs are joined as a
 * tree of nodes. Gradients are the matching slices of the output gradient. */
tide_tensor *tide_ag_cat(tide_tensor *const *ts, int n, int dim);
tide_tensor *tide_ag_stack(tide_tensor *const *ts, int n, int dim);

/* views */
tide_tensor *tide_ag_view(tide_tensor *t, int ndim, const int64_t *shape);
tide_tensor *tide_ag_reshape(tide_tensor *t, int ndim, const int64_t *shape);
tide_tensor *tide_ag_transpose(tide_tensor *t, int d0, int d1);
tide_tensor *tide_ag_permute(tide_tensor *t, const int *perm);
tide_tensor *tide_ag_narrow(tide_tensor *t, int dim, int64_t start, int64_t len);
tide_tensor *tide_ag_select(tide_tensor *t, int dim, int64_t index);
tide_tensor *tide_ag_expand(tide_tensor *t, int ndim, const int64_t *shape);
tide_tensor *tide_ag_squeeze(tide_tensor *t, int dim);
tide_tensor *tide_ag_unsqueeze(tide_tensor *t, int dim);
tide_tensor *tide_ag_contiguous(tide_tensor *t);
tide_tensor *tide_ag_clone(tide_tensor *t);
tide_tensor *tide_ag_cast(tide_tensor *t, tide_dtype dt);

#endif
