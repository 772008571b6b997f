/* nn_lstm.c — LSTM layer (Hochreiter & Schmidhuber 1997 with forget gate, PyTorch's gate
 * layout i, f, g, o) over padded batches, with backpropagation through time. Same structure
 * as nn_gru.c: one sgemm for all input projections, one per step, three at the end, all
 * through tide_nnu_rnn_gemm (nn_rnn_gemm.c).
 *   i = σ(.)  f = σ(.)  g = tanh(.)  o = σ(.)   (each W_i* x + b_i* + W_h* h + b_h*)
 *   c' = f ∘ c + i ∘ g      h' = o ∘ tanh(c')
 * A padded step (mask 0) carries h and c unchanged and outputs h. */
#include <stdlib.h>

#include "nn_internal.h"

static inline const float *prev_row(const float *seq, const float *init, const float *zeros,
                                    int64_t b, int64_t t, int64_t T, int64_t H)
{
    if (t > 0) return seq + (b * T + t - 1) * H;
    return init ? init + b * H : zeros;
}

/* One step of one row: gt holds the input projection (with b_ih) and receives the gate
 * activations; hr is the hidden projection (with b_hh). restrict lets gcc vectorise. */
NN_VECTOR_WIDE static void lstm_cell(float *restrict o, float *restrict c, float *restrict gt,
                      const float *restrict hr, const float *restrict cp, int64_t H)
{
    for (int64_t j = 0; j < 2 * H; j++) gt[j] = nn_sigmoidf(gt[j] + hr[j]);
    for (int64_t j = 2 * H; j < 3 * H; j++) gt[j] = nn_tanhf(gt[j] + hr[j]);
    for (int64_t j = 3 * H; j < 4 * H; j++) gt[j] = nn_sigmoidf(gt[j] + hr[j]);
    for (int64_t j = 0; j < H; j++) {
        float cn = gt[H + j] * cp[j] + gt[j] * gt[2 * H + j];
        c[j] = cn;
        o[j] = gt[3 * H + j] * nn_tanhf(cn);
    }
}

/* Backward of one step of one row: d = dL/dh_t, e = dL/dc_t (from later steps); the row's
 * gate slots g0..g3 (i, f, g, o: disjoint H-parts of one buffer, so restrict holds) hold the
 * step's activations and are overwritten with the pre-activation gradients, which are also
 * added to acc [4H] (the bias gradient, summed while the row is in L1); dL/dc_{t-1} goes to
 * ep. */
NN_VECTOR_WIDE static void lstm_cell_backward(float *restrict g0, float *restrict g1,
                                              float *restrict g2, float *restrict g3,
                                              float *restrict ep, const float *restrict d,
                                              const float *restrict e, const float *restrict c,
                                              const float *restrict cp, float *restrict acc,
                                              int64_t H)
{
    for (int64_t j = 0; j < H; j++) {
        float ig = g0[j], fg = g1[j], gg = g2[j], og = g3[j];
        float tc = nn_tanhf(c[j]);
        float dcj = e[j] + d[j] * og * (1.0f - tc * tc);
        float di = dcj * gg * ig * (1.0f - ig), df = dcj * cp[j] * fg * (1.0f - fg);
        float dgg = dcj * ig * (1.0f - gg * gg), dog = d[j] * tc * og * (1.0f - og);
        g0[j] = di, g1[j] = df, g2[j] = dgg, g3[j] = dog;
        acc[j] += di, acc[H + j] += df, acc[2 * H + j] += dgg, acc[3 * H + j] += dog;
        ep[j] = dcj * fg;
    }
}

/* out: [B,T,H]  cell: [B,T,H] (c after each step, saved)  gates: [B,T,4H] (i,f,g,o, saved)
 * x: [B,T,In]  h0, c0: [B,H]/NULL  w_ih: [4H,In]  w_hh: [4H,H]  b_ih, b_hh: [4H]/NULL
 * mask: [B,T]/NULL  scratch: B*4H + H floats (gates doubles as the input projection) */
void tide_lstm_forward(float *out, float *cell, float *gates, const float *x, const float *h0,
                       const float *c0, const float *w_ih, const float *w_hh, const float *b_ih,
                       const float *b_hh, const uint8_t *mask, int64_t B, int64_t T, int64_t In,
                       int64_t H, float *scratch)
{
    int64_t G = 4 * H;
    float *hg = scratch, *zeros = hg + B * G;
    memset(zeros, 0, (size_t)H * sizeof *zeros);
    for (int64_t r = 0; r < B * T; r++) {
        if (b_ih) memcpy(gates + r * G, b_ih, (size_t)G * sizeof *gates);
        else memset(gates + r * G, 0, (size_t)G * sizeof *gates);
    }
    /* the weights transposed once, so no step re-packs them (NULL: OpenBLAS does) */
    float *wiht = tide_nnu_rnn_pack(w_ih, G, In), *whht = tide_nnu_rnn_pack(w_hh, G, H);
    tide_nnu_rnn_gemm_wt(B * T, G, In, x, In, w_ih, wiht, 1.0f, gates, G);
    for (int64_t t = 0; t < T; t++) {
        for (int64_t b = 0; b < B; b++) {
            if (b_hh) memcpy(hg + b * G, b_hh, (size_t)G * sizeof *hg);
            else memset(hg + b * G, 0, (size_t)G * sizeof *hg);
        }
        if (t > 0) tide_nnu_rnn_gemm_wt(B, G, H, out + (t - 1) * H, T * H, w_hh, whht, 1.0f, hg, G);
        else if (h0) tide_nnu_rnn_gemm_wt(B, G, H, h0, H, w_hh, whht, 1.0f, hg, G);
        for (int64_t b = 0; b < B; b++) {
            const float *hp = prev_row(out, h0, zeros, b, t, T, H);
            const float *cp = prev_row(cell, c0, zeros, b, t, T, H);
            float *o = out + (b * T + t) * H, *c = cell + (b * T + t) * H;
            float *gt = gates + (b * T + t) * G;
            if (mask && !mask[b * T + t]) {
                memcpy(o, hp, (size_t)H * sizeof *o);
                memcpy(c, cp, (size_t)H * sizeof *c);
                memset(gt, 0, (size_t)G * sizeof *gt);
                continue;
            }
            lstm_cell(o, c, gt, hg + b * G, cp, H);
        }
    }
    free(wiht);
    free(whht);
}

/* dx: [B,T,In]  dh0, dc0: [B,H]  dw_ih: [4H,In]  dw_hh: [4H,H]  db_ih, db_hh: [4H]
 * (NULL = not wanted; ADDED into)  dout, out, cell: [B,T,H]  gates: [B,T,4H] from the
 * forward, CONSUMED (overwritten with the gate gradients)
 * scratch: 4*B*H + 5*H floats (nn.h promises callers B*T*H more; it is no longer used) */
void tide_lstm_backward(float *dx, float *dh0, float *dc0, float *dw_ih, float *dw_hh,
                        float *db_ih, float *db_hh, const float *dout, const float *out,
                        const float *cell, float *gates, const float *x, const float *h0,
                        const float *c0, const float *w_ih, const float *w_hh,
                        const uint8_t *mask, int64_t B, int64_t T, int64_t In, int64_t H,
                        float *scratch)
{
    int64_t G = 4 * H;
    float *dg = gates, *dh = scratch, *dhp = dh + B * H;
    float *dc = dhp + B * H, *dcp = dc + B * H, *zeros = dcp + B * H, *acc = zeros + H;
    memset(zeros, 0, (size_t)(5 * H) * sizeof *zeros);
    memset(dh, 0, (size_t)(B * H) * sizeof *dh);
    memset(dc, 0, (size_t)(B * H) * sizeof *dc);
    for (int64_t t = T - 1; t >= 0; t--) {
        for (int64_t b = 0; b < B; b++) {
            float *d = dh + b * H, *dp = dhp + b * H, *e = dc + b * H, *ep = dcp + b * H;
            const float *go = dout + (b * T + t) * H;
            for (int64_t j = 0; j < H; j++) d[j] += go[j];
            float *gr = dg + (b * T + t) * G;
            if (mask && !mask[b * T + t]) {
                memcpy(dp, d, (size_t)H * sizeof *dp);
                memcpy(ep, e, (size_t)H * sizeof *ep);
                memset(gr, 0, (size_t)G * sizeof *gr);
                continue;
            }
            lstm_cell_backward(gr, gr + H, gr + 2 * H, gr + 3 * H, ep, d, e, cell + (b * T + t) * H,
                               prev_row(cell, c0, zeros, b, t, T, H), acc, H);
            memset(dp, 0, (size_t)H * sizeof *dp);
        }
        tide_nnu_rnn_gemm(0, B, H, G, dg + t * G, T * G, w_hh, H, 1.0f, dhp, H);
        float *sw = dh;
        dh = dhp, dhp = sw;
        sw = dc, dc = dcp, dcp = sw;
    }
    if (dh0)
        for (int64_t i = 0; i < B * H; i++) dh0[i] += dh[i];
    if (dc0)
        for (int64_t i = 0; i < B * H; i++) dc0[i] += dc[i];
    if (dx) tide_nnu_rnn_gemm(0, B * T, In, G, dg, G, w_ih, In, 1.0f, dx, In);
    if (dw_ih) tide_nnu_rnn_gemm(1, G, In, B * T, dg, G, x, In, 1.0f, dw_ih, In);
    if (dw_hh) {
        /* the state before step t >= 1 of row b is out[b,t-1]: each row's steps 1..T-1 are
         * one product against out read in place; step 0 pairs with h0 (zeros: nothing) */
        if (T > 1)
            for (int64_t b = 0; b < B; b++)
                tide_nnu_rnn_gemm(1, G, H, T - 1, dg + (b * T + 1) * G, G, out + b * T * H, H,
                                  1.0f, dw_hh, H);
        if (h0) tide_nnu_rnn_gemm(1, G, H, B, dg, T * G, h0, H, 1.0f, dw_hh, H);
    }
    for (int64_t j = 0; db_ih && j < G; j++) db_ih[j] += acc[j];
    for (int64_t j = 0; db_hh && j < G; j++) db_hh[j] += acc[j];
}

/* ---- differentiable wrapper ----
 * inputs: x, h0, c0, w_ih, w_hh, b_ih, b_hh (absent skipped); saved: x, out view, cell, gates,
 * w_ih, w_hh, h0 (if any), c0 (if any), all contiguous; ints[0] has-mask (ctx), ints[1] has-h0,
 * ints[2] has-c0. */
static int lstm_backward(tide_node *node, const tide_tensor *grad_out)
{
    tide_tensor *x = node->saved[0], *out = node->saved[1], *cell = node->saved[2];
    tide_tensor *gates = node->saved[3], *wih = node->saved[4], *whh = node->saved[5];
    int k = 6;
    tide_tensor *h0 = node->ints[1] ? node->saved[k++] : NULL;
    tide_tensor *c0 = node->ints[2] ? node->saved[k++] : NULL;
    int64_t B = x->shape[0], T = x->shape[1], In = x->shape[2], H = whh->shape[1];
    tide_tensor *g = tide_nnu_grad(grad_out);
    tide_tensor *grads[7] = {0};
    int rc = TIDE_ERR;
    float *scratch = malloc((size_t)(4 * B * H + 5 * H + 1) * sizeof(float));
    if (!g || !scratch) {
        if (g) tide_errorf("lstm backward: out of memory");
        goto done;
    }
    for (int i = 0; i < 7; i++)
        if (tide_nnu_wants(node, i)) {
            grads[i] = tide_nnu_zeros_like(tide_nnu_input(node, i));
            if (!grads[i]) goto done;
        }
#define GP(i) (grads[i] ? tide_f32(grads[i]) : NULL)
    /* the backward consumes the saved gates; they are ours unless someone else holds them */
    tide_tensor *own = gates->refcount == 1 && gates->storage->refcount == 1
                           ? tide_tensor_retain(gates) : tide_tensor_clone(gates);
    if (!own) goto done;
    tide_lstm_backward(GP(0), GP(1), GP(2), GP(3), GP(4), GP(5), GP(6), tide_f32(g),
                       tide_f32(out), tide_f32(cell), tide_f32(own), tide_f32(x),
                       h0 ? tide_f32(h0) : NULL, c0 ? tide_f32(c0) : NULL, tide_f32(wih),
                       tide_f32(whh), node->ints[0] ? (const uint8_t *)node->ctx : NULL, B, T,
                       In, H, scratch);
    tide_tensor_release(own);
#undef GP
    rc = TIDE_OK;
    for (int i = 0; i < 7; i++)
        if (grads[i]) rc |= tide_nnu_accum(tide_nnu_input(node, i), grads[i]), grads[i] = NULL;
done:
    for (int i = 0; i < 7; i++) tide_tensor_release(grads[i]);
    free(scratch);
    tide_tensor_release(g);
    return rc ? TIDE_ERR : TIDE_OK;
}

tide_tensor *tide_nn_lstm(tide_tensor *x, tide_tensor *h0, tide_tensor *c0, tide_tensor *w_ih,
                          tide_tensor *w_hh, tide_tensor *b_ih, tide_tensor *b_hh,
                          const tide_tensor *mask)
{
    const char *op = "lstm";
    int64_t B, T, In, H;
    if (tide_nnu_rnn_check(op, 4, x, h0, c0, w_ih, w_hh, b_ih, b_hh, &B, &T, &In, &H))
        return NULL;
    int err;
    uint8_t *m = tide_nnu_mask(mask, B, T, op, &err);
    if (err) return NULL;
    tide_tensor *src[7] = {x, h0, c0, w_ih, w_hh, b_ih, b_hh}, *c[7];
    int ok = 1;
    for (int i = 0; i < 7; i++) {
        c[i] = src[i] ? tide_tensor_contiguous(src[i]) : NULL;
        if (src[i] && !c[i]) ok = 0;
    }
    int64_t oshape[3] = {B, T, H}, gshape[3] = {B, T, 4 * H};
    tide_tensor *out = tide_tensor_empty(TIDE_F32, 3, oshape);
    tide_tensor *cell = tide_tensor_empty(TIDE_F32, 3, oshape);
    tide_tensor *gates = tide_tensor_empty(TIDE_F32, 3, gshape);
    tide_tensor *oview = out ? tide_tensor_view(out, 3, oshape) : NULL;
    float *scratch = malloc((size_t)(B * 4 * H + H + 1) * sizeof(float));
    ok = ok && out && cell && gates && oview && scratch;
    if (ok) {
#define CP(i) (c[i] ? tide_f32(c[i]) : NULL)
        tide_lstm_forward(tide_f32(out), tide_f32(cell), tide_f32(gates), CP(0), CP(1), CP(2),
                          CP(3), CP(4), CP(5), CP(6), m, B, T, In, H, scratch);
#undef CP
        tide_node *node; /* NULL out on failure: m and the buffers are freed below */
        out = tide_nnu_record(out, op, lstm_backward, 7, src, &node);
        if (node) {
            tide_ag_save(node, c[0]);
            tide_ag_save(node, oview);
            tide_ag_save(node, cell);
            tide_ag_save(node, gates);
            tide_ag_save(node, c[3]);
            tide_ag_save(node, c[4]);
            if (c[1]) tide_ag_save(node, c[1]);
            if (c[2]) tide_ag_save(node, c[2]);
            node->ints[0] = m != NULL;
            node->ints[1] = c[1] != NULL;
            node->ints[2] = c[2] != NULL;
            node->ctx = m;
            m = NULL;
        }
    } else {
        if (out && cell && gates && oview && !scratch) tide_errorf("%s: out of memory", op);
        tide_tensor_release(out);
        out = NULL;
    }
    free(scratch);
    free(m);
    for (int i = 0; i < 7; i++) tide_tensor_release(c[i]);
    tide_tensor_release(cell);
    tide_tensor_release(gates);
    tide_tensor_release(oview);
    return out;
}
