/* nn_internal.h — private helpers shared by the nn_*.c kernels: the one BLAS entry point,
 * branch-free float math that the compiler can vectorise (exp, erf, tanh, sigmoid), the
 * Philox keep-mask, and argument plumbing for the differentiable wrappers (nn_util.c).
 * Not installed; nothing outside engine/nn_*.c should include it. */
#ifndef TIDE_NN_INTERNAL_H
#define TIDE_NN_INTERNAL_H

/* The kernels' elementwise loops use branch-free selects around divisions and exps; with the
 * default -ftrapping-math gcc refuses to if-convert them and leaves the loops scalar. No
 * kernel here relies on FP exceptions or errno, so turn both off for the nn_*.c files. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("no-trapping-math", "no-math-errno")
#endif

/* The elementwise hot loops (activations, softmax rows, recurrent cells) are compiled twice,
 * for the baseline ISA and for x86-64-v3 (AVX2+FMA), and the loader picks one by CPU features: twice
 * the vector width where the machine has it, still portable where it has not. */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
#define NN_VECTOR __attribute__((target_clones("arch=x86-64-v3", "default")))
#else
#define NN_VECTOR
#endif
/* The recurrent cells also get an x86-64-v4 (AVX-512) clone: they run once per row and step,
 * B*T times per layer, and on cores with full-width AVX-512 units that halves their cost. */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
#define NN_VECTOR_WIDE __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define NN_VECTOR_WIDE
#endif

#include <cblas.h>
#undef I /* complex.h, pulled in by cblas.h, defines I */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "autograd.h"
#include "nn.h"

/* Row-major C[M,N] = alpha * op(A) * op(B) + beta * C, op(A) [M,K], op(B) [K,N]. Every
 * matmul-like step of the nn kernels goes through here (strided rows via lda/ldb/ldc). */
static inline void nn_gemm(int ta, int tb, int64_t M, int64_t N, int64_t K, float alpha,
                           const float *A, int64_t lda, const float *B, int64_t ldb, float beta,
                           float *C, int64_t ldc)
{
    if (M <= 0 || N <= 0) return;
    if (K <= 0) {
        for (int64_t i = 0; i < M; i++)
            for (int64_t j = 0; j < N; j++) C[i * ldc + j] = beta == 0.0f ? 0.0f : beta * C[i * ldc + j];
        return;
    }
    cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans,
                (blasint)M, (blasint)N, (blasint)K, alpha, A, (blasint)lda, B, (blasint)ldb, beta,
                C, (blasint)ldc);
}

/* exp via Cody-Waite range reduction and the Cephes expf polynomial (rel. error ~1e-7).
 * Written with selects instead of fminf/fmaxf so gcc vectorises loops calling it. Inputs
 * below -87 flush to ~1e-38 (never 0 or denormal), which callers mask explicitly. */
static inline float nn_expf(float x)
{
    x = x > -87.0f ? x : -87.0f;
    x = x < 88.0f ? x : 88.0f;
    float n = floorf(x * 1.44269504088896341f + 0.5f);
    float r = x - n * 0.693359375f;
    r = r + n * 2.12194440e-4f;
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * r * r + r + 1.0f;
    int32_t bits = ((int32_t)n + 127) << 23;
    float s;
    memcpy(&s, &bits, sizeof s);
    return p * s;
}

static inline float nn_sigmoidf(float x) { return 1.0f / (1.0f + nn_expf(-x)); }

/* tanh = 1 - 2/(e^{2x}+1), with a Taylor series near 0 where that form cancels. */
static inline float nn_tanhf(float x)
{
    float big = 1.0f - 2.0f / (nn_expf(2.0f * x) + 1.0f);
    float x2 = x * x;
    float small = x * (1.0f + x2 * (-1.0f / 3 + x2 * (2.0f / 15 + x2 * (-17.0f / 315))));
    float ax = x < 0 ? -x : x;
    return ax < 0.1f ? small : big;
}

/* erf by Abramowitz & Stegun 7.1.26 (max abs error 1.5e-7), given e = exp(-x*x) so a caller
 * that needs that exponential too (the GELU derivative) computes it once. */
static inline float nn_erf_with(float x, float e)
{
    float ax = x < 0 ? -x : x;
    float t = 1.0f / (1.0f + 0.3275911f * ax);
    float y = t * (0.254829592f + t * (-0.284496736f + t * (1.421413741f +
              t * (-1.453152027f + t * 1.061405429f))));
    y = 1.0f - y * e;
    return x < 0 ? -y : y;
}
static inline float nn_erff(float x) { return nn_erf_with(x, nn_expf(-x * x)); }

/* GELU(x) = x * Phi(x) and its derivative Phi(x) + x * phi(x); Phi(x) = (1 + erf(x/sqrt2))/2
 * and phi(x) = exp(-x^2/2)/sqrt(2 pi) share the exponential. */
static inline float nn_geluf(float x) { return 0.5f * x * (1.0f + nn_erff(x * 0.70710678118654752f)); }
static inline float nn_gelu_gradf(float x)
{
    float e = nn_expf(-0.5f * x * x);
    float cdf = 0.5f * (1.0f + nn_erf_with(x * 0.70710678118654752f, e));
    return cdf + x * 0.39894228040143268f * e;
}

/* Dropout keep mask. Element e of Philox stream `seed` is a 16-bit half-word: with g = e >> 5
 * and r = e & 31, half (r >> 2) & 1 (0 = low) of word r >> 3 of block 4g + (r & 3). It is
 * kept iff that half >= round(p * 65536), so P(keep) = 1-p to within 2^-16. Fills keep[i] (0 or 1/(1-p)) for elements e0 .. e0+n-1. A caller that
 * reserved `words` 32-bit words of a tide_rng at counter c uses elements from e0 = 2c. */
void tide_nnu_keep_mask(float *keep, int64_t n, uint64_t seed, uint64_t e0, float p);

/* ---- argument plumbing for the wrappers (nn_util.c) ---- */
/* TIDE_OK if t is an f32 tensor, else an error "<op>: <what> must be f32, got i32". */
int tide_nnu_check_f32(const tide_tensor *t, const char *op, const char *what);
/* Dims check: an error "<op>: <what> must have shape <want>, got [..]" when t's shape differs.
 * want has nd entries; -1 matches anything. */
int tide_nnu_check_shape(const tide_tensor *t, int nd, const int64_t *want, const char *op,
                         const char *what);
/* Malloc'd copy of an integer id tensor (i32/i64, any shape) as 0-based int64 ids: raw id
 * minus base. Ids equal to `skip_raw` are passed through as -1; any other id outside [0,V) is
 * an error naming the op and the offending id. NULL + error on failure. */
int64_t *tide_nnu_ids(const tide_tensor *ids, int64_t base, int64_t V, int64_t skip_raw,
                      const char *op, const char *what);
/* Malloc'd [B*T] 0/1 bytes from a mask tensor of shape [B,T] (any dtype); NULL mask -> NULL
 * with *err = 0; a bad shape -> NULL with *err = 1 and the message set. */
uint8_t *tide_nnu_mask(const tide_tensor *mask, int64_t B, int64_t T, const char *op, int *err);
/* Contiguous f32 grad_out (new reference). */
tide_tensor *tide_nnu_grad(const tide_tensor *g);
/* tide_ag_accumulate(t, g) then releases g; returns the status. NULL g is an error already
 * reported. */
int tide_nnu_accum(tide_tensor *t, tide_tensor *g);
/* A zeroed f32 tensor shaped like t (contiguous). */
tide_tensor *tide_nnu_zeros_like(const tide_tensor *t);
/* Records the autograd node of an nn op (tide_ag_try_record) and returns out; *node gets the
 * node, NULL when none is needed. When the node cannot be allocated, out is released, *node
 * is NULL, the error is set ("<name>: out of memory recording its autograd node") and the
 * result is NULL: the caller frees what it owns and returns NULL. A NULL out gives NULL. */
tide_tensor *tide_nnu_wrap(tide_tensor *out, const char *name, tide_backward_fn fn, int n,
                           tide_tensor *const *in, tide_node **node);
/* tide_nnu_wrap for a node whose inputs are the non-NULL entries of `in` (n entries); bit i of
 * node->ints[TIDE_MAX_DIMS*2-1] says whether in[i] was present, and tide_nnu_input(node, i)
 * gives it back (NULL when absent). */
tide_tensor *tide_nnu_record(tide_tensor *out, const char *name, tide_backward_fn fn, int n,
                             tide_tensor *const *in, tide_node **node);
tide_tensor *tide_nnu_input(const tide_node *node, int i);
/* the largest x[j] where allowed[j] != 0, and init (nn_util.c). */
float tide_nnu_max_masked(const float *allowed, const float *x, int64_t n, float init);
/* out[j] = e^{x[j] - c} where allowed[j] != 0, else 0 (out may alias allowed or be NULL);
 * returns the sum (vectorised; nn_util.c). */
double tide_nnu_exp_masked(float *out, const float *allowed, const float *x, int64_t n, float c);
/* tide_ag_value_free for a tide_nnu_record node: bit i names in[i] as given, present or not. */
void tide_nnu_value_free(tide_node *node, unsigned mask);
/* Whether input i of the node is present and needs a gradient. */
int tide_nnu_wants(const tide_node *node, int i);

/* Shape checks shared by the recurrent layers: x [B,T,In], w_ih [G*H,In], w_hh [G*H,H],
 * biases [G*H] or NULL, h0 / c0 [B,H] or NULL, all f32. Fills B, T, In, H. */
int tide_nnu_rnn_check(const char *op, int G, const tide_tensor *x, const tide_tensor *h0,
                       const tide_tensor *c0, const tide_tensor *w_ih, const tide_tensor *w_hh,
                       const tide_tensor *b_ih, const tide_tensor *b_hh, int64_t *B, int64_t *T,
                       int64_t *In, int64_t *H);
/* ---- the recurrent layers' sgemm (nn_rnn_gemm.c) ----
 * Row-major C[M,N] = op(A) B + beta C with op(A) = A [M,K] (ta = 0) or A^T, A [K,M] (ta = 1),
 * and B always [K,N] row-major. An AVX-512 kernel where the CPU has one, OpenBLAS otherwise. */
void tide_nnu_rnn_gemm(int ta, int64_t M, int64_t N, int64_t K, const float *A, int64_t lda,
                       const float *B, int64_t ldb, float beta, float *C, int64_t ldc);
/* For products against a weight W [N,K] used transposed (x W^T): its transpose [K,N] in a
 * malloc'd buffer (the caller frees it) when the kernel will use it, else NULL — also when
 * out of memory: tide_nnu_rnn_gemm_wt then falls back to OpenBLAS, so NULL is never an error. */
float *tide_nnu_rnn_pack(const float *w, int64_t N, int64_t K);
/* C[M,N] = A[M,K] W^T + beta C, with wt = tide_nnu_rnn_pack(W) (or NULL). */
void tide_nnu_rnn_gemm_wt(int64_t M, int64_t N, int64_t K, const float *A, int64_t lda,
                          const float *w, const float *wt, float beta, float *C, int64_t ldc);
/* Tests only: nonzero routes tide_nnu_rnn_gemm to OpenBLAS even where AVX-512 exists. */
void tide_nnu_rnn_gemm_force_blas(int on);
#endif
