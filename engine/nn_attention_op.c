/* nn_attention_op.c — the differentiable attention wrappers (tide_nn_attention*, nn.h): check
 * shapes and options, run the fused kernel of nn_attention.c on contiguous copies, and record
 * one autograd node that saves only the row log-sum-exps, the inputs and the small time-term
 * parameters (the key mask and the event times are copied into the node's context). Node
 * inputs, by slot: 0 q (or the fused qkv), 1 k, 2 v, 3 rate, 4 ik, 5 iv; absent ones are
 * skipped (tide_nnu_record). */
#include <stdlib.h>

#include "nn_internal.h"

/* node->ctx: this struct, then the times tq [B,T] and (when not self-attention) tk [B,S] as
 * floats when a time term is on, then the key mask bytes [B,S] when ints[0] */
typedef struct {
    tide_attn_desc d;
    int packed;      /* 1: one input qkv [B,T,3D]; 0: inputs q, k, v */
    int own_tk;      /* tk stored after tq (else tk = tq) */
    int timed;       /* time terms on */
    int s_rate, s_ik; /* indices of rate and ik (iv = ik + 1) in node->saved, or -1 */
} attn_ctx;

static tide_tensor *grad_for(tide_node *node, int slot, const tide_tensor *like, int *fail)
{
    if (!tide_nnu_wants(node, slot)) return NULL;
    tide_tensor *g = tide_nnu_zeros_like(like);
    if (!g) *fail = 1;
    return g;
}

static float *f32_or_null(tide_tensor *t) { return t ? tide_f32(t) : NULL; }

static int attention_backward(tide_node *node, const tide_tensor *grad_out)
{
    attn_ctx *c = node->ctx;
    tide_attn_desc d = c->d;
    float *times = (float *)(c + 1);
    int64_t nt = c->timed ? d.B * d.T + (c->own_tk ? d.B * d.S : 0) : 0;
    d.key_mask = node->ints[0] ? (const uint8_t *)(times + nt) : NULL;
    if (c->timed) d.tq = times, d.tk = c->own_tk ? times + d.B * d.T : times;
    if (c->s_rate >= 0) d.rate = tide_f32(node->saved[c->s_rate]);
    if (c->s_ik >= 0) d.ik = tide_f32(node->saved[c->s_ik]), d.iv = tide_f32(node->saved[c->s_ik + 1]);
    tide_tensor *lse = node->saved[0];
    tide_tensor *g = tide_nnu_grad(grad_out);
    float *scratch = malloc((size_t)tide_attention_scratch(&d, 1) * sizeof(float));
    tide_tensor *grads[6] = {NULL, NULL, NULL, NULL, NULL, NULL};
    int rc = TIDE_ERR, fail = 0;
    if (!g || !scratch) {
        if (g) tide_errorf("attention backward: out of memory");
        goto done;
    }
    int nin = c->packed ? 1 : 3;
    for (int i = 0; i < nin; i++) grads[i] = grad_for(node, i, node->saved[1 + i], &fail);
    if (c->s_rate >= 0) grads[3] = grad_for(node, 3, node->saved[c->s_rate], &fail);
    if (c->s_ik >= 0) {
        grads[4] = grad_for(node, 4, node->saved[c->s_ik], &fail);
        grads[5] = grad_for(node, 5, node->saved[c->s_ik + 1], &fail);
    }
    if (fail) goto done;
    tide_attn_grads ga = {0};
    const float *q, *k, *v;
    if (c->packed) {
        const float *base = tide_f32(node->saved[1]);
        q = base, k = base + d.D, v = base + 2 * d.D;
        if (grads[0]) {
            float *db = tide_f32(grads[0]);
            ga.dq = db, ga.dk = db + d.D, ga.dv = db + 2 * d.D;
        }
    } else {
        q = tide_f32(node->saved[1]), k = tide_f32(node->saved[2]), v = tide_f32(node->saved[3]);
        ga.dq = f32_or_null(grads[0]), ga.dk = f32_or_null(grads[1]), ga.dv = f32_or_null(grads[2]);
    }
    ga.drate = f32_or_null(grads[3]), ga.dik = f32_or_null(grads[4]), ga.div = f32_or_null(grads[5]);
    tide_attention_backward(&d, &ga, tide_f32(g), tide_f32(lse), q, k, v, scratch);
    rc = TIDE_OK;
    for (int i = 0; i < 6; i++)
        if (grads[i]) rc |= tide_nnu_accum(tide_nnu_input(node, i), grads[i]), grads[i] = NULL;
done:
    for (int i = 0; i < 6; i++) tide_tensor_release(grads[i]);
    free(scratch);
    tide_tensor_release(g);
    return rc ? TIDE_ERR : TIDE_OK;
}

/* What a call hands to attention_run: the caller's tensors (autograd inputs by slot) and the
 * contiguous copies the kernel reads and the node saves. */
typedef struct {
    tide_tensor *in[6];
    tide_tensor *keep[3]; /* q, k, v (or qkv alone) contiguous */
    tide_tensor *rate, *ik, *iv, *tq, *tk; /* contiguous, or NULL */
    int packed;
} attn_args;

/* Runs the forward; records the node. Takes ownership of mask. */
static tide_tensor *attention_run(tide_attn_desc *d, const float *q, const float *k,
                                  const float *v, uint8_t *mask, const attn_args *a,
                                  tide_tensor **weights)
{
    int64_t oshape[3] = {d->B, d->T, d->D}, pshape[4] = {d->B, d->H, d->T, d->S};
    int64_t lshape[3] = {d->B, d->H, d->T};
    tide_tensor *out = tide_tensor_empty(TIDE_F32, 3, oshape);
    tide_tensor *lse = tide_tensor_empty(TIDE_F32, 3, lshape);
    tide_tensor *probs = weights ? tide_tensor_new(TIDE_F32, 4, pshape) : NULL;
    d->key_mask = mask;
    if (a->tq) d->tq = tide_f32(a->tq), d->tk = a->tk ? tide_f32(a->tk) : d->tq;
    if (a->rate) d->rate = tide_f32(a->rate);
    if (a->ik) d->ik = tide_f32(a->ik), d->iv = tide_f32(a->iv);
    float *scratch = malloc((size_t)tide_attention_scratch(d, 0) * sizeof(float));
    if (!out || !lse || (weights && !probs) || !scratch) {
        if (out && lse && (!weights || probs)) tide_errorf("attention: out of memory");
        goto fail;
    }
    tide_attention_forward(d, tide_f32(out), tide_f32(lse), probs ? tide_f32(probs) : NULL, q, k,
                           v, scratch);
    tide_node *node;
    out = tide_nnu_record(out, "attention", attention_backward, 6, a->in, &node);
    if (!out) goto fail;
    if (node) {
        int64_t nt = a->tq ? d->B * d->T + (a->tk ? d->B * d->S : 0) : 0;
        size_t mbytes = mask ? (size_t)(d->B * d->S) : 0;
        attn_ctx *c = malloc(sizeof *c + (size_t)nt * sizeof(float) + mbytes);
        if (!c) {
            tide_errorf("attention: out of memory");
            goto fail;
        }
        c->d = *d;
        c->d.key_mask = NULL, c->d.tq = c->d.tk = c->d.rate = c->d.ik = c->d.iv = NULL;
        c->packed = a->packed, c->own_tk = a->tk != NULL, c->timed = a->tq != NULL;
        float *times = (float *)(c + 1);
        if (a->tq) memcpy(times, d->tq, (size_t)(d->B * d->T) * sizeof(float));
        if (a->tk) memcpy(times + d->B * d->T, d->tk, (size_t)(d->B * d->S) * sizeof(float));
        if (mask) memcpy(times + nt, mask, mbytes);
        node->ctx = c;
        node->ints[0] = mask != NULL;
        tide_ag_save(node, lse);
        for (int i = 0; i < (a->packed ? 1 : 3); i++) tide_ag_save(node, a->keep[i]);
        c->s_rate = c->s_ik = -1;
        if (a->rate) c->s_rate = node->nsaved, tide_ag_save(node, a->rate);
        if (a->ik) c->s_ik = node->nsaved, tide_ag_save(node, a->ik), tide_ag_save(node, a->iv);
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
        /* the half-word layout documented at tide_attn_desc: rows padded to 64 elements */
        int64_t S64 = (S + 63) & ~(int64_t)63;
        d->counter = 2 * tide_rng_reserve(rng, (uint64_t)(B * heads * T * S64) / 2);
    }
}

/* An f32 tensor of the given shape with finite values (what = its name in the message). */
static int check_param(const tide_tensor *t, int nd, const int64_t *want, int finite,
                       const char *op, const char *what)
{
    if (tide_nnu_check_f32(t, op, what) || tide_nnu_check_shape(t, nd, want, op, what))
        return TIDE_ERR;
    if (finite && !tide_tensor_all_finite(t))
        return tide_errorf("%s: %s holds NaN or infinite values", op, what);
    return TIDE_OK;
}

/* Checks the time terms against the shapes and fills a's contiguous copies (released by
 * args_release) and d's decay / n_int. self: the qkv form (key times are the query times). */
static int time_prepare(const char *op, const tide_attn_time *tm, int64_t B, int64_t T,
                        int64_t S, int64_t D, int H, int self, tide_attn_desc *d, attn_args *a)
{
    if (!tm) return TIDE_OK;
    int dec = tm->decay != TIDE_ATTN_DECAY_NONE, emb = tm->ik || tm->iv;
    if (dec && tm->decay != TIDE_ATTN_DECAY_LINEAR && tm->decay != TIDE_ATTN_DECAY_LOG1P)
        return tide_errorf("%s: unknown decay kind %d", op, (int)tm->decay);
    if (!dec && !emb) return tide_errorf("%s: event times given without a decay or interval embeddings", op);
    if (!tm->times) return tide_errorf("%s: a decay or interval embeddings need the event times", op);
    if (dec != (tm->rate != NULL))
        return tide_errorf("%s: %s", op, dec ? "a decay needs its rate [heads]" : "rate given without a decay");
    if (emb && (!tm->ik || !tm->iv)) return tide_errorf("%s: interval embeddings need both ik and iv", op);
    int64_t bt[2] = {B, T}, bs[2] = {B, S}, hh = H;
    if (check_param(tm->times, 2, bt, 1, op, "times")) return TIDE_ERR;
    if (tm->key_times) {
        if (self) return tide_errorf("%s: key_times applies to cross-attention only", op);
        if (check_param(tm->key_times, 2, bs, 1, op, "key_times")) return TIDE_ERR;
    } else if (S != T) {
        return tide_errorf("%s: %lld keys but %lld queries: give key_times", op, (long long)S, (long long)T);
    }
    if (dec && check_param(tm->rate, 1, &hh, 1, op, "rate")) return TIDE_ERR;
    if (emb) {
        int64_t nd[2] = {-1, D};
        if (check_param(tm->ik, 2, nd, 0, op, "ik") || check_param(tm->iv, 2, nd, 0, op, "iv"))
            return TIDE_ERR;
        if (!tide_same_shape(tm->ik, tm->iv) || tm->ik->shape[0] < 1 || tm->ik->shape[0] > (1 << 24))
            return tide_errorf("%s: ik and iv must both be [n, %lld] with 1 <= n <= 2^24", op, (long long)D);
    }
    d->decay = tm->decay;
    d->n_int = emb ? tm->ik->shape[0] : 0;
    a->in[3] = dec ? tm->rate : NULL;
    a->in[4] = emb ? tm->ik : NULL, a->in[5] = emb ? tm->iv : NULL;
    a->tq = tide_tensor_contiguous(tm->times);
    if (!a->tq) return TIDE_ERR;
    if (tm->key_times && !(a->tk = tide_tensor_contiguous(tm->key_times))) return TIDE_ERR;
    if (dec && !(a->rate = tide_tensor_contiguous(tm->rate))) return TIDE_ERR;
    if (emb && (!(a->ik = tide_tensor_contiguous(tm->ik)) || !(a->iv = tide_tensor_contiguous(tm->iv))))
        return TIDE_ERR;
    return TIDE_OK;
}

static void args_release(attn_args *a)
{
    tide_tensor *t[8] = {a->keep[0], a->keep[1], a->keep[2], a->rate, a->ik, a->iv, a->tq, a->tk};
    for (int i = 0; i < 8; i++) tide_tensor_release(t[i]);
}

tide_tensor *tide_nn_attention_time(tide_tensor *q, tide_tensor *k, tide_tensor *v, int heads,
                                    int causal, const tide_tensor *key_mask,
                                    const tide_attn_time *tm, double dropout_p, tide_rng *rng,
                                    tide_tensor **weights)
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
    tide_attn_desc d;
    init_desc(&d, B, T, S, D, heads, causal, dropout_p, rng);
    attn_args a = {{q, k, v, NULL, NULL, NULL}, {NULL, NULL, NULL}, NULL, NULL, NULL, NULL, NULL, 0};
    int err;
    uint8_t *mask = NULL;
    if (time_prepare(op, tm, B, T, S, D, heads, 0, &d, &a) ||
        (mask = tide_nnu_mask(key_mask, B, S, op, &err), err)) {
        args_release(&a);
        return NULL;
    }
    tide_tensor *out = NULL;
    a.keep[0] = tide_tensor_contiguous(q), a.keep[1] = tide_tensor_contiguous(k);
    a.keep[2] = tide_tensor_contiguous(v);
    if (a.keep[0] && a.keep[1] && a.keep[2]) {
        d.q_bs = T * D, d.q_ts = D, d.k_bs = d.v_bs = S * D, d.k_ts = d.v_ts = D;
        out = attention_run(&d, tide_f32(a.keep[0]), tide_f32(a.keep[1]), tide_f32(a.keep[2]),
                            mask, &a, weights);
    } else {
        free(mask);
    }
    args_release(&a);
    return out;
}

tide_tensor *tide_nn_attention_qkv_time(tide_tensor *qkv, int heads, int causal,
                                        const tide_tensor *key_mask, const tide_attn_time *tm,
                                        double dropout_p, tide_rng *rng, tide_tensor **weights)
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
    tide_attn_desc d;
    init_desc(&d, B, T, T, D, heads, causal, dropout_p, rng);
    attn_args a = {{qkv, NULL, NULL, NULL, NULL, NULL}, {NULL, NULL, NULL}, NULL, NULL, NULL, NULL, NULL, 1};
    int err;
    uint8_t *mask = NULL;
    if (time_prepare(op, tm, B, T, T, D, heads, 1, &d, &a) ||
        (mask = tide_nnu_mask(key_mask, B, T, op, &err), err) ||
        !(a.keep[0] = tide_tensor_contiguous(qkv))) {
        free(mask);
        args_release(&a);
        return NULL;
    }
    d.q_bs = d.k_bs = d.v_bs = T * 3 * D;
    d.q_ts = d.k_ts = d.v_ts = 3 * D;
    const float *base = tide_f32(a.keep[0]);
    tide_tensor *out = attention_run(&d, base, base + D, base + 2 * D, mask, &a, weights);
    args_release(&a);
    return out;
}

tide_tensor *tide_nn_attention(tide_tensor *q, tide_tensor *k, tide_tensor *v, int heads,
                               int causal, const tide_tensor *key_mask, double dropout_p,
                               tide_rng *rng, tide_tensor **weights)
{
    return tide_nn_attention_time(q, k, v, heads, causal, key_mask, NULL, dropout_p, rng, weights);
}

tide_tensor *tide_nn_attention_qkv(tide_tensor *qkv, int heads, int causal,
                                   const tide_tensor *key_mask, double dropout_p, tide_rng *rng,
                                   tide_tensor **weights)
{
    return tide_nn_attention_qkv_time(qkv, heads, causal, key_mask, NULL, dropout_p, rng, weights);
}
