/* nn_dropout.c — inverted dropout (Srivastava et al. 2014) with a counter-based mask: element
 * i is kept iff 16-bit Philox half-word (counter + i) of `seed` is >= p*2^16 (see
 * tide_nnu_keep_mask), so the backward regenerates the mask from two integers instead of
 * storing it, and results never depend on threads. */
#include <stdlib.h>

#include "nn_internal.h"

enum { CHUNK = 1024 };

/* y: [n]  x: [n]; saves nothing (the backward needs only seed and counter) */
void tide_dropout_forward(float *y, const float *x, int64_t n, float p, uint64_t seed,
                          uint64_t counter)
{
    float keep[CHUNK];
    for (int64_t i = 0; i < n; i += CHUNK) {
        int64_t m = n - i < CHUNK ? n - i : CHUNK;
        tide_nnu_keep_mask(keep, m, seed, counter + (uint64_t)i, p);
        for (int64_t j = 0; j < m; j++) y[i + j] = x[i + j] * keep[j];
    }
}

/* dx: [n] ADDED into  dy: [n] */
void tide_dropout_backward(float *dx, const float *dy, int64_t n, float p, uint64_t seed,
                           uint64_t counter)
{
    float keep[CHUNK];
    for (int64_t i = 0; i < n; i += CHUNK) {
        int64_t m = n - i < CHUNK ? n - i : CHUNK;
        tide_nnu_keep_mask(keep, m, seed, counter + (uint64_t)i, p);
        for (int64_t j = 0; j < m; j++) dx[i + j] += dy[i + j] * keep[j];
    }
}

/* scalars[0] = p; ints[0] = seed, ints[1] = counter */
static int dropout_backward(tide_node *node, const tide_tensor *grad_out)
{
    tide_tensor *x = node->inputs[0];
    tide_tensor *g = tide_nnu_grad(grad_out);
    tide_tensor *dx = g ? tide_nnu_zeros_like(x) : NULL;
    if (!dx) {
        tide_tensor_release(g);
        return TIDE_ERR;
    }
    tide_dropout_backward(tide_f32(dx), tide_f32(g), tide_tensor_numel(x), (float)node->scalars[0],
                          (uint64_t)node->ints[0], (uint64_t)node->ints[1]);
    tide_tensor_release(g);
    return tide_nnu_accum(x, dx);
}

tide_tensor *tide_nn_dropout(tide_tensor *x, double p, int training, tide_rng *rng)
{
    const char *op = "dropout";
    if (tide_nnu_check_f32(x, op, "x")) return NULL;
    if (!(p >= 0.0 && p < 1.0)) {
        tide_errorf("%s: p must be in [0, 1), got %g", op, p);
        return NULL;
    }
    if (!training || p == 0.0) return tide_tensor_retain(x);
    if (!rng) rng = tide_rng_default();
    int64_t n = tide_tensor_numel(x);
    uint64_t counter = 2 * tide_rng_reserve(rng, (uint64_t)(n + 1) / 2);
    tide_tensor *xc = tide_tensor_contiguous(x);
    tide_tensor *out = xc ? tide_tensor_empty(TIDE_F32, x->ndim, x->shape) : NULL;
    if (out) {
        tide_dropout_forward(tide_f32(out), tide_f32(xc), n, (float)p, rng->seed, counter);
        tide_node *node;
        out = tide_nnu_wrap(out, op, dropout_backward, 1, &x, &node);
        if (node) {
            tide_ag_value_free(node, 1u); /* the mask is regenerated from (seed, counter) */
            node->scalars[0] = p;
            node->ints[0] = (int64_t)rng->seed;
            node->ints[1] = (int64_t)counter;
        }
    }
    tide_tensor_release(xc);
    return out;
}
