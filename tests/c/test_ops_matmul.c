/* test_ops_matmul.c — tide_gemm and tide_matmul against a naive triple loop, for contiguous,
 * transposed, narrowed and expanded operands, 1-D and batched shapes; errors. */
#include "ops_test_util.h"

/* naive C = A·B for 2-D views */
static void ref_mm(const tide_tensor *a, const tide_tensor *b, double *c)
{
    int64_t n = a->shape[0], k = a->shape[1], m = b->shape[1];
    for (int64_t i = 0; i < n; i++)
        for (int64_t j = 0; j < m; j++) {
            double s = 0;
            for (int64_t q = 0; q < k; q++) {
                int64_t ia[2] = {i, q}, ib[2] = {q, j};
                s += tide_tensor_get(a, ia) * tide_tensor_get(b, ib);
            }
            c[i * m + j] = s;
        }
}

static void check_mm2(const tide_tensor *a, const tide_tensor *b)
{
    tide_tensor *r = tide_matmul(a, b);
    assert_non_null(r);
    int64_t want_shape[2] = {a->shape[0], b->shape[1]};
    assert_shape(r, 2, want_shape);
    double c[4096];
    ref_mm(a, b, c);
    for (int64_t i = 0; i < want_shape[0] * want_shape[1]; i++) assert_near(at(r, i), c[i], 1e-5);
    tide_tensor_release(r);
}

static void test_matmul_2d_layouts(void **state)
{
    (void)state;
    int64_t sa[2] = {5, 7}, sb[2] = {7, 3}, sat[2] = {7, 5}, sbt[2] = {3, 7};
    tide_tensor *a = trand(2, sa, 31), *b = trand(2, sb, 32);
    tide_tensor *a_t = trand(2, sat, 33), *b_t = trand(2, sbt, 34);
    tide_tensor *at_ = tide_tensor_transpose(a_t, 0, 1), *bt_ = tide_tensor_transpose(b_t, 0, 1);
    check_mm2(a, b);
    check_mm2(at_, b);   /* first stride 1: passed as Trans */
    check_mm2(a, bt_);
    check_mm2(at_, bt_);
    int64_t sw[2] = {5, 12};
    tide_tensor *wide = trand(2, sw, 35), *nar = tide_tensor_narrow(wide, 1, 3, 7); /* lda 12 > 7 */
    check_mm2(nar, b);
    int64_t s1[2] = {1, 7};
    tide_tensor *row = trand(2, s1, 36), *ex = tide_tensor_expand(row, 2, sa); /* stride 0: copied */
    check_mm2(ex, b);
    int64_t s3[3] = {5, 7, 2};
    tide_tensor *t3 = trand(3, s3, 37), *sel = tide_tensor_select(t3, 2, 1); /* strides (14, 2) */
    check_mm2(sel, b);
    tide_tensor_release(t3), tide_tensor_release(sel), tide_tensor_release(row), tide_tensor_release(ex);
    tide_tensor_release(wide), tide_tensor_release(nar), tide_tensor_release(at_), tide_tensor_release(bt_);
    tide_tensor_release(a), tide_tensor_release(b), tide_tensor_release(a_t), tide_tensor_release(b_t);
}

static void test_matmul_1d(void **state)
{
    (void)state;
    int64_t sk[1] = {6}, sa[2] = {4, 6}, sb[2] = {6, 3};
    tide_tensor *v = trand(1, sk, 41), *w = trand(1, sk, 42), *a = trand(2, sa, 43), *b = trand(2, sb, 44);
    tide_tensor *d = tide_matmul(v, w);
    assert_int_equal(d->ndim, 0);
    double s = 0;
    for (int i = 0; i < 6; i++) s += at(v, i) * at(w, i);
    assert_near(at(d, 0), s, 1e-6);
    tide_tensor *av = tide_matmul(a, v); /* [4,6]x[6] -> [4] */
    assert_int_equal(av->ndim, 1), assert_int_equal(av->shape[0], 4);
    for (int i = 0; i < 4; i++) {
        double t = 0;
        for (int q = 0; q < 6; q++) t += at(a, i * 6 + q) * at(v, q);
        assert_near(at(av, i), t, 1e-5);
    }
    tide_tensor *vb = tide_matmul(v, b); /* [6]x[6,3] -> [3] */
    assert_int_equal(vb->ndim, 1), assert_int_equal(vb->shape[0], 3);
    for (int j = 0; j < 3; j++) {
        double t = 0;
        for (int q = 0; q < 6; q++) t += at(v, q) * at(b, q * 3 + j);
        assert_near(at(vb, j), t, 1e-5);
    }
    tide_tensor_release(d), tide_tensor_release(av), tide_tensor_release(vb);
    tide_tensor_release(v), tide_tensor_release(w), tide_tensor_release(a), tide_tensor_release(b);
}

/* r[bi] == a[bi or 0] x b[bi or 0] for a batch of 2-D results */
static void check_batched(const tide_tensor *r, const tide_tensor *a, const tide_tensor *b, int64_t nb)
{
    for (int64_t bi = 0; bi < nb; bi++) {
        tide_tensor *ab = a->ndim == 3 ? tide_tensor_select((tide_tensor *)a, 0, a->shape[0] == 1 ? 0 : bi)
                                       : tide_tensor_retain((tide_tensor *)a);
        tide_tensor *bb = b->ndim == 3 ? tide_tensor_select((tide_tensor *)b, 0, b->shape[0] == 1 ? 0 : bi)
                                       : tide_tensor_retain((tide_tensor *)b);
        tide_tensor *rb = tide_tensor_select((tide_tensor *)r, 0, bi);
        double c[4096];
        ref_mm(ab, bb, c);
        for (int64_t i = 0; i < tide_tensor_numel(rb); i++) assert_near(at(rb, i), c[i], 1e-5);
        tide_tensor_release(ab), tide_tensor_release(bb), tide_tensor_release(rb);
    }
}

static void test_matmul_batched(void **state)
{
    (void)state;
    int64_t sa[3] = {4, 3, 5}, sb[3] = {4, 5, 2}, s2[2] = {5, 2}, s1b[3] = {1, 5, 2};
    tide_tensor *a = trand(3, sa, 51), *b = trand(3, sb, 52), *m = trand(2, s2, 53), *b1 = trand(3, s1b, 54);
    tide_tensor *r = tide_matmul(a, b);
    int64_t rs[3] = {4, 3, 2};
    assert_shape(r, 3, rs);
    check_batched(r, a, b, 4);
    tide_tensor_release(r);
    r = tide_matmul(a, m); /* one sgemm over [12,5] */
    assert_shape(r, 3, rs);
    check_batched(r, a, m, 4);
    tide_tensor_release(r);
    r = tide_matmul(a, b1); /* batch 1 broadcasts */
    assert_shape(r, 3, rs);
    check_batched(r, a, b1, 4);
    tide_tensor_release(r);
    tide_tensor *ap = tide_tensor_transpose(a, 1, 2); /* [4,5,3], per-batch transposed */
    int64_t sq[2] = {3, 3};
    tide_tensor *q = trand(2, sq, 55);
    r = tide_matmul(ap, q); /* not flattenable: loop of sgemm */
    check_batched(r, ap, q, 4);
    tide_tensor_release(r);
    int64_t s2b[2] = {2, 3};
    tide_tensor *l = trand(2, s2b, 56);
    r = tide_matmul(l, a); /* [2,3] x [4,3,5] -> [4,2,5] */
    int64_t rs2[3] = {4, 2, 5};
    assert_shape(r, 3, rs2);
    check_batched(r, l, a, 4);
    tide_tensor_release(r);
    /* 4-D: [2,4,3,5] x [5,2] */
    int64_t s4[4] = {2, 4, 3, 5};
    tide_tensor *a4 = trand(4, s4, 57);
    r = tide_matmul(a4, m);
    int64_t rs4[4] = {2, 4, 3, 2};
    assert_shape(r, 4, rs4);
    int64_t iq[4] = {1, 2, 1, 1}, ia[4] = {1, 2, 1, 0};
    double want = 0;
    for (int64_t k = 0; k < 5; k++) {
        ia[3] = k;
        int64_t ib[2] = {k, 1};
        want += tide_tensor_get(a4, ia) * tide_tensor_get(m, ib);
    }
    assert_near(tide_tensor_get(r, iq), want, 1e-5);
    tide_tensor_release(r), tide_tensor_release(a4);
    tide_tensor_release(l), tide_tensor_release(q), tide_tensor_release(ap);
    tide_tensor_release(a), tide_tensor_release(b), tide_tensor_release(m), tide_tensor_release(b1);
}

static void test_gemm_alpha_beta_trans(void **state)
{
    (void)state;
    int64_t sa[2] = {4, 3}, sb[2] = {5, 4}, so[2] = {3, 5}, sot[2] = {5, 3};
    tide_tensor *a = trand(2, sa, 61), *b = trand(2, sb, 62), *o = trand(2, so, 63);
    tide_tensor *o0 = tide_tensor_clone(o);
    /* o = 0.5 o + 2 a^T b^T */
    assert_int_equal(tide_gemm(o, a, 1, b, 1, 2.0f, 0.5f), TIDE_OK);
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 5; j++) {
            double s = 0;
            for (int q = 0; q < 4; q++) s += at(a, q * 3 + i) * at(b, j * 4 + q);
            assert_near(at(o, i * 5 + j), 0.5 * at(o0, i * 5 + j) + 2 * s, 1e-5);
        }
    /* a transposed (non-row-major) output is computed through a copy */
    tide_tensor *ob = tide_tensor_new(TIDE_F32, 2, sot), *obt = tide_tensor_transpose(ob, 0, 1);
    assert_int_equal(tide_gemm(obt, a, 1, b, 1, 1.0f, 0.0f), TIDE_OK);
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 5; j++) {
            double s = 0;
            for (int q = 0; q < 4; q++) s += at(a, q * 3 + i) * at(b, j * 4 + q);
            assert_near(at(ob, j * 3 + i), s, 1e-5);
        }
    assert_int_equal(tide_gemm(o, a, 0, b, 1, 1, 0), TIDE_ERR);
    assert_error_contains("gemm: shapes [4,3] and [5,4]^T do not align into [3,5]");
    tide_tensor_release(ob), tide_tensor_release(obt);
    tide_tensor_release(a), tide_tensor_release(b), tide_tensor_release(o), tide_tensor_release(o0);
}

static void test_matmul_empty_and_errors(void **state)
{
    (void)state;
    int64_t sa[2] = {3, 0}, sb[2] = {0, 2}, s34[2] = {3, 4}, s52[2] = {5, 2};
    tide_tensor *a = tide_tensor_new(TIDE_F32, 2, sa), *b = tide_tensor_new(TIDE_F32, 2, sb);
    tide_tensor *r = tide_matmul(a, b); /* k = 0: zeros [3,2] */
    assert_int_equal(r->shape[0], 3), assert_int_equal(r->shape[1], 2);
    for (int i = 0; i < 6; i++) assert_near(at(r, i), 0, 0);
    tide_tensor_release(r);
    tide_tensor *x = tide_tensor_new(TIDE_F32, 2, s34), *y = tide_tensor_new(TIDE_F32, 2, s52);
    assert_null(tide_matmul(x, y));
    assert_error_contains("matmul: shapes [3,4] and [5,2] do not align");
    tide_tensor *xi = tide_tensor_new(TIDE_I32, 2, s34);
    assert_null(tide_matmul(xi, y));
    assert_error_contains("matmul: expected f32 tensors, got i32 and f32");
    tide_tensor *z = tide_tensor_scalar(TIDE_F32, 1);
    assert_null(tide_matmul(z, y));
    assert_error_contains("at least 1 dim");
    int64_t b1[3] = {2, 3, 4}, b2[3] = {3, 4, 2};
    tide_tensor *p = tide_tensor_new(TIDE_F32, 3, b1), *q = tide_tensor_new(TIDE_F32, 3, b2);
    assert_null(tide_matmul(p, q));
    assert_error_contains("batch dims");
    tide_tensor_release(p), tide_tensor_release(q), tide_tensor_release(z), tide_tensor_release(xi);
    tide_tensor_release(x), tide_tensor_release(y), tide_tensor_release(a), tide_tensor_release(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_matmul_2d_layouts), cmocka_unit_test(test_matmul_1d),
        cmocka_unit_test(test_matmul_batched),    cmocka_unit_test(test_gemm_alpha_beta_trans),
        cmocka_unit_test(test_matmul_empty_and_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
