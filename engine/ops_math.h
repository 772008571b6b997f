/* ops_math.h — a vectorizable single-precision exp for the elementwise kernels.
 *
 * libm's expf is an opaque call, so loops over it never vectorize (without -ffast-math).
 * tide_expf is branch-free arithmetic the compiler turns into SIMD code: Cody-Waite range
 * reduction x = n ln2 + r (ln2 split in a short high part and a correction, so n*ln2_hi is
 * exact), a degree-6 minimax polynomial for e^r on |r| <= ln2/2 (the Cephes expf
 * coefficients, S. Moshier), and 2^n applied as two factors 2^(n/2) 2^(n-n/2) so that both
 * the overflow (x > 88.72 -> inf) and the gradual underflow (denormals down to x ~ -103.97)
 * come out of ordinary float multiplication. Error < 1 ulp against double exp, checked over
 * every float in [-110, 90] when written; NaN in,
 * NaN out. */
#ifndef TIDE_OPS_MATH_H
#define TIDE_OPS_MATH_H

#include <math.h>
#include <stdint.h>
#include <string.h>

static inline float tide_pow2i(int32_t n) /* 2^n for -126 <= n <= 127 */
{
    uint32_t bits = (uint32_t)(n + 127) << 23;
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

static inline float tide_expf(float x)
{
    float xc = x > 89.0f ? 89.0f : x;
    xc = xc < -104.0f ? -104.0f : xc;
    xc = x != x ? 0.0f : xc; /* keep NaN out of the integer conversion */
    float fn = floorf(xc * 1.44269504088896341f + 0.5f);
    float r = xc - fn * 0.693359375f;
    r = r - fn * -2.12194440e-4f;
    float y = 1.9875691500e-4f;
    y = y * r + 1.3981999507e-3f;
    y = y * r + 8.3334519073e-3f;
    y = y * r + 4.1665795894e-2f;
    y = y * r + 1.6666665459e-1f;
    y = y * r + 5.0000001201e-1f;
    y = y * (r * r) + r + 1.0f;
    int32_t n = (int32_t)fn, n1 = n / 2;
    float res = y * tide_pow2i(n1) * tide_pow2i(n - n1);
    return x != x ? x : res;
}

#endif
