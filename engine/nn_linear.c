/* nn_linear.c — fully connected layer y = act(x W^T + b) with an optional fused activation,
 * forward and backward side by side, plus the elementwise activations the layers share. */
#include <stdlib.h>

#include "nn_internal.h"

NN_VECTOR void tide_act_forward(float *y, const float *x, int64_t n, tide_act act)
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

NN_VECTOR void tide_act_backward(float *dx, const float *dy, const float *x, int64_t n, tide_act act)
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

/* out: [N,O]  pre: [N,O] or NULL  x: [N,In]  w: [O,In]  b: [O]/NULL  residual: [N,O]/NULL.
 * Saves pre (= x W^T + b) when an activation needs it; the dropout mask is regenerated from
 * (seed, counter) in the backward. */
void tide_linear_forward(float *out, float *pre, const float *x, const float *w, const float *b,
                         const float *residual, int64_t N, int64_t In, int64_t O,
                         const tide_linear_epi *e)
{
    tide_act act = e ? e->act : TIDE_ACT_NONE;
    float p = e ? e->dropout_p : 0.0f;
    float *acc = pre ? pre : out;
    /* With a short reduction the bias goes in first and the sgemm adds onto it (beta = 1):
     * the same sum acc + b (the kernel adds its register total to C once, as it stores it
     * with beta = 0; a reduction of <= 128 is never split into passes), without the pass
     * that zeroes C before a beta = 0 product and the pass that adds the bias after it. */
    int bias_first = b && In <= 128;
    if (bias_first)
        for (int64_t r = 0; r < N; r++) memcpy(acc + r * O, b, (size_t)O * sizeof *b);
    nn_gemm(0, 1, N, O, In, 1.0f, x, In, w, In, bias_first ? 1.0f : 0.0f, acc, O);
    float *keep = p > 0.0f ? malloc((size_t)O * sizeof *keep) : NULL;
    for (int64_t r = 0; r < N; r++) {
        float *a = acc + r * O, *o = out + r * O;
        if (b && !bias_first)
            for (int64_t j = 0; j < O; j++) a[j] += b[j];
        if (act != TIDE_ACT_NONE || o != a) tide_act_forward(o, a, O, act);
        if (keep) {
            tide_nnu_keep_mask(keep, O, e->seed, e->counter + (uint64_t)(r * O), p);
            for (int64_t j = 0; j < O; j++) o[j] *= keep[j];
        }
        if (residual) {
            const float *res = residual + r * O;
            for (int64_t j = 0; j < O; j++) o[j] += res[j];
        }
    }
    free(keep);
}

/* dx: [N,In]  dw: [O,In]  db: [O]  (NULL = not wanted; ADDED into)
 * dout, pre: [N,O]  x: [N,In]  w: [O,In]  scratch: [N,O] (may alias pre)
 * dpre = dout * keep * act'(pre); then dx = dpre W, dW = dpre^T x, db = colsum(dpre). */
/* dx_beta 0 lets the wrapper hand in an uninitialised dx (the sgemm overwrites it). */
static void linear_backward(float *dx, float dx_beta, float *dw, float *db, const float *dout,
                            const float *pre, const float *x, const float *w, int64_t N,
                            int64_t In, int64_t O, const tide_linear_epi *e, float *scratch);

void tide_linear_backward(float *dx, float *dw, float *db, const float *dout, const float *pre,
                          const float *x, const float *w, int64_t N, int64_t In, int64_t O,
                          const tide_linear_epi *e, float *scratch)
{
    linear_backward(dx, 1.0f, dw, db, dout, pre, x, w, N, In, O, e, scratch);
}

static void linear_backward(float *dx, float dx_beta, float *dw, float *db, const float *dout,
                            const float *pre, const float *x, const float *w, int64_t N,
                            int64_t In, int64_t O, const tide_linear_epi *e, float *scratch)
{
    tide_act act = e ? e->act : TIDE_ACT_NONE;
    float p = e ? e->dropout_p : 0.0f;
    const float *dpre = dout;
    if (act != TIDE_ACT_NONE || p > 0.0f) {
        /* elementwise and index-aligned, so scratch may be pre itself */
        float *keep = p > 0.0f ? malloc((size_t)O * sizeof *keep) : NULL;
        for (int64_t r = 0; r < N; r++) {
            float *s = scratch + r * O;
            tide_act_backward(s, dout + r * O, pre ? pre + r * O : NULL, O, act);
            if (keep) {
                tide_nnu_keep_mask(keep, O, e->seed, e->counter + (uint64_t)(r * O), p);
                for (int64_t j = 0; j < O; j++) s[j] *= keep[j];
            }
        }
        free(keep);
        dpre = scratch;
    }
    if (dx) nn_gemm(0, 0, N, In, O, 1.0f, dpre, O, w, In, dx_beta, dx, In);
    if (dw) nn_gemm(1, 0, O, In, N, 1.0f, dpre, O, x, In, 1.0f, dw, In);
    if (db)
        for (int64_t r = 0; r < N; r++) {
            const float *g = dpre + r * O;
            for (int64_t j = 0; j < O; j++) db[j] += g[j];
        }
}

/* inputs x, w, b, residual (absent skipped); saved: [0] x contiguous, [1] pre, or the output
 * for a ReLU without residual (only with an activation); ints[0] = act, ints[1] = seed, ints[2] = counter; scalars[0] = dropout p */
static int linear_node_backward(tide_node *node, const tide_tensor *grad_out)
{
    tide_tensor *x = node->saved[0], *pre = node->nsaved > 1 ? node->saved[1] : NULL;
    tide_tensor *w = tide_nnu_input(node, 1), *b = tide_nnu_input(node, 2);
    tide_linear_epi e = {(tide_act)node->ints[0], (float)node->scalars[0],
                         (uint64_t)node->ints[1], (uint64_t)node->ints[2]};
    int64_t O = w->shape[0], In = w->shape[1], N = tide_tensor_numel(x) / (In ? In : 1);
    if (!In) N = tide_tensor_numel(grad_out) / (O ? O : 1);
    tide_tensor *g = tide_nnu_grad(grad_out), *wc = tide_tensor_contiguous(w);
    /* dx is overwritten by its sgemm (beta 0): no need to zero it */
    tide_tensor *dx = tide_nnu_wants(node, 0) ? tide_tensor_empty(TIDE_F32, x->ndim, x->shape)
                                              : NULL;
    tide_tensor *dw = tide_nnu_wants(node, 1) ? tide_nnu_zeros_like(w) : NULL;
    tide_tensor *db = tide_nnu_wants(node, 2) ? tide_nnu_zeros_like(b) : NULL;
    int need = e.act != TIDE_ACT_NONE || e.dropout_p > 0.0f;
    /* The node runs once and then frees what it saved, so an unshared `pre` can hold dpre. */
    int reuse = pre && pre->refcount == 1 && pre->storage->refcount == 1;
    float *owned = need && !reuse ? malloc((size_t)(N * O + 1) * sizeof(float)) : NULL;
    float *scratch = reuse ? tide_f32(pre) : owned;
    int rc = TIDE_ERR;
    if (!g || !wc || (need && !scratch)) {
        if (g && wc) tide_errorf("linear backward: out of memory");
        goto done;
    }
    if (tide_nnu_wants(node, 3)) /* d residual = dout */
        if (tide_ag_accumulate(tide_nnu_input(node, 3), g) != TIDE_OK) goto done;
    linear_backward(dx ? tide_f32(dx) : NULL, 0.0f, dw ? tide_f32(dw) : NULL,
                    db ? tide_f32(db) : NULL, tide_f32(g), pre ? tide_f32(pre) : NULL, tide_f32(x),
                    tide_f32(wc), N, In, O, &e, scratch);
    rc = TIDE_OK;
    if (dx) rc |= tide_nnu_accum(tide_nnu_input(node, 0), dx), dx = NULL;
    if (dw) rc |= tide_nnu_accum(w, dw), dw = NULL;
    if (db) rc |= tide_nnu_accum(b, db), db = NULL;
done:
    free(owned);
    tide_tensor_release(dx);
    tide_tensor_release(dw);
    tide_tensor_release(db);
    tide_tensor_release(g);
    tide_tensor_release(wc);
    return rc ? TIDE_ERR : TIDE_OK;
}

/* ReLU's derivative can be read from the output when nothing is added after it: with the
 * dropout keep factor k in {0, 1/(1-p)} >= 1, out = k * max(pre, 0) > 0 exactly when the
 * element was kept and pre > 0, so [out > 0] * k = [pre > 0] * k bit for bit. */
static int relu_from_output(tide_act act, const tide_tensor *residual)
{
    return act == TIDE_ACT_RELU && !residual;
}

tide_tensor *tide_nn_linear(tide_tensor *x, tide_tensor *w, tide_tensor *b, tide_act act)
{
    return tide_nn_linear_ex(x, w, b, act, 0.0, NULL, NULL);
}

tide_tensor *tide_nn_linear_ex(tide_tensor *x, tide_tensor *w, tide_tensor *b, tide_act act,
                               double p, tide_rng *rng, tide_tensor *residual)
{
    const char *op = "linear";
    if (tide_nnu_check_f32(x, op, "x") || tide_nnu_check_f32(w, op, "weight")) return NULL;
    if (b && tide_nnu_check_f32(b, op, "bias")) return NULL;
    if (residual && tide_nnu_check_f32(residual, op, "residual")) return NULL;
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
    if (!(p >= 0.0 && p < 1.0)) {
        tide_errorf("%s: dropout must be in [0, 1), got %g", op, p);
        return NULL;
    }
    int64_t shape[TIDE_MAX_DIMS];
    memcpy(shape, x->shape, sizeof shape);
    shape[x->ndim - 1] = O;
    if (residual) {
        int ok = residual->ndim == x->ndim;
        for (int i = 0; ok && i < x->ndim; i++) ok = residual->shape[i] == shape[i];
        if (!ok) {
            tide_errorf("%s: residual %s must have the output's shape", op,
                        tide_shape_str(residual, s1, sizeof s1));
            return NULL;
        }
    }
    tide_linear_epi e = {act, (float)p, 0, 0};
    if (p > 0.0) {
        if (!rng) rng = tide_rng_default();
        e.seed = rng->seed;
    }
    tide_tensor *xc = tide_tensor_contiguous(x), *wc = tide_tensor_contiguous(w);
    tide_tensor *bc = b ? tide_tensor_contiguous(b) : NULL;
    tide_tensor *rc = residual ? tide_tensor_contiguous(residual) : NULL;
    tide_tensor *out = tide_tensor_empty(TIDE_F32, x->ndim, shape);
    /* the pre-activation is kept only for a backward that cannot read the output instead */
    int from_out = relu_from_output(act, residual), want_pre = act != TIDE_ACT_NONE && !from_out;
    tide_tensor *pre = want_pre ? tide_tensor_empty(TIDE_F32, x->ndim, shape) : NULL;
    if (!xc || !wc || (b && !bc) || (residual && !rc) || !out || (want_pre && !pre)) {
        tide_tensor_release(out);
        out = NULL;
        goto done;
    }
    int64_t N = tide_tensor_numel(out) / (O ? O : 1);
    if (p > 0.0) e.counter = 2 * tide_rng_reserve(rng, (uint64_t)(N * O + 1) / 2);
    tide_linear_forward(tide_f32(out), pre ? tide_f32(pre) : NULL, tide_f32(xc), tide_f32(wc),
                        bc ? tide_f32(bc) : NULL, rc ? tide_f32(rc) : NULL, N, In, O, &e);
    tide_tensor *in[4] = {x, w, b, residual};
    tide_node *node;
    out = tide_nnu_record(out, op, linear_node_backward, 4, in, &node);
    if (node) {
        /* x's values are read from the saved copy, the bias's and the residual's never */
        tide_nnu_value_free(node, 1u | 4u | 8u);
        node->ints[0] = act;
        node->ints[1] = (int64_t)e.seed;
        node->ints[2] = (int64_t)e.counter;
        node->scalars[0] = p;
        tide_ag_save(node, xc);
        /* the output is kept anyway by whoever reads it next: saving it costs no memory */
        if (act != TIDE_ACT_NONE) tide_ag_save(node, from_out ? out : pre);
    }
done:
    tide_tensor_release(xc);
    tide_tensor_release(wc);
    tide_tensor_release(bc);
    tide_tensor_release(rc);
    tide_tensor_release(pre);
    return out;
}
