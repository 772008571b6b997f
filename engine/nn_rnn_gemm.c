/* nn_rnn_gemm.c — the sgemm of the recurrent layers (GRU, LSTM): an AVX-512 register-tiled
 * kernel where the CPU has it, OpenBLAS otherwise.
 * Why not just OpenBLAS: the distribution's OpenBLAS (0.3.21, DYNAMIC_ARCH) does not know
 * recent AMD cores (Zen 4/5) and runs its AVX2 "Haswell" kernels on them, at half the
 * vector width; and the recurrent step is a small [B,H]x[H,G] product repeated T times, for
 * which OpenBLAS re-packs the same weight on every call. This kernel reads B in place (the
 * caller keeps it as a [K,N] row-major matrix, weights pre-transposed once per call) and
 * needs no packing at all.
 * Scheme (the classic outer-product micro-kernel of Goto & van de Geijn, "Anatomy of
 * high-performance matrix multiplication", 2008, without the packing): an 8 x 32 tile of C
 * lives in 16 zmm registers; each k adds A(i,k) (broadcast) times row k of B (two vectors).
 * K is cut into blocks of KC so the A and B panels of a block stay in L2 across tiles. */
#include <stdlib.h>

#include "nn_internal.h"

#if defined(__GNUC__) && defined(__x86_64__)
#include <immintrin.h>
#define RG_AVX512 1
#endif

enum { MR = 8, NR = 32, KC = 256 };

static int forced_blas;
void tide_nnu_rnn_gemm_force_blas(int on) { forced_blas = on; }

#ifdef RG_AVX512
/* C[0..7][0..31] += sum_k A(i,k) B[k][0..31], A(i,k) = A[i*sai + k*sak]. */
__attribute__((target("avx512f"))) static void tile8x32(int64_t kc, const float *A,
                                                        int64_t sai, int64_t sak,
                                                        const float *B, int64_t ldb, float *C,
                                                        int64_t ldc)
{
    __m512 c0[MR], c1[MR];
#pragma GCC unroll 8
    for (int i = 0; i < MR; i++) {
        c0[i] = _mm512_loadu_ps(C + i * ldc);
        c1[i] = _mm512_loadu_ps(C + i * ldc + 16);
    }
    for (int64_t k = 0; k < kc; k++) {
        const float *b = B + k * ldb, *a = A + k * sak;
        __m512 b0 = _mm512_loadu_ps(b), b1 = _mm512_loadu_ps(b + 16);
#pragma GCC unroll 8
        for (int i = 0; i < MR; i++) {
            __m512 ai = _mm512_set1_ps(a[i * sai]);
            c0[i] = _mm512_fmadd_ps(ai, b0, c0[i]);
            c1[i] = _mm512_fmadd_ps(ai, b1, c1[i]);
        }
    }
#pragma GCC unroll 8
    for (int i = 0; i < MR; i++) {
        _mm512_storeu_ps(C + i * ldc, c0[i]);
        _mm512_storeu_ps(C + i * ldc + 16, c1[i]);
    }
}

static int have_avx512(void)
{
    static int isa = -1; /* a benign race: every thread computes the same answer */
    if (isa < 0) isa = __builtin_cpu_supports("avx512f") ? 1 : 0;
    return isa;
}
#endif

/* The part of C outside the full tiles, plainly. */
static void edge(int64_t i0, int64_t i1, int64_t j0, int64_t j1, int64_t kc, const float *A,
                 int64_t sai, int64_t sak, const float *B, int64_t ldb, float *C, int64_t ldc)
{
    for (int64_t i = i0; i < i1; i++)
        for (int64_t k = 0; k < kc; k++) {
            float a = A[i * sai + k * sak];
            const float *b = B + k * ldb;
            float *c = C + i * ldc;
            for (int64_t j = j0; j < j1; j++) c[j] += a * b[j];
        }
}

static int use_kernel(void)
{
#ifdef RG_AVX512
    return !forced_blas && have_avx512();
#else
    return 0;
#endif
}

void tide_nnu_rnn_gemm(int ta, int64_t M, int64_t N, int64_t K, const float *A, int64_t lda,
                       const float *B, int64_t ldb, float beta, float *C, int64_t ldc)
{
    if (!use_kernel() || K <= 0) {
        nn_gemm(ta, 0, M, N, K, 1.0f, A, lda, B, ldb, beta, C, ldc);
        return;
    }
    if (M <= 0 || N <= 0) return;
    if (beta != 1.0f)
        for (int64_t i = 0; i < M; i++)
            for (int64_t j = 0; j < N; j++) C[i * ldc + j] = beta == 0.0f ? 0.0f : beta * C[i * ldc + j];
    int64_t sai = ta ? 1 : lda, sak = ta ? lda : 1;
    int64_t Mv = M - M % MR, Nv = N - N % NR;
    for (int64_t k0 = 0; k0 < K; k0 += KC) {
        int64_t kc = K - k0 < KC ? K - k0 : KC;
        const float *Ak = A + k0 * sak, *Bk = B + k0 * ldb;
#ifdef RG_AVX512
        for (int64_t i = 0; i < Mv; i += MR)
            for (int64_t j = 0; j < Nv; j += NR)
                tile8x32(kc, Ak + i * sai, sai, sak, Bk + j, ldb, C + i * ldc + j, ldc);
#endif
        edge(0, Mv, Nv, N, kc, Ak, sai, sak, Bk, ldb, C, ldc);
        edge(Mv, M, 0, N, kc, Ak, sai, sak, Bk, ldb, C, ldc);
    }
}

float *tide_nnu_rnn_pack(const float *w, int64_t N, int64_t K)
{
    if (!use_kernel() || N <= 0 || K <= 0) return NULL;
    float *wt = malloc((size_t)(N * K) * sizeof *wt);
    if (!wt) return NULL;
    for (int64_t j = 0; j < N; j++)
        for (int64_t k = 0; k < K; k++) wt[k * N + j] = w[j * K + k];
    return wt;
}

void tide_nnu_rnn_gemm_wt(int64_t M, int64_t N, int64_t K, const float *A, int64_t lda,
                          const float *w, const float *wt, float beta, float *C, int64_t ldc)
{
    if (wt) tide_nnu_rnn_gemm(0, M, N, K, A, lda, wt, N, beta, C, ldc);
    else nn_gemm(0, 1, M, N, K, 1.0f, A, lda, w, K, beta, C, ldc);
}
