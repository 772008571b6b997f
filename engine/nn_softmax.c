/* nn_softmax.c — softmax and log-softmax along the last dim, max-subtracted (log-sum-exp) so
 * no input overflows; the backward needs only the output. */
#include "nn_internal.h"

/* y: [N,D] (saved for the backward)  x: [N,D]; log selects log-softmax */
void tide_softmax_forward(float *y, const float *x, int64_t N, int64_t D, int log)
{
    for (int64_t r = 0; r < N; r++) {
        const float *xr = x + r * D;
        float *yr = y + r * D;
        float m = -INFINITY;
        for (int64_t j = 0; j < D; j++) m = xr[j] > m ? xr[j] : m;
        if (m == -INFINITY) m = 0.0f; /* all -inf: keep exp(x - m) = 0 rather than NaN */
        float s = 0.0f;
        for (int64_t j = 0; j < D; j++) {
            float e = expf(xr[j] - m);
            if (!log) yr[j] = e;
            s += e;
        }
        if (s == 0.0f) { /* every entry -inf: weights 0 (log: -inf), never NaN */
            for (int64_t j = 0; j < D; j++) yr[j] = log ? -INFINITY : 0.0f;
            continue;
        }
        if (log) {
            float lse = m + logf(s);
            for (int64_t j = 0; j < D; j++) yr[j] = xr[j] - lse;
        } else {
            float inv = 1.0f / s;
            for (int64_t j = 0; j < D; j++) yr[j] *= inv;
        }
    }
}

/* dx: [N,D] ADDED into  dy, y: [N,D]
 * softmax: dx = y * (dy - <dy, y>); log-softmax: dx = dy - exp(y) * sum(dy). */
void tide_softmax_backward(float *dx, const float *dy, const float *y, int64_t N, int64_t D,
                           int log)
{
    for (int64_t r = 0; r < N; r++) {
        const float *g = dy + r * D, *yr = y + r * D;
        float *d = dx + r * D;
        float s = 0.0f;
        if (log) {
            for (int64_t j = 0; j < D; j++) s += g[j];
            for (int64_t j = 0; j < D; j++) d[j] += g[j] - expf(yr[j]) * s;
        } else {
            for (int64_t j = 0; j < D; j++) s += g[j] * yr[j];
            for (int64_t j = 0; j < D; j++) d[j] += yr[j] * (g[j] - s);
        }
    }
}

/* saved[0] = y; ints[0] = log */
static int softmax_backward(tide_node *node, const tide_tensor *grad_out)
{
    tide_tensor *y = node->saved[0];
    int64_t D = y->ndim ? y->shape[y->ndim - 1] : 1, N = D ? tide_tensor_numel(y) / D : 0;
    tide_tensor *g = tide_nnu_grad(grad_out);
    tide_tensor *dx = g ? tide_nnu_zeros_like(y) : NULL;
    if (!dx) {
        tide_tensor_release(g);
        return TIDE_ERR;
    }
    tide_softmax_backward(tide_f32(dx), tide_f32(g), tide_f32(y), N, D, (int)node->ints[0]);
    tide_tensor_release(g);
    return tide_nnu_accum(node->inputs[0], dx);
}

tide_tensor *tide_nn_softmax(tide_tensor *x, int log)
{
    const char *op = log ? "log_softmax" : "softmax";
    if (tide_nnu_check_f32(x, op, "x")) return NULL;
    int64_t D = x->ndim ? x->shape[x->ndim - 1] : 1, N = D ? tide_tensor_numel(x) / D : 0;
    tide_tensor *xc = tide_tensor_contiguous(x);
    tide_tensor *out = xc ? tide_tensor_empty(TIDE_F32, x->ndim, x->shape) : NULL;
    if (out) {
        tide_softmax_forward(tide_f32(out), tide_f32(xc), N, D, log);
        tide_node *node;
        out = tide_nnu_wrap(out, op, softmax_backward, 1, &x, &node);
        if (node) {
            /* save a second header over the same storage: saving `out` itself would make a
             * cycle out -> node -> out */
            tide_tensor *y = tide_tensor_view(out, out->ndim, out->shape);
            node->ints[0] = log;
            if (y) tide_ag_save(node, y);
            tide_tensor_release(y);
            if (!y) {
                tide_tensor_release(out);
                out = NULL;
            }
        }
    }
    tide_tensor_release(xc);
    return out;
}
