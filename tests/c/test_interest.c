/* test_interest.c — decayed interest profiles, θ-threshold sets, popularity, co-occurrence and
 * similarity on hand-worked examples. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "interest.h"

#define NEAR(a, b) assert_true(fabs((a) - (b)) < 1e-5)
#define DAY 86400

static void test_profiles(void **st)
{
    (void)st;
    /* user 0: key 0 @ day 0 (type 0), key 1 @ day 1 (type 1, weight 2), key 0 @ day 2, and a
     * future event @ day 9 that must be ignored; user 1: key 2 @ day 0 */
    int64_t off[3] = {0, 4, 5}, time[5] = {0, DAY, 2 * DAY, 9 * DAY, 0}, at[2] = {2 * DAY, 2 * DAY};
    int32_t key[5] = {0, 1, 0, 2, 2}, type[5] = {0, 1, 0, 0, 0};
    float w[2] = {1, 2};
    double lam = log(2.0); /* half-life one day */
    tide_interest_spec sp = {TIDE_DECAY_EXP, 0, &lam, 0, w, 2, DAY};
    float dense[6];
    assert_int_equal(tide_interest_dense(&sp, off, key, time, type, 3, 0, 2, at, dense), 0);
    /* key 0: 1·2^-2 + 1·2^0 = 1.25; key 1: 2·2^-1 = 1; user 1 key 2: 2^-2 */
    NEAR(dense[0], 1.25); NEAR(dense[1], 1.0); NEAR(dense[2], 0.0);
    NEAR(dense[5], 0.25);
    int64_t *oo; int32_t *ok; float *ov;
    assert_int_equal(tide_interest_sparse(&sp, 2, off, key, time, type, 3, at, 1, 0.5, &oo, &ok, &ov), 0);
    /* normalised: 1.25/2.25 = 0.556 kept, 1/2.25 = 0.444 dropped by θ = 0.5; user 1: 1.0 */
    assert_int_equal(oo[1], 1);
    assert_int_equal(ok[0], 0);
    NEAR(ov[0], 1.25 / 2.25);
    assert_int_equal(oo[2], 2);
    NEAR(ov[1], 1.0);
    free(oo); free(ok); free(ov);
    int32_t badkey[5] = {0, 1, 7, 0, 0};
    assert_true(tide_interest_dense(&sp, off, badkey, time, type, 3, 0, 2, at, dense) < 0);
}

static void test_popularity_group(void **st)
{
    (void)st;
    int32_t item[4] = {0, 1, 1, 2};
    int64_t time[4] = {0, 10, 20, 20};
    float pop[3];
    assert_int_equal(tide_item_popularity(4, item, time, NULL, NULL, 0, 3, 20, 10, 0, pop), 0);
    NEAR(pop[0], 0.25); NEAR(pop[1], 1.5); NEAR(pop[2], 1.0);
    tide_item_popularity(4, item, time, NULL, NULL, 0, 3, 20, 0, 15, pop); /* window 15 */
    NEAR(pop[0], 0); NEAR(pop[1], 2); NEAR(pop[2], 1);
    /* per-user reference times: user A at 10 sees events up to 10, user B at 20 sees all */
    int64_t at2[2] = {20, 10};
    float pa[6];
    assert_int_equal(tide_item_popularity_at(4, item, time, NULL, NULL, 0, 3, 10, 0, 2, at2, pa), 0);
    NEAR(pa[0], 0.25); NEAR(pa[1], 1.5); NEAR(pa[2], 1.0);   /* same as the global call at 20 */
    NEAR(pa[3], 0.5); NEAR(pa[4], 1.0); NEAR(pa[5], 0.0);    /* at 10: 2^-1, 1, future event unseen */
    assert_int_equal(tide_item_popularity_at(4, item, time, NULL, NULL, 0, 3, 0, 15, 2, at2, pa), 0);
    NEAR(pa[0], 0); NEAR(pa[1], 2); NEAR(pa[2], 1);          /* window 15 at 20: events at 10, 20 */
    NEAR(pa[3], 1); NEAR(pa[4], 1); NEAR(pa[5], 0);          /* at 10: events at 0 and 10 */
    int32_t u[5] = {1, 0, 1, 0, 2}, perm[5];
    int64_t t[5] = {5, 3, 1, 4, 0}, go[4];
    assert_int_equal(tide_group_sort(5, u, t, 3, go, perm), 0);
    int64_t wo[4] = {0, 2, 4, 5};
    int32_t wp[5] = {1, 3, 2, 0, 4};
    for (int i = 0; i < 4; i++) assert_int_equal(go[i], wo[i]);
    for (int i = 0; i < 5; i++) assert_int_equal(perm[i], wp[i]);
    /* without times: by key, ties in row order (the counting-sort path); user 1 empty here */
    int32_t u2[6] = {2, 0, 2, 0, 0, 3}, wp2[6] = {1, 3, 4, 0, 2, 5}, perm2[6];
    int64_t go2[5], wo2[5] = {0, 3, 3, 5, 6};
    assert_int_equal(tide_group_sort(6, u2, NULL, 4, go2, perm2), 0);
    for (int i = 0; i < 5; i++) assert_int_equal(go2[i], wo2[i]);
    for (int i = 0; i < 6; i++) assert_int_equal(perm2[i], wp2[i]);
    assert_int_equal(tide_group_sort(0, u2, NULL, 4, go2, perm2), 0);
    for (int i = 0; i < 5; i++) assert_int_equal(go2[i], 0);
    u2[2] = 4;
    assert_int_equal(tide_group_sort(6, u2, NULL, 4, go2, perm2), -1);
    float prof[2] = {0.5f, 2.0f}, out[3];
    int32_t cat[3] = {1, 0, 1};
    float ip[3] = {1, 2, 3};
    assert_int_equal(tide_profile_scores(1, 2, prof, 3, cat, ip, 0.01f, out), 0);
    NEAR(out[0], 2.01); NEAR(out[1], 0.52); NEAR(out[2], 2.03);
}

static void test_cooc(void **st)
{
    (void)st;
    /* users {0,1}, {0,1,2}, {2,2} */
    int64_t off[4] = {0, 2, 5, 7};
    int32_t item[7] = {1, 0, 0, 1, 2, 2, 2};
    int64_t *ro; int32_t *col; float *val;
    assert_int_equal(tide_cooc(3, off, item, 3, 0, &ro, &col, &val), 0);
    /* rows: 0: (0,2) (1,2) (2,1); 1: (0,2) (1,2) (2,1); 2: (0,1) (1,1) (2,2) */
    int64_t wro[4] = {0, 3, 6, 9};
    float wv[9] = {2, 2, 1, 2, 2, 1, 1, 1, 2};
    for (int i = 0; i < 4; i++) assert_int_equal(ro[i], wro[i]);
    for (int i = 0; i < 9; i++) { assert_int_equal(col[i], i % 3); NEAR(val[i], wv[i]); }
    assert_int_equal(tide_cooc_similarity(3, ro, col, val, 1, 1), 0);
    NEAR(val[0], 0); NEAR(val[1], 1.0); NEAR(val[2], 1.0 / 3);
    /* user affinity: item 0 weight 1, item 2 weight 0.5 -> scores = S[0] + 0.5 S[2] */
    int64_t ao[2] = {0, 2};
    int32_t ac[2] = {0, 2};
    float av[2] = {1, 0.5f}, sc[3];
    assert_int_equal(tide_sparse_scores(1, ao, ac, av, 3, ro, col, val, sc, 3), 0);
    NEAR(sc[0], 0 + 0.5 / 3); NEAR(sc[1], 1 + 0.5 / 3); NEAR(sc[2], 1.0 / 3);
    free(ro); free(col); free(val);
    /* neighbour cap: item 0 keeps the diagonal and its single strongest neighbour */
    assert_int_equal(tide_cooc(3, off, item, 3, 1, &ro, &col, &val), 0);
    assert_int_equal(ro[1] - ro[0], 2);
    assert_int_equal(col[0], 0);
    assert_int_equal(col[1], 1);
    free(ro); free(col); free(val);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_profiles), cmocka_unit_test(test_popularity_group),
        cmocka_unit_test(test_cooc),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
