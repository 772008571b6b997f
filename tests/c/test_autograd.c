/* test_autograd.c — the tape from C: ownership (no cycles, nothing retained after backward),
 * leaf-gradient ownership, accumulation with broadcasting, spent graphs, cat/stack backward
 * (incl. more inputs than a node holds), saving a node's own output, error cleanup. Numeric
 * gradient checks of every op are in tests/lua/test_autograd.lua. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <math.h>
#include <string.h>

#include "autograd.h"
#include "ops.h"

static tide_tensor *vec(int64_t n, const float *v)
{
    return tide_tensor_from_data(TIDE_F32, 1, &n, v);
}

static void test_refcounts_return_after_backward(void **state)
{
    (void)state;
    float xv[3] = {1, 2, 3};
    tide_tensor *x = vec(3, xv);
    assert_int_equal(tide_set_requires_grad(x, 1), TIDE_OK);
    tide_tensor *y = tide_ag_unary(TIDE_EXP, x); /* saves its own output */
    tide_tensor *z = tide_ag_binary(TIDE_MUL, y, x);
    tide_tensor *l = tide_ag_reduce(TIDE_SUM, z, NULL, 0, 0, 0);
    assert_non_null(l->node);
    assert_true(x->refcount > 1);
    assert_int_equal(tide_backward(l, NULL), TIDE_OK);
    /* every node is spent: nothing holds x any more */
    assert_int_equal(x->refcount, 1);
    assert_int_equal(y->refcount, 1);
    assert_int_equal(z->refcount, 1);
    assert_false(tide_needs_grad(l));
    /* d/dx x e^x = (1 + x) e^x */
    for (int i = 0; i < 3; i++)
        assert_float_equal(tide_f32(x->grad)[i], (1 + xv[i]) * expf(xv[i]), 1e-4);
    tide_tensor_release(l), tide_tensor_release(z), tide_tensor_release(y), tide_tensor_release(x);
}

static void test_saving_output_makes_no_cycle(void **state)
{
    (void)state;
    float xv[2] = {0.5f, -1};
    tide_tensor *x = vec(2, xv);
    tide_set_requires_grad(x, 1);
    tide_tensor *y = tide_ag_unary(TIDE_TANH, x);
    assert_int_equal(y->refcount, 1); /* the node saved an alias, not y */
    assert_ptr_equal(y->node->saved[0]->storage, y->storage);
    tide_tensor_release(y); /* frees y, its node and the alias */
    assert_int_equal(x->refcount, 1);
    tide_tensor_release(x);
}

static void test_leaf_grad_owns_storage(void **state)
{
    (void)state;
    float av[2] = {1, 2}, bv[2] = {3, 4};
    tide_tensor *a = vec(2, av), *b = vec(2, bv);
    tide_set_requires_grad(a, 1), tide_set_requires_grad(b, 1);
    tide_tensor *s = tide_ag_binary(TIDE_ADD, a, b);
    float gv[2] = {1, 1};
    tide_tensor *g = vec(2, gv);
    assert_int_equal(tide_backward(s, g), TIDE_OK);
    assert_non_null(a->grad);
    assert_non_null(b->grad);
    assert_true(a->grad->storage != b->grad->storage);
    assert_true(a->grad->storage != g->storage);
    assert_true(tide_tensor_is_contiguous(a->grad));
    tide_f32(a->grad)[0] = 100; /* in-place update must not touch b's grad */
    assert_float_equal(tide_f32(b->grad)[0], 1, 0);
    tide_tensor_release(s), tide_tensor_release(g), tide_tensor_release(a), tide_tensor_release(b);
}

static void test_accumulate_sums_broadcast_dims(void **state)
{
    (void)state;
    int64_t s23[2] = {2, 3}, s3 = 3;
    tide_tensor *b = tide_tensor_full(TIDE_F32, 1, &s3, 0);
    tide_set_requires_grad(b, 1);
    tide_tensor *g = tide_tensor_full(TIDE_F32, 2, s23, 1.5);
    assert_int_equal(tide_ag_accumulate(b, g), TIDE_OK);
    assert_int_equal(tide_ag_accumulate(b, g), TIDE_OK);
    for (int i = 0; i < 3; i++) assert_float_equal(tide_f32(b->grad)[i], 6.0, 1e-6);
    /* a gradient that cannot be summed to the shape is an error, not a crash */
    int64_t s4 = 4;
    tide_tensor *bad = tide_tensor_full(TIDE_F32, 1, &s4, 1);
    assert_int_equal(tide_ag_accumulate(b, bad), TIDE_ERR);
    assert_non_null(strstr(tide_error(), "does not fit"));
    tide_zero_grad(b);
    assert_null(b->grad);
    tide_tensor_release(bad), tide_tensor_release(g), tide_tensor_release(b);
}

static void test_spent_graph_refused(void **state)
{
    (void)state;
    float xv[2] = {1, 2};
    tide_tensor *x = vec(2, xv);
    tide_set_requires_grad(x, 1);
    tide_tensor *h = tide_ag_binary(TIDE_MUL, x, x);
    tide_tensor *l1 = tide_ag_reduce(TIDE_SUM, h, NULL, 0, 0, 0);
    tide_tensor *l2 = tide_ag_reduce(TIDE_MEAN, h, NULL, 0, 0, 0);
    assert_int_equal(tide_backward(l1, NULL), TIDE_OK);
    assert_int_equal(tide_backward(l2, NULL), TIDE_ERR);
    assert_non_null(strstr(tide_error(), "already freed"));
    assert_int_equal(tide_backward(l1, NULL), TIDE_ERR);
    /* h is a constant for graphs built after the sweep */
    tide_tensor *p = tide_ag_binary(TIDE_MUL, h, x);
    tide_tensor *l3 = tide_ag_reduce(TIDE_SUM, p, NULL, 0, 0, 0);
    tide_tensor_release(p);
    tide_zero_grad(x);
    assert_int_equal(tide_backward(l3, NULL), TIDE_OK);
    assert_float_equal(tide_f32(x->grad)[1], 4.0, 1e-6);
    tide_tensor_release(l3), tide_tensor_release(l2), tide_tensor_release(l1);
    tide_tensor_release(h), tide_tensor_release(x);
}

static void test_no_grad_records_nothing(void **state)
{
    (void)state;
    float xv[2] = {1, 2};
    tide_tensor *x = vec(2, xv);
    tide_set_requires_grad(x, 1);
    int prev = tide_set_grad_enabled(0);
    tide_tensor *y = tide_ag_unary(TIDE_EXP, x);
    tide_set_grad_enabled(prev);
    assert_null(y->node);
    assert_int_equal(x->refcount, 1);
    assert_int_equal(tide_backward(y, NULL), TIDE_ERR);
    tide_tensor *d = tide_detach(x);
    assert_false(tide_needs_grad(d));
    assert_ptr_equal(d->storage, x->storage);
    tide_tensor_release(d), tide_tensor_release(y), tide_tensor_release(x);
}

/* cat of n vectors of length 2 (n > TIDE_NODE_MAX_INPUTS builds a tree) */
static void cat_case(int n)
{
    tide_tensor *ts[20];
    for (int i = 0; i < n; i++) {
        float v[2] = {(float)i, (float)-i};
        ts[i] = vec(2, v);
        tide_set_requires_grad(ts[i], 1);
    }
    tide_tensor *c = tide_ag_cat(ts, n, 0);
    assert_non_null(c);
    assert_int_equal(c->shape[0], 2 * n);
    int64_t len = 2 * n;
    float w[40];
    for (int i = 0; i < 2 * n; i++) w[i] = (float)(i + 1);
    tide_tensor *g = tide_tensor_from_data(TIDE_F32, 1, &len, w);
    assert_int_equal(tide_backward(c, g), TIDE_OK);
    for (int i = 0; i < n; i++) {
        assert_float_equal(tide_f32(ts[i]->grad)[0], 2 * i + 1, 0);
        assert_float_equal(tide_f32(ts[i]->grad)[1], 2 * i + 2, 0);
        assert_int_equal(ts[i]->refcount, 1);
        tide_tensor_release(ts[i]);
    }
    tide_tensor_release(g), tide_tensor_release(c);
}

static void test_cat_small_and_tree(void **state)
{
    (void)state;
    cat_case(3);
    cat_case(8);
    cat_case(19);
}

static void test_stack_backward(void **state)
{
    (void)state;
    float av[2] = {1, 2}, bv[2] = {3, 4};
    tide_tensor *ts[2] = {vec(2, av), vec(2, bv)};
    tide_set_requires_grad(ts[1], 1);
    tide_tensor *s = tide_ag_stack(ts, 2, 1); /* [2, 2]: columns a, b */
    assert_int_equal(s->shape[0], 2);
    assert_float_equal(tide_f32(s)[1], 3, 0);
    int64_t sh[2] = {2, 2};
    float gv[4] = {1, 2, 3, 4};
    tide_tensor *g = tide_tensor_from_data(TIDE_F32, 2, sh, gv);
    assert_int_equal(tide_backward(s, g), TIDE_OK);
    assert_null(ts[0]->grad);
    assert_float_equal(tide_f32(ts[1]->grad)[0], 2, 0);
    assert_float_equal(tide_f32(ts[1]->grad)[1], 4, 0);
    tide_tensor *bad[2] = {ts[0], s};
    assert_null(tide_ag_stack(bad, 2, 0));
    tide_tensor_release(g), tide_tensor_release(s);
    tide_tensor_release(ts[0]), tide_tensor_release(ts[1]);
}

static int failing_backward(tide_node *n, const tide_tensor *g)
{
    (void)n, (void)g;
    return tide_errorf("deliberate");
}

static void test_backward_error_is_reported_and_cleaned(void **state)
{
    (void)state;
    float xv[2] = {1, 2};
    tide_tensor *x = vec(2, xv);
    tide_set_requires_grad(x, 1);
    tide_tensor *y = tide_tensor_clone(x);
    tide_node *n = tide_ag_record(y, "custom", failing_backward, 1, &x);
    assert_non_null(n);
    tide_tensor *l = tide_ag_reduce(TIDE_SUM, y, NULL, 0, 0, 0);
    assert_int_equal(tide_backward(l, NULL), TIDE_ERR);
    assert_non_null(strstr(tide_error(), "backward of custom: deliberate"));
    assert_null(x->grad);
    tide_tensor_release(l), tide_tensor_release(y);
    assert_int_equal(x->refcount, 1);
    tide_tensor_release(x);
}

static void test_requires_grad_rules(void **state)
{
    (void)state;
    int64_t n = 2;
    tide_tensor *i = tide_tensor_new(TIDE_I32, 1, &n);
    assert_int_equal(tide_set_requires_grad(i, 1), TIDE_ERR);
    tide_tensor *x = tide_tensor_new(TIDE_F32, 1, &n);
    tide_set_requires_grad(x, 1);
    tide_tensor *y = tide_ag_binary_scalar(TIDE_MUL, x, 2, 0);
    assert_int_equal(tide_set_requires_grad(y, 0), TIDE_ERR);
    assert_int_equal(tide_set_requires_grad(y, 1), TIDE_OK);
    /* comparisons are integer results: never recorded */
    tide_tensor *c = tide_ag_binary_scalar(TIDE_GT, x, 0, 0);
    assert_null(c->node);
    tide_tensor_release(c), tide_tensor_release(y), tide_tensor_release(x), tide_tensor_release(i);
}

static void test_long_chain_release_is_iterative(void **state)
{
    (void)state;
    float xv[1] = {1};
    tide_tensor *x = vec(1, xv);
    tide_set_requires_grad(x, 1);
    tide_tensor *y = tide_tensor_retain(x);
    for (int i = 0; i < 100000; i++) { /* deep graph, never swept: freeing must not recurse */
        tide_tensor *z = tide_ag_binary_scalar(TIDE_ADD, y, 1e-6, 0);
        tide_tensor_release(y);
        y = z;
    }
    tide_tensor_release(y);
    assert_int_equal(x->refcount, 1);
    /* and a deep graph swept by backward (iterative walk, no recursion) */
    y = tide_tensor_retain(x);
    for (int i = 0; i < 100000; i++) {
        tide_tensor *z = tide_ag_binary_scalar(TIDE_MUL, y, 1.0, 0);
        tide_tensor_release(y);
        y = z;
    }
    assert_int_equal(tide_backward(y, NULL), TIDE_OK);
    assert_float_equal(tide_f32(x->grad)[0], 1.0, 1e-6);
    tide_tensor_release(y);
    assert_int_equal(x->refcount, 1);
    tide_tensor_release(x);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_refcounts_return_after_backward),
        cmocka_unit_test(test_saving_output_makes_no_cycle),
        cmocka_unit_test(test_leaf_grad_owns_storage),
        cmocka_unit_test(test_accumulate_sums_broadcast_dims),
        cmocka_unit_test(test_spent_graph_refused),
        cmocka_unit_test(test_no_grad_records_nothing),
        cmocka_unit_test(test_cat_small_and_tree),
        cmocka_unit_test(test_stack_backward),
        cmocka_unit_test(test_backward_error_is_reported_and_cleaned),
        cmocka_unit_test(test_requires_grad_rules),
        cmocka_unit_test(test_long_chain_release_is_iterative),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
