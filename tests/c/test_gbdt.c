/* test_gbdt.c — the GBDT engine: hand-computed stumps (gain, threshold, leaf values) for both
 * losses, loss derivatives against finite differences, bin edges and the bin/threshold
 * equivalence, the learned missing-value direction, early stopping keeping the best round,
 * bit-identical fits for 1 and 2 threads, model validation on import, and refused inputs. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "gbdt.h"
#include "gbdt_internal.h"
#include "rng.h"

#define NEAR(a, b, tol) assert_true(fabs((double)(a) - (double)(b)) <= (tol)*fmax(1, fabs((double)(b))))

static tide_gbdt_opts stump_opts(tide_gbdt_loss loss, double l2)
{
    tide_gbdt_opts o;
    tide_gbdt_opts_default(&o);
    o.loss = loss;
    o.n_trees = 1;
    o.max_leaves = 2;
    o.learning_rate = 1;
    o.l2 = l2;
    o.min_child_weight = 0;
    o.min_samples_leaf = 1;
    o.threads = 1;
    return o;
}

/* Squared loss, x = 1..4, y = {1, 2, 5, 6}, λ = 1. Baseline 3.5, g = raw - y = {2.5, 1.5,
 * -1.5, -2.5}, h = 1. Cuts after x=1 / 2 / 3 gain 0.5 (GL²/(HL+1) + GR²/(HR+1) - 0):
 * 0.5 (6.25/2 + 6.25/4) = 2.34375, 0.5 (16/3 + 16/3) = 16/3, 2.34375. Best: between 2 and 3,
 * threshold the midpoint 2.5; leaves -G/(H+1) = -4/3 and +4/3. */
static void test_stump_squared(void **st)
{
    (void)st;
    float X[4] = {1, 2, 3, 4}, y[4] = {1, 2, 5, 6};
    tide_gbdt_opts o = stump_opts(TIDE_GBDT_SQUARED, 1);
    tide_gbdt *m = tide_gbdt_fit(&o, 4, 1, X, y, NULL, 0, NULL, NULL, NULL);
    assert_non_null(m);
    assert_int_equal(m->n_trees, 1);
    assert_int_equal(m->n_nodes, 3);
    NEAR(m->baseline, 3.5, 1e-15);
    assert_int_equal(m->feat[0], 0);
    assert_true(m->thr[0] == 2.5f);
    NEAR(m->gain[0], 16.0 / 3, 1e-6);
    NEAR(m->value[m->left[0]], -4.0 / 3, 1e-6);
    NEAR(m->value[m->right[0]], 4.0 / 3, 1e-6);
    float Xq[3] = {2.5f, 2.5000002f, NAN}, out[3];
    assert_int_equal(tide_gbdt_predict(m, 3, Xq, 1, out, 1), TIDE_OK);
    NEAR(out[0], 3.5 - 4.0 / 3, 1e-6); /* x <= thr goes left */
    NEAR(out[1], 3.5 + 4.0 / 3, 1e-6);
    NEAR(out[2], 3.5 + 4.0 / 3, 1e-6); /* no missing in training: ties -> right (2 vs 2 rows) */
    tide_gbdt_free(m);
}

/* Logistic, x = 1..4, y = {0, 0, 1, 1}, λ = 0. Baseline log(0.5/0.5) = 0, p = 0.5, g = p - y =
 * ±0.5, h = 0.25. Cut after 2: 0.5 (1²/0.5 + 1²/0.5) = 2; after 1 or 3: 0.5 (0.25/0.25 +
 * 0.25/0.75) = 2/3. Leaves -G/H = -1/0.5 = -2 and +2. */
static void test_stump_logistic(void **st)
{
    (void)st;
    float X[4] = {1, 2, 3, 4}, y[4] = {0, 0, 1, 1};
    tide_gbdt_opts o = stump_opts(TIDE_GBDT_LOGISTIC, 0);
    tide_gbdt *m = tide_gbdt_fit(&o, 4, 1, X, y, NULL, 0, NULL, NULL, NULL);
    assert_non_null(m);
    NEAR(m->baseline, 0, 1e-15);
    assert_true(m->thr[0] == 2.5f);
    NEAR(m->gain[0], 2, 1e-6);
    NEAR(m->value[m->left[0]], -2, 1e-6);
    NEAR(m->value[m->right[0]], 2, 1e-6);
    float out[4];
    tide_gbdt_predict(m, 4, X, 0, out, 1);
    NEAR(out[0], 1 / (1 + exp(2.0)), 1e-6);
    NEAR(out[3], 1 / (1 + exp(-2.0)), 1e-6);
    double imp[1];
    tide_gbdt_importance(m, imp);
    NEAR(imp[0], 1, 1e-12);
    tide_gbdt_free(m);
}

/* Weighted baseline: weights {1, 1, 2} on y {1, 0, 0} -> mean 1/4 -> log(1/3). */
static void test_baseline(void **st)
{
    (void)st;
    float y[3] = {1, 0, 0}, w[3] = {1, 1, 2};
    NEAR(tide_gbdt_baseline(TIDE_GBDT_LOGISTIC, 3, y, w), log(1.0 / 3), 1e-12);
    NEAR(tide_gbdt_baseline(TIDE_GBDT_SQUARED, 3, y, w), 0.25, 1e-12);
}

/* g = dl/dr and h = d²l/dr² by central differences of the loss and of g, weighted rows. */
static void test_loss_derivatives_fd(void **st)
{
    (void)st;
    const double rs[5] = {-30, -2.5, 0, 0.7, 12};
    const float ys[2] = {0, 1}, yq[2] = {-1.3f, 2.5f}, w[1] = {1.7f};
    for (int L = 0; L < 2; L++)
        for (int k = 0; k < 5; k++)
            for (int c = 0; c < 2; c++) {
                tide_gbdt_loss loss = (tide_gbdt_loss)L;
                float y = L == 0 ? ys[c] : yq[c];
                /* g and h are floats: the hessian's difference step is wider so float rounding
                 * of g (~1e-7) stays far below the tolerance */
                double r = rs[k], e = 1e-4, rp = r + e, rm = r - e, e2 = 1e-2, rp2 = r + e2, rm2 = r - e2;
                float g, h, gp, hp, gm, hm;
                tide_gbdt_grad(loss, 1, &r, &y, w, &g, &h);
                tide_gbdt_grad(loss, 1, &rp2, &y, w, &gp, &hp);
                tide_gbdt_grad(loss, 1, &rm2, &y, w, &gm, &hm);
                /* loss_value is the weighted mean: with one row, times w gives the row's loss */
                double fd =
                    w[0] * (tide_gbdt_loss_value(loss, 1, &rp, &y, w) - tide_gbdt_loss_value(loss, 1, &rm, &y, w)) /
                    (2 * e);
                NEAR(g, fd, 1e-5);
                NEAR(h, (gp - gm) / (2 * e2), 1e-4);
            }
}

/* Few distinct values: one bin each, edges at midpoints. Many: about equal-count bins. In both,
 * bin(x) <= b exactly when x <= edge b (so raw thresholds reproduce binned splits). */
static void test_bins(void **st)
{
    (void)st;
    float X[8] = {3, 1, 2, 2, NAN, 1, 3, 7};
    gbdt_binner b;
    assert_int_equal(gbdt_bin_fit(&b, NULL, 8, 1, X, 255, 200000, 0), TIDE_OK);
    assert_int_equal(b.n_bins[0], 4);
    assert_true(b.edges[0] == 1.5f && b.edges[1] == 2.5f && b.edges[2] == 5.0f);
    assert_int_equal(gbdt_bin_of(&b, 0, 1), 0);
    assert_int_equal(gbdt_bin_of(&b, 0, 2.5f), 1);
    assert_int_equal(gbdt_bin_of(&b, 0, 100), 3);
    assert_int_equal(gbdt_bin_of(&b, 0, NAN), 255);
    gbdt_bin_free(&b);

    int64_t n = 20000;
    float *Y = malloc((size_t)n * sizeof *Y);
    tide_rng r;
    tide_rng_seed(&r, 5);
    for (int64_t i = 0; i < n; i++)
        Y[i] = (float)tide_rng_normal(&r);
    assert_int_equal(gbdt_bin_fit(&b, NULL, n, 1, Y, 16, 200000, 0), TIDE_OK);
    assert_int_equal(b.n_bins[0], 16);
    int64_t cnt[16] = {0};
    for (int64_t i = 0; i < n; i++) {
        int k = gbdt_bin_of(&b, 0, Y[i]);
        cnt[k]++;
        for (int e = 0; e < 15; e++)
            assert_true((k <= e) == (Y[i] <= b.edges[e]));
    }
    for (int k = 0; k < 16; k++)
        assert_true(llabs(cnt[k] - n / 16) <= 2); /* exact quantiles */
    gbdt_bin_free(&b);
    /* a seeded sample of 5000 rows: edges differ a little, bins still near equal-count */
    assert_int_equal(gbdt_bin_fit(&b, NULL, n, 1, Y, 16, 5000, 3), TIDE_OK);
    memset(cnt, 0, sizeof cnt);
    for (int64_t i = 0; i < n; i++)
        cnt[gbdt_bin_of(&b, 0, Y[i])]++;
    for (int k = 0; k < 16; k++)
        assert_true(cnt[k] > n / 16 * 0.8 && cnt[k] < n / 16 * 1.2);
    gbdt_bin_free(&b);
    free(Y);
}

/* Data: x1 uniform noise, x2 missing for 30% of rows; P(y=1) = 0.9 when x2 is missing, 0.1
 * otherwise. The only signal is missingness, so the first split sends NaN alone to one side. */
static void test_missing_direction(void **st)
{
    (void)st;
    int64_t n = 4000;
    float *X = malloc((size_t)n * 2 * sizeof *X), *y = malloc((size_t)n * sizeof *y);
    tide_rng r;
    tide_rng_seed(&r, 11);
    for (int64_t i = 0; i < n; i++) {
        int miss = tide_rng_uniform(&r) < 0.3;
        X[2 * i] = (float)tide_rng_uniform(&r);
        X[2 * i + 1] = miss ? NAN : (float)tide_rng_uniform(&r);
        y[i] = tide_rng_uniform(&r) < (miss ? 0.9 : 0.1);
    }
    tide_gbdt_opts o;
    tide_gbdt_opts_default(&o);
    o.n_trees = 30;
    o.max_leaves = 4;
    o.threads = 1;
    tide_gbdt *m = tide_gbdt_fit(&o, n, 2, X, y, NULL, 0, NULL, NULL, NULL);
    assert_non_null(m);
    assert_int_equal(m->feat[0], 1);
    assert_true(isinf(m->thr[0]) && m->miss_left[0] == 0); /* all values left, NaN right */
    float q[4] = {0.5f, NAN, 0.5f, 0.5f}, p[2];
    tide_gbdt_predict(m, 2, q, 0, p, 1);
    assert_true(p[0] > 0.8 && p[1] < 0.2);
    tide_gbdt_free(m);
    free(X);
    free(y);
}

/* y = 2 [x > 0.3] + [x > 0.7] + noise, x on the grid k/100 (100 distinct values: one bin each,
 * so the steps fall on bin edges and can be recovered exactly), a second column of noise. */
static void make_step(int64_t n, uint64_t seed, float *X, float *y, double noise)
{
    tide_rng r;
    tide_rng_seed(&r, seed);
    for (int64_t i = 0; i < n; i++) {
        X[2 * i] = (float)(floor(tide_rng_uniform(&r) * 100) / 100);
        X[2 * i + 1] = (float)tide_rng_uniform(&r);
        y[i] = (float)((X[2 * i] > 0.3) * 2.0 + (X[2 * i] > 0.7) * 1.0 + noise * tide_rng_normal(&r));
    }
}

static void test_squared_step_and_early_stopping(void **st)
{
    (void)st;
    int64_t n = 3000, nv = 1000;
    float *X = malloc((size_t)(n + nv) * 2 * sizeof *X), *y = malloc((size_t)(n + nv) * sizeof *y);
    make_step(n, 1, X, y, 0.0);
    tide_gbdt_opts o;
    tide_gbdt_opts_default(&o);
    o.loss = TIDE_GBDT_SQUARED;
    o.n_trees = 100;
    o.learning_rate = 0.5;
    o.threads = 1;
    tide_gbdt *m = tide_gbdt_fit(&o, n, 2, X, y, NULL, 0, NULL, NULL, NULL);
    float q[6] = {0.1f, 0.5f, 0.5f, 0.5f, 0.9f, 0.5f}, out[3];
    tide_gbdt_predict(m, 3, q, 0, out, 1);
    NEAR(out[0], 0, 1e-5); /* the residual shrinks by (1 - 0.5) per round */
    NEAR(out[1], 2, 1e-5);
    NEAR(out[2], 3, 1e-5);
    tide_gbdt_free(m);

    /* noisy labels: validation loss bottoms out, then 10 rounds without improvement stop */
    make_step(n + nv, 2, X, y, 1.0);
    o.n_trees = 500;
    o.es_rounds = 10;
    o.learning_rate = 0.3;
    o.min_samples_leaf = 5;
    m = tide_gbdt_fit(&o, n, 2, X, y, NULL, nv, X + 2 * n, y + n, NULL);
    assert_non_null(m);
    assert_true(m->n_iter < 500);
    assert_int_equal(m->n_iter, m->n_trees + 10);
    for (int k = 0; k <= m->n_iter; k++)
        assert_true(m->valid_loss[m->n_trees] <= m->valid_loss[k]);
    /* the kept trees predict exactly the tracked best validation loss */
    double *raw = malloc((size_t)nv * sizeof *raw);
    float *pr = malloc((size_t)nv * sizeof *pr);
    tide_gbdt_predict(m, nv, X + 2 * n, 1, pr, 1);
    for (int64_t i = 0; i < nv; i++)
        raw[i] = pr[i];
    NEAR(tide_gbdt_loss_value(TIDE_GBDT_SQUARED, nv, raw, y + n, NULL), m->valid_loss[m->n_trees], 1e-5);
    tide_gbdt_free(m);
    free(raw);
    free(pr);
    free(X);
    free(y);
}

/* Large enough for several row chunks per histogram and parallel tasks: 1 and 2 threads give
 * the same trees and bit-identical predictions. */
static void test_threads_identical(void **st)
{
    (void)st;
    int64_t n = 80000;
    int d = 5;
    float *X = malloc((size_t)n * d * sizeof *X), *y = malloc((size_t)n * sizeof *y);
    tide_rng r;
    tide_rng_seed(&r, 9);
    for (int64_t i = 0; i < n; i++) {
        for (int f = 0; f < d; f++)
            X[i * d + f] = tide_rng_uniform(&r) < 0.05 ? NAN : (float)tide_rng_normal(&r);
        double s = sin(3 * X[i * d]) + X[i * d + 1] * X[i * d + 2];
        y[i] = tide_rng_uniform(&r) < 1 / (1 + exp(-(isnan(s) ? 1 : s)));
    }
    tide_gbdt_opts o;
    tide_gbdt_opts_default(&o);
    o.n_trees = 8;
    o.threads = 1;
    tide_gbdt *a = tide_gbdt_fit(&o, n, d, X, y, NULL, 0, NULL, NULL, NULL);
    o.threads = 2;
    tide_gbdt *b = tide_gbdt_fit(&o, n, d, X, y, NULL, 0, NULL, NULL, NULL);
    assert_non_null(a);
    assert_non_null(b);
    assert_int_equal(a->n_nodes, b->n_nodes);
    assert_memory_equal(a->thr, b->thr, (size_t)a->n_nodes * sizeof(float));
    assert_memory_equal(a->value, b->value, (size_t)a->n_nodes * sizeof(float));
    assert_memory_equal(a->gain, b->gain, (size_t)a->n_nodes * sizeof(float));
    float *pa = malloc((size_t)n * sizeof *pa), *pb = malloc((size_t)n * sizeof *pb);
    tide_gbdt_predict(a, n, X, 0, pa, 1);
    tide_gbdt_predict(b, n, X, 0, pb, 2);
    assert_memory_equal(pa, pb, (size_t)n * sizeof *pa);
    tide_gbdt_free(a);
    tide_gbdt_free(b);
    free(pa);
    free(pb);
    free(X);
    free(y);
}

/* Every leaf of every tree holds at least min_samples_leaf training rows and at most
 * max_leaves leaves per tree and depth <= max_depth: row counts stay exact whether they are
 * counted, cached from the first root (logistic) or read off unit hessians (squared). */
static int64_t leaf_of(const tide_gbdt *m, int k, const float *x, int *depth)
{
    int64_t node = m->tree_off[k];
    *depth = 0;
    while (m->feat[node] >= 0) {
        float v = x[m->feat[node]];
        node = (isnan(v) ? m->miss_left[node] : v <= m->thr[node]) ? m->left[node] : m->right[node];
        ++*depth;
    }
    return node;
}

static void test_leaf_constraints(void **st)
{
    (void)st;
    int64_t n = 40000;
    int d = 3;
    float *X = malloc((size_t)n * d * sizeof *X), *y = malloc((size_t)n * sizeof *y);
    tide_rng r;
    tide_rng_seed(&r, 13);
    for (int64_t i = 0; i < n; i++) {
        for (int f = 0; f < d; f++) X[i * d + f] = tide_rng_uniform(&r) < 0.1 ? NAN : (float)tide_rng_normal(&r);
        y[i] = (float)(tide_rng_uniform(&r) < 0.3 + 0.4 * (X[i * d] > 0));
    }
    for (int L = 0; L < 2; L++) {
        tide_gbdt_opts o;
        tide_gbdt_opts_default(&o);
        o.loss = (tide_gbdt_loss)L;
        o.n_trees = 6;
        o.max_leaves = 12;
        o.max_depth = 4;
        o.min_samples_leaf = 700;
        o.threads = 2;
        tide_gbdt *m = tide_gbdt_fit(&o, n, d, X, y, NULL, 0, NULL, NULL, NULL);
        assert_non_null(m);
        int64_t *cnt = calloc((size_t)m->n_nodes, sizeof *cnt);
        for (int k = 0; k < m->n_trees; k++)
            for (int64_t i = 0; i < n; i++) {
                int depth;
                cnt[leaf_of(m, k, X + i * d, &depth)]++;
                assert_true(depth <= 4);
            }
        for (int k = 0; k < m->n_trees; k++) {
            int leaves = 0;
            for (int64_t j = m->tree_off[k]; j < m->tree_off[k + 1]; j++)
                if (m->feat[j] < 0) {
                    leaves++;
                    assert_true(cnt[j] >= 700);
                }
            assert_true(leaves >= 2 && leaves <= 12);
        }
        free(cnt);
        tide_gbdt_free(m);
    }
    free(X); free(y);
}

/* Rebuilding from arrays copies exactly; broken structures are refused. */
static void test_from_arrays(void **st)
{
    (void)st;
    int64_t off[3] = {0, 3, 4};
    int32_t feat[4] = {1, -1, -1, -1}, ml[4] = {1, 0, 0, 0}, left[4] = {1, -1, -1, -1}, right[4] = {2, -1, -1, -1};
    float thr[4] = {0.5f, 0, 0, 0}, val[4] = {0, -1, 1, 0.25f}, gain[4] = {3, 0, 0, 0};
    tide_gbdt *m = tide_gbdt_from_arrays(2, TIDE_GBDT_SQUARED, 10, 2, off, feat, thr, ml, left, right, val, gain);
    assert_non_null(m);
    float X[6] = {0, 0.5f, 0, 0.6f, 0, NAN}, out[3];
    tide_gbdt_predict(m, 3, X, 0, out, 1);
    assert_true(out[0] == 9.25f && out[1] == 11.25f && out[2] == 9.25f);
    tide_gbdt_free(m);
    int32_t bad_left[4] = {0, -1, -1, -1};
    assert_null(tide_gbdt_from_arrays(2, TIDE_GBDT_SQUARED, 0, 2, off, feat, thr, ml, bad_left, right, val, gain));
    int32_t bad_feat[4] = {2, -1, -1, -1};
    assert_null(tide_gbdt_from_arrays(2, TIDE_GBDT_SQUARED, 0, 2, off, bad_feat, thr, ml, left, right, val, gain));
    assert_non_null(strstr(tide_error(), "feature 2 of 2"));
    int32_t same[4] = {1, -1, -1, -1};
    assert_null(tide_gbdt_from_arrays(2, TIDE_GBDT_SQUARED, 0, 2, off, feat, thr, ml, left, same, val, gain));
    int64_t bad_off[3] = {0, 3, 3};
    assert_null(tide_gbdt_from_arrays(2, TIDE_GBDT_SQUARED, 0, 2, bad_off, feat, thr, ml, left, right, val, gain));
    float nan_val[4] = {0, NAN, 1, 0};
    assert_null(tide_gbdt_from_arrays(2, TIDE_GBDT_SQUARED, 0, 2, off, feat, thr, ml, left, right, nan_val, gain));
}

static void expect_refused(const tide_gbdt_opts *o, int64_t n, const float *X, const float *y, const float *w,
                           const char *needle)
{
    tide_gbdt *m = tide_gbdt_fit(o, n, 1, X, y, w, 0, NULL, NULL, NULL);
    assert_null(m);
    if (!strstr(tide_error(), needle)) fail_msg("error '%s' lacks '%s'", tide_error(), needle);
}

static void test_refusals(void **st)
{
    (void)st;
    float X[4] = {1, 2, 3, 4}, y[4] = {0, 1, 0, 1}, ynan[4] = {0, NAN, 1, 1}, y2[4] = {0, 2, 1, 0},
          y1[4] = {1, 1, 1, 1}, wneg[4] = {1, -1, 1, 1}, wzero[4] = {0, 1, 0, 1};
    tide_gbdt_opts o;
    tide_gbdt_opts_default(&o);
    expect_refused(&o, 4, X, ynan, NULL, "y[2] is NaN");
    expect_refused(&o, 4, X, y2, NULL, "labels must be 0 or 1");
    expect_refused(&o, 4, X, y1, NULL, "single class");
    expect_refused(&o, 4, X, y, wzero, "single class"); /* only the 1s have weight */
    expect_refused(&o, 4, X, y, wneg, "weights must be finite and >= 0");
    expect_refused(&o, 0, X, y, NULL, "X is empty");
    tide_gbdt_opts b = o;
    b.max_bins = 256;
    expect_refused(&b, 4, X, y, NULL, "max_bins");
    b = o;
    b.learning_rate = 0;
    expect_refused(&b, 4, X, y, NULL, "learning_rate");
    b = o;
    b.max_leaves = 1;
    expect_refused(&b, 4, X, y, NULL, "max_leaves");
    b = o;
    b.validation_fraction = 1;
    expect_refused(&b, 4, X, y, NULL, "validation_fraction");
    b = o;
    b.min_samples_leaf = 0;
    expect_refused(&b, 4, X, y, NULL, "min_samples_leaf");
    o.loss = TIDE_GBDT_SQUARED; /* real labels are fine for the squared loss, NaN is not */
    tide_gbdt *m = tide_gbdt_fit(&o, 4, 1, X, y2, NULL, 0, NULL, NULL, NULL);
    assert_non_null(m);
    tide_gbdt_free(m);
    expect_refused(&o, 4, X, ynan, NULL, "is NaN");
}

/* validation_fraction: a seeded hold-out, same model for the same seed. */
static void test_validation_fraction(void **st)
{
    (void)st;
    int64_t n = 2000;
    float *X = malloc((size_t)n * 2 * sizeof *X), *y = malloc((size_t)n * sizeof *y);
    make_step(n, 4, X, y, 1.0);
    tide_gbdt_opts o;
    tide_gbdt_opts_default(&o);
    o.loss = TIDE_GBDT_SQUARED;
    o.n_trees = 300;
    o.es_rounds = 5;
    o.validation_fraction = 0.2;
    o.seed = 7;
    o.threads = 1;
    tide_gbdt *a = tide_gbdt_fit(&o, n, 2, X, y, NULL, 0, NULL, NULL, NULL);
    tide_gbdt *b = tide_gbdt_fit(&o, n, 2, X, y, NULL, 0, NULL, NULL, NULL);
    assert_non_null(a);
    assert_non_null(a->valid_loss);
    assert_true(a->n_iter < 300);
    assert_int_equal(a->n_nodes, b->n_nodes);
    assert_memory_equal(a->value, b->value, (size_t)a->n_nodes * sizeof(float));
    tide_gbdt_free(a);
    tide_gbdt_free(b);
    free(X);
    free(y);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stump_squared),
        cmocka_unit_test(test_stump_logistic),
        cmocka_unit_test(test_baseline),
        cmocka_unit_test(test_loss_derivatives_fd),
        cmocka_unit_test(test_bins),
        cmocka_unit_test(test_missing_direction),
        cmocka_unit_test(test_squared_step_and_early_stopping),
        cmocka_unit_test(test_threads_identical),
        cmocka_unit_test(test_from_arrays),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_validation_fraction), cmocka_unit_test(test_leaf_constraints),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
