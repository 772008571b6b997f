/* test_ops_sort.c — topk (heap selection) against a full sort, stable sort/argsort along any
 * dim, NaN and tie ordering, cumsum; errors. */
#include <stdlib.h>

#include "ops_test_util.h"

/* reference order for largest-first with ties by index (NaN largest) */
static const float *cmp_base;
static int cmp_desc(const void *x, const void *y)
{
    int64_t i = *(const int64_t *)x, j = *(const int64_t *)y;
    float a = cmp_base[i], b = cmp_base[j];
    int an = a != a, bn = b != b;
    if (an != bn) return an ? -1 : 1;
    if (!an && a != b) return a > b ? -1 : 1;
    return i < j ? -1 : 1;
}

static void test_topk_matches_sort(void **state)
{
    (void)state;
    int64_t s[2] = {3, 1000};
    tide_tensor *a = trand(2, s, 111);
    float *p = tide_f32(a);
    for (int i = 0; i < 100; i++) p[i * 7] = 0.5f; /* many ties in row 0 */
    p[1500] = NAN;
    int64_t ks[4] = {1, 10, 100, 1000};
    for (int q = 0; q < 4; q++) {
        tide_tensor *v, *ix;
        assert_int_equal(tide_topk(a, ks[q], 1, &v, &ix), TIDE_OK);
        assert_int_equal(v->shape[1], ks[q]);
        assert_int_equal(ix->dtype, TIDE_I64);
        for (int r = 0; r < 3; r++) {
            int64_t order[1000];
            for (int j = 0; j < 1000; j++) order[j] = j;
            cmp_base = p + r * 1000;
            qsort(order, 1000, sizeof *order, cmp_desc);
            for (int64_t j = 0; j < ks[q]; j++) {
                assert_int_equal((int64_t)at(ix, r * ks[q] + j), order[j]);
                assert_near(at(v, r * ks[q] + j), cmp_base[order[j]], 0);
            }
        }
        tide_tensor_release(v), tide_tensor_release(ix);
    }
    tide_tensor_release(a);
}

/* reference order for smallest-first with ties by index (NaN largest, so last) */
static int cmp_asc(const void *x, const void *y)
{
    int64_t i = *(const int64_t *)x, j = *(const int64_t *)y;
    float a = cmp_base[i], b = cmp_base[j];
    int an = a != a, bn = b != b;
    if (an != bn) return an ? 1 : -1;
    if (!an && a != b) return a < b ? -1 : 1;
    return i < j ? -1 : 1;
}

/* rows long enough for the sample-and-filter path, incl. ties, NaNs and its fallback */
static void test_topk_filter_path(void **state)
{
    (void)state;
    enum { N = 24000 };
    int64_t s[2] = {4, N};
    tide_tensor *a = trand(2, s, 114);
    float *p = tide_f32(a);
    for (int j = 0; j < N; j += 3) p[j] = 1.0f;              /* row 0: a third are ties */
    for (int j = 0; j < N; j++) p[N + j] = (float)(j % 50);  /* row 1: sorted blocks, heavy ties */
    for (int j = 0; j < N; j += 2) p[2 * N + j] = NAN;       /* row 2: half NaN */
    int64_t ks[5] = {17, 100, 1000, 12000, N};
    static int64_t order[N];
    for (int q = 0; q < 5; q++)
        for (int largest = 0; largest < 2; largest++) {
            tide_tensor *v, *ix;
            assert_int_equal(tide_topk(a, ks[q], largest, &v, &ix), TIDE_OK);
            for (int r = 0; r < 4; r++) {
                for (int j = 0; j < N; j++) order[j] = j;
                cmp_base = p + (int64_t)r * N;
                qsort(order, N, sizeof *order, largest ? cmp_desc : cmp_asc);
                for (int64_t j = 0; j < ks[q]; j++)
                    if ((int64_t)at(ix, r * ks[q] + j) != order[j]) {
                        print_error("k=%lld largest=%d row %d pos %lld: index %lld, want %lld\n",
                                    (long long)ks[q], largest, r, (long long)j,
                                    (long long)at(ix, r * ks[q] + j), (long long)order[j]);
                        fail();
                    }
            }
            tide_tensor_release(v), tide_tensor_release(ix);
        }
    tide_tensor_release(a);
}

static void test_topk_smallest_strided_int(void **state)
{
    (void)state;
    int64_t s[2] = {6, 2};
    float v[12] = {5, 0, 1, 0, 4, 0, 1, 0, 9, 0, NAN, 0};
    tide_tensor *a = tf(2, s, v), *t = tide_tensor_transpose(a, 0, 1); /* rows strided by 2 */
    tide_tensor *vals, *ix;
    assert_int_equal(tide_topk(t, 3, 0, &vals, &ix), TIDE_OK);
    /* row 0: 5 1 4 1 9 NaN -> smallest 1(1), 1(3), 4(2); NaN never counts as small */
    assert_near(at(vals, 0), 1, 0), assert_near(at(ix, 0), 1, 0);
    assert_near(at(vals, 1), 1, 0), assert_near(at(ix, 1), 3, 0);
    assert_near(at(vals, 2), 4, 0), assert_near(at(ix, 2), 2, 0);
    assert_near(at(ix, 3), 0, 0); /* row 1: all zeros -> first indices */
    tide_tensor_release(vals), tide_tensor_release(ix);
    int64_t n = 5;
    int32_t iv[5] = {3, 9, -2, 9, 0};
    tide_tensor *it = tide_tensor_from_data(TIDE_I32, 1, &n, iv);
    assert_int_equal(tide_topk(it, 2, 1, &vals, &ix), TIDE_OK);
    assert_int_equal(vals->dtype, TIDE_I32);
    assert_near(at(vals, 0), 9, 0), assert_near(at(ix, 0), 1, 0), assert_near(at(ix, 1), 3, 0);
    tide_tensor_release(vals), tide_tensor_release(ix);
    assert_int_equal(tide_topk(it, 6, 1, &vals, &ix), TIDE_ERR);
    assert_error_contains("topk: k=6 out of range for a last dim of size 5");
    assert_null(vals);
    tide_tensor_release(it), tide_tensor_release(t), tide_tensor_release(a);
}

static void test_sort_stable_any_dim(void **state)
{
    (void)state;
    int64_t s[2] = {4, 3};
    float v[12] = {3, 1, 2, 1, 1, NAN, 3, 0, 2, 1, 5, -1};
    tide_tensor *a = tf(2, s, v);
    tide_tensor *vals, *ix;
    /* along dim 0 (strided lines): column 0 is 3,1,3,1 -> 1(1) 1(3) 3(0) 3(2) */
    assert_int_equal(tide_sort(a, 0, 0, &vals, &ix), TIDE_OK);
    double c0[4] = {1, 1, 3, 3}, i0[4] = {1, 3, 0, 2};
    for (int i = 0; i < 4; i++) assert_near(at(vals, i * 3), c0[i], 0), assert_near(at(ix, i * 3), i0[i], 0);
    /* column 2 is 2,NaN,2,-1 -> -1 2 2 NaN (NaN last ascending) */
    double i2[4] = {3, 0, 2, 1};
    for (int i = 0; i < 4; i++) assert_near(at(ix, i * 3 + 2), i2[i], 0);
    tide_tensor_release(vals), tide_tensor_release(ix);
    /* descending along the last dim: NaN first, ties keep order */
    assert_int_equal(tide_sort(a, -1, 1, &vals, &ix), TIDE_OK);
    double d1[3] = {5, 2, 1}; /* row 1: 1 1 NaN -> NaN 1(0) 1(1) */
    assert_true(isnan(at(vals, 3)));
    assert_near(at(ix, 4), 0, 0), assert_near(at(ix, 5), 1, 0);
    assert_near(at(vals, 9), d1[0], 0);
    tide_tensor_release(vals), tide_tensor_release(ix);
    /* a long random line against qsort */
    int64_t n = 777;
    tide_tensor *r = trand(1, &n, 112);
    assert_int_equal(tide_sort(r, 0, 1, &vals, &ix), TIDE_OK);
    int64_t order[777];
    for (int j = 0; j < 777; j++) order[j] = j;
    cmp_base = tide_f32(r);
    qsort(order, 777, sizeof *order, cmp_desc);
    for (int j = 0; j < 777; j++) assert_int_equal((int64_t)at(ix, j), order[j]);
    tide_tensor_release(vals), tide_tensor_release(ix), tide_tensor_release(r);
    int64_t ln = 4;
    int64_t lv[4] = {((int64_t)1 << 60) + 1, (int64_t)1 << 60, -5, 0};
    tide_tensor *l = tide_tensor_from_data(TIDE_I64, 1, &ln, lv);
    assert_int_equal(tide_sort(l, 0, 0, &vals, &ix), TIDE_OK);
    assert_int_equal(tide_i64(vals)[3], ((int64_t)1 << 60) + 1); /* exact: no trip through double */
    assert_int_equal(tide_i64(ix)[2], 1);
    tide_tensor_release(vals), tide_tensor_release(ix), tide_tensor_release(l);
    tide_tensor *z = tide_tensor_scalar(TIDE_F32, 1);
    assert_int_equal(tide_sort(z, 0, 0, &vals, &ix), TIDE_ERR);
    assert_int_equal(tide_sort(a, 2, 0, &vals, &ix), TIDE_ERR);
    assert_error_contains("sort: dim 2 out of range");
    tide_tensor_release(z), tide_tensor_release(a);
}

/* long lines take the radix path: same order as the reference, ties stable, NaN/-0/inf */
static void test_sort_radix_path(void **state)
{
    (void)state;
    enum { N = 5000 };
    int64_t n = N;
    tide_tensor *a = trand(1, &n, 115);
    float *p = tide_f32(a);
    for (int j = 0; j < N; j += 7) p[j] = 0.25f;    /* ties */
    for (int j = 3; j < N; j += 101) p[j] = NAN;
    for (int j = 5; j < N; j += 211) p[j] = -0.0f;
    for (int j = 6; j < N; j += 223) p[j] = 0.0f;
    p[10] = INFINITY, p[11] = -INFINITY;
    static int64_t order[N];
    for (int desc = 0; desc < 2; desc++) {
        tide_tensor *v, *ix;
        assert_int_equal(tide_sort(a, 0, desc, &v, &ix), TIDE_OK);
        for (int j = 0; j < N; j++) order[j] = j;
        cmp_base = p;
        qsort(order, N, sizeof *order, desc ? cmp_desc : cmp_asc);
        for (int j = 0; j < N; j++) {
            assert_int_equal(tide_i64(ix)[j], order[j]);
            float got = tide_f32(v)[j], want = p[order[j]];
            assert_memory_equal(&got, &want, sizeof got); /* bit-exact, -0 kept */
        }
        tide_tensor_release(v), tide_tensor_release(ix);
    }
    /* i32, through a strided (transposed) view with 2 lines */
    int64_t s2[2] = {N, 2};
    tide_tensor *t = tide_tensor_new(TIDE_I32, 2, s2);
    for (int j = 0; j < 2 * N; j++) tide_i32(t)[j] = (int32_t)((j * 7919) % 1000) - 500;
    tide_tensor *tt = tide_tensor_transpose(t, 0, 1), *v, *ix;
    assert_int_equal(tide_sort(tt, 1, 1, &v, &ix), TIDE_OK);
    for (int r = 0; r < 2; r++)
        for (int j = 1; j < N; j++) {
            int32_t a0 = tide_i32(v)[r * N + j - 1], a1 = tide_i32(v)[r * N + j];
            assert_true(a0 >= a1);
            if (a0 == a1) assert_true(tide_i64(ix)[r * N + j - 1] < tide_i64(ix)[r * N + j]);
            assert_int_equal(a1, tide_i32(t)[tide_i64(ix)[r * N + j] * 2 + r]);
        }
    tide_tensor_release(v), tide_tensor_release(ix), tide_tensor_release(tt), tide_tensor_release(t);
    tide_tensor_release(a);
}

static void test_cumsum(void **state)
{
    (void)state;
    int64_t s[2] = {3, 4};
    tide_tensor *a = trand(2, s, 113);
    tide_tensor *c0 = tide_cumsum(a, 0), *c1 = tide_cumsum(a, -1);
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 4; j++) {
            double w0 = 0, w1 = 0;
            for (int q = 0; q <= i; q++) w0 += at(a, q * 4 + j);
            for (int q = 0; q <= j; q++) w1 += at(a, i * 4 + q);
            assert_near(at(c0, i * 4 + j), w0, 1e-6);
            assert_near(at(c1, i * 4 + j), w1, 1e-6);
        }
    tide_tensor *t = tide_tensor_transpose(a, 0, 1), *ct = tide_cumsum(t, 1); /* == c1^T */
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 4; j++) assert_near(at(ct, j * 3 + i), at(c0, i * 4 + j), 1e-6);
    int64_t n = 3;
    int32_t iv[3] = {INT32_MAX, 1, 1};
    tide_tensor *ia = tide_tensor_from_data(TIDE_I32, 1, &n, iv), *ic = tide_cumsum(ia, 0);
    assert_int_equal(ic->dtype, TIDE_I64);
    assert_int_equal(tide_i64(ic)[2], (int64_t)INT32_MAX + 2);
    assert_null(tide_cumsum(a, 3));
    tide_tensor_release(ia), tide_tensor_release(ic), tide_tensor_release(t), tide_tensor_release(ct);
    tide_tensor_release(c0), tide_tensor_release(c1), tide_tensor_release(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_topk_matches_sort), cmocka_unit_test(test_topk_filter_path),
        cmocka_unit_test(test_topk_smallest_strided_int),
        cmocka_unit_test(test_sort_stable_any_dim), cmocka_unit_test(test_sort_radix_path),
         cmocka_unit_test(test_cumsum),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
