/* test_tensor.c — storage/view/copy/creation semantics of the tensor core and the RNG. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <math.h>
#include <string.h>

#include "checkpoint.h"
#include "rng.h"
#include "tensor.h"

static tide_tensor *iota(int ndim, const int64_t *shape)
{
    tide_tensor *t = tide_tensor_new(TIDE_F32, ndim, shape);
    float *p = tide_f32(t);
    for (int64_t i = 0; i < tide_tensor_numel(t); i++) p[i] = (float)i;
    return t;
}

static double at2(const tide_tensor *t, int64_t i, int64_t j)
{
    int64_t idx[2] = {i, j};
    return tide_tensor_get(t, idx);
}

static void test_new_is_zeroed_contiguous(void **state)
{
    (void)state;
    int64_t shape[3] = {2, 3, 4};
    tide_tensor *t = tide_tensor_new(TIDE_F32, 3, shape);
    assert_non_null(t);
    assert_int_equal(tide_tensor_numel(t), 24);
    assert_true(tide_tensor_is_contiguous(t));
    assert_int_equal(t->strides[0], 12);
    assert_int_equal(t->strides[2], 1);
    assert_int_equal(((uintptr_t)t->storage->data) % 64, 0);
    for (int i = 0; i < 24; i++) assert_true(tide_f32(t)[i] == 0.0f);
    tide_tensor_release(t);
}

static void test_refcount_views_share_storage(void **state)
{
    (void)state;
    int64_t shape[2] = {3, 4};
    tide_tensor *t = iota(2, shape);
    tide_tensor *tt = tide_tensor_transpose(t, 0, 1);
    assert_ptr_equal(t->storage, tt->storage);
    assert_int_equal(t->storage->refcount, 2);
    tide_tensor_release(t); /* the view keeps storage alive */
    assert_int_equal(tt->storage->refcount, 1);
    assert_true(at2(tt, 3, 2) == 11.0); /* t[2][3] */
    assert_false(tide_tensor_is_contiguous(tt));
    tide_tensor_release(tt);
}

static void test_narrow_select_offsets(void **state)
{
    (void)state;
    int64_t shape[2] = {4, 5};
    tide_tensor *t = iota(2, shape);
    tide_tensor *n = tide_tensor_narrow(t, 1, 2, 3); /* columns 2..4 */
    assert_int_equal(n->shape[1], 3);
    assert_true(at2(n, 1, 0) == 7.0);
    tide_tensor *s = tide_tensor_select(n, 0, 3); /* row 3 of the narrowed view */
    assert_int_equal(s->ndim, 1);
    int64_t i = 2;
    assert_true(tide_tensor_get(s, &i) == 19.0);
    assert_null(tide_tensor_narrow(t, 1, 3, 3));
    assert_non_null(strstr(tide_error(), "out of bounds"));
    assert_null(tide_tensor_select(t, 0, 4));
    tide_tensor_release(s);
    tide_tensor_release(n);
    tide_tensor_release(t);
}

static void test_view_and_reshape(void **state)
{
    (void)state;
    int64_t shape[2] = {4, 6};
    tide_tensor *t = iota(2, shape);
    int64_t s3[3] = {2, -1, 3};
    tide_tensor *v = tide_tensor_view(t, 3, s3);
    assert_non_null(v);
    assert_int_equal(v->shape[1], 4);
    assert_ptr_equal(v->storage, t->storage);
    /* a transposed tensor cannot be flattened by a view, but reshape copies */
    tide_tensor *tt = tide_tensor_transpose(t, 0, 1);
    int64_t flat[1] = {24};
    assert_null(tide_tensor_view(tt, 1, flat));
    tide_tensor *r = tide_tensor_reshape(tt, 1, flat);
    assert_non_null(r);
    assert_ptr_not_equal(r->storage, t->storage);
    int64_t k = 1;
    assert_true(tide_tensor_get(r, &k) == 6.0); /* tt[0][1] = t[1][0] */
    /* splitting a transposed dim is still a view */
    int64_t s2[3] = {2, 3, 4};
    tide_tensor *v2 = tide_tensor_view(tt, 3, s2);
    assert_non_null(v2);
    int64_t idx[3] = {1, 2, 3};
    assert_true(tide_tensor_get(v2, idx) == at2(tt, 5, 3));
    int64_t bad[2] = {5, 5};
    assert_null(tide_tensor_view(t, 2, bad));
    assert_non_null(strstr(tide_error(), "24 elements"));
    tide_tensor_release(v2);
    tide_tensor_release(r);
    tide_tensor_release(tt);
    tide_tensor_release(v);
    tide_tensor_release(t);
}

static void test_expand_squeeze_unsqueeze_permute(void **state)
{
    (void)state;
    int64_t shape[2] = {3, 1};
    tide_tensor *t = iota(2, shape);
    int64_t es[3] = {2, 3, 4};
    tide_tensor *e = tide_tensor_expand(t, 3, es);
    assert_non_null(e);
    assert_int_equal(e->strides[0], 0);
    assert_int_equal(e->strides[2], 0);
    int64_t idx[3] = {1, 2, 3};
    assert_true(tide_tensor_get(e, idx) == 2.0);
    int64_t bad[2] = {4, 1};
    assert_null(tide_tensor_expand(t, 2, bad));
    tide_tensor *sq = tide_tensor_squeeze(t, -TIDE_MAX_DIMS - 1);
    assert_int_equal(sq->ndim, 1);
    tide_tensor *us = tide_tensor_unsqueeze(sq, 0);
    assert_int_equal(us->ndim, 2);
    assert_int_equal(us->shape[0], 1);
    int perm[3] = {2, 0, 1};
    tide_tensor *p = tide_tensor_permute(e, perm);
    assert_int_equal(p->shape[0], 4);
    assert_int_equal(p->shape[1], 2);
    int badperm[3] = {0, 0, 1};
    assert_null(tide_tensor_permute(e, badperm));
    tide_tensor_release(p);
    tide_tensor_release(us);
    tide_tensor_release(sq);
    tide_tensor_release(e);
    tide_tensor_release(t);
}

static void test_copy_broadcast_and_cast(void **state)
{
    (void)state;
    int64_t rs[1] = {3}, ds[2] = {2, 3};
    tide_tensor *row = iota(1, rs);
    tide_tensor *dst = tide_tensor_new(TIDE_I32, 2, ds);
    assert_int_equal(tide_tensor_copy(dst, row), TIDE_OK);
    assert_true(at2(dst, 1, 2) == 2.0);
    int64_t bs[1] = {4};
    tide_tensor *bad = iota(1, bs);
    assert_int_equal(tide_tensor_copy(dst, bad), TIDE_ERR);
    assert_non_null(strstr(tide_error(), "does not broadcast"));
    tide_tensor *c = tide_tensor_cast(dst, TIDE_I64);
    assert_int_equal(c->dtype, TIDE_I64);
    assert_true(tide_i64(c)[5] == 2);
    /* copy into a transposed destination */
    int64_t ss[2] = {3, 2};
    tide_tensor *src = iota(2, ss);
    tide_tensor *dt = tide_tensor_transpose(dst, 0, 1);
    assert_int_equal(tide_tensor_copy(dt, src), TIDE_OK);
    assert_true(at2(dst, 1, 2) == 5.0); /* dst[1][2] = src[2][1] */
    tide_tensor_release(dt);
    tide_tensor_release(src);
    tide_tensor_release(c);
    tide_tensor_release(bad);
    tide_tensor_release(dst);
    tide_tensor_release(row);
}

static void test_creation_helpers(void **state)
{
    (void)state;
    tide_tensor *a = tide_tensor_arange(TIDE_F32, 1, 2, 0.25);
    assert_int_equal(tide_tensor_numel(a), 4);
    assert_true(tide_f32(a)[3] == 1.75f);
    tide_tensor *e = tide_tensor_eye(TIDE_F32, 3, 2);
    assert_true(at2(e, 1, 1) == 1.0 && at2(e, 2, 1) == 0.0);
    tide_tensor *s = tide_tensor_scalar(TIDE_F32, 2.5);
    assert_int_equal(s->ndim, 0);
    assert_int_equal(tide_tensor_numel(s), 1);
    assert_null(tide_tensor_arange(TIDE_F32, 0, 1, 0));
    int64_t neg[1] = {-2};
    assert_null(tide_tensor_new(TIDE_F32, 1, neg));
    tide_tensor_release(s);
    tide_tensor_release(e);
    tide_tensor_release(a);
}

/* Philox4x32-10 known-answer test from the Random123 distribution (kat_vectors):
 * counter = 0, key = 0 -> 6627e8d5 e169c58d bc57ac4c 9b00dbd8. */
static void test_philox_known_answer(void **state)
{
    (void)state;
    uint32_t w[4];
    tide_philox(0, 0, w);
    assert_int_equal(w[0], 0x6627e8d5u);
    assert_int_equal(w[1], 0xe169c58du);
    assert_int_equal(w[2], 0xbc57ac4cu);
    assert_int_equal(w[3], 0x9b00dbd8u);
}

static void test_rng_deterministic_and_moments(void **state)
{
    (void)state;
    int64_t n[1] = {100000};
    tide_tensor *a = tide_tensor_new(TIDE_F32, 1, n), *b = tide_tensor_new(TIDE_F32, 1, n);
    tide_rng r1, r2;
    tide_rng_seed(&r1, 42);
    tide_rng_seed(&r2, 42);
    tide_rng_fill_normal(&r1, a, 0, 1);
    tide_rng_fill_normal(&r2, b, 0, 1);
    assert_memory_equal(tide_f32(a), tide_f32(b), sizeof(float) * 100000);
    double m = 0, v = 0;
    for (int i = 0; i < 100000; i++) m += tide_f32(a)[i];
    m /= 1e5;
    for (int i = 0; i < 100000; i++) v += (tide_f32(a)[i] - m) * (tide_f32(a)[i] - m);
    v /= 1e5;
    assert_true(fabs(m) < 0.02);      /* 5 sigma = 5/sqrt(1e5) ~ 0.016 */
    assert_true(fabs(v - 1) < 0.03);
    tide_rng_fill_uniform(&r1, a, 2, 3);
    for (int i = 0; i < 100000; i++) assert_true(tide_f32(a)[i] >= 2 && tide_f32(a)[i] < 3);
    /* unbiased integers: all residues of 3 seen about equally */
    int cnt[3] = {0};
    for (int i = 0; i < 30000; i++) cnt[tide_rng_below(&r1, 3)]++;
    for (int i = 0; i < 3; i++) assert_true(abs(cnt[i] - 10000) < 500);
    tide_tensor_release(a);
    tide_tensor_release(b);
}

/* Issue 13 item 7: a zero dimension made every size check pass while the stride product of
 * the other dimensions overflowed (UBSan: signed overflow), e.g. zeros({0, 2^40, 2^40}) or
 * the same shape read from a crafted checkpoint. Every such shape is refused with a message,
 * as numpy refuses np.zeros((0, 2**40, 2**40)) ("array is too big"). */
static void test_huge_shapes_refused(void **state)
{
    (void)state;
    const int64_t big = (int64_t)1 << 40;
    int64_t bad[][3] = {{0, big, big}, {big, big, 0}, {big, 0, big}, {INT64_MAX, 2, 0}};
    for (int k = 0; k < 4; k++) {
        assert_null(tide_tensor_new(TIDE_F32, 3, bad[k]));
        assert_non_null(strstr(tide_error(), "too large"));
        assert_null(tide_tensor_empty(TIDE_I64, 3, bad[k]));
    }
    int64_t ok[3] = {0, big, 4}; /* an empty tensor with big sizes whose strides fit is fine */
    tide_tensor *e = tide_tensor_new(TIDE_F32, 3, ok);
    assert_non_null(e);
    assert_int_equal(tide_tensor_numel(e), 0);
    assert_int_equal(e->strides[0], 4 * big);
    assert_null(tide_tensor_view(e, 3, bad[1])); /* views and expands check the same way */
    assert_non_null(strstr(tide_error(), "too large"));
    assert_null(tide_tensor_reshape(e, 3, bad[0]));
    tide_tensor_release(e);
    int64_t one = 1;
    tide_tensor *s = tide_tensor_new(TIDE_F32, 1, &one);
    int64_t wide[3] = {big, big, 1};
    assert_null(tide_tensor_expand(s, 3, wide));
    assert_non_null(strstr(tide_error(), "too large"));
    tide_tensor_release(s);
    assert_null(tide_tensor_arange(TIDE_F32, 0, 1e300, 1)); /* was a double -> int64 overflow */
    assert_non_null(strstr(tide_error(), "too large"));
    /* the same shape in a checkpoint: an empty {0, 3, 5} tensor with 3, 5 patched to 2^40 */
    int64_t sh[3] = {0, 3, 5};
    tide_tensor *z = tide_tensor_new(TIDE_F32, 3, sh);
    const char *names[1] = {"z"};
    uint8_t *buf = NULL;
    size_t len = 0;
    assert_int_equal(tide_checkpoint_encode(NULL, 1, names, &z, 0, NULL, &buf, &len), TIDE_OK);
    tide_tensor_release(z);
    const uint8_t pat[16] = {3, 0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0};
    size_t at = 0;
    while (at + 16 <= len && memcmp(buf + at, pat, 16) != 0) at++;
    assert_true(at + 16 <= len);
    tide_checkpoint *c = tide_checkpoint_parse(buf, len, "good");
    assert_non_null(c);
    tide_checkpoint_free(c);
    memset(buf + at, 0, 16);
    buf[at + 5] = 1, buf[at + 13] = 1; /* 2^40 little-endian */
    assert_null(tide_checkpoint_parse(buf, len, "crafted"));
    assert_non_null(strstr(tide_error(), "crafted"));
    assert_non_null(strstr(tide_error(), "too large"));
    free(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_new_is_zeroed_contiguous),
        cmocka_unit_test(test_refcount_views_share_storage),
        cmocka_unit_test(test_narrow_select_offsets),
        cmocka_unit_test(test_view_and_reshape),
        cmocka_unit_test(test_expand_squeeze_unsqueeze_permute),
        cmocka_unit_test(test_copy_broadcast_and_cast),
        cmocka_unit_test(test_creation_helpers),
        cmocka_unit_test(test_philox_known_answer),
        cmocka_unit_test(test_rng_deterministic_and_moments),
        cmocka_unit_test(test_huge_shapes_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
