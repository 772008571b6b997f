/* test_seqrec_bf16.c — the bf16 first pass of the fused full ranking (seqrec_bf16.c): its error
 * bound holds on adversarial inputs (every rounding pushed the same way, huge and subnormal
 * magnitudes, odd D), the exact per-item rescoring is bitwise the fp32 tile, and the whole
 * evaluation gives bitwise the results of the exact fp32 path (TIDE_SEQREC_ISA=avx512) on
 * near-tie problems, NaN, huge values and every thread count. Skipped (passing) on a CPU
 * without AVX512_BF16, where the bf16 pass never runs. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "rng.h"
#include "seqrec.h"
#include "seqrec_internal.h"

/* x whose bf16 rounding error is nearly half an ulp (2^-9 relative): a bf16 value plus (or
 * minus) just under half its ulp, so errors of all terms can be made to point the same way */
static float near_half_ulp(tide_rng *r, float scale, int sign)
{
    float m = 1.0f + (float)tide_rng_below(r, 128) / 128.0f; /* 8 significant bits */
    float x = m + sign * 0x1p-8f * 0.999f;                  /* bf16 ulp of [1, 2) is 2^-7 */
    return x * scale;
}


/* |bf16 tile - fp32 tile| <= tide_seqrec_bf16_bound for every pair, on adversarial inputs */
static void test_bound_holds(void **st)
{
    (void)st;
    if (!tide_seqrec_have_bf16()) { printf("  (no AVX512_BF16: skipped)\n"); return; }
    enum { R = 8, N = 32, DMAX = 67 };
    static float H[R * DMAX], E[N * DMAX], S[R * N], X[R * N];
    static uint32_t Hb[R * DMAX];
    const int Ds[] = {1, 2, 3, 15, 16, 17, 31, 32, 33, 50, 67};
    const float scales[] = {1.0f, 0x1p-60f, 0x1p-66f, 0x1p-70f, 0x1p40f, 1e-3f};
    tide_rng r;
    tide_rng_seed(&r, 3);
    double worst = 0;
    for (size_t di = 0; di < sizeof Ds / sizeof *Ds; di++)
        for (size_t si = 0; si < sizeof scales / sizeof *scales; si++)
            for (int mode = 0; mode < 3; mode++) {
                int64_t D = Ds[di], np;
                float sc = scales[si];
                for (int64_t k = 0; k < R * D; k++) /* mode 0: all errors one way; 1: random; 2: cancel */
                    H[k] = near_half_ulp(&r, sc, mode == 1 ? (tide_rng_below(&r, 2) ? 1 : -1) : 1);
                for (int64_t k = 0; k < N * D; k++) {
                    float e = near_half_ulp(&r, sc, mode == 1 ? (tide_rng_below(&r, 2) ? 1 : -1) : 1);
                    E[k] = mode == 2 && k % 2 ? -e : e; /* mode 2: alternating signs, scores near 0 */
                }
                E[0] = 0x1p-130f; /* a subnormal entry (bf16 keeps it, VDPBF16PS flushes it) */
                float *P = tide_seqrec_pack(N, D, E, D, &np);
                uint32_t *Pb = tide_seqrec_pack_bf16(N, D, E, D, np, NULL);
                assert_non_null(P);
                assert_non_null(Pb);
                tide_seqrec_bf16_rows(R, D, H, D, Hb);
                tide_seqrec_tile_bf16(R, Hb, (D + 1) / 2, Pb, np, S, N);
                tide_seqrec_tile(SQ_AVX512, R, H, D, P, np, X, N);
                for (int u = 0; u < R; u++)
                    for (int i = 0; i < N; i++) {
                        double hn, hd, en, ed;
                        tide_seqrec_bf16_norms(D, H + u * D, &hn, &hd);
                        tide_seqrec_bf16_norms(D, E + i * D, &en, &ed);
                        double B = tide_seqrec_bf16_bound(D, hn, hd, en, ed);
                        double err = fabs((double)S[u * N + i] - X[u * N + i]);
                        assert_true(err <= B);
                        if (B > 0 && err / B > worst) worst = err / B;
                    }
                free(P);
                free(Pb);
            }
    /* the bound is not vacuous either: the one-way mode reaches a good part of it */
    assert_true(worst > 0.2);
    assert_true(worst <= 1.0);
}

/* the per-item exact scores are bitwise the fp32 tile's, for any item list */
static void test_exact_items_are_tile_bits(void **st)
{
    (void)st;
    if (!tide_seqrec_have_bf16()) return;
    enum { N = 100, D = 21 };
    static float H[8 * D], E[N * D], S[8 * 128], out[N];
    int32_t idx[N];
    tide_rng r;
    tide_rng_seed(&r, 4);
    for (int k = 0; k < 8 * D; k++) H[k] = (float)tide_rng_normal(&r);
    for (int k = 0; k < N * D; k++) E[k] = (float)tide_rng_normal(&r);
    int64_t np;
    float *P = tide_seqrec_pack(N, D, E, D, &np);
    tide_seqrec_tile(SQ_AVX512, 8, H, D, P, np, S, 128);
    int m = 0;
    for (int i = N - 1; i >= 0; i -= 3) idx[m++] = i; /* any order, any count (not a multiple of 16) */
    for (int u = 0; u < 8; u++) {
        tide_seqrec_exact_items(H + u * D, D, E, D, idx, m, out);
        for (int k = 0; k < m; k++) assert_true(memcmp(&out[k], &S[u * 128 + idx[k]], 4) == 0);
    }
    free(P);
}

enum { B = 140, I = 2500, K = 9, MAXT = 40 };

typedef struct {
    int64_t D;
    float *H, *E;
    int64_t soff[B + 1], toff[B + 1];
    int32_t seen[B * 20], tgt[B * MAXT];
} problem;

/* near ties everywhere: items are a few base rows plus perturbations far below the bf16 error
 * (and exact duplicates), so approximate scores cannot order them; targets (1 to nt_max per
 * user) and seen items drawn from the same clusters. norm_ties: every state's last column is 0
 * and items get a last column of random size, so items of a cluster tie exactly while their
 * norms differ, and the bf16 table (sorted by norm) meets them out of id order. */
static void make_ties(problem *p, int64_t D, uint64_t seed, float scale, int nt_max, int norm_ties)
{
    tide_rng r;
    tide_rng_seed(&r, seed);
    p->D = D;
    p->H = malloc(sizeof(float) * B * D);
    p->E = malloc(sizeof(float) * I * D);
    for (int64_t k = 0; k < B * D; k++) p->H[k] = (norm_ties && k % D == D - 1) ? 0.0f : (float)tide_rng_normal(&r) * scale;
    for (int64_t i = 0; i < I; i++) {
        int64_t base = (int64_t)tide_rng_below(&r, 7);
        for (int64_t d = 0; d < D; d++) {
            float x = (float)(base * 0.37 + d * 0.11 - 1.0) * scale;
            int pert = norm_ties ? 0 : i % 5; /* 0: an exact duplicate of the base row */
            p->E[i * D + d] = pert ? x * (1.0f + (float)tide_rng_normal(&r) * 1e-5f * (float)pert) : x;
        }
        if (norm_ties) p->E[i * D + D - 1] = (float)tide_rng_normal(&r) * 3.0f * scale;
    }
    int64_t ns = 0, nt = 0;
    p->soff[0] = p->toff[0] = 0;
    for (int b = 0; b < B; b++) {
        int m = (int)tide_rng_below(&r, 20);
        for (int q = 0; q < m; q++) p->seen[ns++] = (int32_t)tide_rng_below(&r, I);
        p->soff[b + 1] = ns;
        int t = 1 + (int)tide_rng_below(&r, (uint64_t)nt_max);
        for (int q = 0; q < t; q++) p->tgt[nt++] = (int32_t)tide_rng_below(&r, I);
        p->toff[b + 1] = nt;
    }
}

static void make(problem *p, int64_t D, uint64_t seed, float scale) { make_ties(p, D, seed, scale, 3, 0); }

/* the default (bf16 pass) and the exact path (avx512) agree bitwise, for every thread count */
static void check_same(problem *p, int k)
{
    static int64_t r0[B * MAXT], r1[B * MAXT];
    static int32_t l0[B * (I + 5)], l1[B * (I + 5)];
    static float v0[B * (I + 5)], v1[B * (I + 5)];
    assert_true(k <= I + 5);
    setenv("TIDE_SEQREC_ISA", "avx512", 1);
    assert_int_equal(tide_seqrec_rank_topk(B, p->D, p->H, p->D, I, p->E, p->D, p->soff, p->seen, p->toff, p->tgt, r0,
                                           k, l0, v0),
                     0);
    unsetenv("TIDE_SEQREC_ISA");
    for (int threads = 1; threads <= 4; threads++) {
        char tb[8];
        snprintf(tb, sizeof tb, "%d", threads);
        setenv("TIDE_THREADS", tb, 1);
        assert_int_equal(tide_seqrec_rank_topk(B, p->D, p->H, p->D, I, p->E, p->D, p->soff, p->seen, p->toff, p->tgt,
                                               r1, k, l1, v1),
                         0);
        for (int64_t q = 0; q < p->toff[B]; q++) assert_int_equal(r0[q], r1[q]);
        for (int64_t q = 0; q < (int64_t)B * k; q++) {
            assert_int_equal(l0[q], l1[q]);
            assert_true(memcmp(&v0[q], &v1[q], 4) == 0);
        }
    }
    unsetenv("TIDE_THREADS");
}

static void test_same_results_as_exact_path(void **st)
{
    (void)st;
    const int64_t Ds[] = {1, 7, 16, 33, 50};
    const float scales[] = {1.0f, 1e-12f, 1e-20f, 1e12f}; /* 1e-20: subnormal products */
    for (size_t di = 0; di < sizeof Ds / sizeof *Ds; di++)
        for (size_t si = 0; si < sizeof scales / sizeof *scales; si++) {
            problem p;
            make(&p, Ds[di], 10 + di, scales[si]);
            check_same(&p, K);
            if (di == 3 && si == 0) {
                check_same(&p, 1);
                check_same(&p, 0);
                check_same(&p, I); /* K = every item: the lists end in -1 after the unseen */
                p.H[70 * p.D] = 1e30f; /* a huge state: its block runs exact, same answers */
                check_same(&p, K);
                for (int b = 0; b <= B; b++) p.toff[b] = 0; /* (a NaN target is an error) */
                p.H[5 * p.D + 2] = NAN; /* a NaN state: likewise */
                check_same(&p, K);
                p.E[3 * p.D] = NAN; /* item 3 scores NaN for everyone: the whole pass is exact */
                check_same(&p, K);
            }
            free(p.H);
            free(p.E);
        }
}

/* items that tie exactly but differ in norm (the bf16 table meets them out of id order), many
 * targets per user, K past the number of items, infinite and subnormal values */
static void test_adversarial_same_as_exact_path(void **st)
{
    (void)st;
    problem p;
    for (int norm_ties = 0; norm_ties < 2; norm_ties++) {
        make_ties(&p, 33, 40 + norm_ties, 1.0f, MAXT, norm_ties);
        const int ks[] = {1, 2, K, I - 25, I + 5};
        for (size_t q = 0; q < sizeof ks / sizeof *ks; q++) check_same(&p, ks[q]);
        free(p.H);
        free(p.E);
    }
    make_ties(&p, 16, 43, 1.0f, 1, 1); /* one target each, full lists: the fused scan with ties */
    check_same(&p, 3);
    p.E[7 * p.D + 2] = INFINITY; /* an infinite item: the whole pass runs exact */
    for (int b = 0; b <= B; b++) p.toff[b] = 0; /* (its score may be NaN: no targets) */
    check_same(&p, 3);
    p.E[7 * p.D + 2] = 1.0f;
    p.H[9 * p.D] = -INFINITY; /* an infinite state: its block runs exact */
    check_same(&p, 3);
    free(p.H);
    free(p.E);
    const float tiny[] = {1e-39f, 1e-45f}; /* subnormal states and items, down to the smallest */
    for (int q = 0; q < 2; q++) {
        make_ties(&p, 50, 44 + q, tiny[q], 5, 0);
        check_same(&p, K);
        free(p.H);
        free(p.E);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bound_holds),
        cmocka_unit_test(test_exact_items_are_tile_bits),
        cmocka_unit_test(test_same_results_as_exact_path),
        cmocka_unit_test(test_adversarial_same_as_exact_path),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
