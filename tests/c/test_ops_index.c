/* test_ops_index.c — gather, scatter_add(_), index_select, index_add(_), masked_fill, cat,
 * stack: values from naive loops, strided inputs, bounds checks that leave targets untouched. */
#include "ops.h"
#include "ops_test_util.h"

static tide_tensor *ti64(int ndim, const int64_t *shape, const int64_t *v)
{
    return tide_tensor_from_data(TIDE_I64, ndim, shape, v);
}

static void test_gather_scatter(void **state)
{
    (void)state;
    int64_t s[2] = {3, 4}, si[2] = {2, 4};
    tide_tensor *a = trand(2, s, 71);
    int64_t iv[8] = {0, 2, 1, 0, 2, 2, 0, 1};
    tide_tensor *ix = ti64(2, si, iv);
    tide_tensor *g = tide_gather(a, 0, ix); /* g[i][j] = a[ix[i][j]][j] */
    assert_shape(g, 2, si);
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 4; j++) assert_near(at(g, i * 4 + j), at(a, iv[i * 4 + j] * 4 + j), 0);
    tide_tensor_release(g);
    /* along dim 1 with an i32 index on a transposed input */
    tide_tensor *at_ = tide_tensor_transpose(a, 0, 1); /* [4,3] */
    int64_t s2[2] = {4, 2};
    int32_t jv[8] = {2, 0, 1, 1, 0, 0, 2, 1};
    tide_tensor *jx = tide_tensor_from_data(TIDE_I32, 2, s2, jv);
    g = tide_gather(at_, 1, jx);
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 2; j++) assert_near(at(g, i * 2 + j), at(at_, i * 3 + jv[i * 2 + j]), 0);
    tide_tensor_release(g);
    /* scatter_add: out[ix[i][j]][j] += src[i][j], duplicates accumulate */
    tide_tensor *src = trand(2, si, 72);
    tide_tensor *sc = tide_scatter_add(a, 0, ix, src);
    double want[12];
    for (int k = 0; k < 12; k++) want[k] = at(a, k);
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 4; j++) want[iv[i * 4 + j] * 4 + j] += at(src, i * 4 + j);
    for (int k = 0; k < 12; k++) assert_near(at(sc, k), want[k], 1e-6);
    tide_tensor_release(sc);
    /* a bad index fails before any write */
    iv[5] = 3;
    tide_tensor *bad = ti64(2, si, iv);
    tide_tensor *a0 = tide_tensor_clone(a);
    assert_int_equal(tide_scatter_add_(a, 0, bad, src), TIDE_ERR);
    assert_error_contains("scatter_add: index 3 out of range for dim 0 of size 3");
    for (int k = 0; k < 12; k++) assert_near(at(a, k), at(a0, k), 0);
    assert_null(tide_gather(a, 0, bad));
    assert_error_contains("gather: index 3 out of range");
    tide_tensor *fi = tide_tensor_new(TIDE_F32, 2, si);
    assert_null(tide_gather(a, 0, fi));
    assert_error_contains("gather: index must be i32 or i64, got f32");
    tide_tensor_release(fi), tide_tensor_release(a0), tide_tensor_release(bad), tide_tensor_release(src);
    tide_tensor_release(jx), tide_tensor_release(at_), tide_tensor_release(ix), tide_tensor_release(a);
}

static void test_index_select_add(void **state)
{
    (void)state;
    int64_t s[2] = {5, 3}, k = 4;
    tide_tensor *a = trand(2, s, 81);
    int64_t iv[4] = {4, 0, 4, 2};
    tide_tensor *ix = ti64(1, &k, iv);
    tide_tensor *r = tide_index_select(a, 0, ix); /* row copy fast path */
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 3; j++) assert_near(at(r, i * 3 + j), at(a, iv[i] * 3 + j), 0);
    tide_tensor_release(r);
    tide_tensor *at_ = tide_tensor_transpose(a, 0, 1); /* [3,5], general path, dim 1 */
    r = tide_index_select(at_, 1, ix);
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 4; j++) assert_near(at(r, i * 4 + j), at(a, iv[j] * 3 + i), 0);
    tide_tensor_release(r);
    /* index_add with duplicates (row 4 twice), both paths */
    int64_t ss[2] = {4, 3};
    tide_tensor *src = trand(2, ss, 82);
    tide_tensor *ia = tide_index_add(a, 0, ix, src);
    double want[15];
    for (int q = 0; q < 15; q++) want[q] = at(a, q);
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 3; j++) want[iv[i] * 3 + j] += at(src, i * 3 + j);
    for (int q = 0; q < 15; q++) assert_near(at(ia, q), want[q], 1e-6);
    tide_tensor_release(ia);
    tide_tensor *srct = tide_tensor_transpose(src, 0, 1); /* [3,4] */
    ia = tide_index_add(at_, 1, ix, srct);
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 5; j++) assert_near(at(ia, i * 5 + j), want[j * 3 + i], 1e-6);
    tide_tensor_release(ia);
    /* errors */
    iv[1] = 7;
    tide_tensor *bad = ti64(1, &k, iv);
    assert_null(tide_index_select(a, 0, bad));
    assert_error_contains("index_select: index 7 out of range for dim 0 of size 5");
    assert_int_equal(tide_index_add_(a, 1, ix, src), TIDE_ERR);
    assert_error_contains("index_add:");
    int64_t s2[2] = {2, 2};
    tide_tensor *i2 = tide_tensor_new(TIDE_I64, 2, s2);
    assert_null(tide_index_select(a, 0, i2));
    assert_error_contains("index must be 1-D");
    tide_tensor_release(i2), tide_tensor_release(bad), tide_tensor_release(srct), tide_tensor_release(src);
    tide_tensor_release(at_), tide_tensor_release(ix), tide_tensor_release(a);
}

static void test_masked_fill(void **state)
{
    (void)state;
    int64_t s[2] = {2, 3}, sm[1] = {3};
    tide_tensor *a = trand(2, s, 91);
    int32_t mv[3] = {1, 0, 1};
    tide_tensor *m = tide_tensor_from_data(TIDE_I32, 1, sm, mv);
    tide_tensor *r = tide_masked_fill(a, m, -INFINITY);
    assert_shape(r, 2, s);
    for (int i = 0; i < 6; i++) {
        if (mv[i % 3]) assert_true(isinf(at(r, i)) && at(r, i) < 0);
        else assert_near(at(r, i), at(a, i), 0);
    }
    tide_tensor_release(r);
    int64_t sb[2] = {4, 3};
    tide_tensor *mb = tide_tensor_new(TIDE_I32, 2, sb);
    assert_null(tide_masked_fill(a, mb, 0));
    assert_error_contains("masked_fill: mask [4,3] does not broadcast to input [2,3]");
    tide_tensor *ai = tide_tensor_new(TIDE_I32, 2, s);
    assert_null(tide_masked_fill(ai, m, 0.5));
    assert_error_contains("not an integer");
    tide_tensor_release(ai), tide_tensor_release(mb), tide_tensor_release(m), tide_tensor_release(a);
}

static void test_cat_stack(void **state)
{
    (void)state;
    int64_t s1[2] = {2, 3}, s2[2] = {2, 1};
    tide_tensor *a = trand(2, s1, 101), *b = trand(2, s2, 102);
    const tide_tensor *ts[2] = {a, b};
    tide_tensor *c = tide_cat(ts, 2, 1);
    int64_t want[2] = {2, 4};
    assert_shape(c, 2, want);
    for (int i = 0; i < 2; i++) {
        for (int j = 0; j < 3; j++) assert_near(at(c, i * 4 + j), at(a, i * 3 + j), 0);
        assert_near(at(c, i * 4 + 3), at(b, i), 0);
    }
    tide_tensor_release(c);
    assert_null(tide_cat(ts, 2, 0));
    assert_error_contains("cat: tensor 2 has shape [2,1], incompatible with [2,3] (only the joined dim may differ)");
    tide_tensor *at_ = tide_tensor_transpose(a, 0, 1); /* [3,2] */
    tide_tensor *a2 = trand(2, s1, 103);
    const tide_tensor *st[2] = {a, a2};
    c = tide_stack(st, 2, 1); /* [2,2,3] */
    int64_t w3[3] = {2, 2, 3};
    assert_shape(c, 3, w3);
    assert_near(at(c, 1 * 6 + 1 * 3 + 2), at(a2, 5), 0);
    assert_near(at(c, 0 * 6 + 0 * 3 + 1), at(a, 1), 0);
    tide_tensor_release(c);
    const tide_tensor *bad[2] = {a, at_};
    assert_null(tide_stack(bad, 2, 0));
    assert_error_contains("stack: tensor 2 has shape [3,2], expected [2,3]");
    tide_tensor_release(a2), tide_tensor_release(at_), tide_tensor_release(a), tide_tensor_release(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gather_scatter), cmocka_unit_test(test_index_select_add),
        cmocka_unit_test(test_masked_fill),    cmocka_unit_test(test_cat_stack),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
