/* seqrec_gemm.c — the score tiles of the fused full-ranking kernel (seqrec_score.c): user
 * states H against an item table packed into panels of 16 items, one cache-sized tile at a time,
 * so no [users x items] matrix is ever written to memory.
 *
 * Every score is one dot product summed over d = 0..D-1 in order, acc = h_d * e_d + acc, the
 * same chain in every lane and in tide_seqrec_dot below: a score does not depend on which tile,
 * register block or thread computed it, and the target's own score (computed alone, before the
 * scan) is bitwise the one its tile produces, which the rank's tie rule needs. The AVX-512 and
 * AVX2 paths fuse the multiply-add (one rounding, as OpenBLAS's sgemm kernels do, and the same
 * bits on both); the portable path rounds twice (the build targets x86-64-v2, without FMA). The panel layout and the 8 x 32
 * register block follow the GotoBLAS micro-kernel design (Goto & van de Geijn, "Anatomy of
 * high-performance matrix multiplication", ACM TOMS 2008). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "seqrec_internal.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define HAVE_X86 1
#endif

float *tide_seqrec_pack(int64_t I, int64_t D, const float *E, int64_t lde, int64_t *npanel)
{
    int64_t np = (I + SQ_PANEL - 1) / SQ_PANEL;
    np += np & 1; /* the micro-kernel takes panels in pairs */
    size_t bytes = (size_t)(np * D * SQ_PANEL) * sizeof(float);
    float *P = aligned_alloc(64, (bytes + 63) / 64 * 64);
    if (!P) return NULL;
    memset(P, 0, bytes);
    for (int64_t i = 0; i < I; i++) {
        float *dst = P + (i / SQ_PANEL) * D * SQ_PANEL + i % SQ_PANEL;
        for (int64_t d = 0; d < D; d++) dst[d * SQ_PANEL] = E[i * lde + d];
    }
    *npanel = np;
    return P;
}

#ifdef HAVE_X86
__attribute__((target("fma"))) static float dot_fma(int64_t D, const float *h, const float *e)
{
    float acc = 0.0f;
    for (int64_t d = 0; d < D; d++) acc = __builtin_fmaf(h[d], e[d], acc);
    return acc;
}

/* S[r, 32q + c] for r < nr (a multiple of SQ_MR), panels [0, np) (even) */
__attribute__((target("avx512f,fma"))) static void tile_avx512(int64_t nr, const float *H, int64_t D,
                                                               const float *P, int64_t np, float *S, int64_t lds)
{
    for (int64_t r0 = 0; r0 < nr; r0 += SQ_MR)
        for (int64_t p = 0; p < np; p += 2) {
            const float *a = P + p * D * SQ_PANEL, *b = a + D * SQ_PANEL, *h = H + r0 * D;
            __m512 c[SQ_MR][2];
#pragma GCC unroll 8
            for (int r = 0; r < SQ_MR; r++) c[r][0] = c[r][1] = _mm512_setzero_ps();
            for (int64_t d = 0; d < D; d++) {
                __m512 e0 = _mm512_load_ps(a + d * SQ_PANEL), e1 = _mm512_load_ps(b + d * SQ_PANEL);
#pragma GCC unroll 8
                for (int r = 0; r < SQ_MR; r++) {
                    __m512 x = _mm512_set1_ps(h[r * D + d]);
                    c[r][0] = _mm512_fmadd_ps(x, e0, c[r][0]);
                    c[r][1] = _mm512_fmadd_ps(x, e1, c[r][1]);
                }
            }
#pragma GCC unroll 8
            for (int r = 0; r < SQ_MR; r++) {
                _mm512_storeu_ps(S + (r0 + r) * lds + p * SQ_PANEL, c[r][0]);
                _mm512_storeu_ps(S + (r0 + r) * lds + p * SQ_PANEL + SQ_PANEL, c[r][1]);
            }
        }
}

/* The AVX2 + FMA path: the same fused chain (bitwise the AVX-512 scores), 8 lanes at a time,
 * 4 users x 16 items per step (8 accumulators: 16 ymm registers hold them and the operands). */
__attribute__((target("avx2,fma"))) static void tile_avx2(int64_t nr, const float *H, int64_t D, const float *P,
                                                          int64_t np, float *S, int64_t lds)
{
    for (int64_t r0 = 0; r0 < nr; r0 += 4)
        for (int64_t p = 0; p < np; p++) {
            const float *a = P + p * D * SQ_PANEL, *h = H + r0 * D;
            __m256 c[4][2];
#pragma GCC unroll 4
            for (int r = 0; r < 4; r++) c[r][0] = c[r][1] = _mm256_setzero_ps();
            for (int64_t d = 0; d < D; d++) {
                __m256 e0 = _mm256_load_ps(a + d * SQ_PANEL), e1 = _mm256_load_ps(a + d * SQ_PANEL + 8);
#pragma GCC unroll 4
                for (int r = 0; r < 4; r++) {
                    __m256 x = _mm256_set1_ps(h[r * D + d]);
                    c[r][0] = _mm256_fmadd_ps(x, e0, c[r][0]);
                    c[r][1] = _mm256_fmadd_ps(x, e1, c[r][1]);
                }
            }
#pragma GCC unroll 4
            for (int r = 0; r < 4; r++) {
                _mm256_storeu_ps(S + (r0 + r) * lds + p * SQ_PANEL, c[r][0]);
                _mm256_storeu_ps(S + (r0 + r) * lds + p * SQ_PANEL + 8, c[r][1]);
            }
        }
}
#endif

/* Portable path: the same blocking in plain C (two roundings per step, see the header). */
static float dot_plain(int64_t D, const float *h, const float *e)
{
    float acc = 0.0f;
    for (int64_t d = 0; d < D; d++) acc = h[d] * e[d] + acc;
    return acc;
}

#if defined(__GNUC__) && defined(__x86_64__) && !defined(__clang__) && !defined(__SANITIZE_ADDRESS__)
__attribute__((target_clones("avx2", "default")))
#endif
static void tile_plain(int64_t nr, const float *H, int64_t D, const float *P, int64_t np, float *S, int64_t lds)
{
    for (int64_t r0 = 0; r0 < nr; r0 += 4)
        for (int64_t p = 0; p < np; p++) {
            const float *a = P + p * D * SQ_PANEL, *h = H + r0 * D;
            float c[4][SQ_PANEL] = {{0}};
            for (int64_t d = 0; d < D; d++)
                for (int r = 0; r < 4; r++) {
                    float x = h[r * D + d];
                    for (int j = 0; j < SQ_PANEL; j++) c[r][j] = x * a[d * SQ_PANEL + j] + c[r][j];
                }
            for (int r = 0; r < 4; r++) memcpy(S + (r0 + r) * lds + p * SQ_PANEL, c[r], sizeof c[r]);
        }
}

/* The best path this machine runs; TIDE_SEQREC_ISA = plain | avx2 | avx512 caps it (tests compare
 * them; avx512 forces the exact tiles on a CPU with the bf16 first pass). */
int tide_seqrec_isa(void)
{
    const char *e = getenv("TIDE_SEQREC_ISA");
    int cap = !e ? SQ_BF16
              : strcmp(e, "plain") == 0 ? SQ_PLAIN
              : strcmp(e, "avx2") == 0 ? SQ_AVX2
              : strcmp(e, "avx512") == 0 ? SQ_AVX512 : SQ_BF16;
#ifdef HAVE_X86
    __builtin_cpu_init();
    int have = !__builtin_cpu_supports("fma") ? SQ_PLAIN
               : __builtin_cpu_supports("avx512f") ? (tide_seqrec_have_bf16() ? SQ_BF16 : SQ_AVX512)
               : __builtin_cpu_supports("avx2") ? SQ_AVX2 : SQ_PLAIN;
    return have < cap ? have : cap;
#else
    (void)cap;
    return SQ_PLAIN;
#endif
}

float tide_seqrec_dot(int isa, int64_t D, const float *h, const float *e)
{
#ifdef HAVE_X86
    if (isa != SQ_PLAIN) return dot_fma(D, h, e);
#endif
    return dot_plain(D, h, e);
}

void tide_seqrec_tile(int isa, int64_t nr, const float *H, int64_t D, const float *P, int64_t np, float *S,
                      int64_t lds)
{
#ifdef HAVE_X86
    if (isa >= SQ_AVX512) { tile_avx512(nr, H, D, P, np, S, lds); return; }
    if (isa == SQ_AVX2) { tile_avx2(nr, H, D, P, np, S, lds); return; }
#endif
    tile_plain(nr, H, D, P, np, S, lds);
}
