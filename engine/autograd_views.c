/* autograd_views.c — differentiable views, contiguous, clone and cast.
 *
 * A view's backward maps the gradient back to the base's geometry: reshape/squeeze/
 * unsqueeze reshape it, transpose/permute apply the inverse permutation, narrow/select add
 * it into the matching slice of the base's gradient in place, expand lets tide_ag_accumulate sum the
 * broadcast dims. contiguous of an already contiguous tensor returns the tensor itself, so
 * no node is recorded (tide_ag_try_record refuses out == input). */
#include "autograd_internal.h"

static int bw_reshape(tide_node *n, const tide_tensor *g)
{
    tide_tensor *a = n->inputs[0];
    if (!tide_needs_grad(a)) return TIDE_OK;
    return ag_give(a, tide_tensor_reshape((tide_tensor *)g, a->ndim, a->shape));
}

static int bw_identity(tide_node *n, const tide_tensor *g)
{
    return tide_ag_accumulate(n->inputs[0], g);
}

static tide_tensor *rec1(tide_tensor *out, const char *name, tide_backward_fn bw, tide_tensor *a,
                         tide_node **n)
{
    out = ag_wrap(out, name, bw, 1, &a, n);
    ag_value_free(*n, 1u); /* a view's backward only needs the base's geometry */
    return out;
}

tide_tensor *tide_ag_view(tide_tensor *t, int ndim, const int64_t *shape)
{
    tide_node *n;
    return rec1(tide_tensor_view(t, ndim, shape), "view", bw_reshape, t, &n);
}

tide_tensor *tide_ag_reshape(tide_tensor *t, int ndim, const int64_t *shape)
{
    tide_node *n;
    return rec1(tide_tensor_reshape(t, ndim, shape), "reshape", bw_reshape, t, &n);
}

tide_tensor *tide_ag_squeeze(tide_tensor *t, int dim)
{
    tide_node *n;
    return rec1(tide_tensor_squeeze(t, dim), "squeeze", bw_reshape, t, &n);
}

tide_tensor *tide_ag_unsqueeze(tide_tensor *t, int dim)
{
    tide_node *n;
    return rec1(tide_tensor_unsqueeze(t, dim), "unsqueeze", bw_reshape, t, &n);
}

/* ---- transpose / permute: ints[0..ndim) = inverse permutation ---- */

static int bw_permute(tide_node *n, const tide_tensor *g)
{
    tide_tensor *a = n->inputs[0];
    if (!tide_needs_grad(a)) return TIDE_OK;
    int inv[TIDE_MAX_DIMS];
    for (int i = 0; i < a->ndim; i++) inv[i] = (int)n->ints[i];
    return ag_give(a, tide_tensor_permute((tide_tensor *)g, inv));
}

static void set_inverse(tide_node *n, const int *perm, int ndim)
{
    for (int i = 0; i < ndim; i++) n->ints[perm[i]] = i;
}

tide_tensor *tide_ag_transpose(tide_tensor *t, int d0, int d1)
{
    tide_node *n;
    tide_tensor *out = rec1(tide_tensor_transpose(t, d0, d1), "transpose", bw_permute, t, &n);
    if (n) {
        int perm[TIDE_MAX_DIMS];
        for (int i = 0; i < t->ndim; i++) perm[i] = i;
        d0 = tide_norm_dim(d0, t->ndim, "transpose"), d1 = tide_norm_dim(d1, t->ndim, "transpose");
        perm[d0] = d1, perm[d1] = d0;
        set_inverse(n, perm, t->ndim);
    }
    return out;
}

tide_tensor *tide_ag_permute(tide_tensor *t, const int *perm)
{
    tide_node *n;
    tide_tensor *out = rec1(tide_tensor_permute(t, perm), "permute", bw_permute, t, &n);
    if (n) {
        int p[TIDE_MAX_DIMS];
        for (int i = 0; i < t->ndim; i++) p[i] = tide_norm_dim(perm[i], t->ndim, "permute");
        set_inverse(n, p, t->ndim);
    }
    return out;
}

/* ---- narrow / select: ints[0] = dim, ints[1] = start/index, ints[2] = 1 for select ---- */

static int bw_slice(tide_node *n, const tide_tensor *g)
{
    tide_tensor *a = n->inputs[0];
    if (!tide_needs_grad(a)) return TIDE_OK;
    /* add g straight into the slice of a's gradient: no zero tensor of a's size per slice */
    tide_tensor *ga = ag_writable_grad(a);
    if (!ga) return TIDE_ERR;
    int dim = (int)n->ints[0];
    tide_tensor *v = n->ints[2] ? tide_tensor_select(ga, dim, n->ints[1])
                                : tide_tensor_narrow(ga, dim, n->ints[1], g->shape[dim]);
    int rc = v ? tide_binary_out(v, TIDE_ADD, v, g) : TIDE_ERR;
    tide_tensor_release(v);
    return rc;
}

tide_tensor *tide_ag_narrow(tide_tensor *t, int dim, int64_t start, int64_t len)
{
    tide_node *n;
    tide_tensor *out = rec1(tide_tensor_narrow(t, dim, start, len), "narrow", bw_slice, t, &n);
    if (n) n->ints[0] = tide_norm_dim(dim, t->ndim, "narrow"), n->ints[1] = start, n->ints[2] = 0;
    return out;
}

tide_tensor *tide_ag_select(tide_tensor *t, int dim, int64_t index)
{
    tide_node *n;
    tide_tensor *out = rec1(tide_tensor_select(t, dim, index), "select", bw_slice, t, &n);
    if (n) {
        int d = tide_norm_dim(dim, t->ndim, "select");
        n->ints[0] = d, n->ints[1] = index < 0 ? index + t->shape[d] : index, n->ints[2] = 1;
    }
    return out;
}

/* ---- expand, contiguous, clone, cast: the gradient passes through (summed by accumulate) */

tide_tensor *tide_ag_expand(tide_tensor *t, int ndim, const int64_t *shape)
{
    tide_node *n;
    return rec1(tide_tensor_expand(t, ndim, shape), "expand", bw_identity, t, &n);
}

tide_tensor *tide_ag_contiguous(tide_tensor *t)
{
    tide_node *n;
    return rec1(tide_tensor_contiguous(t), "contiguous", bw_identity, t, &n);
}

tide_tensor *tide_ag_clone(tide_tensor *t)
{
    tide_node *n;
    return rec1(tide_tensor_clone(t), "clone", bw_identity, t, &n);
}

tide_tensor *tide_ag_cast(tide_tensor *t, tide_dtype dt)
{
    tide_node *n; /* only f32 -> f32 is recorded: integer results carry no gradient */
    return rec1(tide_tensor_cast(t, dt), "cast", bw_identity, t, &n);
}
