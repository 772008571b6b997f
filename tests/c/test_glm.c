/* test_glm.c — penalised logistic regression (glm.h): gradient and Hessian against finite
 * differences, the intercept-only closed form, IRLS and L-BFGS agreeing, the l1 optimality
 * (KKT) conditions, covariance = inverse Hessian, separation and input errors; the Cholesky
 * helpers; isotonic PAV on hand-worked cases; and the new classification metrics (average
 * precision, lift, gain, Brier, reliability bins) on hand-worked cases. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "error.h"
#include "glm.h"
#include "metrics.h"

#define N 300
#define D 4
static float X[N * D], Y[N], W[N], SOFT[N];

/* deterministic data: features of different scales, labels from a known logit */
static void make_data(void)
{
    for (int i = 0; i < N; i++) {
        for (int j = 0; j < D; j++) X[i * D + j] = (float)(sin(1.3 * i + 2.1 * j + 0.3 * i * j) * (j + 1) + 5 * (j == 2));
        double eta = 0.3 + 0.8 * X[i * D] - 0.5 * X[i * D + 1] + 0.2 * (X[i * D + 2] - 5);
        double u = 0.5 + 0.5 * sin(7.77 * i * i + 0.1);
        Y[i] = u < 1 / (1 + exp(-eta)) ? 1.0f : 0.0f;
        W[i] = (float)(0.5 + (i % 5) * 0.25);
        SOFT[i] = (float)(0.1 + 0.8 * (0.5 + 0.5 * cos(0.37 * i)));
    }
}

static void test_gradient_hessian_fd(void **st)
{
    (void)st;
    make_data();
    double mean[D] = {0.1, -0.2, 5, 0.3}, sd[D] = {0.7, 1.5, 3, 4}, b[D + 1] = {0.2, -0.4, 0.9, 0.1, -0.3};
    double g[D + 1], H[(D + 1) * (D + 1)], gp[D + 1], gm[D + 1], h = 1e-5, l2 = 0.8;
    tide_glm_objective(N, D, X, SOFT, W, mean, sd, l2, b, g, H);
    for (int j = 0; j <= D; j++) {
        double bp[D + 1], bm[D + 1];
        memcpy(bp, b, sizeof b);
        memcpy(bm, b, sizeof b);
        bp[j] += h, bm[j] -= h;
        double fp = tide_glm_objective(N, D, X, SOFT, W, mean, sd, l2, bp, gp, NULL);
        double fm = tide_glm_objective(N, D, X, SOFT, W, mean, sd, l2, bm, gm, NULL);
        assert_true(fabs(g[j] - (fp - fm) / (2 * h)) < 1e-5 * fmax(1, fabs(g[j])));
        for (int k = 0; k <= D; k++)
            assert_true(fabs(H[j * (D + 1) + k] - (gp[k] - gm[k]) / (2 * h)) < 1e-5 * fmax(1, fabs(H[j * (D + 1) + k])));
    }
}

static void test_intercept_only_closed_form(void **st)
{
    (void)st;
    make_data();
    tide_glm_opts o;
    tide_glm_default_opts(&o);
    o.l2 = 0;
    tide_glm_model m;
    assert_int_equal(tide_glm_fit(N, 0, X, Y, W, &o, &m), TIDE_OK);
    double sw = 0, sy = 0;
    for (int i = 0; i < N; i++) sw += W[i], sy += W[i] * Y[i];
    assert_true(m.converged);
    assert_true(fabs(m.beta[0] - log(sy / (sw - sy))) < 1e-9); /* weighted logit of the mean */
    /* Var = 1 / (sum w p (1 - p)) */
    double p = sy / sw;
    assert_true(fabs(m.cov[0] - 1 / (sw * p * (1 - p))) < 1e-9 * m.cov[0]);
    tide_glm_model_free(&m);
    tide_glm_model_free(&m); /* idempotent */
}

static void test_solvers_agree(void **st)
{
    (void)st;
    make_data();
    tide_glm_opts o;
    tide_glm_default_opts(&o);
    o.l2 = 0.5;
    tide_glm_model a, b;
    o.solver = TIDE_GLM_IRLS;
    assert_int_equal(tide_glm_fit(N, D, X, Y, W, &o, &a), TIDE_OK);
    o.solver = TIDE_GLM_LBFGS;
    assert_int_equal(tide_glm_fit(N, D, X, Y, W, &o, &b), TIDE_OK);
    assert_true(a.converged && b.converged);
    for (int j = 0; j <= D; j++) assert_true(fabs(a.beta[j] - b.beta[j]) < 1e-6);
    /* cov H = I with H from the objective at the optimum */
    double H[(D + 1) * (D + 1)];
    tide_glm_objective(N, D, X, Y, W, a.mean, a.sd, o.l2, a.beta, NULL, H);
    for (int i = 0; i <= D; i++)
        for (int j = 0; j <= D; j++) {
            double s = 0;
            for (int k = 0; k <= D; k++) s += a.cov[i * (D + 1) + k] * H[k * (D + 1) + j];
            assert_true(fabs(s - (i == j)) < 1e-9);
        }
    tide_glm_model_free(&a);
    tide_glm_model_free(&b);
}

static void test_l1_kkt(void **st)
{
    (void)st;
    make_data();
    tide_glm_opts o;
    tide_glm_default_opts(&o);
    o.l2 = 0.3;
    o.l1 = 25;
    tide_glm_model m;
    assert_int_equal(tide_glm_fit(N, D, X, Y, NULL, &o, &m), TIDE_OK);
    assert_true(m.converged);
    double g[D + 1];
    tide_glm_objective(N, D, X, Y, NULL, m.mean, m.sd, o.l2, m.beta, g, NULL);
    int zeros = 0;
    assert_true(fabs(g[0]) < 1e-5);
    for (int j = 1; j <= D; j++) {
        if (m.beta[j] == 0) {
            zeros++;
            assert_true(fabs(g[j]) <= o.l1 + 1e-5);          /* 0 in the subdifferential */
            assert_true(isnan(m.cov[j * (D + 1) + j]));      /* no SE for a dropped feature */
        } else {
            assert_true(fabs(g[j] + copysign(o.l1, m.beta[j])) < 1e-5);
        }
    }
    assert_true(zeros >= 1 && zeros < D); /* this l1 drops some but not all features */
    tide_glm_model_free(&m);
}

static void test_separation_and_errors(void **st)
{
    (void)st;
    float x[20], y[20];
    for (int i = 0; i < 20; i++) x[i] = (float)i, y[i] = i >= 10;
    tide_glm_opts o;
    tide_glm_default_opts(&o);
    o.l2 = 0;
    tide_glm_model m;
    assert_int_equal(tide_glm_fit(20, 1, x, y, NULL, &o, &m), TIDE_OK);
    assert_false(m.converged);
    assert_non_null(strstr(m.message, "separa"));
    tide_glm_model_free(&m);
    o.l2 = 1e-2;
    assert_int_equal(tide_glm_fit(20, 1, x, y, NULL, &o, &m), TIDE_OK);
    assert_true(m.converged && isfinite(m.beta[1]) && m.beta[1] > 0);
    tide_glm_model_free(&m);
    x[13] = NAN;
    assert_int_equal(tide_glm_fit(20, 1, x, y, NULL, &o, &m), TIDE_ERR);
    assert_non_null(strstr(tide_error(), "row 14 column 1 is NaN"));
    tide_glm_model_free(&m);
    x[13] = 13, y[3] = 1.5f;
    assert_int_equal(tide_glm_fit(20, 1, x, y, NULL, &o, &m), TIDE_ERR);
    assert_non_null(strstr(tide_error(), "target 4"));
    y[3] = 0;
    assert_int_equal(tide_glm_fit(0, 1, x, y, NULL, &o, &m), TIDE_ERR);
    o.l1 = 1, o.solver = TIDE_GLM_LBFGS;
    assert_int_equal(tide_glm_fit(20, 1, x, y, NULL, &o, &m), TIDE_ERR);
    assert_non_null(strstr(tide_error(), "cannot handle l1"));
    tide_glm_default_opts(&o);
    float w[20] = {0};
    assert_int_equal(tide_glm_fit(20, 1, x, y, w, &o, &m), TIDE_ERR);
    assert_non_null(strstr(tide_error(), "total weight is 0"));
    tide_glm_model_free(&m);
}

static void test_cholesky(void **st)
{
    (void)st;
    double A[9] = {4, 2, 0.6, 2, 5, 1, 0.6, 1, 3}, L[9], inv[9];
    memcpy(L, A, sizeof A);
    assert_int_equal(tide_glm_cholesky(3, L), 0);
    tide_glm_chol_inverse(3, L, inv);
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) {
            double s = 0;
            for (int k = 0; k < 3; k++) s += A[i * 3 + k] * inv[k * 3 + j];
            assert_true(fabs(s - (i == j)) < 1e-12);
        }
    double B[4] = {1, 2, 2, 1}; /* indefinite */
    assert_int_equal(tide_glm_cholesky(2, B), -1);
}

static void test_isotonic(void **st)
{
    (void)st;
    double kx[8], ky[8];
    int64_t k;
    /* y = 1, 3, 2, 2.5, 5: PAV pools {3, 2} to 2.5, which 2.5 does not violate; the middle
     * point of the flat run 2.5, 2.5, 2.5 carries no information and is dropped */
    float x1[5] = {1, 2, 3, 4, 5}, y1[5] = {1, 3, 2, 2.5f, 5};
    assert_int_equal(tide_isotonic_fit(5, x1, y1, NULL, kx, ky, &k), TIDE_OK);
    assert_int_equal(k, 4);
    double ex[4] = {1, 2, 4, 5}, ey[4] = {1, 2.5, 2.5, 5};
    for (int i = 0; i < 4; i++) assert_true(kx[i] == ex[i] && fabs(ky[i] - ey[i]) < 1e-12);
    /* ties in x are pooled by weight first: x = 1 gets (0*1 + 1*3)/4 = 0.75 over weight 4, then
     * x = 2 (y 0, weight 2) violates: (0.75*4 + 0)/6 = 0.5 */
    float x2[3] = {1, 2, 1}, y2[3] = {0, 0, 1}, w2[3] = {1, 2, 3};
    assert_int_equal(tide_isotonic_fit(3, x2, y2, w2, kx, ky, &k), TIDE_OK);
    assert_int_equal(k, 2);
    assert_true(fabs(ky[0] - 0.5) < 1e-12 && fabs(ky[1] - 0.5) < 1e-12);
    /* application: interpolation inside, clipping outside */
    float q[4] = {0, 3, 4.5f, 9}, out[4];
    double kx3[3] = {1, 2, 5}, ky3[3] = {0, 1, 4};
    tide_isotonic_apply(3, kx3, ky3, 4, q, out);
    assert_true(out[0] == 0 && fabs(out[1] - 2) < 1e-6 && fabs(out[2] - 3.5) < 1e-6 && out[3] == 4);
    float bad[2] = {NAN, 1};
    assert_int_equal(tide_isotonic_fit(2, bad, y1, NULL, kx, ky, &k), TIDE_ERR);
}

static void test_classification_metrics(void **st)
{
    (void)st;
    /* AP: descending 0.9 (pos) 0.7 (neg) 0.5 (pos) 0.2 (neg): 1 * 1/2 + 2/3 * 1/2 */
    float s[4] = {0.5f, 0.9f, 0.2f, 0.7f}, y[4] = {1, 1, 0, 0};
    assert_true(fabs(tide_average_precision(4, s, y) - (0.5 + 1.0 / 3)) < 1e-12);
    /* lift: 10 rows, positives ranked 1, 4, 9; top 20 % = 2 rows hold 1: precision 1/2, base
     * rate 3/10 -> lift 5/3, captured 1/3 */
    float s2[10], y2[10] = {1, 0, 0, 1, 0, 0, 0, 0, 1, 0};
    for (int i = 0; i < 10; i++) s2[i] = (float)(10 - i);
    double o[3];
    assert_int_equal(tide_lift_at(10, s2, y2, 0.2, o), TIDE_OK);
    assert_true(fabs(o[0] - 5.0 / 3) < 1e-12 && fabs(o[1] - 0.5) < 1e-12 && fabs(o[2] - 1.0 / 3) < 1e-12);
    /* a tie group of 3 (one positive) cut after 1 of its rows counts 1/3 of a positive */
    float s3[5] = {9, 5, 5, 5, 1}, y3[5] = {0, 0, 1, 0, 1};
    assert_int_equal(tide_lift_at(5, s3, y3, 0.4, o), TIDE_OK);
    assert_true(fabs(o[1] - (1.0 / 3) / 2) < 1e-12);
    assert_int_equal(tide_lift_at(5, s3, y3, 1.5, o), TIDE_ERR);
    /* gain: groups {9}, {5, 5, 5}, {1} -> (0,0) (0.2,0) (0.8,0.5) (1,1) */
    double fr[6], cap[6];
    assert_int_equal(tide_gain_curve(5, s3, y3, fr, cap), 4);
    double ef[4] = {0, 0.2, 0.8, 1}, ec[4] = {0, 0, 0.5, 1};
    for (int i = 0; i < 4; i++) assert_true(fabs(fr[i] - ef[i]) < 1e-12 && fabs(cap[i] - ec[i]) < 1e-12);
    /* Brier: ((0.5-1)^2 + (0.9-1)^2 + 0.2^2 + 0.7^2) / 4 */
    assert_true(fabs(tide_brier(4, s, y) - (0.25 + 0.01 + 0.04 + 0.49) / 4) < 1e-7);
    /* reliability, uniform 2 bins: 0.5 belongs to (0, 0.5] */
    float p[5] = {0.05f, 0.1f, 0.15f, 0.5f, 0.95f}, yp[5] = {0, 0, 1, 1, 1};
    double edges[3], stats[6];
    assert_int_equal(tide_reliability(5, p, yp, 2, 0, edges, stats), TIDE_OK);
    assert_true(stats[0] == 4 && stats[3] == 1 && stats[2] == 2 && fabs(stats[4] - 0.95) < 1e-7);
    /* quantile edges: numpy percentiles 0, 50, 100 of p = 0.05, 0.15, 0.95 */
    assert_int_equal(tide_reliability(5, p, yp, 2, 1, edges, stats), TIDE_OK);
    assert_true(fabs(edges[1] - 0.15) < 1e-7 && stats[0] == 3 && stats[3] == 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gradient_hessian_fd), cmocka_unit_test(test_intercept_only_closed_form),
        cmocka_unit_test(test_solvers_agree),       cmocka_unit_test(test_l1_kkt),
        cmocka_unit_test(test_separation_and_errors), cmocka_unit_test(test_cholesky),
        cmocka_unit_test(test_isotonic),            cmocka_unit_test(test_classification_metrics),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
