/* autograd_index.c — differentiable matmul and indexing ops.
 *
 * matmul C = A B (batched, broadcast, 1-D operands as row/column):
 *   dA = dC B^T summed over A's broadcast batch dims, dB = A^T dC likewise. Transposes are
 *   header-only views that BLAS reads with a trans flag. When B is one matrix applied to a
 *   batch of row blocks (the linear-layer case [.., n, k] x [k, m]), dB is ONE gemm over the
 *   flattened rows instead of a batch of products summed afterwards.
 * gather <-> scatter_add and index_select <-> index_add are each other's adjoints. */
#include "autograd_internal.h"

static int bw_matmul(tide_node *n, const tide_tensor *g)
{
    tide_tensor *a = n->inputs[0], *b = n->inputs[1];
    int na = tide_needs_grad(a), nb = tide_needs_grad(b);
    int drop_row = a->ndim == 1, drop_col = b->ndim == 1;
    int64_t s[TIDE_MAX_DIMS];
    tide_tensor *ap = NULL, *bp = NULL, *gp = NULL, *t = NULL, *r = NULL;
    int rc = TIDE_ERR;
    s[0] = 1, s[1] = a->shape[0];
    ap = drop_row ? tide_tensor_view(a, 2, s) : tide_tensor_retain(a);
    s[0] = b->shape[0], s[1] = 1;
    bp = drop_col ? tide_tensor_view(b, 2, s) : tide_tensor_retain(b);
    /* g at the promoted output shape: batch..., n, m */
    int nbatch = g->ndim - !drop_row - !drop_col, gd = 0;
    for (int i = 0; i < nbatch; i++) s[gd++] = g->shape[i];
    s[gd++] = drop_row ? 1 : g->shape[nbatch];
    s[gd++] = drop_col ? 1 : g->shape[g->ndim - 1];
    gp = tide_tensor_view((tide_tensor *)g, gd, s);
    if (!ap || !bp || !gp) goto out;
    if (na) {
        if (!(t = tide_tensor_transpose(bp, -1, -2))) goto out;
        if (!(r = tide_matmul(gp, t))) goto out;
        tide_tensor_release(t), t = NULL;
        if (drop_row) { /* [..., 1, k] -> [..., k] */
            tide_tensor *v = tide_tensor_squeeze(r, -2);
            tide_tensor_release(r);
            if (!(r = v)) goto out;
        }
        int e = ag_give(a, r);
        r = NULL;
        if (e != TIDE_OK) goto out;
    }
    if (nb) {
        int64_t k = ap->shape[ap->ndim - 1], m = gp->shape[gp->ndim - 1];
        if (bp->ndim == 2 && ap->ndim > 2) { /* one gemm over all rows */
            s[0] = -1, s[1] = k;
            tide_tensor *af = tide_tensor_reshape(ap, 2, s);
            s[1] = m;
            tide_tensor *gf = af ? tide_tensor_view(gp, 2, s) : NULL;
            t = gf ? tide_tensor_transpose(af, 0, 1) : NULL;
            r = t ? tide_matmul(t, gf) : NULL;
            tide_tensor_release(af), tide_tensor_release(gf);
        } else {
            t = tide_tensor_transpose(ap, -1, -2);
            r = t ? tide_matmul(t, gp) : NULL;
        }
        if (!r) goto out;
        if (drop_col) { /* [..., k, 1] -> [..., k] */
            tide_tensor *v = tide_tensor_squeeze(r, -1);
            tide_tensor_release(r);
            if (!(r = v)) goto out;
        }
        int e = ag_give(b, r);
        r = NULL;
        if (e != TIDE_OK) goto out;
    }
    rc = TIDE_OK;
out:
    tide_tensor_release(ap), tide_tensor_release(bp), tide_tensor_release(gp);
    tide_tensor_release(t), tide_tensor_release(r);
    return rc;
}

tide_tensor *tide_ag_matmul(tide_tensor *a, tide_tensor *b)
{
    tide_tensor *in[2] = {a, b};
    tide_node *n;
    tide_tensor *out = ag_wrap(tide_matmul(a, b), "matmul", bw_matmul, 2, in, &n);
    /* dA = dC B^T reads B, dB = A^T dC reads A: each is needed only for the other's grad */
    if (!tide_needs_grad(b)) ag_value_free(n, 1u);
    if (!tide_needs_grad(a)) ag_value_free(n, 2u);
    return out;
}

/* ---- gather / scatter_add ---- ints[0] = dim, saved[0] = index */

int ag_bw_scatter_back(tide_node *n, const tide_tensor *g)
{
    tide_tensor *a = n->inputs[0];
    if (!tide_needs_grad(a)) return TIDE_OK;
    tide_tensor *ga = tide_tensor_new(TIDE_F32, a->ndim, a->shape);
    if (!ga) return TIDE_ERR;
    if (tide_scatter_add_(ga, (int)n->ints[0], n->saved[0], g) != TIDE_OK) {
        tide_tensor_release(ga);
        return TIDE_ERR;
    }
    return ag_give(a, ga);
}

tide_tensor *tide_ag_gather(tide_tensor *a, int dim, tide_tensor *index)
{
    tide_node *n;
    tide_tensor *out = ag_wrap(tide_gather(a, dim, index), "gather", ag_bw_scatter_back, 1, &a, &n);
    ag_value_free(n, 1u); /* only the saved index is read */
    if (n) {
        n->ints[0] = tide_norm_dim(dim, a->ndim, "gather");
        tide_ag_save(n, index);
    }
    return out;
}

static int bw_scatter_add(tide_node *n, const tide_tensor *g)
{
    tide_tensor *a = n->inputs[0], *src = n->inputs[1];
    if (tide_ag_accumulate(a, g) != TIDE_OK) return TIDE_ERR;
    if (!tide_needs_grad(src)) return TIDE_OK;
    return ag_give(src, tide_gather(g, (int)n->ints[0], n->saved[0]));
}

tide_tensor *tide_ag_scatter_add(tide_tensor *a, int dim, tide_tensor *index, tide_tensor *src)
{
    tide_tensor *in[2] = {a, src};
    tide_node *n;
    tide_tensor *out = ag_wrap(tide_scatter_add(a, dim, index, src), "scatter_add",
                               bw_scatter_add, 2, in, &n);
    ag_value_free(n, 3u);
    if (n) {
        n->ints[0] = tide_norm_dim(dim, a->ndim, "scatter_add");
        tide_ag_save(n, index);
    }
    return out;
}

/* ---- index_select / index_add ---- */

static int bw_index_select(tide_node *n, const tide_tensor *g)
{
    tide_tensor *a = n->inputs[0];
    if (!tide_needs_grad(a)) return TIDE_OK;
    tide_tensor *ga = tide_tensor_new(TIDE_F32, a->ndim, a->shape);
    if (!ga) return TIDE_ERR;
    if (tide_index_add_(ga, (int)n->ints[0], n->saved[0], g) != TIDE_OK) {
        tide_tensor_release(ga);
        return TIDE_ERR;
    }
    return ag_give(a, ga);
}

tide_tensor *tide_ag_index_select(tide_tensor *a, int dim, tide_tensor *index)
{
    tide_node *n;
    tide_tensor *out = ag_wrap(tide_index_select(a, dim, index), "index_select", bw_index_select,
                               1, &a, &n);
    ag_value_free(n, 1u);
    if (n) {
        n->ints[0] = tide_norm_dim(dim, a->ndim, "index_select");
        tide_ag_save(n, index);
    }
    return out;
}

static int bw_index_add(tide_node *n, const tide_tensor *g)
{
    tide_tensor *a = n->inputs[0], *src = n->inputs[1];
    if (tide_ag_accumulate(a, g) != TIDE_OK) return TIDE_ERR;
    if (!tide_needs_grad(src)) return TIDE_OK;
    return ag_give(src, tide_index_select(g, (int)n->ints[0], n->saved[0]));
}

tide_tensor *tide_ag_index_add(tide_tensor *a, int dim, tide_tensor *index, tide_tensor *src)
{
    tide_tensor *in[2] = {a, src};
    tide_node *n;
    tide_tensor *out = ag_wrap(tide_index_add(a, dim, index, src), "index_add", bw_index_add, 2,
                               in, &n);
    ag_value_free(n, 3u);
    if (n) {
        n->ints[0] = tide_norm_dim(dim, a->ndim, "index_add");
        tide_ag_save(n, index);
    }
    return out;
}
