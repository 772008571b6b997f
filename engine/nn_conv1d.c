/* nn_conv1d.c — 1-D convolution over time with channels last, and max-pooling over time:
 * the two pieces of a TextCNN (Kim 2014). With x [B,T,Cin] and taps-major weights
 * [Cout,K,Cin], the receptive field of output t is the contiguous block x[b, t-pad .. t-pad+K-1, :],
 * so im2col is a row copy and the convolution is a single sgemm. */
#include <stdlib.h>

#include "nn_internal.h"

/* col: [B*Tout, K*Cin]; zeros where the window hangs over the padding */
static void im2col(float *col, const float *x, int64_t B, int64_t T, int64_t Cin, int64_t K,
                   int64_t pad, int64_t Tout)
{
    int64_t KC = K * Cin;
    for (int64_t b = 0; b < B; b++)
        for (int64_t t = 0; t < Tout; t++) {
            float *row = col + (b * Tout + t) * KC;
            int64_t s = t - pad;
            if (s >= 0 && s + K <= T) {
                memcpy(row, x + (b * T + s) * Cin, (size_t)KC * sizeof *row);
                continue;
            }
            for (int64_t k = 0; k < K; k++) {
                int64_t tt = s + k;
                if (tt >= 0 && tt < T) memcpy(row + k * Cin, x + (b * T + tt) * Cin, (size_t)Cin * sizeof *row);
                else memset(row + k * Cin, 0, (size_t)Cin * sizeof *row);
            }
        }
}

/* out: [B,Tout,Cout]  x: [B,T,Cin]  w: [Cout,K,Cin]  b: [Cout]/NULL  col: B*Tout*K*Cin scratch.
 * Saves nothing: the backward rebuilds col from x. */
void tide_conv1d_forward(float *out, const float *x, const float *w, const float *b, int64_t B,
                         int64_t T, int64_t Cin, int64_t Cout, int64_t K, int64_t pad, float *col)
{
    int64_t Tout = T + 2 * pad - K + 1, KC = K * Cin;
    im2col(col, x, B, T, Cin, K, pad, Tout);
    nn_gemm(0, 1, B * Tout, Cout, KC, 1.0f, col, KC, w, KC, 0.0f, out, Cout);
    if (b)
        for (int64_t r = 0; r < B * Tout; r++)
            for (int64_t j = 0; j < Cout; j++) out[r * Cout + j] += b[j];
}

/* dx: [B,T,Cin]  dw: [Cout,K,Cin]  db: [Cout]  (NULL = not wanted; ADDED into)
 * dout: [B,Tout,Cout]  x, w as in the forward  col: B*Tout*K*Cin scratch */
void tide_conv1d_backward(float *dx, float *dw, float *db, const float *dout, const float *x,
                          const float *w, int64_t B, int64_t T, int64_t Cin, int64_t Cout,
                          int64_t K, int64_t pad, float *col)
{
    int64_t Tout = T + 2 * pad - K + 1, KC = K * Cin;
    if (dw) {
        im2col(col, x, B, T, Cin, K, pad, Tout);
        nn_gemm(1, 0, Cout, KC, B * Tout, 1.0f, dout, Cout, col, KC, 1.0f, dw, KC);
    }
    if (db)
        for (int64_t r = 0; r < B * Tout; r++)
            for (int64_t j = 0; j < Cout; j++) db[j] += dout[r * Cout + j];
    if (dx) { /* dcol = dout W, then scatter-add each window back (col2im) */
        nn_gemm(0, 0, B * Tout, KC, Cout, 1.0f, dout, Cout, w, KC, 0.0f, col, KC);
        for (int64_t b = 0; b < B; b++)
            for (int64_t t = 0; t < Tout; t++)
                for (int64_t k = 0; k < K; k++) {
                    int64_t tt = t - pad + k;
                    if (tt < 0 || tt >= T) continue;
                    const float *src = col + (b * Tout + t) * KC + k * Cin;
                    float *dst = dx + (b * T + tt) * Cin;
                    for (int64_t c = 0; c < Cin; c++) dst[c] += src[c];
                }
    }
}

/* out: [B,C]  arg: [B,C] time index of the max (saved; -1 when every step is padding)
 * x: [B,T,C]  mask: [B,T]/NULL */
void tide_max_over_time_forward(float *out, int64_t *arg, const float *x, const uint8_t *mask,
                                int64_t B, int64_t T, int64_t C)
{
    for (int64_t b = 0; b < B; b++) {
        float *o = out + b * C;
        int64_t *a = arg + b * C;
        for (int64_t c = 0; c < C; c++) o[c] = 0.0f, a[c] = -1;
        for (int64_t t = 0; t < T; t++) {
            if (mask && !mask[b * T + t]) continue;
            const float *xr = x + (b * T + t) * C;
            for (int64_t c = 0; c < C; c++)
                if (a[c] < 0 || xr[c] > o[c]) o[c] = xr[c], a[c] = t;
        }
    }
}

/* dx: [B,T,C] ADDED into at the argmax  dout: [B,C]  arg: [B,C] */
void tide_max_over_time_backward(float *dx, const float *dout, const int64_t *arg, int64_t B,
                                 int64_t T, int64_t C)
{
    for (int64_t b = 0; b < B; b++)
        for (int64_t c = 0; c < C; c++)
            if (arg[b * C + c] >= 0) dx[(b * T + arg[b * C + c]) * C + c] += dout[b * C + c];
}

/* ---- differentiable wrappers ---- */

/* inputs x, w, b; saved x, w contiguous; ints[0] = pad */
static int conv1d_backward(tide_node *node, const tide_tensor *grad_out)
{
    tide_tensor *x = node->saved[0], *w = node->saved[1];
    int64_t B = x->shape[0], T = x->shape[1], Cin = x->shape[2], Cout = w->shape[0];
    int64_t K = w->shape[1], pad = node->ints[0], Tout = T + 2 * pad - K + 1;
    tide_tensor *g = tide_nnu_grad(grad_out);
    tide_tensor *grads[3] = {0};
    float *col = malloc((size_t)(B * Tout * K * Cin + 1) * sizeof(float));
    int rc = TIDE_ERR;
    if (!g || !col) {
        if (g) tide_errorf("conv1d backward: out of memory");
        goto done;
    }
    for (int i = 0; i < 3; i++)
        if (tide_nnu_wants(node, i) && !(grads[i] = tide_nnu_zeros_like(tide_nnu_input(node, i))))
            goto done;
    tide_conv1d_backward(grads[0] ? tide_f32(grads[0]) : NULL, grads[1] ? tide_f32(grads[1]) : NULL,
                         grads[2] ? tide_f32(grads[2]) : NULL, tide_f32(g), tide_f32(x),
                         tide_f32(w), B, T, Cin, Cout, K, pad, col);
    rc = TIDE_OK;
    for (int i = 0; i < 3; i++)
        if (grads[i]) rc |= tide_nnu_accum(tide_nnu_input(node, i), grads[i]), grads[i] = NULL;
done:
    for (int i = 0; i < 3; i++) tide_tensor_release(grads[i]);
    free(col);
    tide_tensor_release(g);
    return rc ? TIDE_ERR : TIDE_OK;
}

tide_tensor *tide_nn_conv1d(tide_tensor *x, tide_tensor *w, tide_tensor *b, int64_t pad)
{
    const char *op = "conv1d";
    if (tide_nnu_check_f32(x, op, "x") || tide_nnu_check_f32(w, op, "weight")) return NULL;
    if (b && tide_nnu_check_f32(b, op, "bias")) return NULL;
    char s1[96], s2[96];
    if (x->ndim != 3 || w->ndim != 3 || w->shape[2] != x->shape[2]) {
        tide_errorf("%s: want x [B,T,Cin] and weight [Cout,K,Cin]; got x %s, weight %s", op,
                    tide_shape_str(x, s1, sizeof s1), tide_shape_str(w, s2, sizeof s2));
        return NULL;
    }
    int64_t B = x->shape[0], T = x->shape[1], Cin = x->shape[2], Cout = w->shape[0], K = w->shape[1];
    if (b && tide_nnu_check_shape(b, 1, &Cout, op, "bias")) return NULL;
    int64_t Tout = T + 2 * pad - K + 1;
    if (pad < 0 || K < 1 || Tout < 1) {
        tide_errorf("%s: kernel width %lld with padding %lld leaves no output for %lld steps",
                    op, (long long)K, (long long)pad, (long long)T);
        return NULL;
    }
    int64_t oshape[3] = {B, Tout, Cout};
    tide_tensor *xc = tide_tensor_contiguous(x), *wc = tide_tensor_contiguous(w);
    tide_tensor *bc = b ? tide_tensor_contiguous(b) : NULL;
    tide_tensor *out = tide_tensor_empty(TIDE_F32, 3, oshape);
    float *col = malloc((size_t)(B * Tout * K * Cin + 1) * sizeof(float));
    if (xc && wc && (!b || bc) && out && col) {
        tide_conv1d_forward(tide_f32(out), tide_f32(xc), tide_f32(wc), bc ? tide_f32(bc) : NULL,
                            B, T, Cin, Cout, K, pad, col);
        tide_tensor *in[3] = {x, w, b};
        tide_node *node;
        out = tide_nnu_record(out, op, conv1d_backward, 3, in, &node);
        if (node) {
            tide_ag_save(node, xc);
            tide_ag_save(node, wc);
            node->ints[0] = pad;
        }
    } else {
        if (out && !col) tide_errorf("%s: out of memory", op);
        tide_tensor_release(out);
        out = NULL;
    }
    free(col);
    tide_tensor_release(xc);
    tide_tensor_release(wc);
    tide_tensor_release(bc);
    return out;
}

/* saved[0] = i64 argmax [B,C]; ints[0] = T */
static int max_over_time_backward(tide_node *node, const tide_tensor *grad_out)
{
    tide_tensor *x = node->inputs[0], *arg = node->saved[0];
    tide_tensor *g = tide_nnu_grad(grad_out);
    tide_tensor *dx = g ? tide_nnu_zeros_like(x) : NULL;
    if (!dx) {
        tide_tensor_release(g);
        return TIDE_ERR;
    }
    tide_max_over_time_backward(tide_f32(dx), tide_f32(g), tide_i64(arg), x->shape[0],
                                x->shape[1], x->shape[2]);
    tide_tensor_release(g);
    return tide_nnu_accum(x, dx);
}

tide_tensor *tide_nn_max_over_time(tide_tensor *x, const tide_tensor *mask)
{
    const char *op = "max_over_time";
    if (tide_nnu_check_f32(x, op, "x")) return NULL;
    if (x->ndim != 3) {
        char s[96];
        tide_errorf("%s: x must be [B,T,C], got %s", op, tide_shape_str(x, s, sizeof s));
        return NULL;
    }
    int64_t B = x->shape[0], T = x->shape[1], C = x->shape[2], shape[2] = {B, C};
    int err;
    uint8_t *m = tide_nnu_mask(mask, B, T, op, &err);
    if (err) return NULL;
    tide_tensor *xc = tide_tensor_contiguous(x);
    tide_tensor *out = tide_tensor_empty(TIDE_F32, 2, shape);
    tide_tensor *arg = tide_tensor_new(TIDE_I64, 2, shape);
    if (xc && out && arg) {
        tide_max_over_time_forward(tide_f32(out), tide_i64(arg), tide_f32(xc), m, B, T, C);
        tide_node *node;
        out = tide_nnu_wrap(out, op, max_over_time_backward, 1, &x, &node);
        if (node) tide_ag_save(node, arg);
    } else {
        tide_tensor_release(out);
        out = NULL;
    }
    free(m);
    tide_tensor_release(xc);
    tide_tensor_release(arg);
    return out;
}
