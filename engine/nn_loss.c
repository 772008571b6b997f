/* nn_loss.c — training losses with fused, numerically stable gradients: binary cross-entropy
 * on logits, softmax cross-entropy (ignore index, sampled candidates), mean squared error and
 * BPR. Log-sum-exp is max-subtracted and log(1 + e^x) is written as max(x,0) + log1p(e^-|x|),
 * so no finite input overflows or takes the log of 0. */
#include <stdlib.h>

#include "nn_internal.h"

/* log(1 + e^x) without overflow or cancellation */
static inline double softplus(double x) { return (x > 0 ? x : 0) + log1p(exp(-fabs(x))); }
static inline double sigmoid(double x)
{
    if (x >= 0) return 1.0 / (1.0 + exp(-x));
    double e = exp(x);
    return e / (1.0 + e);
}

/* The loss value from per-element terms: a 0-dim sum/mean, or the terms themselves. */
static tide_tensor *reduce_terms(const float *terms, int64_t n, double count, int ndim,
                                 const int64_t *shape, tide_reduction red)
{
    if (red == TIDE_REDUCE_NONE) return tide_tensor_from_data(TIDE_F32, ndim, shape, terms);
    double s = 0;
    for (int64_t i = 0; i < n; i++) s += terms[i];
    if (red == TIDE_REDUCE_MEAN) s = count > 0 ? s / count : 0.0;
    return tide_tensor_scalar(TIDE_F32, s);
}

/* Per-element upstream gradient: g[i] for NONE, g/count (MEAN) or g (SUM) for a scalar. */
static inline float upstream(const float *g, int64_t i, int red, double count)
{
    if (red == TIDE_REDUCE_NONE) return g[i];
    return red == TIDE_REDUCE_MEAN ? (count > 0 ? (float)(g[0] / count) : 0.0f) : g[0];
}

static int check_red(const char *op, tide_reduction red)
{
    if (red < TIDE_REDUCE_MEAN || red > TIDE_REDUCE_NONE)
        return tide_errorf("%s: unknown reduction %d", op, (int)red);
    return TIDE_OK;
}

static int check_same(const char *op, const tide_tensor *a, const tide_tensor *b,
                      const char *an, const char *bn)
{
    if (tide_nnu_check_f32(a, op, an) || tide_nnu_check_f32(b, op, bn)) return TIDE_ERR;
    if (tide_same_shape(a, b)) return TIDE_OK;
    char s1[96], s2[96];
    return tide_errorf("%s: %s %s and %s %s must have the same shape", op, an,
                       tide_shape_str(a, s1, sizeof s1), bn, tide_shape_str(b, s2, sizeof s2));
}

/* ---- BCE with logits: l = w (max(x,0) - x y + log1p(e^-|x|)); dl/dx = w (σ(x) - y) ---- */

/* inputs logits, target, weight; saved contiguous copies in the same order; ints[0] = red;
 * scalars[0] = the mean's divisor: the weight sum with a weight (so a 0/1 mask gives the mean
 * over the kept elements), else the element count */
static int bce_backward(tide_node *node, const tide_tensor *grad_out)
{
    tide_tensor *x = node->saved[0], *y = node->saved[1];
    tide_tensor *w = node->nsaved > 2 ? node->saved[2] : NULL;
    int red = (int)node->ints[0];
    int64_t n = tide_tensor_numel(x);
    double count = node->scalars[0];
    tide_tensor *g = tide_nnu_grad(grad_out);
    tide_tensor *dx = tide_nnu_wants(node, 0) ? tide_nnu_zeros_like(x) : NULL;
    tide_tensor *dy = tide_nnu_wants(node, 1) ? tide_nnu_zeros_like(y) : NULL;
    if (!g) goto fail;
    const float *xp = tide_f32(x), *yp = tide_f32(y), *wp = w ? tide_f32(w) : NULL, *gp = tide_f32(g);
    for (int64_t i = 0; i < n; i++) {
        float u = upstream(gp, i, red, count) * (wp ? wp[i] : 1.0f);
        if (dx) tide_f32(dx)[i] = u * (float)(sigmoid(xp[i]) - yp[i]);
        if (dy) tide_f32(dy)[i] = -u * xp[i];
    }
    tide_tensor_release(g);
    int rc = TIDE_OK;
    if (dx) rc |= tide_nnu_accum(tide_nnu_input(node, 0), dx);
    if (dy) rc |= tide_nnu_accum(tide_nnu_input(node, 1), dy);
    return rc ? TIDE_ERR : TIDE_OK;
fail:
    tide_tensor_release(dx);
    tide_tensor_release(dy);
    return TIDE_ERR;
}

tide_tensor *tide_nn_bce_logits(tide_tensor *logits, tide_tensor *target, tide_tensor *weight,
                                tide_reduction red)
{
    const char *op = "bce_with_logits";
    if (check_red(op, red) || check_same(op, logits, target, "logits", "target")) return NULL;
    if (weight && check_same(op, logits, weight, "logits", "weight")) return NULL;
    int64_t n = tide_tensor_numel(logits);
    tide_tensor *x = tide_tensor_contiguous(logits), *y = tide_tensor_contiguous(target);
    tide_tensor *w = weight ? tide_tensor_contiguous(weight) : NULL;
    float *terms = malloc((size_t)(n + 1) * sizeof *terms);
    tide_tensor *out = NULL;
    if (x && y && (!weight || w) && terms) {
        const float *xp = tide_f32(x), *yp = tide_f32(y), *wp = w ? tide_f32(w) : NULL;
        double count = wp ? 0.0 : (double)n;
        for (int64_t i = 0; i < n; i++) {
            terms[i] = (float)((wp ? wp[i] : 1.0f) * (softplus(xp[i]) - (double)xp[i] * yp[i]));
            if (wp) count += wp[i];
        }
        out = reduce_terms(terms, n, count, logits->ndim, logits->shape, red);
        tide_tensor *in[3] = {logits, target, weight};
        tide_node *node;
        out = tide_nnu_record(out, op, bce_backward, 3, in, &node);
        if (node) {
            node->ints[0] = red;
            node->scalars[0] = count;
            tide_ag_save(node, x);
            tide_ag_save(node, y);
            if (w) tide_ag_save(node, w);
        }
    } else if (!terms) {
        tide_errorf("%s: out of memory", op);
    }
    free(terms);
    tide_tensor_release(x);
    tide_tensor_release(y);
    tide_tensor_release(w);
    return out;
}

/* ---- MSE: l = (p - t)^2 ---- */

static int mse_backward(tide_node *node, const tide_tensor *grad_out)
{
    tide_tensor *p = node->saved[0], *t = node->saved[1];
    int red = (int)node->ints[0];
    int64_t n = tide_tensor_numel(p);
    tide_tensor *g = tide_nnu_grad(grad_out);
    tide_tensor *dp = tide_nnu_wants(node, 0) ? tide_nnu_zeros_like(p) : NULL;
    tide_tensor *dt = tide_nnu_wants(node, 1) ? tide_nnu_zeros_like(t) : NULL;
    if (!g) {
        tide_tensor_release(dp);
        tide_tensor_release(dt);
        return TIDE_ERR;
    }
    for (int64_t i = 0; i < n; i++) {
        float d = 2.0f * upstream(tide_f32(g), i, red, (double)n) * (tide_f32(p)[i] - tide_f32(t)[i]);
        if (dp) tide_f32(dp)[i] = d;
        if (dt) tide_f32(dt)[i] = -d;
    }
    tide_tensor_release(g);
    int rc = TIDE_OK;
    if (dp) rc |= tide_nnu_accum(tide_nnu_input(node, 0), dp);
    if (dt) rc |= tide_nnu_accum(tide_nnu_input(node, 1), dt);
    return rc ? TIDE_ERR : TIDE_OK;
}

tide_tensor *tide_nn_mse(tide_tensor *pred, tide_tensor *target, tide_reduction red)
{
    const char *op = "mse";
    if (check_red(op, red) || check_same(op, pred, target, "pred", "target")) return NULL;
    int64_t n = tide_tensor_numel(pred);
    tide_tensor *p = tide_tensor_contiguous(pred), *t = tide_tensor_contiguous(target);
    float *terms = malloc((size_t)(n + 1) * sizeof *terms);
    tide_tensor *out = NULL;
    if (p && t && terms) {
        for (int64_t i = 0; i < n; i++) {
            double d = (double)tide_f32(p)[i] - tide_f32(t)[i];
            terms[i] = (float)(d * d);
        }
        out = reduce_terms(terms, n, (double)n, pred->ndim, pred->shape, red);
        tide_tensor *in[2] = {pred, target};
        tide_node *node;
        out = tide_nnu_record(out, op, mse_backward, 2, in, &node);
        if (node) {
            node->ints[0] = red;
            tide_ag_save(node, p);
            tide_ag_save(node, t);
        }
    } else if (!terms) {
        tide_errorf("%s: out of memory", op);
    }
    free(terms);
    tide_tensor_release(p);
    tide_tensor_release(t);
    return out;
}

/* ---- BPR: l = softplus(neg - pos), each of K negatives paired with its row's positive ---- */

static int bpr_backward(tide_node *node, const tide_tensor *grad_out)
{
    tide_tensor *pos = node->saved[0], *neg = node->saved[1];
    int red = (int)node->ints[0];
    int64_t N = pos->shape[0], K = tide_tensor_numel(neg) / (N ? N : 1), n = N * K;
    tide_tensor *g = tide_nnu_grad(grad_out);
    tide_tensor *dp = tide_nnu_wants(node, 0) ? tide_nnu_zeros_like(pos) : NULL;
    tide_tensor *dn = tide_nnu_wants(node, 1) ? tide_nnu_zeros_like(neg) : NULL;
    if (!g) {
        tide_tensor_release(dp);
        tide_tensor_release(dn);
        return TIDE_ERR;
    }
    for (int64_t i = 0; i < N; i++)
        for (int64_t k = 0; k < K; k++) {
            /* d/d(neg) softplus(neg - pos) = σ(neg - pos) */
            float s = (float)sigmoid((double)tide_f32(neg)[i * K + k] - tide_f32(pos)[i]);
            float u = upstream(tide_f32(g), i * K + k, red, (double)n) * s;
            if (dn) tide_f32(dn)[i * K + k] = u;
            if (dp) tide_f32(dp)[i] -= u;
        }
    tide_tensor_release(g);
    int rc = TIDE_OK;
    if (dp) rc |= tide_nnu_accum(tide_nnu_input(node, 0), dp);
    if (dn) rc |= tide_nnu_accum(tide_nnu_input(node, 1), dn);
    return rc ? TIDE_ERR : TIDE_OK;
}

tide_tensor *tide_nn_bpr(tide_tensor *pos, tide_tensor *neg, tide_reduction red)
{
    const char *op = "bpr";
    if (check_red(op, red) || tide_nnu_check_f32(pos, op, "pos") || tide_nnu_check_f32(neg, op, "neg"))
        return NULL;
    char s1[96], s2[96];
    if (pos->ndim != 1 || neg->ndim < 1 || neg->ndim > 2 || neg->shape[0] != pos->shape[0]) {
        tide_errorf("%s: want pos [N] and neg [N] or [N,K]; got pos %s, neg %s", op,
                    tide_shape_str(pos, s1, sizeof s1), tide_shape_str(neg, s2, sizeof s2));
        return NULL;
    }
    int64_t N = pos->shape[0], K = neg->ndim == 2 ? neg->shape[1] : 1, n = N * K;
    tide_tensor *p = tide_tensor_contiguous(pos), *q = tide_tensor_contiguous(neg);
    float *terms = malloc((size_t)(n + 1) * sizeof *terms);
    tide_tensor *out = NULL;
    if (p && q && terms) {
        for (int64_t i = 0; i < N; i++)
            for (int64_t k = 0; k < K; k++)
                terms[i * K + k] = (float)softplus((double)tide_f32(q)[i * K + k] - tide_f32(p)[i]);
        out = reduce_terms(terms, n, (double)n, neg->ndim, neg->shape, red);
        tide_tensor *in[2] = {pos, neg};
        tide_node *node;
        out = tide_nnu_record(out, op, bpr_backward, 2, in, &node);
        if (node) {
            node->ints[0] = red;
            tide_ag_save(node, p);
            tide_ag_save(node, q);
        }
    } else if (!terms) {
        tide_errorf("%s: out of memory", op);
    }
    free(terms);
    tide_tensor_release(p);
    tide_tensor_release(q);
    return out;
}

/* ---- softmax cross-entropy: l = logsumexp(x over allowed columns) - x[y] ----
 * saved[0]: probs [N,C] (0 on excluded columns), saved[1]: i64 [N] target column or -1;
 * ints[0] = red, scalars[0] = rows counted. dl/dx = p - onehot(y). */
static int ce_backward(tide_node *node, const tide_tensor *grad_out)
{
    tide_tensor *probs = node->saved[0], *col = node->saved[1];
    int red = (int)node->ints[0];
    double count = node->scalars[0];
    int64_t N = probs->shape[0], C = probs->shape[1];
    tide_tensor *g = tide_nnu_grad(grad_out);
    tide_tensor *dx = g ? tide_nnu_zeros_like(probs) : NULL;
    if (!dx) {
        tide_tensor_release(g);
        return TIDE_ERR;
    }
    const float *p = tide_f32(probs);
    float *d = tide_f32(dx);
    for (int64_t i = 0; i < N; i++) {
        int64_t y = tide_i64(col)[i];
        if (y < 0) continue;
        float u = upstream(tide_f32(g), i, red, count);
        for (int64_t j = 0; j < C; j++) d[i * C + j] = u * p[i * C + j];
        d[i * C + y] -= u;
    }
    tide_tensor_release(g);
    return tide_nnu_accum(node->inputs[0], dx);
}

/* Raw id of element i of an integer tensor read through the iterator position. */
static inline int64_t id_at(const tide_tensor *t, int64_t pos)
{
    const char *data = t->storage->data;
    return t->dtype == TIDE_I32 ? ((const int32_t *)data)[pos] : ((const int64_t *)data)[pos];
}

tide_tensor *tide_nn_cross_entropy(tide_tensor *logits, const tide_tensor *target, int64_t base,
                                   int64_t ignore_index, const tide_tensor *candidates,
                                   tide_reduction red)
{
    const char *op = "cross_entropy";
    if (check_red(op, red) || tide_nnu_check_f32(logits, op, "logits")) return NULL;
    char s1[96], s2[96];
    if (logits->ndim != 2 || !target || target->ndim != 1 || target->shape[0] != logits->shape[0]) {
        tide_errorf("%s: want logits [N,C] and target [N]; got logits %s, target %s", op,
                    tide_shape_str(logits, s1, sizeof s1),
                    target ? tide_shape_str(target, s2, sizeof s2) : "nil");
        return NULL;
    }
    if (target->dtype == TIDE_F32 || (candidates && candidates->dtype == TIDE_F32)) {
        tide_errorf("%s: target and candidates must be integer ids (i32 or i64)", op);
        return NULL;
    }
    int64_t N = logits->shape[0], C = logits->shape[1];
    int per_row = 0;
    if (candidates) {
        per_row = candidates->ndim == 2;
        int ok = per_row ? candidates->shape[0] == N && candidates->shape[1] == C
                         : candidates->ndim == 1 && candidates->shape[0] == C;
        if (!ok) {
            tide_errorf("%s: candidates %s must be [%lld,%lld] or [%lld] to match logits", op,
                        tide_shape_str(candidates, s1, sizeof s1), (long long)N, (long long)C,
                        (long long)C);
            return NULL;
        }
    }
    tide_tensor *x = tide_tensor_contiguous(logits), *cand = NULL;
    if (candidates) cand = tide_tensor_contiguous((tide_tensor *)candidates);
    int64_t shape_n[1] = {N};
    tide_tensor *probs = tide_tensor_new(TIDE_F32, 2, logits->shape);
    tide_tensor *col = tide_tensor_new(TIDE_I64, 1, shape_n);
    float *terms = malloc((size_t)(N + 1) * sizeof *terms);
    tide_tensor *out = NULL;
    if (!x || (candidates && !cand) || !probs || !col || !terms) goto done;
    tide_iter it;
    tide_iter_init(&it, target);
    double count = 0;
    for (int64_t i = 0; i < N; i++, tide_iter_next(&it)) {
        int64_t raw = id_at(target, it.pos);
        const float *xr = tide_f32(x) + i * C;
        float *pr = tide_f32(probs) + i * C;
        terms[i] = 0.0f;
        tide_i64(col)[i] = -1;
        if (raw == ignore_index && ignore_index != INT64_MIN) continue;
        int64_t y = -1;
        if (!cand) {
            y = raw - base;
            if (y < 0 || y >= C) {
                tide_errorf("%s: target %lld of row %lld is outside [%lld, %lld]", op,
                            (long long)raw, (long long)(i + base), (long long)base,
                            (long long)(C - 1 + base));
                goto fail;
            }
        }
        /* allowed columns: all, or (sampled) those whose candidate is not the target except
         * the first that is; pr[j] = 1 marks allowed during the scan */
        if (cand) {
            int64_t row = per_row ? i * C : 0;
            const int32_t *c32 = cand->dtype == TIDE_I32 ? tide_i32(cand) + row : NULL;
            const int64_t *c64 = c32 ? NULL : tide_i64(cand) + row;
            for (int64_t j = 0; j < C; j++) {
                int64_t cid = c32 ? c32[j] : c64[j];
                int hit = cid == raw;
                pr[j] = (!hit || y < 0) ? 1.0f : 0.0f;
                if (hit && y < 0) y = j;
            }
            if (y < 0) {
                tide_errorf("%s: target %lld of row %lld is not among its candidates", op,
                            (long long)raw, (long long)(i + base));
                goto fail;
            }
        } else {
            for (int64_t j = 0; j < C; j++) pr[j] = 1.0f;
        }
        float m = tide_nnu_max_masked(pr, xr, C, -INFINITY);
        double s = tide_nnu_exp_masked(pr, pr, xr, C, m);
        double lse = m + log(s);
        float inv = (float)(1.0 / s);
        for (int64_t j = 0; j < C; j++) pr[j] *= inv;
        terms[i] = (float)(lse - xr[y]);
        tide_i64(col)[i] = y;
        count += 1;
    }
    out = reduce_terms(terms, N, count, 1, shape_n, red);
    tide_node *node;
    out = tide_nnu_wrap(out, op, ce_backward, 1, &logits, &node);
    if (node) {
        node->ints[0] = red;
        node->scalars[0] = count;
        tide_ag_save(node, probs);
        tide_ag_save(node, col);
    }
    goto done;
fail:
    out = NULL;
done:
    if (!terms && probs && col && x) tide_errorf("%s: out of memory", op);
    free(terms);
    tide_tensor_release(x);
    tide_tensor_release(cand);
    tide_tensor_release(probs);
    tide_tensor_release(col);
    return out;
}
