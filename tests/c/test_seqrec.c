/* test_seqrec.c — candidate-only evaluation kernels (seqrec_eval.c): the candidates drawn are
 * exactly those tide_rank_sampled ranks against (same ranks from both paths, every drawn id
 * unseen, distinct and not the target), the "fewer items than asked" case, hand-worked ranks
 * with ties, seen targets as misses, dot products, and bad ids. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "metrics.h"
#include "rng.h"
#include "seqrec.h"

enum { B = 6, I = 40, NNEG = 10 };

static void test_same_ranks_as_full_path(void **st)
{
    (void)st;
    /* user b saw items b .. b+4; its target is item 30 + b (user 5 re-consumes a seen item) */
    int64_t soff[B + 1], toff[B + 1];
    int32_t seen[B * 5], tgt[B];
    for (int b = 0; b <= B; b++) soff[b] = 5 * b, toff[b] = b;
    for (int b = 0; b < B; b++) {
        for (int j = 0; j < 5; j++) seen[5 * b + j] = b + j;
        tgt[b] = 30 + b;
    }
    tgt[5] = 6; /* seen by user 5 (items 5..9) */
    float scores[B * I];
    tide_rng r;
    tide_rng_seed(&r, 3);
    for (int i = 0; i < B * I; i++) scores[i] = (float)tide_rng_uniform(&r);
    scores[2 * I + 7] = scores[2 * I + 32]; /* a tie with user 2's target */
    int64_t full[B], mine[B];
    assert_int_equal(tide_rank_sampled(B, I, scores, I, soff, seen, toff, tgt, NNEG, 77, 100, full), 0);
    int32_t cand[B * (1 + NNEG)];
    uint8_t flags[B];
    assert_int_equal(tide_seqrec_candidates(B, I, soff, seen, toff, tgt, NNEG, 77, 100, cand, flags), 0);
    float cs[B * (1 + NNEG)];
    for (int b = 0; b < B; b++) {
        assert_int_equal(cand[b * (1 + NNEG)], tgt[b]);
        for (int c = 0; c <= NNEG; c++) cs[b * (1 + NNEG) + c] = scores[b * I + cand[b * (1 + NNEG) + c]];
        for (int c = 1; c <= NNEG; c++) {
            int32_t id = cand[b * (1 + NNEG) + c];
            assert_true(id >= 0 && id < I && id != tgt[b]);
            assert_false(id >= b && id < b + 5); /* never a seen item */
            for (int d = 1; d < c; d++) assert_int_not_equal(id, cand[b * (1 + NNEG) + d]);
        }
    }
    assert_int_equal(tide_seqrec_rank_candidates(B, 1 + NNEG, cs, 1 + NNEG, cand, flags, I, mine), 0);
    for (int b = 0; b < B; b++) assert_int_equal(mine[b], full[b]);
    assert_int_equal(flags[5], 1);
    assert_int_equal(mine[5], I);
}

static void test_fewer_items_than_asked(void **st)
{
    (void)st;
    /* 6 items, 3 seen, 1 target: only 2 candidates exist; the rest of the row is -1 */
    int64_t soff[2] = {0, 3}, toff[2] = {0, 1};
    int32_t seen[3] = {0, 2, 4}, tgt[1] = {1}, cand[1 + 4];
    uint8_t fl[1];
    assert_int_equal(tide_seqrec_candidates(1, 6, soff, seen, toff, tgt, 4, 1, 0, cand, fl), 0);
    assert_int_equal(cand[0], 1);
    assert_int_equal(cand[1], 3);
    assert_int_equal(cand[2], 5);
    assert_int_equal(cand[3], -1);
    assert_int_equal(cand[4], -1);
}

static void test_rank_ties_and_dot(void **st)
{
    (void)st;
    /* target id 5 score 0.5; candidates 3 (0.5, lower id: before), 9 (0.5, after), 2 (0.7) */
    float s[4] = {0.5f, 0.5f, 0.5f, 0.7f};
    int32_t c[4] = {5, 3, 9, 2};
    int64_t rk;
    assert_int_equal(tide_seqrec_rank_candidates(1, 4, s, 4, c, NULL, 100, &rk), 0);
    assert_int_equal(rk, 2);
    s[0] = NAN;
    assert_int_equal(tide_seqrec_rank_candidates(1, 4, s, 4, c, NULL, 100, &rk), -1);
    float h[2] = {1.0f, -2.0f}, tab[3 * 2] = {1, 1, 0, 3, 2, 0.5f}, out[3];
    int32_t ids[3] = {2, -1, 1};
    assert_int_equal(tide_seqrec_dot_rows(1, 3, 2, h, 2, tab, 2, 3, ids, out), 0);
    assert_true(fabsf(out[0] - 1.0f) < 1e-6f && out[1] == 0.0f && fabsf(out[2] + 6.0f) < 1e-6f);
    ids[0] = 3;
    assert_int_equal(tide_seqrec_dot_rows(1, 3, 2, h, 2, tab, 2, 3, ids, out), -1);
    int64_t toff[2] = {0, 1};
    int32_t bad[1] = {50}, cand[2];
    uint8_t fl[1];
    assert_int_equal(tide_seqrec_candidates(1, 10, NULL, NULL, toff, bad, 1, 1, 0, cand, fl), -1);
    assert_int_equal(tide_seqrec_candidates(1, 10, NULL, NULL, toff, bad, 0, 1, 0, cand, fl), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_ranks_as_full_path),
        cmocka_unit_test(test_fewer_items_than_asked),
        cmocka_unit_test(test_rank_ties_and_dot),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
