/* test_text_sgns.c — skip-gram negative sampling (text_sgns.c): determinism for a seed,
 * out-of-range ids dropped exactly as if absent, rows never seen keep word2vec's init range,
 * two disjoint co-occurrence groups end up with high cosine inside and low across, option
 * errors, empty input. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "error.h"
#include "text_sgns.h"

enum { NSEQ = 300, LEN = 8, V = 12, DIM = 16 };

/* Sequences alternate between ids 0..4 and ids 5..9 (ids 10, 11 never occur). */
static void groups(int32_t *ids, int64_t *off)
{
    uint32_t x = 7;
    off[0] = 0;
    for (int s = 0; s < NSEQ; s++) {
        for (int j = 0; j < LEN; j++) {
            x = x * 1103515245u + 12345u;
            ids[s * LEN + j] = (s % 2) * 5 + (int32_t)((x >> 16) % 5);
        }
        off[s + 1] = (int64_t)(s + 1) * LEN;
    }
}

static tide_sgns_opts opts(uint64_t seed)
{
    tide_sgns_opts o = {DIM, 2, 4, 4, 0.025f, 0, seed};
    return o;
}

static double cosine(const float *a, const float *b)
{
    double d = 0, na = 0, nb = 0;
    for (int k = 0; k < DIM; k++) d += a[k] * b[k], na += a[k] * a[k], nb += b[k] * b[k];
    return d / sqrt(na * nb);
}

static void test_groups_and_determinism(void **st)
{
    (void)st;
    static int32_t ids[NSEQ * LEN];
    static int64_t off[NSEQ + 1];
    static float a[V * DIM], b[V * DIM], c[V * DIM];
    groups(ids, off);
    tide_sgns_opts o = opts(3);
    assert_int_equal(tide_sgns_train(ids, off, NSEQ, V, &o, a), TIDE_OK);
    assert_int_equal(tide_sgns_train(ids, off, NSEQ, V, &o, b), TIDE_OK);
    assert_memory_equal(a, b, sizeof a);
    o.seed = 4;
    assert_int_equal(tide_sgns_train(ids, off, NSEQ, V, &o, c), TIDE_OK);
    assert_memory_not_equal(a, c, sizeof a);
    double inside = 0, across = 0;
    for (int i = 0; i < 5; i++)
        for (int j = 0; j < 5; j++) {
            if (i != j) inside += (cosine(a + i * DIM, a + j * DIM) + cosine(a + (5 + i) * DIM, a + (5 + j) * DIM)) / 40;
            across += cosine(a + i * DIM, a + (5 + j) * DIM) / 25;
        }
    assert_true(inside > 0.8);
    assert_true(across < 0.3);
    /* ids 10 and 11 never occur: they keep the init, uniform in +-0.5/dim */
    for (int k = 10 * DIM; k < V * DIM; k++) assert_true(fabsf(a[k]) <= 0.5f / DIM);
}

static void test_out_of_range_ids_are_absent(void **st)
{
    (void)st;
    int32_t plain[] = {0, 1, 2, 1, 0, 3, 2, 2, 1};
    int64_t poff[] = {0, 5, 9};
    int32_t noisy[] = {-1, 0, 1, 4, 2, 1, 0, 3, -7, 2, 2, 4, 1};
    int64_t noff[] = {0, 7, 13}; /* V = 4: ids 4, -1, -7 are dropped */
    float a[4 * DIM], b[4 * DIM];
    tide_sgns_opts o = opts(9);
    o.sample = 0.2f; /* subsampling draws must line up too */
    assert_int_equal(tide_sgns_train(plain, poff, 2, 4, &o, a), TIDE_OK);
    assert_int_equal(tide_sgns_train(noisy, noff, 2, 4, &o, b), TIDE_OK);
    assert_memory_equal(a, b, sizeof a);
}

static void test_errors_and_empty(void **st)
{
    (void)st;
    int32_t ids[] = {0, 1};
    int64_t off[] = {0, 2}, zero[] = {0};
    float e[2 * DIM];
    tide_sgns_opts o = opts(1);
    o.dim = 0;
    assert_int_equal(tide_sgns_train(ids, off, 1, 2, &o, e), TIDE_ERR);
    assert_non_null(strstr(tide_error(), "dim"));
    o = opts(1), o.lr = -1;
    assert_int_equal(tide_sgns_train(ids, off, 1, 2, &o, e), TIDE_ERR);
    o = opts(1), o.sample = NAN;
    assert_int_equal(tide_sgns_train(ids, off, 1, 2, &o, e), TIDE_ERR);
    o = opts(1);
    assert_int_equal(tide_sgns_train(ids, off, 1, 0, &o, e), TIDE_ERR);
    assert_int_equal(tide_sgns_train(ids, zero, 0, 2, &o, e), TIDE_OK); /* init only */
    for (int k = 0; k < 2 * DIM; k++) assert_true(fabsf(e[k]) <= 0.5f / DIM);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_groups_and_determinism),
        cmocka_unit_test(test_out_of_range_ids_are_absent),
        cmocka_unit_test(test_errors_and_empty),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
