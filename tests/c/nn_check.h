/* nn_check.h — helpers for the nn kernel tests: random fills and a central finite-difference
 * check of a backward kernel against its forward. The scalar checked is L = sum(out * R) for a
 * fixed random R, so the analytic gradient is the backward run with dout = R. */
#ifndef TIDE_TEST_NN_CHECK_H
#define TIDE_TEST_NN_CHECK_H

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* deterministic uniform in [lo,hi) (xorshift; tests must not depend on the code under test) */
static uint64_t nnc_state = 88172645463325252ull;
static double nnc_uniform(double lo, double hi)
{
    nnc_state ^= nnc_state << 13;
    nnc_state ^= nnc_state >> 7;
    nnc_state ^= nnc_state << 17;
    return lo + (hi - lo) * (double)(nnc_state >> 11) / 9007199254740992.0;
}
static float *nnc_rand(int64_t n, double lo, double hi)
{
    float *p = malloc((size_t)(n > 0 ? n : 1) * sizeof *p);
    for (int64_t i = 0; i < n; i++) p[i] = (float)nnc_uniform(lo, hi);
    return p;
}
static float *nnc_zeros(int64_t n) { return calloc((size_t)(n > 0 ? n : 1), sizeof(float)); }

/* Runs the forward into out (nout floats) using whatever inputs ctx points at. */
typedef void (*nnc_forward)(void *ctx, float *out);

static double nnc_loss(nnc_forward f, void *ctx, float *out, const float *R, int64_t nout)
{
    f(ctx, out);
    double s = 0;
    for (int64_t i = 0; i < nout; i++) s += (double)out[i] * R[i];
    return s;
}

/* Compares analytic[i] with (L(p+eps) - L(p-eps)) / 2eps for every element of param.
 * Returns the number of mismatches (printing the first few). */
static int nnc_fd(const char *name, nnc_forward f, void *ctx, float *param, int64_t np,
                  const float *analytic, int64_t nout, const float *R, double eps, double tol)
{
    float *out = malloc((size_t)(nout > 0 ? nout : 1) * sizeof *out);
    int bad = 0;
    for (int64_t i = 0; i < np; i++) {
        float save = param[i];
        param[i] = (float)(save + eps);
        double lp = nnc_loss(f, ctx, out, R, nout);
        param[i] = (float)(save - eps);
        double lm = nnc_loss(f, ctx, out, R, nout);
        param[i] = save;
        double num = (lp - lm) / (2 * eps);
        if (!(fabs(num - analytic[i]) <= tol * (1.0 + fabs(num)))) {
            if (bad < 5)
                fprintf(stderr, "%s[%lld]: numeric %.7g analytic %.7g\n", name, (long long)i, num,
                        (double)analytic[i]);
            bad++;
        }
    }
    free(out);
    return bad;
}

static double nnc_maxdiff(const float *a, const double *b, int64_t n)
{
    double m = 0;
    for (int64_t i = 0; i < n; i++) {
        double d = fabs((double)a[i] - b[i]);
        if (!(d <= m)) m = d; /* NaN propagates as a huge difference */
        if (d != d) return INFINITY;
    }
    return m;
}

#endif
