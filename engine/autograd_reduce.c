/* autograd_reduce.c — differentiable reductions, cumsum, and the values of topk/sort.
 *
 * A reduction's gradient is the output gradient viewed at the "keepdim" shape (reduced dims
 * of size 1) and broadcast back over the input:
 *   sum: g            mean: g / N
 *   max/min: g split evenly over the elements equal to the result (PyTorch's amax rule)
 *   var: g * 2 (x - mean) / (N - ddof)      std: g * (x - mean) / ((N - ddof) * std)
 *   logsumexp: g * exp(x - lse)  (softmax weights; never overflows since x <= lse)
 *   prod: g * (product of the other elements), computed from prefix and suffix products so
 *         zeros in the input are handled exactly (no division by x).
 * cumsum's gradient is the reversed cumulative sum of g; topk and sort scatter g back to
 * the positions their indices came from. */
#include <math.h>
#include <stdlib.h>

#include "autograd_internal.h"

/* ints[0] = bitmask of reduced dims, ints[1] = keepdim, ints[2] = unbiased, ints[3] = op */

static int reduced_dims(const tide_node *n, int ndim, int *dims, int64_t *kshape,
                        const tide_tensor *a, int64_t *count)
{
    int nd = 0;
    *count = 1;
    for (int i = 0; i < ndim; i++) {
        kshape[i] = a->shape[i];
        if (n->ints[0] >> i & 1) {
            dims[nd++] = i;
            *count *= a->shape[i];
            kshape[i] = 1;
        }
    }
    return nd;
}

/* prod's "product of the others" for each element, at a's shape */
static tide_tensor *prod_others(tide_tensor *a, const int *dims, int nd)
{
    int perm[TIDE_MAX_DIMS], inv[TIDE_MAX_DIMS], np = 0, isred[TIDE_MAX_DIMS] = {0};
    int64_t R = 1;
    for (int i = 0; i < nd; i++) isred[dims[i]] = 1, R *= a->shape[dims[i]];
    for (int i = 0; i < a->ndim; i++) if (!isred[i]) perm[np++] = i;
    for (int i = 0; i < a->ndim; i++) if (isred[i]) perm[np++] = i;
    for (int i = 0; i < a->ndim; i++) inv[perm[i]] = i;
    tide_tensor *pv = tide_tensor_permute(a, perm);
    tide_tensor *pc = pv ? ag_contig(pv) : NULL;
    tide_tensor_release(pv);
    tide_tensor *ex = pc ? tide_tensor_new(TIDE_F32, pc->ndim, pc->shape) : NULL;
    double *pre = malloc((size_t)(R > 0 ? R : 1) * sizeof *pre);
    if (!pc || !ex || !pre) {
        tide_tensor_release(pc), tide_tensor_release(ex), free(pre);
        return pre ? NULL : (tide_errorf("prod backward: out of memory"), NULL);
    }
    const float *x = tide_f32(pc);
    float *e = tide_f32(ex);
    int64_t rows = R ? tide_tensor_numel(pc) / R : 0;
    for (int64_t r = 0; r < rows; r++) {
        const float *xr = x + r * R;
        float *er = e + r * R;
        double acc = 1.0;
        for (int64_t j = 0; j < R; j++) pre[j] = acc, acc *= xr[j];
        acc = 1.0;
        for (int64_t j = R - 1; j >= 0; j--) er[j] = (float)(pre[j] * acc), acc *= xr[j];
    }
    free(pre);
    tide_tensor_release(pc);
    tide_tensor *back = tide_tensor_permute(ex, inv);
    tide_tensor_release(ex);
    return back;
}

static int bw_reduce(tide_node *n, const tide_tensor *g)
{
    tide_tensor *a = n->inputs[0];
    if (!tide_needs_grad(a)) return TIDE_OK;
    tide_redop op = (tide_redop)n->ints[3];
    int dims[TIDE_MAX_DIMS];
    int64_t kshape[TIDE_MAX_DIMS], N;
    int nd = reduced_dims(n, a->ndim, dims, kshape, a, &N);
    tide_tensor *gk = tide_tensor_view((tide_tensor *)g, a->ndim, kshape);
    tide_tensor *ok = n->nsaved ? tide_tensor_view(n->saved[0], a->ndim, kshape) : NULL;
    tide_tensor *t1 = NULL, *t2 = NULL, *t3 = NULL, *ga = NULL;
    if (!gk || (n->nsaved && !ok)) goto out;
    switch (op) {
    case TIDE_SUM: ga = tide_tensor_expand(gk, a->ndim, a->shape); break;
    case TIDE_MEAN:
        if ((t1 = tide_binary_scalar(TIDE_MUL, gk, 1.0 / (double)N, 0)))
            ga = tide_tensor_expand(t1, a->ndim, a->shape);
        break;
    case TIDE_MAX:
    case TIDE_MIN:
        if (!(t1 = tide_binary(TIDE_EQ, a, ok))) break;
        if (!(t2 = tide_tensor_cast(t1, TIDE_F32))) break;
        if (!(t3 = tide_reduce(TIDE_SUM, t2, dims, nd, 1, 0))) break;
        tide_tensor_release(t1);
        if (!(t1 = tide_binary(TIDE_DIV, t2, t3))) break;
        ga = tide_binary(TIDE_MUL, t1, gk);
        break;
    case TIDE_VAR:
    case TIDE_STD: {
        double denom = (double)N - (n->ints[2] ? 1.0 : 0.0);
        if (!(t1 = tide_reduce(TIDE_MEAN, a, dims, nd, 1, 0))) break;
        if (!(t2 = tide_binary(TIDE_SUB, a, t1))) break;
        if (op == TIDE_VAR) t3 = tide_binary_scalar(TIDE_MUL, gk, 2.0 / denom, 0);
        else {
            tide_tensor *q = tide_binary(TIDE_DIV, gk, ok);
            t3 = q ? tide_binary_scalar(TIDE_MUL, q, 1.0 / denom, 0) : NULL;
            tide_tensor_release(q);
        }
        if (t3) ga = tide_binary(TIDE_MUL, t2, t3);
        break;
    }
    case TIDE_LOGSUMEXP:
        if (!(t1 = tide_binary(TIDE_SUB, a, ok))) break;
        if (!(t2 = tide_unary(TIDE_EXP, t1))) break;
        ga = tide_binary(TIDE_MUL, t2, gk);
        break;
    case TIDE_PROD:
        if ((t1 = prod_others(a, dims, nd))) ga = tide_binary(TIDE_MUL, t1, gk);
        break;
    default: tide_errorf("%s is not differentiable", tide_redop_name(op)); break;
    }
out:
    tide_tensor_release(gk), tide_tensor_release(ok);
    tide_tensor_release(t1), tide_tensor_release(t2), tide_tensor_release(t3);
    return ag_give(a, ga);
}

tide_tensor *tide_ag_reduce(tide_redop op, tide_tensor *a, const int *dims, int ndims,
                            int keepdim, int unbiased)
{
    tide_node *n;
    tide_tensor *out = ag_wrap(tide_reduce(op, a, dims, ndims, keepdim, unbiased),
                               tide_redop_name(op), bw_reduce, 1, &a, &n);
    if (!n) return out;
    int64_t mask = 0;
    if (ndims == 0) mask = (1 << a->ndim) - 1;
    for (int i = 0; i < ndims; i++) mask |= (int64_t)1 << tide_norm_dim(dims[i], a->ndim, "reduce");
    n->ints[0] = mask;
    n->ints[1] = keepdim != 0;
    n->ints[2] = unbiased != 0;
    n->ints[3] = op;
    if (op == TIDE_SUM || op == TIDE_MEAN) ag_value_free(n, 1u);
    if (op == TIDE_MAX || op == TIDE_MIN || op == TIDE_STD || op == TIDE_LOGSUMEXP)
        tide_ag_save(n, out);
    return out;
}

/* ---- cumsum: dx[j] = sum_{i >= j} g[i] along dim ---- */

static int bw_cumsum(tide_node *n, const tide_tensor *g)
{
    tide_tensor *a = n->inputs[0];
    if (!tide_needs_grad(a)) return TIDE_OK;
    int dim = (int)n->ints[0];
    tide_tensor *dx = tide_tensor_new(TIDE_F32, a->ndim, a->shape);
    if (!dx) return TIDE_ERR;
    int64_t L = a->shape[dim], inner = 1, outer = 1;
    for (int i = 0; i < dim; i++) outer *= a->shape[i];
    for (int i = dim + 1; i < a->ndim; i++) inner *= a->shape[i];
    const float *gy = tide_f32(g);
    float *d = tide_f32(dx);
    for (int64_t o = 0; o < outer; o++)
        for (int64_t i = 0; i < inner; i++) {
            double acc = 0;
            for (int64_t l = L - 1; l >= 0; l--) {
                int64_t p = (o * L + l) * inner + i;
                acc += gy[p];
                d[p] = (float)acc;
            }
        }
    return ag_give(a, dx);
}

tide_tensor *tide_ag_cumsum(tide_tensor *a, int dim)
{
    tide_node *n;
    tide_tensor *out = ag_wrap(tide_cumsum(a, dim), "cumsum", bw_cumsum, 1, &a, &n);
    ag_value_free(n, 1u);
    if (n) n->ints[0] = tide_norm_dim(dim, a->ndim, "cumsum");
    return out;
}

/* ---- topk / sort: scatter g back through the indices ---- */

/* The caller owns the returned indices and may rewrite them (the Lua binding makes them
 * 1-based in place), so the node keeps its own copy. */
static void save_index_copy(tide_node *n, tide_tensor *idx)
{
    tide_tensor *c = tide_tensor_clone(idx);
    if (!c) {
        ag_save_failed(n);
        return;
    }
    tide_ag_save(n, c);
    tide_tensor_release(c);
}

/* Drops both results of a failed topk/sort and returns TIDE_ERR (the error is set). */
static int release_pair(tide_tensor **values, tide_tensor **indices)
{
    tide_tensor_release(*values), tide_tensor_release(*indices);
    *values = *indices = NULL;
    return TIDE_ERR;
}

int tide_ag_topk(tide_tensor *a, int64_t k, int largest, tide_tensor **values,
                 tide_tensor **indices)
{
    if (tide_topk(a, k, largest, values, indices) != TIDE_OK) return TIDE_ERR;
    tide_node *n;
    if (tide_ag_try_record(*values, "topk", ag_bw_scatter_back, 1, &a, &n) != TIDE_OK)
        return release_pair(values, indices);
    ag_value_free(n, 1u); /* the saved indices carry what backward needs */
    if (n) {
        n->ints[0] = a->ndim - 1;
        save_index_copy(n, *indices);
    }
    return TIDE_OK;
}

int tide_ag_sort(tide_tensor *a, int dim, int descending, tide_tensor **values,
                 tide_tensor **indices)
{
    if (tide_sort(a, dim, descending, values, indices) != TIDE_OK) return TIDE_ERR;
    tide_node *n;
    if (tide_ag_try_record(*values, "sort", ag_bw_scatter_back, 1, &a, &n) != TIDE_OK)
        return release_pair(values, indices);
    ag_value_free(n, 1u);
    if (n) {
        n->ints[0] = tide_norm_dim(dim, a->ndim, "sort");
        save_index_copy(n, *indices);
    }
    return TIDE_OK;
}
