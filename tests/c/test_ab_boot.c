/* test_ab_boot.c — bootstrap intervals: percentile and BCa from fixed replicates and jackknife
 * values against a numpy implementation of the formulas (tests/gen/ab_boot_reference.py);
 * the replicate standard deviation against the plug-in standard error it estimates; seeded
 * reproducibility; the estimate inside its intervals; index sets uniform; errors. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ab_boot.h"
#include "ab_dist.h"
#include "error.h"
#include "rng.h"

#define NEAR(a, b, tol) assert_true(fabs((a) - (b)) <= (tol) * fmax(1, fabs((double)(b))))

static void test_ci_formulas(void **st)
{
    (void)st;
    enum { B = 200 };
    double reps[B];
    for (int i = 0; i < B; i++) reps[i] = ((i * 37) % B) / (double)B * 2 - 1 + 0.3 * sin(i);
    double jack[9] = {1, 2, 4, 8, 3, 2, 2.5, 9, 1};
    int64_t gn[2] = {5, 4};
    tide_ab_interval iv;
    assert_int_equal(tide_ab_boot_ci(reps, B, 0.1, 2, gn, jack, 0.9, &iv), TIDE_OK);
    NEAR(iv.accel, -0.055785145236191255, 1e-12);
    NEAR(iv.z0, 0.13830420796140466, 1e-12);
    NEAR(iv.pct_lo, -0.9523511867854, 1e-12);
    NEAR(iv.pct_hi, 1.003959605841469, 1e-12);
    NEAR(iv.bca_lo, -0.9164727088014779, 1e-12);
    NEAR(iv.bca_hi, 1.02100165003992, 1e-12);
    NEAR(iv.se, 0.6121699812891847, 1e-12);
    /* without jackknife values the acceleration is 0 (bias-corrected percentile) */
    assert_int_equal(tide_ab_boot_ci(reps, B, 0.1, 2, gn, NULL, 0.9, &iv), TIDE_OK);
    assert_true(iv.accel == 0);
}

static void draw(double *x, int n, uint64_t seed, double shift)
{
    tide_rng r;
    tide_rng_seed(&r, seed);
    for (int i = 0; i < n; i++) x[i] = shift - log(1 - tide_rng_uniform(&r)); /* skewed: Exp(1) */
}

static void test_mean_diff(void **st)
{
    (void)st;
    enum { NA = 300, NB = 200 };
    double a[NA], b[NB];
    draw(a, NA, 1, 0), draw(b, NB, 2, 0.25);
    tide_ab_interval iv, iv2;
    assert_int_equal(tide_ab_boot_mean_diff_ci(a, NA, b, NB, 4000, 7, 0.95, &iv), TIDE_OK);
    double ma = 0, mb = 0, va = 0, vb = 0;
    for (int i = 0; i < NA; i++) ma += a[i] / NA;
    for (int i = 0; i < NB; i++) mb += b[i] / NB;
    for (int i = 0; i < NA; i++) va += (a[i] - ma) * (a[i] - ma) / NA;
    for (int i = 0; i < NB; i++) vb += (b[i] - mb) * (b[i] - mb) / NB;
    NEAR(iv.est, mb - ma, 1e-12);
    /* the bootstrap variance of a mean difference is the plug-in va/na + vb/nb; with 4000
     * replicates its sd is within about 2.2 % (sd of a sample sd ~ 1/sqrt(2B)) */
    assert_true(fabs(iv.se / sqrt(va / NA + vb / NB) - 1) < 0.05);
    assert_true(iv.pct_lo < iv.est && iv.est < iv.pct_hi && iv.bca_lo < iv.est && iv.est < iv.bca_hi);
    /* same seed, same interval; another seed moves it a little */
    assert_int_equal(tide_ab_boot_mean_diff_ci(a, NA, b, NB, 4000, 7, 0.95, &iv2), TIDE_OK);
    assert_true(iv2.bca_lo == iv.bca_lo && iv2.pct_hi == iv.pct_hi);
    assert_int_equal(tide_ab_boot_mean_diff_ci(a, NA, b, NB, 4000, 8, 0.95, &iv2), TIDE_OK);
    assert_true(iv2.pct_lo != iv.pct_lo && fabs(iv2.pct_lo - iv.pct_lo) < 0.3 * iv.se);
    /* the acceleration of a mean is skewness / (6 sqrt(n)): small at these sizes */
    assert_true(fabs(iv.accel) < 0.05);
}

static void test_indices(void **st)
{
    (void)st;
    enum { N = 10, B = 20000 };
    int32_t *idx = malloc(sizeof(int32_t) * N * B);
    assert_int_equal(tide_ab_boot_indices(N, B, 3, 0, idx), TIDE_OK);
    double cnt[N] = {0}, x2 = 0;
    for (int i = 0; i < N * B; i++) {
        assert_true(idx[i] >= 0 && idx[i] < N);
        cnt[idx[i]]++;
    }
    for (int k = 0; k < N; k++) x2 += (cnt[k] - B) * (cnt[k] - B) / B;
    assert_true(tide_chi2_sf(x2, N - 1) > 1e-3);
    int32_t first = idx[0];
    assert_int_equal(tide_ab_boot_indices(N, B, 3, 1, idx), TIDE_OK); /* another group stream */
    int same = 0;
    for (int i = 0; i < 1000; i++) same += idx[i] == first;
    assert_true(same < 200);
    free(idx);
}

static void test_errors(void **st)
{
    (void)st;
    double a[3] = {1, 2, NAN}, b[3] = {1, 2, 3}, r[3];
    tide_ab_interval iv;
    assert_int_equal(tide_ab_boot_mean_diff_ci(a, 3, b, 3, 100, 1, 0.95, &iv), TIDE_ERR);
    assert_non_null(strstr(tide_error(), "a[3] is not finite"));
    assert_int_equal(tide_ab_boot_mean_diff_ci(b, 1, b, 3, 100, 1, 0.95, &iv), TIDE_ERR);
    assert_non_null(strstr(tide_error(), "at least 2"));
    assert_int_equal(tide_ab_boot_mean_diff_ci(b, 3, b, 3, 100, 1, 1.5, &iv), TIDE_ERR);
    assert_non_null(strstr(tide_error(), "level"));
    assert_int_equal(tide_ab_boot_mean_diff(b, 3, b, 3, 1, 1, r), TIDE_ERR);
    int64_t gn[1] = {1};
    double reps[3] = {1, 2, 3};
    assert_int_equal(tide_ab_boot_ci(reps, 3, 2, 1, gn, b, 0.9, &iv), TIDE_ERR);
    assert_non_null(strstr(tide_error(), "jackknife group 1"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ci_formulas),
        cmocka_unit_test(test_mean_diff),
        cmocka_unit_test(test_indices),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
