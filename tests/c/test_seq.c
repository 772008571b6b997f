/* test_seq.c — CSR ordering, sessions, burst de-dup, k-core and id compaction, each against
 * a naive implementation written here (qsort with a full comparator, O(n^2) scans, one-row-
 * at-a-time removal for the k-core, which is unique so the order of removal cannot matter). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "error.h"
#include "seq.h"

enum { N = 3000, NU = 60, NI = 40 };
static int32_t U[N], I[N], E[N];
static int64_t TM[N];

static uint64_t rs = 99;
static uint64_t rnd(void)
{
    rs ^= rs << 13;
    rs ^= rs >> 7;
    rs ^= rs << 17;
    return rs;
}

static void gen(void)
{
    for (int i = 0; i < N; i++) {
        U[i] = (int32_t)(1 + rnd() % NU);
        I[i] = (int32_t)(1 + rnd() % NI);
        E[i] = (int32_t)(1 + rnd() % 2);
        TM[i] = (int64_t)(rnd() % 500); /* many ties */
    }
    U[5] = NU; /* make sure the last user exists */
}

static int cmp_ut(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    if (U[x] != U[y]) return U[x] < U[y] ? -1 : 1;
    if (TM[x] != TM[y]) return TM[x] < TM[y] ? -1 : 1;
    return (x > y) - (x < y);
}

static void test_order(void **st)
{
    (void)st;
    gen();
    static int64_t perm[N], ref[N], off[NU + 1];
    assert_int_equal(tide_seq_order(N, U, TM, NU, perm, off), TIDE_OK);
    for (int i = 0; i < N; i++) ref[i] = i;
    qsort(ref, N, sizeof *ref, cmp_ut);
    assert_memory_equal(perm, ref, sizeof ref);
    assert_int_equal(off[0], 0);
    assert_int_equal(off[NU], N);
    for (int u = 1; u <= NU; u++)
        for (int64_t k = off[u - 1]; k < off[u]; k++) assert_int_equal(U[perm[k]], u);
    /* no time: input order within a user */
    assert_int_equal(tide_seq_order(N, U, NULL, NU, perm, off), TIDE_OK);
    for (int u = 1; u <= NU; u++)
        for (int64_t k = off[u - 1] + 1; k < off[u]; k++) assert_true(perm[k] > perm[k - 1]);
    /* a user id out of range is an error, not a write out of bounds */
    int32_t bad[2] = {1, NU + 1};
    assert_int_equal(tide_seq_order(2, bad, TM, NU, perm, off), TIDE_ERR);
    assert_non_null(strstr(tide_error(), "outside"));
}

/* columns permuted into CSR order */
static int32_t CU[N], CI[N], CE[N];
static int64_t CT[N], OFF[NU + 1];
static void csr(void)
{
    gen();
    static int64_t perm[N];
    tide_seq_order(N, U, TM, NU, perm, OFF);
    for (int i = 0; i < N; i++) {
        CU[i] = U[perm[i]];
        CI[i] = I[perm[i]];
        CE[i] = E[perm[i]];
        CT[i] = TM[perm[i]];
    }
}

static void test_sessions(void **st)
{
    (void)st;
    csr();
    static int32_t s[N];
    int64_t ns = tide_seq_sessions(NU, OFF, CT, 30, s);
    int64_t want = 0;
    for (int i = 0; i < N; i++) {
        if (i == 0 || CU[i] != CU[i - 1] || CT[i] - CT[i - 1] > 30) want++;
        assert_int_equal(s[i], want);
    }
    assert_int_equal(ns, want);
}

static void test_dedupe(void **st)
{
    (void)st;
    csr();
    static uint8_t keep[N], ref[N];
    static int64_t key[N];
    for (int i = 0; i < N; i++) key[i] = (int64_t)(rnd() % 2);
    for (int w = 0; w <= 40; w += 20) {
        for (int mode = 0; mode < 3; mode++) { /* item; item+event; item+event+key */
            const int32_t *ev = mode ? CE : NULL;
            const int64_t *ky = mode == 2 ? key : NULL;
            int64_t kept = tide_seq_dedupe(NU, OFF, CI, ev, ky, CT, w, keep);
            int64_t rk = 0;
            for (int i = 0; i < N; i++) { /* naive: any earlier kept duplicate within w */
                ref[i] = 1;
                for (int j = 0; j < i && ref[i]; j++)
                    if (ref[j] && CU[j] == CU[i] && CI[j] == CI[i] && (!ev || CE[j] == CE[i]) &&
                        (!ky || key[j] == key[i]) && CT[i] - CT[j] <= w)
                        ref[i] = 0;
                rk += ref[i];
            }
            assert_int_equal(kept, rk);
            assert_memory_equal(keep, ref, N);
        }
    }
}

static void test_kcore(void **st)
{
    (void)st;
    gen();
    static uint8_t keep[N], ref[N];
    for (int k = 1; k <= 60; k += 9) {
        memset(keep, 1, N);
        int iters = 0;
        int64_t kept = tide_seq_kcore(N, U, I, NU, NI, k, k + 10, keep, &iters);
        memset(ref, 1, N);
        int changed = 1;
        while (changed) { /* remove one offending row at a time */
            changed = 0;
            for (int i = 0; i < N && !changed; i++) {
                if (!ref[i]) continue;
                int du = 0, di = 0;
                for (int j = 0; j < N; j++)
                    if (ref[j]) { du += U[j] == U[i]; di += I[j] == I[i]; }
                if (du < k || di < k + 10) { ref[i] = 0; changed = 1; }
            }
        }
        int64_t rk = 0;
        for (int i = 0; i < N; i++) rk += ref[i];
        assert_int_equal(kept, rk);
        assert_memory_equal(keep, ref, N);
        assert_true(iters >= 1);
    }
}

static void test_compact(void **st)
{
    (void)st;
    int32_t ids[6] = {5, 2, 5, 9, 2, 9};
    int32_t map[10];
    assert_int_equal(tide_seq_compact_ids(6, ids, 10, map), 3);
    int32_t want[6] = {2, 1, 2, 3, 1, 3};
    assert_memory_equal(ids, want, sizeof want);
    assert_int_equal(map[4], 2);
    assert_int_equal(map[0], 0);
    int32_t bad[1] = {11};
    assert_int_equal(tide_seq_compact_ids(1, bad, 10, map), TIDE_ERR);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_order), cmocka_unit_test(test_sessions), cmocka_unit_test(test_dedupe),
        cmocka_unit_test(test_kcore), cmocka_unit_test(test_compact),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
