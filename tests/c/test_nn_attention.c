/* test_nn_attention.c — fused multi-head attention: forward against a naive double loop with
 * causal and key-padding masks (including fully masked rows), backward by finite differences
 * with and without dropout on the weights, strided (packed qkv) inputs, wrapper errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <string.h>

#include "nn.h"
#include "nn_check.h"

typedef struct {
    tide_attn_desc d;
    float *q, *k, *v, *lse, *probs, *scratch;
} at_ctx;
static void at_fwd(void *c, float *out)
{
    at_ctx *a = c;
    tide_attention_forward(&a->d, out, a->lse, a->probs, a->q, a->k, a->v, a->scratch);
}

/* naive reference: out[b,i,h*dh+c] */
static void ref_attention(const tide_attn_desc *d, const float *q, const float *k, const float *v,
                          double *out)
{
    int64_t dh = d->D / d->H;
    for (int64_t b = 0; b < d->B; b++)
        for (int64_t h = 0; h < d->H; h++)
            for (int64_t i = 0; i < d->T; i++) {
                double s[128], m = -INFINITY, z = 0;
                for (int64_t j = 0; j < d->S; j++) {
                    int vis = (!d->causal || j <= i + d->S - d->T) &&
                              (!d->key_mask || d->key_mask[b * d->S + j]);
                    double acc = 0;
                    for (int64_t c = 0; c < dh; c++)
                        acc += (double)q[b * d->q_bs + i * d->q_ts + h * dh + c] *
                               k[b * d->k_bs + j * d->k_ts + h * dh + c];
                    s[j] = vis ? acc * d->scale : -INFINITY;
                    if (s[j] > m) m = s[j];
                }
                for (int64_t j = 0; j < d->S; j++) z += m == -INFINITY ? 0 : exp(s[j] - m);
                for (int64_t c = 0; c < dh; c++) {
                    double acc = 0;
                    for (int64_t j = 0; j < d->S && m != -INFINITY; j++)
                        acc += exp(s[j] - m) / z * v[b * d->v_bs + j * d->v_ts + h * dh + c];
                    out[(b * d->T + i) * d->D + h * dh + c] = acc;
                }
            }
}

static void run_case_t(int causal, int use_mask, float dropout, int64_t H, int packed, int64_t T)
{
    int64_t B = 2, D = 6;
    /* row 0: keys 2 and 4 padded; row 1: first key padded, so query 0 of a causal model
     * sees nothing there; longer sequences repeat the pattern */
    static const uint8_t pat[10] = {1, 1, 0, 1, 0, 0, 1, 1, 1, 1};
    uint8_t mask[2 * 128];
    for (int64_t b = 0; b < B; b++)
        for (int64_t t = 0; t < T; t++) mask[b * T + t] = t < 5 ? pat[b * 5 + t] : (uint8_t)(t % 7 != 3);
    at_ctx a = {0};
    tide_attn_desc *d = &a.d;
    d->B = B, d->T = T, d->S = T, d->D = D, d->H = H, d->causal = causal;
    d->key_mask = use_mask ? mask : NULL;
    d->scale = (float)(1.0 / sqrt((double)(D / H)));
    d->dropout_p = dropout, d->seed = 99, d->counter = 12;
    float *base = NULL;
    if (packed) { /* q | k | v column blocks of one [B,T,3D] buffer */
        base = nnc_rand(B * T * 3 * D, -1.5, 1.5);
        a.q = base, a.k = base + D, a.v = base + 2 * D;
        d->q_bs = d->k_bs = d->v_bs = T * 3 * D;
        d->q_ts = d->k_ts = d->v_ts = 3 * D;
    } else {
        a.q = nnc_rand(B * T * D, -1.5, 1.5), a.k = nnc_rand(B * T * D, -1.5, 1.5);
        a.v = nnc_rand(B * T * D, -1.5, 1.5);
        d->q_bs = d->k_bs = d->v_bs = T * D;
        d->q_ts = d->k_ts = d->v_ts = D;
    }
    a.probs = NULL, a.scratch = nnc_zeros(tide_attention_scratch(d, 0));
    a.lse = nnc_zeros(B * H * T);
    int64_t no = B * T * D;
    float *out = nnc_zeros(no), *R = nnc_rand(no, -1, 1);
    at_fwd(&a, out);
    for (int64_t i = 0; i < no; i++) assert_false(isnan(out[i]));
    if (dropout == 0.0f) {
        double *ref = calloc((size_t)no, sizeof *ref);
        ref_attention(d, a.q, a.k, a.v, ref);
        assert_true(nnc_maxdiff(out, ref, no) < 2e-5);
        free(ref);
    }
    if (use_mask && causal) /* batch 1, query 0: no visible key -> zeros, weights zero */
        for (int64_t c = 0; c < D; c++) assert_true(out[(1 * T + 0) * D + c] == 0.0f);
    int64_t nin = packed ? B * T * 3 * D : B * T * D;
    float *g = nnc_zeros(packed ? nin : 3 * nin);
    float *dq = g, *dk = packed ? g + D : g + nin, *dv = packed ? g + 2 * D : g + 2 * nin;
    float *scratch = nnc_zeros(tide_attention_scratch(d, 1));
    tide_attn_grads ga = {dq, dk, dv, NULL, NULL, NULL};
    tide_attention_backward(d, &ga, R, a.lse, a.q, a.k, a.v, scratch);
    if (packed) {
        assert_int_equal(nnc_fd("attn dqkv", at_fwd, &a, base, nin, g, no, R, 1e-3, 2e-2), 0);
    } else {
        assert_int_equal(nnc_fd("attn dq", at_fwd, &a, a.q, nin, dq, no, R, 1e-3, 2e-2), 0);
        assert_int_equal(nnc_fd("attn dk", at_fwd, &a, a.k, nin, dk, no, R, 1e-3, 2e-2), 0);
        assert_int_equal(nnc_fd("attn dv", at_fwd, &a, a.v, nin, dv, no, R, 1e-3, 2e-2), 0);
        free(a.q), free(a.k), free(a.v);
    }
    free(base), free(a.probs), free(a.lse), free(a.scratch), free(out), free(R), free(g), free(scratch);
}

static void run_case(int causal, int use_mask, float dropout, int64_t H, int packed)
{
    run_case_t(causal, use_mask, dropout, H, packed, 5);
}

static void test_attention_plain(void **s) { (void)s; run_case(0, 0, 0.0f, 2, 0); }
static void test_attention_causal(void **s) { (void)s; run_case(1, 0, 0.0f, 1, 0); }
static void test_attention_padding_mask(void **s) { (void)s; run_case(0, 1, 0.0f, 2, 0); }
static void test_attention_causal_and_mask(void **s) { (void)s; run_case(1, 1, 0.0f, 3, 0); }
static void test_attention_packed(void **s) { (void)s; run_case(1, 1, 0.0f, 2, 1); }
static void test_attention_dropout(void **s) { (void)s; run_case(1, 0, 0.25f, 2, 1); }
/* T = 70 > the 32-row blocks: causal blocks see growing key ranges */
static void test_attention_long_causal_blocks(void **s) { (void)s; run_case_t(1, 1, 0.0f, 2, 1, 70); }
static void test_attention_long_dropout(void **s) { (void)s; run_case_t(1, 0, 0.2f, 1, 0, 40); }

static void test_attention_wrapper(void **state)
{
    (void)state;
    int64_t sh[3] = {2, 4, 7}, ms[2] = {2, 4}, bad[2] = {2, 3};
    tide_tensor *qkv = tide_tensor_new(TIDE_F32, 3, (int64_t[]){2, 4, 18});
    float *p = tide_f32(qkv);
    for (int i = 0; i < 2 * 4 * 18; i++) p[i] = (float)nnc_uniform(-1, 1);
    tide_tensor *mask = tide_tensor_full(TIDE_I32, 2, ms, 1.0);
    tide_i32(mask)[0] = 0, tide_i32(mask)[1] = 0, tide_i32(mask)[2] = 0, tide_i32(mask)[3] = 0;
    tide_tensor *w = NULL;
    tide_tensor *o = tide_nn_attention_qkv(qkv, 2, 0, mask, 0.0, NULL, &w);
    assert_non_null(o);
    assert_non_null(w);
    assert_int_equal(w->ndim, 4);
    assert_int_equal(o->shape[2], 6);
    for (int64_t i = 0; i < tide_tensor_numel(o); i++) assert_false(isnan(tide_f32(o)[i]));
    /* every key of batch 0 is padding: output rows and weights are 0 */
    for (int64_t i = 0; i < 4 * 6; i++) assert_true(tide_f32(o)[i] == 0.0f);
    /* the q, k, v form agrees with the packed form */
    tide_tensor *q = tide_tensor_narrow(qkv, 2, 0, 6), *k = tide_tensor_narrow(qkv, 2, 6, 6);
    tide_tensor *v = tide_tensor_narrow(qkv, 2, 12, 6);
    tide_tensor *o2 = tide_nn_attention(q, k, v, 2, 0, mask, 0.0, NULL, NULL);
    assert_non_null(o2);
    for (int64_t i = 0; i < tide_tensor_numel(o); i++)
        assert_float_equal(tide_f32(o)[i], tide_f32(o2)[i], 1e-6);
    /* errors name the problem */
    assert_null(tide_nn_attention_qkv(qkv, 4, 0, NULL, 0.0, NULL, NULL));
    assert_non_null(strstr(tide_error(), "divisible"));
    tide_tensor *badmask = tide_tensor_new(TIDE_I32, 2, bad);
    assert_null(tide_nn_attention_qkv(qkv, 2, 0, badmask, 0.0, NULL, NULL));
    assert_non_null(strstr(tide_error(), "mask"));
    tide_tensor *x3 = tide_tensor_new(TIDE_F32, 3, sh);
    assert_null(tide_nn_attention_qkv(x3, 1, 0, NULL, 0.0, NULL, NULL));
    assert_non_null(strstr(tide_error(), "3D"));
    tide_tensor_release(x3), tide_tensor_release(badmask);
    tide_tensor_release(q), tide_tensor_release(k), tide_tensor_release(v), tide_tensor_release(o2);
    tide_tensor_release(o), tide_tensor_release(w), tide_tensor_release(mask), tide_tensor_release(qkv);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_attention_plain),           cmocka_unit_test(test_attention_causal),
        cmocka_unit_test(test_attention_padding_mask),    cmocka_unit_test(test_attention_causal_and_mask),
        cmocka_unit_test(test_attention_packed),          cmocka_unit_test(test_attention_dropout),
        cmocka_unit_test(test_attention_long_causal_blocks), cmocka_unit_test(test_attention_long_dropout),
        cmocka_unit_test(test_attention_wrapper),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
