/* test_ops_elementwise.c — unary/binary/scalar/clamp/where against closed forms and naive
 * loops, over contiguous, transposed, narrowed and expanded views; dtype rules; errors. */
#include "ops_test_util.h"

static double ref_unary(tide_unop op, double x)
{
    switch (op) {
    case TIDE_NEG: return -x;
    case TIDE_EXP: return exp(x);
    case TIDE_LOG: return log(x);
    case TIDE_LOG1P: return log1p(x);
    case TIDE_SQRT: return sqrt(x);
    case TIDE_TANH: return tanh(x);
    case TIDE_SIGMOID: return 1.0 / (1.0 + exp(-x));
    case TIDE_RELU: return x > 0 ? x : 0;
    case TIDE_GELU: return 0.5 * x * (1 + tanh(sqrt(2 / M_PI) * (x + 0.044715 * x * x * x)));
    case TIDE_ABS: return fabs(x);
    case TIDE_SQUARE: return x * x;
    case TIDE_RSQRT: return 1 / sqrt(x);
    case TIDE_SIGN: return x > 0 ? 1 : (x < 0 ? -1 : 0);
    default: return NAN;
    }
}

static void test_unary_all_ops(void **state)
{
    (void)state;
    int64_t shape[2] = {7, 9};
    tide_tensor *a = trand(2, shape, 1);
    tide_tensor *pos = tide_unary(TIDE_ABS, a); /* for log/sqrt/rsqrt */
    for (int op = 0; op < TIDE_UNARY_COUNT; op++) {
        int needs_pos = op == TIDE_LOG || op == TIDE_SQRT || op == TIDE_RSQRT;
        tide_tensor *in = needs_pos ? pos : a;
        tide_tensor *r = tide_unary((tide_unop)op, in);
        assert_non_null(r);
        assert_shape(r, 2, shape);
        assert_int_equal(r->dtype, TIDE_F32);
        for (int64_t i = 0; i < 63; i++) assert_near(at(r, i), ref_unary((tide_unop)op, at(in, i)), 2e-6);
        tide_tensor_release(r);
    }
    /* transposed (non-contiguous) input */
    tide_tensor *t = tide_tensor_transpose(a, 0, 1);
    tide_tensor *r = tide_unary(TIDE_TANH, t);
    assert_true(tide_tensor_is_contiguous(r));
    for (int64_t i = 0; i < 63; i++) assert_near(at(r, i), tanh(at(t, i)), 2e-6);
    tide_tensor_release(r), tide_tensor_release(t), tide_tensor_release(pos), tide_tensor_release(a);
}

static void test_unary_edge_values(void **state)
{
    (void)state;
    int64_t n = 5;
    float v[5] = {-100.0f, 100.0f, NAN, 0.0f, -0.0f};
    tide_tensor *a = tf(1, &n, v);
    tide_tensor *s = tide_unary(TIDE_SIGMOID, a);
    assert_near(at(s, 0), 0.0, 1e-30); /* no overflow to NaN */
    assert_near(at(s, 1), 1.0, 0);
    assert_true(isnan(at(s, 2)));
    tide_tensor *r = tide_unary(TIDE_RELU, a);
    assert_true(isnan(at(r, 2)));
    assert_near(at(r, 0), 0, 0);
    tide_tensor_release(s), tide_tensor_release(r), tide_tensor_release(a);
}

static void test_unary_int_dtypes(void **state)
{
    (void)state;
    int64_t n = 4;
    int32_t v[4] = {-3, 0, 5, INT32_MIN};
    tide_tensor *a = tide_tensor_from_data(TIDE_I32, 1, &n, v);
    tide_tensor *ng = tide_unary(TIDE_NEG, a), *sg = tide_unary(TIDE_SIGN, a);
    tide_tensor *sq = tide_unary(TIDE_SQUARE, a), *ex = tide_unary(TIDE_EXP, a);
    assert_int_equal(ng->dtype, TIDE_I32);
    assert_int_equal(ex->dtype, TIDE_F32);
    assert_near(at(ng, 0), 3, 0), assert_near(at(ng, 2), -5, 0);
    assert_near(at(ng, 3), INT32_MIN, 0); /* wraps, no UB */
    assert_near(at(sg, 0), -1, 0), assert_near(at(sg, 1), 0, 0), assert_near(at(sg, 2), 1, 0);
    assert_near(at(sq, 0), 9, 0);
    assert_near(at(ex, 2), exp(5.0), 1e-6);
    tide_tensor_release(ng), tide_tensor_release(sg), tide_tensor_release(sq), tide_tensor_release(ex);
    tide_tensor_release(a);
}

static double ref_binary(tide_binop op, double x, double y)
{
    switch (op) {
    case TIDE_ADD: return x + y;
    case TIDE_SUB: return x - y;
    case TIDE_MUL: return x * y;
    case TIDE_DIV: return x / y;
    case TIDE_POW: return pow(x, y);
    case TIDE_MAXIMUM: return x > y ? x : y;
    case TIDE_MINIMUM: return x < y ? x : y;
    case TIDE_EQ: return x == y;
    case TIDE_NE: return x != y;
    case TIDE_LT: return x < y;
    case TIDE_LE: return x <= y;
    case TIDE_GT: return x > y;
    case TIDE_GE: return x >= y;
    default: return NAN;
    }
}

/* r[i,j] == op(a[i,j], b[i,j]) where a and b are given as already-broadcast views */
static void check_binary(tide_binop op, const tide_tensor *a, const tide_tensor *b,
                         const tide_tensor *ea, const tide_tensor *eb)
{
    tide_tensor *r = tide_binary(op, a, b);
    assert_non_null(r);
    assert_true(tide_same_shape(r, ea));
    assert_int_equal(r->dtype, op >= TIDE_EQ ? TIDE_I32 : TIDE_F32);
    int64_t n = tide_tensor_numel(r);
    for (int64_t i = 0; i < n; i++) assert_near(at(r, i), ref_binary(op, at(ea, i), at(eb, i)), 2e-6);
    tide_tensor_release(r);
}

static void test_binary_same_shape_and_broadcast(void **state)
{
    (void)state;
    int64_t s34[2] = {3, 4}, s31[2] = {3, 1}, s4[1] = {4};
    tide_tensor *a = trand(2, s34, 2), *b = trand(2, s34, 3);
    tide_tensor *c = trand(2, s31, 4), *d = trand(1, s4, 5);
    tide_tensor *pa = tide_unary(TIDE_ABS, a); /* pow needs a positive base */
    tide_tensor *ce = tide_tensor_expand(c, 2, s34), *de = tide_tensor_expand(d, 2, s34);
    /* make a few exact ties for the comparisons */
    tide_f32(b)[0] = tide_f32(a)[0];
    for (int op = 0; op < TIDE_BINARY_COUNT; op++) {
        tide_tensor *x = op == TIDE_POW ? pa : a;
        check_binary((tide_binop)op, x, b, x, b);      /* fast path */
        check_binary((tide_binop)op, x, c, x, ce);     /* [3,4] op [3,1] */
        check_binary((tide_binop)op, c, d, ce, de);    /* [3,1] op [4] -> [3,4] */
        check_binary((tide_binop)op, x, de, x, de);    /* expanded (stride 0) operand */
    }
    tide_tensor_release(ce), tide_tensor_release(de), tide_tensor_release(pa);
    tide_tensor_release(a), tide_tensor_release(b), tide_tensor_release(c), tide_tensor_release(d);
}

static void test_binary_views(void **state)
{
    (void)state;
    int64_t s[3] = {4, 5, 6};
    tide_tensor *a = trand(3, s, 7), *b = trand(3, s, 8);
    tide_tensor *at_ = tide_tensor_transpose(a, 0, 2);          /* [6,5,4] */
    tide_tensor *bn = tide_tensor_narrow(b, 1, 1, 3);           /* [4,3,6] */
    tide_tensor *btn = tide_tensor_transpose(bn, 0, 2);         /* [6,3,4] */
    tide_tensor *an = tide_tensor_narrow(at_, 1, 2, 3);         /* [6,3,4] */
    check_binary(TIDE_SUB, an, btn, an, btn);
    check_binary(TIDE_MUL, an, btn, an, btn);
    /* 0-dim operand */
    tide_tensor *z = tide_tensor_scalar(TIDE_F32, 1.5);
    tide_tensor *ze = tide_tensor_expand(z, 3, an->shape);
    check_binary(TIDE_ADD, an, z, an, ze);
    check_binary(TIDE_DIV, z, an, ze, an);
    tide_tensor_release(z), tide_tensor_release(ze);
    tide_tensor_release(at_), tide_tensor_release(bn), tide_tensor_release(btn), tide_tensor_release(an);
    tide_tensor_release(a), tide_tensor_release(b);
}

static void test_binary_dtypes(void **state)
{
    (void)state;
    int64_t n = 3;
    int32_t iv[3] = {7, -7, 2}, jv[3] = {2, 2, 3};
    int64_t lv[3] = {1, 2, 3};
    float fv[3] = {0.5f, 0.5f, 0.5f};
    tide_tensor *i = tide_tensor_from_data(TIDE_I32, 1, &n, iv), *j = tide_tensor_from_data(TIDE_I32, 1, &n, jv);
    tide_tensor *l = tide_tensor_from_data(TIDE_I64, 1, &n, lv), *f = tf(1, &n, fv);
    tide_tensor *r;
    r = tide_binary(TIDE_ADD, i, j), assert_int_equal(r->dtype, TIDE_I32), assert_near(at(r, 1), -5, 0), tide_tensor_release(r);
    r = tide_binary(TIDE_DIV, i, j), assert_int_equal(r->dtype, TIDE_F32), assert_near(at(r, 0), 3.5, 0), tide_tensor_release(r);
    r = tide_binary(TIDE_POW, i, j), assert_int_equal(r->dtype, TIDE_F32), assert_near(at(r, 2), 8, 0), tide_tensor_release(r);
    r = tide_binary(TIDE_MUL, i, l), assert_int_equal(r->dtype, TIDE_I64), assert_near(at(r, 2), 6, 0), tide_tensor_release(r);
    r = tide_binary(TIDE_ADD, i, f), assert_int_equal(r->dtype, TIDE_F32), assert_near(at(r, 0), 7.5, 0), tide_tensor_release(r);
    r = tide_binary(TIDE_GT, i, j), assert_int_equal(r->dtype, TIDE_I32), assert_near(at(r, 0), 1, 0), tide_tensor_release(r);
    r = tide_binary(TIDE_MAXIMUM, i, j), assert_int_equal(r->dtype, TIDE_I32), assert_near(at(r, 1), 2, 0), tide_tensor_release(r);
    /* scalar: integral keeps the int dtype, fractional promotes */
    r = tide_binary_scalar(TIDE_ADD, i, 1, 0), assert_int_equal(r->dtype, TIDE_I32), assert_near(at(r, 0), 8, 0), tide_tensor_release(r);
    r = tide_binary_scalar(TIDE_ADD, i, 0.5, 0), assert_int_equal(r->dtype, TIDE_F32), assert_near(at(r, 0), 7.5, 0), tide_tensor_release(r);
    r = tide_binary_scalar(TIDE_SUB, f, 2, 1), assert_near(at(r, 0), 1.5, 0), tide_tensor_release(r);  /* 2 - f */
    r = tide_binary_scalar(TIDE_DIV, f, 2, 1), assert_near(at(r, 0), 4, 0), tide_tensor_release(r);    /* 2 / f */
    r = tide_binary_scalar(TIDE_POW, f, 2, 0), assert_near(at(r, 0), 0.25, 0), tide_tensor_release(r); /* f ^ 2 */
    r = tide_binary_scalar(TIDE_LT, f, 1, 0), assert_int_equal(r->dtype, TIDE_I32), assert_near(at(r, 0), 1, 0), tide_tensor_release(r);
    /* wrap-around on overflow instead of UB */
    int32_t big[1] = {INT32_MAX};
    int64_t one = 1;
    tide_tensor *b = tide_tensor_from_data(TIDE_I32, 1, &one, big);
    r = tide_binary_scalar(TIDE_ADD, b, 1, 0), assert_near(at(r, 0), INT32_MIN, 0), tide_tensor_release(r);
    tide_tensor_release(b);
    tide_tensor_release(i), tide_tensor_release(j), tide_tensor_release(l), tide_tensor_release(f);
}

static void test_nan_propagation(void **state)
{
    (void)state;
    int64_t n = 2;
    float a[2] = {NAN, 1}, b[2] = {0, NAN};
    tide_tensor *ta = tf(1, &n, a), *tb = tf(1, &n, b);
    tide_tensor *mx = tide_binary(TIDE_MAXIMUM, ta, tb), *mn = tide_binary(TIDE_MINIMUM, ta, tb);
    assert_true(isnan(at(mx, 0)) && isnan(at(mx, 1)) && isnan(at(mn, 0)) && isnan(at(mn, 1)));
    tide_tensor_release(mx), tide_tensor_release(mn), tide_tensor_release(ta), tide_tensor_release(tb);
}

static void test_binary_out(void **state)
{
    (void)state;
    int64_t s[2] = {2, 3}, s1[1] = {3};
    tide_tensor *a = trand(2, s, 9), *b = trand(1, s1, 10);
    tide_tensor *want = tide_binary(TIDE_ADD, a, b);
    tide_tensor *out = tide_tensor_new(TIDE_F32, 2, s);
    assert_int_equal(tide_binary_out(out, TIDE_ADD, a, b), TIDE_OK);
    for (int i = 0; i < 6; i++) assert_near(at(out, i), at(want, i), 0);
    /* in place: out aliases a */
    assert_int_equal(tide_binary_out(a, TIDE_ADD, a, b), TIDE_OK);
    for (int i = 0; i < 6; i++) assert_near(at(a, i), at(want, i), 0);
    /* wrong out shape / dtype */
    tide_tensor *bad = tide_tensor_new(TIDE_F32, 1, s1);
    assert_int_equal(tide_binary_out(bad, TIDE_ADD, a, b), TIDE_ERR);
    assert_error_contains("add: out has shape [3], expected [2,3]");
    tide_tensor *bad2 = tide_tensor_new(TIDE_F32, 2, s);
    assert_int_equal(tide_binary_out(bad2, TIDE_LT, a, b), TIDE_ERR);
    assert_error_contains("expected i32");
    tide_tensor *o2 = tide_tensor_new(TIDE_F32, 2, s);
    assert_int_equal(tide_unary_out(o2, TIDE_EXP, a), TIDE_OK);
    assert_near(at(o2, 4), exp(at(a, 4)), 1e-6);
    tide_tensor_release(o2), tide_tensor_release(bad), tide_tensor_release(bad2);
    tide_tensor_release(out), tide_tensor_release(want), tide_tensor_release(a), tide_tensor_release(b);
}

static void test_broadcast_error(void **state)
{
    (void)state;
    int64_t s1[2] = {2, 3}, s2[1] = {4};
    tide_tensor *a = tide_tensor_new(TIDE_F32, 2, s1), *b = tide_tensor_new(TIDE_F32, 1, s2);
    assert_null(tide_binary(TIDE_MUL, a, b));
    assert_error_contains("mul: shapes [2,3] and [4] cannot broadcast");
    assert_null(tide_where(a, a, b));
    assert_error_contains("where:");
    tide_tensor_release(a), tide_tensor_release(b);
}

static void test_clamp(void **state)
{
    (void)state;
    int64_t n = 5;
    float v[5] = {-3, -0.5f, 0.25f, 4, NAN};
    tide_tensor *a = tf(1, &n, v);
    tide_tensor *c = tide_clamp(a, -1, 1);
    double want[5] = {-1, -0.5, 0.25, 1, NAN};
    for (int i = 0; i < 5; i++) assert_near(at(c, i), want[i], 0);
    tide_tensor_release(c);
    c = tide_clamp(a, 0, INFINITY); /* one-sided */
    assert_near(at(c, 0), 0, 0), assert_near(at(c, 3), 4, 0);
    tide_tensor_release(c);
    c = tide_clamp(a, 2, 1); /* lo > hi: hi everywhere (torch semantics) */
    assert_near(at(c, 0), 1, 0), assert_near(at(c, 3), 1, 0);
    tide_tensor_release(c);
    assert_null(tide_clamp(a, NAN, 1));
    assert_error_contains("clamp:");
    int32_t iv[3] = {-5, 0, 5};
    int64_t m = 3;
    tide_tensor *ia = tide_tensor_from_data(TIDE_I32, 1, &m, iv);
    c = tide_clamp(ia, -1.5, 2.5); /* integer bounds: -1 .. 2 */
    assert_int_equal(c->dtype, TIDE_I32);
    assert_near(at(c, 0), -1, 0), assert_near(at(c, 2), 2, 0);
    tide_tensor_release(c), tide_tensor_release(ia), tide_tensor_release(a);
}

static void test_where(void **state)
{
    (void)state;
    int64_t s31[2] = {3, 1}, s4[1] = {4}, s34[2] = {3, 4};
    float cv[3] = {1, 0, 0.5f};
    tide_tensor *c = tf(2, s31, cv); /* f32 condition: nonzero is true */
    tide_tensor *a = trand(1, s4, 11), *b = trand(2, s34, 12);
    tide_tensor *r = tide_where(c, a, b);
    assert_shape(r, 2, s34);
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 4; j++)
            assert_near(at(r, i * 4 + j), cv[i] != 0 ? at(a, j) : at(b, i * 4 + j), 0);
    tide_tensor_release(r);
    /* int + float promote to f32 */
    int64_t one = 1;
    tide_tensor *iz = tide_tensor_full(TIDE_I32, 1, &one, 3);
    r = tide_where(c, iz, b);
    assert_int_equal(r->dtype, TIDE_F32);
    assert_near(at(r, 0), 3, 0);
    tide_tensor_release(r), tide_tensor_release(iz);
    tide_tensor_release(c), tide_tensor_release(a), tide_tensor_release(b);
}

static void test_names(void **state)
{
    (void)state;
    assert_string_equal(tide_unop_name(TIDE_GELU), "gelu");
    assert_string_equal(tide_binop_name(TIDE_GE), "ge");
    assert_string_equal(tide_redop_name(TIDE_LOGSUMEXP), "logsumexp");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unary_all_ops),    cmocka_unit_test(test_unary_edge_values),
        cmocka_unit_test(test_unary_int_dtypes), cmocka_unit_test(test_binary_same_shape_and_broadcast),
        cmocka_unit_test(test_binary_views),     cmocka_unit_test(test_binary_dtypes),
        cmocka_unit_test(test_nan_propagation),  cmocka_unit_test(test_binary_out),
        cmocka_unit_test(test_broadcast_error),  cmocka_unit_test(test_clamp),
        cmocka_unit_test(test_where),            cmocka_unit_test(test_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
