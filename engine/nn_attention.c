/* nn_attention.c — multi-head scaled dot-product attention (Vaswani et al. 2017) with a causal
 * mask, a key-padding mask and dropout on the weights, fused per (batch, head) and per block
 * of query rows: the scores of a block are one sgemm against only the keys it can see (so a
 * causal model skips the upper triangle), the softmax runs on a tile that stays in cache, and
 * the weighted values are one more sgemm. Nothing of size T*S is kept for the backward: it
 * saves the log-sum-exp of each row and recomputes the weights tile by tile (as
 * FlashAttention, Dao et al. 2022), which costs one sgemm but saves writing and re-reading
 * B*H*T*S floats. Heads are column blocks of the [B,T,D] inputs, so nothing is transposed or
 * copied to split them. */
#include <stdlib.h>

#include "nn_internal.h"

/* Query rows per block. Smaller blocks skip more of a causal upper triangle (the mean fraction
 * of keys computed is (1 + R/T)/2) but make smaller sgemms. */
enum { ROWS = 32 };

/* Keys visible to query i: j < limit(i) and key_mask[j]. */
static inline int64_t visible_limit(const tide_attn_desc *d, int64_t i)
{
    if (!d->causal) return d->S;
    int64_t lim = i + d->S - d->T + 1;
    return lim < 0 ? 0 : lim > d->S ? d->S : lim;
}

/* 1/0 per key of batch row b (all ones without a mask). */
static void key_weights(const tide_attn_desc *d, int64_t b, float *kw)
{
    for (int64_t j = 0; j < d->S; j++) kw[j] = d->key_mask ? (float)d->key_mask[b * d->S + j] : 1.0f;
}

/* Dropout: weight (b, h, i, j) is Philox element drop_elem(b, h, i) + j. Rows are padded to
 * a multiple of 64 elements so each starts on a vector chunk and a causal row draws only the
 * chunks covering its visible keys. */
static inline int64_t padded_row(int64_t S) { return (S + 63) & ~(int64_t)63; }
static inline uint64_t drop_elem(const tide_attn_desc *d, int64_t b, int64_t h, int64_t i)
{
    return d->counter + (uint64_t)(((b * d->H + h) * d->T + i) * padded_row(d->S));
}

/* P[i, :kmax] *= keep for n rows starting at query i0; keep: scratch of n*padded_row(S). */
static void drop_rows(const tide_attn_desc *d, float *P, float *keep, int64_t b, int64_t h,
                      int64_t i0, int64_t n, int64_t kmax, float *out)
{
    int64_t S = d->S, w = (kmax + 63) & ~(int64_t)63;
    for (int64_t i = 0; i < n; i++) {
        float *kr = keep + i * w;
        tide_nnu_keep_mask(kr, w, d->seed, drop_elem(d, b, h, i0 + i), d->dropout_p);
        float *o = out ? out + i * S : kr;
        for (int64_t j = 0; j < kmax; j++) o[j] = P[i * S + j] * kr[j];
    }
}

/* Scores of rows [i0, i1) against keys [0, kmax) into A (row stride S), scaled. */
static void scores(const tide_attn_desc *d, float *A, const float *qh, const float *kh,
                   int64_t i0, int64_t i1, int64_t kmax, int64_t dh)
{
    nn_gemm(0, 1, i1 - i0, kmax, dh, d->scale, qh + i0 * d->q_ts, d->q_ts, kh, d->k_ts, 0.0f, A,
            d->S);
}

/* Softmax of one row in place over its visible keys; returns the log-sum-exp (INFINITY when
 * no key is visible: the row becomes zeros). Entries in [lim, kmax) become 0. */
NN_VECTOR static float softmax_row(float *restrict row, const float *restrict kw, int64_t lim, int64_t kmax)
{
    float m = -INFINITY;
    for (int64_t j = 0; j < lim; j++) {
        float sc = kw[j] != 0.0f ? row[j] : -INFINITY;
        m = sc > m ? sc : m;
    }
    if (m == -INFINITY) {
        memset(row, 0, (size_t)kmax * sizeof *row);
        return INFINITY;
    }
    float sum = 0.0f;
    for (int64_t j = 0; j < lim; j++) {
        float e = nn_expf(row[j] - m) * kw[j];
        row[j] = e;
        sum += e;
    }
    for (int64_t j = lim; j < kmax; j++) row[j] = 0.0f;
    float inv = 1.0f / sum;
    for (int64_t j = 0; j < lim; j++) row[j] *= inv;
    return m + logf(sum);
}

/* The weights of one row again from its scores and saved log-sum-exp. */
NN_VECTOR static void weights_row(float *restrict row, const float *restrict kw, int64_t lim, int64_t kmax,
                        float lse)
{
    if (lse == INFINITY) {
        memset(row, 0, (size_t)kmax * sizeof *row);
        return;
    }
    for (int64_t j = 0; j < lim; j++) row[j] = nn_expf(row[j] - lse) * kw[j];
    for (int64_t j = lim; j < kmax; j++) row[j] = 0.0f;
}

/* out: [B,T,D] contiguous  lse: [B,H,T] (saved for the backward)  probs: [B,H,T,S] or NULL
 * (filled with the weights when given; used for explanations, not by the backward)
 * q: [B,T,D]  k, v: [B,S,D] (strided)  scratch: 2*T*(S+64) + S floats */
void tide_attention_forward(const tide_attn_desc *d, float *out, float *lse, float *probs,
                            const float *q, const float *k, const float *v, float *scratch)
{
    int64_t B = d->B, T = d->T, S = d->S, D = d->D, H = d->H, dh = D / H;
    int64_t R = d->causal ? ROWS : T;
    if (R > T) R = T;
    float *A = scratch, *keep = A + R * S, *kw = keep + R * padded_row(S);
    for (int64_t b = 0; b < B; b++) {
        key_weights(d, b, kw);
        for (int64_t h = 0; h < H; h++) {
            const float *qh = q + b * d->q_bs + h * dh, *kh = k + b * d->k_bs + h * dh;
            const float *vh = v + b * d->v_bs + h * dh;
            float *oh = out + b * T * D + h * dh, *lh = lse + (b * H + h) * T;
            for (int64_t i0 = 0; i0 < T; i0 += R) {
                int64_t i1 = i0 + R < T ? i0 + R : T, kmax = visible_limit(d, i1 - 1);
                if (kmax == 0) { /* no row of the block sees a key */
                    for (int64_t i = i0; i < i1; i++) {
                        memset(oh + i * D, 0, (size_t)dh * sizeof *oh);
                        lh[i] = INFINITY;
                    }
                    continue;
                }
                scores(d, A, qh, kh, i0, i1, kmax, dh);
                for (int64_t i = i0; i < i1; i++) {
                    float *row = A + (i - i0) * S;
                    lh[i] = softmax_row(row, kw, visible_limit(d, i), kmax);
                    if (probs) memcpy(probs + ((b * H + h) * T + i) * S, row, (size_t)kmax * sizeof *row);
                }
                if (d->dropout_p > 0.0f) drop_rows(d, A, keep, b, h, i0, i1 - i0, kmax, A);
                nn_gemm(0, 0, i1 - i0, dh, kmax, 1.0f, A, S, vh, d->v_ts, 0.0f, oh + i0 * D, D);
            }
        }
    }
}

/* dq, dk, dv: strided like q, k, v, ADDED into (NULL = not wanted)
 * dout: [B,T,D] contiguous  lse: [B,H,T] from the forward  scratch: 3*T*(S+64) + S floats.
 * With O = (P∘M) V:  dV = (P∘M)^T dO,  dP = (dO V^T)∘M,  dS = P∘(dP - rowsum(P∘dP)),
 * dQ = scale dS K,  dK = scale dS^T Q; P is recomputed from the scores and lse. */
void tide_attention_backward(const tide_attn_desc *d, float *dq, float *dk, float *dv,
                             const float *dout, const float *lse, const float *q,
                             const float *k, const float *v, float *scratch)
{
    int64_t B = d->B, T = d->T, S = d->S, D = d->D, H = d->H, dh = D / H;
    int64_t R = d->causal ? ROWS : T;
    if (R > T) R = T;
    float *P = scratch, *G = P + R * S, *keep = G + R * S, *kw = keep + R * padded_row(S);
    int drop = d->dropout_p > 0.0f;
    for (int64_t b = 0; b < B; b++) {
        key_weights(d, b, kw);
        for (int64_t h = 0; h < H; h++) {
            const float *qh = q + b * d->q_bs + h * dh, *kh = k + b * d->k_bs + h * dh;
            const float *vh = v + b * d->v_bs + h * dh;
            const float *dO = dout + b * T * D + h * dh, *lh = lse + (b * H + h) * T;
            for (int64_t i0 = 0; i0 < T; i0 += R) {
                int64_t n = (i0 + R < T ? i0 + R : T) - i0, kmax = visible_limit(d, i0 + n - 1);
                if (kmax == 0) continue;
                scores(d, P, qh, kh, i0, i0 + n, kmax, dh);
                for (int64_t i = 0; i < n; i++)
                    weights_row(P + i * S, kw, visible_limit(d, i0 + i), kmax, lh[i0 + i]);
                int64_t kw64 = (kmax + 63) & ~(int64_t)63; /* keep row stride */
                if (drop) drop_rows(d, P, keep, b, h, i0, n, kmax, G); /* G = P∘M, keep = M */
                if (dv) {
                    const float *Pv = drop ? G : P;
                    nn_gemm(1, 0, kmax, dh, n, 1.0f, Pv, S, dO + i0 * D, D, 1.0f, dv + b * d->v_bs + h * dh, d->v_ts);
                }
                if (!dq && !dk) continue;
                nn_gemm(0, 1, n, kmax, dh, 1.0f, dO + i0 * D, D, vh, d->v_ts, 0.0f, G, S);
                for (int64_t i = 0; i < n; i++) {
                    float *restrict g = G + i * S;
                    const float *restrict p = P + i * S;
                    if (drop)
                        for (int64_t j = 0; j < kmax; j++) g[j] *= keep[i * kw64 + j];
                    float dot = 0.0f;
                    for (int64_t j = 0; j < kmax; j++) dot += p[j] * g[j];
                    for (int64_t j = 0; j < kmax; j++) g[j] = p[j] * (g[j] - dot);
                }
                if (dq) nn_gemm(0, 0, n, dh, kmax, d->scale, G, S, kh, d->k_ts, 1.0f, dq + b * d->q_bs + h * dh + i0 * d->q_ts, d->q_ts);
                if (dk) nn_gemm(1, 0, kmax, dh, n, d->scale, G, S, qh + i0 * d->q_ts, d->q_ts, 1.0f, dk + b * d->k_bs + h * dh, d->k_ts);
            }
        }
    }
}

/* ---- differentiable wrappers ---- */

/* node->ctx: this struct followed by the key mask bytes */
typedef struct {
    tide_attn_desc d;
    int packed; /* 1: one input qkv [B,T,3D]; 0: inputs q, k, v */
} attn_ctx;

static int attention_backward(tide_node *node, const tide_tensor *grad_out)
{
    attn_ctx *c = node->ctx;
    tide_attn_desc d = c->d;
    d.key_mask = node->ints[0] ? (const uint8_t *)(c + 1) : NULL;
    tide_tensor *lse = node->saved[0];
    tide_tensor *g = tide_nnu_grad(grad_out);
    float *scratch = malloc((size_t)(3 * d.T * (d.S + 64) + d.S + 1) * sizeof(float));
    int rc = TIDE_ERR;
    if (!g || !scratch) {
        if (g) tide_errorf("attention backward: out of memory");
        goto done;
    }
    if (c->packed) {
        tide_tensor *qkv = node->saved[1];
        tide_tensor *dqkv = tide_nnu_zeros_like(qkv);
        if (!dqkv) goto done;
        float *base = tide_f32(qkv), *dbase = tide_f32(dqkv);
        tide_attention_backward(&d, dbase, dbase + d.D, dbase + 2 * d.D, tide_f32(g),
                                tide_f32(lse), base, base + d.D, base + 2 * d.D, scratch);
        rc = tide_nnu_accum(node->inputs[0], dqkv);
    } else {
        tide_tensor *grads[3] = {NULL, NULL, NULL};
        for (int i = 0; i < 3; i++)
            if (tide_needs_grad(node->inputs[i])) {
                grads[i] = tide_nnu_zeros_like(node->saved[1 + i]);
                if (!grads[i]) goto fail3;
            }
        tide_attention_backward(&d, grads[0] ? tide_f32(grads[0]) : NULL,
                                grads[1] ? tide_f32(grads[1]) : NULL,
                                grads[2] ? tide_f32(grads[2]) : NULL, tide_f32(g),
                                tide_f32(lse), tide_f32(node->saved[1]),
                                tide_f32(node->saved[2]), tide_f32(node->saved[3]), scratch);
        rc = TIDE_OK;
        for (int i = 0; i < 3; i++)
            if (grads[i]) rc |= tide_nnu_accum(node->inputs[i], grads[i]), grads[i] = NULL;
    fail3:
        for (int i = 0; i < 3; i++) tide_tensor_release(grads[i]);
    }
done:
    free(scratch);
    tide_tensor_release(g);
    return rc ? TIDE_ERR : TIDE_OK;
}

/* Runs the forward on contiguous q/k/v views described by d; records the node. `ins` are the
 * caller's tensors (autograd inputs), `keep` the contiguous tensors to save. */
static tide_tensor *attention_run(tide_attn_desc *d, const float *q, const float *k,
                                  const float *v, uint8_t *mask, int packed, int nin,
                                  tide_tensor *const *ins, tide_tensor *const *keep,
                                  tide_tensor **weights)
{
    int64_t oshape[3] = {d->B, d->T, d->D}, pshape[4] = {d->B, d->H, d->T, d->S};
    int64_t lshape[3] = {d->B, d->H, d->T};
    tide_tensor *out = tide_tensor_empty(TIDE_F32, 3, oshape);
    tide_tensor *lse = tide_tensor_empty(TIDE_F32, 3, lshape);
    tide_tensor *probs = weights ? tide_tensor_new(TIDE_F32, 4, pshape) : NULL;
    float *scratch = malloc((size_t)(2 * d->T * (d->S + 64) + d->S + 1) * sizeof(float));
    if (!out || !lse || (weights && !probs) || !scratch) {
        if (out && lse && (!weights || probs)) tide_errorf("attention: out of memory");
        goto fail;
    }
    d->key_mask = mask;
    tide_attention_forward(d, tide_f32(out), tide_f32(lse), probs ? tide_f32(probs) : NULL, q, k,
                           v, scratch);
    tide_node *node;
    out = tide_nnu_wrap(out, "attention", attention_backward, nin, ins, &node);
    if (!out) goto fail;
    if (node) {
        size_t mbytes = mask ? (size_t)(d->B * d->S) : 0;
        attn_ctx *c = malloc(sizeof *c + mbytes);
        if (!c) {
            tide_errorf("attention: out of memory");
            goto fail;
        }
        c->d = *d;
        c->d.key_mask = NULL;
        c->packed = packed;
        if (mask) memcpy(c + 1, mask, mbytes);
        node->ctx = c;
        node->ints[0] = mask != NULL;
        tide_ag_save(node, lse);
        for (int i = 0; i < (packed ? 1 : 3); i++) tide_ag_save(node, keep[i]);
    }
    free(scratch);
    free(mask);
    tide_tensor_release(lse);
    if (weights) *weights = probs;
    return out;
fail:
    tide_tensor_release(out);
    tide_tensor_release(lse);
    tide_tensor_release(probs);
    free(scratch);
    free(mask);
    return NULL;
}

static int check_common(const char *op, int64_t D, int heads, double p)
{
    if (heads < 1 || D % heads != 0)
        return tide_errorf("%s: model dim %lld is not divisible by heads = %d", op, (long long)D,
                           heads);
    if (!(p >= 0.0 && p < 1.0)) return tide_errorf("%s: dropout must be in [0, 1), got %g", op, p);
    return TIDE_OK;
}

static void init_desc(tide_attn_desc *d, int64_t B, int64_t T, int64_t S, int64_t D, int heads,
                      int causal, double p, tide_rng *rng)
{
    memset(d, 0, sizeof *d);
    d->B = B, d->T = T, d->S = S, d->D = D, d->H = heads;
    d->causal = causal;
    d->scale = (float)(1.0 / sqrt((double)(D / heads)));
    d->dropout_p = (float)p;
    if (p > 0.0) {
        if (!rng) rng = tide_rng_default();
        d->seed = rng->seed;
        d->counter = 2 * tide_rng_reserve(rng, (uint64_t)(B * heads * T * padded_row(S)) / 2);
    }
}

tide_tensor *tide_nn_attention(tide_tensor *q, tide_tensor *k, tide_tensor *v, int heads,
                               int causal, const tide_tensor *key_mask, double dropout_p,
                               tide_rng *rng, tide_tensor **weights)
{
    const char *op = "attention";
    if (weights) *weights = NULL;
    if (tide_nnu_check_f32(q, op, "q") || tide_nnu_check_f32(k, op, "k") ||
        tide_nnu_check_f32(v, op, "v"))
        return NULL;
    char s1[96], s2[96], s3[96];
    if (q->ndim != 3 || k->ndim != 3 || !tide_same_shape(k, v) || q->shape[0] != k->shape[0] ||
        q->shape[2] != k->shape[2]) {
        tide_errorf("%s: want q [B,T,D], k and v [B,S,D]; got q %s, k %s, v %s", op,
                    tide_shape_str(q, s1, sizeof s1), tide_shape_str(k, s2, sizeof s2),
                    tide_shape_str(v, s3, sizeof s3));
        return NULL;
    }
    int64_t B = q->shape[0], T = q->shape[1], S = k->shape[1], D = q->shape[2];
    if (check_common(op, D, heads, dropout_p)) return NULL;
    if (causal && S < T) {
        tide_errorf("%s: causal attention needs at least as many keys (%lld) as queries (%lld)",
                    op, (long long)S, (long long)T);
        return NULL;
    }
    int err;
    uint8_t *mask = tide_nnu_mask(key_mask, B, S, op, &err);
    if (err) return NULL;
    tide_tensor *qc = tide_tensor_contiguous(q), *kc = tide_tensor_contiguous(k);
    tide_tensor *vc = tide_tensor_contiguous(v);
    tide_tensor *out = NULL;
    if (qc && kc && vc) {
        tide_attn_desc d;
        init_desc(&d, B, T, S, D, heads, causal, dropout_p, rng);
        d.q_bs = T * D, d.q_ts = D, d.k_bs = d.v_bs = S * D, d.k_ts = d.v_ts = D;
        tide_tensor *ins[3] = {q, k, v}, *keep[3] = {qc, kc, vc};
        out = attention_run(&d, tide_f32(qc), tide_f32(kc), tide_f32(vc), mask, 0, 3, ins, keep,
                            weights);
    } else {
        free(mask);
    }
    tide_tensor_release(qc);
    tide_tensor_release(kc);
    tide_tensor_release(vc);
    return out;
}

tide_tensor *tide_nn_attention_qkv(tide_tensor *qkv, int heads, int causal,
                                   const tide_tensor *key_mask, double dropout_p, tide_rng *rng,
                                   tide_tensor **weights)
{
    const char *op = "attention";
    if (weights) *weights = NULL;
    if (tide_nnu_check_f32(qkv, op, "qkv")) return NULL;
    if (qkv->ndim != 3 || qkv->shape[2] % 3 != 0) {
        char s[96];
        tide_errorf("%s: qkv must be [B,T,3D], got %s", op, tide_shape_str(qkv, s, sizeof s));
        return NULL;
    }
    int64_t B = qkv->shape[0], T = qkv->shape[1], D = qkv->shape[2] / 3;
    if (check_common(op, D, heads, dropout_p)) return NULL;
    int err;
    uint8_t *mask = tide_nnu_mask(key_mask, B, T, op, &err);
    if (err) return NULL;
    tide_tensor *c = tide_tensor_contiguous(qkv);
    if (!c) {
        free(mask);
        return NULL;
    }
    tide_attn_desc d;
    init_desc(&d, B, T, T, D, heads, causal, dropout_p, rng);
    d.q_bs = d.k_bs = d.v_bs = T * 3 * D;
    d.q_ts = d.k_ts = d.v_ts = 3 * D;
    const float *base = tide_f32(c);
    tide_tensor *out = attention_run(&d, base, base + D, base + 2 * D, mask, 1, 1, &qkv, &c,
                                     weights);
    tide_tensor_release(c);
    return out;
}
