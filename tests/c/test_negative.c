/* test_negative.c — negative sampling: never a seen item, deterministic per seed and
 * independent of the other users, uniform and popularity (alias method) frequencies close to
 * their targets (within 5 standard errors), users who saw everything get 0, bad weights are
 * errors. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "error.h"
#include "negative.h"

static void test_exclusion_and_determinism(void **st)
{
    (void)st;
    /* user 1 saw {2, 4, 4}, user 2 saw {1}, user 3 nothing */
    int64_t off[4] = {0, 3, 4, 4};
    int32_t item[4] = {2, 4, 4, 1};
    enum { K = 400 };
    static int32_t a[3 * K], b[3 * K], c[2 * K];
    assert_int_equal(tide_negative_sample(3, off, item, 5, K, 42, NULL, 1, a), 0);
    assert_int_equal(tide_negative_sample(3, off, item, 5, K, 42, NULL, 1, b), 0);
    assert_memory_equal(a, b, sizeof a);
    int cnt[6] = {0};
    for (int j = 0; j < K; j++) {
        assert_true(a[j] != 2 && a[j] != 4 && a[j] >= 1 && a[j] <= 5);
        assert_true(a[K + j] != 1);
        cnt[a[j]]++;
    }
    for (int v = 1; v <= 5; v += 2) assert_true(fabs(cnt[v] - K / 3.0) < 5 * sqrt(K * (1 / 3.0) * (2 / 3.0)));
    /* a user's draws do not depend on the other users */
    int64_t off2[3] = {0, 3, 3};
    assert_int_equal(tide_negative_sample(2, off2, item, 5, K, 42, NULL, 1, c), 0);
    assert_memory_equal(c, a, K * sizeof *a);
    /* per event: one row per event */
    static int32_t e[4 * 2];
    assert_int_equal(tide_negative_sample(3, off, item, 5, 2, 1, NULL, 0, e), 0);
    for (int j = 0; j < 6; j++) assert_true(e[j] != 2 && e[j] != 4);
}

static void test_popularity(void **st)
{
    (void)st;
    int64_t off[2] = {0, 1};
    int32_t item[1] = {1};
    float w[5] = {100, 1, 2, 3, 0}; /* item 1 seen, item 5 weight 0 */
    enum { K = 60000 };
    static int32_t o[K];
    assert_int_equal(tide_negative_sample(1, off, item, 5, K, 3, w, 1, o), 0);
    int cnt[6] = {0};
    for (int j = 0; j < K; j++) cnt[o[j]]++;
    assert_int_equal(cnt[1], 0);
    assert_int_equal(cnt[5], 0);
    for (int v = 2; v <= 4; v++) { /* conditional on not item 1: w / 6 */
        double p = w[v - 1] / 6.0;
        assert_true(fabs(cnt[v] - K * p) < 5 * sqrt(K * p * (1 - p)));
    }
}

static void test_exhausted_and_errors(void **st)
{
    (void)st;
    int64_t off[2] = {0, 2};
    int32_t item[2] = {2, 1};
    int32_t o[3] = {9, 9, 9};
    assert_int_equal(tide_negative_sample(1, off, item, 2, 3, 1, NULL, 1, o), 3);
    assert_int_equal(o[0], 0);
    float w[3] = {1, 1, 0}; /* only item 3 unseen, and it cannot be drawn */
    assert_int_equal(tide_negative_sample(1, off, item, 3, 3, 1, w, 1, o), 3);
    float bad[2] = {1, -1};
    assert_int_equal(tide_negative_sample(1, off, item, 2, 1, 1, bad, 1, o), TIDE_ERR);
    float zero[2] = {0, 0};
    assert_int_equal(tide_negative_sample(1, off, item, 2, 1, 1, zero, 1, o), TIDE_ERR);
    int32_t out_of_range[2] = {1, 7};
    assert_int_equal(tide_negative_sample(1, off, out_of_range, 2, 1, 1, NULL, 1, o), TIDE_ERR);
    assert_non_null(strstr(tide_error(), "outside"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_exclusion_and_determinism),
                                       cmocka_unit_test(test_popularity),
                                       cmocka_unit_test(test_exhausted_and_errors)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
