/* test_nn_rnn.c — GRU and LSTM over padded batches: forwards against naive double
 * recurrences (left- and right-padded rows, carried state), BPTT backwards by finite
 * differences for every input and parameter (on both matmul paths: the AVX-512 kernel of
 * nn_rnn_gemm.c and OpenBLAS), the kernel itself against a naive product over shapes with
 * full tiles, edges and several K blocks, the two paths against each other at sizes that use
 * the full tiles, the lengths mask helper, wrapper errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <string.h>

#include "nn.h"
#include "nn_check.h"
#include "nn_internal.h"

enum { B = 3, T = 4, IN = 3, H = 2 };
/* row 0 full, row 1 right-padded (len 2), row 2 left-padded (len 3) */
static const uint8_t MASK[B * T] = {1, 1, 1, 1, 1, 1, 0, 0, 0, 1, 1, 1};

static double sig(double x) { return 1 / (1 + exp(-x)); }

typedef struct {
    int lstm;
    float *x, *h0, *c0, *wih, *whh, *bih, *bhh, *cell, *gates, *scratch;
    const uint8_t *mask;
} rnn_ctx;

static void rnn_fwd(void *c, float *out)
{
    rnn_ctx *r = c;
    if (r->lstm)
        tide_lstm_forward(out, r->cell, r->gates, r->x, r->h0, r->c0, r->wih, r->whh, r->bih,
                          r->bhh, r->mask, B, T, IN, H, r->scratch);
    else
        tide_gru_forward(out, r->gates, r->x, r->h0, r->wih, r->whh, r->bih, r->bhh, r->mask, B,
                         T, IN, H, r->scratch);
}

/* naive recurrence in double; out [B,T,H] */
static void ref_rnn(const rnn_ctx *r, double *out)
{
    int G = r->lstm ? 4 : 3;
    for (int b = 0; b < B; b++) {
        double h[H], c[H];
        for (int j = 0; j < H; j++) h[j] = r->h0 ? r->h0[b * H + j] : 0, c[j] = r->c0 ? r->c0[b * H + j] : 0;
        for (int t = 0; t < T; t++) {
            if (!r->mask || r->mask[b * T + t]) {
                double a[4 * H], hh[4 * H];
                for (int g = 0; g < G * H; g++) {
                    a[g] = r->bih ? r->bih[g] : 0;
                    hh[g] = r->bhh ? r->bhh[g] : 0;
                    for (int i = 0; i < IN; i++) a[g] += (double)r->wih[g * IN + i] * r->x[(b * T + t) * IN + i];
                    for (int i = 0; i < H; i++) hh[g] += (double)r->whh[g * H + i] * h[i];
                }
                double nh[H];
                for (int j = 0; j < H; j++) {
                    if (r->lstm) {
                        double ig = sig(a[j] + hh[j]), fg = sig(a[H + j] + hh[H + j]);
                        double gg = tanh(a[2 * H + j] + hh[2 * H + j]), og = sig(a[3 * H + j] + hh[3 * H + j]);
                        c[j] = fg * c[j] + ig * gg;
                        nh[j] = og * tanh(c[j]);
                    } else {
                        double rg = sig(a[j] + hh[j]), z = sig(a[H + j] + hh[H + j]);
                        double n = tanh(a[2 * H + j] + rg * hh[2 * H + j]);
                        nh[j] = (1 - z) * n + z * h[j];
                    }
                }
                memcpy(h, nh, sizeof h);
            }
            for (int j = 0; j < H; j++) out[(b * T + t) * H + j] = h[j];
        }
    }
}

static void run_rnn(int lstm, int with_mask, int with_h0)
{
    int G = lstm ? 4 : 3;
    rnn_ctx r = {0};
    r.lstm = lstm;
    r.x = nnc_rand(B * T * IN, -1, 1);
    r.h0 = with_h0 ? nnc_rand(B * H, -1, 1) : NULL;
    r.c0 = with_h0 && lstm ? nnc_rand(B * H, -1, 1) : NULL;
    r.wih = nnc_rand(G * H * IN, -0.8, 0.8), r.whh = nnc_rand(G * H * H, -0.8, 0.8);
    r.bih = nnc_rand(G * H, -0.3, 0.3), r.bhh = nnc_rand(G * H, -0.3, 0.3);
    r.cell = nnc_zeros(B * T * H), r.gates = nnc_zeros(B * T * 4 * H);
    r.scratch = nnc_zeros(B * T * 4 * H + B * 4 * H + H);
    r.mask = with_mask ? MASK : NULL;
    int64_t no = B * T * H;
    float *out = nnc_zeros(no), *R = nnc_rand(no, -1, 1);
    double *ref = calloc((size_t)no, sizeof *ref);
    rnn_fwd(&r, out);
    ref_rnn(&r, ref);
    assert_true(nnc_maxdiff(out, ref, no) < 1e-5);
    if (with_mask) /* carried state: a right-padded row repeats its last real output */
        for (int j = 0; j < H; j++) assert_true(out[(1 * T + 3) * H + j] == out[(1 * T + 1) * H + j]);
    float *dx = nnc_zeros(B * T * IN), *dh0 = nnc_zeros(B * H), *dc0 = nnc_zeros(B * H);
    float *dwih = nnc_zeros(G * H * IN), *dwhh = nnc_zeros(G * H * H);
    float *dbih = nnc_zeros(G * H), *dbhh = nnc_zeros(G * H);
    float *bs = nnc_zeros(2 * B * T * 4 * H + B * T * H + 4 * B * H + H);
    float *dh0p = with_h0 ? dh0 : NULL, *dc0p = with_h0 && lstm ? dc0 : NULL;
    if (lstm)
        tide_lstm_backward(dx, dh0p, dc0p, dwih, dwhh, dbih, dbhh, R, out, r.cell, r.gates, r.x,
                           r.h0, r.c0, r.wih, r.whh, r.mask, B, T, IN, H, bs);
    else
        tide_gru_backward(dx, dh0p, dwih, dwhh, dbih, dbhh, R, out, r.gates, r.x, r.h0, r.wih,
                          r.whh, r.mask, B, T, IN, H, bs);
    double e = 1e-3, tol = 2e-2;
    assert_int_equal(nnc_fd("dx", rnn_fwd, &r, r.x, B * T * IN, dx, no, R, e, tol), 0);
    assert_int_equal(nnc_fd("dw_ih", rnn_fwd, &r, r.wih, G * H * IN, dwih, no, R, e, tol), 0);
    assert_int_equal(nnc_fd("dw_hh", rnn_fwd, &r, r.whh, G * H * H, dwhh, no, R, e, tol), 0);
    assert_int_equal(nnc_fd("db_ih", rnn_fwd, &r, r.bih, G * H, dbih, no, R, e, tol), 0);
    assert_int_equal(nnc_fd("db_hh", rnn_fwd, &r, r.bhh, G * H, dbhh, no, R, e, tol), 0);
    if (with_h0) assert_int_equal(nnc_fd("dh0", rnn_fwd, &r, r.h0, B * H, dh0, no, R, e, tol), 0);
    if (with_h0 && lstm) assert_int_equal(nnc_fd("dc0", rnn_fwd, &r, r.c0, B * H, dc0, no, R, e, tol), 0);
    if (with_mask) /* padded inputs get no gradient */
        for (int i = 0; i < IN; i++) assert_true(dx[(1 * T + 3) * IN + i] == 0.0f && dx[(2 * T + 0) * IN + i] == 0.0f);
    free(r.x), free(r.h0), free(r.c0), free(r.wih), free(r.whh), free(r.bih), free(r.bhh);
    free(r.cell), free(r.gates), free(r.scratch), free(out), free(R), free(ref);
    free(dx), free(dh0), free(dc0), free(dwih), free(dwhh), free(dbih), free(dbhh), free(bs);
}

static void test_gru_full(void **s) { (void)s; run_rnn(0, 0, 0); }
static void test_gru_masked_h0(void **s) { (void)s; run_rnn(0, 1, 1); }
static void test_lstm_full(void **s) { (void)s; run_rnn(1, 0, 0); }
static void test_lstm_masked_h0(void **s) { (void)s; run_rnn(1, 1, 1); }
/* the same through OpenBLAS only (the path of CPUs without AVX-512) */
static void test_blas_path(void **s)
{
    (void)s;
    tide_nnu_rnn_gemm_force_blas(1);
    run_rnn(0, 0, 0), run_rnn(0, 1, 1), run_rnn(1, 0, 0), run_rnn(1, 1, 1);
    tide_nnu_rnn_gemm_force_blas(0);
}

/* tide_nnu_rnn_gemm against a double-precision triple loop: both op(A), beta 0 / 1 / 0.5,
 * padded leading dimensions, M and N with and without edges (tiles are 8 x 32), K across
 * several 256-blocks; and the packed-weight form against OpenBLAS's x W^T. */
static void test_rnn_gemm(void **state)
{
    (void)state;
    static const int64_t Ms[] = {1, 8, 13, 24}, Ns[] = {5, 32, 45, 96}, Ks[] = {1, 7, 300, 530};
    static const float betas[] = {0.0f, 1.0f, 0.5f};
    for (int ta = 0; ta < 2; ta++)
        for (int mi = 0; mi < 4; mi++)
            for (int ni = 0; ni < 4; ni++)
                for (int ki = 0; ki < 4; ki++) {
                    int64_t M = Ms[mi], N = Ns[ni], K = Ks[ki], lda = (ta ? M : K) + 3,
                            ldb = N + 2, ldc = N + 1;
                    float beta = betas[(mi + ni + ki) % 3];
                    float *A = nnc_rand((ta ? K : M) * lda, -1, 1), *Bm = nnc_rand(K * ldb, -1, 1);
                    float *C = nnc_rand(M * ldc, -1, 1);
                    double *want = calloc((size_t)(M * ldc), sizeof *want);
                    for (int64_t i = 0; i < M; i++)
                        for (int64_t j = 0; j < ldc; j++) {
                            double acc = j < N ? (beta == 0.0f ? 0.0 : beta * (double)C[i * ldc + j])
                                               : C[i * ldc + j]; /* past N: untouched */
                            for (int64_t k = 0; j < N && k < K; k++)
                                acc += (double)(ta ? A[k * lda + i] : A[i * lda + k]) * Bm[k * ldb + j];
                            want[i * ldc + j] = acc;
                        }
                    tide_nnu_rnn_gemm(ta, M, N, K, A, lda, Bm, ldb, beta, C, ldc);
                    double err = nnc_maxdiff(C, want, M * ldc);
                    if (!(err < 1e-4 * (double)K + 1e-5))
                        fail_msg("ta %d M %lld N %lld K %lld: max error %g", ta, (long long)M,
                                 (long long)N, (long long)K, err);
                    free(A), free(Bm), free(C), free(want);
                }
    /* x W^T with the packed transpose (NULL where the kernel is off: OpenBLAS) */
    int64_t M = 19, N = 70, K = 33;
    float *A = nnc_rand(M * K, -1, 1), *W = nnc_rand(N * K, -1, 1), *C = nnc_zeros(M * N);
    double *want = calloc((size_t)(M * N), sizeof *want);
    for (int64_t i = 0; i < M; i++)
        for (int64_t j = 0; j < N; j++)
            for (int64_t k = 0; k < K; k++) want[i * N + j] += (double)A[i * K + k] * W[j * K + k];
    float *wt = tide_nnu_rnn_pack(W, N, K);
    tide_nnu_rnn_gemm_wt(M, N, K, A, K, W, wt, 0.0f, C, N);
    assert_true(nnc_maxdiff(C, want, M * N) < 1e-4);
    free(wt), free(A), free(W), free(C), free(want);
}

/* Forward and backward of both layers at sizes where the kernel runs full tiles as well as
 * edges (B*T and 3H/4H not multiples of 8 / 32, H0, a mask), once per matmul path: outputs
 * and every gradient must agree (the small exact tests above pin both paths to the maths). */
static void run_paths(int lstm)
{
    enum { PB = 9, PT = 7, PI = 20, PH = 40 };
    int G = lstm ? 4 : 3;
    float *x = nnc_rand(PB * PT * PI, -1, 1), *h0 = nnc_rand(PB * PH, -1, 1), *c0 = nnc_rand(PB * PH, -1, 1);
    float *wih = nnc_rand(G * PH * PI, -0.3, 0.3), *whh = nnc_rand(G * PH * PH, -0.3, 0.3);
    float *bih = nnc_rand(G * PH, -0.3, 0.3), *bhh = nnc_rand(G * PH, -0.3, 0.3);
    float *R = nnc_rand(PB * PT * PH, -1, 1);
    uint8_t mask[PB * PT];
    for (int i = 0; i < PB * PT; i++) mask[i] = (i % PT) < PT - (i / PT) % 3; /* right padding */
    int64_t n_out = PB * PT * PH, n_g[7] = {PB * PT * PI, PB * PH, PB * PH, G * PH * PI, G * PH * PH, G * PH, G * PH};
    float *res[2][8];
    for (int path = 0; path < 2; path++) {
        tide_nnu_rnn_gemm_force_blas(path);
        float *out = nnc_zeros(n_out), *cell = nnc_zeros(n_out), *gates = nnc_zeros(PB * PT * 4 * PH);
        float *scratch = nnc_zeros(2 * PB * PT * 4 * PH + PB * PT * PH + 4 * PB * PH + 10 * PH);
        float **g = res[path];
        for (int i = 0; i < 7; i++) g[i] = nnc_zeros(n_g[i]);
        if (lstm) {
            tide_lstm_forward(out, cell, gates, x, h0, c0, wih, whh, bih, bhh, mask, PB, PT, PI, PH, scratch);
            tide_lstm_backward(g[0], g[1], g[2], g[3], g[4], g[5], g[6], R, out, cell, gates, x, h0, c0,
                               wih, whh, mask, PB, PT, PI, PH, scratch);
        } else {
            tide_gru_forward(out, gates, x, h0, wih, whh, bih, bhh, mask, PB, PT, PI, PH, scratch);
            tide_gru_backward(g[0], g[1], g[3], g[4], g[5], g[6], R, out, gates, x, h0, wih, whh,
                              mask, PB, PT, PI, PH, scratch);
        }
        g[7] = out;
        free(cell), free(gates), free(scratch);
    }
    tide_nnu_rnn_gemm_force_blas(0);
    for (int i = 0; i < 8; i++) {
        int64_t n = i < 7 ? n_g[i] : n_out;
        double scale = 1e-3, err = 0;
        for (int64_t k = 0; k < n; k++) {
            double d = fabs((double)res[0][i][k] - res[1][i][k]), a = fabs((double)res[1][i][k]);
            err = d > err ? d : err;
            scale = a > scale ? a : scale;
        }
        if (!(err <= 1e-4 * scale)) fail_msg("%s result %d: paths differ by %g (scale %g)", lstm ? "lstm" : "gru", i, err, scale);
        free(res[0][i]), free(res[1][i]);
    }
    free(x), free(h0), free(c0), free(wih), free(whh), free(bih), free(bhh), free(R);
}
static void test_gru_paths(void **s) { (void)s; run_paths(0); }
static void test_lstm_paths(void **s) { (void)s; run_paths(1); }

static void test_lengths_mask_and_wrapper(void **state)
{
    (void)state;
    int64_t nb = 2;
    int32_t lens[2] = {1, 3};
    tide_tensor *l = tide_tensor_from_data(TIDE_I32, 1, &nb, lens);
    tide_tensor *right = tide_nn_lengths_mask(l, 3, 0), *left = tide_nn_lengths_mask(l, 3, 1);
    int32_t want_r[6] = {1, 0, 0, 1, 1, 1}, want_l[6] = {0, 0, 1, 1, 1, 1};
    for (int i = 0; i < 6; i++) {
        assert_int_equal(tide_i32(right)[i], want_r[i]);
        assert_int_equal(tide_i32(left)[i], want_l[i]);
    }
    assert_null(tide_nn_lengths_mask(l, 2, 0));
    assert_non_null(strstr(tide_error(), "length 3"));
    /* wrapper: shapes checked, out[:, T-1] is the final state */
    tide_tensor *x = tide_tensor_new(TIDE_F32, 3, (int64_t[]){2, 3, 4});
    tide_tensor *wih = tide_tensor_full(TIDE_F32, 2, (int64_t[]){15, 4}, 0.1);
    tide_tensor *whh = tide_tensor_full(TIDE_F32, 2, (int64_t[]){15, 5}, 0.1);
    tide_tensor *bad = tide_tensor_full(TIDE_F32, 2, (int64_t[]){15, 3}, 0.1);
    for (int i = 0; i < 24; i++) tide_f32(x)[i] = (float)nnc_uniform(-1, 1);
    tide_tensor *o = tide_nn_gru(x, NULL, wih, whh, NULL, NULL, right);
    assert_non_null(o);
    assert_int_equal(o->shape[2], 5);
    assert_null(tide_nn_gru(x, NULL, bad, whh, NULL, NULL, NULL));
    assert_non_null(strstr(tide_error(), "w_ih"));
    assert_null(tide_nn_gru(x, NULL, wih, whh, NULL, NULL, l));
    assert_non_null(strstr(tide_error(), "mask"));
    tide_tensor *wih4 = tide_tensor_full(TIDE_F32, 2, (int64_t[]){20, 4}, 0.1);
    tide_tensor *whh4 = tide_tensor_full(TIDE_F32, 2, (int64_t[]){20, 5}, 0.1);
    tide_tensor *o2 = tide_nn_lstm(x, NULL, NULL, wih4, whh4, NULL, NULL, left);
    assert_non_null(o2);
    assert_null(tide_nn_lstm(x, NULL, NULL, wih, whh, NULL, NULL, NULL)); /* 3H weights */
    assert_non_null(strstr(tide_error(), "lstm"));
    tide_tensor_release(o2), tide_tensor_release(wih4), tide_tensor_release(whh4);
    tide_tensor_release(o), tide_tensor_release(x), tide_tensor_release(wih), tide_tensor_release(whh);
    tide_tensor_release(bad), tide_tensor_release(right), tide_tensor_release(left), tide_tensor_release(l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gru_full),  cmocka_unit_test(test_gru_masked_h0),
        cmocka_unit_test(test_lstm_full), cmocka_unit_test(test_lstm_masked_h0),
        cmocka_unit_test(test_lengths_mask_and_wrapper),
        cmocka_unit_test(test_blas_path), cmocka_unit_test(test_rnn_gemm),
        cmocka_unit_test(test_gru_paths), cmocka_unit_test(test_lstm_paths),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
