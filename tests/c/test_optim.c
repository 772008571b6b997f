/* test_optim.c — optim.c against the update rules written out by hand, argument checks
 * (nothing changes when a call is refused), clipping. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <math.h>
#include <string.h>

#include "optim.h"

static tide_tensor *vec(int64_t n, const float *v) { return tide_tensor_from_data(TIDE_F32, 1, &n, v); }

static tide_opt_config cfg(tide_opt_kind k, double lr)
{
    tide_opt_config c;
    memset(&c, 0, sizeof c);
    c.kind = k, c.lr = lr, c.beta1 = 0.9, c.beta2 = 0.999, c.eps = 1e-8, c.alpha = 0.99;
    return c;
}

static void test_adam_three_steps(void **state)
{
    (void)state;
    float pv[2] = {1.0f, -0.5f}, gv[3][2] = {{0.2f, -1.0f}, {0.1f, 0.5f}, {-0.3f, 0.0f}};
    tide_tensor *p = vec(2, pv), *m = tide_tensor_new(TIDE_F32, 1, (int64_t[]){2});
    tide_tensor *v = tide_tensor_new(TIDE_F32, 1, (int64_t[]){2});
    tide_tensor *st[TIDE_OPTIM_NSTATE] = {m, v, NULL};
    tide_opt_config c = cfg(TIDE_OPT_ADAM, 0.01);
    double want[2] = {pv[0], pv[1]}, mm[2] = {0, 0}, vv[2] = {0, 0};
    for (int t = 1; t <= 3; t++) {
        tide_tensor *g = vec(2, gv[t - 1]);
        assert_int_equal(tide_optim_step(&c, 1, &p, &g, st, t), TIDE_OK);
        for (int i = 0; i < 2; i++) {
            double gi = gv[t - 1][i];
            mm[i] = 0.9 * mm[i] + 0.1 * gi;
            vv[i] = 0.999 * vv[i] + 0.001 * gi * gi;
            want[i] -= 0.01 * (mm[i] / (1 - pow(0.9, t))) / (sqrt(vv[i] / (1 - pow(0.999, t))) + 1e-8);
            assert_float_equal(tide_f32(p)[i], want[i], 1e-6);
        }
        tide_tensor_release(g);
    }
    tide_tensor_release(p), tide_tensor_release(m), tide_tensor_release(v);
}

static void test_sgd_plain_needs_no_state(void **state)
{
    (void)state;
    float pv[1] = {1.0f}, gv[1] = {0.5f};
    tide_tensor *p = vec(1, pv), *g = vec(1, gv);
    tide_tensor *st[TIDE_OPTIM_NSTATE] = {NULL, NULL, NULL};
    tide_opt_config c = cfg(TIDE_OPT_SGD, 0.1);
    c.weight_decay = 1.0;
    assert_int_equal(tide_opt_nstate(&c), 0);
    assert_int_equal(tide_optim_step(&c, 1, &p, &g, st, 1), TIDE_OK);
    assert_float_equal(tide_f32(p)[0], 1.0 - 0.1 * (0.5 + 1.0), 1e-7);
    tide_tensor_release(p), tide_tensor_release(g);
}

static void test_refused_step_changes_nothing(void **state)
{
    (void)state;
    float av[2] = {1, 2}, bv[3] = {1, 2, 3}, gv[2] = {1, 1};
    tide_tensor *ps[2] = {vec(2, av), vec(3, bv)};
    tide_tensor *gs[2] = {vec(2, gv), vec(2, gv)}; /* second grad has the wrong shape */
    tide_tensor *st[2 * TIDE_OPTIM_NSTATE] = {0};
    for (int i = 0; i < 2; i++)
        st[i * TIDE_OPTIM_NSTATE] = tide_tensor_empty_like(ps[i]),
        st[i * TIDE_OPTIM_NSTATE + 1] = tide_tensor_empty_like(ps[i]);
    tide_opt_config c = cfg(TIDE_OPT_ADAMW, 0.1);
    assert_int_equal(tide_optim_step(&c, 2, ps, gs, st, 1), TIDE_ERR);
    assert_non_null(strstr(tide_error(), "gradient 2"));
    assert_float_equal(tide_f32(ps[0])[0], 1, 0); /* first parameter untouched */
    c.beta2 = 1.0;
    assert_int_equal(tide_opt_validate(&c), TIDE_ERR);
    assert_non_null(strstr(tide_error(), "beta2"));
    c = cfg(TIDE_OPT_ADAM, NAN);
    assert_int_equal(tide_opt_validate(&c), TIDE_ERR);
    assert_non_null(strstr(tide_error(), "lr must be >= 0"));
    c = cfg(TIDE_OPT_SGD, -0.1);
    assert_int_equal(tide_opt_validate(&c), TIDE_ERR);
    c = cfg(TIDE_OPT_SGD, INFINITY);
    assert_int_equal(tide_opt_validate(&c), TIDE_ERR);
    /* NaN / Inf in the other options would poison every parameter on the first step */
    c = cfg(TIDE_OPT_ADAMW, 0.1), c.weight_decay = INFINITY;
    assert_int_equal(tide_opt_validate(&c), TIDE_ERR);
    assert_non_null(strstr(tide_error(), "weight_decay"));
    c = cfg(TIDE_OPT_SGD, 0.1), c.momentum = NAN;
    assert_int_equal(tide_opt_validate(&c), TIDE_ERR);
    c = cfg(TIDE_OPT_ADAGRAD, 0.1), c.lr_decay = NAN;
    assert_int_equal(tide_opt_validate(&c), TIDE_ERR);
    c = cfg(TIDE_OPT_ADAM, 0.1), c.eps = INFINITY;
    assert_int_equal(tide_opt_validate(&c), TIDE_ERR);
    c = cfg(TIDE_OPT_SGD, 0.1), c.dampening = 2;
    assert_int_equal(tide_opt_validate(&c), TIDE_ERR);
    c = cfg(TIDE_OPT_ADAM, 0.1);
    assert_int_equal(tide_opt_validate(&c), TIDE_OK);
    c = cfg(TIDE_OPT_ADAM, 0.1);
    assert_int_equal(tide_optim_step(&c, 1, ps, gs, st, 0), TIDE_ERR); /* step is 1-based */
    for (int i = 0; i < 2; i++) {
        tide_tensor_release(ps[i]), tide_tensor_release(gs[i]);
        tide_tensor_release(st[i * TIDE_OPTIM_NSTATE]), tide_tensor_release(st[i * TIDE_OPTIM_NSTATE + 1]);
    }
}

static void test_clip_grad_norm(void **state)
{
    (void)state;
    float av[2] = {3, 0}, bv[1] = {4};
    tide_tensor *gs[3] = {vec(2, av), NULL, vec(1, bv)};
    assert_float_equal(tide_grad_norm(3, gs), 5.0, 1e-9);
    double norm = 0;
    assert_int_equal(tide_clip_grad_norm(3, gs, 2.5, &norm), TIDE_OK);
    assert_float_equal(norm, 5.0, 1e-9);
    assert_float_equal(tide_f32(gs[0])[0], 1.5, 1e-5);
    assert_float_equal(tide_f32(gs[2])[0], 2.0, 1e-5);
    assert_int_equal(tide_clip_grad_norm(3, gs, -1, &norm), TIDE_ERR);
    tide_tensor_release(gs[0]), tide_tensor_release(gs[2]);
}

/* the chained sum over a long contiguous gradient (with a tail past the 8-wide blocks) and over
 * a strided view: x_j = j for j = 1..N has sum of squares n(n + 1)(2n + 1)/6, exact in double */
static void test_grad_norm_long_and_strided(void **state)
{
    (void)state;
    enum { N = 1002 };
    float x[N];
    for (int j = 0; j < N; j++) x[j] = (float)(j + 1);
    tide_tensor *g = vec(N, x);
    tide_tensor *gs[1] = {g};
    double want = (double)N * (N + 1) * (2 * N + 1) / 6;
    assert_true(tide_grad_norm(1, gs) == sqrt(want));
    /* every other element (column 0 of a [N/2, 2] view), the odd numbers 1, 3, .., 2m - 1 with
     * m = N/2: sum of squares m(2m - 1)(2m + 1)/3 */
    int64_t shape[2] = {N / 2, 2};
    tide_tensor *mat = tide_tensor_view(g, 2, shape);
    tide_tensor *odd = mat ? tide_tensor_select(mat, 1, 0) : NULL;
    assert_non_null(odd);
    assert_false(tide_tensor_is_contiguous(odd));
    gs[0] = odd;
    double m = N / 2;
    assert_true(tide_grad_norm(1, gs) == sqrt(m * (2 * m - 1) * (2 * m + 1) / 3));
    tide_tensor_release(odd), tide_tensor_release(mat), tide_tensor_release(g);
}

static void test_rmsprop_momentum_and_adagrad(void **state)
{
    (void)state;
    float pv[1] = {1.0f}, gv[1] = {2.0f};
    tide_tensor *p = vec(1, pv), *g = vec(1, gv);
    tide_tensor *st[3] = {tide_tensor_empty_like(p), tide_tensor_empty_like(p), tide_tensor_empty_like(p)};
    tide_opt_config c = cfg(TIDE_OPT_RMSPROP, 0.01);
    c.alpha = 0.9, c.momentum = 0.5;
    assert_int_equal(tide_optim_step(&c, 1, &p, &g, st, 1), TIDE_OK);
    assert_int_equal(tide_optim_step(&c, 1, &p, &g, st, 2), TIDE_OK);
    /* v1 = 0.4, b1 = 2/sqrt(.4); v2 = .36 + .4 = .76, b2 = .5 b1 + 2/sqrt(.76) */
    double b1 = 2 / (sqrt(0.4) + 1e-8), b2 = 0.5 * b1 + 2 / (sqrt(0.76) + 1e-8);
    assert_float_equal(tide_f32(p)[0], 1 - 0.01 * b1 - 0.01 * b2, 1e-6);
    tide_tensor_release(p);
    p = vec(1, pv);
    tide_tensor_fill(st[0], 0);
    c = cfg(TIDE_OPT_ADAGRAD, 0.5);
    c.eps = 1e-10;
    assert_int_equal(tide_optim_step(&c, 1, &p, &g, st, 1), TIDE_OK);
    assert_float_equal(tide_f32(p)[0], 0.5, 1e-6); /* 1 - 0.5 * 2/2 */
    tide_tensor_release(p), tide_tensor_release(g);
    for (int i = 0; i < 3; i++) tide_tensor_release(st[i]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_adam_three_steps),
        cmocka_unit_test(test_sgd_plain_needs_no_state),
        cmocka_unit_test(test_refused_step_changes_nothing),
        cmocka_unit_test(test_clip_grad_norm),
        cmocka_unit_test(test_grad_norm_long_and_strided),
        cmocka_unit_test(test_rmsprop_momentum_and_adagrad),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
