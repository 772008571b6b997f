/* test_nn_same_bits.c — forward kernels restructured for speed must keep their bits:
 * tide_layernorm_forward computes LN_R rows side by side (their dependent sums overlap), yet
 * each row must get exactly the operations of the plain one-row-at-a-time loop, in the same
 * order (row counts that are and are not multiples of the block, with and without gamma /
 * beta, values with a large offset); tide_linear_forward puts a short reduction's bias in
 * first and lets the sgemm add onto it, which must equal the product stored, then the bias
 * added (with and without activation, residual, pre-activation output). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>
#include <cmocka.h>

#include "nn.h"

/* the plain reference: two passes per row, sums in order over j */
static void reference(float *out, float *mean, float *rstd, const float *x, const float *g, const float *b,
                      int64_t N, int64_t D, float eps)
{
    for (int64_t r = 0; r < N; r++) {
        const float *xr = x + r * D;
        float m = 0.0f, v = 0.0f;
        for (int64_t j = 0; j < D; j++) m += xr[j];
        m /= (float)D;
        for (int64_t j = 0; j < D; j++) {
            float c = xr[j] - m;
            float c2 = c * c;
            v += c2;
        }
        float s = 1.0f / sqrtf(v / (float)D + eps);
        for (int64_t j = 0; j < D; j++) {
            float n = (xr[j] - m) * s;
            float y = n * (g ? g[j] : 1.0f);
            out[r * D + j] = y + (b ? b[j] : 0.0f);
        }
        mean[r] = m, rstd[r] = s;
    }
}

static void test_same_bits_as_row_by_row(void **st)
{
    (void)st;
    enum { NMAX = 37, DMAX = 50 };
    static float x[NMAX * DMAX], g[DMAX], b[DMAX], o1[NMAX * DMAX], o2[NMAX * DMAX];
    float m1[NMAX], m2[NMAX], s1[NMAX], s2[NMAX];
    uint32_t state = 12345;
    for (int i = 0; i < NMAX * DMAX; i++) {
        state = state * 1664525u + 1013904223u;
        x[i] = (float)((state >> 8) / 16777216.0 - 0.5) * 3.0f + (i % 7 == 0 ? 1000.0f : 0.0f);
    }
    for (int j = 0; j < DMAX; j++) g[j] = 0.5f + 0.01f * (float)j, b[j] = -0.25f + 0.02f * (float)j;
    int64_t Ns[] = {1, 7, 8, 9, 16, 37}, Ds[] = {1, 3, 50};
    for (int a = 0; a < 6; a++)
        for (int c = 0; c < 3; c++)
            for (int affine = 0; affine <= 1; affine++) {
                int64_t N = Ns[a], D = Ds[c];
                reference(o1, m1, s1, x, affine ? g : NULL, affine ? b : NULL, N, D, 1e-8f);
                tide_layernorm_forward(o2, m2, s2, x, affine ? g : NULL, affine ? b : NULL, N, D, 1e-8f);
                assert_memory_equal(o1, o2, (size_t)(N * D) * sizeof(float));
                assert_memory_equal(m1, m2, (size_t)N * sizeof(float));
                assert_memory_equal(s1, s2, (size_t)N * sizeof(float));
            }
}

static void test_linear_bias_first_same_bits(void **st)
{
    (void)st;
    enum { N = 70, IN = 50, O = 37 };
    static float x[N * IN], w[O * IN], b[O], res[N * O], want[N * O], got[N * O], pre[N * O];
    uint32_t state = 777;
    float *all[] = {x, w, b, res};
    int64_t len[] = {N * IN, O * IN, O, N * O};
    for (int k = 0; k < 4; k++)
        for (int64_t i = 0; i < len[k]; i++) {
            state = state * 1664525u + 1013904223u;
            all[k][i] = (float)((state >> 8) / 16777216.0 - 0.5) * (k == 2 ? 100.0f : 2.0f);
        }
    for (int variant = 0; variant < 3; variant++) {
        tide_act act = variant == 1 ? TIDE_ACT_RELU : TIDE_ACT_NONE;
        const float *r = variant == 2 ? res : NULL;
        /* the reference: the product alone (beta = 0), then + b, act, + residual */
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, N, O, IN, 1.0f, x, IN, w, IN, 0.0f, want, O);
        for (int i = 0; i < N; i++)
            for (int j = 0; j < O; j++) {
                float v = want[i * O + j] + b[j];
                if (act == TIDE_ACT_RELU) v = v > 0.0f ? v : 0.0f;
                want[i * O + j] = r ? v + r[i * O + j] : v;
            }
        tide_linear_epi e = {act, 0.0f, 0, 0};
        tide_linear_forward(got, act != TIDE_ACT_NONE ? pre : NULL, x, w, b, r, N, IN, O, &e);
        assert_memory_equal(got, want, sizeof want);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_same_bits_as_row_by_row),
                                       cmocka_unit_test(test_linear_bias_first_same_bits)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
