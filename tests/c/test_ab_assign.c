/* test_ab_assign.c — XXH64 against an independent Python implementation of the xxHash spec
 * (tests/gen/ab_reference.py; "" and "abc" are also the spec's published vectors), golden arms
 * for a salt, weights and holdout computed by that script, arm shares within chi-square
 * tolerance, and the uniformity of the unit values (chi-square over 20 bins). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "ab_assign.h"
#include "ab_dist.h"
#include "error.h"
#include "hash_xx64.h"

static void test_xx64_vectors(void **st)
{
    (void)st;
    assert_true(tide_hash_xx64("", 0, 0) == 0xef46db3751d8e999ULL);
    assert_true(tide_hash_xx64("abc", 3, 0) == 0x44bc2cf5ad770999ULL);
    assert_true(tide_hash_xx64("", 0, 42) == 0x98b1582b0977e704ULL);
    assert_true(tide_hash_xx64("abc", 3, 42) == 0x13c1d910702770e6ULL);
    assert_true(tide_hash_xx64("user-12345", 10, 0) == 0x64797fca50bfc10cULL);
    assert_true(tide_hash_xx64("user-12345", 10, 42) == 0x75a7855b95c66daaULL);
    unsigned char b[100]; /* 100 bytes: the 32-byte stripe path, 8-byte, 4-byte and 1-byte tails */
    for (int i = 0; i < 100; i++) b[i] = (unsigned char)i;
    assert_true(tide_hash_xx64(b, 100, 0) == 0x6ac1e58032166597ULL);
    assert_true(tide_hash_xx64(b, 100, 42) == 0x819d2b726001d507ULL);
}

static void test_golden_arms(void **st)
{
    (void)st;
    const char *salt = "exp-2026-spring";
    double w[3] = {0.5, 0.3, 0.2};
    int64_t ids[8] = {1, 2, 3, 17, 42, 1000, 99999, 123456789};
    int want[8] = {2, 0, 2, 2, 1, 2, 1, 1}; /* 0 = holdout, k = arm k (1-based) */
    int32_t out[8];
    double u[8];
    assert_int_equal(tide_ab_assign_ints(salt, strlen(salt), 8, ids, 3, w, 0.1, out, u), TIDE_OK);
    for (int i = 0; i < 8; i++) assert_int_equal(out[i] + 1, want[i]);
    assert_true(u[4] == 0.24897904104393087); /* id 42 */
    uint64_t seed = tide_ab_salt_seed(salt, strlen(salt));
    const char *names[3] = {"alice", "bob", "u-7"};
    int want_s[3] = {3, 3, 2};
    for (int i = 0; i < 3; i++)
        assert_int_equal(tide_ab_arm_of(tide_ab_unit(seed, names[i], strlen(names[i])), 3, w, 0.1) + 1, want_s[i]);
    /* an integer id is its decimal text */
    assert_true(tide_ab_unit_int(seed, 42) == tide_ab_unit(seed, "42", 2));
}

static void test_shares_and_uniformity(void **st)
{
    (void)st;
    enum { N = 200000, BINS = 20 };
    static int64_t ids[N];
    static int32_t out[N];
    static double u[N];
    for (int i = 0; i < N; i++) ids[i] = i + 1; /* consecutive ids: the worst case for a weak hash */
    double w[3] = {0.5, 0.3, 0.2}, hold = 0.1;
    assert_int_equal(tide_ab_assign_ints("s1", 2, N, ids, 3, w, hold, out, u), TIDE_OK);
    double cnt[4] = {0}, bins[BINS] = {0};
    for (int i = 0; i < N; i++) cnt[out[i] + 1]++, bins[(int)(u[i] * BINS)]++;
    double p[4] = {hold, 0.9 * 0.5, 0.9 * 0.3, 0.9 * 0.2}, x2 = 0, xb = 0;
    for (int k = 0; k < 4; k++) x2 += (cnt[k] - N * p[k]) * (cnt[k] - N * p[k]) / (N * p[k]);
    for (int b = 0; b < BINS; b++) xb += (bins[b] - N / BINS) * (bins[b] - N / BINS) / (N / BINS);
    /* a fixed salt: these are single draws, p > 0.001 fails a correct hash 1 time in 1000 */
    assert_true(tide_chi2_sf(x2, 3) > 1e-3);
    assert_true(tide_chi2_sf(xb, BINS - 1) > 1e-3);
    /* a different salt re-randomises: about half of the units change between two 50/50 splits */
    double half[2] = {1, 1};
    static int32_t a[N], b[N];
    tide_ab_assign_ints("salt-a", 6, N, ids, 2, half, 0, a, NULL);
    tide_ab_assign_ints("salt-b", 6, N, ids, 2, half, 0, b, NULL);
    int same = 0;
    for (int i = 0; i < N; i++) same += a[i] == b[i];
    assert_true(fabs(same - N / 2.0) < 4 * sqrt(N * 0.25));
}

static void test_errors(void **st)
{
    (void)st;
    int64_t id = 1;
    int32_t o;
    double bad[2] = {1, -1}, zero[2] = {0, 0}, ok[2] = {1, 0};
    assert_int_equal(tide_ab_assign_ints("s", 1, 1, &id, 2, bad, 0, &o, NULL), TIDE_ERR);
    assert_non_null(strstr(tide_error(), "weight of arm 2"));
    assert_int_equal(tide_ab_assign_ints("s", 1, 1, &id, 2, zero, 0, &o, NULL), TIDE_ERR);
    assert_int_equal(tide_ab_assign_ints("s", 1, 1, &id, 2, ok, 1.0, &o, NULL), TIDE_ERR);
    assert_non_null(strstr(tide_error(), "holdout"));
    /* a zero-weight arm is never chosen, even at the top of the unit interval */
    assert_int_equal(tide_ab_arm_of(0.9999999999999999, 2, ok, 0), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_xx64_vectors),
        cmocka_unit_test(test_golden_arms),
        cmocka_unit_test(test_shares_and_uniformity),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
