/* test_autograd_version.c — in-place safety of the tape (storage version counters): every
 * engine writer bumps the version, a node remembers the versions of what it captured, and
 * tide_backward refuses a graph whose inputs/saved tensors were changed since (through the
 * tensor, a view, an optimizer step, fill/copy/set/index_add_/scatter_add_/rng/_out/gemm),
 * leaving every gradient untouched. Value-free inputs (add, views, sum) and tensors outside
 * the graph may be modified freely. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <math.h>
#include <string.h>

#include "autograd.h"
#include "ops.h"
#include "optim.h"
#include "rng.h"

static tide_tensor *vec(int64_t n, const float *v)
{
    return tide_tensor_from_data(TIDE_F32, 1, &n, v);
}

static tide_tensor *leaf(int64_t n, const float *v)
{
    tide_tensor *t = vec(n, v);
    assert_int_equal(tide_set_requires_grad(t, 1), TIDE_OK);
    return t;
}

static tide_tensor *sum(tide_tensor *t) { return tide_ag_reduce(TIDE_SUM, t, NULL, 0, 0, 0); }

/* backward must fail with the in-place message naming `what` (e.g. "input 2 of matmul") */
static void expect_stale(tide_tensor *root, const char *what)
{
    assert_int_equal(tide_backward(root, NULL), TIDE_ERR);
    const char *m = tide_error();
    if (!strstr(m, "modified by an in-place operation") || !strstr(m, what))
        fail_msg("unexpected message: %s (wanted '%s')", m, what);
}

static void test_writers_bump_version(void **state)
{
    (void)state;
    float v[4] = {1, 2, 3, 4};
    tide_tensor *t = vec(4, v), *u = vec(4, v);
    tide_storage *s = t->storage;
    assert_true(s->version == 0);
    uint64_t last = 0;
#define BUMPED()                              \
    do {                                      \
        assert_true(s->version > last);       \
        last = s->version;                    \
    } while (0)
    tide_tensor_fill(t, 1); BUMPED();
    tide_tensor_copy(t, u); BUMPED();
    int64_t i = 2;
    tide_tensor_set(t, &i, 5); BUMPED();
    tide_rng_fill_uniform(tide_rng_default(), t, 0, 1); BUMPED();
    tide_rng_fill_normal(tide_rng_default(), t, 0, 1); BUMPED();
    tide_unary_out(t, TIDE_EXP, u); BUMPED();
    tide_binary_out(t, TIDE_ADD, t, u); BUMPED();
    int64_t one = 1;
    tide_tensor *ix = tide_tensor_from_data(TIDE_I64, 1, &one, &(int64_t){3});
    tide_tensor *src = vec(1, v);
    assert_int_equal(tide_index_add_(t, 0, ix, src), TIDE_OK); BUMPED();
    assert_int_equal(tide_scatter_add_(t, 0, ix, src), TIDE_OK); BUMPED();
    /* a write through a view bumps the shared storage */
    tide_tensor *w = tide_tensor_narrow(t, 0, 1, 2);
    tide_tensor_fill(w, 0); BUMPED();
    tide_tensor *m = tide_tensor_view(t, 2, (int64_t[]){2, 2});
    tide_tensor *a = tide_tensor_eye(TIDE_F32, 2, 2);
    assert_int_equal(tide_gemm(m, a, 0, a, 0, 1.0f, 0.0f), TIDE_OK); BUMPED();
    /* reads do not bump */
    tide_tensor *r = tide_unary(TIDE_EXP, t);
    assert_true(s->version == last);
#undef BUMPED
    tide_tensor_release(r), tide_tensor_release(a), tide_tensor_release(m), tide_tensor_release(w);
    tide_tensor_release(ix), tide_tensor_release(src), tide_tensor_release(t), tide_tensor_release(u);
}

static void test_fill_of_matmul_operand_detected(void **state)
{
    (void)state;
    float av[4] = {1, 2, 3, 4}, bv[4] = {5, 6, 7, 8};
    int64_t sh[2] = {2, 2};
    tide_tensor *a = tide_tensor_from_data(TIDE_F32, 2, sh, av);
    tide_tensor *b = tide_tensor_from_data(TIDE_F32, 2, sh, bv);
    assert_int_equal(tide_set_requires_grad(a, 1), TIDE_OK);
    tide_tensor *c = tide_ag_matmul(a, b), *l = sum(c);
    tide_tensor_fill(b, 0);
    expect_stale(l, "input 2 of matmul");
    assert_null(a->grad); /* nothing was accumulated */
    assert_non_null(l->node);
    assert_non_null(l->node->backward); /* the graph is intact, only refused */
    /* still refused on a retry */
    expect_stale(l, "version");
    tide_tensor_release(l), tide_tensor_release(c), tide_tensor_release(a), tide_tensor_release(b);
}

static void test_set_through_view_detected(void **state)
{
    (void)state;
    float xv[3] = {1, 2, 3};
    tide_tensor *x = leaf(3, xv);
    tide_tensor *y = tide_ag_binary(TIDE_MUL, x, x), *l = sum(y);
    tide_tensor *v = tide_tensor_narrow(x, 0, 2, 1); /* a raw view sharing x's storage */
    int64_t i = 0;
    tide_tensor_set(v, &i, 10);
    expect_stale(l, "input 1 of mul");
    assert_null(x->grad);
    tide_tensor_release(v), tide_tensor_release(l), tide_tensor_release(y), tide_tensor_release(x);
}

static void test_copy_into_saved_output_detected(void **state)
{
    (void)state;
    float xv[2] = {0.5f, -1};
    tide_tensor *x = leaf(2, xv);
    tide_tensor *y = tide_ag_unary(TIDE_EXP, x); /* saves its output */
    tide_tensor *l = sum(y);
    tide_tensor *z = vec(2, xv);
    assert_int_equal(tide_tensor_copy(y, z), TIDE_OK);
    expect_stale(l, "saved tensor 1 of exp");
    assert_null(x->grad);
    tide_tensor_release(z), tide_tensor_release(l), tide_tensor_release(y), tide_tensor_release(x);
}

static void test_index_add_into_saved_index_detected(void **state)
{
    (void)state;
    float xv[3] = {1, 2, 3};
    tide_tensor *x = leaf(3, xv);
    int64_t n = 2, iv[2] = {0, 2};
    tide_tensor *ix = tide_tensor_from_data(TIDE_I64, 1, &n, iv);
    tide_tensor *y = tide_ag_index_select(x, 0, ix), *l = sum(y);
    int64_t one = 1, z = 0, add = 1;
    tide_tensor *at = tide_tensor_from_data(TIDE_I64, 1, &one, &z);
    tide_tensor *src = tide_tensor_from_data(TIDE_I64, 1, &one, &add);
    assert_int_equal(tide_index_add_(ix, 0, at, src), TIDE_OK); /* index now {1, 2} */
    expect_stale(l, "saved tensor 1 of index_select");
    assert_null(x->grad);
    tide_tensor_release(src), tide_tensor_release(at), tide_tensor_release(l);
    tide_tensor_release(y), tide_tensor_release(ix), tide_tensor_release(x);
}

static void test_optimizer_step_detected(void **state)
{
    (void)state;
    float wv[2] = {1, -2}, xv[2] = {3, 4};
    tide_tensor *w = leaf(2, wv), *x = vec(2, xv);
    tide_tensor *y = tide_ag_binary(TIDE_MUL, w, x), *l = sum(y);
    assert_int_equal(tide_backward(l, NULL), TIDE_OK);
    tide_tensor_release(l), tide_tensor_release(y);
    /* a new forward, then a step BEFORE its backward */
    tide_tensor *sq = tide_ag_unary(TIDE_SQUARE, w);
    l = sum(sq);
    tide_opt_config c = {.kind = TIDE_OPT_SGD, .lr = 0.1};
    tide_tensor *params[1] = {w}, *grads[1] = {w->grad}, *st[TIDE_OPTIM_NSTATE] = {0};
    assert_int_equal(tide_optim_step(&c, 1, params, grads, st, 1), TIDE_OK);
    float g0 = tide_f32(w->grad)[0], g1 = tide_f32(w->grad)[1];
    expect_stale(l, "input 1 of square");
    /* the existing gradient is exactly what the first backward left */
    assert_true(g0 == 3.0f && g1 == 4.0f);
    assert_true(tide_f32(w->grad)[0] == g0 && tide_f32(w->grad)[1] == g1);
    tide_tensor_release(l), tide_tensor_release(sq), tide_tensor_release(x), tide_tensor_release(w);
}

static void test_saved_grad_overwritten_by_accumulation(void **state)
{
    (void)state;
    /* a leaf's gradient used as a constant in a second graph, then accumulated into */
    float wv[2] = {1, 2}, xv[2] = {3, 4};
    tide_tensor *w = leaf(2, wv), *x = leaf(2, xv);
    tide_tensor *y = tide_ag_binary(TIDE_MUL, w, w), *l = sum(y);
    assert_int_equal(tide_backward(l, NULL), TIDE_OK);
    tide_tensor_release(l), tide_tensor_release(y);
    tide_tensor *g = tide_tensor_retain(w->grad);
    tide_tensor *p = tide_ag_binary(TIDE_MUL, x, g), *lp = sum(p);
    y = tide_ag_binary(TIDE_MUL, w, w), l = sum(y);
    assert_int_equal(tide_backward(l, NULL), TIDE_OK);
    if (w->grad == g) /* accumulated in place: the product's saved operand changed */
        expect_stale(lp, "input 2 of mul");
    else
        assert_int_equal(tide_backward(lp, NULL), TIDE_OK);
    tide_tensor_release(l), tide_tensor_release(y), tide_tensor_release(lp), tide_tensor_release(p);
    tide_tensor_release(g), tide_tensor_release(x), tide_tensor_release(w);
}

static void test_rng_and_out_ops_detected(void **state)
{
    (void)state;
    float xv[3] = {1, 2, 3}, cv[3] = {4, 5, 6};
    tide_tensor *x = leaf(3, xv), *c = vec(3, cv);
    tide_tensor *y = tide_ag_binary(TIDE_DIV, x, c), *l = sum(y); /* d/dx reads c */
    tide_rng_fill_uniform(tide_rng_default(), c, 1, 2);
    expect_stale(l, "input 2 of div");
    tide_tensor_release(l), tide_tensor_release(y);
    y = tide_ag_binary(TIDE_MUL, x, c), l = sum(y);
    assert_int_equal(tide_binary_out(c, TIDE_MUL, c, c), TIDE_OK);
    expect_stale(l, "input 2 of mul");
    assert_null(x->grad);
    tide_tensor_release(l), tide_tensor_release(y), tide_tensor_release(c), tide_tensor_release(x);
}

static void test_value_free_inputs_and_outside_tensors_ok(void **state)
{
    (void)state;
    float xv[3] = {1, 2, 3}, bv[3] = {10, 20, 30};
    tide_tensor *x = leaf(3, xv), *b = vec(3, bv), *other = vec(3, bv);
    /* add reads only shapes: b may change; views and sums likewise */
    tide_tensor *y = tide_ag_binary(TIDE_ADD, x, b);
    tide_tensor *t = tide_ag_transpose(y, 0, 0);
    tide_tensor *s = tide_ag_unary(TIDE_SQUARE, t); /* reads t: saved by value */
    tide_tensor *l = sum(s);
    tide_tensor_fill(b, 0);
    tide_tensor_fill(other, 7); /* not in the graph at all */
    assert_int_equal(tide_backward(l, NULL), TIDE_OK);
    for (int i = 0; i < 3; i++) /* d/dx (x + b_old)^2 = 2 (x + b_old) */
        assert_true(fabsf(tide_f32(x->grad)[i] - 2.0f * (xv[i] + bv[i])) < 1e-4f);
    /* modifying after backward, and modifying a clone, are fine */
    tide_tensor_fill(x, 1);
    tide_tensor_release(l), tide_tensor_release(s), tide_tensor_release(t), tide_tensor_release(y);
    tide_zero_grad(x);
    tide_tensor *xc = tide_tensor_clone(x);
    y = tide_ag_binary(TIDE_MUL, x, x), l = sum(y);
    tide_tensor_fill(xc, 5);
    assert_int_equal(tide_backward(l, NULL), TIDE_OK);
    assert_true(fabsf(tide_f32(x->grad)[0] - 2.0f) < 1e-6f);
    tide_tensor_release(xc), tide_tensor_release(l), tide_tensor_release(y);
    tide_tensor_release(other), tide_tensor_release(b), tide_tensor_release(x);
}

static void test_operand_needed_only_for_the_other_gradient(void **state)
{
    (void)state;
    /* x * c with constant c: dx = g c never reads x, so x may change (PyTorch agrees) */
    float xv[2] = {1, 2}, cv[2] = {3, 5};
    tide_tensor *x = leaf(2, xv), *c = vec(2, cv);
    tide_tensor *y = tide_ag_binary(TIDE_MUL, x, c), *l = sum(y);
    tide_tensor_fill(x, 9);
    assert_int_equal(tide_backward(l, NULL), TIDE_OK);
    assert_true(tide_f32(x->grad)[0] == 3.0f && tide_f32(x->grad)[1] == 5.0f);
    tide_tensor_release(l), tide_tensor_release(y);
    tide_zero_grad(x);
    /* ... but both are needed when both require grad */
    tide_tensor *z = leaf(2, cv);
    y = tide_ag_binary(TIDE_MUL, x, z), l = sum(y);
    tide_tensor_fill(x, 1);
    expect_stale(l, "input 1 of mul");
    assert_null(x->grad), assert_null(z->grad);
    tide_tensor_release(l), tide_tensor_release(y);
    /* scalar ops that are linear in x, and matmul's operand whose partner is constant */
    y = tide_ag_binary_scalar(TIDE_MUL, x, 4.0, 0), l = sum(y);
    tide_tensor_fill(x, 2);
    assert_int_equal(tide_backward(l, NULL), TIDE_OK);
    assert_true(tide_f32(x->grad)[0] == 4.0f);
    tide_tensor_release(l), tide_tensor_release(y);
    tide_zero_grad(x);
    int64_t sh[2] = {2, 1};
    tide_tensor *m = tide_tensor_view(c, 2, sh); /* [2,1], constant */
    y = tide_ag_matmul(x, m), l = sum(y);         /* [2] x [2,1]: dx = m^T reads m only */
    tide_tensor_fill(x, 0);
    assert_int_equal(tide_backward(l, NULL), TIDE_OK);
    assert_true(tide_f32(x->grad)[0] == 3.0f && tide_f32(x->grad)[1] == 5.0f);
    tide_tensor_release(l), tide_tensor_release(y), tide_tensor_release(m);
    tide_zero_grad(x);
    y = tide_ag_matmul(x, c), l = sum(y); /* dot product; now c changes: needed for dx */
    tide_tensor_fill(c, 0);
    expect_stale(l, "input 2 of matmul");
    assert_null(x->grad);
    tide_tensor_release(l), tide_tensor_release(y);
    tide_tensor_release(z), tide_tensor_release(c), tide_tensor_release(x);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_writers_bump_version),
        cmocka_unit_test(test_fill_of_matmul_operand_detected),
        cmocka_unit_test(test_set_through_view_detected),
        cmocka_unit_test(test_copy_into_saved_output_detected),
        cmocka_unit_test(test_index_add_into_saved_index_detected),
        cmocka_unit_test(test_optimizer_step_detected),
        cmocka_unit_test(test_saved_grad_overwritten_by_accumulation),
        cmocka_unit_test(test_rng_and_out_ops_detected),
        cmocka_unit_test(test_value_free_inputs_and_outside_tensors_ok),
        cmocka_unit_test(test_operand_needed_only_for_the_other_gradient),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
