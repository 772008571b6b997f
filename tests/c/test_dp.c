/* test_dp.c — DP mechanisms: Gaussian calibration against scipy (brentq on Balle & Wang's
 * Theorem 8 condition), RDP of the sampled Gaussian against 50-digit mpmath sums of the same
 * series, the closed form q = 1, the (eps, delta) conversion by hand, noise moments. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <math.h>
#include <stdlib.h>

#include "dp.h"
#include "error.h"

static void near(double got, double want, double rel)
{
    if (fabs(got - want) > rel * fabs(want)) fail_msg("got %.17g, want %.17g", got, want);
}

static void test_gauss_sigma(void **state)
{
    (void)state;
    double s;
    /* python: brentq(lambda x: delta(s, e, x) - d, 1e-3, 1e4, xtol=1e-14) */
    assert_int_equal(tide_dp_gauss_sigma(1, 1, 1e-5, 1, &s), TIDE_OK);
    near(s, 3.730631634815946, 1e-10);
    assert_int_equal(tide_dp_gauss_sigma(2, 3, 1e-5, 1, &s), TIDE_OK);
    near(s, 2.781186913349074, 1e-10);
    assert_int_equal(tide_dp_gauss_sigma(1, 0.5, 1e-6, 0, &s), TIDE_OK);
    near(s, 10.597605053700947, 1e-12);
    assert_int_equal(tide_dp_gauss_sigma(1, 1.5, 1e-6, 0, &s), TIDE_ERR); /* classic: eps < 1 */
    assert_int_equal(tide_dp_gauss_sigma(0, 1, 1e-6, 1, &s), TIDE_ERR);
    assert_int_equal(tide_dp_gauss_sigma(1, 1, 1, 1, &s), TIDE_ERR);
    assert_int_equal(tide_dp_gauss_sigma(1, NAN, 1e-5, 1, &s), TIDE_ERR);
}

static void test_rdp_sgm(void **state)
{
    (void)state;
    /* mpmath (dps 50): log(sum_k binom(a,k) (1-q)^(a-k) q^k exp((k^2-k)/(2 s^2))) / (a-1) */
    near(tide_dp_rdp_sgm(0.01, 1.1, 2), 0.0001285100816051618, 1e-9);
    near(tide_dp_rdp_sgm(0.01, 1.1, 8), 0.00058407033552025108, 1e-9);
    near(tide_dp_rdp_sgm(0.01, 1.1, 32), 8.4694164336759256, 1e-9);
    near(tide_dp_rdp_sgm(0.1, 0.8, 16), 10.043909234775738, 1e-9);
    near(tide_dp_rdp_sgm(0.001, 4, 256), 1.0652757384639062, 1e-9);
    near(tide_dp_rdp_sgm(1, 2, 10), 10 / 8.0, 1e-14); /* no subsampling: alpha / (2 sigma^2) */
    assert_true(tide_dp_rdp_sgm(0, 2, 10) == 0);
}

static void test_rdp_to_eps(void **state)
{
    (void)state;
    double orders[3] = {2, 10, 100}, rdp[3] = {0.1, 0.5, 3}, best;
    /* by hand: 0.1 + ln(1e5)/1 = 11.61, 0.5 + ln(1e5)/9 = 1.779, 3 + ln(1e5)/99 = 3.116 */
    near(tide_dp_rdp_to_eps(orders, rdp, 3, 1e-5, &best), 0.5 + log(1e5) / 9, 1e-14);
    assert_true(best == 10);
}

static void test_noise_moments(void **state)
{
    (void)state;
    enum { N = 200000 };
    double *x = malloc(N * sizeof *x);
    assert_non_null(x);
    tide_rng r;
    tide_rng_seed(&r, 3);
    tide_dp_laplace(&r, x, N, 1.5);
    double s = 0, s2 = 0;
    for (int i = 0; i < N; i++) s += x[i], s2 += x[i] * x[i];
    /* mean 0 (se 0.0047), variance 2 b^2 = 4.5 (se sqrt(20 b^4 / N) = 0.05): 5 se bounds */
    assert_true(fabs(s / N) < 0.024);
    assert_true(fabs(s2 / N - 4.5) < 0.25);
    tide_dp_gaussian(&r, x, N, 2);
    s = s2 = 0;
    for (int i = 0; i < N; i++) s += x[i], s2 += x[i] * x[i];
    assert_true(fabs(s / N) < 0.023);           /* se 2/sqrt(N) = 0.0045 */
    assert_true(fabs(s2 / N - 4) < 0.064);      /* se 4 sqrt(2/N) = 0.0127 */
    free(x);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gauss_sigma),
        cmocka_unit_test(test_rdp_sgm),
        cmocka_unit_test(test_rdp_to_eps),
        cmocka_unit_test(test_noise_moments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
