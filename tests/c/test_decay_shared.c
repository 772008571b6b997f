/* test_decay_shared.c — the shared-shape fit (exponential rates equal each series' closed form
 * d / T; a Weibull shape shared by series with a known common k) and per-row top-k of a CSR
 * profile (order, ties, empty rows, errors). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "decay.h"
#include "rng.h"

static void test_shared_exponential_closed_form(void **st)
{
    (void)st;
    /* series 1: gaps 1, 2 (returns) + 3 censored; series 2: gap 4 (return) + 1 censored */
    double t[] = {1, 2, 3, 4, 1};
    uint8_t ev[] = {1, 1, 0, 1, 0};
    int64_t off[] = {0, 3, 5};
    double th[2], se[2], ll[2];
    int32_t status[2];
    assert_int_equal(tide_decay_fit_shared(TIDE_DECAY_EXP, 2, off, t, ev, 0, 500, 1, th, se, ll, status), 0);
    assert_true(fabs(th[0] - 2.0 / 6) < 1e-6 && fabs(th[1] - 1.0 / 5) < 1e-6);
    /* se of an exponential rate: sqrt(d) / T */
    assert_true(fabs(se[0] - sqrt(2.0) / 6) < 1e-4 && fabs(se[1] - 1.0 / 5) < 1e-4);
    assert_true(fabs(ll[0] - (2 * log(2.0 / 6) - 2)) < 1e-9); /* d log λ − λT */
    assert_true(tide_decay_fit_shared(TIDE_DECAY_MIXEXP, 2, off, t, ev, 0, 500, 1, th, se, ll, status) < 0);
    uint8_t none[] = {0, 0, 0, 0, 0};
    assert_true(tide_decay_fit_shared(TIDE_DECAY_EXP, 2, off, t, none, 0, 500, 1, th, se, ll, status) < 0);
}

static void test_shared_weibull_shape(void **st)
{
    (void)st;
    enum { S = 200, G = 30 };
    static double t[S * G], th[S * 2], se[S * 2], ll[S];
    static uint8_t ev[S * G];
    static int64_t off[S + 1];
    static int32_t status[S];
    tide_rng r;
    tide_rng_seed(&r, 3);
    for (int s = 0; s < S; s++) {
        double lam = 0.05 * (1 + s % 10); /* ten rate levels, one shape */
        for (int g = 0; g < G; g++) {
            t[s * G + g] = pow(-log(1 - tide_rng_uniform(&r)), 1 / 0.7) / lam; /* Weibull(λ, k = 0.7) */
            ev[s * G + g] = 1;
        }
        off[s + 1] = (s + 1) * G;
    }
    assert_int_equal(tide_decay_fit_shared(TIDE_DECAY_WEIBULL, S, off, t, ev, 0, 500, 1, th, se, ll, status), 0);
    assert_true(fabs(th[1] - 0.7) < 3 * se[1] + 0.02); /* + the O(1/G) incidental-parameter bias */
    assert_true(th[1] == th[3] && se[1] > 0 && se[1] < 0.05);
}

static void test_rows_topk(void **st)
{
    (void)st;
    int64_t off[] = {0, 4, 4, 6};
    int32_t key[] = {7, 3, 9, 1, 2, 5};
    float val[] = {0.5f, 2.0f, 0.5f, 1.0f, 3.0f, 3.0f};
    int64_t oo[4];
    int32_t ok[6];
    float ov[6];
    assert_int_equal(tide_decay_rows_topk(3, off, key, val, 2, oo, ok, ov), 4);
    int64_t want_off[] = {0, 2, 2, 4};
    int32_t want_key[] = {3, 1, 2, 5}; /* row 3: tie at 3.0, smaller key first */
    for (int i = 0; i < 4; i++) assert_int_equal(oo[i], want_off[i]);
    for (int i = 0; i < 4; i++) assert_int_equal(ok[i], want_key[i]);
    assert_true(ov[0] == 2.0f && ov[1] == 1.0f);
    assert_int_equal(tide_decay_rows_topk(3, off, key, val, 3, oo, ok, ov), 5);
    assert_int_equal(ok[2], 7); /* the 0.5 tie between keys 7 and 9: key 7 */
    assert_true(tide_decay_rows_topk(3, off, key, val, 0, oo, ok, ov) < 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shared_exponential_closed_form),
        cmocka_unit_test(test_shared_weibull_shape),
        cmocka_unit_test(test_rows_topk),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
