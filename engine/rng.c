/* rng.c — Philox4x32-10 counter-based generator (see rng.h). */
#include "rng.h"

#include <math.h>

#define PHILOX_M0 0xD2511F53u
#define PHILOX_M1 0xCD9E8D57u
#define PHILOX_W0 0x9E3779B9u
#define PHILOX_W1 0xBB67AE85u

static inline uint32_t mulhilo(uint32_t a, uint32_t b, uint32_t *hi)
{
    uint64_t p = (uint64_t)a * b;
    *hi = (uint32_t)(p >> 32);
    return (uint32_t)p;
}

void tide_philox(uint64_t seed, uint64_t block, uint32_t out[4])
{
    uint32_t c0 = (uint32_t)block, c1 = (uint32_t)(block >> 32), c2 = 0, c3 = 0;
    uint32_t k0 = (uint32_t)seed, k1 = (uint32_t)(seed >> 32);
    for (int r = 0; r < 10; r++) {
        uint32_t hi0, hi1;
        uint32_t lo0 = mulhilo(PHILOX_M0, c0, &hi0);
        uint32_t lo1 = mulhilo(PHILOX_M1, c2, &hi1);
        uint32_t n0 = hi1 ^ c1 ^ k0, n1 = lo1, n2 = hi0 ^ c3 ^ k1, n3 = lo0;
        c0 = n0, c1 = n1, c2 = n2, c3 = n3;
        k0 += PHILOX_W0;
        k1 += PHILOX_W1;
    }
    out[0] = c0, out[1] = c1, out[2] = c2, out[3] = c3;
}

void tide_rng_seed(tide_rng *r, uint64_t seed)
{
    r->seed = seed;
    r->counter = 0;
}

tide_rng *tide_rng_default(void)
{
    static tide_rng def = {20240611u, 0};
    return &def;
}

/* Word n of the stream is word n%4 of block n/4. */
static inline uint32_t word_at(uint64_t seed, uint64_t n)
{
    uint32_t w[4];
    tide_philox(seed, n >> 2, w);
    return w[n & 3];
}

uint32_t tide_rng_u32(tide_rng *r) { return word_at(r->seed, r->counter++); }

static inline double u53(uint32_t a, uint32_t b)
{
    return (double)(((uint64_t)(a >> 5) << 26) | (b >> 6)) * (1.0 / 9007199254740992.0);
}

double tide_rng_uniform(tide_rng *r)
{
    uint32_t a = tide_rng_u32(r), b = tide_rng_u32(r);
    return u53(a, b);
}

double tide_rng_normal(tide_rng *r)
{
    double u1 = tide_rng_uniform(r), u2 = tide_rng_uniform(r);
    return sqrt(-2.0 * log(1.0 - u1)) * cos(2.0 * M_PI * u2);
}

uint64_t tide_rng_below(tide_rng *r, uint64_t n)
{
    if (n <= 1) return 0;
    /* rejection sampling on 64-bit draws removes modulo bias */
    uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    for (;;) {
        uint64_t x = ((uint64_t)tide_rng_u32(r) << 32) | tide_rng_u32(r);
        if (x < limit) return x % n;
    }
}

static int check_fill(const tide_tensor *t, const char *op)
{
    if (t->dtype != TIDE_F32) return tide_errorf("%s: needs an f32 tensor, got %s", op,
                                                 tide_dtype_name(t->dtype));
    if (!tide_tensor_is_contiguous(t)) return tide_errorf("%s: needs a contiguous tensor", op);
    return TIDE_OK;
}

/* Element i consumes stream words base+4i .. base+4i+3 (one Philox block for aligned base),
 * so every element is a pure function of (seed, base, i). normal != 0 draws N(a, b^2) by
 * Box-Muller, otherwise U[a, b). */
static void fill_blocks(tide_rng *r, tide_tensor *t, int normal, double a, double b)
{
    if (!r) r = tide_rng_default();
    uint64_t block0 = (r->counter + 3) >> 2;
    int64_t n = tide_tensor_numel(t);
    float *p = tide_f32(t);
    for (int64_t i = 0; i < n; i++) {
        uint32_t w[4];
        tide_philox(r->seed, block0 + (uint64_t)i, w);
        double u1 = u53(w[0], w[1]);
        if (normal) {
            double z = sqrt(-2.0 * log(1.0 - u1)) * cos(2.0 * M_PI * u53(w[2], w[3]));
            p[i] = (float)(a + b * z);
        } else {
            p[i] = (float)(a + (b - a) * u1);
            /* rounding to float can reach b; keep the interval half-open */
            if (p[i] >= (float)b && b > a) p[i] = nextafterf((float)b, (float)a);
        }
    }
    r->counter = (block0 + (uint64_t)n) << 2;
}

int tide_rng_fill_uniform(tide_rng *r, tide_tensor *t, double lo, double hi)
{
    if (check_fill(t, "uniform") != TIDE_OK) return TIDE_ERR;
    if (!(hi >= lo) || !isfinite(lo) || !isfinite(hi))
        return tide_errorf("uniform: bounds [%g, %g) are not a finite range", lo, hi);
    tide_tensor_bump_version(t); /* autograd's in-place check */
    fill_blocks(r, t, 0, lo, hi);
    return TIDE_OK;
}

int tide_rng_fill_normal(tide_rng *r, tide_tensor *t, double mean, double std)
{
    if (check_fill(t, "randn") != TIDE_OK) return TIDE_ERR;
    if (!(std >= 0) || !isfinite(mean) || !isfinite(std))
        return tide_errorf("randn: mean %g / std %g must be finite, std >= 0", mean, std);
    tide_tensor_bump_version(t); /* autograd's in-place check */
    fill_blocks(r, t, 1, mean, std);
    return TIDE_OK;
}
