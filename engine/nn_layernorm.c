/* nn_layernorm.c — layer normalisation over the last dim (Ba, Kiros & Hinton 2016). */
#include "nn_internal.h"

/* out: [N,D]  mean, rstd: [N] (saved for the backward)  x: [N,D]  gamma, beta: [D] or NULL.
 * Two passes per row (mean, then centred variance) so large offsets do not cancel. Each row's
 * sums run in order over j, but LN_R rows at a time side by side: with d = 50 a single row's
 * chain of dependent adds is latency-bound (~90 ns a row); the interleaved chains overlap,
 * and every row gets the same operations in the same order, so the same bits. */
enum { LN_R = 8 };

NN_VECTOR static void row_stats(const float *x, int64_t n, int64_t D, float eps, float *m, float *s)
{
    float a[LN_R] = {0}, v[LN_R] = {0};
    for (int64_t j = 0; j < D; j++)
        for (int64_t r = 0; r < n; r++) a[r] += x[r * D + j];
    for (int64_t r = 0; r < n; r++) a[r] /= (float)D;
    for (int64_t j = 0; j < D; j++)
        for (int64_t r = 0; r < n; r++) {
            float c = x[r * D + j] - a[r];
            v[r] += c * c;
        }
    for (int64_t r = 0; r < n; r++) {
        m[r] = a[r];
        s[r] = 1.0f / sqrtf(v[r] / (float)D + eps);
    }
}

NN_VECTOR void tide_layernorm_forward(float *out, float *mean, float *rstd, const float *x,
                            const float *gamma, const float *beta, int64_t N, int64_t D, float eps)
{
    for (int64_t r0 = 0; r0 < N; r0 += LN_R) {
        int64_t n = N - r0 < LN_R ? N - r0 : LN_R;
        row_stats(x + r0 * D, n, D, eps, mean + r0, rstd + r0);
        for (int64_t r = r0; r < r0 + n; r++) {
            const float *xr = x + r * D;
            float *o = out + r * D, m = mean[r], s = rstd[r];
            for (int64_t j = 0; j < D; j++) {
                float nv = (xr[j] - m) * s;
                o[j] = nv * (gamma ? gamma[j] : 1.0f) + (beta ? beta[j] : 0.0f);
            }
        }
    }
}

/* dx: [N,D]  dgamma, dbeta: [D]  (NULL = not wanted; ADDED into)
 * dout, x: [N,D]  mean, rstd: [N] from the forward  gamma: [D] or NULL
 * dx = rstd * (dn - mean(dn) - n * mean(dn * n)) with n the normalised x and dn = dout*gamma. */
NN_VECTOR void tide_layernorm_backward(float *dx, float *dgamma, float *dbeta, const float *dout,
                             const float *x, const float *mean, const float *rstd,
                             const float *gamma, int64_t N, int64_t D)
{
    for (int64_t r = 0; r < N; r++) {
        const float *xr = x + r * D, *g = dout + r * D;
        float m = mean[r], s = rstd[r];
        float sum_dn = 0.0f, sum_dn_n = 0.0f;
        for (int64_t j = 0; j < D; j++) {
            float n = (xr[j] - m) * s;
            float dn = g[j] * (gamma ? gamma[j] : 1.0f);
            sum_dn += dn;
            sum_dn_n += dn * n;
            if (dbeta) dbeta[j] += g[j];
            if (dgamma) dgamma[j] += g[j] * n;
        }
        if (!dx) continue;
        float a = sum_dn / (float)D, c = sum_dn_n / (float)D;
        float *d = dx + r * D;
        for (int64_t j = 0; j < D; j++) {
            float n = (xr[j] - m) * s;
            float dn = g[j] * (gamma ? gamma[j] : 1.0f);
            d[j] += s * (dn - a - n * c);
        }
    }
}

/* saved: [0] x contiguous, [1] mean, [2] rstd; inputs x, gamma, beta (maybe absent) */
static int layernorm_backward(tide_node *node, const tide_tensor *grad_out)
{
    tide_tensor *x = node->saved[0], *mean = node->saved[1], *rstd = node->saved[2];
    tide_tensor *gamma = tide_nnu_input(node, 1), *beta = tide_nnu_input(node, 2);
    int64_t D = x->shape[x->ndim - 1], N = tide_tensor_numel(mean);
    tide_tensor *g = tide_nnu_grad(grad_out);
    tide_tensor *gc = gamma ? tide_tensor_contiguous(gamma) : NULL;
    tide_tensor *dx = tide_nnu_wants(node, 0) ? tide_nnu_zeros_like(x) : NULL;
    tide_tensor *dg = tide_nnu_wants(node, 1) ? tide_nnu_zeros_like(gamma) : NULL;
    tide_tensor *db = tide_nnu_wants(node, 2) ? tide_nnu_zeros_like(beta) : NULL;
    int rc = TIDE_ERR;
    if (g && (!gamma || gc)) {
        tide_layernorm_backward(dx ? tide_f32(dx) : NULL, dg ? tide_f32(dg) : NULL,
                                db ? tide_f32(db) : NULL, tide_f32(g), tide_f32(x),
                                tide_f32(mean), tide_f32(rstd), gc ? tide_f32(gc) : NULL, N, D);
        rc = TIDE_OK;
        if (dx) rc |= tide_nnu_accum(tide_nnu_input(node, 0), dx), dx = NULL;
        if (dg) rc |= tide_nnu_accum(gamma, dg), dg = NULL;
        if (db) rc |= tide_nnu_accum(beta, db), db = NULL;
    }
    tide_tensor_release(dx);
    tide_tensor_release(dg);
    tide_tensor_release(db);
    tide_tensor_release(g);
    tide_tensor_release(gc);
    return rc ? TIDE_ERR : TIDE_OK;
}

tide_tensor *tide_nn_layernorm(tide_tensor *x, tide_tensor *gamma, tide_tensor *beta, double eps)
{
    const char *op = "layernorm";
    if (tide_nnu_check_f32(x, op, "x")) return NULL;
    if (x->ndim < 1) {
        tide_errorf("%s: x must have at least 1 dim", op);
        return NULL;
    }
    int64_t D = x->shape[x->ndim - 1];
    if (gamma && (tide_nnu_check_f32(gamma, op, "weight") ||
                  tide_nnu_check_shape(gamma, 1, &D, op, "weight")))
        return NULL;
    if (beta && (tide_nnu_check_f32(beta, op, "bias") ||
                 tide_nnu_check_shape(beta, 1, &D, op, "bias")))
        return NULL;
    if (!(eps >= 0)) {
        tide_errorf("%s: eps must be >= 0, got %g", op, eps);
        return NULL;
    }
    int64_t N = D ? tide_tensor_numel(x) / D : 0;
    tide_tensor *xc = tide_tensor_contiguous(x);
    tide_tensor *gc = gamma ? tide_tensor_contiguous(gamma) : NULL;
    tide_tensor *bc = beta ? tide_tensor_contiguous(beta) : NULL;
    tide_tensor *out = tide_tensor_empty(TIDE_F32, x->ndim, x->shape);
    tide_tensor *mean = tide_tensor_empty(TIDE_F32, 1, &N);
    tide_tensor *rstd = tide_tensor_empty(TIDE_F32, 1, &N);
    if (!xc || (gamma && !gc) || (beta && !bc) || !out || !mean || !rstd) {
        tide_tensor_release(out);
        out = NULL;
        goto done;
    }
    tide_layernorm_forward(tide_f32(out), tide_f32(mean), tide_f32(rstd), tide_f32(xc),
                           gc ? tide_f32(gc) : NULL, bc ? tide_f32(bc) : NULL, N, D, (float)eps);
    tide_tensor *in[3] = {x, gamma, beta};
    tide_node *node;
    out = tide_nnu_record(out, op, layernorm_backward, 3, in, &node);
    if (node) {
        tide_nnu_value_free(node, 5u); /* x's values are read from the saved copy; beta's never */
        tide_ag_save(node, xc);
        tide_ag_save(node, mean);
        tide_ag_save(node, rstd);
    }
done:
    tide_tensor_release(xc);
    tide_tensor_release(gc);
    tide_tensor_release(bc);
    tide_tensor_release(mean);
    tide_tensor_release(rstd);
    return out;
}
