/* test_checkpoint.c — the checkpoint writer/reader from C: round trip of every dtype and
 * metadata type, argument refusals, corrupt and truncated files refused without leaks (the
 * sanitizer run checks the error paths free everything), the in-memory writer and parser
 * (same bytes as the file; every truncation and bit flip refused with the given name). Byte-layout and resume tests are in
 * tests/lua/test_checkpoint.lua. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "checkpoint.h"

static char path[256], path2[256];

static int setup(void **state)
{
    (void)state;
    snprintf(path, sizeof path, "/tmp/tide_ckpt_test_%ld.ckpt", (long)getpid());
    snprintf(path2, sizeof path2, "/tmp/tide_ckpt_test_%ld_b.ckpt", (long)getpid());
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    unlink(path);
    unlink(path2);
    return 0;
}

static void test_round_trip(void **state)
{
    (void)state;
    int64_t s23[2] = {2, 3}, s2 = 2;
    float fv[6] = {1.5f, -2, 0, 3e38f, -1e-30f, 7};
    int64_t lv[2] = {INT64_MAX, INT64_MIN};
    tide_tensor *f = tide_tensor_from_data(TIDE_F32, 2, s23, fv);
    tide_tensor *ft = tide_tensor_transpose(f, 0, 1); /* saved in logical order */
    tide_tensor *l = tide_tensor_from_data(TIDE_I64, 1, &s2, lv);
    const char *names[2] = {"ft", "l"};
    tide_tensor *ts[2] = {ft, l};
    tide_ckpt_meta meta[2] = {{"epoch", 0, 3, NULL}, {"name", 1, 0, "gru4rec"}};
    assert_int_equal(tide_checkpoint_save(path, 2, names, ts, 2, meta), TIDE_OK);
    tide_checkpoint *c = tide_checkpoint_load(path);
    assert_non_null(c);
    assert_int_equal(c->n, 2);
    assert_string_equal(c->names[0], "ft");
    assert_int_equal(c->tensors[0]->shape[0], 3);
    int64_t idx[2] = {2, 1};
    assert_true(tide_tensor_get(c->tensors[0], idx) == tide_tensor_get(ft, idx));
    assert_true(tide_i64(c->tensors[1])[0] == INT64_MAX && tide_i64(c->tensors[1])[1] == INT64_MIN);
    assert_int_equal(c->nmeta, 2);
    assert_false(c->meta[0].is_string);
    assert_true(c->meta[0].num == 3);
    assert_string_equal(c->meta[1].str, "gru4rec");
    tide_checkpoint_free(c);
    tide_tensor_release(ft), tide_tensor_release(f), tide_tensor_release(l);
}

static void test_save_refusals(void **state)
{
    (void)state;
    int64_t n = 1;
    tide_tensor *t = tide_tensor_new(TIDE_F32, 1, &n);
    const char *dup[2] = {"a", "a"};
    tide_tensor *ts[2] = {t, t};
    assert_int_equal(tide_checkpoint_save(path, 2, dup, ts, 0, NULL), TIDE_ERR);
    assert_non_null(strstr(tide_error(), "duplicate tensor name 'a'"));
    const char *empty[1] = {""};
    assert_int_equal(tide_checkpoint_save(path, 1, empty, ts, 0, NULL), TIDE_ERR);
    const char *ok[1] = {"a"};
    assert_int_equal(tide_checkpoint_save("/nonexistent-dir/x.ckpt", 1, ok, ts, 0, NULL), TIDE_ERR);
    assert_non_null(strstr(tide_error(), "/nonexistent-dir/x.ckpt"));
    tide_tensor_release(t);
}

static long file_bytes(const char *p, unsigned char *buf, long cap)
{
    FILE *f = fopen(p, "rb");
    long n = (long)fread(buf, 1, (size_t)cap, f);
    fclose(f);
    return n;
}

static void write_file(const char *p, const unsigned char *buf, long n)
{
    FILE *f = fopen(p, "wb");
    fwrite(buf, 1, (size_t)n, f);
    fclose(f);
}

static void test_truncated_and_corrupt_refused(void **state)
{
    (void)state;
    int64_t s = 4;
    float v[4] = {1, 2, 3, 4};
    tide_tensor *t = tide_tensor_from_data(TIDE_F32, 1, &s, v);
    const char *names[1] = {"w"};
    tide_ckpt_meta meta[1] = {{"k", 1, 0, "value"}};
    assert_int_equal(tide_checkpoint_save(path, 1, names, &t, 1, meta), TIDE_OK);
    unsigned char buf[512], mod[512];
    long n = file_bytes(path, buf, sizeof buf);
    assert_true(n > 40 && n < 512);
    for (long len = 0; len < n; len++) {
        write_file(path2, buf, len);
        assert_null(tide_checkpoint_load(path2));
        assert_non_null(strstr(tide_error(), path2));
    }
    for (long i = 0; i < n; i++) {
        memcpy(mod, buf, (size_t)n);
        mod[i] ^= 0x10;
        write_file(path2, mod, n);
        assert_null(tide_checkpoint_load(path2));
    }
    /* a huge declared tensor count must not allocate: it is refused as corruption */
    memcpy(mod, buf, (size_t)n);
    mod[16] = 0xff, mod[17] = 0xff, mod[18] = 0xff, mod[19] = 0x7f;
    write_file(path2, mod, n);
    assert_null(tide_checkpoint_load(path2));
    assert_non_null(strstr(tide_error(), "cannot fit"));
    tide_tensor_release(t);
}

/* The memory writer gives the file's bytes exactly; the memory parser reads them back. */
static void test_encode_equals_file(void **state)
{
    (void)state;
    int64_t s23[2] = {2, 3}, s0 = 0;
    float fv[6] = {1, -2, 0.5f, 3e38f, -1e-30f, 7};
    tide_tensor *f = tide_tensor_from_data(TIDE_F32, 2, s23, fv);
    tide_tensor *ft = tide_tensor_transpose(f, 0, 1); /* non-contiguous: copied in order */
    tide_tensor *e = tide_tensor_new(TIDE_I32, 1, &s0);
    const char *names[2] = {"ft", "empty"};
    tide_tensor *ts[2] = {ft, e};
    tide_ckpt_meta meta[2] = {{"epoch", 0, 3, NULL}, {"name", 1, 0, "textcnn"}};
    assert_int_equal(tide_checkpoint_save(path, 2, names, ts, 2, meta), TIDE_OK);
    unsigned char file[1024];
    long n = file_bytes(path, file, sizeof file);
    assert_true(n > 40 && n < 1024);
    uint8_t *mem = NULL;
    size_t len = 0;
    assert_int_equal(tide_checkpoint_encode("mem", 2, names, ts, 2, meta, &mem, &len), TIDE_OK);
    assert_int_equal(len, (size_t)n);
    assert_memory_equal(mem, file, len);
    tide_checkpoint *c = tide_checkpoint_parse(mem, len, "mem");
    assert_non_null(c);
    assert_int_equal(c->n, 2);
    int64_t idx[2] = {2, 1};
    assert_true(tide_tensor_get(c->tensors[0], idx) == tide_tensor_get(ft, idx));
    assert_int_equal(tide_tensor_numel(c->tensors[1]), 0);
    assert_string_equal(c->meta[1].str, "textcnn");
    tide_checkpoint_free(c);
    free(mem);
    /* argument errors name the bytes and hand out nothing */
    const char *dup[2] = {"a", "a"};
    mem = (uint8_t *)1;
    assert_int_equal(tide_checkpoint_encode("blob", 2, dup, ts, 0, NULL, &mem, &len), TIDE_ERR);
    assert_null(mem);
    assert_non_null(strstr(tide_error(), "checkpoint save blob: duplicate tensor name 'a'"));
    /* no tensors, no metadata: still a valid checkpoint */
    assert_int_equal(tide_checkpoint_encode(NULL, 0, NULL, NULL, 0, NULL, &mem, &len), TIDE_OK);
    c = tide_checkpoint_parse(mem, len, NULL);
    assert_non_null(c);
    assert_int_equal(c->n + c->nmeta, 0);
    tide_checkpoint_free(c);
    free(mem);
    assert_null(tide_checkpoint_parse(NULL, 0, NULL));
    assert_non_null(strstr(tide_error(), "(memory)"));
    tide_tensor_release(ft), tide_tensor_release(f), tide_tensor_release(e);
}

/* Every prefix and every single-bit flip of a checkpoint held in memory is refused with the
 * given name, never a crash. Each candidate is copied into a buffer of exactly its size, so
 * the sanitizer run catches any read past the end. */
static void test_parse_every_truncation_and_flip(void **state)
{
    (void)state;
    int64_t s = 5;
    float v[5] = {1, 2, 3, 4, 5};
    tide_tensor *t = tide_tensor_from_data(TIDE_F32, 1, &s, v);
    const char *names[1] = {"w"};
    tide_ckpt_meta meta[2] = {{"k", 1, 0, "value"}, {"x", 0, 2.5, NULL}};
    uint8_t *mem;
    size_t n;
    assert_int_equal(tide_checkpoint_encode("m", 1, names, &t, 2, meta, &mem, &n), TIDE_OK);
    for (size_t len = 0; len < n; len++) {
        uint8_t *cut = malloc(len ? len : 1);
        memcpy(cut, mem, len);
        assert_null(tide_checkpoint_parse(len ? cut : NULL, len, "member 7"));
        assert_non_null(strstr(tide_error(), "member 7"));
        free(cut);
    }
    uint8_t *mod = malloc(n);
    for (size_t i = 0; i < n; i++)
        for (int bit = 0; bit < 8; bit++) {
            memcpy(mod, mem, n);
            mod[i] ^= (uint8_t)(1u << bit);
            assert_null(tide_checkpoint_parse(mod, n, "member 7"));
            assert_non_null(strstr(tide_error(), "member 7"));
        }
    /* one extra byte is refused too */
    uint8_t *longer = malloc(n + 1);
    memcpy(longer, mem, n);
    longer[n] = 0;
    assert_null(tide_checkpoint_parse(longer, n + 1, "member 7"));
    assert_non_null(strstr(tide_error(), "unexpected bytes"));
    free(longer);
    free(mod);
    free(mem);
    tide_tensor_release(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_save_refusals),
        cmocka_unit_test(test_truncated_and_corrupt_refused),
        cmocka_unit_test(test_encode_equals_file),
        cmocka_unit_test(test_parse_every_truncation_and_flip),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
