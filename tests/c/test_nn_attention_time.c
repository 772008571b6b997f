/* test_nn_attention_time.c — the time-gap terms of the fused attention (nn.h): a per-head
 * decay bias -λ_h f(gap) with f = identity or log1p, and TiSASRec interval embeddings. The
 * forward is checked against a naive double-precision loop (libm log1p, floor, explicit
 * sums), the backward by central finite differences w.r.t. q, k, v, rate, ik and iv, with
 * causal and key-padding masks, dropout, packed (strided) inputs and rows longer than one
 * 32-row block; then the autograd wrapper: its node's gradients, argument errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <string.h>

#include "autograd.h"
#include "nn.h"
#include "nn_check.h"

typedef struct {
    tide_attn_desc d;
    float *q, *k, *v, *lse, *scratch;
} tm_ctx;
static void tm_fwd(void *c, float *out)
{
    tm_ctx *a = c;
    tide_attention_forward(&a->d, out, a->lse, NULL, a->q, a->k, a->v, a->scratch);
}

/* naive reference in double: out[b,i,h*dh+c] */
static void ref_time(const tide_attn_desc *d, const float *q, const float *k, const float *v,
                     double *out)
{
    int64_t dh = d->D / d->H;
    for (int64_t b = 0; b < d->B; b++)
        for (int64_t h = 0; h < d->H; h++)
            for (int64_t i = 0; i < d->T; i++) {
                double s[128], m = -INFINITY, z = 0;
                int64_t r[128];
                const float *qi = q + b * d->q_bs + i * d->q_ts + h * dh;
                for (int64_t j = 0; j < d->S; j++) {
                    int vis = (!d->causal || j <= i + d->S - d->T) &&
                              (!d->key_mask || d->key_mask[b * d->S + j]);
                    double gap = (double)d->tq[b * d->T + i] - d->tk[b * d->S + j];
                    gap = gap > 0 ? gap : 0;
                    double fl = floor(gap);
                    r[j] = d->n_int ? (int64_t)(fl < d->n_int - 1 ? fl : d->n_int - 1) : 0;
                    double acc = 0;
                    for (int64_t c = 0; c < dh; c++) {
                        double kk = k[b * d->k_bs + j * d->k_ts + h * dh + c];
                        if (d->n_int) kk += d->ik[r[j] * d->D + h * dh + c];
                        acc += (double)qi[c] * kk;
                    }
                    acc *= d->scale;
                    if (d->decay == TIDE_ATTN_DECAY_LINEAR) acc -= d->rate[h] * gap;
                    if (d->decay == TIDE_ATTN_DECAY_LOG1P) acc -= d->rate[h] * log1p(gap);
                    s[j] = vis ? acc : -INFINITY;
                    if (s[j] > m) m = s[j];
                }
                for (int64_t j = 0; j < d->S; j++) z += m == -INFINITY ? 0 : exp(s[j] - m);
                for (int64_t c = 0; c < dh; c++) {
                    double acc = 0;
                    for (int64_t j = 0; j < d->S && m != -INFINITY; j++) {
                        double vv = v[b * d->v_bs + j * d->v_ts + h * dh + c];
                        if (d->n_int) vv += d->iv[r[j] * d->D + h * dh + c];
                        acc += exp(s[j] - m) / z * vv;
                    }
                    out[(b * d->T + i) * d->D + h * dh + c] = acc;
                }
            }
}

typedef struct {
    int causal, mask, packed, n_int;
    tide_attn_decay decay;
    float dropout;
    int64_t H, T;
    double tspan; /* times spread over [0, tspan) */
} tm_case;

static void run(tm_case cs)
{
    int64_t B = 2, D = 6, T = cs.T, H = cs.H;
    uint8_t mask[2 * 128];
    for (int64_t b = 0; b < B; b++) /* row 1 left-padded (first key masked), row 0 holes */
        for (int64_t t = 0; t < T; t++) mask[b * T + t] = b ? t > 0 : (uint8_t)(t % 5 != 2);
    float tq[2 * 128], rate[4] = {0.7f, -0.2f, 0.05f, 1.3f};
    for (int64_t b = 0; b < B; b++) { /* increasing times with repeats (gap 0) and fractions */
        double t = nnc_uniform(0, 1);
        for (int64_t i = 0; i < T; i++) {
            if (i % 4 != 1) t += nnc_uniform(0, 2 * cs.tspan / T);
            tq[b * T + i] = (float)t;
        }
    }
    tm_ctx a = {0};
    tide_attn_desc *d = &a.d;
    d->B = B, d->T = T, d->S = T, d->D = D, d->H = H, d->causal = cs.causal;
    d->key_mask = cs.mask ? mask : NULL;
    d->scale = (float)(1.0 / sqrt((double)(D / H)));
    d->dropout_p = cs.dropout, d->seed = 7, d->counter = 40;
    d->tq = tq, d->tk = tq, d->decay = cs.decay, d->rate = cs.decay ? rate : NULL;
    d->n_int = cs.n_int;
    float *ik = nnc_rand(cs.n_int * D, -0.8, 0.8), *iv = nnc_rand(cs.n_int * D, -0.8, 0.8);
    if (cs.n_int) d->ik = ik, d->iv = iv;
    float *base = NULL;
    int64_t nin = cs.packed ? B * T * 3 * D : B * T * D;
    if (cs.packed) {
        base = nnc_rand(nin, -1.2, 1.2);
        a.q = base, a.k = base + D, a.v = base + 2 * D;
        d->q_bs = d->k_bs = d->v_bs = T * 3 * D, d->q_ts = d->k_ts = d->v_ts = 3 * D;
    } else {
        a.q = nnc_rand(nin, -1.2, 1.2), a.k = nnc_rand(nin, -1.2, 1.2), a.v = nnc_rand(nin, -1.2, 1.2);
        d->q_bs = d->k_bs = d->v_bs = T * D, d->q_ts = d->k_ts = d->v_ts = D;
    }
    a.scratch = nnc_zeros(tide_attention_scratch(d, 0));
    a.lse = nnc_zeros(B * H * T);
    int64_t no = B * T * D;
    float *out = nnc_zeros(no), *R = nnc_rand(no, -1, 1);
    tm_fwd(&a, out);
    if (cs.dropout == 0.0f) {
        double *ref = calloc((size_t)(no > 0 ? no : 1), sizeof *ref);
        ref_time(d, a.q, a.k, a.v, ref);
        assert_true(nnc_maxdiff(out, ref, no) < 3e-5);
        free(ref);
    }
    for (int64_t i = 0; i < no; i++) assert_false(isnan(out[i]));
    float *g = nnc_zeros(cs.packed ? nin : 3 * nin), *dr = nnc_zeros(H);
    float *dik = nnc_zeros(cs.n_int * D), *div = nnc_zeros(cs.n_int * D);
    tide_attn_grads ga = {g, cs.packed ? g + D : g + nin, cs.packed ? g + 2 * D : g + 2 * nin,
                          cs.decay ? dr : NULL, cs.n_int ? dik : NULL, cs.n_int ? div : NULL};
    float *scratch = nnc_zeros(tide_attention_scratch(d, 1));
    tide_attention_backward(d, &ga, R, a.lse, a.q, a.k, a.v, scratch);
    double eps = 1e-3, tol = 2e-2;
    if (cs.packed) {
        assert_int_equal(nnc_fd("dqkv", tm_fwd, &a, base, nin, g, no, R, eps, tol), 0);
    } else {
        assert_int_equal(nnc_fd("dq", tm_fwd, &a, a.q, nin, ga.dq, no, R, eps, tol), 0);
        assert_int_equal(nnc_fd("dk", tm_fwd, &a, a.k, nin, ga.dk, no, R, eps, tol), 0);
        assert_int_equal(nnc_fd("dv", tm_fwd, &a, a.v, nin, ga.dv, no, R, eps, tol), 0);
    }
    if (cs.decay) {
        assert_int_equal(nnc_fd("drate", tm_fwd, &a, rate, H, dr, no, R, eps, tol), 0);
        for (int64_t h = 0; h < H; h++) assert_true(dr[h] != 0.0f); /* the check is not vacuous */
    }
    if (cs.n_int) {
        assert_int_equal(nnc_fd("dik", tm_fwd, &a, ik, cs.n_int * D, dik, no, R, eps, tol), 0);
        assert_int_equal(nnc_fd("div", tm_fwd, &a, iv, cs.n_int * D, div, no, R, eps, tol), 0);
        assert_true(dik[0] != 0.0f && div[0] != 0.0f); /* bucket 0 (gap < 1) is always used */
    }
    free(base), free(a.lse), free(a.scratch), free(out), free(R), free(g), free(dr), free(dik);
    free(div), free(ik), free(iv), free(scratch);
    if (!cs.packed) free(a.q), free(a.k), free(a.v);
}

static void test_decay_linear(void **s) { (void)s; run((tm_case){1, 1, 0, 0, TIDE_ATTN_DECAY_LINEAR, 0, 2, 7, 4}); }
static void test_decay_log1p(void **s) { (void)s; run((tm_case){1, 1, 0, 0, TIDE_ATTN_DECAY_LOG1P, 0, 3, 6, 30}); }
/* non-causal: later keys have negative gaps, clamped to 0 */
static void test_decay_bidirectional(void **s) { (void)s; run((tm_case){0, 1, 0, 0, TIDE_ATTN_DECAY_LINEAR, 0, 2, 5, 3}); }
static void test_decay_packed_dropout(void **s) { (void)s; run((tm_case){1, 0, 1, 0, TIDE_ATTN_DECAY_LOG1P, 0.2f, 2, 6, 10}); }
/* 45 rows: two 32-row blocks, the second sees a growing key range */
static void test_decay_long(void **s) { (void)s; run((tm_case){1, 1, 1, 0, TIDE_ATTN_DECAY_LOG1P, 0, 2, 45, 200}); }
static void test_intervals(void **s) { (void)s; run((tm_case){1, 1, 0, 5, TIDE_ATTN_DECAY_NONE, 0, 2, 7, 8}); }
static void test_intervals_and_decay(void **s) { (void)s; run((tm_case){1, 1, 1, 4, TIDE_ATTN_DECAY_LINEAR, 0, 3, 6, 6}); }
static void test_intervals_dropout_long(void **s) { (void)s; run((tm_case){1, 1, 0, 9, TIDE_ATTN_DECAY_NONE, 0.25f, 1, 40, 30}); }
static void test_intervals_bidirectional(void **s) { (void)s; run((tm_case){0, 0, 0, 3, TIDE_ATTN_DECAY_LOG1P, 0, 2, 5, 5}); }
/* one bucket: every pair shares ik[0], iv[0] */
static void test_intervals_single_bucket(void **s) { (void)s; run((tm_case){1, 1, 0, 1, TIDE_ATTN_DECAY_NONE, 0, 2, 6, 9}); }

/* log1p over many magnitudes, through a one-key attention: weights are exp(-λ f(gap)) of two
 * keys, so out = (v0 + e v1) / (1 + e) with e = exp(-log1p(gap) + 0) for λ = 1. */
static void test_log1p_accuracy(void **s)
{
    (void)s;
    static const double gaps[] = {0, 1e-7, 3e-4, 0.01, 0.5, 1, 7.25, 123.0, 4.5e4, 1e7};
    for (size_t n = 0; n < sizeof gaps / sizeof *gaps; n++) {
        float tq[2] = {0, (float)gaps[n]}, tk[2] = {0, 0}, q[2] = {0, 0}, k[2] = {0, 0};
        float v[2] = {0, 1}, rate[1] = {1}, out[2], lse[2], scratch[512];
        tk[0] = (float)gaps[n], tk[1] = 0; /* query 1 at gaps[n]: key 0 gap 0, key 1 gap g */
        tide_attn_desc d = {0};
        d.B = 1, d.T = 2, d.S = 2, d.D = 1, d.H = 1, d.scale = 1;
        d.q_bs = d.k_bs = d.v_bs = 2, d.q_ts = d.k_ts = d.v_ts = 1;
        d.tq = tq, d.tk = tk, d.decay = TIDE_ATTN_DECAY_LOG1P, d.rate = rate;
        assert_true(tide_attention_scratch(&d, 0) <= 512);
        tide_attention_forward(&d, out, lse, NULL, q, k, v, scratch);
        double e = exp(-log1p((double)(float)gaps[n])), want = e / (1 + e);
        /* key 0 has gap max(0, g - g) = 0 and value 0; key 1 gap g and value 1 */
        assert_true(fabs(out[1] - want) <= 2e-7 + 1e-6 * want);
    }
}

/* The autograd node: gradients of sum(out * R) w.r.t. rate, ik and iv through tide_backward
 * agree with the raw kernel's backward; padding keys get no weight, future keys none either. */
static void test_wrapper_grads(void **s)
{
    (void)s;
    int64_t B = 2, T = 5, D = 4, H = 2;
    tide_tensor *qkv = tide_tensor_new(TIDE_F32, 3, (int64_t[]){B, T, 3 * D});
    tide_tensor *times = tide_tensor_new(TIDE_F32, 2, (int64_t[]){B, T});
    tide_tensor *rate = tide_tensor_new(TIDE_F32, 1, (int64_t[]){H});
    tide_tensor *ik = tide_tensor_new(TIDE_F32, 2, (int64_t[]){3, D});
    tide_tensor *iv = tide_tensor_new(TIDE_F32, 2, (int64_t[]){3, D});
    tide_tensor *mask = tide_tensor_full(TIDE_I32, 2, (int64_t[]){B, T}, 1.0);
    tide_i32(mask)[0] = 0, tide_i32(mask)[1] = 0; /* row 0 left-padded by two */
    for (int64_t i = 0; i < B * T * 3 * D; i++) tide_f32(qkv)[i] = (float)nnc_uniform(-1, 1);
    for (int64_t i = 0; i < B * T; i++) tide_f32(times)[i] = (float)(i % T) * 1.5f;
    for (int64_t i = 0; i < 3 * D; i++) tide_f32(ik)[i] = (float)nnc_uniform(-1, 1), tide_f32(iv)[i] = (float)nnc_uniform(-1, 1);
    tide_f32(rate)[0] = 0.3f, tide_f32(rate)[1] = 0.9f;
    tide_tensor *leaves[4] = {qkv, rate, ik, iv};
    for (int i = 0; i < 4; i++) assert_int_equal(tide_set_requires_grad(leaves[i], 1), TIDE_OK);
    tide_attn_time tm = {times, NULL, TIDE_ATTN_DECAY_LOG1P, rate, ik, iv};
    tide_tensor *w = NULL;
    tide_tensor *out = tide_nn_attention_qkv_time(qkv, (int)H, 1, mask, &tm, 0.0, NULL, &w);
    assert_non_null(out);
    /* weights: nothing on padding keys or on the future */
    for (int64_t b = 0; b < B; b++)
        for (int64_t h = 0; h < H; h++)
            for (int64_t i = 0; i < T; i++)
                for (int64_t j = 0; j < T; j++) {
                    float wij = tide_f32(w)[((b * H + h) * T + i) * T + j];
                    if (j > i || (b == 0 && j < 2)) assert_true(wij == 0.0f);
                }
    tide_tensor *R = tide_tensor_new(TIDE_F32, 3, (int64_t[]){B, T, D});
    for (int64_t i = 0; i < B * T * D; i++) tide_f32(R)[i] = (float)nnc_uniform(-1, 1);
    assert_int_equal(tide_backward(out, R), TIDE_OK);
    /* the same through the raw kernel */
    tide_attn_desc d = {0};
    d.B = B, d.T = T, d.S = T, d.D = D, d.H = H, d.causal = 1, d.scale = (float)(1 / sqrt(2.0));
    uint8_t m8[10];
    for (int i = 0; i < 10; i++) m8[i] = (uint8_t)tide_i32(mask)[i];
    d.key_mask = m8, d.q_bs = d.k_bs = d.v_bs = T * 3 * D, d.q_ts = d.k_ts = d.v_ts = 3 * D;
    d.tq = d.tk = tide_f32(times), d.decay = TIDE_ATTN_DECAY_LOG1P, d.rate = tide_f32(rate);
    d.n_int = 3, d.ik = tide_f32(ik), d.iv = tide_f32(iv);
    float *o2 = nnc_zeros(B * T * D), *lse = nnc_zeros(B * H * T);
    float *sc = nnc_zeros(tide_attention_scratch(&d, 1)), *gq = nnc_zeros(B * T * 3 * D);
    float *gr = nnc_zeros(H), *gik = nnc_zeros(3 * D), *giv = nnc_zeros(3 * D);
    const float *base = tide_f32(qkv);
    tide_attention_forward(&d, o2, lse, NULL, base, base + D, base + 2 * D, sc);
    for (int64_t i = 0; i < B * T * D; i++) assert_float_equal(o2[i], tide_f32(out)[i], 1e-6);
    tide_attn_grads ga = {gq, gq + D, gq + 2 * D, gr, gik, giv};
    tide_attention_backward(&d, &ga, tide_f32(R), lse, base, base + D, base + 2 * D, sc);
    for (int64_t i = 0; i < B * T * 3 * D; i++) assert_float_equal(gq[i], tide_f32(qkv->grad)[i], 1e-6);
    for (int64_t i = 0; i < H; i++) assert_float_equal(gr[i], tide_f32(rate->grad)[i], 1e-6);
    for (int64_t i = 0; i < 3 * D; i++) {
        assert_float_equal(gik[i], tide_f32(ik->grad)[i], 1e-6);
        assert_float_equal(giv[i], tide_f32(iv->grad)[i], 1e-6);
    }
    free(o2), free(lse), free(sc), free(gq), free(gr), free(gik), free(giv);
    tide_tensor *all[9] = {qkv, times, rate, ik, iv, mask, w, out, R};
    for (int i = 0; i < 9; i++) tide_tensor_release(all[i]);
}

static void expect_error(tide_tensor *t, const char *needle)
{
    assert_null(t);
    if (!strstr(tide_error(), needle)) fprintf(stderr, "error was: %s\n", tide_error());
    assert_non_null(strstr(tide_error(), needle));
}

static void test_wrapper_errors(void **s)
{
    (void)s;
    tide_tensor *qkv = tide_tensor_full(TIDE_F32, 3, (int64_t[]){2, 4, 12}, 0.1);
    tide_tensor *q = tide_tensor_full(TIDE_F32, 3, (int64_t[]){2, 3, 4}, 0.1);
    tide_tensor *k = tide_tensor_full(TIDE_F32, 3, (int64_t[]){2, 4, 4}, 0.1);
    tide_tensor *times = tide_tensor_full(TIDE_F32, 2, (int64_t[]){2, 4}, 1.0);
    tide_tensor *bad_t = tide_tensor_full(TIDE_F32, 2, (int64_t[]){2, 5}, 1.0);
    tide_tensor *nan_t = tide_tensor_full(TIDE_F32, 2, (int64_t[]){2, 4}, NAN);
    tide_tensor *rate = tide_tensor_full(TIDE_F32, 1, (int64_t[]){2}, 0.5);
    tide_tensor *rate3 = tide_tensor_full(TIDE_F32, 1, (int64_t[]){3}, 0.5);
    tide_tensor *ik = tide_tensor_full(TIDE_F32, 2, (int64_t[]){3, 4}, 0.0);
    tide_tensor *ik5 = tide_tensor_full(TIDE_F32, 2, (int64_t[]){3, 5}, 0.0);
    tide_attn_decay LIN = TIDE_ATTN_DECAY_LINEAR, NONE = TIDE_ATTN_DECAY_NONE;
    tide_attn_time t1 = {NULL, NULL, LIN, rate, NULL, NULL};
    expect_error(tide_nn_attention_qkv_time(qkv, 2, 1, NULL, &t1, 0, NULL, NULL), "event times");
    tide_attn_time t2 = {times, NULL, LIN, NULL, NULL, NULL};
    expect_error(tide_nn_attention_qkv_time(qkv, 2, 1, NULL, &t2, 0, NULL, NULL), "rate");
    tide_attn_time t3 = {times, NULL, NONE, rate, NULL, NULL};
    expect_error(tide_nn_attention_qkv_time(qkv, 2, 1, NULL, &t3, 0, NULL, NULL), "without a decay");
    tide_attn_time t4 = {bad_t, NULL, LIN, rate, NULL, NULL};
    expect_error(tide_nn_attention_qkv_time(qkv, 2, 1, NULL, &t4, 0, NULL, NULL), "times");
    tide_attn_time t5 = {nan_t, NULL, LIN, rate, NULL, NULL};
    expect_error(tide_nn_attention_qkv_time(qkv, 2, 1, NULL, &t5, 0, NULL, NULL), "NaN");
    tide_attn_time t6 = {times, NULL, LIN, rate3, NULL, NULL};
    expect_error(tide_nn_attention_qkv_time(qkv, 2, 1, NULL, &t6, 0, NULL, NULL), "rate");
    tide_attn_time t7 = {times, NULL, NONE, NULL, ik, NULL};
    expect_error(tide_nn_attention_qkv_time(qkv, 2, 1, NULL, &t7, 0, NULL, NULL), "both ik and iv");
    tide_attn_time t8 = {times, NULL, NONE, NULL, ik5, ik5};
    expect_error(tide_nn_attention_qkv_time(qkv, 2, 1, NULL, &t8, 0, NULL, NULL), "ik");
    tide_attn_time t9 = {times, times, LIN, rate, NULL, NULL};
    expect_error(tide_nn_attention_qkv_time(qkv, 2, 1, NULL, &t9, 0, NULL, NULL), "cross-attention");
    tide_attn_time t10 = {times, NULL, NONE, NULL, NULL, NULL};
    expect_error(tide_nn_attention_qkv_time(qkv, 2, 1, NULL, &t10, 0, NULL, NULL), "without a decay or interval");
    /* cross-attention with 3 queries over 4 keys needs the key times */
    tide_tensor *tq = tide_tensor_full(TIDE_F32, 2, (int64_t[]){2, 3}, 2.0);
    tide_attn_time t11 = {tq, NULL, LIN, rate, NULL, NULL};
    expect_error(tide_nn_attention_time(q, k, k, 2, 1, NULL, &t11, 0, NULL, NULL), "key_times");
    tide_attn_time t12 = {tq, times, LIN, rate, NULL, NULL};
    tide_tensor *o = tide_nn_attention_time(q, k, k, 2, 1, NULL, &t12, 0, NULL, NULL);
    assert_non_null(o);
    for (int64_t i = 0; i < 2 * 3 * 4; i++) assert_float_equal(tide_f32(o)[i], 0.1f, 1e-6);
    tide_tensor *all[12] = {qkv, q, k, times, bad_t, nan_t, rate, rate3, ik, ik5, tq, o};
    for (int i = 0; i < 12; i++) tide_tensor_release(all[i]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_decay_linear),           cmocka_unit_test(test_decay_log1p),
        cmocka_unit_test(test_decay_bidirectional),    cmocka_unit_test(test_decay_packed_dropout),
        cmocka_unit_test(test_decay_long),             cmocka_unit_test(test_intervals),
        cmocka_unit_test(test_intervals_and_decay),    cmocka_unit_test(test_intervals_dropout_long),
        cmocka_unit_test(test_intervals_bidirectional), cmocka_unit_test(test_intervals_single_bucket),
        cmocka_unit_test(test_log1p_accuracy),
        cmocka_unit_test(test_wrapper_grads),          cmocka_unit_test(test_wrapper_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
