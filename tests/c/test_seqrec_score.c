/* test_seqrec_score.c — the fused full-ranking kernel (seqrec_score.c, seqrec_gemm.c) against a
 * straightforward reference: every score by a plain loop, candidates sorted by (score desc, id
 * asc), a target's rank = its position in that list, the top-K = its head. States and items
 * hold small multiples of 1/4, so every dot product is exact in float whatever the summation
 * order and ties are everywhere. Sizes cross the tile edges (users > 64 and not a multiple of 8,
 * items > 1024 and not a multiple of 16). Also: every tile path and thread count gives the same
 * bits, tiles equal single dot products on random floats, the fused result equals
 * tide_rank_topk over the materialised score matrix, NaN handling and bad arguments. */
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
#include "seqrec_internal.h"

enum { B = 150, I = 1100, D = 5, K = 7, MAXT = 3 };

typedef struct {
    float H[B * D], E[I * D];
    int64_t soff[B + 1], toff[B + 1];
    int32_t seen[B * 12], tgt[B * MAXT];
} problem;

static problem P;

/* States and items in {-1, -0.75, ..., 1}: dot products are exact, many scores tie. */
static void make_problem(void)
{
    tide_rng r;
    tide_rng_seed(&r, 11);
    for (int i = 0; i < B * D; i++) P.H[i] = (float)((int)tide_rng_below(&r, 9) - 4) / 4.0f;
    for (int i = 0; i < I * D; i++) P.E[i] = (float)((int)tide_rng_below(&r, 9) - 4) / 4.0f;
    int64_t ns = 0, nt = 0;
    P.soff[0] = P.toff[0] = 0;
    for (int b = 0; b < B; b++) {
        int m = b % 5 == 0 ? 0 : (int)tide_rng_below(&r, 12); /* every 5th user has no history */
        for (int q = 0; q < m; q++) P.seen[ns++] = (int32_t)tide_rng_below(&r, I);
        if (m > 2) { /* a duplicate seen id */
            P.seen[ns] = P.seen[ns - 1];
            ns++;
        }
        P.soff[b + 1] = ns;
        int t = b % 7 == 3 ? 0 : 1 + (int)tide_rng_below(&r, MAXT); /* some users have no target */
        for (int q = 0; q < t; q++) P.tgt[nt++] = (int32_t)tide_rng_below(&r, I);
        if (b % 11 == 1 && m > 0) P.tgt[nt - 1] = P.seen[P.soff[b]]; /* a seen target: a miss */
        if (b % 13 == 2 && t > 1) P.tgt[nt - 1] = P.tgt[nt - 2];    /* a target listed twice */
        P.toff[b + 1] = nt;
    }
}

static float exact_dot(const float *h, const float *e)
{
    double s = 0;
    for (int d = 0; d < D; d++) s += (double)h[d] * e[d];
    return (float)s; /* exact: multiples of 1/16 with |s| <= 5 */
}

typedef struct {
    float s;
    int32_t id;
} pair;

static int pair_cmp(const void *a, const void *b)
{
    const pair *x = a, *y = b;
    if (x->s != y->s) return x->s > y->s ? -1 : 1;
    return (x->id > y->id) - (x->id < y->id);
}

/* the reference: sort each user's candidates (items not seen), rank = position */
static void reference(int use_seen, int64_t *rank, int32_t *items)
{
    pair *c = malloc(sizeof(pair) * I);
    uint8_t *seen = malloc(I);
    for (int b = 0; b < B; b++) {
        memset(seen, 0, I);
        for (int64_t q = P.soff[b]; use_seen && q < P.soff[b + 1]; q++) seen[P.seen[q]] = 1;
        int n = 0;
        for (int i = 0; i < I; i++)
            if (!seen[i]) c[n++] = (pair){exact_dot(P.H + b * D, P.E + i * D), i};
        qsort(c, (size_t)n, sizeof(pair), pair_cmp);
        for (int q = 0; q < K; q++) items[b * K + q] = q < n ? c[q].id : -1;
        for (int64_t p = P.toff[b]; p < P.toff[b + 1]; p++) {
            rank[p] = I;
            for (int q = 0; q < n; q++)
                if (c[q].id == P.tgt[p]) rank[p] = q;
        }
    }
    free(c);
    free(seen);
}

static void run_fused(int use_seen, int64_t *rank, int32_t *items, float *vals)
{
    assert_int_equal(tide_seqrec_rank_topk(B, D, P.H, D, I, P.E, D, use_seen ? P.soff : NULL, use_seen ? P.seen : NULL,
                                           P.toff, P.tgt, rank, K, items, vals),
                     0);
}

static void test_matches_sorting_reference(void **st)
{
    (void)st;
    static int64_t want_r[B * MAXT], got_r[B * MAXT];
    static int32_t want_i[B * K], got_i[B * K];
    static float vals[B * K];
    const char *paths[] = {"plain", "avx2", "best"};
    for (int use_seen = 0; use_seen <= 1; use_seen++) {
        reference(use_seen, want_r, want_i);
        for (int k = 0; k < 3; k++) {
            setenv("TIDE_SEQREC_ISA", paths[k], 1);
            for (int threads = 1; threads <= 3; threads++) {
                char tb[8];
                snprintf(tb, sizeof tb, "%d", threads);
                setenv("TIDE_THREADS", tb, 1);
                run_fused(use_seen, got_r, got_i, vals);
                for (int64_t p = 0; p < P.toff[B]; p++) assert_int_equal(got_r[p], want_r[p]);
                for (int q = 0; q < B * K; q++) assert_int_equal(got_i[q], want_i[q]);
                for (int b = 0; b < B; b++) /* the returned scores are the items' scores */
                    assert_true(vals[b * K] == exact_dot(P.H + b * D, P.E + want_i[b * K] * D));
            }
        }
    }
    unsetenv("TIDE_SEQREC_ISA");
    unsetenv("TIDE_THREADS");
}

/* a user who has seen all but two items: the list has two entries, then -1 */
static void test_short_lists(void **st)
{
    (void)st;
    enum { I2 = 20 };
    float h[3] = {1, 0, 0}, e[I2 * 3];
    for (int i = 0; i < I2; i++) e[i * 3] = (float)(i % 4), e[i * 3 + 1] = 1, e[i * 3 + 2] = -1;
    int32_t seen[18];
    for (int i = 0; i < 18; i++) seen[i] = i + 2; /* items 0 and 1 remain: scores 0 and 1 */
    int64_t soff[2] = {0, 18}, toff[2] = {0, 1}, rank;
    int32_t tgt = 0, items[5];
    float vals[5];
    assert_int_equal(tide_seqrec_rank_topk(1, 3, h, 3, I2, e, 3, soff, seen, toff, &tgt, &rank, 5, items, vals), 0);
    assert_int_equal(rank, 1); /* item 1 (score 1) comes first */
    assert_int_equal(items[0], 1);
    assert_int_equal(items[1], 0);
    for (int q = 2; q < 5; q++) {
        assert_int_equal(items[q], -1);
        assert_true(isnan(vals[q]));
    }
    /* K = 0 and no targets: nothing to do, no error */
    assert_int_equal(tide_seqrec_rank_topk(1, 3, h, 3, I2, e, 3, NULL, NULL, NULL, NULL, NULL, 0, NULL, NULL), 0);
}

/* random floats: tiles equal single dot products bitwise, on every path */
static void test_tiles_equal_dots(void **st)
{
    (void)st;
    enum { R = 16, N = 70, DD = 13 };
    float H[R * DD], E[N * DD], S[R * 96];
    tide_rng r;
    tide_rng_seed(&r, 5);
    for (int i = 0; i < R * DD; i++) H[i] = (float)tide_rng_normal(&r);
    for (int i = 0; i < N * DD; i++) E[i] = (float)tide_rng_normal(&r);
    int64_t np;
    float *Pk = tide_seqrec_pack(N, DD, E, DD, &np);
    assert_non_null(Pk);
    assert_int_equal(np, 6); /* 70 items: 5 panels, rounded up to a pair */
    const char *paths[] = {"plain", "avx2", "best"};
    for (int k = 0; k < 3; k++) {
        setenv("TIDE_SEQREC_ISA", paths[k], 1);
        int isa = tide_seqrec_isa();
        tide_seqrec_tile(isa, R, H, DD, Pk, np, S, 96);
        for (int u = 0; u < R; u++)
            for (int i = 0; i < N; i++) {
                float want = tide_seqrec_dot(isa, DD, H + u * DD, E + i * DD);
                assert_true(memcmp(&S[u * 96 + i], &want, sizeof want) == 0);
                double exact = 0;
                for (int d = 0; d < DD; d++) exact += (double)H[u * DD + d] * E[i * DD + d];
                assert_true(fabs(S[u * 96 + i] - exact) < 1e-4 * (1 + fabs(exact)));
            }
    }
    unsetenv("TIDE_SEQREC_ISA");
    free(Pk);
}

/* random floats: the fused result is tide_rank_topk over the score matrix of the same dots */
static void test_same_as_score_matrix(void **st)
{
    (void)st;
    enum { B2 = 70, I2 = 300, D2 = 9, K2 = 5 };
    static float H[B2 * D2], E[I2 * D2], S[B2 * I2];
    tide_rng r;
    tide_rng_seed(&r, 8);
    for (int i = 0; i < B2 * D2; i++) H[i] = (float)tide_rng_normal(&r);
    for (int i = 0; i < I2 * D2; i++) E[i] = (float)tide_rng_normal(&r);
    int64_t soff[B2 + 1], toff[B2 + 1];
    int32_t seen[B2 * 3], tgt[B2];
    for (int b = 0; b <= B2; b++) soff[b] = 3 * b, toff[b] = b;
    for (int b = 0; b < B2; b++) {
        for (int q = 0; q < 3; q++) seen[3 * b + q] = (int32_t)tide_rng_below(&r, I2);
        tgt[b] = (int32_t)tide_rng_below(&r, I2);
    }
    int isa = tide_seqrec_isa();
    for (int b = 0; b < B2; b++)
        for (int i = 0; i < I2; i++) S[b * I2 + i] = tide_seqrec_dot(isa, D2, H + b * D2, E + i * D2);
    int64_t r1[B2], r2[B2];
    int32_t l1[B2 * K2], l2[B2 * K2];
    assert_int_equal(tide_rank_topk(B2, I2, S, I2, soff, seen, toff, tgt, r1, K2, l1, NULL), 0);
    assert_int_equal(tide_seqrec_rank_topk(B2, D2, H, D2, I2, E, D2, soff, seen, toff, tgt, r2, K2, l2, NULL), 0);
    for (int b = 0; b < B2; b++) assert_int_equal(r1[b], r2[b]);
    for (int q = 0; q < B2 * K2; q++) assert_int_equal(l1[q], l2[q]);
}

static void test_nan_and_bad_arguments(void **st)
{
    (void)st;
    float h[2] = {1, 1}, e[4 * 2] = {1, 0, NAN, 0, 0, 1, 2, 2};
    int64_t off[2] = {0, 1}, bad_off[2] = {1, 1}, rank;
    int32_t t = 3, items[3];
    /* item 1 scores NaN: never listed, never counted before the target */
    assert_int_equal(tide_seqrec_rank_topk(1, 2, h, 2, 4, e, 2, NULL, NULL, off, &t, &rank, 3, items, NULL), 0);
    assert_int_equal(rank, 0);
    assert_int_equal(items[0], 3);
    assert_int_equal(items[1], 0);
    assert_int_equal(items[2], 2);
    t = 1; /* a NaN target score is an error */
    assert_int_equal(tide_seqrec_rank_topk(1, 2, h, 2, 4, e, 2, NULL, NULL, off, &t, &rank, 3, items, NULL), -1);
    assert_non_null(strstr(tide_error(), "NaN"));
    t = 4;
    assert_int_equal(tide_seqrec_rank_topk(1, 2, h, 2, 4, e, 2, NULL, NULL, off, &t, &rank, 3, items, NULL), -1);
    assert_non_null(strstr(tide_error(), "outside"));
    t = 0;
    assert_int_equal(tide_seqrec_rank_topk(1, 2, h, 2, 4, e, 2, NULL, NULL, bad_off, &t, &rank, 3, items, NULL), -1);
    assert_non_null(strstr(tide_error(), "start at 0"));
    assert_int_equal(tide_seqrec_rank_topk(1, 0, h, 2, 4, e, 2, NULL, NULL, off, &t, &rank, 3, items, NULL), -1);
    assert_int_equal(tide_seqrec_rank_topk(1, 2, h, 2, 4, e, 2, NULL, NULL, off, &t, &rank, -1, items, NULL), -1);
}

/* two runs in flight at once (with and without seen lists), each = the sorting reference */
static void test_async_matches_reference(void **st)
{
    (void)st;
    static int64_t want_r[2][B * MAXT], got_r[2][B * MAXT];
    static int32_t want_i[2][B * K], got_i[2][B * K];
    tide_seqrec_run *run[2];
    for (int s = 0; s < 2; s++) {
        reference(s, want_r[s], want_i[s]);
        assert_int_equal(tide_seqrec_rank_topk_start(B, D, P.H, D, I, P.E, D, s ? P.soff : NULL, s ? P.seen : NULL,
                                                     P.toff, P.tgt, got_r[s], K, got_i[s], NULL, &run[s]),
                         0);
        assert_non_null(run[s]);
    }
    for (int s = 1; s >= 0; s--) {
        assert_int_equal(tide_seqrec_rank_topk_wait(run[s]), 0);
        for (int64_t p = 0; p < P.toff[B]; p++) assert_int_equal(got_r[s][p], want_r[s][p]);
        for (int q = 0; q < B * K; q++) assert_int_equal(got_i[s][q], want_i[s][q]);
    }
    /* bad arguments fail at the start with no run; a NaN target at the wait */
    float h[2] = {1, 1}, e[2 * 2] = {NAN, 0, 1, 1};
    int64_t off[2] = {0, 1}, rank;
    int32_t t = 0, items[1];
    tide_seqrec_run *r = (tide_seqrec_run *)1;
    assert_int_equal(tide_seqrec_rank_topk_start(1, 2, h, 2, 2, e, 2, NULL, NULL, off, &t, &rank, -1, items, NULL, &r), -1);
    assert_null(r);
    assert_int_equal(tide_seqrec_rank_topk_start(1, 2, h, 2, 2, e, 2, NULL, NULL, off, &t, &rank, 1, items, NULL, &r), 0);
    assert_int_equal(tide_seqrec_rank_topk_wait(r), -1);
    assert_non_null(strstr(tide_error(), "NaN"));
    assert_int_equal(tide_seqrec_rank_topk_wait(NULL), 0);
}

/* hand-worked: one head, D = 2, scale 1/sqrt(2); q = (sqrt(2) ln 3, 0), keys (1, 0) and (0, 0)
 * give logits ln 3 and 0, weights 3/4 and 1/4 of values (4, 8) and (0, 4): (3, 7); a masked
 * key is ignored, a row with every key masked gets zeros; two heads of width 1 are independent */
static void test_last_attention_hand_worked(void **st)
{
    (void)st;
    float q[2 * 2] = {(float)(sqrt(2.0) * log(3.0)), 0, 5, 5};
    float kv[2 * 2 * 4] = {1, 0, 4, 8, 0, 0, 0, 4, /* row 0 */ 1, 1, 9, 9, 2, 2, 7, 7};
    uint8_t mask[4] = {1, 1, 0, 0}, mask2[4] = {1, 0, 1, 1};
    float out[4];
    assert_int_equal(tide_seqrec_last_attention(2, 2, 2, 1, q, kv, mask, out), 0);
    assert_float_equal(out[0], 3.0f, 1e-5f);
    assert_float_equal(out[1], 7.0f, 1e-5f);
    assert_true(out[2] == 0.0f && out[3] == 0.0f);
    assert_int_equal(tide_seqrec_last_attention(2, 2, 2, 1, q, kv, mask2, out), 0);
    assert_float_equal(out[0], 4.0f, 1e-6f); /* only key 0 visible */
    assert_float_equal(out[1], 8.0f, 1e-6f);
    /* two heads of width 1 (scale 1): head 0 logits (q0 k00, q0 k10) = (ln 3 sqrt 2, 0) */
    assert_int_equal(tide_seqrec_last_attention(1, 2, 2, 2, q, kv, NULL, out), 0);
    double a = exp(sqrt(2.0) * log(3.0)), w = a / (a + 1);
    assert_float_equal(out[0], (float)(w * 4 + (1 - w) * 0), 1e-5f);
    assert_float_equal(out[1], 6.0f, 1e-5f); /* head 1: q1 = 0, equal weights of 8 and 4 */
    assert_int_equal(tide_seqrec_last_attention(1, 2, 3, 2, q, kv, NULL, out), -1);
    assert_int_equal(tide_seqrec_last_attention(1, 0, 2, 1, q, kv, NULL, out), -1);
}

int main(void)
{
    make_problem();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_matches_sorting_reference), cmocka_unit_test(test_short_lists),
        cmocka_unit_test(test_tiles_equal_dots),          cmocka_unit_test(test_same_as_score_matrix),
        cmocka_unit_test(test_nan_and_bad_arguments),    cmocka_unit_test(test_async_matches_reference),
        cmocka_unit_test(test_last_attention_hand_worked),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
