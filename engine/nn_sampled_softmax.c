/* nn_sampled_softmax.c — softmax cross-entropy over each row's target and k negatives shared by
 * all rows (sampled softmax as in Jean et al. 2015 and the shared-negative recipe of Klenitskiy
 * & Vasilev, RecSys 2023), from the target logits [N] and the negative logits [N,k] as they
 * come out of their products: no [N, k+1] logits, candidate ids or probabilities are built.
 * A negative equal to the row's target (an accidental hit) is left out of that row's softmax.
 *   loss = mean_i ( lse_i - pos_i ),  lse_i = log( e^pos_i + sum_{j allowed} e^neg_ij )
 * Backward recomputes the probabilities from the saved logits and lse:
 *   d pos_i = u (e^{pos_i - lse_i} - 1),  d neg_ij = u e^{neg_ij - lse_i} (0 if not allowed),
 * u = upstream / N. */
#include <stdlib.h>

#include "nn_internal.h"

/* ids as int64 from an i32 or i64 tensor (contiguous copy made by the caller) */
static inline int64_t id_of(const tide_tensor *t, int64_t i)
{
    return t->dtype == TIDE_I32 ? tide_i32(t)[i] : tide_i64(t)[i];
}

/* allowed[j] = 0 where negative j is row i's target (an accidental hit), else 1. Sorted
 * negatives would allow a binary search; a pass over k ids is cheap next to k exponentials. */
static void row_allowed(float *allowed, const tide_tensor *negs, int64_t k, int64_t target)
{
    if (negs->dtype == TIDE_I32) {
        const int32_t *n = tide_i32(negs);
        for (int64_t j = 0; j < k; j++) allowed[j] = n[j] == target ? 0.0f : 1.0f;
    } else {
        const int64_t *n = tide_i64(negs);
        for (int64_t j = 0; j < k; j++) allowed[j] = n[j] == target ? 0.0f : 1.0f;
    }
}

/* saved: [0] pos [N] contiguous, [1] neg [N,k] contiguous, [2] target, [3] negs, [4] lse [N] */
static int sampled_softmax_backward(tide_node *node, const tide_tensor *grad_out)
{
    tide_tensor *pos = node->saved[0], *neg = node->saved[1], *tg = node->saved[2];
    tide_tensor *negs = node->saved[3], *lse = node->saved[4];
    int64_t N = pos->shape[0], k = negs->shape[0];
    int want_pos = tide_needs_grad(node->inputs[0]), want_neg = tide_needs_grad(node->inputs[1]);
    float u = N > 0 ? (float)(tide_f32(grad_out)[0] / (double)N) : 0.0f;
    tide_tensor *dpos = want_pos ? tide_tensor_empty(TIDE_F32, node->inputs[0]->ndim, node->inputs[0]->shape) : NULL;
    tide_tensor *dneg = want_neg ? tide_tensor_empty(TIDE_F32, 2, neg->shape) : NULL;
    float *ok = malloc((size_t)(k + 1) * sizeof *ok);
    if ((want_pos && !dpos) || (want_neg && !dneg) || !ok) {
        if (ok) tide_errorf("sampled_softmax: out of memory");
        free(ok);
        tide_tensor_release(dpos);
        tide_tensor_release(dneg);
        return TIDE_ERR;
    }
    for (int64_t i = 0; i < N; i++) {
        float l = tide_f32(lse)[i];
        if (dpos) tide_f32(dpos)[i] = u * (nn_expf(tide_f32(pos)[i] - l) - 1.0f);
        if (!dneg) continue;
        float *d = tide_f32(dneg) + i * k;
        row_allowed(ok, negs, k, id_of(tg, i));
        tide_nnu_exp_masked(d, ok, tide_f32(neg) + i * k, k, l);
        for (int64_t j = 0; j < k; j++) d[j] *= u;
    }
    free(ok);
    int rc = TIDE_OK;
    if (dpos) rc = tide_nnu_accum(node->inputs[0], dpos);
    if (dneg) rc |= tide_nnu_accum(node->inputs[1], dneg);
    return rc ? TIDE_ERR : TIDE_OK;
}

tide_tensor *tide_nn_sampled_softmax(tide_tensor *pos, tide_tensor *neg, const tide_tensor *target,
                                     const tide_tensor *negs)
{
    const char *op = "sampled_softmax";
    if (tide_nnu_check_f32(pos, op, "pos") || tide_nnu_check_f32(neg, op, "neg")) return NULL;
    char s1[96], s2[96];
    if (!target || !negs || target->dtype == TIDE_F32 || negs->dtype == TIDE_F32)
        return tide_errorf("%s: target and negatives must be integer ids (i32 or i64)", op), NULL;
    if (pos->ndim != 1 || neg->ndim != 2 || neg->shape[0] != pos->shape[0] || target->ndim != 1 ||
        target->shape[0] != pos->shape[0] || negs->ndim != 1 || negs->shape[0] != neg->shape[1]) {
        tide_errorf("%s: want pos [N], neg [N,k], target [N], negatives [k]; got pos %s, neg %s", op,
                    tide_shape_str(pos, s1, sizeof s1), tide_shape_str(neg, s2, sizeof s2));
        return NULL;
    }
    int64_t N = pos->shape[0], k = neg->shape[1];
    tide_tensor *pc = tide_tensor_contiguous(pos), *nc = tide_tensor_contiguous(neg);
    tide_tensor *tc = tide_tensor_contiguous((tide_tensor *)target);
    tide_tensor *gc = tide_tensor_contiguous((tide_tensor *)negs);
    tide_tensor *lse = tide_tensor_empty(TIDE_F32, 1, &N), *out = NULL;
    float *ok = malloc((size_t)(k + 1) * sizeof *ok);
    if (!pc || !nc || !tc || !gc || !lse || !ok) {
        if (pc && nc && tc && gc && lse) tide_errorf("%s: out of memory", op);
        goto done;
    }
    double total = 0;
    for (int64_t i = 0; i < N; i++) {
        const float *x = tide_f32(nc) + i * k;
        float p = tide_f32(pc)[i];
        row_allowed(ok, gc, k, id_of(tc, i));
        float m = tide_nnu_max_masked(ok, x, k, p);
        double s = tide_nnu_exp_masked(NULL, ok, x, k, m) + nn_expf(p - m);
        double l = m + log(s);
        tide_f32(lse)[i] = (float)l;
        total += l - p;
    }
    out = tide_tensor_scalar(TIDE_F32, N > 0 ? total / (double)N : 0.0);
    tide_tensor *in[2] = {pos, neg};
    tide_node *node;
    out = tide_nnu_wrap(out, op, sampled_softmax_backward, 2, in, &node);
    if (node) {
        tide_ag_value_free(node, 3u); /* values come from the saved contiguous copies */
        tide_ag_save(node, pc);
        tide_ag_save(node, nc);
        tide_ag_save(node, tc);
        tide_ag_save(node, gc);
        tide_ag_save(node, lse);
    }
done:
    free(ok);
    tide_tensor_release(pc);
    tide_tensor_release(nc);
    tide_tensor_release(tc);
    tide_tensor_release(gc);
    tide_tensor_release(lse);
    return out;
}
