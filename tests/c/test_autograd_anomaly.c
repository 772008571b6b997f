/* test_autograd_anomaly.c — anomaly mode: the first op whose output turns non-finite from
 * finite inputs is named; backward fails at the op that turns a finite gradient into NaN/Inf
 * and leaves the mode's setting as it was; off (the default), nothing is checked. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <math.h>
#include <string.h>

#include "autograd.h"
#include "ops.h"

static tide_tensor *leaf(float a, float b)
{
    int64_t n = 2;
    float v[2] = {a, b};
    tide_tensor *t = tide_tensor_from_data(TIDE_F32, 1, &n, v);
    tide_set_requires_grad(t, 1);
    return t;
}

static tide_tensor *sum_all(tide_tensor *x) { return tide_ag_reduce(TIDE_SUM, x, NULL, 0, 0, 0); }

static void test_all_finite(void **state)
{
    (void)state;
    tide_tensor *a = leaf(1, 2), *b = leaf(1, NAN), *c = leaf(INFINITY, 0);
    assert_true(tide_tensor_all_finite(a));
    assert_false(tide_tensor_all_finite(b));
    assert_false(tide_tensor_all_finite(c));
    assert_true(tide_tensor_all_finite(NULL));
    tide_tensor_release(a), tide_tensor_release(b), tide_tensor_release(c);
}

static void test_forward_culprit(void **state)
{
    (void)state;
    assert_int_equal(tide_detect_anomaly(), 0); /* off by default */
    tide_tensor *x = leaf(-1, 4);
    tide_tensor *y = tide_ag_unary(TIDE_LOG, x); /* log(-1) = NaN, not noted while off */
    assert_string_equal(tide_anomaly_forward(), "");
    tide_tensor_release(y);
    assert_int_equal(tide_set_detect_anomaly(1), 0);
    y = tide_ag_unary(TIDE_LOG, x);
    tide_tensor *z = tide_ag_unary(TIDE_EXP, y); /* NaN in, NaN out: inherited, not blamed */
    assert_non_null(strstr(tide_anomaly_forward(), "log"));
    assert_int_equal(tide_set_detect_anomaly(0), 1);
    tide_tensor_release(z), tide_tensor_release(y), tide_tensor_release(x);
}

static void test_backward_culprit(void **state)
{
    (void)state;
    tide_tensor *x = leaf(0, 4);
    tide_tensor *y = tide_ag_unary(TIDE_SQRT, x); /* sqrt(0) = 0 finite; d/dx = Inf at 0 */
    tide_tensor *s = sum_all(y);
    tide_set_detect_anomaly(1);
    assert_int_equal(tide_backward(s, NULL), TIDE_ERR);
    assert_non_null(strstr(tide_error(), "op 'sqrt' produced a non-finite gradient"));
    tide_set_detect_anomaly(0);
    tide_tensor_release(s), tide_tensor_release(y);
    /* off: the same backward runs and leaves Inf in the gradient */
    y = tide_ag_unary(TIDE_SQRT, x);
    s = sum_all(y);
    assert_int_equal(tide_backward(s, NULL), TIDE_OK);
    assert_true(isinf(tide_f32(x->grad)[0]));
    tide_tensor_release(s), tide_tensor_release(y), tide_tensor_release(x);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_all_finite),
        cmocka_unit_test(test_forward_culprit),
        cmocka_unit_test(test_backward_culprit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
