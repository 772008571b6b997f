/* test_linear_stack.c — models with several views and the stacked model (linear_stack.c):
 * a combined model scores b + sum_k a_k z_k of its members (views with the same features and q
 * merged, others kept); multi-view files round-trip exactly and are refused when corrupt;
 * explanations of a multi-view model sum to its score; the stack's out-of-fold accuracies
 * equal those of fold models trained here by hand, its model equals the combination of the
 * members refitted on all rows with its weights, and it does not depend on the thread count;
 * the error paths. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "linear.h"

#define NEAR(a, b, tol) assert_true(fabs((a) - (b)) <= (tol) * fmax(1, fabs(b)))
#define N 150

static const char *POS[] = {"great", "good", "love", "fine"}, *NEG[] = {"awful", "bad", "hate", "poor"};
static char TEXT[N][128];
static int32_t Y[N];

/* Five filler words and one label word per review (a fixed LCG: the same corpus every run);
 * one review in ten carries the wrong label so that no member is perfect. */
static void make_corpus(void)
{
    uint32_t x = 12345;
    for (int i = 0; i < N; i++) {
        char w[6][16];
        x = x * 1103515245u + 12345u;
        int y = (int)(x >> 16) & 1, at = (int)((x >> 8) % 6);
        for (int j = 0; j < 6; j++) {
            x = x * 1103515245u + 12345u;
            snprintf(w[j], sizeof w[j], "f%u", (x >> 16) % 30);
        }
        x = x * 1103515245u + 12345u;
        snprintf(w[at], sizeof w[at], "%s", (y ? POS : NEG)[(x >> 16) % 4]);
        snprintf(TEXT[i], sizeof TEXT[i], "%s %s %s %s %s %s", w[0], w[1], w[2], w[3], w[4], w[5]);
        Y[i] = i % 10 == 3 ? 1 - y : y;
    }
}

static const tide_ids_opts IO = {0, 2, 1 << 12};

static int32_t *corpus_ids(int64_t *off)
{
    tide_units u = {0};
    int32_t *ids = NULL;
    size_t n = 0, cap = 0;
    off[0] = 0;
    for (int i = 0; i < N; i++) {
        assert_true(tide_text_ids(NULL, TEXT[i], strlen(TEXT[i]), &IO, &u, &ids, &n, &cap) >= 0);
        off[i + 1] = (int64_t)n;
    }
    tide_units_free(&u);
    return ids;
}

static double score_text(const tide_linear *m, const char *s)
{
    double z;
    size_t len = strlen(s);
    assert_int_equal(tide_linear_score_batch(m, &s, &len, 1, &z), TIDE_OK);
    return z;
}

static const char *PROBE[] = {"good f1 f2 bad", "love love f3", "", "hate poor f9 f10 unknownword", "fine"};

/* Members: TF-IDF at C 4 and C 1 (same features, same q: one view), NB-TF-IDF (a second). */
static const tide_linear_feat F[3] = {{1, 1, 0, 1}, {1, 1, 0, 1}, {1, 1, 1, 1}};
static const tide_linear_opts O[3] = {{TIDE_LINEAR_LR, 4, 1e-4, 1000, 3}, {TIDE_LINEAR_LR, 1, 1e-4, 1000, 3},
                                      {TIDE_LINEAR_LR, 2, 1e-4, 1000, 3}};

static void test_combine_is_weighted_sum(void **st)
{
    (void)st;
    int64_t off[N + 1];
    int32_t *ids = corpus_ids(off);
    tide_linear *ms[3];
    for (int k = 0; k < 3; k++) assert_non_null(ms[k] = tide_linear_train(&IO, &F[k], ids, off, N, Y, &O[k]));
    const double a[3] = {0.7, -0.3, 1.2}, b = 0.5;
    tide_linear *c = tide_linear_combine((const tide_linear *const *)ms, a, 3, b);
    assert_non_null(c);
    assert_int_equal(c->views, 2);
    for (size_t p = 0; p < sizeof PROBE / sizeof *PROBE; p++) {
        double want = b;
        for (int k = 0; k < 3; k++) want += a[k] * score_text(ms[k], PROBE[p]);
        NEAR(score_text(c, PROBE[p]), want, 1e-5);
    }
    /* explanations of the two-view model sum with the bias to its score */
    tide_units u = {0};
    float *contrib = NULL;
    int64_t nu = tide_linear_explain(c, PROBE[3], strlen(PROBE[3]), &u, &contrib);
    assert_int_equal(nu, 5);
    double s = c->bias;
    for (int64_t i = 0; i < nu; i++) s += contrib[i];
    NEAR(s, score_text(c, PROBE[3]), 1e-5);
    free(contrib);
    tide_units_free(&u);
    /* exact file round trip; the multi-view format word; corrupt bytes refused */
    size_t nb;
    unsigned char *buf = tide_linear_encode(c, "t", &nb);
    assert_non_null(buf);
    uint32_t word;
    memcpy(&word, buf + 8, 4);
    assert_int_equal(word, 0x1E1E0002u);
    tide_linear *r = tide_linear_parse(buf, nb, "t");
    assert_non_null(r);
    assert_int_equal(r->views, 2);
    for (size_t p = 0; p < sizeof PROBE / sizeof *PROBE; p++) assert_true(score_text(r, PROBE[p]) == score_text(c, PROBE[p]));
    tide_linear_free(r);
    buf[nb - 9] ^= 4;
    assert_null(tide_linear_parse(buf, nb, "t"));
    assert_non_null(strstr(tide_error(), "checksum"));
    free(buf);
    /* a member tokenizing differently; an SVM member; more views than fit */
    tide_ids_opts io1 = {0, 1, 1 << 12};
    int64_t off1[N + 1];
    tide_units u1 = {0};
    int32_t *ids1 = NULL;
    size_t n1 = 0, cap1 = 0;
    off1[0] = 0;
    for (int i = 0; i < N; i++) {
        assert_true(tide_text_ids(NULL, TEXT[i], strlen(TEXT[i]), &io1, &u1, &ids1, &n1, &cap1) >= 0);
        off1[i + 1] = (int64_t)n1;
    }
    tide_units_free(&u1);
    tide_linear *other = tide_linear_train(&io1, &F[0], ids1, off1, N, Y, &O[0]);
    assert_non_null(other);
    const tide_linear *mixed[2] = {ms[0], other};
    assert_null(tide_linear_combine(mixed, a, 2, 0));
    assert_non_null(strstr(tide_error(), "tokenizes differently"));
    tide_linear_opts svm = O[0];
    svm.loss = TIDE_LINEAR_SVM;
    tide_linear *sv = tide_linear_train(&IO, &F[0], ids, off, N, Y, &svm);
    const tide_linear *withsvm[2] = {ms[0], sv};
    assert_null(tide_linear_combine(withsvm, a, 2, 0));
    assert_non_null(strstr(tide_error(), "not a logistic regression"));
    tide_linear *five[5];
    const tide_linear_feat f5[5] = {{1, 1, 0, 1}, {0, 1, 0, 1}, {1, 0, 1, 1}, {0, 0, 1, 1}, {1, 0, 0, 1}};
    for (int k = 0; k < 5; k++) assert_non_null(five[k] = tide_linear_train(&IO, &f5[k], ids, off, N, Y, &O[0]));
    const double a5[5] = {1, 1, 1, 1, 1};
    assert_null(tide_linear_combine((const tide_linear *const *)five, a5, 5, 0));
    assert_non_null(strstr(tide_error(), "more than 4 views"));
    const double bad[2] = {1, NAN};
    assert_null(tide_linear_combine((const tide_linear *const *)ms, bad, 2, 0));
    assert_non_null(strstr(tide_error(), "weight 2 is not finite"));
    for (int k = 0; k < 5; k++) tide_linear_free(five[k]);
    tide_linear_free(sv);
    tide_linear_free(other);
    free(ids1);
    for (int k = 0; k < 3; k++) tide_linear_free(ms[k]);
    tide_linear_free(c);
    free(ids);
}

/* The stack's out-of-fold accuracies against fold models trained here; its model against the
 * members refitted on all rows and combined with its weights; TIDE_THREADS 1 and 2 agree. */
static void test_stack_matches_by_hand(void **st)
{
    (void)st;
    int64_t off[N + 1];
    int32_t *ids = corpus_ids(off), fold[N];
    const int K = 3;
    for (int i = 0; i < N; i++) fold[i] = i % K;
    double w[4], acc[4], w1[4], acc1[4];
    setenv("TIDE_THREADS", "2", 1);
    tide_linear *s = tide_linear_stack(&IO, 3, F, O, ids, off, N, Y, fold, K, w, acc);
    assert_non_null(s);
    setenv("TIDE_THREADS", "1", 1);
    tide_linear *s1 = tide_linear_stack(&IO, 3, F, O, ids, off, N, Y, fold, K, w1, acc1);
    unsetenv("TIDE_THREADS");
    assert_non_null(s1);
    for (int k = 0; k < 4; k++) {
        assert_true(w[k] == w1[k]);
        assert_true(acc[k] == acc1[k]);
        assert_true(isfinite(w[k]));
    }
    /* out-of-fold accuracy of each member, by hand */
    for (int m = 0; m < 3; m++) {
        int right = 0;
        for (int f = 0; f < K; f++) {
            int64_t toff[N + 1] = {0};
            int32_t tids[N * 16], ty[N];
            int64_t r = 0;
            for (int i = 0; i < N; i++) {
                if (fold[i] == f) continue;
                int64_t len = off[i + 1] - off[i];
                memcpy(tids + toff[r], ids + off[i], (size_t)len * sizeof *tids);
                ty[r] = Y[i];
                toff[r + 1] = toff[r] + len;
                r++;
            }
            tide_linear *fm = tide_linear_train(&IO, &F[m], tids, toff, r, ty, &O[m]);
            assert_non_null(fm);
            for (int i = 0; i < N; i++)
                if (fold[i] == f) right += (score_text(fm, TEXT[i]) > 0) == (Y[i] == 1);
            tide_linear_free(fm);
        }
        NEAR(acc[m], (double)right / N, 1e-12);
    }
    assert_true(acc[3] > 0.8 && acc[3] <= 1);
    /* the model: members on all rows, combined with the weights */
    tide_linear *ms[3];
    for (int k = 0; k < 3; k++) assert_non_null(ms[k] = tide_linear_train(&IO, &F[k], ids, off, N, Y, &O[k]));
    for (size_t p = 0; p < sizeof PROBE / sizeof *PROBE; p++) {
        double want = w[0];
        for (int k = 0; k < 3; k++) want += w[k + 1] * score_text(ms[k], PROBE[p]);
        NEAR(score_text(s, PROBE[p]), want, 1e-5);
        assert_true(score_text(s1, PROBE[p]) == score_text(s, PROBE[p]));
    }
    for (int k = 0; k < 3; k++) tide_linear_free(ms[k]);
    tide_linear_free(s);
    tide_linear_free(s1);
    free(ids);
}

static void test_stack_errors(void **st)
{
    (void)st;
    int64_t off[N + 1];
    int32_t *ids = corpus_ids(off), fold[N], y[N];
    for (int i = 0; i < N; i++) fold[i] = i % 3;
    assert_null(tide_linear_stack(&IO, 0, F, O, ids, off, N, Y, fold, 3, NULL, NULL));
    assert_non_null(strstr(tide_error(), "1 to 8 members"));
    assert_null(tide_linear_stack(&IO, 3, F, O, ids, off, N, Y, fold, 1, NULL, NULL));
    assert_non_null(strstr(tide_error(), "at least 2 folds"));
    fold[7] = 3;
    assert_null(tide_linear_stack(&IO, 3, F, O, ids, off, N, Y, fold, 3, NULL, NULL));
    assert_non_null(strstr(tide_error(), "fold[8] = 3"));
    fold[7] = 1;
    /* a fold whose complement holds one class: the failing fit's message comes through */
    for (int i = 0; i < N; i++) { fold[i] = Y[i] ? 0 : 1 + i % 2; y[i] = Y[i]; }
    assert_null(tide_linear_stack(&IO, 3, F, O, ids, off, N, y, fold, 3, NULL, NULL));
    assert_non_null(strstr(tide_error(), "need both classes"));
    tide_linear_opts bad[3] = {O[0], O[1], O[2]};
    bad[1].C = -1;
    for (int i = 0; i < N; i++) fold[i] = i % 3;
    assert_null(tide_linear_stack(&IO, 3, F, bad, ids, off, N, Y, fold, 3, NULL, NULL));
    assert_non_null(strstr(tide_error(), "C must be > 0"));
    free(ids);
}

int main(void)
{
    make_corpus();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_combine_is_weighted_sum),
        cmocka_unit_test(test_stack_matches_by_hand),
        cmocka_unit_test(test_stack_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
