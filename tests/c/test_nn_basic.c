/* test_nn_basic.c — linear (+activations), embedding, layer norm, softmax / log-softmax and
 * dropout kernels: forwards against naive double loops, backwards by central differences,
 * wrapper shape errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <string.h>

#include "nn.h"
#include "nn_check.h"

/* ---- linear ---- */
typedef struct {
    float *x, *w, *b, *pre, *res;
    int64_t N, I, O;
    tide_linear_epi e;
} lin_ctx;
static void lin_fwd(void *c, float *out)
{
    lin_ctx *l = c;
    tide_linear_forward(out, l->pre, l->x, l->w, l->b, l->res, l->N, l->I, l->O, &l->e);
}

static double ref_act(double v, tide_act act)
{
    switch (act) {
    case TIDE_ACT_RELU: return v > 0 ? v : 0;
    case TIDE_ACT_GELU: return 0.5 * v * (1 + erf(v / sqrt(2.0)));
    case TIDE_ACT_TANH: return tanh(v);
    case TIDE_ACT_SIGMOID: return 1 / (1 + exp(-v));
    default: return v;
    }
}

static void test_linear(void **state)
{
    (void)state;
    for (int act = TIDE_ACT_NONE; act <= TIDE_ACT_SIGMOID + 2; act++) {
        lin_ctx l = {0};
        /* the last two rounds: GELU and no activation, each with dropout and a residual */
        int fused = act > TIDE_ACT_SIGMOID;
        l.N = 5, l.I = 7, l.O = 4;
        l.e.act = fused ? (act == TIDE_ACT_SIGMOID + 1 ? TIDE_ACT_GELU : TIDE_ACT_NONE) : (tide_act)act;
        l.e.dropout_p = fused ? 0.4f : 0.0f, l.e.seed = 5, l.e.counter = 64;
        l.res = fused ? nnc_rand(l.N * l.O, -1, 1) : NULL;
        l.x = nnc_rand(l.N * l.I, -1.5, 1.5), l.w = nnc_rand(l.O * l.I, -1, 1);
        l.b = nnc_rand(l.O, -0.5, 0.5), l.pre = nnc_zeros(l.N * l.O);
        float *out = nnc_zeros(l.N * l.O), *R = nnc_rand(l.N * l.O, -1, 1);
        lin_fwd(&l, out);
        double *ref = calloc((size_t)(l.N * l.O), sizeof *ref);
        for (int64_t n = 0; n < l.N; n++)
            for (int64_t o = 0; o < l.O; o++) {
                double s = l.b[o];
                for (int64_t i = 0; i < l.I; i++) s += (double)l.x[n * l.I + i] * l.w[o * l.I + i];
                double y = ref_act(s, l.e.act);
                if (fused) { /* the mask from the documented Philox half-words */
                    uint64_t el = l.e.counter + (uint64_t)(n * l.O + o), r = el & 31;
                    uint32_t w[4];
                    tide_philox(l.e.seed, 4 * (el >> 5) + (r & 3), w);
                    uint32_t half = (w[r >> 3] >> (((r >> 2) & 1) * 16)) & 0xFFFF;
                    y = half >= (uint32_t)floor(0.4 * 65536 + 0.5) ? y / 0.6 : 0.0;
                    y += l.res[n * l.O + o];
                }
                ref[n * l.O + o] = y;
            }
        assert_true(nnc_maxdiff(out, ref, l.N * l.O) < 1e-5);
        float *dx = nnc_zeros(l.N * l.I), *dw = nnc_zeros(l.O * l.I), *db = nnc_zeros(l.O);
        float *scratch = nnc_zeros(l.N * l.O);
        tide_linear_backward(dx, dw, db, R, l.pre, l.x, l.w, l.N, l.I, l.O, &l.e, scratch);
        int64_t no = l.N * l.O;
        /* relu has a kink: inputs are away from it with probability ~1 at eps 1e-3 */
        assert_int_equal(nnc_fd("linear dx", lin_fwd, &l, l.x, l.N * l.I, dx, no, R, 1e-3, 2e-2), 0);
        assert_int_equal(nnc_fd("linear dw", lin_fwd, &l, l.w, l.O * l.I, dw, no, R, 1e-3, 2e-2), 0);
        assert_int_equal(nnc_fd("linear db", lin_fwd, &l, l.b, l.O, db, no, R, 1e-3, 2e-2), 0);
        free(l.x), free(l.w), free(l.b), free(l.pre), free(l.res), free(out), free(R), free(ref);
        free(dx), free(dw), free(db), free(scratch);
    }
}

static void test_linear_wrapper_errors(void **state)
{
    (void)state;
    int64_t xs[2] = {3, 4}, ws[2] = {5, 6}, bs[1] = {4};
    tide_tensor *x = tide_tensor_new(TIDE_F32, 2, xs), *w = tide_tensor_new(TIDE_F32, 2, ws);
    tide_tensor *b = tide_tensor_new(TIDE_F32, 1, bs);
    assert_null(tide_nn_linear(x, w, NULL, TIDE_ACT_NONE));
    assert_non_null(strstr(tide_error(), "linear"));
    assert_non_null(strstr(tide_error(), "[3,4]"));
    int64_t ws2[2] = {5, 4};
    tide_tensor *w2 = tide_tensor_new(TIDE_F32, 2, ws2);
    assert_null(tide_nn_linear(x, w2, b, TIDE_ACT_NONE)); /* bias [4] but out = 5 */
    assert_non_null(strstr(tide_error(), "bias"));
    tide_tensor *y = tide_nn_linear(x, w2, NULL, TIDE_ACT_RELU);
    assert_non_null(y);
    assert_int_equal(y->shape[1], 5);
    tide_tensor *xi = tide_tensor_new(TIDE_I32, 2, xs);
    assert_null(tide_nn_linear(xi, w2, NULL, TIDE_ACT_NONE));
    assert_non_null(strstr(tide_error(), "f32"));
    tide_tensor_release(xi), tide_tensor_release(y), tide_tensor_release(w2);
    tide_tensor_release(x), tide_tensor_release(w), tide_tensor_release(b);
}

/* ---- embedding ---- */
static void test_embedding(void **state)
{
    (void)state;
    int64_t V = 6, D = 3, N = 5;
    float *w = nnc_rand(V * D, -1, 1), *out = nnc_zeros(N * D);
    int64_t ids[5] = {2, 0, 2, 5, 1};
    tide_embedding_forward(out, w, ids, N, D);
    for (int64_t i = 0; i < N; i++)
        for (int64_t j = 0; j < D; j++) assert_true(out[i * D + j] == w[ids[i] * D + j]);
    float *dout = nnc_rand(N * D, -1, 1), *dw = nnc_zeros(V * D);
    tide_embedding_backward(dw, dout, ids, N, D, 1); /* padding row 1 gets nothing */
    for (int64_t j = 0; j < D; j++) {
        assert_float_equal(dw[2 * D + j], dout[0 * D + j] + dout[2 * D + j], 1e-6);
        assert_float_equal(dw[0 * D + j], dout[1 * D + j], 1e-6);
        assert_true(dw[1 * D + j] == 0.0f);
        assert_true(dw[3 * D + j] == 0.0f && dw[4 * D + j] == 0.0f);
    }
    /* wrapper: 1-based ids with range errors naming the id */
    int64_t vs[2] = {V, D}, is[2] = {2, 2};
    tide_tensor *wt = tide_tensor_from_data(TIDE_F32, 2, vs, w);
    int32_t idv[4] = {1, 6, 3, 7};
    tide_tensor *it = tide_tensor_from_data(TIDE_I32, 2, is, idv);
    assert_null(tide_nn_embedding(wt, it, 1, INT64_MIN));
    assert_non_null(strstr(tide_error(), "7"));
    idv[3] = 2;
    tide_tensor *it2 = tide_tensor_from_data(TIDE_I32, 2, is, idv);
    tide_tensor *e = tide_nn_embedding(wt, it2, 1, 1);
    assert_non_null(e);
    assert_int_equal(e->ndim, 3);
    assert_true(tide_f32(e)[1 * D] == w[5 * D]); /* id 6 (1-based) is row 5 */
    assert_null(tide_nn_embedding(wt, it2, 1, 9)); /* padding index out of range */
    tide_tensor_release(e), tide_tensor_release(it), tide_tensor_release(it2), tide_tensor_release(wt);
    free(w), free(out), free(dout), free(dw);
}

/* ---- layer norm ---- */
typedef struct {
    float *x, *g, *b, *mean, *rstd;
    int64_t N, D;
} ln_ctx;
static void ln_fwd(void *c, float *out)
{
    ln_ctx *l = c;
    tide_layernorm_forward(out, l->mean, l->rstd, l->x, l->g, l->b, l->N, l->D, 1e-5f);
}

static void test_layernorm(void **state)
{
    (void)state;
    ln_ctx l = {0};
    l.N = 4, l.D = 9;
    l.x = nnc_rand(l.N * l.D, -2, 3), l.g = nnc_rand(l.D, 0.5, 1.5), l.b = nnc_rand(l.D, -1, 1);
    l.mean = nnc_zeros(l.N), l.rstd = nnc_zeros(l.N);
    for (int64_t j = 0; j < l.D; j++) l.x[j] += 1000.0f; /* row 0 far from zero: two-pass variance */
    float *out = nnc_zeros(l.N * l.D), *R = nnc_rand(l.N * l.D, -1, 1);
    ln_fwd(&l, out);
    double *ref = calloc((size_t)(l.N * l.D), sizeof *ref);
    for (int64_t r = 0; r < l.N; r++) {
        double m = 0, v = 0;
        for (int64_t j = 0; j < l.D; j++) m += l.x[r * l.D + j];
        m /= (double)l.D;
        for (int64_t j = 0; j < l.D; j++) v += pow(l.x[r * l.D + j] - m, 2);
        v /= (double)l.D;
        for (int64_t j = 0; j < l.D; j++)
            ref[r * l.D + j] = (l.x[r * l.D + j] - m) / sqrt(v + 1e-5) * l.g[j] + l.b[j];
    }
    assert_true(nnc_maxdiff(out, ref, l.N * l.D) < 1e-4);
    float *dx = nnc_zeros(l.N * l.D), *dg = nnc_zeros(l.D), *db = nnc_zeros(l.D);
    tide_layernorm_backward(dx, dg, db, R, l.x, l.mean, l.rstd, l.g, l.N, l.D);
    int64_t no = l.N * l.D;
    /* skip row 0 for dx: its +1000 offset makes f32 finite differences meaningless */
    assert_int_equal(nnc_fd("ln dx", ln_fwd, &l, l.x + l.D, (l.N - 1) * l.D, dx + l.D, no, R, 1e-2, 2e-2), 0);
    assert_int_equal(nnc_fd("ln dgamma", ln_fwd, &l, l.g, l.D, dg, no, R, 1e-2, 2e-2), 0);
    assert_int_equal(nnc_fd("ln dbeta", ln_fwd, &l, l.b, l.D, db, no, R, 1e-2, 2e-2), 0);
    free(l.x), free(l.g), free(l.b), free(l.mean), free(l.rstd), free(out), free(R), free(ref);
    free(dx), free(dg), free(db);
}

/* ---- softmax ---- */
typedef struct {
    float *x;
    int64_t N, D;
    int log;
} sm_ctx;
static void sm_fwd(void *c, float *out)
{
    sm_ctx *s = c;
    tide_softmax_forward(out, s->x, s->N, s->D, s->log);
}

static void test_softmax(void **state)
{
    (void)state;
    for (int lg = 0; lg <= 1; lg++) {
        sm_ctx s = {nnc_rand(3 * 6, -3, 3), 3, 6, lg};
        s.x[0] = 1000.0f; /* would overflow a naive exp */
        float *out = nnc_zeros(18), *R = nnc_rand(18, -1, 1), *dx = nnc_zeros(18);
        sm_fwd(&s, out);
        for (int64_t r = 0; r < s.N; r++) {
            double m = -INFINITY, z = 0;
            for (int64_t j = 0; j < s.D; j++) m = fmax(m, s.x[r * s.D + j]);
            for (int64_t j = 0; j < s.D; j++) z += exp(s.x[r * s.D + j] - m);
            for (int64_t j = 0; j < s.D; j++) {
                double lp = s.x[r * s.D + j] - m - log(z);
                assert_float_equal(out[r * s.D + j], lg ? lp : exp(lp), 1e-5);
            }
        }
        tide_softmax_backward(dx, R, out, s.N, s.D, lg);
        /* rows 1.. only: row 0 saturates at 1000 */
        assert_int_equal(nnc_fd("softmax dx", sm_fwd, &s, s.x + 6, 12, dx + 6, 18, R, 1e-2, 2e-2), 0);
        free(s.x), free(out), free(R), free(dx);
    }
    /* a row of -inf gives zeros, not NaN */
    float x[3] = {-INFINITY, -INFINITY, -INFINITY}, y[3];
    tide_softmax_forward(y, x, 1, 3, 0);
    for (int j = 0; j < 3; j++) assert_false(isnan(y[j]));
}

/* ---- dropout ---- */
static void test_dropout(void **state)
{
    (void)state;
    int64_t n = 20000;
    float *x = nnc_rand(n, 0.5, 1.5), *y = nnc_zeros(n), *y2 = nnc_zeros(n), *dx = nnc_zeros(n);
    float *ones = malloc((size_t)n * sizeof *ones);
    for (int64_t i = 0; i < n; i++) ones[i] = 1.0f;
    tide_dropout_forward(y, x, n, 0.3f, 42, 8);
    tide_dropout_forward(y2, x, n, 0.3f, 42, 8);
    int64_t kept = 0;
    for (int64_t i = 0; i < n; i++) {
        assert_true(y[i] == y2[i]); /* deterministic for (seed, counter) */
        if (y[i] != 0.0f) {
            kept++;
            assert_float_equal(y[i], x[i] / 0.7f, 1e-5);
        }
    }
    /* binomial(20000, 0.7): sd ~ 65 */
    assert_true(kept > 14000 - 400 && kept < 14000 + 400);
    tide_dropout_backward(dx, ones, n, 0.3f, 42, 8);
    for (int64_t i = 0; i < n; i++) assert_true((dx[i] != 0.0f) == (y[i] != 0.0f));
    /* the documented mask: element e is half (r>>2)&1 of word r>>3 of block 4(e>>5) + (r&3),
     * r = e & 31 */
    uint32_t thr = (uint32_t)floor(0.3 * 65536 + 0.5);
    for (int64_t i = 0; i < 300; i++) {
        uint64_t e = 8 + (uint64_t)i;
        uint32_t w[4];
        uint64_t r = e & 31;
        tide_philox(42, 4 * (e >> 5) + (r & 3), w);
        uint32_t half = (w[r >> 3] >> (((r >> 2) & 1) * 16)) & 0xFFFF;
        assert_int_equal(half >= thr, y[i] != 0.0f);
    }
    /* a chunk starting mid-stream sees the same mask as the whole */
    tide_dropout_forward(y2, x + 1001, 500, 0.3f, 42, 8 + 1001);
    for (int64_t i = 0; i < 500; i++) assert_true(y2[i] == y[1001 + i]);
    /* wrapper: identity in eval mode, error on p out of range */
    int64_t sh[1] = {n};
    tide_tensor *t = tide_tensor_from_data(TIDE_F32, 1, sh, x);
    tide_tensor *same = tide_nn_dropout(t, 0.5, 0, NULL);
    assert_ptr_equal(same, t);
    assert_null(tide_nn_dropout(t, 1.0, 1, NULL));
    assert_non_null(strstr(tide_error(), "dropout"));
    tide_rng r;
    tide_rng_seed(&r, 7);
    tide_tensor *d1 = tide_nn_dropout(t, 0.5, 1, &r);
    assert_true(r.counter >= (uint64_t)n / 2);
    tide_tensor_release(d1), tide_tensor_release(same), tide_tensor_release(t);
    free(x), free(y), free(y2), free(dx), free(ones);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_linear),    cmocka_unit_test(test_linear_wrapper_errors),
        cmocka_unit_test(test_embedding), cmocka_unit_test(test_layernorm),
        cmocka_unit_test(test_softmax),   cmocka_unit_test(test_dropout),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
