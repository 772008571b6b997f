/* test_arima.c — the CSS ARIMA engine (arima.h): AR(1) estimates equal the OLS closed form,
 * the analytic CSS gradient matches central differences, the step-down stability test agrees
 * with known roots, psi weights and forecasts match closed forms, the Kalman-filter exact
 * likelihood equals the AR(1) closed form and its ML fit is a maximum, bad input fails. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "arima.h"
#include "error.h"
#include "rng.h"

#define NEAR(a, b, tol) assert_true(fabs((a) - (b)) <= (tol) * fmax(1, fabs(b)))
#define N 400

static double X[N];

static int setup(void **st)
{
    (void)st;
    tide_rng r;
    tide_rng_seed(&r, 2024);
    double prev = 1.5, ep = 0;
    for (int t = 0; t < N; t++) { /* ARMA(1,1) around 1.5: phi 0.6, theta 0.3 */
        double e = tide_rng_normal(&r);
        prev = 1.5 + 0.6 * (prev - 1.5) + e + 0.3 * ep;
        ep = e;
        X[t] = prev;
    }
    return 0;
}

static void test_ar1_is_ols(void **st)
{
    (void)st;
    tide_arima_fit_result r;
    assert_int_equal(tide_arima_fit(X, N, 1, 0, 0, 1, 0, &r), TIDE_OK);
    assert_true(r.converged);
    double n = N - 1, sx = 0, sy = 0, sxx = 0, sxy = 0;
    for (int t = 1; t < N; t++) sx += X[t - 1], sy += X[t], sxx += X[t - 1] * X[t - 1], sxy += X[t - 1] * X[t];
    double phi = (sxy - sx * sy / n) / (sxx - sx * sx / n), c = (sy - phi * sx) / n;
    NEAR(r.params[0], phi, 1e-7);
    NEAR(r.params[1], c / (1 - phi), 1e-7);
    assert_int_equal(r.nobs, N - 1);
    NEAR(r.loglik, -0.5 * r.nobs * (log(2 * M_PI * r.sigma2) + 1), 1e-12);
    /* the ARMA(1,1) fit lands near the truth (within 4 standard errors) */
    assert_int_equal(tide_arima_fit(X, N, 1, 0, 1, 1, 0, &r), TIDE_OK);
    assert_true(r.converged && r.stationary && r.invertible);
    assert_true(fabs(r.params[0] - 0.6) < 4 * r.se[0]);
    assert_true(fabs(r.params[1] - 0.3) < 4 * r.se[1]);
}

static void test_css_gradient(void **st)
{
    (void)st;
    double par[5] = {0.4, -0.1, 0.2, 0.15, 1.2}, g[5], sp, sm, s;
    assert_int_equal(tide_arima_css(X, N, 2, 2, 1, 2, par, &s, g, NULL), TIDE_OK);
    for (int i = 0; i < 5; i++) {
        double q[5];
        memcpy(q, par, sizeof q);
        q[i] += 1e-6;
        tide_arima_css(X, N, 2, 2, 1, 2, q, &sp, NULL, NULL);
        q[i] -= 2e-6;
        tide_arima_css(X, N, 2, 2, 1, 2, q, &sm, NULL, NULL);
        NEAR(g[i], (sp - sm) / 2e-6, 1e-6);
    }
}

static void test_stability_psi_forecast(void **st)
{
    (void)st;
    /* 1 - 1.5z + 0.56z^2 = (1 - 0.7z)(1 - 0.8z): stable; (1 - 1.2z)(1 - 0.5z) is not */
    assert_true(tide_arima_stable((double[]){1.5, -0.56}, 2));
    assert_false(tide_arima_stable((double[]){1.7, -0.6}, 2));
    assert_false(tide_arima_stable((double[]){1.0}, 1));
    double psi[6];
    tide_arima_psi((double[]){0.6}, 1, 1, NULL, 0, 6, psi); /* ARIMA(1,1,0) */
    for (int j = 0; j < 6; j++) NEAR(psi[j], (1 - pow(0.6, j + 1)) / 0.4, 1e-14);
    /* random walk: flat forecast, se = sigma sqrt(h) */
    double rw[50], mean[3], se[3], s = 0;
    for (int t = 0; t < 50; t++) rw[t] = s += sin(t * 1.7);
    assert_int_equal(tide_arima_forecast(rw, 50, 0, 1, 0, 0, 0, NULL, 2.0, 3, mean, se), TIDE_OK);
    for (int h = 0; h < 3; h++) {
        NEAR(mean[h], rw[49], 1e-14);
        NEAR(se[h], sqrt(2.0 * (h + 1)), 1e-14);
    }
    /* AR(1) with mean: mu + phi^h (x_n - mu) */
    double par[2] = {0.5, 1.5};
    assert_int_equal(tide_arima_forecast(X, N, 1, 0, 0, 1, 0, par, 1.0, 3, mean, se), TIDE_OK);
    for (int h = 0; h < 3; h++) NEAR(mean[h], 1.5 + pow(0.5, h + 1) * (X[N - 1] - 1.5), 1e-13);
}

/* AR(1) exact likelihood in closed form (Hamilton 5.2.9 with sigma^2 concentrated):
 * S = (1 - phi^2)(x_1 - mu)^2 + sum (x_t - mu - phi (x_{t-1} - mu))^2, sigma^2 = S / n,
 * LL = -n/2 (log(2 pi sigma^2) + 1) + 1/2 log(1 - phi^2) */
static void test_exact_ar1(void **st)
{
    (void)st;
    double phi = 0.45, mu = 1.4, S = (1 - phi * phi) * (X[0] - mu) * (X[0] - mu);
    for (int t = 1; t < N; t++) {
        double v = X[t] - mu - phi * (X[t - 1] - mu);
        S += v * v;
    }
    double want = -0.5 * N * (log(2 * M_PI * S / N) + 1) + 0.5 * log(1 - phi * phi), ll, s2;
    assert_int_equal(tide_arima_exact_loglik(X, N, 1, 0, 1, (double[]){phi, mu}, &ll, &s2), TIDE_OK);
    NEAR(ll, want, 1e-12);
    NEAR(s2, S / N, 1e-12);
    /* the ML fit maximises it: no neighbour is better, and the estimate is stationary */
    tide_arima_fit_result r;
    assert_int_equal(tide_arima_fit_ml(X, N, 1, 0, 1, 1, &r), TIDE_OK);
    assert_true(r.converged && r.stationary && r.invertible);
    for (int k = 0; k < 3; k++)
        for (int sgn = -1; sgn <= 1; sgn += 2) {
            double q[3] = {r.params[0], r.params[1], r.params[2]};
            q[k] += sgn * 1e-3;
            assert_int_equal(tide_arima_exact_loglik(X, N, 1, 1, 1, q, &ll, NULL), TIDE_OK);
            assert_true(ll <= r.loglik + 1e-9);
        }
    assert_int_equal(tide_arima_exact_loglik(X, N, 1, 0, 1, (double[]){1.0, 0}, &ll, NULL), TIDE_ERR);
}

static void test_bad_input(void **st)
{
    (void)st;
    tide_arima_fit_result r;
    assert_int_equal(tide_arima_fit(X, 4, 2, 0, 1, 1, 0, &r), TIDE_ERR);
    assert_non_null(strstr(tide_error(), "too few"));
    assert_int_equal(tide_arima_fit(X, N, 1, 5, 0, 1, 0, &r), TIDE_ERR);
    double bad[3] = {1, NAN, 2};
    assert_int_equal(tide_arima_fit(bad, 3, 0, 0, 0, 1, 0, &r), TIDE_ERR);
    assert_non_null(strstr(tide_error(), "not finite"));
    double mean[1], se[1];
    assert_int_equal(tide_arima_forecast(X, N, 1, 0, 0, 1, 0, (double[]){0.5, 1}, 1, 0, mean, se), TIDE_ERR);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ar1_is_ols), cmocka_unit_test(test_css_gradient),
        cmocka_unit_test(test_stability_psi_forecast), cmocka_unit_test(test_exact_ar1),
        cmocka_unit_test(test_bad_input),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
