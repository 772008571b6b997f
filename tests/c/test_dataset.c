/* test_dataset.c — prepared-dataset files: round trip of every kind (including empty
 * entries), atomic replace (no temp file left), and refusal of corrupt files: bad magic,
 * flipped bytes in the header, an entry header and the data, truncation, extension, a
 * missing file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "dataset.h"
#include "error.h"

static char path[64];

static long fsize(const char *p)
{
    FILE *f = fopen(p, "rb");
    if (!f) return -1;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fclose(f);
    return n;
}

static void write_sample(void)
{
    snprintf(path, sizeof path, "/tmp/tide_test_ds_%d.tds", (int)getpid());
    int64_t n3 = 3, n0 = 0, n5 = 5;
    tide_tensor *a = tide_tensor_new(TIDE_F32, 1, &n3);
    tide_tensor *b = tide_tensor_new(TIDE_I32, 1, &n5);
    tide_tensor *c = tide_tensor_new(TIDE_I64, 1, &n0);
    for (int i = 0; i < 3; i++) tide_f32(a)[i] = 0.5f * (float)i;
    for (int i = 0; i < 5; i++) tide_i32(b)[i] = -i;
    tide_ds_entry e[4] = {{"a", TIDE_DS_F32, a, NULL, 0},
                          {"bee", TIDE_DS_I32, b, NULL, 0},
                          {"empty", TIDE_DS_I64, c, NULL, 0},
                          {"meta", TIDE_DS_BYTES, NULL, "{\"x\":1}", 7}};
    assert_int_equal(tide_dataset_write(path, e, 4), TIDE_OK);
    tide_tensor_release(a);
    tide_tensor_release(b);
    tide_tensor_release(c);
}

static void test_round_trip(void **st)
{
    (void)st;
    write_sample();
    char tmp[96];
    snprintf(tmp, sizeof tmp, "%s.tmp.%d", path, (int)getpid());
    assert_true(access(tmp, F_OK) != 0); /* renamed away */
    tide_ds_entry *e;
    int n;
    assert_int_equal(tide_dataset_read(path, &e, &n), TIDE_OK);
    assert_int_equal(n, 4);
    assert_string_equal(e[0].name, "a");
    assert_int_equal(e[0].t->dtype, TIDE_F32);
    assert_float_equal(tide_f32(e[0].t)[2], 1.0, 0);
    assert_string_equal(e[1].name, "bee");
    assert_int_equal(tide_i32(e[1].t)[4], -4);
    assert_int_equal(e[2].t->shape[0], 0);
    assert_int_equal(e[2].t->dtype, TIDE_I64);
    assert_int_equal(e[3].kind, TIDE_DS_BYTES);
    assert_int_equal(e[3].nbytes, 7);
    assert_memory_equal(e[3].bytes, "{\"x\":1}", 7);
    tide_dataset_free(e, n);
    /* overwrite in place (atomic replace) */
    write_sample();
    assert_int_equal(tide_dataset_read(path, &e, &n), TIDE_OK);
    tide_dataset_free(e, n);
    unlink(path);
}

static void expect_refused(const char *what)
{
    tide_ds_entry *e = (tide_ds_entry *)1;
    int n = 7;
    assert_int_equal(tide_dataset_read(path, &e, &n), TIDE_ERR);
    assert_null(e);
    assert_int_equal(n, 0);
    if (!strstr(tide_error(), what)) fail_msg("expected '%s' in '%s'", what, tide_error());
    assert_non_null(strstr(tide_error(), path));
}

static void flip(long off)
{
    FILE *f = fopen(path, "r+b");
    fseek(f, off, SEEK_SET);
    int c = fgetc(f);
    fseek(f, off, SEEK_SET);
    fputc(c ^ 0x5a, f);
    fclose(f);
}

static void test_corrupt(void **st)
{
    (void)st;
    write_sample();
    long sz = fsize(path);
    flip(0);
    expect_refused("bad magic");
    write_sample();
    flip(13); /* entry count */
    expect_refused("header");
    write_sample();
    flip(28 + 4 + 1 + 6); /* inside entry 1 header (count field) */
    expect_refused("corrupt");
    write_sample();
    flip(sz - 8 - 1 - 3); /* inside the last entry's data (7 bytes + 1 pad before the trailer) */
    expect_refused("checksum");
    write_sample();
    flip(sz - 8 - 1); /* its zero padding */
    expect_refused("padding");
    write_sample();
    assert_int_equal(truncate(path, sz - 5), 0);
    expect_refused("truncated");
    write_sample();
    assert_int_equal(truncate(path, sz + 16), 0);
    expect_refused("extended");
    write_sample();
    assert_int_equal(truncate(path, 10), 0);
    expect_refused("too short");
    unlink(path);
    expect_refused("cannot open");
}

static void test_write_errors(void **st)
{
    (void)st;
    int64_t n = 2;
    tide_tensor *a = tide_tensor_new(TIDE_F32, 1, &n);
    tide_ds_entry e[1] = {{"a", TIDE_DS_F32, a, NULL, 0}};
    assert_int_equal(tide_dataset_write("/nonexistent-dir/x.tds", e, 1), TIDE_ERR);
    assert_non_null(strstr(tide_error(), "cannot create"));
    tide_tensor_release(a);
}

/* The stored data checksum is CRC-32C: "123456789" has the standard check value 0xE3069283
 * (RFC 3720, appendix B.4). Entry 1 starts at byte 28: name length, "x", kind, count, crc. */
static void test_crc32c_vector(void **st)
{
    (void)st;
    snprintf(path, sizeof path, "/tmp/tide_test_crc_%d.tds", (int)getpid());
    tide_ds_entry e = {"x", TIDE_DS_BYTES, NULL, "123456789", 9};
    assert_int_equal(tide_dataset_write(path, &e, 1), TIDE_OK);
    FILE *f = fopen(path, "rb");
    unsigned char b[64];
    assert_int_equal(fread(b, 1, 64, f), 64);
    fclose(f);
    uint32_t v;
    memcpy(&v, b + 28 + 4 + 1 + 4 + 8, 4);
    assert_int_equal(v, 0xE3069283u);
    unlink(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip), cmocka_unit_test(test_corrupt), cmocka_unit_test(test_write_errors),
        cmocka_unit_test(test_crc32c_vector)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
