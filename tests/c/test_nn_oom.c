/* test_nn_oom.c — an nn layer whose autograd node cannot be allocated fails with a clear error
 * ("<op>: out of memory recording its autograd node", which the bindings turn into a Lua
 * error) instead of aborting: it returns NULL, its inputs keep their reference counts and gain
 * no gradient, and nothing it allocated leaks (ASan in `make sanitize`). The same call made
 * again records normally and back-propagates the right (hand-worked) gradients.
 *
 * The failure is injected as in test_autograd_oom.c: this file compiles its own copy of
 * autograd.c with TIDE_TEST_FAULTS, which the linker uses instead of the library's autograd.o,
 * so the nn objects taken from libtide.a call the faulty tide_ag_try_record. */
#define TIDE_TEST_FAULTS 1
#include "autograd.c"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <math.h>

#include "nn.h"
#include "ops.h"

void tide_test_fail_alloc_after(long n);

static tide_tensor *mk(int ndim, const int64_t *shape, const float *v, int grad)
{
    tide_tensor *t = tide_tensor_from_data(TIDE_F32, ndim, shape, v);
    assert_non_null(t);
    if (grad) assert_int_equal(tide_set_requires_grad(t, 1), TIDE_OK);
    return t;
}

static tide_tensor *ids(int64_t n, const int64_t *v)
{
    tide_tensor *t = tide_tensor_from_data(TIDE_I64, 1, &n, v);
    assert_non_null(t);
    return t;
}

static float f(const tide_tensor *t, int64_t i) { return tide_f32(t)[i]; }

/* The op just returned r: it must be NULL with the node message, and each input untouched. */
static void expect_failed(tide_tensor *r, const char *op, tide_tensor *const *in, int n)
{
    char want[128];
    snprintf(want, sizeof want, "%s: out of memory recording its autograd node", op);
    assert_null(r);
    assert_string_equal(tide_error(), want);
    for (int i = 0; i < n; i++) {
        assert_int_equal(in[i]->refcount, 1); /* nothing retained by a half-built node */
        assert_null(in[i]->grad);
        assert_null(in[i]->node);
    }
}

/* Backward of sum(y) (y released). */
static void backward_sum(tide_tensor *y)
{
    assert_non_null(y);
    tide_tensor *l = tide_ag_reduce(TIDE_SUM, y, NULL, 0, 0, 0);
    assert_non_null(l);
    assert_int_equal(tide_backward(l, NULL), TIDE_OK);
    tide_tensor_release(l);
    tide_tensor_release(y);
}

static void release_all(tide_tensor **t, int n)
{
    for (int i = 0; i < n; i++) tide_tensor_release(t[i]);
}

/* linear (tide_nnu_record, optional inputs): d sum(x W^T + b) / dW[o,i] = sum_n x[n,i],
 * / db[o] = N. The fused dropout/residual form goes through the same node. */
static void test_linear(void **state)
{
    (void)state;
    tide_tensor *t[3] = {mk(2, (int64_t[]){2, 3}, (float[]){1, 2, 3, 4, 5, 6}, 0),
                         mk(2, (int64_t[]){2, 3}, (float[]){.1f, .2f, .3f, -.1f, 0, .5f}, 1),
                         mk(1, (int64_t[]){2}, (float[]){1, -1}, 1)};
    tide_test_fail_alloc_after(0);
    expect_failed(tide_nn_linear(t[0], t[1], t[2], TIDE_ACT_NONE), "linear", t, 3);
    tide_test_fail_alloc_after(0);
    expect_failed(tide_nn_linear_ex(t[0], t[1], t[2], TIDE_ACT_RELU, 0.5, NULL, NULL), "linear",
                  t, 3);
    backward_sum(tide_nn_linear(t[0], t[1], t[2], TIDE_ACT_NONE));
    const float colsum[3] = {5, 7, 9};
    for (int o = 0; o < 2; o++) {
        for (int i = 0; i < 3; i++) assert_float_equal(f(t[1]->grad, o * 3 + i), colsum[i], 1e-5);
        assert_float_equal(f(t[2]->grad, o), 2, 0);
    }
    release_all(t, 3);
}

/* layernorm of one row x = [1,2,3]: mean 2, var 2/3, xhat = (x-2)/sqrt(2/3+eps). With gamma
 * and beta, d sum(out)/dgamma = xhat, /dbeta = 1, /dx = gamma-weighted projection = 0 here
 * (gamma = 1: sum of xhat is constant). */
static void test_layernorm(void **state)
{
    (void)state;
    tide_tensor *t[3] = {mk(2, (int64_t[]){1, 3}, (float[]){1, 2, 3}, 1),
                         mk(1, (int64_t[]){3}, (float[]){1, 1, 1}, 1),
                         mk(1, (int64_t[]){3}, (float[]){0, 0, 0}, 1)};
    tide_test_fail_alloc_after(0);
    expect_failed(tide_nn_layernorm(t[0], t[1], t[2], 1e-5), "layernorm", t, 3);
    backward_sum(tide_nn_layernorm(t[0], t[1], t[2], 1e-5));
    double sd = sqrt(2.0 / 3.0 + 1e-5);
    for (int j = 0; j < 3; j++) {
        assert_float_equal(f(t[1]->grad, j), (j - 1) / sd, 1e-5);
        assert_float_equal(f(t[2]->grad, j), 1, 0);
        assert_float_equal(f(t[0]->grad, j), 0, 1e-5);
    }
    release_all(t, 3);
}

/* embedding rows {2, 0} of W [3,2]: d sum / dW = 1 on rows 0 and 2, 0 on row 1. */
static void test_embedding(void **state)
{
    (void)state;
    tide_tensor *w = mk(2, (int64_t[]){3, 2}, (float[]){1, 2, 3, 4, 5, 6}, 1);
    tide_tensor *id = ids(2, (int64_t[]){2, 0});
    tide_test_fail_alloc_after(0);
    expect_failed(tide_nn_embedding(w, id, 0, INT64_MIN), "embedding", &w, 1);
    assert_int_equal(id->refcount, 1);
    backward_sum(tide_nn_embedding(w, id, 0, INT64_MIN));
    const float want[6] = {1, 1, 0, 0, 1, 1};
    for (int i = 0; i < 6; i++) assert_float_equal(f(w->grad, i), want[i], 0);
    tide_tensor_release(w);
    tide_tensor_release(id);
}

/* log_softmax of x [1,3]: d sum_i log p_i / dx_j = 1 - 3 p_j. */
static void test_log_softmax(void **state)
{
    (void)state;
    tide_tensor *x = mk(2, (int64_t[]){1, 3}, (float[]){1, 2, 3}, 1);
    tide_test_fail_alloc_after(0);
    expect_failed(tide_nn_softmax(x, 1), "log_softmax", &x, 1);
    tide_test_fail_alloc_after(0);
    expect_failed(tide_nn_softmax(x, 0), "softmax", &x, 1);
    backward_sum(tide_nn_softmax(x, 1));
    double z = exp(1) + exp(2) + exp(3);
    for (int j = 0; j < 3; j++) assert_float_equal(f(x->grad, j), 1 - 3 * exp(j + 1) / z, 1e-5);
    tide_tensor_release(x);
}

/* cross-entropy (mean) of logits [2,3], targets {2, 0}: dl/dx = (p - onehot(y)) / 2. */
static void test_cross_entropy(void **state)
{
    (void)state;
    const float xv[6] = {1, 2, 3, 0, 0, 0};
    tide_tensor *x = mk(2, (int64_t[]){2, 3}, xv, 1);
    tide_tensor *y = ids(2, (int64_t[]){2, 0});
    tide_test_fail_alloc_after(0);
    expect_failed(tide_nn_cross_entropy(x, y, 0, INT64_MIN, NULL, TIDE_REDUCE_MEAN),
                  "cross_entropy", &x, 1);
    tide_tensor *l = tide_nn_cross_entropy(x, y, 0, INT64_MIN, NULL, TIDE_REDUCE_MEAN);
    assert_non_null(l);
    assert_int_equal(tide_backward(l, NULL), TIDE_OK);
    tide_tensor_release(l);
    const int target[2] = {2, 0};
    for (int r = 0; r < 2; r++) {
        double z = 0;
        for (int j = 0; j < 3; j++) z += exp(xv[r * 3 + j]);
        for (int j = 0; j < 3; j++)
            assert_float_equal(f(x->grad, r * 3 + j),
                               (exp(xv[r * 3 + j]) / z - (j == target[r])) / 2, 1e-6);
    }
    tide_tensor_release(x);
    tide_tensor_release(y);
}

/* mse (tide_nnu_record through the loss path), mean over 2: dl/dp = (p - t). */
static void test_mse(void **state)
{
    (void)state;
    tide_tensor *t[2] = {mk(1, (int64_t[]){2}, (float[]){1, 4}, 1),
                         mk(1, (int64_t[]){2}, (float[]){0, 1}, 0)};
    tide_test_fail_alloc_after(0);
    expect_failed(tide_nn_mse(t[0], t[1], TIDE_REDUCE_MEAN), "mse", t, 2);
    tide_tensor *l = tide_nn_mse(t[0], t[1], TIDE_REDUCE_MEAN);
    assert_non_null(l);
    assert_int_equal(tide_backward(l, NULL), TIDE_OK);
    tide_tensor_release(l);
    assert_float_equal(f(t[0]->grad, 0), 1, 1e-6);
    assert_float_equal(f(t[0]->grad, 1), 3, 1e-6);
    release_all(t, 2);
}

/* attention over one token: the only key gets weight 1, so out = v, d sum(out)/dv = 1 and
 * q, k get 0. A key mask and the weights output exercise the buffers freed on failure. */
static void test_attention(void **state)
{
    (void)state;
    const int64_t s[3] = {1, 1, 2};
    tide_tensor *t[3] = {mk(3, s, (float[]){.5f, -1}, 1), mk(3, s, (float[]){2, 1}, 1),
                         mk(3, s, (float[]){3, -4}, 1)};
    tide_tensor *mask = mk(2, (int64_t[]){1, 1}, (float[]){1}, 0);
    tide_tensor *wts = NULL;
    tide_test_fail_alloc_after(0);
    expect_failed(tide_nn_attention(t[0], t[1], t[2], 1, 0, mask, 0, NULL, &wts), "attention", t,
                  3);
    assert_null(wts);
    tide_tensor *out = tide_nn_attention(t[0], t[1], t[2], 1, 0, mask, 0, NULL, &wts);
    assert_non_null(out);
    assert_non_null(wts);
    assert_float_equal(f(wts, 0), 1, 1e-6);
    assert_float_equal(f(out, 0), 3, 1e-6);
    assert_float_equal(f(out, 1), -4, 1e-6);
    backward_sum(out);
    for (int i = 0; i < 2; i++) {
        assert_float_equal(f(t[2]->grad, i), 1, 1e-6);
        assert_float_equal(f(t[0]->grad, i), 0, 1e-6);
        assert_float_equal(f(t[1]->grad, i), 0, 1e-6);
    }
    tide_tensor_release(wts);
    tide_tensor_release(mask);
    release_all(t, 3);
}

/* dropout of x = 1: out_i = keep_i / (1-p), and d sum(out)/dx_i is the same value. */
static void test_dropout(void **state)
{
    (void)state;
    int64_t n = 64;
    float ones[64];
    for (int i = 0; i < 64; i++) ones[i] = 1;
    tide_tensor *x = mk(1, &n, ones, 1);
    tide_test_fail_alloc_after(0);
    expect_failed(tide_nn_dropout(x, 0.5, 1, NULL), "dropout", &x, 1);
    tide_tensor *out = tide_nn_dropout(x, 0.5, 1, NULL);
    assert_non_null(out);
    float kept[64];
    int nkept = 0;
    for (int i = 0; i < 64; i++) {
        kept[i] = f(out, i);
        assert_true(kept[i] == 0 || kept[i] == 2);
        nkept += kept[i] != 0;
    }
    assert_true(nkept > 0 && nkept < 64); /* P(all or none of 64 kept) = 2^-63 */
    backward_sum(out);
    for (int i = 0; i < 64; i++) assert_float_equal(f(x->grad, i), kept[i], 0);
    tide_tensor_release(x);
}

/* ---- the other layers: the failure as above, then the retry's gradients against central
 * finite differences of sum(out) (grad mode off, f32 so a loose tolerance) ---- */

typedef tide_tensor *(*run_fn)(tide_tensor **t);

static double sum_nograd(run_fn run, tide_tensor **t)
{
    int was = tide_set_grad_enabled(0);
    tide_tensor *y = run(t);
    tide_set_grad_enabled(was);
    assert_non_null(y);
    double s = 0;
    for (int64_t i = 0; i < tide_tensor_numel(y); i++) s += f(y, i);
    tide_tensor_release(y);
    return s;
}

static void check_layer(const char *op, run_fn run, tide_tensor **t, int n)
{
    tide_test_fail_alloc_after(0);
    expect_failed(run(t), op, t, n);
    backward_sum(run(t));
    const double h = 1e-2;
    for (int k = 0; k < n; k++) {
        if (!t[k]->requires_grad) continue;
        assert_non_null(t[k]->grad);
        for (int64_t i = 0; i < tide_tensor_numel(t[k]); i++) {
            float *v = tide_f32(t[k]) + i, v0 = *v;
            *v = (float)(v0 + h);
            double up = sum_nograd(run, t);
            *v = (float)(v0 - h);
            double down = sum_nograd(run, t);
            *v = v0;
            double fd = (up - down) / (2 * h), g = f(t[k]->grad, i);
            if (fabs(fd - g) > 2e-2 * (1 + fabs(fd)))
                fail_msg("%s: input %d element %lld: grad %g, finite difference %g", op, k,
                         (long long)i, g, fd);
        }
    }
    release_all(t, n);
}

static tide_tensor *mask13; /* [1,3] = 1 1 0: the last step is padding */

static tide_tensor *run_conv1d(tide_tensor **t) { return tide_nn_conv1d(t[0], t[1], t[2], 1); }
static tide_tensor *run_max_time(tide_tensor **t) { return tide_nn_max_over_time(t[0], mask13); }
static tide_tensor *run_gru(tide_tensor **t)
{
    return tide_nn_gru(t[0], t[1], t[2], t[3], t[4], t[5], mask13);
}
static tide_tensor *run_lstm(tide_tensor **t)
{
    return tide_nn_lstm(t[0], t[1], t[2], t[3], t[4], t[5], t[6], mask13);
}
static tide_tensor *run_bce(tide_tensor **t)
{
    return tide_nn_bce_logits(t[0], t[1], t[2], TIDE_REDUCE_MEAN);
}
static tide_tensor *run_bpr(tide_tensor **t) { return tide_nn_bpr(t[0], t[1], TIDE_REDUCE_SUM); }
static tide_tensor *run_qkv(tide_tensor **t)
{
    return tide_nn_attention_qkv(t[0], 2, 1, NULL, 0, NULL, NULL);
}

static tide_tensor *seq(int ndim, const int64_t *shape, float start, float step, int grad)
{
    float v[32];
    int64_t n = 1;
    for (int i = 0; i < ndim; i++) n *= shape[i];
    assert_true(n <= 32);
    for (int64_t i = 0; i < n; i++) v[i] = start + step * (float)((i * 7) % n); /* no ties */
    return mk(ndim, shape, v, grad);
}

static void test_other_layers(void **state)
{
    (void)state;
    mask13 = mk(2, (int64_t[]){1, 3}, (float[]){1, 1, 0}, 0);
    tide_tensor *conv[3] = {seq(3, (int64_t[]){1, 3, 2}, -1, .3f, 1),
                            seq(3, (int64_t[]){2, 2, 2}, -.5f, .15f, 1),
                            seq(1, (int64_t[]){2}, .1f, .1f, 1)};
    check_layer("conv1d", run_conv1d, conv, 3);
    tide_tensor *mx[1] = {seq(3, (int64_t[]){1, 3, 2}, -1, .3f, 1)};
    check_layer("max_over_time", run_max_time, mx, 1);
    const int64_t x3[3] = {1, 3, 1}, h1[2] = {1, 1};
    const int64_t g3[2] = {3, 1}, g4[2] = {4, 1}, n3 = 3, n4 = 4;
    tide_tensor *gru[6] = {seq(3, x3, -1, .5f, 1),   seq(2, h1, .2f, 0, 1),
                           seq(2, g3, -.4f, .3f, 1), seq(2, g3, .3f, -.2f, 1),
                           seq(1, &n3, .1f, .1f, 1), seq(1, &n3, -.1f, .05f, 1)};
    check_layer("gru", run_gru, gru, 6);
    tide_tensor *lstm[7] = {seq(3, x3, -1, .5f, 1),   seq(2, h1, .2f, 0, 1),
                            seq(2, h1, -.3f, 0, 1),   seq(2, g4, -.4f, .3f, 1),
                            seq(2, g4, .3f, -.2f, 1), seq(1, &n4, .1f, .1f, 1),
                            seq(1, &n4, -.1f, .05f, 1)};
    check_layer("lstm", run_lstm, lstm, 7);
    tide_tensor *bce[3] = {seq(1, &n3, -1, .8f, 1), mk(1, &n3, (float[]){1, 0, 1}, 0),
                           mk(1, &n3, (float[]){1, 2, .5f}, 0)};
    check_layer("bce_with_logits", run_bce, bce, 3);
    tide_tensor *bpr[2] = {seq(1, (int64_t[]){2}, .5f, -.4f, 1),
                           seq(2, (int64_t[]){2, 2}, -.3f, .4f, 1)};
    check_layer("bpr", run_bpr, bpr, 2);
    tide_tensor *qkv[1] = {seq(3, (int64_t[]){1, 2, 12}, -.6f, .05f, 1)};
    check_layer("attention", run_qkv, qkv, 1);
    tide_tensor_release(mask13);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_linear),        cmocka_unit_test(test_layernorm),
        cmocka_unit_test(test_embedding),     cmocka_unit_test(test_log_softmax),
        cmocka_unit_test(test_cross_entropy), cmocka_unit_test(test_mse),
        cmocka_unit_test(test_attention),     cmocka_unit_test(test_dropout),
        cmocka_unit_test(test_other_layers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
