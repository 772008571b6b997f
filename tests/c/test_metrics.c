/* test_metrics.c — ranking and classification metrics on examples worked by hand (the
 * expected numbers are derived in the comments, not taken from the code). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "metrics.h"

#define NEAR(a, b) assert_true(fabs((a) - (b)) < 1e-9)

/* row 0: seen {1}, target 3 (0.9, tied with seen item 1 which is excluded) -> rank 0
 * row 1: seen {2,2}, targets {0, 5}: 0 has 3 (0.6) and 4 (0.7) before it -> 2; 5 is last of
 *        the 5 candidates -> 4 */
static const float SC[12] = {0.1f, 0.9f, 0.3f, 0.9f, 0.5f, 0.2f, 0.4f, 0.1f, 0.8f, 0.6f, 0.7f, 0.0f};
static const int64_t SOFF[3] = {0, 1, 3}, TOFF[3] = {0, 1, 3};
static const int32_t SEEN[3] = {1, 2, 2}, TGT[3] = {3, 0, 5};

static void test_ranks_and_metrics(void **st)
{
    (void)st;
    int64_t rank[3];
    assert_int_equal(tide_rank_targets(2, 6, SC, 6, SOFF, SEEN, TOFF, TGT, rank), 0);
    assert_int_equal(rank[0], 0);
    assert_int_equal(rank[1], 2);
    assert_int_equal(rank[2], 4);
    /* without exclusion: row 0 target 3 ties with item 1 (lower id first) -> 1; row 1: item 2
     * (0.8) joins -> 3 and 5 */
    assert_int_equal(tide_rank_targets(2, 6, SC, 6, NULL, NULL, TOFF, TGT, rank), 0);
    assert_int_equal(rank[0], 1);
    assert_int_equal(rank[1], 3);
    assert_int_equal(rank[2], 5);
    tide_rank_targets(2, 6, SC, 6, SOFF, SEEN, TOFF, TGT, rank);
    int ks[1] = {3};
    double s[6] = {0};
    int64_t nu;
    assert_int_equal(tide_rank_metrics(2, TOFF, rank, 1, ks, s, &nu), 0);
    assert_int_equal(nu, 2);
    /* row 1 at K=3: one hit at rank 2: DCG 1/log2(4) = 0.5, IDCG 1 + 1/log2(3) */
    double ndcg1 = 0.5 / (1 + 1 / log2(3.0));
    NEAR(s[0] / 2, 1.0);                       /* HR */
    NEAR(s[1] / 2, (1 + ndcg1) / 2);           /* NDCG */
    NEAR(s[2] / 2, (1 + 0.5) / 2);             /* Recall */
    NEAR(s[3] / 2, (1.0 / 3 + 1.0 / 3) / 2);   /* Precision */
    NEAR(s[4] / 2, (1 + (1.0 / 3) / 2) / 2);   /* MAP: row 1 AP = (1/3) / min(2, 3) */
    NEAR(s[5] / 2, (1 + 1.0 / 3) / 2);         /* MRR */
}

static void test_duplicate_targets(void **st)
{
    (void)st;
    /* one row, target item 1 listed twice: same as listing it once (HR 1, AP 1, recall 1) */
    float x[3] = {0.1f, 0.9f, 0.5f};
    int64_t off[2] = {0, 2}, r[2];
    int32_t tg[2] = {1, 1};
    tide_rank_targets(1, 3, x, 3, NULL, NULL, off, tg, r);
    int ks[1] = {2};
    double s[6] = {0};
    int64_t nu;
    tide_rank_metrics(1, off, r, 1, ks, s, &nu);
    NEAR(s[0], 1); NEAR(s[1], 1); NEAR(s[2], 1); NEAR(s[4], 1); NEAR(s[3], 0.5);
}

static void test_topk(void **st)
{
    (void)st;
    int32_t it[6];
    float v[6];
    assert_int_equal(tide_metrics_topk(2, 6, SC, 6, SOFF, SEEN, 3, it, v), 0);
    int32_t want[6] = {3, 4, 2, 4, 3, 0};
    for (int i = 0; i < 6; i++) assert_int_equal(it[i], want[i]);
    assert_true(v[0] == 0.9f && v[3] == 0.7f);
    float ties[3] = {1, 1, 1};
    int32_t t2[4];
    assert_int_equal(tide_metrics_topk(1, 3, ties, 3, NULL, NULL, 2, t2, NULL), 0);
    assert_int_equal(t2[0], 0);
    assert_int_equal(t2[1], 1);
    /* K beyond the candidates: padded with -1 */
    assert_int_equal(tide_metrics_topk(1, 3, ties, 3, NULL, NULL, 4, t2, NULL), 0);
    assert_int_equal(t2[3], -1);
    /* consistency: rank < K iff in the top-K list, on a random-ish row */
    float row[50];
    for (int i = 0; i < 50; i++) row[i] = (float)((i * 37) % 11);
    int32_t top[10];
    tide_metrics_topk(1, 50, row, 50, NULL, NULL, 10, top, NULL);
    for (int j = 0; j < 50; j++) {
        int64_t off[2] = {0, 1}, r;
        int32_t tg = j;
        tide_rank_targets(1, 50, row, 50, NULL, NULL, off, &tg, &r);
        int in = 0;
        for (int q = 0; q < 10; q++) in |= top[q] == j;
        assert_int_equal(r < 10, in);
        if (in) assert_int_equal(top[r], j);
    }
}

/* the fused pass equals rank_targets + topk on random rows with many ties, seen lists and
 * several targets per row */
static void test_fused_matches_separate(void **st)
{
    (void)st;
    enum { B = 40, I = 300, K = 7 };
    static float x[B * I];
    static int64_t soff[B + 1], toff[B + 1];
    static int32_t seen[B * 20], tgt[B * 3], it1[B * K], it2[B * K];
    static int64_t r1[B * 3], r2[B * 3];
    uint32_t h = 12345;
#define NEXT() (h = h * 1664525u + 1013904223u, h >> 8)
    int64_t ns = 0, nt = 0;
    for (int b = 0; b < B; b++) {
        soff[b] = ns; toff[b] = nt;
        for (int i = 0; i < I; i++) x[b * I + i] = (float)(NEXT() % 13); /* heavy ties */
        int m = (int)(NEXT() % 20);
        for (int q = 0; q < m; q++) seen[ns++] = (int32_t)(NEXT() % I);
        int t = (int)(NEXT() % 4);
        for (int q = 0; q < t; q++) tgt[nt++] = (int32_t)(NEXT() % I);
    }
    soff[B] = ns; toff[B] = nt;
#undef NEXT
    assert_int_equal(tide_rank_targets(B, I, x, I, soff, seen, toff, tgt, r1), 0);
    assert_int_equal(tide_rank_topk(B, I, x, I, soff, seen, toff, tgt, r2, K, it2, NULL), 0);
    for (int64_t p = 0; p < nt; p++) assert_int_equal(r1[p], r2[p]);
    /* top-K: equal to the separate top-K with the same seen list (seen targets excluded too) */
    assert_int_equal(tide_metrics_topk(B, I, x, I, soff, seen, K, it1, NULL), 0);
    for (int i = 0; i < B * K; i++) assert_int_equal(it1[i], it2[i]);
}

/* A target the user had already seen is excluded with the other seen items (a miss), in the
 * full, fused and sampled protocols: a model that scores the user's history above everything
 * else must not get a hit from the one seen item left unmasked. Worked by hand:
 * 5 items, seen {0, 1, 2}, targets {1 (seen), 4}; the model scores seen items highest. */
static void test_seen_target_is_a_miss(void **st)
{
    (void)st;
    const float x[5] = {0.9f, 0.8f, 0.7f, 0.1f, 0.2f};
    const int64_t soff[2] = {0, 3}, toff[2] = {0, 2};
    const int32_t seen[3] = {0, 1, 2}, tgt[2] = {1, 4};
    int64_t r[2], rs[2];
    int32_t items[2];
    assert_int_equal(tide_rank_targets(1, 5, x, 5, soff, seen, toff, tgt, r), 0);
    assert_int_equal(r[0], 5); /* seen target: rank I, never within K */
    assert_int_equal(r[1], 0); /* item 4 (0.2) beats item 3 (0.1), the only other candidate */
    assert_int_equal(tide_rank_topk(1, 5, x, 5, soff, seen, toff, tgt, rs, 2, items, NULL), 0);
    assert_int_equal(rs[0], 5);
    assert_int_equal(rs[1], 0);
    assert_int_equal(items[0], 4); /* the list holds unseen items only */
    assert_int_equal(items[1], 3);
    assert_int_equal(tide_rank_sampled(1, 5, x, 5, soff, seen, toff, tgt, 100, 1, 0, rs), 0);
    assert_int_equal(rs[0], 5);
    assert_int_equal(rs[1], 0);
    /* without a seen list the repeat is rankable: item 1 is behind item 0 only */
    assert_int_equal(tide_rank_targets(1, 5, x, 5, NULL, NULL, toff, tgt, r), 0);
    assert_int_equal(r[0], 1);
}

static void test_sampled(void **st)
{
    (void)st;
    static float x[200];
    for (int i = 0; i < 200; i++) x[i] = (float)i;
    int64_t off[2] = {0, 1}, r1, r2;
    int32_t tg = 100;
    /* 199 negatives = every other item: rank = items scoring above 100 = 99 */
    assert_int_equal(tide_rank_sampled(1, 200, x, 200, NULL, NULL, off, &tg, 199, 7, 0, &r1), 0);
    assert_int_equal(r1, 99);
    tide_rank_sampled(1, 200, x, 200, NULL, NULL, off, &tg, 50, 7, 0, &r1);
    tide_rank_sampled(1, 200, x, 200, NULL, NULL, off, &tg, 50, 7, 0, &r2);
    assert_int_equal(r1, r2); /* deterministic */
    assert_true(r1 >= 10 && r1 <= 40);
}

static void test_errors(void **st)
{
    (void)st;
    int64_t off[2] = {0, 1}, r;
    int32_t bad = 9;
    float x[3] = {1, NAN, 2};
    assert_true(tide_rank_targets(1, 3, x, 3, NULL, NULL, off, &bad, &r) < 0);
    int32_t t1 = 1;
    assert_true(tide_rank_targets(1, 3, x, 3, NULL, NULL, off, &t1, &r) < 0); /* NaN target */
    int32_t t0 = 0;
    assert_int_equal(tide_rank_targets(1, 3, x, 3, NULL, NULL, off, &t0, &r), 0);
    assert_int_equal(r, 1); /* NaN never ranks above */
}

static void test_classification(void **st)
{
    (void)st;
    float s1[4] = {0.1f, 0.4f, 0.35f, 0.8f}, y1[4] = {0, 0, 1, 1};
    NEAR(tide_auc(4, s1, y1), 0.75);
    /* ties: pos .5 vs neg .5 counts 1/2; the other three pairs are correct -> 3.5/4 */
    float s2[4] = {0.5f, 0.5f, 0.2f, 0.9f}, y2[4] = {1, 0, 0, 1};
    NEAR(tide_auc(4, s2, y2), 0.875);
    float y0[2] = {0, 0}, s0[2] = {1, 2};
    assert_true(isnan(tide_auc(2, s0, y0)));
    float p[2] = {0.9f, 0.2f}, y[2] = {1, 0};
    assert_true(fabs(tide_log_loss(2, p, y) + (log(0.9f) + log(1 - 0.2f)) / 2) < 1e-7);
    float pe[4] = {0.1f, 0.3f, 0.6f, 0.9f}, ye[4] = {0, 1, 1, 1};
    assert_true(fabs(tide_ece(4, pe, ye, 2) - 0.275) < 1e-7);
    float pb[4] = {0.9f, 0.2f, 0.6f, 0.4f}, yb[4] = {1, 0, 0, 1};
    double o[8];
    tide_binary_scores(4, pb, yb, 0.5, o);
    NEAR(o[0], 0.5); NEAR(o[1], 0.5); NEAR(o[2], 0.5); NEAR(o[3], 0.5);
}

static void test_beyond(void **st)
{
    (void)st;
    int32_t items[4] = {0, 1, 1, 2};
    float pop[4] = {1, 4, 2, 0};
    int32_t cat[4] = {0, 0, 1, 1};
    double o[3];
    assert_int_equal(tide_beyond_accuracy(2, 2, items, 4, pop, 4, NULL, 0, cat, o), 0);
    NEAR(o[0], 0.75);
    NEAR(o[1], 0.75); /* (2 + 0 + 0 + 1) / 4 */
    NEAR(o[2], 0.5);
    float emb[8] = {1, 0, 1, 0, 0, 1, 0, 1}; /* items 0,1 identical; 2 orthogonal to 1 */
    tide_beyond_accuracy(2, 2, items, 4, NULL, 4, emb, 2, NULL, o);
    NEAR(o[2], 0.5);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ranks_and_metrics), cmocka_unit_test(test_topk),
        cmocka_unit_test(test_duplicate_targets), cmocka_unit_test(test_fused_matches_separate),
        cmocka_unit_test(test_seen_target_is_a_miss),
        cmocka_unit_test(test_sampled), cmocka_unit_test(test_errors),
        cmocka_unit_test(test_classification), cmocka_unit_test(test_beyond),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
