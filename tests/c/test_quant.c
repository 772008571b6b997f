/* test_quant.c — int8 rows and magnitude pruning (quant.h) against hand-worked values and
 * properties: codes of a known row, the error bound |w − ŝq| <= s/2, both scoring paths (int8
 * dot for few users, dequantised sgemm blocks for many) equal the dequantised product, bias,
 * pruning thresholds with ties, CSR scores equal the dense product of the pruned table. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "quant.h"

static float frand(uint64_t *s) /* xorshift64 in [-1, 1) */
{
    *s ^= *s << 13, *s ^= *s >> 7, *s ^= *s << 17;
    return (float)((*s >> 11) * (1.0 / 9007199254740992.0) * 2 - 1);
}

static void test_codes_by_hand(void **st)
{
    (void)st;
    /* row 1: max |w| = 2 -> s = 2/127; w/s = 63.5, -127, 0.3175*... -> rint (ties to even) */
    const float w[6] = {1.0f, -2.0f, 0.0f, 0.0f, 0.0f, 0.0f};
    tide_qrows *q = tide_qrows_new(w, 2, 3);
    assert_non_null(q);
    assert_true(fabsf(q->scale[0] - 2.0f / 127) < 1e-9f);
    assert_int_equal(q->q[0], 64); /* 63.5 -> 64 (round half to even) */
    assert_int_equal(q->q[1], -127);
    assert_int_equal(q->q[2], 0);
    assert_true(q->scale[1] == 0); /* an all-zero row stays exactly zero */
    assert_int_equal(q->q[3], 0);
    assert_int_equal(tide_qrows_bytes(q), 6 + 2 * 4);
    tide_qrows_free(q);
    const float bad[2] = {1.0f, NAN};
    assert_null(tide_qrows_new(bad, 1, 2));
}

static void test_error_bound_and_paths(void **st)
{
    (void)st;
    enum { R = 701, D = 37, B = 9 }; /* R % 4 = 1 and D % 8 = 5: the kernels' tails too */
    uint64_t s = 42;
    float *w = malloc(sizeof(float) * R * D), *x = malloc(sizeof(float) * B * D), *deq = malloc(sizeof(float) * R * D);
    float *out = malloc(sizeof(float) * B * R), *out1 = malloc(sizeof(float) * R), bias[R];
    for (int i = 0; i < R * D; i++) w[i] = frand(&s) * (1 + i % 5);
    for (int i = 0; i < B * D; i++) x[i] = frand(&s);
    for (int r = 0; r < R; r++) bias[r] = frand(&s);
    tide_qrows *q = tide_qrows_new(w, R, D);
    tide_qrows_dequant(q, deq);
    for (int r = 0; r < R; r++)
        for (int j = 0; j < D; j++) assert_true(fabsf(deq[r * D + j] - w[r * D + j]) <= q->scale[r] * 0.5f + 1e-7f);
    assert_int_equal(tide_qrows_scores(q, x, B, bias, out), 0); /* sgemm path */
    for (int b = 0; b < B; b++) {
        assert_int_equal(tide_qrows_scores(q, x + b * D, 1, bias, out1), 0); /* int8 dot path */
        for (int r = 0; r < R; r++) {
            double ref = bias[r];
            for (int j = 0; j < D; j++) ref += (double)x[b * D + j] * deq[r * D + j];
            assert_true(fabs(out[b * R + r] - ref) < 1e-4 * fmax(1, fabs(ref)));
            assert_true(fabs(out1[r] - ref) < 1e-4 * fmax(1, fabs(ref)));
        }
    }
    tide_qrows_free(q);
    free(w), free(x), free(deq), free(out), free(out1);
}

static void test_prune(void **st)
{
    (void)st;
    const float w[8] = {0.5f, -0.1f, 0.3f, -0.3f, 0.0f, 2.0f, -0.05f, 0.2f};
    float thr, out[8];
    /* |w| sorted: 0, .05, .1, .2, .3, .3, .5, 2 ; frac 0.5 -> k = 4 -> threshold .2 */
    assert_int_equal(tide_prune_threshold(w, 8, 0.5, &thr), 0);
    assert_true(thr == 0.2f);
    assert_int_equal(tide_prune_apply(w, 8, thr, out), 4);
    const float want[8] = {0.5f, 0, 0.3f, -0.3f, 0, 2.0f, 0, 0};
    for (int i = 0; i < 8; i++) assert_true(out[i] == want[i]);
    /* k = 5 lands on the tie at .3: both copies go (documented) */
    assert_int_equal(tide_prune_threshold(w, 8, 0.625, &thr), 0);
    assert_int_equal(tide_prune_apply(w, 8, thr, out), 2);
    assert_int_equal(tide_prune_threshold(w, 8, 0.0, &thr), 0);
    assert_int_equal(tide_prune_apply(w, 8, thr, out), 7); /* frac 0: a copy (the 0 stays 0) */
    assert_int_equal(tide_prune_threshold(w, 8, 1.5, &thr), -1);

    tide_qsparse *sp = tide_qsparse_new(want, 2, 4);
    assert_non_null(sp);
    assert_int_equal(sp->nnz, 4);
    const float x[4] = {1, 2, 3, 4}, bias[2] = {0.5f, -1};
    float sc[2];
    tide_qsparse_scores(sp, x, 1, bias, sc);
    assert_true(fabsf(sc[0] - (0.5f + 0.5f + 0.9f - 1.2f)) < 1e-6f); /* row [.5 0 .3 -.3] */
    assert_true(fabsf(sc[1] - (-1 + 2.0f * 2)) < 1e-6f);             /* row [0 2 0 0] */
    assert_int_equal(tide_qsparse_bytes(sp), 3 * 8 + 4 * 8);
    tide_qsparse_free(sp);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_codes_by_hand),
        cmocka_unit_test(test_error_bound_and_paths),
        cmocka_unit_test(test_prune),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
