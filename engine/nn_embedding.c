/* nn_embedding.c — embedding lookup with a padding id, and a backward that touches only the
 * rows that were looked up (so a large item table costs O(batch) per step, not O(V)). */
#include <stdlib.h>

#include "nn_internal.h"

/* out: [N,D]  w: [V,D]  ids: [N] 0-based and in range (-1 = padding: reads nothing, gives 0) */
void tide_embedding_forward(float *out, const float *w, const int64_t *ids, int64_t N, int64_t D)
{
    for (int64_t i = 0; i < N; i++) {
        if (ids[i] < 0) memset(out + i * D, 0, (size_t)D * sizeof *out);
        else memcpy(out + i * D, w + ids[i] * D, (size_t)D * sizeof *out);
    }
}

/* dw: [V,D] ADDED into, rows of ids only  dout: [N,D]  ids: [N]
 * Padding (id < 0, or id == padding_idx) gets no gradient. */
void tide_embedding_backward(float *dw, const float *dout, const int64_t *ids, int64_t N,
                             int64_t D, int64_t padding_idx)
{
    for (int64_t i = 0; i < N; i++) {
        if (ids[i] < 0 || ids[i] == padding_idx) continue;
        float *row = dw + ids[i] * D;
        const float *g = dout + i * D;
        for (int64_t j = 0; j < D; j++) row[j] += g[j];
    }
}

/* saved[0]: i64 tensor of 0-based ids [N]; ints[0] = padding_idx (0-based, -1 none) */
static int embedding_backward(tide_node *node, const tide_tensor *grad_out)
{
    tide_tensor *w = node->inputs[0];
    tide_tensor *ids = node->saved[0];
    int64_t N = tide_tensor_numel(ids), D = w->shape[1];
    tide_tensor *g = tide_nnu_grad(grad_out);
    if (!g) return TIDE_ERR;
    /* In place into an existing dense leaf gradient: only touched rows are read or written. */
    tide_tensor *wg = w->grad;
    if (!w->node && wg && wg->dtype == TIDE_F32 && tide_same_shape(wg, w) &&
        tide_tensor_is_contiguous(wg) && wg->storage->refcount == 1 && wg->refcount == 1) {
        tide_embedding_backward(tide_f32(wg), tide_f32(g), tide_i64(ids), N, D, node->ints[0]);
        tide_tensor_release(g);
        return TIDE_OK;
    }
    tide_tensor *dw = tide_nnu_zeros_like(w);
    if (dw) tide_embedding_backward(tide_f32(dw), tide_f32(g), tide_i64(ids), N, D, node->ints[0]);
    tide_tensor_release(g);
    if (dw && !w->node && !w->grad && w->requires_grad) {
        /* a first gradient for a leaf table: ours is already a contiguous f32 tensor with its
         * own storage (the leaf-grad contract of autograd.c), so hand it over instead of
         * letting accumulate clone [V,D] */
        w->grad = dw;
        return TIDE_OK;
    }
    return tide_nnu_accum(w, dw);
}

tide_tensor *tide_nn_embedding(tide_tensor *w, const tide_tensor *ids, int64_t base,
                               int64_t padding_idx)
{
    const char *op = "embedding";
    if (tide_nnu_check_f32(w, op, "weight")) return NULL;
    if (w->ndim != 2) {
        char s[96];
        tide_errorf("%s: weight must be 2-D [V,D], got %s", op, tide_shape_str(w, s, sizeof s));
        return NULL;
    }
    if (ids && ids->ndim + 1 > TIDE_MAX_DIMS) {
        tide_errorf("%s: ids have too many dims (%d)", op, ids->ndim);
        return NULL;
    }
    int64_t V = w->shape[0], D = w->shape[1];
    int64_t pad = padding_idx == INT64_MIN ? -1 : padding_idx - base;
    if (padding_idx != INT64_MIN && (pad < 0 || pad >= V)) {
        tide_errorf("%s: padding index %lld is outside [%lld, %lld]", op, (long long)padding_idx,
                    (long long)base, (long long)(V - 1 + base));
        return NULL;
    }
    /* the padding row is still read (as PyTorch does); only its gradient is dropped */
    int64_t *idv = tide_nnu_ids(ids, base, V, INT64_MIN, op, "ids");
    if (!idv) return NULL;
    int64_t N = tide_tensor_numel(ids);
    int64_t shape[TIDE_MAX_DIMS];
    memcpy(shape, ids->shape, (size_t)ids->ndim * sizeof *shape);
    shape[ids->ndim] = D;
    tide_tensor *wc = tide_tensor_contiguous(w);
    tide_tensor *out = tide_tensor_empty(TIDE_F32, ids->ndim + 1, shape);
    if (!wc || !out) goto fail;
    tide_embedding_forward(tide_f32(out), tide_f32(wc), idv, N, D);
    tide_tensor_release(wc);
    wc = NULL;
    tide_node *node;
    out = tide_nnu_wrap(out, op, embedding_backward, 1, &w, &node);
    if (!out) goto fail;
    if (node) {
        int64_t n1 = N;
        tide_tensor *saved = tide_tensor_from_data(TIDE_I64, 1, &n1, idv);
        if (!saved) goto fail;
        tide_ag_save(node, saved);
        tide_tensor_release(saved);
        node->ints[0] = pad;
    }
    free(idv);
    return out;
fail:
    free(idv);
    tide_tensor_release(wc);
    tide_tensor_release(out);
    return NULL;
}
