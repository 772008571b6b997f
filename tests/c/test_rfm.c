/* test_rfm.c — behaviour features against a naive recomputation written here (per-user scans
 * with nested loops for distinct days and categories), on random time-sorted data, plus the
 * per-(user, category) rows and the bad-category error. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "error.h"
#include "rfm.h"

enum { NU = 40, NC = 7, MAXN = 2000 };
static int64_t OFF[NU + 1], TM[MAXN];
static int32_t EV[MAXN], CAT[MAXN];
static float PR[MAXN], DW[MAXN];

static uint64_t rs = 5;
static uint64_t rnd(void)
{
    rs ^= rs << 13;
    rs ^= rs >> 7;
    rs ^= rs << 17;
    return rs;
}

static void gen(void)
{
    int64_t n = 0;
    for (int u = 0; u < NU; u++) {
        OFF[u] = n;
        int m = (int)(rnd() % 30); /* some users have no events */
        int64_t t = 1500000000 + (int64_t)(rnd() % 100000);
        for (int k = 0; k < m; k++, n++) {
            t += (int64_t)(rnd() % 200000);
            TM[n] = t;
            EV[n] = (int32_t)(1 + rnd() % 5);
            CAT[n] = (int32_t)(1 + rnd() % NC);
            PR[n] = (rnd() % 4 == 0) ? NAN : (float)(rnd() % 1000) / 10.0f;
            DW[n] = (float)(rnd() % 3 == 0 ? 0 : rnd() % 300);
        }
    }
    OFF[NU] = n;
}

static void test_user_features(void **st)
{
    (void)st;
    gen();
    int64_t now = 1500000000 + 40000000;
    static float out[NU * TIDE_FU_N];
    assert_int_equal(tide_features_user(NU, OFF, TM, EV, PR, DW, CAT, NC, now, out), TIDE_OK);
    for (int u = 0; u < NU; u++) {
        const float *o = out + u * TIDE_FU_N;
        int64_t a = OFF[u], b = OFF[u + 1], m = b - a;
        if (m == 0) {
            for (int f = 0; f < TIDE_FU_N; f++) assert_true(o[f] == 0);
            continue;
        }
        double buys = 0, money = 0, ps = 0, pn = 0, ds = 0, dn = 0, mix[6] = {0};
        int days = 0, ncat = 0, top = 0;
        double ent = 0;
        for (int64_t i = a; i < b; i++) {
            if (EV[i] == 5) { buys++; if (PR[i] == PR[i]) money += PR[i]; }
            if (PR[i] == PR[i]) { ps += PR[i]; pn++; }
            if (DW[i] > 0) { ds += DW[i]; dn++; }
            mix[EV[i]]++;
            int seen = 0;
            for (int64_t j = a; j < i; j++) seen |= TM[j] / 86400 == TM[i] / 86400;
            days += !seen;
        }
        for (int c = 1; c <= NC; c++) {
            int k = 0;
            for (int64_t i = a; i < b; i++) k += CAT[i] == c;
            if (k) {
                ncat++;
                if (k > top) top = k;
                ent -= (double)k / m * log((double)k / m);
            }
        }
        double gs = 0, gq = 0, gmin = 1e300, gmax = 0;
        for (int64_t i = a + 1; i < b; i++) {
            double g = (TM[i] - TM[i - 1]) / 86400.0;
            gs += g; gq += g * g;
            if (g < gmin) gmin = g;
            if (g > gmax) gmax = g;
        }
        const double tol = 1e-4;
#define NEAR(f, v) assert_true(fabs(o[f] - (v)) <= tol * (1 + fabs(v)))
        NEAR(TIDE_FU_RECENCY, (now - TM[b - 1]) / 86400.0);
        NEAR(TIDE_FU_TENURE, (now - TM[a]) / 86400.0);
        NEAR(TIDE_FU_FREQUENCY, (double)m);
        NEAR(TIDE_FU_BUYS, buys);
        NEAR(TIDE_FU_MONETARY, money);
        NEAR(TIDE_FU_AVG_PRICE, pn ? ps / pn : 0);
        NEAR(TIDE_FU_ACTIVE_DAYS, (double)days);
        NEAR(TIDE_FU_DWELL_MEAN, dn ? ds / dn : 0);
        NEAR(TIDE_FU_DWELL_TOTAL, ds);
        if (m > 1) {
            double mean = gs / (m - 1);
            NEAR(TIDE_FU_GAP_MEAN, mean);
            NEAR(TIDE_FU_GAP_STD, sqrt(fmax(gq / (m - 1) - mean * mean, 0)));
            NEAR(TIDE_FU_GAP_MIN, gmin);
            NEAR(TIDE_FU_GAP_MAX, gmax);
        }
        for (int e = 1; e <= 5; e++) NEAR(TIDE_FU_MIX_BROWSE + e - 1, mix[e] / m);
        NEAR(TIDE_FU_N_CATEGORIES, (double)ncat);
        NEAR(TIDE_FU_TOP_SHARE, (double)top / m);
        NEAR(TIDE_FU_CAT_ENTROPY, ent);
    }
    /* without optional columns the category features are 0 */
    assert_int_equal(tide_features_user(NU, OFF, TM, EV, NULL, NULL, NULL, 0, now, out), TIDE_OK);
    for (int u = 0; u < NU; u++) assert_true(out[u * TIDE_FU_N + TIDE_FU_N_CATEGORIES] == 0);
    int32_t bad = CAT[0];
    CAT[0] = NC + 1;
    assert_int_equal(tide_features_user(NU, OFF, TM, EV, PR, DW, CAT, NC, now, out), TIDE_ERR);
    CAT[0] = bad;
}

static void test_user_cat(void **st)
{
    (void)st;
    gen();
    int64_t now = 1500000000 + 40000000, n = OFF[NU];
    static int32_t uo[MAXN], co[MAXN];
    static float v[MAXN * TIDE_FC_N];
    int64_t m = tide_features_user_cat(NU, OFF, TM, EV, PR, DW, CAT, NC, now, uo, co, v);
    int64_t k = 0;
    for (int u = 0; u < NU; u++)
        for (int c = 1; c <= NC; c++) {
            double cnt = 0, buys = 0, money = 0, dw = 0;
            int64_t last = 0;
            for (int64_t i = OFF[u]; i < OFF[u + 1]; i++)
                if (CAT[i] == c) {
                    cnt++;
                    last = TM[i];
                    if (EV[i] == 5) { buys++; if (PR[i] == PR[i]) money += PR[i]; }
                    if (DW[i] > 0) dw += DW[i];
                }
            if (!cnt) continue;
            assert_true(k < m);
            assert_int_equal(uo[k], u + 1);
            assert_int_equal(co[k], c);
            const float *o = v + k * TIDE_FC_N;
            const double tol = 1e-4;
            NEAR(TIDE_FC_RECENCY, (now - last) / 86400.0);
            NEAR(TIDE_FC_FREQUENCY, cnt);
            NEAR(TIDE_FC_BUYS, buys);
            NEAR(TIDE_FC_MONETARY, money);
            NEAR(TIDE_FC_DWELL, dw);
            NEAR(TIDE_FC_AFFINITY, cnt / (double)(OFF[u + 1] - OFF[u]));
            k++;
        }
    assert_int_equal(k, m);
    assert_true(m <= n);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_user_features), cmocka_unit_test(test_user_cat)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
