/* test_nn_attention_oom.c — the attention wrapper with time terms (decay rate, interval
 * embeddings) when its autograd node cannot be allocated: NULL with the node message, inputs
 * untouched (refcounts, no grad, no node) and nothing leaked (ASan in `make sanitize`); the
 * same call again records and its gradients w.r.t. qkv, rate, ik and iv match central finite
 * differences of sum(out). Fault injection as in test_nn_oom.c: a private autograd.c copy
 * built with TIDE_TEST_FAULTS replaces the library's. */
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

static tide_tensor *param(int ndim, const int64_t *shape, float start, float step)
{
    float v[64];
    int64_t n = 1;
    for (int i = 0; i < ndim; i++) n *= shape[i];
    assert_true(n <= 64);
    for (int64_t i = 0; i < n; i++) v[i] = start + step * (float)((i * 7) % n);
    tide_tensor *t = tide_tensor_from_data(TIDE_F32, ndim, shape, v);
    assert_non_null(t);
    assert_int_equal(tide_set_requires_grad(t, 1), TIDE_OK);
    return t;
}

static tide_tensor *times, *mask;

/* t: qkv [1,3,12], rate [2], ik [3,4], iv [3,4]; causal, 2 heads, last key padding */
static tide_tensor *run(tide_tensor **t)
{
    tide_attn_time tm = {times, NULL, TIDE_ATTN_DECAY_LOG1P, t[1], t[2], t[3]};
    return tide_nn_attention_qkv_time(t[0], 2, 1, mask, &tm, 0, NULL, NULL);
}

static double sum_nograd(tide_tensor **t)
{
    int was = tide_set_grad_enabled(0);
    tide_tensor *y = run(t);
    tide_set_grad_enabled(was);
    assert_non_null(y);
    double s = 0;
    for (int64_t i = 0; i < tide_tensor_numel(y); i++) s += tide_f32(y)[i];
    tide_tensor_release(y);
    return s;
}

static void test_time_terms_oom_then_gradients(void **state)
{
    (void)state;
    times = tide_tensor_from_data(TIDE_F32, 2, (int64_t[]){1, 3}, (float[]){0, 1.5f, 2.25f});
    mask = tide_tensor_from_data(TIDE_F32, 2, (int64_t[]){1, 3}, (float[]){1, 1, 0});
    tide_tensor *t[4] = {param(3, (int64_t[]){1, 3, 12}, -.6f, .05f), param(1, (int64_t[]){2}, .3f, .4f),
                         param(2, (int64_t[]){3, 4}, -.5f, .08f), param(2, (int64_t[]){3, 4}, .4f, -.07f)};
    tide_test_fail_alloc_after(0);
    assert_null(run(t));
    assert_string_equal(tide_error(), "attention: out of memory recording its autograd node");
    for (int k = 0; k < 4; k++) {
        assert_int_equal(t[k]->refcount, 1);
        assert_null(t[k]->grad);
        assert_null(t[k]->node);
    }
    tide_tensor *y = run(t);
    assert_non_null(y);
    tide_tensor *l = tide_ag_reduce(TIDE_SUM, y, NULL, 0, 0, 0);
    assert_non_null(l);
    assert_int_equal(tide_backward(l, NULL), TIDE_OK);
    tide_tensor_release(l);
    tide_tensor_release(y);
    const double h = 1e-2;
    for (int k = 0; k < 4; k++) {
        assert_non_null(t[k]->grad);
        for (int64_t i = 0; i < tide_tensor_numel(t[k]); i++) {
            float *v = tide_f32(t[k]) + i, v0 = *v;
            *v = (float)(v0 + h);
            double up = sum_nograd(t);
            *v = (float)(v0 - h);
            double down = sum_nograd(t);
            *v = v0;
            double fd = (up - down) / (2 * h), g = tide_f32(t[k]->grad)[i];
            if (fabs(fd - g) > 2e-2 * (1 + fabs(fd)))
                fail_msg("input %d element %lld: grad %g, finite difference %g", k, (long long)i, g, fd);
        }
    }
    for (int k = 0; k < 4; k++) tide_tensor_release(t[k]);
    tide_tensor_release(times);
    tide_tensor_release(mask);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_time_terms_oom_then_gradients)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
