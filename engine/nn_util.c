/* nn_util.c — argument checks, id/mask conversion, dropout masks and node bookkeeping shared by
 * the nn_*.c wrappers (declared in nn_internal.h). */
#include <stdlib.h>

#include "nn_internal.h"

#define PHILOX_M0 0xD2511F53u
#define PHILOX_M1 0xCD9E8D57u
#define PHILOX_W0 0x9E3779B9u
#define PHILOX_W1 0xBB67AE85u

/* The 32 16-bit draws of group g: Philox blocks 4g..4g+3; element r of the group is half
 * (r >> 2) & 1 of word r >> 3 of block 4g + (r & 3). This order lets four blocks run in the
 * four lanes of a vector and each (word, half) pair give four consecutive elements. */
#if defined(__SSE2__)
#include <emmintrin.h>

/* lanes: lo and hi 32 bits of a * b for four unsigned 32-bit lanes */
static inline void mulhilo4(__m128i a, __m128i m, __m128i *lo, __m128i *hi)
{
    const __m128i low = _mm_set1_epi64x(0xFFFFFFFFll);
    __m128i even = _mm_mul_epu32(a, m);                        /* lanes 0, 2 */
    __m128i odd = _mm_mul_epu32(_mm_srli_epi64(a, 32), m);     /* lanes 1, 3 */
    *lo = _mm_or_si128(_mm_and_si128(even, low), _mm_slli_epi64(odd, 32));
    *hi = _mm_or_si128(_mm_srli_epi64(even, 32), _mm_andnot_si128(low, odd));
}

static void philox_group(uint64_t seed, uint64_t g, uint32_t out[32])
{
    uint64_t b0 = 4 * g;
    __m128i c0 = _mm_setr_epi32((int)(uint32_t)b0, (int)(uint32_t)(b0 + 1), (int)(uint32_t)(b0 + 2),
                                (int)(uint32_t)(b0 + 3));
    __m128i c1 = _mm_setr_epi32((int)(uint32_t)(b0 >> 32), (int)(uint32_t)((b0 + 1) >> 32),
                                (int)(uint32_t)((b0 + 2) >> 32), (int)(uint32_t)((b0 + 3) >> 32));
    __m128i c2 = _mm_setzero_si128(), c3 = _mm_setzero_si128();
    const __m128i m0 = _mm_set1_epi32((int)PHILOX_M0), m1 = _mm_set1_epi32((int)PHILOX_M1);
    uint32_t k0 = (uint32_t)seed, k1 = (uint32_t)(seed >> 32);
    for (int r = 0; r < 10; r++) {
        __m128i lo0, hi0, lo1, hi1;
        mulhilo4(c0, m0, &lo0, &hi0);
        mulhilo4(c2, m1, &lo1, &hi1);
        __m128i n0 = _mm_xor_si128(_mm_xor_si128(hi1, c1), _mm_set1_epi32((int)k0));
        __m128i n2 = _mm_xor_si128(_mm_xor_si128(hi0, c3), _mm_set1_epi32((int)k1));
        c0 = n0, c1 = lo1, c2 = n2, c3 = lo0;
        k0 += PHILOX_W0;
        k1 += PHILOX_W1;
    }
    const __m128i mask16 = _mm_set1_epi32(0xFFFF);
    __m128i w[4] = {c0, c1, c2, c3};
    for (int k = 0; k < 4; k++) {
        _mm_storeu_si128((__m128i *)(out + 8 * k), _mm_and_si128(w[k], mask16));
        _mm_storeu_si128((__m128i *)(out + 8 * k + 4), _mm_srli_epi32(w[k], 16));
    }
}
#else
static void philox_group(uint64_t seed, uint64_t g, uint32_t out[32])
{
    for (int lane = 0; lane < 4; lane++) {
        uint32_t w[4];
        tide_philox(seed, 4 * g + (uint64_t)lane, w);
        for (int k = 0; k < 4; k++) {
            out[8 * k + lane] = w[k] & 0xFFFFu;
            out[8 * k + 4 + lane] = w[k] >> 16;
        }
    }
}
#endif

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#include <immintrin.h>
#define NN_HAVE_AVX2_PATH 1

static inline void mulhilo8(__m256i a, __m256i m, __m256i *lo, __m256i *hi)
    __attribute__((target("avx2"), always_inline));
static inline void mulhilo8(__m256i a, __m256i m, __m256i *lo, __m256i *hi)
{
    const __m256i low = _mm256_set1_epi64x(0xFFFFFFFFll);
    __m256i even = _mm256_mul_epu32(a, m);
    __m256i odd = _mm256_mul_epu32(_mm256_srli_epi64(a, 32), m);
    *lo = _mm256_or_si256(_mm256_and_si256(even, low), _mm256_slli_epi64(odd, 32));
    *hi = _mm256_or_si256(_mm256_srli_epi64(even, 32), _mm256_andnot_si256(low, odd));
}

/* The keep scales of groups g and g+1 (8 blocks, 64 elements) straight from the eight lanes
 * of AVX2 registers: the same bits and order as philox_group on each group, with no
 * round trip through memory (a 256-bit reload of two 128-bit stores stalls). */
__attribute__((target("avx2"))) static void keep64_avx2(float *keep, uint64_t seed, uint64_t g,
                                                        __m256i thr, __m256 scale)
{
    uint64_t b0 = 4 * g;
    __m256i c0 = _mm256_add_epi32(_mm256_set1_epi32((int)(uint32_t)b0), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
    /* the high word changes only if the 8 blocks straddle 2^32 */
    uint32_t hi[8];
    for (int j = 0; j < 8; j++) hi[j] = (uint32_t)((b0 + (uint64_t)j) >> 32);
    __m256i c1 = _mm256_loadu_si256((const __m256i *)hi);
    if ((uint32_t)b0 > 0xFFFFFFF7u) { /* low word wraps inside the group */
        uint32_t lo[8];
        for (int j = 0; j < 8; j++) lo[j] = (uint32_t)(b0 + (uint64_t)j);
        c0 = _mm256_loadu_si256((const __m256i *)lo);
    }
    __m256i c2 = _mm256_setzero_si256(), c3 = _mm256_setzero_si256();
    const __m256i m0 = _mm256_set1_epi32((int)PHILOX_M0), m1 = _mm256_set1_epi32((int)PHILOX_M1);
    uint32_t k0 = (uint32_t)seed, k1 = (uint32_t)(seed >> 32);
    for (int r = 0; r < 10; r++) {
        __m256i lo0, hi0, lo1, hi1;
        mulhilo8(c0, m0, &lo0, &hi0);
        mulhilo8(c2, m1, &lo1, &hi1);
        __m256i n0 = _mm256_xor_si256(_mm256_xor_si256(hi1, c1), _mm256_set1_epi32((int)k0));
        __m256i n2 = _mm256_xor_si256(_mm256_xor_si256(hi0, c3), _mm256_set1_epi32((int)k1));
        c0 = n0, c1 = lo1, c2 = n2, c3 = lo0;
        k0 += PHILOX_W0;
        k1 += PHILOX_W1;
    }
    const __m256i mask16 = _mm256_set1_epi32(0xFFFF);
    __m256i w[4] = {c0, c1, c2, c3};
    for (int k = 0; k < 4; k++) {
        __m256i halves[2] = {_mm256_and_si256(w[k], mask16), _mm256_srli_epi32(w[k], 16)};
        for (int hh = 0; hh < 2; hh++) {
            /* halves < 2^16, so a signed compare is exact: keep iff half > thr - 1 */
            __m256 kf = _mm256_and_ps(_mm256_castsi256_ps(_mm256_cmpgt_epi32(halves[hh], thr)), scale);
            _mm_storeu_ps(keep + 8 * k + 4 * hh, _mm256_castps256_ps128(kf));
            _mm_storeu_ps(keep + 32 + 8 * k + 4 * hh, _mm256_extractf128_ps(kf, 1));
        }
    }
}

/* The aligned 64-element chunks of a mask. */
__attribute__((target("avx2"))) static void keep_chunks_avx2(float *keep, int64_t chunks,
                                                             uint64_t seed, uint64_t g,
                                                             uint32_t thr, float scale)
{
    __m256i t = _mm256_set1_epi32((int)thr - 1);
    __m256 sc = _mm256_set1_ps(scale);
    for (int64_t c = 0; c < chunks; c++, keep += 64, g += 2) keep64_avx2(keep, seed, g, t, sc);
}

/* AVX-512: groups g .. g+3 (16 blocks, 128 elements) per pass, same bits and order. */
__attribute__((target("avx512f"))) static void keep128_avx512(float *keep, uint64_t seed,
                                                             uint64_t g, __m512i thr,
                                                             __m512 scale)
{
    uint64_t b0 = 4 * g;
    __m512i c0 = _mm512_add_epi32(_mm512_set1_epi32((int)(uint32_t)b0),
                                  _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15));
    uint32_t hi[16];
    for (int j = 0; j < 16; j++) hi[j] = (uint32_t)((b0 + (uint64_t)j) >> 32);
    __m512i c1 = _mm512_loadu_si512(hi), c2 = _mm512_setzero_si512(), c3 = _mm512_setzero_si512();
    const __m512i m0 = _mm512_set1_epi32((int)PHILOX_M0), m1 = _mm512_set1_epi32((int)PHILOX_M1);
    const __m512i low = _mm512_set1_epi64(0xFFFFFFFFll);
    uint32_t k0 = (uint32_t)seed, k1 = (uint32_t)(seed >> 32);
    for (int r = 0; r < 10; r++) {
        __m512i e0 = _mm512_mul_epu32(c0, m0), o0 = _mm512_mul_epu32(_mm512_srli_epi64(c0, 32), m0);
        __m512i e1 = _mm512_mul_epu32(c2, m1), o1 = _mm512_mul_epu32(_mm512_srli_epi64(c2, 32), m1);
        __m512i lo0 = _mm512_or_si512(_mm512_and_si512(e0, low), _mm512_slli_epi64(o0, 32));
        __m512i hi0 = _mm512_or_si512(_mm512_srli_epi64(e0, 32), _mm512_andnot_si512(low, o0));
        __m512i lo1 = _mm512_or_si512(_mm512_and_si512(e1, low), _mm512_slli_epi64(o1, 32));
        __m512i hi1 = _mm512_or_si512(_mm512_srli_epi64(e1, 32), _mm512_andnot_si512(low, o1));
        __m512i n0 = _mm512_xor_si512(_mm512_xor_si512(hi1, c1), _mm512_set1_epi32((int)k0));
        __m512i n2 = _mm512_xor_si512(_mm512_xor_si512(hi0, c3), _mm512_set1_epi32((int)k1));
        c0 = n0, c1 = lo1, c2 = n2, c3 = lo0;
        k0 += PHILOX_W0;
        k1 += PHILOX_W1;
    }
    const __m512i mask16 = _mm512_set1_epi32(0xFFFF);
    __m512i w[4] = {c0, c1, c2, c3};
    for (int k = 0; k < 4; k++) {
        __m512i halves[2] = {_mm512_and_si512(w[k], mask16), _mm512_srli_epi32(w[k], 16)};
        for (int hh = 0; hh < 2; hh++) {
            __mmask16 m = _mm512_cmpgt_epi32_mask(halves[hh], thr);
            __m512 kf = _mm512_maskz_mov_ps(m, scale);
            /* lanes 4q..4q+3 are group g+q */
            float *o = keep + 8 * k + 4 * hh;
            _mm_storeu_ps(o, _mm512_extractf32x4_ps(kf, 0));
            _mm_storeu_ps(o + 32, _mm512_extractf32x4_ps(kf, 1));
            _mm_storeu_ps(o + 64, _mm512_extractf32x4_ps(kf, 2));
            _mm_storeu_ps(o + 96, _mm512_extractf32x4_ps(kf, 3));
        }
    }
}

__attribute__((target("avx512f"))) static void keep_chunks_avx512(float *keep, int64_t chunks,
                                                                 uint64_t seed, uint64_t g,
                                                                 uint32_t thr, float scale)
{
    __m512i t = _mm512_set1_epi32((int)thr - 1);
    __m512 sc = _mm512_set1_ps(scale);
    for (int64_t c = 0; c < chunks; c++, keep += 128, g += 4) keep128_avx512(keep, seed, g, t, sc);
}
#endif

void tide_nnu_keep_mask(float *keep, int64_t n, uint64_t seed, uint64_t e0, float p)
{
    double t = floor((double)p * 65536.0 + 0.5);
    uint32_t thr = (uint32_t)(t > 65536.0 ? 65536.0 : t);
    float scale = 1.0f / (1.0f - p);
#ifdef NN_HAVE_AVX2_PATH
    static int isa = -1; /* a benign race: every thread computes the same answer */
    if (isa < 0) isa = __builtin_cpu_supports("avx512f") ? 2 : __builtin_cpu_supports("avx2") ? 1 : 0;
#endif
    uint32_t h[32];
    int64_t i = 0;
    while (i < n) {
        uint64_t e = e0 + (uint64_t)i;
#ifdef NN_HAVE_AVX2_PATH
        if (isa == 2 && (e & 127) == 0 && n - i >= 128) {
            int64_t chunks = (n - i) / 128;
            keep_chunks_avx512(keep + i, chunks, seed, e >> 5, thr, scale);
            i += 128 * chunks;
            continue;
        }
        if (isa >= 1 && (e & 63) == 0 && n - i >= 64) {
            /* with AVX-512, one 64-chunk only: it reaches the next 128 boundary */
            int64_t chunks = isa == 2 ? 1 : (n - i) / 64;
            keep_chunks_avx2(keep + i, chunks, seed, e >> 5, thr, scale);
            i += 64 * chunks;
            continue;
        }
#endif
        philox_group(seed, e >> 5, h);
        int64_t r = (int64_t)(e & 31), m = 32 - r < n - i ? 32 - r : n - i;
        for (int64_t j = 0; j < m; j++) keep[i + j] = h[r + j] >= thr ? scale : 0.0f;
        i += m;
    }
}

uint64_t tide_rng_reserve(tide_rng *rng, uint64_t n)
{
    if (!rng) rng = tide_rng_default();
    /* start on a 64-word boundary: a mask never shares a Philox block with other draws, and
     * its half-word elements start on a 128-element vector chunk */
    uint64_t start = (rng->counter + 63) & ~(uint64_t)63;
    rng->counter = start + n;
    return start;
}

int tide_nnu_check_f32(const tide_tensor *t, const char *op, const char *what)
{
    if (!t) return tide_errorf("%s: %s is missing", op, what);
    if (t->dtype != TIDE_F32)
        return tide_errorf("%s: %s must be f32, got %s", op, what, tide_dtype_name(t->dtype));
    return TIDE_OK;
}

int tide_nnu_check_shape(const tide_tensor *t, int nd, const int64_t *want, const char *op,
                         const char *what)
{
    int ok = t->ndim == nd;
    for (int i = 0; ok && i < nd; i++) ok = want[i] < 0 || want[i] == t->shape[i];
    if (ok) return TIDE_OK;
    char got[128], exp[128];
    size_t pos = 0;
    exp[pos++] = '[';
    for (int i = 0; i < nd && pos < sizeof exp - 24; i++) {
        if (want[i] < 0) pos += (size_t)snprintf(exp + pos, sizeof exp - pos, "%s*", i ? "," : "");
        else pos += (size_t)snprintf(exp + pos, sizeof exp - pos, "%s%lld", i ? "," : "",
                                     (long long)want[i]);
    }
    snprintf(exp + pos, sizeof exp - pos, "]");
    return tide_errorf("%s: %s must have shape %s, got %s", op, what, exp,
                       tide_shape_str(t, got, sizeof got));
}

int64_t *tide_nnu_ids(const tide_tensor *ids, int64_t base, int64_t V, int64_t skip_raw,
                      const char *op, const char *what)
{
    if (!ids) {
        tide_errorf("%s: %s is missing", op, what);
        return NULL;
    }
    if (ids->dtype != TIDE_I32 && ids->dtype != TIDE_I64) {
        tide_errorf("%s: %s must be an i32 or i64 tensor, got %s", op, what,
                    tide_dtype_name(ids->dtype));
        return NULL;
    }
    int64_t n = tide_tensor_numel(ids);
    int64_t *out = malloc((size_t)(n ? n : 1) * sizeof *out);
    if (!out) {
        tide_errorf("%s: out of memory", op);
        return NULL;
    }
    tide_iter it;
    tide_iter_init(&it, ids);
    const char *data = ids->storage->data;
    for (int64_t i = 0; i < n; i++, tide_iter_next(&it)) {
        int64_t raw = ids->dtype == TIDE_I32 ? ((const int32_t *)data)[it.pos]
                                             : ((const int64_t *)data)[it.pos];
        if (raw == skip_raw && skip_raw != INT64_MIN) {
            out[i] = -1;
            continue;
        }
        int64_t id = raw - base;
        if (id < 0 || id >= V) {
            tide_errorf("%s: %s contains %lld, outside [%lld, %lld]", op, what, (long long)raw,
                        (long long)base, (long long)(V - 1 + base));
            free(out);
            return NULL;
        }
        out[i] = id;
    }
    return out;
}

uint8_t *tide_nnu_mask(const tide_tensor *mask, int64_t B, int64_t T, const char *op, int *err)
{
    *err = 0;
    if (!mask) return NULL;
    int64_t want[2] = {B, T};
    if (tide_nnu_check_shape(mask, 2, want, op, "mask") != TIDE_OK) {
        *err = 1;
        return NULL;
    }
    uint8_t *m = malloc((size_t)(B * T > 0 ? B * T : 1));
    if (!m) {
        *err = 1;
        tide_errorf("%s: out of memory", op);
        return NULL;
    }
    tide_iter it;
    tide_iter_init(&it, mask);
    const char *data = mask->storage->data;
    for (int64_t i = 0; i < B * T; i++, tide_iter_next(&it)) {
        switch (mask->dtype) {
        case TIDE_F32: m[i] = ((const float *)data)[it.pos] != 0.0f; break;
        case TIDE_I32: m[i] = ((const int32_t *)data)[it.pos] != 0; break;
        default: m[i] = ((const int64_t *)data)[it.pos] != 0; break;
        }
    }
    return m;
}

tide_tensor *tide_nnu_grad(const tide_tensor *g)
{
    if (g->dtype != TIDE_F32) return tide_tensor_cast(g, TIDE_F32);
    int broadcast = !tide_tensor_is_contiguous(g);
    for (int i = 0; broadcast && i < g->ndim; i++) broadcast = g->strides[i] == 0 || g->shape[i] == 1;
    /* the gradient of a sum is one value expanded: fill instead of an element-wise copy */
    if (broadcast && tide_tensor_numel(g) > 0)
        return tide_tensor_full(TIDE_F32, g->ndim, g->shape, (double)tide_f32(g)[0]);
    return tide_tensor_contiguous((tide_tensor *)g);
}

int tide_nnu_accum(tide_tensor *t, tide_tensor *g)
{
    if (!g) return TIDE_ERR;
    int rc = tide_ag_accumulate(t, g);
    tide_tensor_release(g);
    return rc;
}

tide_tensor *tide_nnu_zeros_like(const tide_tensor *t)
{
    return tide_tensor_new(TIDE_F32, t->ndim, t->shape);
}

#define PRESENT_SLOT (TIDE_MAX_DIMS * 2 - 1)

tide_tensor *tide_nnu_wrap(tide_tensor *out, const char *name, tide_backward_fn fn, int n,
                           tide_tensor *const *in, tide_node **node)
{
    if (tide_ag_try_record(out, name, fn, n, in, node) == TIDE_OK) return out;
    tide_tensor_release(out); /* error set: "<name>: out of memory recording its autograd node" */
    return NULL;
}

tide_tensor *tide_nnu_record(tide_tensor *out, const char *name, tide_backward_fn fn, int n,
                             tide_tensor *const *in, tide_node **node)
{
    tide_tensor *packed[TIDE_NODE_MAX_INPUTS];
    int64_t present = 0;
    int k = 0;
    for (int i = 0; i < n; i++)
        if (in[i]) {
            packed[k++] = in[i];
            present |= (int64_t)1 << i;
        }
    out = tide_nnu_wrap(out, name, fn, k, packed, node);
    if (*node) (*node)->ints[PRESENT_SLOT] = present;
    return out;
}

void tide_nnu_value_free(tide_node *node, unsigned mask)
{
    if (!node) return;
    int64_t present = node->ints[PRESENT_SLOT];
    unsigned packed = 0;
    for (int i = 0, k = 0; i < TIDE_NODE_MAX_INPUTS; i++)
        if (present >> i & 1) {
            if (mask >> i & 1u) packed |= 1u << k;
            k++;
        }
    tide_ag_value_free(node, packed);
}

tide_tensor *tide_nnu_input(const tide_node *node, int i)
{
    int64_t present = node->ints[PRESENT_SLOT];
    if (!(present & ((int64_t)1 << i))) return NULL;
    int k = 0;
    for (int j = 0; j < i; j++) k += (int)((present >> j) & 1);
    return node->inputs[k];
}

int tide_nnu_wants(const tide_node *node, int i)
{
    tide_tensor *t = tide_nnu_input(node, i);
    return t && tide_needs_grad(t);
}

int tide_nnu_rnn_check(const char *op, int G, const tide_tensor *x, const tide_tensor *h0,
                       const tide_tensor *c0, const tide_tensor *w_ih, const tide_tensor *w_hh,
                       const tide_tensor *b_ih, const tide_tensor *b_hh, int64_t *B, int64_t *T,
                       int64_t *In, int64_t *H)
{
    if (tide_nnu_check_f32(x, op, "x") || tide_nnu_check_f32(w_ih, op, "w_ih") ||
        tide_nnu_check_f32(w_hh, op, "w_hh"))
        return TIDE_ERR;
    char s1[96], s2[96];
    if (x->ndim != 3) return tide_errorf("%s: x must be [B,T,in], got %s", op, tide_shape_str(x, s1, sizeof s1));
    if (w_hh->ndim != 2 || w_hh->shape[0] % G != 0 || w_hh->shape[0] != G * w_hh->shape[1])
        return tide_errorf("%s: w_hh must be [%d*H,H], got %s", op, G,
                           tide_shape_str(w_hh, s1, sizeof s1));
    *B = x->shape[0], *T = x->shape[1], *In = x->shape[2], *H = w_hh->shape[1];
    if (w_ih->ndim != 2 || w_ih->shape[0] != G * *H || w_ih->shape[1] != *In)
        return tide_errorf("%s: w_ih %s does not match x %s and H = %lld (want [%lld,%lld])", op,
                           tide_shape_str(w_ih, s1, sizeof s1), tide_shape_str(x, s2, sizeof s2),
                           (long long)*H, (long long)(G * *H), (long long)*In);
    int64_t gh = G * *H, bh[2] = {*B, *H};
    if (b_ih && (tide_nnu_check_f32(b_ih, op, "b_ih") || tide_nnu_check_shape(b_ih, 1, &gh, op, "b_ih")))
        return TIDE_ERR;
    if (b_hh && (tide_nnu_check_f32(b_hh, op, "b_hh") || tide_nnu_check_shape(b_hh, 1, &gh, op, "b_hh")))
        return TIDE_ERR;
    if (h0 && (tide_nnu_check_f32(h0, op, "h0") || tide_nnu_check_shape(h0, 2, bh, op, "h0")))
        return TIDE_ERR;
    if (c0 && (tide_nnu_check_f32(c0, op, "c0") || tide_nnu_check_shape(c0, 2, bh, op, "c0")))
        return TIDE_ERR;
    return TIDE_OK;
}

tide_tensor *tide_nn_lengths_mask(const tide_tensor *lengths, int64_t T, int left)
{
    const char *op = "lengths_mask";
    if (!lengths || lengths->ndim != 1 || (lengths->dtype != TIDE_I32 && lengths->dtype != TIDE_I64)) {
        tide_errorf("%s: lengths must be a 1-D i32 or i64 tensor", op);
        return NULL;
    }
    if (T < 0) {
        tide_errorf("%s: T must be >= 0, got %lld", op, (long long)T);
        return NULL;
    }
    int64_t B = lengths->shape[0], shape[2] = {B, T};
    tide_tensor *m = tide_tensor_new(TIDE_I32, 2, shape);
    if (!m) return NULL;
    tide_iter it;
    tide_iter_init(&it, lengths);
    const char *data = lengths->storage->data;
    for (int64_t b = 0; b < B; b++, tide_iter_next(&it)) {
        int64_t len = lengths->dtype == TIDE_I32 ? ((const int32_t *)data)[it.pos]
                                                 : ((const int64_t *)data)[it.pos];
        if (len < 0 || len > T) {
            tide_errorf("%s: length %lld of row %lld is outside [0, %lld]", op, (long long)len,
                        (long long)b, (long long)T);
            tide_tensor_release(m);
            return NULL;
        }
        for (int64_t t = 0; t < T; t++)
            tide_i32(m)[b * T + t] = left ? t >= T - len : t < len;
    }
    return m;
}

/* the largest x[j] where allowed[j] != 0, and init (NaNs never win) */
NN_VECTOR float tide_nnu_max_masked(const float *allowed, const float *x, int64_t n, float init)
{
    float m = init;
    for (int64_t j = 0; j < n; j++) {
        float v = allowed[j] != 0.0f ? x[j] : -INFINITY;
        m = v > m ? v : m;
    }
    return m;
}

/* out[j] = e^{x[j] - c} where allowed[j] != 0, else 0 (out may alias allowed, or be NULL for
 * the sum only); returns the sum. One vectorised exp per element (nn_expf, rel. error ~1e-7)
 * in 16 float lanes added in double: the softmax losses' inner loop. */
NN_VECTOR double tide_nnu_exp_masked(float *out, const float *allowed, const float *x, int64_t n, float c)
{
    float lane[16] = {0};
    int64_t j = 0;
    for (; j + 16 <= n; j += 16)
        for (int l = 0; l < 16; l++) {
            float e = allowed[j + l] != 0.0f ? nn_expf(x[j + l] - c) : 0.0f;
            if (out) out[j + l] = e;
            lane[l] += e;
        }
    double s = 0;
    for (; j < n; j++) {
        float e = allowed[j] != 0.0f ? nn_expf(x[j] - c) : 0.0f;
        if (out) out[j] = e;
        s += e;
    }
    for (int l = 0; l < 16; l++) s += lane[l];
    return s;
}
