/* test_decay_response_frailty.c — the gamma-frailty term (decay_frailty.h) against the
 * lgamma closed form, its Λ- and κ-derivatives against central differences, its limit −Λ as
 * κ → ∞ without lgamma noise, and the posterior mean; then the response likelihood with a
 * frailty against the frailty-free one plus the term, on a two-pair example; and the floor that
 * keeps a fitted μ or weight from underflowing to exactly 0. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "decay_frailty.h"
#include "decay_response.h"

/* log Γ(κ + n) − log Γ(κ) + κ log κ − (κ + n) log(κ + Λ), straight from the definition */
static double closed(double kappa, int n, double lam)
{
    return lgamma(kappa + n) - lgamma(kappa) + kappa * log(kappa) - (kappa + n) * log(kappa + lam);
}

static void test_term_matches_lgamma_and_derivatives(void **st)
{
    (void)st;
    double ks[] = {0.3, 1, 2.5, 40}, lams[] = {0, 0.2, 3, 17};
    int ns[] = {0, 1, 4, 25};
    for (int a = 0; a < 4; a++)
        for (int b = 0; b < 4; b++)
            for (int c = 0; c < 4; c++) {
                double k = ks[a], lam = lams[b], dl, dk;
                int n = ns[c];
                double v = tide_frailty_term(k, n, lam, &dl, &dk);
                assert_true(fabs(v - closed(k, n, lam)) < 1e-9 * fmax(1, fabs(v)));
                double h = 1e-6;
                double fk = (closed(k * (1 + h), n, lam) - closed(k * (1 - h), n, lam)) / (2 * h * k);
                assert_true(fabs(dk - fk) < 1e-5 * fmax(1, fabs(fk)));
                if (lam > 0) {
                    double fl = (closed(k, n, lam + h) - closed(k, n, lam - h)) / (2 * h);
                    assert_true(fabs(dl - fl) < 1e-5 * fmax(1, fabs(fl)));
                }
                assert_true(fabs(tide_frailty_posterior(k, n, lam) - (k + n) / (k + lam)) < 1e-15);
                assert_true(fabs(-dl - tide_frailty_posterior(k, n, lam)) < 1e-15);
            }
}

static void test_huge_kappa_is_poisson(void **st)
{
    (void)st;
    double dl, dk;
    for (int n = 0; n < 5; n++) {
        double v = tide_frailty_term(1e13, n, 2.5, &dl, &dk);
        assert_true(fabs(v - -2.5) < 1e-9); /* lgamma differences here would be off by ~1e-3 */
        assert_true(fabs(dl + 1) < 1e-9);
        assert_true(fabs(dk) < 1e-12);
    }
}

static void test_response_loglik_adds_the_term(void **st)
{
    (void)st;
    /* pair 0: browse 0, buy 2, buy 5; pair 1: browse 3; window [0, 10) */
    int64_t off[] = {0, 3, 4};
    double time[] = {0, 2, 5, 3};
    int32_t type[] = {0, 1, 1, 0};
    uint8_t target[] = {0, 1, 1, 0};
    tide_response_data d = {2, off, time, type, target, 2, 0, 10, 0, 0, 0, NULL, 0};
    double mu = 0.05, w0 = 0.3, w1 = 0.5, b = 0.7, kappa = 1.7;
    double par[] = {mu, w0, w1, b, kappa}, ll0, ll1;
    assert_int_equal(tide_response_loglik(&d, TIDE_DECAY_EXP, 1, par, &ll0, NULL), 0);
    d.frailty = 1;
    assert_int_equal(tide_response_loglik(&d, TIDE_DECAY_EXP, 1, par, &ll1, NULL), 0);
    /* compensators by hand: Λ0 = 10μ + w0(1 − e^{−10b}) + w1(1 − e^{−8b}) + w1(1 − e^{−5b}) */
    double L0 = 10 * mu + w0 * (1 - exp(-10 * b)) + w1 * (1 - exp(-8 * b)) + w1 * (1 - exp(-5 * b));
    double L1 = 7 * mu + w0 * (1 - exp(-7 * b));
    double want = ll0 + L0 + L1 + closed(kappa, 2, L0) + closed(kappa, 0, L1);
    assert_true(fabs(ll1 - want) < 1e-10);
}

static void test_from_free_never_underflows_to_zero(void **st)
{
    (void)st;
    /* μ, one weight, an exponential rate: free parameters far below log(DBL_MIN) */
    double u[3] = {-800, -1e4, log(0.5)}, par[3];
    tide_response_from_free(TIDE_DECAY_EXP, 1, 1, u, par);
    assert_true(par[0] > 0 && par[0] < 1e-300);
    assert_true(par[1] > 0 && par[1] < 1e-300);
    assert_true(fabs(par[2] - 0.5) < 1e-15);
    u[0] = -3;
    tide_response_from_free(TIDE_DECAY_EXP, 1, 1, u, par);
    assert_true(fabs(par[0] - exp(-3)) < 1e-18);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_term_matches_lgamma_and_derivatives),
        cmocka_unit_test(test_huge_kappa_is_poisson),
        cmocka_unit_test(test_response_loglik_adds_the_term),
        cmocka_unit_test(test_from_free_never_underflows_to_zero),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
