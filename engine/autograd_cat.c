/* autograd_cat.c — differentiable cat and stack (raw ops in ops.h).
 *
 * A node holds at most TIDE_NODE_MAX_INPUTS inputs, so a cat of more tensors (an RNN's
 * per-step outputs, say) is built as a tree: groups of up to 8 are concatenated first and
 * the group results are concatenated again; each level costs one extra copy but keeps the
 * tape format fixed. Backward hands each input its narrow slice of the gradient. stack is
 * unsqueeze + cat. */
#include <stdlib.h>

#include "autograd_internal.h"
#include "ops.h"

/* ints[0] = dim */
static int bw_cat(tide_node *n, const tide_tensor *g)
{
    int dim = (int)n->ints[0];
    int64_t off = 0;
    for (int i = 0; i < n->ninputs; i++) {
        tide_tensor *x = n->inputs[i];
        int64_t len = x->shape[dim];
        if (tide_needs_grad(x)) {
            tide_tensor *s = tide_tensor_narrow((tide_tensor *)g, dim, off, len);
            if (ag_give(x, s) != TIDE_OK) return TIDE_ERR;
        }
        off += len;
    }
    return TIDE_OK;
}

tide_tensor *tide_ag_cat(tide_tensor *const *ts, int n, int dim)
{
    if (n <= TIDE_NODE_MAX_INPUTS) {
        tide_node *nd;
        tide_tensor *out = ag_wrap(tide_cat((const tide_tensor *const *)ts, n, dim), "cat", bw_cat,
                                   n, ts, &nd);
        if (nd) nd->ints[0] = tide_norm_dim(dim, ts[0]->ndim, "cat");
        ag_value_free(nd, 0xFFu); /* backward slices the gradient by the inputs' shapes */
        return out;
    }
    int ng = (n + TIDE_NODE_MAX_INPUTS - 1) / TIDE_NODE_MAX_INPUTS;
    tide_tensor **parts = calloc((size_t)ng, sizeof *parts);
    if (!parts) return tide_errorf("cat: out of memory"), NULL;
    tide_tensor *out = NULL;
    int ok = 1;
    for (int gi = 0; gi < ng && ok; gi++) {
        int lo = gi * TIDE_NODE_MAX_INPUTS;
        int cnt = n - lo < TIDE_NODE_MAX_INPUTS ? n - lo : TIDE_NODE_MAX_INPUTS;
        ok = (parts[gi] = tide_ag_cat(ts + lo, cnt, dim)) != NULL;
    }
    if (ok) out = tide_ag_cat(parts, ng, dim);
    for (int gi = 0; gi < ng; gi++) tide_tensor_release(parts[gi]);
    free(parts);
    return out;
}

tide_tensor *tide_ag_stack(tide_tensor *const *ts, int n, int dim)
{
    if (n < 1) return tide_errorf("stack: needs at least one tensor"), NULL;
    if ((dim = tide_norm_dim(dim, ts[0]->ndim + 1, "stack")) < 0) return NULL;
    for (int i = 1; i < n; i++)
        if (!tide_same_shape(ts[i], ts[0]) || ts[i]->dtype != ts[0]->dtype) {
            char s1[96], s2[96];
            return tide_errorf("stack: tensor %d is %s %s, tensor 1 is %s %s", i + 1,
                               tide_dtype_name(ts[i]->dtype), tide_shape_str(ts[i], s1, 96),
                               tide_dtype_name(ts[0]->dtype), tide_shape_str(ts[0], s2, 96)), NULL;
        }
    tide_tensor **u = calloc((size_t)n, sizeof *u);
    if (!u) return tide_errorf("stack: out of memory"), NULL;
    tide_tensor *out = NULL;
    int ok = 1;
    for (int i = 0; i < n && ok; i++) ok = (u[i] = tide_ag_unsqueeze(ts[i], dim)) != NULL;
    if (ok) out = tide_ag_cat(u, n, dim);
    for (int i = 0; i < n; i++) tide_tensor_release(u[i]);
    free(u);
    return out;
}
