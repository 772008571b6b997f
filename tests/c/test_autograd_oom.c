/* test_autograd_oom.c — a graph node that cannot be allocated makes the op fail with a clear
 * error (which the bindings turn into a Lua error) and leaves the tape consistent: inputs keep
 * their reference counts, nothing is half-recorded, and a graph built afterwards
 * back-propagates the right gradients. A saved tensor that cannot be kept makes backward
 * refuse that graph instead of aborting.
 *
 * The failure is injected through tide_test_fail_alloc_after(n), which exists only when
 * autograd.c is compiled with TIDE_TEST_FAULTS: this test compiles its own copy, which the
 * linker then uses instead of the library's autograd.o (it defines every symbol of it). */
#define TIDE_TEST_FAULTS 1
#include "autograd.c"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <math.h>

#include "ops.h"

void tide_test_fail_alloc_after(long n);

static tide_tensor *leaf(int64_t n, const float *v)
{
    tide_tensor *t = tide_tensor_from_data(TIDE_F32, 1, &n, v);
    assert_int_equal(tide_set_requires_grad(t, 1), TIDE_OK);
    return t;
}

static float at(const tide_tensor *t, int64_t i) { return (float)tide_tensor_get(t, &i); }

/* y = sum(a * b): da = b, db = a (hand-worked). */
static void check_grads_after(tide_tensor *a, tide_tensor *b)
{
    tide_tensor *p = tide_ag_binary(TIDE_MUL, a, b);
    assert_non_null(p);
    tide_tensor *y = tide_ag_reduce(TIDE_SUM, p, NULL, 0, 0, 0);
    assert_non_null(y);
    assert_int_equal(tide_backward(y, NULL), TIDE_OK);
    for (int i = 0; i < 3; i++) {
        assert_float_equal(at(a->grad, i), at(b, i), 0);
        assert_float_equal(at(b->grad, i), at(a, i), 0);
    }
    tide_tensor_release(y);
    tide_tensor_release(p);
}

static void test_binary_op_reports_and_tape_stays_consistent(void **state)
{
    (void)state;
    tide_tensor *a = leaf(3, (const float[]){1, 2, 3}), *b = leaf(3, (const float[]){4, 5, 6});
    tide_test_fail_alloc_after(0);
    assert_null(tide_ag_binary(TIDE_MUL, a, b));
    assert_string_equal(tide_error(), "mul: out of memory recording its autograd node");
    assert_int_equal(a->refcount, 1); /* the failed node retained nothing */
    assert_int_equal(b->refcount, 1);
    assert_null(a->grad);
    check_grads_after(a, b); /* the hook fires once: later ops record normally */
    tide_tensor_release(a);
    tide_tensor_release(b);
}

/* The second node of a chain fails: the first result is still a valid graph of its own. */
static void test_failure_mid_chain(void **state)
{
    (void)state;
    tide_tensor *a = leaf(3, (const float[]){1, -2, 0.5f}), *b = leaf(3, (const float[]){3, 1, 2});
    tide_test_fail_alloc_after(1);
    tide_tensor *p = tide_ag_binary(TIDE_MUL, a, b);
    assert_non_null(p);
    assert_null(tide_ag_reduce(TIDE_SUM, p, NULL, 0, 0, 0));
    assert_string_equal(tide_error(), "sum: out of memory recording its autograd node");
    assert_int_equal(p->refcount, 1);
    tide_tensor *y = tide_ag_reduce(TIDE_SUM, p, NULL, 0, 0, 0);
    assert_non_null(y);
    assert_int_equal(tide_backward(y, NULL), TIDE_OK);
    for (int i = 0; i < 3; i++) assert_float_equal(at(a->grad, i), at(b, i), 0);
    tide_tensor_release(y), tide_tensor_release(p), tide_tensor_release(a), tide_tensor_release(b);
}

static void test_matmul_view_and_topk(void **state)
{
    (void)state;
    tide_tensor *a = leaf(3, (const float[]){1, 2, 3}), *b = leaf(3, (const float[]){4, 5, 6});
    tide_test_fail_alloc_after(0);
    assert_null(tide_ag_matmul(a, b));
    assert_string_equal(tide_error(), "matmul: out of memory recording its autograd node");
    int64_t sh[2] = {3, 1};
    tide_test_fail_alloc_after(0);
    assert_null(tide_ag_reshape(a, 2, sh));
    assert_non_null(strstr(tide_error(), "out of memory recording its autograd node"));
    tide_tensor *v = NULL, *ix = NULL;
    tide_test_fail_alloc_after(0);
    assert_int_equal(tide_ag_topk(a, 2, 1, &v, &ix), TIDE_ERR);
    assert_null(v);
    assert_null(ix);
    assert_string_equal(tide_error(), "topk: out of memory recording its autograd node");
    assert_int_equal(a->refcount, 1);
    assert_int_equal(b->refcount, 1);
    check_grads_after(a, b);
    tide_tensor_release(a);
    tide_tensor_release(b);
}

/* exp saves its own output (as an alias): when that alias cannot be allocated the forward
 * result is still right, and backward refuses the graph before touching any gradient. */
static void test_lost_saved_tensor(void **state)
{
    (void)state;
    tide_tensor *a = leaf(3, (const float[]){0, 1, -1});
    tide_test_fail_alloc_after(1); /* the node succeeds, the alias fails */
    tide_tensor *e = tide_ag_unary(TIDE_EXP, a);
    assert_non_null(e);
    assert_float_equal(at(e, 0), 1, 0);
    assert_float_equal(at(e, 1), expf(1), 1e-6);
    tide_tensor *y = tide_ag_reduce(TIDE_SUM, e, NULL, 0, 0, 0);
    assert_non_null(y);
    assert_int_equal(tide_backward(y, NULL), TIDE_ERR);
    assert_non_null(strstr(tide_error(), "backward: 'exp' cannot run: out of memory saving a tensor"));
    assert_null(a->grad);
    tide_tensor_release(y), tide_tensor_release(e);
    /* a fresh graph works: d/da sum(exp(a)) = exp(a) */
    e = tide_ag_unary(TIDE_EXP, a);
    y = tide_ag_reduce(TIDE_SUM, e, NULL, 0, 0, 0);
    assert_int_equal(tide_backward(y, NULL), TIDE_OK);
    for (int i = 0; i < 3; i++) assert_float_equal(at(a->grad, i), at(e, i), 1e-6);
    tide_tensor_release(y), tide_tensor_release(e), tide_tensor_release(a);
}

/* Without grad (no input needs one) no node is allocated, so the hook never fires. */
static void test_no_node_no_failure(void **state)
{
    (void)state;
    int64_t n = 3;
    tide_tensor *c = tide_tensor_from_data(TIDE_F32, 1, &n, (const float[]){1, 2, 3});
    tide_test_fail_alloc_after(0);
    tide_tensor *d = tide_ag_binary(TIDE_MUL, c, c);
    assert_non_null(d);
    assert_float_equal(at(d, 2), 9, 0);
    tide_test_fail_alloc_after(-1);
    tide_tensor_release(d);
    tide_tensor_release(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_binary_op_reports_and_tape_stays_consistent),
        cmocka_unit_test(test_failure_mid_chain),
        cmocka_unit_test(test_matmul_view_and_topk),
        cmocka_unit_test(test_lost_saved_tensor),
        cmocka_unit_test(test_no_node_no_failure),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
