/* test_lbfgs.c — L-BFGS reaches known optima: a convex quadratic (solution of A x = b by
 * Cholesky in the test), logistic regression (checked against Newton's method written here),
 * Rosenbrock (1,1), a problem with a domain (inf outside), and reverse communication. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lbfgs.h"

/* f = 0.5 x'Ax - b'x, A = M'M + I with M fixed */
#define QN 6
static double QA[QN][QN], QB[QN];
static void quad_setup(void)
{
    double M[QN][QN];
    for (int i = 0; i < QN; i++)
        for (int j = 0; j < QN; j++) M[i][j] = sin(1.0 + i * 7 + j * 3);
    for (int i = 0; i < QN; i++) {
        QB[i] = cos(i + 0.5);
        for (int j = 0; j < QN; j++) {
            double s = (i == j);
            for (int k = 0; k < QN; k++) s += M[k][i] * M[k][j];
            QA[i][j] = s;
        }
    }
}
static double quad_fn(const double *x, double *g, int64_t n, void *ctx)
{
    (void)ctx;
    double f = 0;
    for (int i = 0; i < n; i++) {
        double ax = 0;
        for (int j = 0; j < n; j++) ax += QA[i][j] * x[j];
        g[i] = ax - QB[i];
        f += 0.5 * x[i] * ax - QB[i] * x[i];
    }
    return f;
}
static void test_quadratic(void **st)
{
    (void)st;
    quad_setup();
    /* solve A x = b by Cholesky, independently of the solver */
    double L[QN][QN] = {{0}}, y[QN], xs[QN];
    for (int i = 0; i < QN; i++)
        for (int j = 0; j <= i; j++) {
            double s = QA[i][j];
            for (int k = 0; k < j; k++) s -= L[i][k] * L[j][k];
            L[i][j] = i == j ? sqrt(s) : s / L[j][j];
        }
    for (int i = 0; i < QN; i++) {
        double s = QB[i];
        for (int k = 0; k < i; k++) s -= L[i][k] * y[k];
        y[i] = s / L[i][i];
    }
    for (int i = QN - 1; i >= 0; i--) {
        double s = y[i];
        for (int k = i + 1; k < QN; k++) s -= L[k][i] * xs[k];
        xs[i] = s / L[i][i];
    }
    double x[QN] = {0}, f;
    tide_lbfgs_opts o;
    tide_lbfgs_default_opts(&o);
    o.gtol = 1e-10;
    int rc = tide_lbfgs_minimize(quad_fn, NULL, QN, x, &f, &o);
    assert_int_equal(rc, TIDE_LBFGS_CONVERGED);
    for (int i = 0; i < QN; i++) assert_true(fabs(x[i] - xs[i]) < 1e-7);
}

static double rosen(const double *x, double *g, int64_t n, void *ctx)
{
    (void)ctx; (void)n;
    double a = 1 - x[0], b = x[1] - x[0] * x[0];
    g[0] = -2 * a - 400 * x[0] * b;
    g[1] = 200 * b;
    return a * a + 100 * b * b;
}
static void test_rosenbrock(void **st)
{
    (void)st;
    double x[2] = {-1.2, 1.0}, f;
    tide_lbfgs_opts o;
    tide_lbfgs_default_opts(&o);
    o.gtol = 1e-10;
    o.ftol = 0;
    int rc = tide_lbfgs_minimize(rosen, NULL, 2, x, &f, &o);
    assert_true(rc == TIDE_LBFGS_CONVERGED || rc == TIDE_LBFGS_ELINESEARCH);
    assert_true(fabs(x[0] - 1) < 1e-6 && fabs(x[1] - 1) < 1e-6);
    assert_true(f < 1e-12);
}

/* logistic regression on a fixed synthetic set, with a small ridge so the optimum is unique */
#define LN 200
#define LD 3
static double LX[LN][LD], LY[LN];
static void logit_setup(void)
{
    for (int i = 0; i < LN; i++) {
        LX[i][0] = 1;
        LX[i][1] = sin(i * 0.37) * 2;
        LX[i][2] = cos(i * 0.91 + 1) * 1.5;
        double z = 0.3 + 1.2 * LX[i][1] - 0.8 * LX[i][2];
        double p = 1 / (1 + exp(-z));
        LY[i] = fmod(i * 0.6180339887, 1.0) < p; /* deterministic "sample" */
    }
}
static double logit_fn(const double *w, double *g, int64_t n, void *ctx)
{
    (void)ctx;
    double f = 0;
    for (int j = 0; j < n; j++) { g[j] = 0.01 * w[j]; f += 0.005 * w[j] * w[j]; }
    for (int i = 0; i < LN; i++) {
        double z = 0;
        for (int j = 0; j < n; j++) z += LX[i][j] * w[j];
        double p = 1 / (1 + exp(-z));
        f += log1p(exp(-fabs(z))) + fmax(z, 0) - LY[i] * z;
        for (int j = 0; j < n; j++) g[j] += (p - LY[i]) * LX[i][j];
    }
    return f;
}
static void test_logistic(void **st)
{
    (void)st;
    logit_setup();
    /* Newton's method as the independent reference */
    double w[LD] = {0};
    for (int it = 0; it < 50; it++) {
        double H[LD][LD] = {{0}}, gr[LD];
        logit_fn(w, gr, LD, NULL);
        for (int j = 0; j < LD; j++) H[j][j] = 0.01;
        for (int i = 0; i < LN; i++) {
            double z = 0;
            for (int j = 0; j < LD; j++) z += LX[i][j] * w[j];
            double p = 1 / (1 + exp(-z));
            for (int a = 0; a < LD; a++)
                for (int b = 0; b < LD; b++) H[a][b] += p * (1 - p) * LX[i][a] * LX[i][b];
        }
        /* Gaussian elimination on 3x3 */
        double A[LD][LD + 1];
        for (int a = 0; a < LD; a++) { memcpy(A[a], H[a], sizeof H[a]); A[a][LD] = gr[a]; }
        for (int c = 0; c < LD; c++)
            for (int r = c + 1; r < LD; r++) {
                double m = A[r][c] / A[c][c];
                for (int k = c; k <= LD; k++) A[r][k] -= m * A[c][k];
            }
        double dx[LD];
        for (int r = LD - 1; r >= 0; r--) {
            double s = A[r][LD];
            for (int k = r + 1; k < LD; k++) s -= A[r][k] * dx[k];
            dx[r] = s / A[r][r];
        }
        for (int j = 0; j < LD; j++) w[j] -= dx[j];
    }
    double x[LD] = {0}, f;
    tide_lbfgs_opts o;
    tide_lbfgs_default_opts(&o);
    o.gtol = 1e-10;
    int rc = tide_lbfgs_minimize(logit_fn, NULL, LD, x, &f, &o);
    assert_true(rc == TIDE_LBFGS_CONVERGED || rc == TIDE_LBFGS_ELINESEARCH);
    for (int j = 0; j < LD; j++) assert_true(fabs(x[j] - w[j]) < 1e-6);
}

/* f = x - log x (x > 0), +inf outside: minimum at x = 1; the start step overshoots into x<0 */
static void test_domain_and_reverse(void **st)
{
    (void)st;
    tide_lbfgs *s = tide_lbfgs_new(1, NULL);
    assert_non_null(s);
    double x = 0.05, g, f;
    int rc, evals = 0;
    do {
        f = x > 0 ? x - log(x) : INFINITY;
        g = x > 0 ? 1 - 1 / x : NAN;
        evals++;
    } while ((rc = tide_lbfgs_step(s, &x, &f, &g)) == TIDE_LBFGS_NEED_EVAL && evals < 1000);
    assert_true(rc == TIDE_LBFGS_CONVERGED || rc == TIDE_LBFGS_ELINESEARCH);
    assert_true(fabs(x - 1) < 1e-5);
    assert_int_equal(tide_lbfgs_evaluations(s), evals);
    /* stepping after the end is an error, not a crash */
    assert_int_equal(tide_lbfgs_step(s, &x, &f, &g), TIDE_LBFGS_EARG);
    tide_lbfgs_free(s);
}

/* one solver reused across problems after reset; counters restart */
static void test_reset_reuse(void **st)
{
    (void)st;
    quad_setup();
    tide_lbfgs_opts o;
    tide_lbfgs_default_opts(&o);
    o.gtol = 1e-10;
    tide_lbfgs *s = tide_lbfgs_new(2, &o);
    for (int round = 0; round < 2; round++) {
        tide_lbfgs_reset(s);
        assert_int_equal(tide_lbfgs_iterations(s), 0);
        double x[2] = {-1.2, 1.0}, g[2], f = rosen(x, g, 2, NULL);
        int rc;
        while ((rc = tide_lbfgs_step(s, x, &f, g)) == TIDE_LBFGS_NEED_EVAL) f = rosen(x, g, 2, NULL);
        assert_true(rc >= 0);
        assert_true(fabs(x[0] - 1) < 1e-4 && fabs(x[1] - 1) < 1e-4);
        assert_true(tide_lbfgs_iterations(s) > 5);
        assert_true(tide_lbfgs_evaluations(s) >= tide_lbfgs_iterations(s));
    }
    tide_lbfgs_free(s);
    assert_string_equal(tide_lbfgs_status_name(TIDE_LBFGS_CONVERGED), "converged");
}

/* f = -x1 - x2 has no minimum: once |f| was large, the old gradient test (relative to |f|)
 * called this "converged". It must end as max_iter or a failed line search instead. */
static double unbounded(const double *x, double *g, int64_t n, void *ctx)
{
    (void)n, (void)ctx;
    g[0] = g[1] = -1;
    return -x[0] - x[1];
}

static void test_unbounded_is_not_converged(void **st)
{
    (void)st;
    tide_lbfgs_opts o;
    tide_lbfgs_default_opts(&o);
    o.max_iter = 20;
    double x[2] = {0, 0}, f;
    int rc = tide_lbfgs_minimize(unbounded, NULL, 2, x, &f, &o);
    assert_true(rc != TIDE_LBFGS_CONVERGED);
    assert_true(f < -1e6); /* it did run downhill */
}

static void test_errors(void **st)
{
    (void)st;
    assert_null(tide_lbfgs_new(0, NULL));
    tide_lbfgs_opts o;
    tide_lbfgs_default_opts(&o);
    o.c2 = 0.00001; /* c2 < c1 */
    assert_null(tide_lbfgs_new(2, &o));
    tide_lbfgs *s = tide_lbfgs_new(1, NULL);
    double x = 1, f = NAN, g = 0;
    assert_int_equal(tide_lbfgs_step(s, &x, &f, &g), TIDE_LBFGS_ENONFINITE);
    tide_lbfgs_free(s);
    tide_lbfgs_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_quadratic), cmocka_unit_test(test_rosenbrock),
        cmocka_unit_test(test_logistic), cmocka_unit_test(test_domain_and_reverse),
        cmocka_unit_test(test_reset_reuse), cmocka_unit_test(test_errors),
        cmocka_unit_test(test_unbounded_is_not_converged),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
