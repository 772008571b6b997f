/* test_linear.c — the sparse linear solver against the primal optimum found independently
 * (scipy BFGS on the primal objective, cross-checked with scikit-learn's liblinear), the text
 * model's features against a hand-built CSR, explanations summing to the score, exact file
 * round trips and refusal of corrupt bytes, negation-scoped models (file format word, reload),
 * and the error paths. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "crc32.h"
#include "linear.h"

#define NEAR(a, b, tol) assert_true(fabs((a) - (b)) <= (tol) * fmax(1, fabs(b)))

/* X (8 x 3, zeros left out of the CSR) and y; C = 2. Expected w (3 weights, bias) from
 *   scipy.optimize.minimize(0.5 w.w + C sum log(1 + exp(-y_i [x_i 1].w)), BFGS, gtol 1e-12)
 * and the same with C sum max(0, 1 - y_i [x_i 1].w)^2 for the L2-loss SVM (sklearn
 * LogisticRegression(liblinear) and LinearSVC(dual) agree to 1e-7). */
static const double X[8][3] = {{1, 0, 0.5}, {0.2, 1, 0}, {0, 0.3, 1}, {1, 1, 0},
                               {0, 0, 1},   {0.7, 0, 0.2}, {0, 0.9, 0.4}, {0.5, 0.5, 0.5}};
static const int32_t Y[8] = {1, 0, 0, 1, 0, 1, 0, 1};
static const double W_LR[4] = {1.68488239, -0.53519253, -0.62998988, -0.13563087};
static const double W_SVM[4] = {1.80052181, -0.55543246, -0.36391749, -0.29489766};

static void csr(int64_t *off, int32_t *idx, float *val)
{
    int64_t k = 0;
    off[0] = 0;
    for (int i = 0; i < 8; i++) {
        for (int j = 0; j < 3; j++)
            if (X[i][j] != 0) { idx[k] = j; val[k] = (float)X[i][j]; k++; }
        off[i + 1] = k;
    }
}

static void solve(tide_linear_loss loss, const double *want)
{
    int64_t off[9];
    int32_t idx[24];
    float val[24];
    double w[4];
    csr(off, idx, val);
    tide_linear_opts o = {loss, 2.0, 1e-9, 100000, 7};
    int it = tide_linear_dcd(off, idx, val, 8, 3, Y, &o, w);
    assert_true(it >= 1);
    /* val is f32: the entries 0.2, 0.3, ... differ from the doubles by ~1e-8 */
    for (int j = 0; j < 4; j++) NEAR(w[j], want[j], 1e-5);
}

static void test_lr_optimum(void **st) { (void)st; solve(TIDE_LINEAR_LR, W_LR); }
static void test_svm_optimum(void **st) { (void)st; solve(TIDE_LINEAR_SVM, W_SVM); }

static void test_solver_errors(void **st)
{
    (void)st;
    int64_t off[9];
    int32_t idx[24], y[8];
    float val[24];
    double w[4];
    csr(off, idx, val);
    memcpy(y, Y, sizeof y);
    tide_linear_opts o = {TIDE_LINEAR_LR, 1, 0.1, 10, 1};
    y[3] = 2;
    assert_int_equal(tide_linear_dcd(off, idx, val, 8, 3, y, &o, w), TIDE_ERR);
    assert_non_null(strstr(tide_error(), "label 4 is 2"));
    o.C = 0;
    assert_int_equal(tide_linear_dcd(off, idx, val, 8, 3, Y, &o, w), TIDE_ERR);
    assert_non_null(strstr(tide_error(), "C must be > 0"));
    o.C = 1;
    assert_int_equal(tide_linear_dcd(off, idx, val, 0, 3, Y, &o, w), TIDE_ERR);
    o.loss = (tide_linear_loss)5;
    assert_int_equal(tide_linear_dcd(off, idx, val, 8, 3, Y, &o, w), TIDE_ERR);
}

/* A tiny corpus of space-separated words (each word one unit). */
static const char *TEXTS[] = {"good great fine", "bad awful", "good fine", "awful bad bad",
                              "great good", "bad poor",   "fine great", "poor awful"};
static const int32_t LAB[] = {1, 0, 1, 0, 1, 0, 1, 0};

static int32_t *corpus_ids(const tide_ids_opts *io, int64_t *off)
{
    tide_units u = {0};
    int32_t *ids = NULL;
    size_t n = 0, cap = 0;
    off[0] = 0;
    for (int i = 0; i < 8; i++) {
        assert_true(tide_text_ids(NULL, TEXTS[i], strlen(TEXTS[i]), io, &u, &ids, &n, &cap) >= 0);
        off[i + 1] = (int64_t)n;
    }
    tide_units_free(&u);
    return ids;
}

/* Binary features without idf/NB: x_ij = 1/sqrt(#distinct ids of review i). The model's
 * scores must equal b + w.x from the bare solver on that hand-built CSR. */
static void test_features_match_hand_built(void **st)
{
    (void)st;
    tide_ids_opts io = {0, 1, 64};
    tide_linear_feat f = {0, 0, 0, 1};
    tide_linear_opts o = {TIDE_LINEAR_LR, 4, 1e-6, 1000, 3};
    int64_t off[9];
    int32_t *ids = corpus_ids(&io, off);
    tide_linear *m = tide_linear_train(&io, &f, ids, off, 8, LAB, &o);
    assert_non_null(m);
    int64_t hoff[9] = {0};
    int32_t hidx[64];
    float hval[64];
    int64_t k = 0;
    for (int i = 0; i < 8; i++) {
        int64_t start = k;
        for (int64_t t = off[i]; t < off[i + 1]; t++) {
            int dup = 0;
            for (int64_t s = start; s < k; s++) dup |= hidx[s] == ids[t];
            if (!dup) hidx[k++] = ids[t];
        }
        for (int64_t s = start; s < k; s++) hval[s] = (float)(1 / sqrt((double)(k - start)));
        hoff[i + 1] = k;
    }
    double w[65];
    assert_true(tide_linear_dcd(hoff, hidx, hval, 8, 64, LAB, &o, w) >= 1);
    for (int i = 0; i < 8; i++) {
        double z = w[64];
        for (int64_t s = hoff[i]; s < hoff[i + 1]; s++) z += w[hidx[s]] * hval[s];
        int32_t tmp[8];
        int64_t n = off[i + 1] - off[i];
        memcpy(tmp, ids + off[i], (size_t)n * sizeof *tmp);
        NEAR(tide_linear_score_ids(m, tmp, n), z, 1e-5);
        assert_true((z > 0) == (LAB[i] == 1)); /* separable: fits the training rows */
    }
    /* binary tf: a repeated word scores as once */
    int32_t a[2] = {ids[0], ids[0]}, b[1] = {ids[0]};
    NEAR(tide_linear_score_ids(m, a, 2), tide_linear_score_ids(m, b, 1), 1e-12);
    free(ids);
    tide_linear_free(m);
}

/* tf-idf + NB: explanations sum with the bias to z; save/load and encode/parse reproduce
 * the scores exactly; a flipped byte or a truncation is refused. */
static void test_explain_and_round_trip(void **st)
{
    (void)st;
    tide_ids_opts io = {0, 2, 1 << 12};
    tide_linear_feat f = {1, 1, 1, 1};
    tide_linear_opts o = {TIDE_LINEAR_LR, 1, 0.01, 100, 3};
    int64_t off[9];
    int32_t *ids = corpus_ids(&io, off);
    tide_linear *m = tide_linear_train(&io, &f, ids, off, 8, LAB, &o);
    assert_non_null(m);
    const char *probe[] = {"good good great", "bad unknownword", "", "poor fine awful"};
    size_t lens[4];
    for (int i = 0; i < 4; i++) lens[i] = strlen(probe[i]);
    double z[4], z2[4];
    assert_int_equal(tide_linear_score_batch(m, probe, lens, 4, z), TIDE_OK);
    NEAR(z[2], m->bias, 1e-12); /* no features: the bias */
    tide_units u = {0};
    for (int i = 0; i < 4; i++) {
        float *c = NULL;
        int64_t n = tide_linear_explain(m, probe[i], lens[i], &u, &c);
        assert_true(n >= 0);
        double s = m->bias;
        for (int64_t k = 0; k < n; k++) s += c[k];
        NEAR(s, z[i], 1e-5);
        free(c);
    }
    tide_units_free(&u);
    size_t nb;
    unsigned char *buf = tide_linear_encode(m, "t", &nb);
    assert_non_null(buf);
    tide_linear *r = tide_linear_parse(buf, nb, "t");
    assert_non_null(r);
    assert_int_equal(tide_linear_score_batch(r, probe, lens, 4, z2), TIDE_OK);
    for (int i = 0; i < 4; i++) assert_true(z[i] == z2[i]);
    tide_linear_free(r);
    buf[nb / 2] ^= 1;
    assert_null(tide_linear_parse(buf, nb, "t"));
    assert_non_null(strstr(tide_error(), "checksum"));
    buf[nb / 2] ^= 1;
    assert_null(tide_linear_parse(buf, nb - 5, "t"));
    assert_null(tide_linear_parse("TIDEFT01xxxx", 12, "t"));
    assert_non_null(strstr(tide_error(), "not a tide linear model"));
    free(buf);
    /* one class only, an id outside the buckets */
    int32_t ones[8] = {1, 1, 1, 1, 1, 1, 1, 1};
    assert_null(tide_linear_train(&io, &f, ids, off, 8, ones, &o));
    assert_non_null(strstr(tide_error(), "need both classes"));
    ids[0] = 1 << 12;
    assert_null(tide_linear_train(&io, &f, ids, off, 8, LAB, &o));
    assert_non_null(strstr(tide_error(), "outside"));
    free(ids);
    tide_linear_free(m);
}

/* Negation scoping (TIDE_TEXT_NEG) travels with the model: scoring texts tokenizes with it
 * (a negated word scores apart from the plain one), the file carries format word 0x1E1E0003
 * and reloads bit-identically, and a file whose flags and format word disagree is refused. */
static void test_negation_round_trip(void **st)
{
    (void)st;
    static const char *tx[] = {"很好", "不好", "好吃", "不好吃", "很好吃", "没好", "真好", "不是好"};
    tide_ids_opts io = {TIDE_TEXT_NEG, 2, 1 << 12};
    tide_linear_feat f = {1, 1, 0, 1};
    tide_linear_opts o = {TIDE_LINEAR_LR, 4, 0.01, 100, 3};
    const int32_t y[8] = {1, 0, 1, 0, 1, 0, 1, 0};
    tide_units u = {0};
    int32_t *ids = NULL;
    size_t n = 0, cap = 0;
    int64_t off[9] = {0};
    for (int i = 0; i < 8; i++) {
        assert_true(tide_text_ids(NULL, tx[i], strlen(tx[i]), &io, &u, &ids, &n, &cap) >= 0);
        off[i + 1] = (int64_t)n;
    }
    tide_units_free(&u);
    tide_linear *m = tide_linear_train(&io, &f, ids, off, 8, y, &o);
    assert_non_null(m);
    size_t lens[8];
    double z[8], z2[8];
    for (int i = 0; i < 8; i++) lens[i] = strlen(tx[i]);
    assert_int_equal(tide_linear_score_batch(m, tx, lens, 8, z), TIDE_OK);
    for (int i = 0; i < 8; i++) {
        int32_t *one = ids + off[i];
        NEAR(z[i], tide_linear_score_ids(m, one, off[i + 1] - off[i]), 1e-12); /* the same ids */
        assert_true((z[i] > 0) == (y[i] == 1));
    }
    size_t nbytes;
    unsigned char *buf = tide_linear_encode(m, "t", &nbytes);
    assert_non_null(buf);
    uint32_t word;
    memcpy(&word, buf + 8, 4);
    assert_int_equal(word, 0x1E1E0003u);
    tide_linear *r = tide_linear_parse(buf, nbytes, "t");
    assert_non_null(r);
    assert_int_equal(r->ids.flags, TIDE_TEXT_NEG);
    assert_int_equal(tide_linear_score_batch(r, tx, lens, 8, z2), TIDE_OK);
    for (int i = 0; i < 8; i++) assert_true(z[i] == z2[i]);
    tide_linear_free(r);
    word = 0x1E1E0001u; /* an older format word with the flag: refused, not scored without it */
    memcpy(buf + 8, &word, 4);
    uint32_t crc = tide_crc32(buf, nbytes - 4);
    memcpy(buf + nbytes - 4, &crc, 4);
    assert_null(tide_linear_parse(buf, nbytes, "t"));
    assert_non_null(strstr(tide_error(), "invalid header"));
    free(buf);
    free(ids);
    tide_linear_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lr_optimum),         cmocka_unit_test(test_svm_optimum),
        cmocka_unit_test(test_solver_errors),      cmocka_unit_test(test_features_match_hand_built),
        cmocka_unit_test(test_explain_and_round_trip), cmocka_unit_test(test_negation_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
