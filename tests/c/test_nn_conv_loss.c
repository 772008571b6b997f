/* test_nn_conv_loss.c — conv1d and max-over-time kernels (naive loops, finite differences),
 * and the losses through their differentiable wrappers and the autograd tape: closed-form
 * values, stability at extreme logits, ignore_index, sampled candidates with accidental hits,
 * finite-difference gradients, shape errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <string.h>

#include "autograd.h"
#include "nn.h"
#include "nn_check.h"

/* ---- conv1d ---- */
typedef struct {
    float *x, *w, *b, *col;
    int64_t B, T, Cin, Cout, K, pad;
} cv_ctx;
static void cv_fwd(void *c, float *out)
{
    cv_ctx *v = c;
    tide_conv1d_forward(out, v->x, v->w, v->b, v->B, v->T, v->Cin, v->Cout, v->K, v->pad, v->col);
}

static void run_conv(int64_t pad)
{
    cv_ctx v = {0};
    v.B = 2, v.T = 6, v.Cin = 3, v.Cout = 4, v.K = 3, v.pad = pad;
    int64_t Tout = v.T + 2 * pad - v.K + 1, no = v.B * Tout * v.Cout;
    v.x = nnc_rand(v.B * v.T * v.Cin, -1, 1), v.w = nnc_rand(v.Cout * v.K * v.Cin, -1, 1);
    v.b = nnc_rand(v.Cout, -1, 1), v.col = nnc_zeros(v.B * Tout * v.K * v.Cin);
    float *out = nnc_zeros(no), *R = nnc_rand(no, -1, 1);
    double *ref = calloc((size_t)no, sizeof *ref);
    cv_fwd(&v, out);
    for (int64_t b = 0; b < v.B; b++)
        for (int64_t t = 0; t < Tout; t++)
            for (int64_t o = 0; o < v.Cout; o++) {
                double s = v.b[o];
                for (int64_t k = 0; k < v.K; k++) {
                    int64_t tt = t - pad + k;
                    if (tt < 0 || tt >= v.T) continue;
                    for (int64_t c = 0; c < v.Cin; c++)
                        s += (double)v.w[(o * v.K + k) * v.Cin + c] * v.x[(b * v.T + tt) * v.Cin + c];
                }
                ref[(b * Tout + t) * v.Cout + o] = s;
            }
    assert_true(nnc_maxdiff(out, ref, no) < 1e-5);
    float *dx = nnc_zeros(v.B * v.T * v.Cin), *dw = nnc_zeros(v.Cout * v.K * v.Cin), *db = nnc_zeros(v.Cout);
    float *col2 = nnc_zeros(v.B * Tout * v.K * v.Cin);
    tide_conv1d_backward(dx, dw, db, R, v.x, v.w, v.B, v.T, v.Cin, v.Cout, v.K, pad, col2);
    assert_int_equal(nnc_fd("conv dx", cv_fwd, &v, v.x, v.B * v.T * v.Cin, dx, no, R, 1e-2, 1e-2), 0);
    assert_int_equal(nnc_fd("conv dw", cv_fwd, &v, v.w, v.Cout * v.K * v.Cin, dw, no, R, 1e-2, 1e-2), 0);
    assert_int_equal(nnc_fd("conv db", cv_fwd, &v, v.b, v.Cout, db, no, R, 1e-2, 1e-2), 0);
    free(v.x), free(v.w), free(v.b), free(v.col), free(out), free(R), free(ref);
    free(dx), free(dw), free(db), free(col2);
}
static void test_conv1d_valid(void **s) { (void)s; run_conv(0); }
static void test_conv1d_padded(void **s) { (void)s; run_conv(1); }

static void test_max_over_time(void **state)
{
    (void)state;
    /* x [1,3,2]: channel 0 max at t=2 (but masked out) -> t=0; channel 1 max at t=1 */
    float x[6] = {1, -5, 0, 4, 9, 2};
    uint8_t mask[3] = {1, 1, 0};
    float out[2];
    int64_t arg[2];
    tide_max_over_time_forward(out, arg, x, mask, 1, 3, 2);
    assert_true(out[0] == 1.0f && out[1] == 4.0f);
    assert_true(arg[0] == 0 && arg[1] == 1);
    float dx[6] = {0}, dout[2] = {0.5f, -2.0f};
    tide_max_over_time_backward(dx, dout, arg, 1, 3, 2);
    assert_true(dx[0] == 0.5f && dx[3] == -2.0f && dx[4] == 0.0f);
    uint8_t none[3] = {0, 0, 0};
    tide_max_over_time_forward(out, arg, x, none, 1, 3, 2);
    assert_true(out[0] == 0.0f && arg[0] == -1);
}

/* ---- losses through the tape ---- */
typedef tide_tensor *(*loss_fn)(tide_tensor **in, void *ctx);

/* d loss / d in[which] by autograd vs central differences on its data */
static void fd_loss(loss_fn f, tide_tensor **in, int which, void *ctx, double eps, double tol)
{
    tide_tensor *p = in[which];
    tide_set_requires_grad(p, 1);
    tide_zero_grad(p);
    tide_tensor *l = f(in, ctx);
    assert_non_null(l);
    assert_int_equal(tide_backward(l, NULL), TIDE_OK);
    tide_tensor_release(l);
    assert_non_null(p->grad);
    int prev = tide_set_grad_enabled(0);
    float *d = tide_f32(p);
    for (int64_t i = 0; i < tide_tensor_numel(p); i++) {
        float save = d[i];
        d[i] = (float)(save + eps);
        tide_tensor *lp = f(in, ctx);
        d[i] = (float)(save - eps);
        tide_tensor *lm = f(in, ctx);
        d[i] = save;
        double num = ((double)tide_f32(lp)[0] - tide_f32(lm)[0]) / (2 * eps);
        double an = tide_f32(p->grad)[i];
        if (!(fabs(num - an) <= tol * (1 + fabs(num))))
            fail_msg("input %d elem %lld: numeric %.7g analytic %.7g", which, (long long)i, num, an);
        tide_tensor_release(lp), tide_tensor_release(lm);
    }
    tide_set_grad_enabled(prev);
    tide_zero_grad(p);
    tide_set_requires_grad(p, 0);
}

static tide_tensor *randt(int nd, const int64_t *shape, double lo, double hi)
{
    tide_tensor *t = tide_tensor_new(TIDE_F32, nd, shape);
    for (int64_t i = 0; i < tide_tensor_numel(t); i++) tide_f32(t)[i] = (float)nnc_uniform(lo, hi);
    return t;
}

static tide_tensor *bce_f(tide_tensor **in, void *c) { (void)c; return tide_nn_bce_logits(in[0], in[1], in[2], TIDE_REDUCE_MEAN); }
static tide_tensor *mse_f(tide_tensor **in, void *c) { (void)c; return tide_nn_mse(in[0], in[1], TIDE_REDUCE_SUM); }
static tide_tensor *bpr_f(tide_tensor **in, void *c) { (void)c; return tide_nn_bpr(in[0], in[1], TIDE_REDUCE_MEAN); }

static void test_bce(void **state)
{
    (void)state;
    int64_t sh[1] = {4};
    float xv[4] = {100.0f, -100.0f, 0.0f, 2.0f}, yv[4] = {0.0f, 1.0f, 1.0f, 0.25f};
    tide_tensor *x = tide_tensor_from_data(TIDE_F32, 1, sh, xv), *y = tide_tensor_from_data(TIDE_F32, 1, sh, yv);
    tide_tensor *l = tide_nn_bce_logits(x, y, NULL, TIDE_REDUCE_NONE);
    /* closed forms: log(1+e^100) - 0 = 100 (+tiny); e^-100 side: 100; x=0: log 2 */
    assert_float_equal(tide_f32(l)[0], 100.0, 1e-4);
    assert_float_equal(tide_f32(l)[1], 100.0, 1e-4);
    assert_float_equal(tide_f32(l)[2], log(2.0), 1e-6);
    assert_float_equal(tide_f32(l)[3], log1p(exp(2.0)) - 2.0 * 0.25, 1e-5);
    tide_tensor_release(l);
    tide_tensor *in[3] = {randt(1, sh, -3, 3), randt(1, sh, 0, 1), randt(1, sh, 0.5, 2)};
    fd_loss(bce_f, in, 0, NULL, 1e-2, 1e-2);
    fd_loss(bce_f, in, 1, NULL, 1e-2, 1e-2);
    int64_t sh5[1] = {5};
    tide_tensor *w5 = tide_tensor_new(TIDE_F32, 1, sh5);
    assert_null(tide_nn_bce_logits(in[0], in[1], w5, TIDE_REDUCE_MEAN));
    assert_non_null(strstr(tide_error(), "weight"));
    for (int i = 0; i < 3; i++) tide_tensor_release(in[i]);
    tide_tensor_release(w5), tide_tensor_release(x), tide_tensor_release(y);
}

static void test_mse_bpr(void **state)
{
    (void)state;
    int64_t sh[2] = {3, 2}, n3[1] = {3};
    tide_tensor *in[2] = {randt(2, sh, -2, 2), randt(2, sh, -2, 2)};
    tide_tensor *l = mse_f(in, NULL);
    double s = 0;
    for (int i = 0; i < 6; i++) s += pow((double)tide_f32(in[0])[i] - tide_f32(in[1])[i], 2);
    assert_float_equal(tide_f32(l)[0], s, 1e-5);
    tide_tensor_release(l);
    fd_loss(mse_f, in, 0, NULL, 1e-2, 1e-2);
    fd_loss(mse_f, in, 1, NULL, 1e-2, 1e-2);
    tide_tensor *b[2] = {randt(1, n3, -2, 2), randt(2, sh, -2, 2)}; /* pos [3], neg [3,2] */
    l = bpr_f(b, NULL);
    s = 0;
    for (int i = 0; i < 3; i++)
        for (int k = 0; k < 2; k++)
            s += -log(1 / (1 + exp(-((double)tide_f32(b[0])[i] - tide_f32(b[1])[i * 2 + k]))));
    assert_float_equal(tide_f32(l)[0], s / 6, 1e-5);
    tide_tensor_release(l);
    fd_loss(bpr_f, b, 0, NULL, 1e-2, 1e-2);
    fd_loss(bpr_f, b, 1, NULL, 1e-2, 1e-2);
    assert_null(tide_nn_bpr(in[0], in[1], TIDE_REDUCE_MEAN)); /* pos must be 1-D */
    assert_non_null(strstr(tide_error(), "bpr"));
    for (int i = 0; i < 2; i++) tide_tensor_release(in[i]), tide_tensor_release(b[i]);
}

typedef struct {
    tide_tensor *target, *cand;
    int64_t ignore;
} ce_ctx;
static tide_tensor *ce_f(tide_tensor **in, void *c)
{
    ce_ctx *e = c;
    return tide_nn_cross_entropy(in[0], e->target, 1, e->ignore, e->cand, TIDE_REDUCE_MEAN);
}

static void test_cross_entropy(void **state)
{
    (void)state;
    int64_t sh[2] = {3, 4}, n3[1] = {3};
    tide_tensor *in[1] = {randt(2, sh, -2, 2)};
    tide_f32(in[0])[0] = 500.0f; /* stable with a huge logit */
    int32_t tv[3] = {1, 0, 4};   /* 1-based; row 1 is ignored (id 0) */
    tide_tensor *target = tide_tensor_from_data(TIDE_I32, 1, n3, tv);
    ce_ctx c = {target, NULL, 0};
    tide_tensor *l = ce_f(in, &c);
    double want = 0;
    for (int r = 0; r < 3; r += 2) {
        double m = -INFINITY, z = 0;
        for (int j = 0; j < 4; j++) m = fmax(m, tide_f32(in[0])[r * 4 + j]);
        for (int j = 0; j < 4; j++) z += exp(tide_f32(in[0])[r * 4 + j] - m);
        want += m + log(z) - tide_f32(in[0])[r * 4 + tv[r] - 1];
    }
    assert_float_equal(tide_f32(l)[0], want / 2, 1e-5); /* mean over the 2 counted rows */
    tide_tensor_release(l);
    tide_f32(in[0])[0] = 1.0f;
    fd_loss(ce_f, in, 0, &c, 1e-2, 1e-2);
    /* sampled: candidate ids per row; row 0 has an accidental hit in column 3 */
    int32_t cv[12] = {7, 2, 9, 7, 5, 6, 1, 3, 8, 8, 4, 2};
    int32_t tv2[3] = {7, 3, 2};
    tide_tensor *cand = tide_tensor_from_data(TIDE_I32, 2, sh, cv);
    tide_tensor *t2 = tide_tensor_from_data(TIDE_I32, 1, n3, tv2);
    ce_ctx c2 = {t2, cand, INT64_MIN};
    l = ce_f(in, &c2);
    const float *x = tide_f32(in[0]);
    double r0 = log(exp(x[0]) + exp(x[1]) + exp(x[2])) - x[0];             /* col 3 excluded */
    double r1 = log(exp(x[4]) + exp(x[5]) + exp(x[6]) + exp(x[7])) - x[7];
    double r2 = log(exp(x[8]) + exp(x[9]) + exp(x[10]) + exp(x[11])) - x[11];
    assert_float_equal(tide_f32(l)[0], (r0 + r1 + r2) / 3, 1e-5);
    tide_tensor_release(l);
    fd_loss(ce_f, in, 0, &c2, 1e-2, 1e-2);
    /* errors: a target missing from its candidates; an out-of-range class */
    tv2[1] = 99;
    tide_tensor *t3 = tide_tensor_from_data(TIDE_I32, 1, n3, tv2);
    ce_ctx c3 = {t3, cand, INT64_MIN};
    assert_null(ce_f(in, &c3));
    assert_non_null(strstr(tide_error(), "not among its candidates"));
    ce_ctx c4 = {t3, NULL, INT64_MIN};
    assert_null(ce_f(in, &c4));
    assert_non_null(strstr(tide_error(), "outside [1, 4]"));
    tide_tensor_release(t3), tide_tensor_release(t2), tide_tensor_release(cand);
    tide_tensor_release(target), tide_tensor_release(in[0]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_conv1d_valid), cmocka_unit_test(test_conv1d_padded),
        cmocka_unit_test(test_max_over_time), cmocka_unit_test(test_bce),
        cmocka_unit_test(test_mse_bpr),      cmocka_unit_test(test_cross_entropy),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
