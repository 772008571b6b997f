/* test_ops_reduce.c — every reduction over all dims, one dim, several dims, with and without
 * keepdim, on contiguous and transposed inputs, against a naive reference; sum_to; errors. */
#include "ops_test_util.h"

/* naive reference: reduce t [A,B,C] over the dims flagged in red, result at out flat index */
static double ref_reduce(tide_redop op, const tide_tensor *t, const int *red, int64_t oi0,
                         int64_t oi1, int64_t oi2, int unbiased)
{
    double vals[4096];
    int64_t n = 0;
    for (int64_t i = 0; i < t->shape[0]; i++)
        for (int64_t j = 0; j < t->shape[1]; j++)
            for (int64_t k = 0; k < t->shape[2]; k++) {
                if ((!red[0] && i != oi0) || (!red[1] && j != oi1) || (!red[2] && k != oi2)) continue;
                int64_t idx[3] = {i, j, k};
                vals[n++] = tide_tensor_get(t, idx);
            }
    double s = 0, m, best = n > 0 ? vals[0] : NAN;
    int64_t bi = 0;
    switch (op) {
    case TIDE_SUM: for (int64_t q = 0; q < n; q++) s += vals[q]; return s;
    case TIDE_MEAN: for (int64_t q = 0; q < n; q++) s += vals[q]; return s / n;
    case TIDE_PROD: s = 1; for (int64_t q = 0; q < n; q++) s *= vals[q]; return s;
    case TIDE_MAX: for (int64_t q = 0; q < n; q++) best = fmax(best, vals[q]); return best;
    case TIDE_MIN: for (int64_t q = 0; q < n; q++) best = fmin(best, vals[q]); return best;
    case TIDE_ARGMAX: for (int64_t q = 0; q < n; q++) if (vals[q] > best) best = vals[q], bi = q; return (double)bi;
    case TIDE_ARGMIN: for (int64_t q = 0; q < n; q++) if (vals[q] < best) best = vals[q], bi = q; return (double)bi;
    case TIDE_VAR: case TIDE_STD:
        for (int64_t q = 0; q < n; q++) s += vals[q];
        m = s / n, s = 0;
        for (int64_t q = 0; q < n; q++) s += (vals[q] - m) * (vals[q] - m);
        s /= (double)(n - (unbiased ? 1 : 0));
        return op == TIDE_STD ? sqrt(s) : s;
    case TIDE_LOGSUMEXP: for (int64_t q = 0; q < n; q++) s += exp(vals[q]); return log(s);
    default: return NAN;
    }
}

static void check_all_reductions(const tide_tensor *t)
{
    /* dim sets: all, {0}, {1}, {2}, {0,2}, {-1} */
    int sets[6][3] = {{0}, {0}, {1}, {2}, {0, 2}, {-1}};
    int nsets[6] = {0, 1, 1, 1, 2, 1};
    for (int op = 0; op < TIDE_REDUCE_COUNT; op++) {
        for (int s = 0; s < 6; s++) {
            if ((op == TIDE_ARGMAX || op == TIDE_ARGMIN) && nsets[s] > 1) continue;
            for (int keep = 0; keep < 2; keep++) {
                tide_tensor *r = tide_reduce((tide_redop)op, t, sets[s], nsets[s], keep, 1);
                assert_non_null(r);
                int red[3] = {nsets[s] == 0, nsets[s] == 0, nsets[s] == 0};
                for (int q = 0; q < nsets[s]; q++) red[(sets[s][q] + 3) % 3] = 1;
                int nd = 0;
                for (int d = 0; d < 3; d++) nd += !red[d] || keep;
                assert_int_equal(r->ndim, nd);
                assert_int_equal(r->dtype, op == TIDE_ARGMAX || op == TIDE_ARGMIN ? TIDE_I64 : TIDE_F32);
                int64_t o = 0;
                for (int64_t i = 0; i < (red[0] ? 1 : t->shape[0]); i++)
                    for (int64_t j = 0; j < (red[1] ? 1 : t->shape[1]); j++)
                        for (int64_t k = 0; k < (red[2] ? 1 : t->shape[2]); k++) {
                            double want = ref_reduce((tide_redop)op, t, red, i, j, k, 1);
                            assert_near(at(r, o++), want, 2e-5);
                        }
                tide_tensor_release(r);
            }
        }
    }
}

static void test_reductions_contiguous(void **state)
{
    (void)state;
    int64_t s[3] = {3, 4, 5};
    tide_tensor *t = trand(3, s, 21);
    check_all_reductions(t);
    tide_tensor_release(t);
}

static void test_reductions_views(void **state)
{
    (void)state;
    int64_t s[3] = {5, 4, 6};
    tide_tensor *t = trand(3, s, 22);
    tide_tensor *p = tide_tensor_transpose(t, 0, 2);   /* [6,4,5] strided */
    tide_tensor *n = tide_tensor_narrow(p, 1, 1, 2);  /* [6,2,5] */
    check_all_reductions(p);
    check_all_reductions(n);
    int64_t s1[3] = {1, 4, 1}, se[3] = {3, 4, 2};
    tide_tensor *b = trand(3, s1, 23), *e = tide_tensor_expand(b, 3, se); /* stride-0 dims */
    check_all_reductions(e);
    tide_tensor_release(b), tide_tensor_release(e);
    tide_tensor_release(n), tide_tensor_release(p), tide_tensor_release(t);
}

static void test_sum_large_accuracy(void **state)
{
    (void)state;
    /* 1e7 * 0.1f summed in float would drift by ~1%; the double accumulator does not */
    int64_t n = 10000000;
    tide_tensor *t = tide_tensor_full(TIDE_F32, 1, &n, 0.1);
    tide_tensor *s = tide_reduce(TIDE_SUM, t, NULL, 0, 0, 0);
    assert_int_equal(s->ndim, 0);
    assert_near(at(s, 0), 1e7 * (double)0.1f, 1e-7);
    tide_tensor_release(s), tide_tensor_release(t);
}

static void test_logsumexp_stable_and_edges(void **state)
{
    (void)state;
    int64_t n = 3;
    float v[3] = {1000, 1000, 999};
    tide_tensor *t = tf(1, &n, v);
    tide_tensor *r = tide_reduce(TIDE_LOGSUMEXP, t, NULL, 0, 0, 0);
    assert_near(at(r, 0), 1000 + log(2 + exp(-1.0)), 1e-6);
    tide_tensor_release(r), tide_tensor_release(t);
    float w[2] = {-INFINITY, -INFINITY};
    int64_t two = 2;
    t = tf(1, &two, w);
    r = tide_reduce(TIDE_LOGSUMEXP, t, NULL, 0, 0, 0);
    assert_true(isinf(at(r, 0)) && at(r, 0) < 0);
    tide_tensor_release(r), tide_tensor_release(t);
}

static void test_int_and_nan(void **state)
{
    (void)state;
    int64_t n = 4;
    int32_t iv[4] = {3, -1, 7, 7};
    tide_tensor *t = tide_tensor_from_data(TIDE_I32, 1, &n, iv);
    tide_tensor *s = tide_reduce(TIDE_SUM, t, NULL, 0, 0, 0), *m = tide_reduce(TIDE_MAX, t, NULL, 0, 0, 0);
    tide_tensor *am = tide_reduce(TIDE_ARGMAX, t, NULL, 0, 0, 0), *mu = tide_reduce(TIDE_MEAN, t, NULL, 0, 0, 0);
    assert_int_equal(s->dtype, TIDE_I64), assert_near(at(s, 0), 16, 0);
    assert_int_equal(m->dtype, TIDE_I32), assert_near(at(m, 0), 7, 0);
    assert_near(at(am, 0), 2, 0); /* first of the ties */
    assert_int_equal(mu->dtype, TIDE_F32), assert_near(at(mu, 0), 4, 0);
    tide_tensor_release(s), tide_tensor_release(m), tide_tensor_release(am), tide_tensor_release(mu);
    tide_tensor_release(t);
    float fv[4] = {1, NAN, 5, NAN};
    t = tf(1, &n, fv);
    m = tide_reduce(TIDE_MAX, t, NULL, 0, 0, 0), am = tide_reduce(TIDE_ARGMAX, t, NULL, 0, 0, 0);
    tide_tensor *mn = tide_reduce(TIDE_MIN, t, NULL, 0, 0, 0);
    assert_true(isnan(at(m, 0)) && isnan(at(mn, 0)));
    assert_near(at(am, 0), 1, 0);
    tide_tensor_release(m), tide_tensor_release(am), tide_tensor_release(mn), tide_tensor_release(t);
}

/* reductions walk memory order; ties and NaNs must still resolve by the logical index */
static void test_arg_ties_on_views(void **state)
{
    (void)state;
    int64_t s[2] = {4, 5};
    tide_tensor *t = tide_tensor_full(TIDE_F32, 2, s, 1.0);
    tide_tensor *v = tide_tensor_transpose(t, 0, 1); /* [5,4], strides (1,5) */
    int d0 = 0, d1 = 1;
    tide_tensor *r0 = tide_reduce(TIDE_ARGMAX, v, &d0, 1, 0, 0), *r1 = tide_reduce(TIDE_ARGMIN, v, &d1, 1, 0, 0);
    tide_tensor *ra = tide_reduce(TIDE_ARGMAX, v, NULL, 0, 0, 0);
    for (int i = 0; i < 4; i++) assert_near(at(r0, i), 0, 0);
    for (int i = 0; i < 5; i++) assert_near(at(r1, i), 0, 0);
    assert_near(at(ra, 0), 0, 0);
    tide_tensor_release(r0), tide_tensor_release(r1), tide_tensor_release(ra);
    /* v[3][1] and v[1][2] are NaN: flat argmax is the first NaN in v's row-major order (1*4+2) */
    tide_f32(t)[1 * 5 + 3] = NAN; /* t[1][3] = v[3][1] */
    tide_f32(t)[2 * 5 + 1] = NAN; /* t[2][1] = v[1][2] */
    tide_f32(t)[0] = 7;           /* v[0][0]: the max where no NaN */
    ra = tide_reduce(TIDE_ARGMAX, v, NULL, 0, 0, 0);
    assert_near(at(ra, 0), 1 * 4 + 2, 0);
    r0 = tide_reduce(TIDE_ARGMAX, v, &d0, 1, 0, 0); /* per column of v */
    assert_near(at(r0, 0), 0, 0), assert_near(at(r0, 1), 3, 0), assert_near(at(r0, 2), 1, 0);
    tide_tensor *mx = tide_reduce(TIDE_MAX, v, &d1, 1, 0, 0);
    assert_near(at(mx, 0), 7, 0);
    assert_true(isnan(at(mx, 1)) && isnan(at(mx, 3)));
    tide_tensor_release(mx), tide_tensor_release(r0), tide_tensor_release(ra);
    tide_tensor_release(v), tide_tensor_release(t);
}

static void test_var_biased_and_single(void **state)
{
    (void)state;
    int64_t n = 4;
    float v[4] = {1, 2, 3, 4};
    tide_tensor *t = tf(1, &n, v);
    tide_tensor *vb = tide_reduce(TIDE_VAR, t, NULL, 0, 0, 0), *vu = tide_reduce(TIDE_VAR, t, NULL, 0, 0, 1);
    assert_near(at(vb, 0), 1.25, 1e-7), assert_near(at(vu, 0), 5.0 / 3, 1e-7);
    tide_tensor_release(vb), tide_tensor_release(vu), tide_tensor_release(t);
    int64_t one = 1;
    t = tide_tensor_full(TIDE_F32, 1, &one, 2);
    vu = tide_reduce(TIDE_STD, t, NULL, 0, 0, 1);
    assert_true(isnan(at(vu, 0))); /* n-1 = 0 */
    tide_tensor_release(vu), tide_tensor_release(t);
}

static void test_sum_to(void **state)
{
    (void)state;
    int64_t s[3] = {2, 3, 4}, to[2] = {3, 1}, to2[3] = {1, 3, 4};
    tide_tensor *t = trand(3, s, 24);
    tide_tensor *r = tide_sum_to(t, 2, to);
    assert_shape(r, 2, to);
    for (int j = 0; j < 3; j++) {
        double w = 0;
        for (int i = 0; i < 2; i++)
            for (int k = 0; k < 4; k++) w += at(t, i * 12 + j * 4 + k);
        assert_near(at(r, j), w, 1e-6);
    }
    tide_tensor_release(r);
    r = tide_sum_to(t, 3, to2);
    assert_shape(r, 3, to2);
    assert_near(at(r, 5), at(t, 5) + at(t, 17), 1e-6);
    tide_tensor_release(r);
    r = tide_sum_to(t, 3, s); /* identity: a fresh copy */
    assert_true(r != t && r->storage != t->storage);
    tide_tensor_release(r);
    r = tide_sum_to(t, 0, NULL); /* to a scalar */
    assert_int_equal(r->ndim, 0);
    tide_tensor_release(r);
    int64_t bad[1] = {5};
    assert_null(tide_sum_to(t, 1, bad));
    assert_error_contains("sum_to: shape [2,3,4] cannot be summed to [5]");
    tide_tensor_release(t);
}

static void test_errors(void **state)
{
    (void)state;
    int64_t s[2] = {2, 0};
    tide_tensor *t = tide_tensor_new(TIDE_F32, 2, s);
    int d1 = 1, d0 = 0, dd[2] = {0, 0}, bad = 5;
    assert_null(tide_reduce(TIDE_MAX, t, &d1, 1, 0, 0));
    assert_error_contains("max: cannot reduce over an empty dim");
    tide_tensor *e = tide_reduce(TIDE_SUM, t, &d1, 1, 0, 0); /* empty sum is 0 */
    assert_near(at(e, 0), 0, 0);
    tide_tensor_release(e);
    e = tide_reduce(TIDE_MAX, t, &d0, 1, 0, 0); /* reducing a non-empty dim of an empty tensor */
    assert_int_equal(tide_tensor_numel(e), 0);
    tide_tensor_release(e);
    assert_null(tide_reduce(TIDE_SUM, t, dd, 2, 0, 0));
    assert_error_contains("given twice");
    assert_null(tide_reduce(TIDE_SUM, t, &bad, 1, 0, 0));
    assert_error_contains("sum: dim 5 out of range");
    assert_null(tide_reduce(TIDE_ARGMAX, t, dd, 2, 0, 0));
    tide_tensor_release(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reductions_contiguous), cmocka_unit_test(test_reductions_views),
        cmocka_unit_test(test_sum_large_accuracy),    cmocka_unit_test(test_logsumexp_stable_and_edges),
        cmocka_unit_test(test_int_and_nan),           cmocka_unit_test(test_arg_ties_on_views),
                   cmocka_unit_test(test_var_biased_and_single),
        cmocka_unit_test(test_sum_to),                cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
