/* nn_linear.c — fully connected layer y = act(x W^T + b) with an optional fused activation,
 * forward and backward side by side, plus the elementwise activations the layers share. */
#include <stdlib.h>

#include "nn_internal.h"

void tide_act_forward(float *y, const float *x, int64_t n, tide_act act)
{
    switch (act) {
    case TIDE_ACT_NONE:
        if (y != x) memcpy(y, x, (size_t)n * sizeof *y);
        break;
    case TIDE_ACT_RELU:
        for (int64_t i = 0; i < n; i++) y[i] = x[i] > 0.0f ? x[i] : 0.0f;
        break;
    case TIDE_ACT_GELU:
        for (int64_t i = 0; i < n; i++) y[i] = nn_geluf(x[i]);
        break;
    case TIDE_ACT_TANH:
        for (int64_t i = 0; i < n; i++) y[i] = nn_tanhf(x[i]);
        break;
    case TIDE_ACT_SIGMOID:
        for (int64_t i = 0; i < n; i++) y[i] = nn_sigmoidf(x[i]);
        break;
    }
}

void tide_act_backward(float *dx, const float *dy, const float *x, int64_t n, tide_act act)
{
    switch (act) {
    case TIDE_ACT_NONE:
        if (dx != dy) memcpy(dx, dy, (size_t)n * sizeof *dx);
        break;
    case TIDE_ACT_RELU:
        for (int64_t i = 0; i < n; i++) dx[i] = x[i] > 0.0f ? dy[i] : 0.0f;
        break;
    case TIDE_ACT_GELU:
        for (int64_t i = 0; i < n; i++) dx[i] = dy[i] * nn_gelu_gradf(x[i]);
        break;
    case TIDE_ACT_TANH:
        for (int64_t i = 0; i < n; i++) {
            float t = nn_tanhf(x[i]);
            dx[i] = dy[i] * (1.0f - t * t);
        }
        break;
    case TIDE_ACT_SIGMOID:
        for (int64_t i = 0; i < n; i++) {
            float s = nn_sigmoidf(x[i]);
            dx[i] = dy[i] * s * (1.0f - s);
        }
        break;
    }
}

/* out, pre: [N,O]  x: [N,In]  w: [O,In]  b: [O] or NULL.
 * Saves nothing itself; the backward needs x, w and (for an activation) pre. */
void tide_linear_forward(float *out, float *pre, const float *x, const float *w, const float *b,
                         int64_t N, int64_t In, int64_t O, tide_act act)
{
    if (!pre) pre = out;
    nn_gemm(0, 1, N, O, In, 1.0f, x, In, w, In, 0.0f, pre, O);
    for (int64_t r = 0; r < N; r++) {
        float *p = pre + r * O, *o = out + r * O;
        if (b)
            for (int64_t j = 0; j < O; j++) p[j] += b[j];
        if (act != TIDE_ACT_NONE || o != p) tide_act_forward(o, p, O, act);
    }
}

/* dx: [N,In]  dw: [O,In]  db: [O]  (NULL = not wanted; ADDED into)
 * dout, pre: [N,O]  x: [N,In]  w: [O,In]  scratch: [N,O] when act != NONE */
void tide_linear_backward(float *dx, float *dw, float *db, const float *dout, const float *pre,
                          const float *x, const float *w, int64_t N, int64_t In, int64_t O,
                          tide_act act, float *scratch)
{
    const float *dpre = dout;
    if (act != TIDE_ACT_NONE) {
        tide_act_backward(scratch, dout, pre, N * O, act);
        dpre = scratch;
    }
    if (dx) nn_gemm(0, 0, N, In, O, 1.0f, dpre, O, w, In, 1.0f, dx, In);
    if (dw) nn_gemm(1, 0, O, In, N, 1.0f, dpre, O, x, In, 1.0f, dw, In);
    if (db)
        for (int64_t r = 0; r < N; r++) {
            const float *g = dpre + r * O;
            for (int64_t j = 0; j < O; j++) db[j] += g[j];
        }
}

/* saved: [0] x contiguous, [1] pre (only with an activation); ints[0] = act */
static int linear_backward(tide_node *node, const tide_tensor *grad_out)
{
    tide_tensor *x = node->saved[0], *pre = node->nsaved > 1 ? node->saved[1] : NULL;
    tide_tensor *w = tide_nnu_input(node, 1), *b = tide_nnu_input(node, 2);
    tide_act act = (tide_act)node->ints[0];
    int64_t O = w->shape[0], In = w->shape[1], N = tide_tensor_numel(x) / (In ? In : 1);
    tide_tensor *g = tide_nnu_grad(grad_out), *wc = tide_tensor_contiguous(w);
    tide_tensor *dx = tide_nnu_wants(node, 0) ? tide_nnu_zeros_like(x) : NULL;
    tide_tensor *dw = tide_nnu_wants(node, 1) ? tide_nnu_zeros_like(w) : NULL;
    tide_tensor *db = tide_nnu_wants(node, 2) ? tide_nnu_zeros_like(b) : NULL;
    float *scratch = act != TIDE_ACT_NONE ? malloc((size_t)(N * O + 1) * sizeof(float)) : NULL;
    int rc = TIDE_ERR;
    if (!g || !wc || (act != TIDE_ACT_NONE && !scratch)) {
        if (!scratch && act != TIDE_ACT_NONE) tide_errorf("linear backward: out of memory");
        goto done;
    }
    tide_linear_backward(dx ? tide_f32(dx) : NULL, dw ? tide_f32(dw) : NULL,
                         db ? tide_f32(db) : NULL, tide_f32(g), pre ? tide_f32(pre) : NULL,
                         tide_f32(x), tide_f32(wc), N, In, O, act, scratch);
    rc = TIDE_OK;
    if (dx) rc |= tide_nnu_accum(tide_nnu_input(node, 0), dx), dx = NULL;
    if (dw) rc |= tide_nnu_accum(w, dw), dw = NULL;
    if (db) rc |= tide_nnu_accum(b, db), db = NULL;
done:
    free(scratch);
    tide_tensor_release(dx);
    tide_tensor_release(dw);
    tide_tensor_release(db);
    tide_tensor_release(g);
    tide_tensor_release(wc);
    return rc ? TIDE_ERR : TIDE_OK;
}

tide_tensor *tide_nn_linear(tide_tensor *x, tide_tensor *w, tide_tensor *b, tide_act act)
{
    const char *op = "linear";
    if (tide_nnu_check_f32(x, op, "x") || tide_nnu_check_f32(w, op, "weight")) return NULL;
    if (b && tide_nnu_check_f32(b, op, "bias")) return NULL;
    char s1[96], s2[96];
    if (w->ndim != 2 || x->ndim < 1 || x->shape[x->ndim - 1] != w->shape[1]) {
        tide_errorf("%s: x %s does not match weight %s (want x [...,in], weight [out,in])", op,
                    tide_shape_str(x, s1, sizeof s1), tide_shape_str(w, s2, sizeof s2));
        return NULL;
    }
    int64_t O = w->shape[0], In = w->shape[1];
    if (b && (b->ndim != 1 || b->shape[0] != O)) {
        tide_errorf("%s: bias %s must have shape [%lld]", op, tide_shape_str(b, s1, sizeof s1),
                    (long long)O);
        return NULL;
    }
    int64_t shape[TIDE_MAX_DIMS];
    memcpy(shape, x->shape, sizeof shape);
    shape[x->ndim - 1] = O;
    tide_tensor *xc = tide_tensor_contiguous(x), *wc = tide_tensor_contiguous(w);
    tide_tensor *bc = b ? tide_tensor_contiguous(b) : NULL;
    tide_tensor *out = tide_tensor_new(TIDE_F32, x->ndim, shape);
    tide_tensor *pre = act != TIDE_ACT_NONE ? tide_tensor_new(TIDE_F32, x->ndim, shape) : NULL;
    if (!xc || !wc || (b && !bc) || !out || (act != TIDE_ACT_NONE && !pre)) {
        tide_tensor_release(out);
        out = NULL;
        goto done;
    }
    int64_t N = In ? tide_tensor_numel(x) / In : 0;
    if (!In) N = tide_tensor_numel(out) / (O ? O : 1);
    tide_linear_forward(tide_f32(out), pre ? tide_f32(pre) : NULL, tide_f32(xc), tide_f32(wc),
                        bc ? tide_f32(bc) : NULL, N, In, O, act);
    tide_tensor *in[3] = {x, w, b};
    tide_node *node = tide_nnu_record(out, op, linear_backward, 3, in);
    if (node) {
        node->ints[0] = act;
        tide_ag_save(node, xc);
        if (pre) tide_ag_save(node, pre);
    }
done:
    tide_tensor_release(xc);
    tide_tensor_release(wc);
    tide_tensor_release(bc);
    tide_tensor_release(pre);
    return out;
}
