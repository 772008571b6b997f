/* ops_test_util.h — small helpers shared by the tests/c/test_ops_*.c files. */
#ifndef TIDE_OPS_TEST_UTIL_H
#define TIDE_OPS_TEST_UTIL_H

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "ops.h"

/* f32 tensor of the given shape from values */
static inline tide_tensor *tf(int ndim, const int64_t *shape, const float *v)
{
    return tide_tensor_from_data(TIDE_F32, ndim, shape, v);
}

/* deterministic pseudo-random f32 tensor in [-2, 2) */
static inline tide_tensor *trand(int ndim, const int64_t *shape, uint32_t seed)
{
    tide_tensor *t = tide_tensor_new(TIDE_F32, ndim, shape);
    float *p = tide_f32(t);
    int64_t n = tide_tensor_numel(t);
    for (int64_t i = 0; i < n; i++) {
        seed = seed * 1664525u + 1013904223u;
        p[i] = (float)((seed >> 8) / 16777216.0 * 4.0 - 2.0);
    }
    return t;
}

/* element of t at a flat row-major position (t may be any view) */
static inline double at(const tide_tensor *t, int64_t flat)
{
    int64_t idx[TIDE_MAX_DIMS];
    for (int d = t->ndim - 1; d >= 0; d--) {
        idx[d] = flat % t->shape[d];
        flat /= t->shape[d];
    }
    return tide_tensor_get(t, idx);
}

static inline void assert_near(double got, double want, double tol)
{
    if (isnan(want) && isnan(got)) return;
    if (isinf(want) && got == want) return;
    if (!(fabs(got - want) <= tol * fmax(1.0, fabs(want)))) {
        print_error("expected %.9g, got %.9g (tol %g)\n", want, got, tol);
        fail();
    }
}

static inline void assert_shape(const tide_tensor *t, int ndim, const int64_t *shape)
{
    assert_int_equal(t->ndim, ndim);
    for (int i = 0; i < ndim; i++) assert_int_equal(t->shape[i], shape[i]);
}

static inline void assert_error_contains(const char *needle)
{
    if (!strstr(tide_error(), needle)) {
        print_error("error '%s' does not contain '%s'\n", tide_error(), needle);
        fail();
    }
}

#endif
