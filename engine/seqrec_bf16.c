/* seqrec_bf16.c — the approximate first pass of the fused full ranking (seqrec_score.c) on CPUs
 * with AVX512_BF16: states and items rounded to bfloat16, one VDPBF16PS per pair of dimensions,
 * and a proven bound B on |approximate - exact fp32 score|, so an item whose approximate score is
 * farther than B from a target's score (or below the top-K threshold minus B) is classified
 * without its exact score; every other item gets its exact score here, one item at a time,
 * bitwise the fp32 tile's value (the same fused chain acc = fma(h_d, e_d, acc), d = 0..D-1, from
 * 0). The results are therefore exactly those of the fp32 path; only the work differs.
 *
 * The bound (Higham, "Accuracy and Stability of Numerical Algorithms", 2nd ed., 2.2 and 3.1),
 * for a state h and an item e, their bf16 roundings h~, e~ and T = sum_d |h_d e_d| <= |h| |e|
 * (2-norms, Cauchy-Schwarz):
 *  - rounding: h . e - h~ . e~ = (h - h~) . e + h~ . (e - e~) exactly, so its size is at most
 *    |h - h~| |e| + (|h| + |h - h~|) |e - e~|; the rounding-error norms are computed from the
 *    data (tide_seqrec_bf16_norms), typically ~2^-9.5 |x| rather than the worst case 2^-8 |x|;
 *  - VDPBF16PS multiplies bf16 pairs exactly (8 + 8 significand bits fit fp32's 24) and adds
 *    them to the fp32 accumulator one at a time with rounding to nearest: D rounded additions,
 *    |approx - h~ . e~| <= gD sum |h~_d e~_d| <= gD (1 + ub)^2 T, gD = D u / (1 - D u),
 *    u = 2^-24, ub = 2^-8 (bf16's unit roundoff, |h~_d| <= (1 + ub) |h_d|);
 *  - the exact fp32 chain (D fused steps): |exact - h . e| <= gD T, plus < 2^-149 per step
 *    where it underflows (gradual underflow; covered by the absolute term below);
 *  - VDPBF16PS treats denormal inputs as 0 and flushes denormal results (Intel SDM); each such
 *    event moves a term by less than 2^-126 (1 + |h~|_inf + |e~|_inf), at most 4 per
 *    dimension: the absolute term D 2^-120 (1 + |h| + |e|) covers them with room to spare.
 * Hence |approx - exact| <= |h - h~| |e| + (|h| + |h - h~|) |e - e~| + gD ((1 + ub)^2 + 1) |h| |e|
 * + D 2^-120 (1 + |h| + |e|), evaluated in double and enlarged by 2^-20 relative for the
 * rounding of the norms (relative error ~D 2^-53) and of the bound itself. Any upper bounds of
 * the four norms may be used (seqrec_score.c takes the largest over a tile of items). The
 * thresholds built from it are rounded outwards to float (seqrec_score.c), so the float
 * compares are conservative. The caller keeps values far from overflow (all finite,
 * |h| max|e| < 2^100), else uses the fp32 tiles. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "seqrec_internal.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define HAVE_X86 1
#endif

/* round to nearest even (finite inputs; the caller excludes the rest) */
static uint16_t to_bf16(float x)
{
    uint32_t u;
    memcpy(&u, &x, 4);
    u += 0x7fffu + ((u >> 16) & 1);
    return (uint16_t)(u >> 16);
}

void tide_seqrec_bf16_rows(int64_t n, int64_t D, const float *x, int64_t ldx, uint32_t *out)
{
    int64_t D2 = (D + 1) / 2;
    for (int64_t r = 0; r < n; r++)
        for (int64_t k = 0; k < D2; k++) {
            uint32_t lo = to_bf16(x[r * ldx + 2 * k]), hi = 2 * k + 1 < D ? to_bf16(x[r * ldx + 2 * k + 1]) : 0;
            out[r * D2 + k] = lo | hi << 16;
        }
}

uint32_t *tide_seqrec_pack_bf16(int64_t I, int64_t D, const float *E, int64_t lde, int64_t np, const int32_t *perm)
{
    int64_t D2 = (D + 1) / 2;
    size_t bytes = (size_t)(np * D2 * SQ_PANEL) * sizeof(uint32_t);
    uint32_t *P = aligned_alloc(64, (bytes + 63) / 64 * 64);
    uint32_t *row = malloc((size_t)D2 * sizeof(uint32_t));
    if (!P || !row) {
        free(P);
        free(row);
        return NULL;
    }
    memset(P, 0, bytes);
    for (int64_t i = 0; i < I; i++) {
        tide_seqrec_bf16_rows(1, D, E + (perm ? perm[i] : i) * lde, lde, row);
        for (int64_t k = 0; k < D2; k++) P[((i / SQ_PANEL) * D2 + k) * SQ_PANEL + i % SQ_PANEL] = row[k];
    }
    free(row);
    return P;
}

void tide_seqrec_bf16_norms(int64_t D, const float *x, double *norm, double *err)
{
    double q = 0, r = 0;
    for (int64_t d = 0; d < D; d++) {
        uint32_t b = (uint32_t)to_bf16(x[d]) << 16;
        float y;
        memcpy(&y, &b, 4);
        q += (double)x[d] * x[d];
        r += ((double)x[d] - y) * ((double)x[d] - y); /* x - y is exact in double */
    }
    *norm = sqrt(q), *err = sqrt(r);
}

double tide_seqrec_bf16_bound(int64_t D, double hn, double hd, double en, double ed)
{
    double ub = ldexp(1, -8), u = ldexp(1, -24), g = (double)D * u / (1 - (double)D * u);
    double b = hd * en + (hn + hd) * ed + g * ((1 + ub) * (1 + ub) + 1) * hn * en;
    return (b + (double)D * ldexp(1, -120) * (1 + hn + en)) * (1 + ldexp(1, -20));
}

int tide_seqrec_have_bf16(void)
{
#ifdef HAVE_X86
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bf16");
#else
    return 0;
#endif
}

#ifdef HAVE_X86
/* c[r][z] = the bf16 dot products of state row r of h with the 16 items of panel a (z = 0) or
 * b (z = 1): one VDPBF16PS per pair of dimensions; inlined so c stays in registers */
__attribute__((target("avx512f,avx512bf16"), always_inline)) static inline void block_bf16(
    const uint32_t *a, const uint32_t *b, const uint32_t *h, int64_t D2, __m512 c[SQ_MR][2])
{
#pragma GCC unroll 8
    for (int r = 0; r < SQ_MR; r++) c[r][0] = c[r][1] = _mm512_setzero_ps();
    for (int64_t k = 0; k < D2; k++) {
        __m512bh e0 = (__m512bh)_mm512_load_si512(a + k * SQ_PANEL);
        __m512bh e1 = (__m512bh)_mm512_load_si512(b + k * SQ_PANEL);
#pragma GCC unroll 8
        for (int r = 0; r < SQ_MR; r++) {
            __m512bh x = (__m512bh)_mm512_set1_epi32((int)h[r * D2 + k]);
            c[r][0] = _mm512_dpbf16_ps(c[r][0], x, e0);
            c[r][1] = _mm512_dpbf16_ps(c[r][1], x, e1);
        }
    }
}

/* the fp32 tile's register block (seqrec_gemm.c), on bf16 pairs: 8 users x 32 items */
__attribute__((target("avx512f,avx512bf16"))) static void tile_bf16(int64_t nr, const uint32_t *H, int64_t D2,
                                                                    const uint32_t *P, int64_t np, float *S,
                                                                    int64_t lds)
{
    for (int64_t r0 = 0; r0 < nr; r0 += SQ_MR)
        for (int64_t p = 0; p < np; p += 2) {
            const uint32_t *a = P + p * D2 * SQ_PANEL, *b = a + D2 * SQ_PANEL, *h = H + r0 * D2;
            __m512 c[SQ_MR][2];
            block_bf16(a, b, h, D2, c);
#pragma GCC unroll 8
            for (int r = 0; r < SQ_MR; r++) {
                _mm512_storeu_ps(S + (r0 + r) * lds + p * SQ_PANEL, c[r][0]);
                _mm512_storeu_ps(S + (r0 + r) * lds + p * SQ_PANEL + SQ_PANEL, c[r][1]);
            }
        }
}

/* The tile with the scan fused into its epilogue, so approximate scores never reach memory: row
 * r has one target band [dn[r], up[r]] (+inf, +inf: no target) and a top-K cut kc[r] (+inf:
 * none); cnt[r] += its items surely above up[r], bits[r ldb + q] = the items of panel q in the
 * band (a >= dn[r], not above up[r]) and kbits[r ldb + q] those with a >= kc[r]; bit q of any[r]
 * (zeroed by the caller, at most 64 panels) is set when either mask is not empty, and only then
 * are the masks stored (a few panels in a hundred: the epilogue is a fifth of the tile's time,
 * so it does the least it can). has_k = 0: every kc is +inf, its compare is skipped. Items >= n
 * are ignored. */
__attribute__((target("avx512f,avx512bf16,popcnt"), always_inline)) static inline void tile_bf16_scan_k(
    int64_t nr, const uint32_t *H, int64_t D2, const uint32_t *P, int64_t np, int64_t n, const float *up,
    const float *dn, const float *kc, int64_t *cnt, uint16_t *bits, uint16_t *kbits, int64_t ldb, uint64_t *any,
    const int has_k)
{
    for (int64_t r0 = 0; r0 < nr; r0 += SQ_MR)
        for (int64_t p = 0; p < np; p += 2) {
            const uint32_t *a = P + p * D2 * SQ_PANEL, *b = a + D2 * SQ_PANEL, *h = H + r0 * D2;
            __m512 c[SQ_MR][2];
            block_bf16(a, b, h, D2, c);
            int64_t f0 = n - p * SQ_PANEL, f1 = f0 - SQ_PANEL; /* live items of the two panels */
            __mmask16 l[2] = {f0 >= 16 ? 0xffff : f0 <= 0 ? 0 : (__mmask16)((1u << f0) - 1),
                              f1 >= 16 ? 0xffff : f1 <= 0 ? 0 : (__mmask16)((1u << f1) - 1)};
#pragma GCC unroll 8
            for (int r = 0; r < SQ_MR; r++) {
                __m512 vu = _mm512_set1_ps(up[r0 + r]), vd = _mm512_set1_ps(dn[r0 + r]);
                int s = 0;
                for (int z = 0; z < 2; z++) {
                    __mmask16 ab = _mm512_mask_cmp_ps_mask(l[z], c[r][z], vu, _CMP_GT_OQ);
                    __mmask16 un = _mm512_mask_cmp_ps_mask(l[z], c[r][z], vd, _CMP_GE_OQ) & (__mmask16)~ab;
                    __mmask16 kb = has_k ? _mm512_mask_cmp_ps_mask(l[z], c[r][z], _mm512_set1_ps(kc[r0 + r]),
                                                                   _CMP_GE_OQ)
                                         : 0;
                    s += __builtin_popcount(ab);
                    if (__builtin_expect((un | kb) != 0, 0)) {
                        bits[(r0 + r) * ldb + p + z] = un;
                        kbits[(r0 + r) * ldb + p + z] = kb;
                        any[r0 + r] |= (uint64_t)1 << (p + z);
                    }
                }
                cnt[r0 + r] += s;
            }
        }
}

__attribute__((target("avx512f,avx512bf16,popcnt"))) static void tile_bf16_scan(
    int64_t nr, const uint32_t *H, int64_t D2, const uint32_t *P, int64_t np, int64_t n, const float *up,
    const float *dn, const float *kc, int64_t *cnt, uint16_t *bits, uint16_t *kbits, int64_t ldb, uint64_t *any)
{
    int has_k = 0;
    for (int64_t r = 0; r < nr; r++) has_k |= kc[r] != INFINITY;
    if (has_k) tile_bf16_scan_k(nr, H, D2, P, np, n, up, dn, kc, cnt, bits, kbits, ldb, any, 1);
    else tile_bf16_scan_k(nr, H, D2, P, np, n, up, dn, kc, cnt, bits, kbits, ldb, any, 0);
}

/* The settled/unsure split of one row. vpcompressd to memory is microcoded on Zen 4: the
 * offsets are compressed in a register and stored whole (idx has 16 words of slack). With one
 * target (the evaluation's case) its band stays in registers. */
__attribute__((target("avx512f,popcnt"))) static int64_t scan_avx512(const float *a, int64_t n, const float *up,
                                                                     const float *dn, int64_t nt, float kcut,
                                                                     int32_t *idx, int64_t *cnt)
{
    int64_t m = 0, c1 = 0;
    __m512 vk = _mm512_set1_ps(kcut), vu = _mm512_set1_ps(nt ? up[0] : INFINITY);
    __m512 vd = _mm512_set1_ps(nt ? dn[0] : INFINITY);
    __m512i lane = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    for (int64_t i = 0; i < n; i += 16) {
        __mmask16 live = n - i >= 16 ? 0xffff : (__mmask16)((1u << (n - i)) - 1);
        __m512 x = _mm512_maskz_loadu_ps(live, a + i);
        __mmask16 uns = _mm512_mask_cmp_ps_mask(live, x, vk, _CMP_GE_OQ), above;
        if (nt == 1) {
            above = _mm512_mask_cmp_ps_mask(live, x, vu, _CMP_GT_OQ);
            uns |= _mm512_mask_cmp_ps_mask(live, x, vd, _CMP_GE_OQ) & (__mmask16)~above;
            c1 += __builtin_popcount(above);
        } else
            for (int64_t t = 0; t < nt; t++) {
                above = _mm512_mask_cmp_ps_mask(live, x, _mm512_set1_ps(up[t]), _CMP_GT_OQ);
                __mmask16 below = _mm512_mask_cmp_ps_mask(live, x, _mm512_set1_ps(dn[t]), _CMP_LT_OQ);
                cnt[t] += __builtin_popcount(above);
                uns |= live & (__mmask16)~(above | below);
            }
        if (uns) {
            __m512i v = _mm512_maskz_compress_epi32(uns, _mm512_add_epi32(lane, _mm512_set1_epi32((int)i)));
            _mm512_storeu_si512(idx + m, v);
            m += __builtin_popcount(uns);
        }
    }
    if (nt == 1) cnt[0] += c1;
    return m;
}
#endif

void tide_seqrec_tile_bf16(int64_t nr, const uint32_t *H, int64_t D2, const uint32_t *P, int64_t np, float *S,
                           int64_t lds)
{
#ifdef HAVE_X86
    tile_bf16(nr, H, D2, P, np, S, lds);
#else
    (void)nr, (void)H, (void)D2, (void)P, (void)np, (void)S, (void)lds;
#endif
}

void tide_seqrec_tile_bf16_scan(int64_t nr, const uint32_t *H, int64_t D2, const uint32_t *P, int64_t np, int64_t n,
                                const float *up, const float *dn, const float *kc, int64_t *cnt, uint16_t *bits,
                                uint16_t *kbits, int64_t ldb, uint64_t *any)
{
#ifdef HAVE_X86
    tile_bf16_scan(nr, H, D2, P, np, n, up, dn, kc, cnt, bits, kbits, ldb, any);
#else
    (void)nr, (void)H, (void)D2, (void)P, (void)np, (void)n, (void)up, (void)dn, (void)kc, (void)cnt, (void)bits;
    (void)kbits, (void)ldb, (void)any;
#endif
}

int64_t tide_seqrec_bf16_scan(const float *a, int64_t n, const float *up, const float *dn, int64_t nt, float kcut,
                              int32_t *idx, int64_t *cnt)
{
#ifdef HAVE_X86
    return scan_avx512(a, n, up, dn, nt, kcut, idx, cnt);
#else
    (void)up, (void)dn, (void)nt, (void)kcut, (void)cnt, (void)a;
    for (int64_t i = 0; i < n; i++) idx[i] = (int32_t)i; /* everything unsure */
    return n;
#endif
}

/* 4 items at a time, each its own scalar fused chain over its contiguous row (4 chains hide
 * most of the latency; gathers from the panels are far slower on Zen 4) */
#ifdef HAVE_X86
__attribute__((target("fma")))
#endif
void tide_seqrec_exact_items(const float *h, int64_t D, const float *E, int64_t lde, const int32_t *idx, int64_t m,
                             float *out)
{
    for (int64_t k = 0; k < m; k += 4) {
        const float *e[4];
        for (int z = 0; z < 4; z++) e[z] = E + (int64_t)idx[k + z < m ? k + z : k] * lde;
        float c0 = 0.0f, c1 = 0.0f, c2 = 0.0f, c3 = 0.0f;
        for (int64_t d = 0; d < D; d++) {
            c0 = __builtin_fmaf(h[d], e[0][d], c0);
            c1 = __builtin_fmaf(h[d], e[1][d], c1);
            c2 = __builtin_fmaf(h[d], e[2][d], c2);
            c3 = __builtin_fmaf(h[d], e[3][d], c3);
        }
        float c[4] = {c0, c1, c2, c3};
        for (int z = 0; z < 4 && k + z < m; z++) out[k + z] = c[z];
    }
}

/* All users' lists at once, 8 chains at a time across users (a user has a few items per tile,
 * too few to hide the latency of its own chains) */
#ifdef HAVE_X86
__attribute__((target("fma")))
#endif
void tide_seqrec_exact_rows(const float *H, int64_t D, const float *E, int64_t lde, const int64_t *start, int64_t nu,
                            const int32_t *idx, float *out)
{
    int64_t M = start[nu], u = 0;
    for (int64_t k = 0; k < M; k += 8) {
        const float *h[8], *e[8];
        for (int z = 0; z < 8; z++) {
            if (k + z >= M) { h[z] = h[0], e[z] = e[0]; continue; } /* padding lanes */
            while (start[u + 1] <= k + z) u++; /* the user of pair k + z (pairs go by user) */
            h[z] = H + u * D, e[z] = E + (int64_t)idx[k + z] * lde;
        }
        float c[8] = {0};
        for (int64_t d = 0; d < D; d++)
#pragma GCC unroll 8
            for (int z = 0; z < 8; z++) c[z] = __builtin_fmaf(h[z][d], e[z][d], c[z]);
        for (int z = 0; z < 8 && k + z < M; z++) out[k + z] = c[z];
    }
}
