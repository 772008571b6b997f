/* nn_gru.c — GRU layer (Cho et al. 2014, PyTorch's gate layout r, z, n) over padded batches,
 * with backpropagation through time. All input projections are one sgemm; each step is one
 * sgemm [B,H]x[H,3H] for the whole batch; the backward adds one sgemm per step and three at
 * the end (dx, dW_ih, dW_hh over all steps at once). The products go through
 * tide_nnu_rnn_gemm (nn_rnn_gemm.c: AVX-512 where available, weights transposed once).
 *   r = σ(W_ir x + b_ir + W_hr h + b_hr)     z = σ(W_iz x + b_iz + W_hz h + b_hz)
 *   n = tanh(W_in x + b_in + r ∘ (W_hn h + b_hn))     h' = (1 - z) ∘ n + z ∘ h
 * A padded step (mask 0) carries h unchanged and outputs it. */
#include <stdlib.h>

#include "nn_internal.h"

/* State before step t of row b: out[b,t-1], or h0[b] (zeros when h0 is NULL). */
static inline const float *h_prev(const float *out, const float *h0, const float *zeros,
                                  int64_t b, int64_t t, int64_t T, int64_t H)
{
    if (t > 0) return out + (b * T + t - 1) * H;
    return h0 ? h0 + b * H : zeros;
}

/* One step of one row: the row's gates are four H-slots g0..g3 (disjoint parts of one
 * buffer, so restrict holds and gcc vectorises without copying them aside); g0..g2 hold the
 * input projection x W_ih^T on entry and (r, z, n, W_hn h + b_hn) on exit; hr is the hidden
 * projection h W_hh^T; bi, bh the biases (zeros when absent); the new state goes to o. */
NN_VECTOR_WIDE static void gru_cell(float *restrict o, float *restrict g0, float *restrict g1,
                                    float *restrict g2, float *restrict g3,
                                    const float *restrict hr, const float *restrict bi,
                                    const float *restrict bh, const float *restrict hp, int64_t H)
{
    for (int64_t j = 0; j < H; j++) {
        float r = nn_sigmoidf(g0[j] + bi[j] + hr[j] + bh[j]);
        float z = nn_sigmoidf(g1[j] + bi[H + j] + hr[H + j] + bh[H + j]);
        float hn = hr[2 * H + j] + bh[2 * H + j];
        float n = nn_tanhf(g2[j] + bi[2 * H + j] + r * hn);
        g0[j] = r, g1[j] = z, g2[j] = n, g3[j] = hn;
        o[j] = n + z * (hp[j] - n);
    }
}

/* Backward of one step of one row: d is dL/dh_t, g0..g3 the step's saved gates (r, z, n, hn).
 * Writes, in place of the gates, the pre-activation gradients [dr, dz, dn_h, dn_x] (the r and
 * z gradients are shared by the input and hidden sides; the n gate's differ by the factor r;
 * the hidden side's three come first so each step's dh_{t-1} is one sgemm), and the direct
 * part of dL/dh_{t-1} into dp; adds the four gradients to acc [4H] (the bias gradients,
 * summed while the row is in L1 instead of re-reading all gates at the end). */
NN_VECTOR_WIDE static void gru_cell_backward(float *restrict g0, float *restrict g1,
                                             float *restrict g2, float *restrict g3,
                                             float *restrict dp, const float *restrict d,
                                             const float *restrict hp, float *restrict acc,
                                             int64_t H)
{
    for (int64_t j = 0; j < H; j++) {
        float r = g0[j], z = g1[j], n = g2[j], hn = g3[j];
        float dn = d[j] * (1.0f - z), dz = d[j] * (hp[j] - n);
        float dnp = dn * (1.0f - n * n);
        float dr = dnp * hn * r * (1.0f - r), dzp = dz * z * (1.0f - z), dnh = dnp * r;
        g0[j] = dr, g1[j] = dzp, g2[j] = dnh, g3[j] = dnp;
        acc[j] += dr, acc[H + j] += dzp, acc[2 * H + j] += dnh, acc[3 * H + j] += dnp;
        dp[j] = d[j] * z;
    }
}

/* out: [B,T,H]  gates: [B,T,4H] saved (r, z, n, W_hn h + b_hn); they first hold the input
 * projections of all steps (one sgemm)  x: [B,T,In]  h0: [B,H]/NULL  w_ih: [3H,In]
 * w_hh: [3H,H]  b_ih, b_hh: [3H]/NULL  mask: [B,T]/NULL  scratch: B*3H + 10*H floats */
void tide_gru_forward(float *out, float *gates, const float *x, const float *h0,
                      const float *w_ih, const float *w_hh, const float *b_ih, const float *b_hh,
                      const uint8_t *mask, int64_t B, int64_t T, int64_t In, int64_t H,
                      float *scratch)
{
    int64_t G = 3 * H, G4 = 4 * H;
    float *hg = scratch, *zeros = hg + B * G, *zb = zeros + H;
    memset(zeros, 0, (size_t)(H + G) * sizeof *zeros);
    const float *bi = b_ih ? b_ih : zb, *bh = b_hh ? b_hh : zb;
    /* the weights transposed once, so no step re-packs them (NULL: OpenBLAS does) */
    float *wiht = tide_nnu_rnn_pack(w_ih, G, In), *whht = tide_nnu_rnn_pack(w_hh, G, H);
    tide_nnu_rnn_gemm_wt(B * T, G, In, x, In, w_ih, wiht, 0.0f, gates, G4);
    for (int64_t t = 0; t < T; t++) {
        if (t > 0) tide_nnu_rnn_gemm_wt(B, G, H, out + (t - 1) * H, T * H, w_hh, whht, 0.0f, hg, G);
        else if (h0) tide_nnu_rnn_gemm_wt(B, G, H, h0, H, w_hh, whht, 0.0f, hg, G);
        else memset(hg, 0, (size_t)(B * G) * sizeof *hg);
        for (int64_t b = 0; b < B; b++) {
            const float *hp = h_prev(out, h0, zeros, b, t, T, H);
            float *o = out + (b * T + t) * H, *gt = gates + (b * T + t) * G4;
            if (mask && !mask[b * T + t]) {
                memcpy(o, hp, (size_t)H * sizeof *o);
                memset(gt, 0, (size_t)G4 * sizeof *gt);
                continue;
            }
            gru_cell(o, gt, gt + H, gt + 2 * H, gt + 3 * H, hg + b * G, bi, bh, hp, H);
        }
    }
    free(wiht);
    free(whht);
}

/* dx: [B,T,In]  dh0: [B,H]  dw_ih: [3H,In]  dw_hh: [3H,H]  db_ih, db_hh: [3H]
 * (NULL = not wanted; all ADDED into)
 * dout, out: [B,T,H]  gates: [B,T,4H] from the forward, CONSUMED: overwritten with the gate
 * gradients, so the backward needs no [B,T,3H] buffers of its own
 * x, h0, w_ih, w_hh, mask: as in the forward  scratch: 2*B*H + 5*H floats (nn.h promises
 * callers B*T*H more; it is no longer used) */
void tide_gru_backward(float *dx, float *dh0, float *dw_ih, float *dw_hh, float *db_ih,
                       float *db_hh, const float *dout, const float *out, float *gates,
                       const float *x, const float *h0, const float *w_ih, const float *w_hh,
                       const uint8_t *mask, int64_t B, int64_t T, int64_t In, int64_t H,
                       float *scratch)
{
    int64_t G = 3 * H, G4 = 4 * H;
    float *dh = scratch, *dhp = dh + B * H, *zeros = dhp + B * H, *acc = zeros + H;
    memset(zeros, 0, (size_t)(5 * H) * sizeof *zeros);
    memset(dh, 0, (size_t)(B * H) * sizeof *dh);
    for (int64_t t = T - 1; t >= 0; t--) {
        for (int64_t b = 0; b < B; b++) {
            float *d = dh + b * H, *dp = dhp + b * H;
            const float *go = dout + (b * T + t) * H;
            for (int64_t j = 0; j < H; j++) d[j] += go[j];
            float *gt = gates + (b * T + t) * G4;
            if (mask && !mask[b * T + t]) {
                memcpy(dp, d, (size_t)H * sizeof *dp);
                memset(gt, 0, (size_t)G4 * sizeof *gt);
                continue;
            }
            gru_cell_backward(gt, gt + H, gt + 2 * H, gt + 3 * H, dp, d,
                              h_prev(out, h0, zeros, b, t, T, H), acc, H);
        }
        /* dh_{t-1} = direct part + [dr, dz, dn_h] W_hh (padded rows contribute 0) */
        tide_nnu_rnn_gemm(0, B, H, G, gates + t * G4, T * G4, w_hh, H, 1.0f, dhp, H);
        float *sw = dh;
        dh = dhp, dhp = sw;
    }
    if (dh0)
        for (int64_t i = 0; i < B * H; i++) dh0[i] += dh[i];
    /* input side: columns [dr, dz] and dn_x of each row */
    if (dx) {
        tide_nnu_rnn_gemm(0, B * T, In, 2 * H, gates, G4, w_ih, In, 1.0f, dx, In);
        tide_nnu_rnn_gemm(0, B * T, In, H, gates + 3 * H, G4, w_ih + 2 * H * In, In, 1.0f, dx, In);
    }
    if (dw_ih) {
        tide_nnu_rnn_gemm(1, 2 * H, In, B * T, gates, G4, x, In, 1.0f, dw_ih, In);
        tide_nnu_rnn_gemm(1, H, In, B * T, gates + 3 * H, G4, x, In, 1.0f, dw_ih + 2 * H * In, In);
    }
    if (dw_hh) {
        /* hidden side: [dr, dz, dn_h] against the previous states. Within a row b, the state
         * before step t >= 1 is out[b,t-1], so each row's steps 1..T-1 are one product
         * against out read in place (no [B,T,H] copy of the previous states); step 0 pairs
         * with h0 (zeros: nothing to add). */
        if (T > 1)
            for (int64_t b = 0; b < B; b++)
                tide_nnu_rnn_gemm(1, G, H, T - 1, gates + (b * T + 1) * G4, G4, out + b * T * H, H,
                                  1.0f, dw_hh, H);
        if (h0) tide_nnu_rnn_gemm(1, G, H, B, gates, T * G4, h0, H, 1.0f, dw_hh, H);
    }
    if (db_hh)
        for (int64_t j = 0; j < G; j++) db_hh[j] += acc[j];
    if (db_ih) {
        for (int64_t j = 0; j < 2 * H; j++) db_ih[j] += acc[j];
        for (int64_t j = 0; j < H; j++) db_ih[2 * H + j] += acc[3 * H + j];
    }
}

/* ---- differentiable wrapper ----
 * inputs: x, h0, w_ih, w_hh, b_ih, b_hh (absent ones skipped); saved: x contiguous, out view,
 * gates, h0 contiguous (if any), w_ih and w_hh contiguous; ctx: mask bytes (ints[0] = has). */
enum { IN_X, IN_H0, IN_WIH, IN_WHH, IN_BIH, IN_BHH };

static int gru_backward(tide_node *node, const tide_tensor *grad_out)
{
    tide_tensor *x = node->saved[0], *out = node->saved[1], *gates = node->saved[2];
    tide_tensor *wih = node->saved[3], *whh = node->saved[4];
    tide_tensor *h0 = node->nsaved > 5 ? node->saved[5] : NULL;
    int64_t B = x->shape[0], T = x->shape[1], In = x->shape[2], H = whh->shape[1];
    tide_tensor *g = tide_nnu_grad(grad_out);
    tide_tensor *grads[6] = {0};
    static const int which[6] = {IN_X, IN_H0, IN_WIH, IN_WHH, IN_BIH, IN_BHH};
    int rc = TIDE_ERR;
    float *scratch = malloc((size_t)(2 * B * H + 5 * H + 1) * sizeof(float));
    if (!g || !scratch) {
        if (g) tide_errorf("gru backward: out of memory");
        goto done;
    }
    for (int i = 0; i < 6; i++)
        if (tide_nnu_wants(node, which[i])) {
            grads[i] = tide_nnu_zeros_like(tide_nnu_input(node, which[i]));
            if (!grads[i]) goto done;
        }
#define GP(i) (grads[i] ? tide_f32(grads[i]) : NULL)
    /* the backward consumes the saved gates; they are ours unless someone else holds them */
    tide_tensor *own = gates->refcount == 1 && gates->storage->refcount == 1
                           ? tide_tensor_retain(gates) : tide_tensor_clone(gates);
    if (!own) goto done;
    tide_gru_backward(GP(0), GP(1), GP(2), GP(3), GP(4), GP(5), tide_f32(g), tide_f32(out),
                      tide_f32(own), tide_f32(x), h0 ? tide_f32(h0) : NULL, tide_f32(wih),
                      tide_f32(whh), node->ints[0] ? (const uint8_t *)node->ctx : NULL, B, T, In,
                      H, scratch);
    tide_tensor_release(own);
#undef GP
    rc = TIDE_OK;
    for (int i = 0; i < 6; i++)
        if (grads[i]) rc |= tide_nnu_accum(tide_nnu_input(node, which[i]), grads[i]), grads[i] = NULL;
done:
    for (int i = 0; i < 6; i++) tide_tensor_release(grads[i]);
    free(scratch);
    tide_tensor_release(g);
    return rc ? TIDE_ERR : TIDE_OK;
}

tide_tensor *tide_nn_gru(tide_tensor *x, tide_tensor *h0, tide_tensor *w_ih, tide_tensor *w_hh,
                         tide_tensor *b_ih, tide_tensor *b_hh, const tide_tensor *mask)
{
    const char *op = "gru";
    int64_t B, T, In, H;
    if (tide_nnu_rnn_check(op, 3, x, h0, NULL, w_ih, w_hh, b_ih, b_hh, &B, &T, &In, &H))
        return NULL;
    int err;
    uint8_t *m = tide_nnu_mask(mask, B, T, op, &err);
    if (err) return NULL;
    tide_tensor *c[6] = {tide_tensor_contiguous(x), h0 ? tide_tensor_contiguous(h0) : NULL,
                         tide_tensor_contiguous(w_ih), tide_tensor_contiguous(w_hh),
                         b_ih ? tide_tensor_contiguous(b_ih) : NULL,
                         b_hh ? tide_tensor_contiguous(b_hh) : NULL};
    int64_t oshape[3] = {B, T, H}, gshape[3] = {B, T, 4 * H};
    tide_tensor *out = tide_tensor_empty(TIDE_F32, 3, oshape);
    tide_tensor *gates = tide_tensor_empty(TIDE_F32, 3, gshape);
    tide_tensor *oview = out ? tide_tensor_view(out, 3, oshape) : NULL;
    float *scratch = malloc((size_t)(B * 3 * H + 10 * H + 1) * sizeof(float));
    int ok = c[0] && (!h0 || c[1]) && c[2] && c[3] && (!b_ih || c[4]) && (!b_hh || c[5]) &&
             out && gates && oview && scratch;
    if (ok) {
#define CP(i) (c[i] ? tide_f32(c[i]) : NULL)
        tide_gru_forward(tide_f32(out), tide_f32(gates), CP(0), CP(1), CP(2), CP(3), CP(4), CP(5),
                         m, B, T, In, H, scratch);
#undef CP
        tide_tensor *in[6] = {x, h0, w_ih, w_hh, b_ih, b_hh};
        tide_node *node; /* NULL out on failure: m and the buffers are freed below */
        out = tide_nnu_record(out, op, gru_backward, 6, in, &node);
        if (node) {
            tide_ag_save(node, c[0]);
            tide_ag_save(node, oview);
            tide_ag_save(node, gates);
            tide_ag_save(node, c[2]);
            tide_ag_save(node, c[3]);
            if (c[1]) tide_ag_save(node, c[1]);
            node->ints[0] = m != NULL;
            node->ctx = m;
            m = NULL;
        }
    } else {
        if (out && gates && oview && !scratch) tide_errorf("%s: out of memory", op);
        tide_tensor_release(out);
        out = NULL;
    }
    free(scratch);
    free(m);
    for (int i = 0; i < 6; i++) tide_tensor_release(c[i]);
    tide_tensor_release(gates);
    tide_tensor_release(oview);
    return out;
}
