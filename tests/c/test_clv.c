/* test_clv.c — the customer-base engine (clv.h): 2F1 and digamma against closed forms,
 * likelihood gradients against central differences, maximum-likelihood recovery of BG/NBD
 * and Pareto/NBD parameters from customers simulated from the models' own stories, input
 * checks and non-convergence reporting. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "clv.h"
#include "error.h"
#include "rng.h"

#define NEAR(a, b, tol) assert_true(fabs((a) - (b)) <= (tol) * fmax(1, fabs(b)))

static void test_special_closed_forms(void **st)
{
    (void)st;
    double f, d[4];
    for (double z = -0.9; z < 0.95; z += 0.15) {
        /* 2F1(1,1;2;z) = -log(1-z)/z;  2F1(a,b;b;z) = (1-z)^-a (A&S 15.1.3, 15.1.8) */
        assert_int_equal(tide_clv_hyp2f1(1, 1, 2, z, &f, NULL), TIDE_OK);
        NEAR(f, fabs(z) < 1e-12 ? 1 : -log1p(-z) / z, 1e-13);
        assert_int_equal(tide_clv_hyp2f1(0.7, 2.5, 2.5, z, &f, d), TIDE_OK);
        NEAR(f, pow(1 - z, -0.7), 1e-13);
        /* d/da (1-z)^-a = -log(1-z) (1-z)^-a; d/dz = a (1-z)^(-a-1); d/db + d/dc = 0 */
        NEAR(d[0], -log1p(-z) * pow(1 - z, -0.7), 1e-11);
        NEAR(d[3], 0.7 * pow(1 - z, -1.7), 1e-11);
        NEAR(d[1] + d[2], 0.0, 1e-11);
    }
    /* derivatives in a, b, c against central differences at a generic point */
    double p[3] = {1.3, 4.2, 5.9}, h = 1e-6, fp, fm;
    assert_int_equal(tide_clv_hyp2f1(p[0], p[1], p[2], 0.6, &f, d), TIDE_OK);
    for (int i = 0; i < 3; i++) {
        double q[3];
        memcpy(q, p, sizeof q);
        q[i] += h;
        tide_clv_hyp2f1(q[0], q[1], q[2], 0.6, &fp, NULL);
        q[i] -= 2 * h;
        tide_clv_hyp2f1(q[0], q[1], q[2], 0.6, &fm, NULL);
        NEAR(d[i], (fp - fm) / (2 * h), 1e-7);
    }
    assert_int_equal(tide_clv_hyp2f1(1, 1, 2, -1, &f, NULL), TIDE_ERR);
    assert_int_equal(tide_clv_hyp2f1(1, 1, -2, 0.5, &f, NULL), TIDE_ERR);
    assert_non_null(strstr(tide_error(), "non-positive integer"));
    assert_int_equal(tide_clv_hyp2f1(40, 40, 1.5, 0.99999, &f, NULL), TIDE_ERR); /* > 100k terms: refused */
    assert_non_null(strstr(tide_error(), "z too close to 1"));
    assert_int_equal(tide_clv_hyp2f1(200, 200, 1.5, 0.9995, &f, NULL), TIDE_ERR); /* summed, overflows */
    assert_non_null(strstr(tide_error(), "did not converge"));
    /* psi(1) = -Euler gamma, psi(1/2) = -gamma - 2 log 2, psi(x+1) = psi(x) + 1/x */
    const double EG = 0.57721566490153286;
    NEAR(tide_clv_digamma(1), -EG, 1e-15);
    NEAR(tide_clv_digamma(0.5), -EG - 2 * log(2.0), 1e-15);
    NEAR(tide_clv_digamma(13.25), tide_clv_digamma(12.25) + 1 / 12.25, 1e-15);
}

/* A few customers covering x = 0, tx = T and large x. */
static const double X[] = {0, 1, 2, 7, 0, 3, 15, 1};
static const double TX[] = {0, 1.7, 30.4, 35.7, 0, 12, 38.1, 20};
static const double TT[] = {38.9, 32, 38.9, 38.6, 5, 12, 38.5, 21};
static const double MV[] = {0, 11.8, 22.3, 40, 0, 17.5, 29.9, 8};

static void fd_check(tide_clv_model m, const double *th)
{
    tide_clv_data d = {8, X, m == TIDE_CLV_GAMMAGAMMA ? MV : TX, TT, NULL};
    int P = tide_clv_nparams(m);
    double ll, g[4], lp, lm;
    assert_int_equal(tide_clv_loglik(m, th, &d, &ll, g), TIDE_OK);
    for (int i = 0; i < P; i++) {
        double t[4];
        memcpy(t, th, sizeof t);
        double h = 1e-6 * th[i];
        t[i] = th[i] + h;
        assert_int_equal(tide_clv_loglik(m, t, &d, &lp, NULL), TIDE_OK);
        t[i] = th[i] - h;
        assert_int_equal(tide_clv_loglik(m, t, &d, &lm, NULL), TIDE_OK);
        NEAR(g[i], (lp - lm) / (2 * h), 1e-6);
    }
}

static void test_gradients(void **st)
{
    (void)st;
    fd_check(TIDE_CLV_BGNBD, (double[4]){0.24, 4.4, 0.79, 2.4});
    fd_check(TIDE_CLV_MBGNBD, (double[4]){0.5, 6.2, 0.9, 1.6});
    fd_check(TIDE_CLV_PARETONBD, (double[4]){0.55, 10.6, 0.6, 11.7});
    fd_check(TIDE_CLV_PARETONBD, (double[4]){1.2, 15, 2.2, 3});
    fd_check(TIDE_CLV_GAMMAGAMMA, (double[4]){6.2, 3.7, 15.4, 0});
}

/* Gamma(k, 1) by Marsaglia & Tsang (2000), with the k < 1 boost. */
static double rgamma(tide_rng *r, double k)
{
    if (k < 1) return rgamma(r, k + 1) * pow(tide_rng_uniform(r) + 1e-300, 1 / k);
    double dd = k - 1.0 / 3, c = 1 / sqrt(9 * dd);
    for (;;) {
        double z = tide_rng_normal(r), v = 1 + c * z;
        if (v <= 0) continue;
        v = v * v * v;
        double u = tide_rng_uniform(r);
        if (log(u + 1e-300) < 0.5 * z * z + dd - dd * v + dd * log(v)) return dd * v;
    }
}

/* n customers observed for T = 39 (BG/NBD: die with probability p after each purchase;
 * Pareto/NBD: exponential lifetime with rate mu ~ Gamma(s, beta)). */
static void simulate(tide_clv_model m, const double *th, int n, double *x, double *tx, double *T, uint64_t seed)
{
    tide_rng r;
    tide_rng_seed(&r, seed);
    for (int i = 0; i < n; i++) {
        double lam = rgamma(&r, th[0]) / th[1], death;
        double p = 0, life = INFINITY;
        if (m == TIDE_CLV_BGNBD) {
            double ga = rgamma(&r, th[2]), gb = rgamma(&r, th[3]);
            p = ga / (ga + gb);
        } else {
            double mu = rgamma(&r, th[2]) / th[3];
            life = -log(1 - tide_rng_uniform(&r)) / mu;
        }
        T[i] = 39;
        x[i] = 0, tx[i] = 0;
        double t = 0;
        death = life;
        for (;;) {
            t += -log(1 - tide_rng_uniform(&r)) / lam;
            if (t > T[i] || t > death) break;
            x[i] += 1, tx[i] = t;
            if (m == TIDE_CLV_BGNBD && tide_rng_uniform(&r) < p) break;
        }
    }
}

static void recover(tide_clv_model m, const double *truth, uint64_t seed)
{
    enum { N = 6000 };
    static double x[N], tx[N], T[N];
    simulate(m, truth, N, x, tx, T, seed);
    tide_clv_data d = {N, x, tx, T, NULL};
    tide_clv_fit_result res;
    assert_int_equal(tide_clv_fit(m, &d, NULL, 0, 0, &res), TIDE_OK);
    assert_true(res.converged);
    for (int i = 0; i < 4; i++) {
        assert_true(res.se[i] > 0);
        /* within 4 standard errors of the truth */
        assert_true(fabs(res.theta[i] - truth[i]) < 4 * res.se[i]);
    }
}

static void test_recovery(void **st)
{
    (void)st;
    recover(TIDE_CLV_BGNBD, (double[4]){0.5, 5, 0.8, 2.5}, 11);
    recover(TIDE_CLV_PARETONBD, (double[4]){0.6, 8, 0.8, 12}, 12);
}

static void test_checks_and_failures(void **st)
{
    (void)st;
    double x[] = {1, 0}, tx[] = {2, 0}, T[] = {5, 5}, w[] = {1, 1};
    tide_clv_data d = {2, x, tx, T, w};
    assert_int_equal(tide_clv_check(TIDE_CLV_BGNBD, &d), TIDE_OK);
    tx[0] = 6;
    assert_int_equal(tide_clv_check(TIDE_CLV_BGNBD, &d), TIDE_ERR);
    assert_non_null(strstr(tide_error(), "customer 1: recency 6 is after T 5"));
    tx[0] = 2, x[1] = 0.5;
    assert_int_equal(tide_clv_check(TIDE_CLV_PARETONBD, &d), TIDE_ERR);
    assert_non_null(strstr(tide_error(), "customer 2: frequency 0.5"));
    x[1] = 0, w[0] = w[1] = 0;
    assert_int_equal(tide_clv_check(TIDE_CLV_BGNBD, &d), TIDE_ERR);
    assert_non_null(strstr(tide_error(), "weights are 0"));
    w[0] = w[1] = 1;
    d.n = 0;
    assert_int_equal(tide_clv_check(TIDE_CLV_MBGNBD, &d), TIDE_ERR);
    /* only non-repeaters: r/alpha run to 0, the fit says so instead of returning numbers */
    double x0[] = {0, 0, 0}, t0[] = {0, 0, 0}, T0[] = {10, 20, 30};
    tide_clv_data z = {3, x0, t0, T0, NULL};
    tide_clv_fit_result res;
    assert_int_equal(tide_clv_fit(TIDE_CLV_BGNBD, &z, NULL, 0, 0, &res), TIDE_OK);
    assert_false(res.converged);
    assert_true(strlen(res.reason) > 0);
    /* bad parameters and predictions for the wrong model */
    double ll, bad[4] = {1, -1, 1, 1}, out[2];
    d.n = 2;
    assert_int_equal(tide_clv_loglik(TIDE_CLV_BGNBD, bad, &d, &ll, NULL), TIDE_ERR);
    assert_non_null(strstr(tide_error(), "alpha = -1"));
    double good[4] = {1, 1, 1, 1}, t = 1;
    assert_int_equal(tide_clv_predict(TIDE_CLV_BGNBD, TIDE_CLV_COND_VALUE, good, &t, 1, &d, out), TIDE_ERR);
    assert_int_equal(tide_clv_lookup("bgnbd"), TIDE_CLV_BGNBD);
    assert_int_equal(tide_clv_lookup("nope"), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_special_closed_forms), cmocka_unit_test(test_gradients),
        cmocka_unit_test(test_recovery), cmocka_unit_test(test_checks_and_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
