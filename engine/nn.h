/* nn.h — fused neural-network kernels with hand-written backward passes.
 *
 * Two layers per concept, both declared here:
 *  - raw kernels (tide_<op>_forward / tide_<op>_backward) over contiguous f32 buffers, in the
 *    style of llm.c: a shape comment per argument, the forward says what it leaves for the
 *    backward, and every backward ADDS into the gradient buffers it is given (callers zero
 *    them), so a parameter shared by several calls accumulates naturally;
 *  - differentiable wrappers (tide_nn_<op>) over tensors of any view: they check shapes and
 *    dtypes (error message names the op and the shapes), run the raw forward and, when
 *    autograd needs it, record one node whose backward calls the raw backward.
 *
 * Conventions: "N" is the product of all leading dims (rows), the last dim is the feature
 * dim. Masks are tensors of any dtype, nonzero = real token, zero = padding. Id tensors are
 * i32 or i64; `base` is subtracted from every id (0 for C callers, 1 for Lua's 1-based ids)
 * and ids out of range are a runtime error. Ownership as in tensor.h: NEW references, or NULL
 * with tide_error() set. Files: nn_linear.c, nn_embedding.c, nn_layernorm.c, nn_softmax.c,
 * nn_dropout.c, nn_attention.c (+ _op.c), nn_gru.c, nn_lstm.c, nn_conv1d.c, nn_loss.c. */
#ifndef TIDE_NN_H
#define TIDE_NN_H

#include <stdint.h>

#include "rng.h"
#include "tensor.h"

typedef enum { TIDE_ACT_NONE = 0, TIDE_ACT_RELU, TIDE_ACT_GELU, TIDE_ACT_TANH, TIDE_ACT_SIGMOID } tide_act;
typedef enum { TIDE_REDUCE_MEAN = 0, TIDE_REDUCE_SUM, TIDE_REDUCE_NONE } tide_reduction;

/* ---- nn_linear.c: y = residual + dropout(act(x W^T + b)) ----
 * The epilogue (bias, activation, dropout, residual add) is fused into one pass over the
 * sgemm result, so a transformer's "x + Dropout(Linear(h))" is one kernel and one tensor.
 * GELU is the exact erf form (Hendrycks & Gimpel 2016), as PyTorch's default nn.GELU. */
typedef struct {
    tide_act act;
    float dropout_p;        /* applied after the activation; 0 = none */
    uint64_t seed, counter; /* Philox stream of the dropout mask (half-word counter, see
                             * tide_dropout_forward); element (r, j) is counter + r*O + j */
} tide_linear_epi;
/* out: [N,O]  pre: [N,O] = x W^T + b, saved for the backward (needed only when act != NONE;
 * may be NULL otherwise)  x: [N,In]  w: [O,In]  b: [O] or NULL  residual: [N,O] or NULL
 * e: NULL = no activation, no dropout */
void tide_linear_forward(float *out, float *pre, const float *x, const float *w, const float *b,
                         const float *residual, int64_t N, int64_t In, int64_t O,
                         const tide_linear_epi *e);
/* dx: [N,In]  dw: [O,In]  db: [O]  (NULL = not wanted; ADDED into; the residual's gradient is
 * dout itself)  dout: [N,O]  pre: [N,O] from the forward  x: [N,In]  w: [O,In]
 * scratch: [N,O] floats when act != NONE or dropout > 0 (may alias pre: consumed in place) */
void tide_linear_backward(float *dx, float *dw, float *db, const float *dout, const float *pre,
                          const float *x, const float *w, int64_t N, int64_t In, int64_t O,
                          const tide_linear_epi *e, float *scratch);
tide_tensor *tide_nn_linear(tide_tensor *x, tide_tensor *w, tide_tensor *b, tide_act act);
/* The fused form: dropout with probability p (training only: pass p = 0 otherwise) drawn
 * from rng (NULL: default generator), and residual (NULL or the output's shape) added last. */
tide_tensor *tide_nn_linear_ex(tide_tensor *x, tide_tensor *w, tide_tensor *b, tide_act act,
                               double p, tide_rng *rng, tide_tensor *residual);
/* elementwise activation of a buffer and its derivative helpers (shared with the layers) */
void tide_act_forward(float *y, const float *x, int64_t n, tide_act act);
/* dx[i] = dy[i] * act'(x[i]) where x is the pre-activation (written, not added) */
void tide_act_backward(float *dx, const float *dy, const float *x, int64_t n, tide_act act);

/* ---- nn_embedding.c ----
 * out: [N,D]  w: [V,D]  ids: [N] (already 0-based, checked)
 * Rows whose id equals padding_idx (or any row when padding_idx < 0: none) read w normally;
 * their gradient is dropped. */
void tide_embedding_forward(float *out, const float *w, const int64_t *ids, int64_t N, int64_t D);
/* dw: [V,D] ADDED into, touching only rows that occur in ids */
void tide_embedding_backward(float *dw, const float *dout, const int64_t *ids, int64_t N,
                             int64_t D, int64_t padding_idx);
/* w [V,D], ids of any shape -> [ids..., D]. padding_idx is a raw id (before `base`) or
 * INT64_MIN for none. When w is a leaf whose ->grad already exists, the backward adds into
 * the touched rows of w->grad in place instead of materialising a dense [V,D] gradient (and a
 * first gradient is handed to the leaf, not copied). */
tide_tensor *tide_nn_embedding(tide_tensor *w, const tide_tensor *ids, int64_t base,
                               int64_t padding_idx);

/* ---- nn_layernorm.c (Ba et al. 2016) ----
 * out: [N,D]  mean, rstd: [N] saved for the backward  x: [N,D]  gamma, beta: [D] or NULL */
void tide_layernorm_forward(float *out, float *mean, float *rstd, const float *x,
                            const float *gamma, const float *beta, int64_t N, int64_t D, float eps);
/* dx: [N,D]  dgamma, dbeta: [D] (each may be NULL; all ADDED into) */
void tide_layernorm_backward(float *dx, float *dgamma, float *dbeta, const float *dout,
                             const float *x, const float *mean, const float *rstd,
                             const float *gamma, int64_t N, int64_t D);
tide_tensor *tide_nn_layernorm(tide_tensor *x, tide_tensor *gamma, tide_tensor *beta, double eps);

/* ---- nn_softmax.c: along the last dim, max-subtracted so it never overflows ----
 * y: [N,D] (saved: the backward needs only y)  x: [N,D] */
void tide_softmax_forward(float *y, const float *x, int64_t N, int64_t D, int log);
/* dx: [N,D] ADDED into  dy, y: [N,D] */
void tide_softmax_backward(float *dx, const float *dy, const float *y, int64_t N, int64_t D,
                           int log);
tide_tensor *tide_nn_softmax(tide_tensor *x, int log);

/* ---- nn_dropout.c: inverted dropout, mask from Philox (rng.h) ----
 * Element i is kept iff 16-bit half-word (counter + i) of stream `seed` is >= p * 2^16, so
 * the backward regenerates the mask instead of storing it and results do not depend on
 * threads. `counter` counts half-words (twice the tide_rng word counter). */
void tide_dropout_forward(float *y, const float *x, int64_t n, float p, uint64_t seed,
                          uint64_t counter);
void tide_dropout_backward(float *dx, const float *dy, int64_t n, float p, uint64_t seed,
                           uint64_t counter); /* ADDS */
/* Identity (x retained) when !training or p == 0. rng NULL uses the default generator,
 * whose counter advances by numel(x)/2 words (from a 64-word boundary). p in [0,1). */
tide_tensor *tide_nn_dropout(tide_tensor *x, double p, int training, tide_rng *rng);
/* Reserves n words of rng (NULL: default) and returns the first counter. */
uint64_t tide_rng_reserve(tide_rng *rng, uint64_t n);

/* ---- nn_attention.c: multi-head scaled dot-product attention (Vaswani et al. 2017) ----
 * q: [B,T,D] keys/values: [B,S,D], heads split inside (D = H * dh). Each of q, k, v is read
 * through a batch stride and a time stride (unit stride in the feature dim), so q, k and v
 * can be column blocks of one fused [B,T,3D] projection without copies.
 * Optional time-gap terms, computed per (i, j) inside the kernel from event times tq [B,T]
 * (queries) and tk [B,S] (keys), with gap(i,j) = max(0, tq[b,i] - tk[b,j]):
 *  - decay: logit(i,j) -= rate[h] f(gap), f = identity (TIDE_ATTN_DECAY_LINEAR: weights
 *    ∝ e^{-λΔ}) or log1p (TIDE_ATTN_DECAY_LOG1P: weights ∝ (1+Δ)^{-λ}), rate [H];
 *  - interval embeddings (TiSASRec, Li, Wang & McAuley, WSDM 2020): with the bucket
 *    r = min(n_int - 1, floor(gap)), logit(i,j) += scale q_i·ik[r] and out_i += Σ_j w_ij iv[r],
 *    ik, iv [n_int, D] contiguous (heads as column blocks, like q). */
typedef enum { TIDE_ATTN_DECAY_NONE = 0, TIDE_ATTN_DECAY_LINEAR, TIDE_ATTN_DECAY_LOG1P } tide_attn_decay;
typedef struct {
    int64_t B, T, S, D, H;
    int64_t q_bs, q_ts, k_bs, k_ts, v_bs, v_ts; /* strides in elements */
    int causal;                /* query i sees keys j <= i + (S - T) */
    const uint8_t *key_mask;   /* [B,S], 1 = real key, or NULL */
    float scale;               /* usually 1/sqrt(dh) */
    float dropout_p;           /* on the attention weights; 0 = none */
    uint64_t seed, counter;    /* Philox stream of the dropout mask: weight (b,h,i,j) is
                                * half-word counter + ((b*H+h)*T+i)*S64 + j, S64 = S rounded
                                * up to 64 (see tide_nnu_keep_mask) */
    const float *tq, *tk;      /* [B,T], [B,S] contiguous finite times (the wrappers check);
                                * needed by the terms below */
    tide_attn_decay decay;     /* NONE: no decay bias */
    const float *rate;         /* [H] λ_h (any sign), with decay */
    int64_t n_int;             /* number of interval buckets; 0 = no interval embeddings */
    const float *ik, *iv;      /* [n_int, D] interval key / value embeddings */
} tide_attn_desc;
/* Gradients of the backward, each ADDED into and laid out like its input; NULL = not wanted. */
typedef struct {
    float *dq, *dk, *dv;       /* strided like q, k, v */
    float *drate;              /* [H] */
    float *dik, *div;          /* [n_int, D] */
} tide_attn_grads;
/* Floats of scratch the forward (backward = 0) or backward needs for d. */
int64_t tide_attention_scratch(const tide_attn_desc *d, int backward);
/* out: [B,T,D] contiguous  lse: [B,H,T] log-sum-exp of each row's logits (saved; INFINITY for
 * a row with no visible key, whose weights and output are zero, never NaN)  probs: NULL or
 * [B,H,T,S] zero-filled, receives the weights. The backward recomputes the weights from the
 * scores and lse instead of storing B*H*T*S floats. */
void tide_attention_forward(const tide_attn_desc *d, float *out, float *lse, float *probs,
                            const float *q, const float *k, const float *v, float *scratch);
void tide_attention_backward(const tide_attn_desc *d, const tide_attn_grads *g,
                             const float *dout, const float *lse, const float *q,
                             const float *k, const float *v, float *scratch);
/* Optional time-gap terms of the wrappers (nn_attention_op.c). times [B,T] f32 (finite);
 * key_times [B,S] or NULL (= times, self-attention); rate [H] with decay != NONE;
 * ik and iv [n, D] together or both NULL; rate, ik and iv are differentiable. */
typedef struct {
    tide_tensor *times, *key_times;
    tide_attn_decay decay;
    tide_tensor *rate;
    tide_tensor *ik, *iv;
} tide_attn_time;
/* q [B,T,D], k/v [B,S,D]; key_mask NULL or [B,S]; weights (optional out) receives the
 * attention weights [B,H,T,S] (a non-differentiable new reference). */
tide_tensor *tide_nn_attention(tide_tensor *q, tide_tensor *k, tide_tensor *v, int heads,
                               int causal, const tide_tensor *key_mask, double dropout_p,
                               tide_rng *rng, tide_tensor **weights);
/* Self-attention over a fused projection qkv [B,T,3D] (q | k | v column blocks). */
tide_tensor *tide_nn_attention_qkv(tide_tensor *qkv, int heads, int causal,
                                   const tide_tensor *key_mask, double dropout_p, tide_rng *rng,
                                   tide_tensor **weights);
/* The same with time-gap terms (tm NULL: none). For the qkv form tm->key_times must be NULL. */
tide_tensor *tide_nn_attention_time(tide_tensor *q, tide_tensor *k, tide_tensor *v, int heads,
                                    int causal, const tide_tensor *key_mask,
                                    const tide_attn_time *tm, double dropout_p, tide_rng *rng,
                                    tide_tensor **weights);
tide_tensor *tide_nn_attention_qkv_time(tide_tensor *qkv, int heads, int causal,
                                        const tide_tensor *key_mask, const tide_attn_time *tm,
                                        double dropout_p, tide_rng *rng, tide_tensor **weights);

/* ---- nn_gru.c / nn_lstm.c: recurrent layers over padded batches ----
 * x [B,T,I]; PyTorch weight layout: GRU gates (r,z,n) w_ih [3H,I], w_hh [3H,H], biases [3H];
 * LSTM gates (i,f,g,o) with 4H. mask [B,T] (NULL: all real). At a padded step the state is
 * carried unchanged and the output repeats it, so left- and right-padded batches both work
 * and out[:, T-1] is every row's final state. h0 (and c0) [B,H] or NULL for zeros.
 * Returns out [B,T,H]. The input projection of all steps is one sgemm; each step is one sgemm
 * [B,H]x[H,G] for the whole batch; the backward (BPTT) does one per step (two for the GRU,
 * whose n gate has separate input and hidden gradients) and the weight gradients over all
 * steps at the end. */
tide_tensor *tide_nn_gru(tide_tensor *x, tide_tensor *h0, tide_tensor *w_ih, tide_tensor *w_hh,
                         tide_tensor *b_ih, tide_tensor *b_hh, const tide_tensor *mask);
tide_tensor *tide_nn_lstm(tide_tensor *x, tide_tensor *h0, tide_tensor *c0, tide_tensor *w_ih,
                          tide_tensor *w_hh, tide_tensor *b_ih, tide_tensor *b_hh,
                          const tide_tensor *mask);
/* raw GRU: out [B,T,H], gates [B,T,4H] saved (r,z,n, W_hn h + b_hn); scratch
 * B*3H + 10*H floats. Backward ADDS into any non-NULL gradient and CONSUMES gates
 * (overwritten with the gate gradients); scratch B*T*H + 2*B*H + 5*H floats. Other shapes as
 * for tide_nn_gru. */
void tide_gru_forward(float *out, float *gates, const float *x, const float *h0,
                      const float *w_ih, const float *w_hh, const float *b_ih, const float *b_hh,
                      const uint8_t *mask, int64_t B, int64_t T, int64_t In, int64_t H,
                      float *scratch);
void tide_gru_backward(float *dx, float *dh0, float *dw_ih, float *dw_hh, float *db_ih,
                       float *db_hh, const float *dout, const float *out, float *gates,
                       const float *x, const float *h0, const float *w_ih, const float *w_hh,
                       const uint8_t *mask, int64_t B, int64_t T, int64_t In, int64_t H,
                       float *scratch);
/* raw LSTM: out, cell [B,T,H] and gates [B,T,4H] (i,f,g,o activations) saved; scratch
 * B*4H + H floats forward, B*T*H + 4*B*H + 5*H backward, which CONSUMES gates. */
void tide_lstm_forward(float *out, float *cell, float *gates, const float *x, const float *h0,
                       const float *c0, const float *w_ih, const float *w_hh, const float *b_ih,
                       const float *b_hh, const uint8_t *mask, int64_t B, int64_t T, int64_t In,
                       int64_t H, float *scratch);
void tide_lstm_backward(float *dx, float *dh0, float *dc0, float *dw_ih, float *dw_hh,
                        float *db_ih, float *db_hh, const float *dout, const float *out,
                        const float *cell, float *gates, const float *x, const float *h0,
                        const float *c0, const float *w_ih, const float *w_hh,
                        const uint8_t *mask, int64_t B, int64_t T, int64_t In, int64_t H,
                        float *scratch);
/* mask [B,T] -> lengths-style mask helper: mask[b,t] = t < len[b] (right padding) or
 * t >= T - len[b] (left padding). lengths i32/i64 [B]. Returns an i32 [B,T] tensor. */
tide_tensor *tide_nn_lengths_mask(const tide_tensor *lengths, int64_t T, int left);

/* ---- nn_conv1d.c: 1-D convolution over time, channels last (for text/sequence CNNs) ----
 * x [B,T,Cin], w [Cout,K,Cin] (tap-major so a window is one contiguous row), b [Cout] or
 * NULL, `pad` zeros on both ends -> out [B, T+2*pad-K+1, Cout]. */
tide_tensor *tide_nn_conv1d(tide_tensor *x, tide_tensor *w, tide_tensor *b, int64_t pad);
/* raw: out [B,Tout,Cout], col scratch B*Tout*K*Cin floats (the backward rebuilds it from x) */
void tide_conv1d_forward(float *out, const float *x, const float *w, const float *b, int64_t B,
                         int64_t T, int64_t Cin, int64_t Cout, int64_t K, int64_t pad, float *col);
void tide_conv1d_backward(float *dx, float *dw, float *db, const float *dout, const float *x,
                          const float *w, int64_t B, int64_t T, int64_t Cin, int64_t Cout,
                          int64_t K, int64_t pad, float *col);
/* Max over time: x [B,T,C], mask [B,T] or NULL -> [B,C]; the gradient goes to the argmax.
 * A row whose steps are all padding gives 0. */
tide_tensor *tide_nn_max_over_time(tide_tensor *x, const tide_tensor *mask);
/* raw: out [B,C], arg [B,C] (saved argmax step, -1 if none); backward ADDS dout at arg */
void tide_max_over_time_forward(float *out, int64_t *arg, const float *x, const uint8_t *mask,
                                int64_t B, int64_t T, int64_t C);
void tide_max_over_time_backward(float *dx, const float *dout, const int64_t *arg, int64_t B,
                                 int64_t T, int64_t C);

/* ---- nn_loss.c: losses, mean over counted rows by default; 0-dim result unless NONE ---- */
/* logits, target: same shape (target in [0,1]); weight: NULL or per-element, same shape.
 * loss = w*(max(x,0) - x*y + log1p(exp(-|x|))), stable for any x; MEAN divides by the weight
 * sum when a weight is given (a 0/1 mask gives the mean over kept elements; sum 0: loss 0). */
tide_tensor *tide_nn_bce_logits(tide_tensor *logits, tide_tensor *target, tide_tensor *weight,
                                tide_reduction red);
/* logits [N,C], target ids [N]. Rows whose raw id == ignore_index (pass INT64_MIN for none)
 * count for nothing; MEAN divides by the rows counted (0 rows: loss 0).
 * candidates: NULL, or ids [N,C] / [C] naming the class of each logit column (sampled
 * softmax): the target must appear among its row's candidates; other columns holding the
 * target id (accidental hits) are excluded from the softmax. */
tide_tensor *tide_nn_cross_entropy(tide_tensor *logits, const tide_tensor *target, int64_t base,
                                   int64_t ignore_index, const tide_tensor *candidates,
                                   tide_reduction red);
/* Mean softmax cross-entropy of each row's target logit pos [N] against negative logits neg
 * [N,k] whose ids negs [k] all rows share; a negative equal to the row's target id (target
 * [N]) is left out of that row's softmax (nn_sampled_softmax.c). */
tide_tensor *tide_nn_sampled_softmax(tide_tensor *pos, tide_tensor *neg, const tide_tensor *target,
                                     const tide_tensor *negs);
tide_tensor *tide_nn_mse(tide_tensor *pred, tide_tensor *target, tide_reduction red);
/* Bayesian personalised ranking (Rendle et al. 2009): mean of -log sigmoid(pos - neg).
 * pos [N], neg [N] or [N,K] (each negative paired with its row's positive). */
tide_tensor *tide_nn_bpr(tide_tensor *pos, tide_tensor *neg, tide_reduction red);

#endif
