/* test_limits.c — allocation limits: parsing of the environment syntax, get/set, the messages,
 * op results allocated by the engine,
 * and the two file loaders (checkpoint, prepared dataset) refusing an entry above the limit
 * before allocating it. */
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
#include "dataset.h"
#include "error.h"
#include "limit.h"
#include "ops.h"

static void test_parse(void **state)
{
    (void)state;
    uint64_t v;
    assert_int_equal(tide_limit_parse("123", &v), 0);
    assert_true(v == 123);
    assert_int_equal(tide_limit_parse("64K", &v), 0);
    assert_true(v == 65536);
    assert_int_equal(tide_limit_parse(" 2g ", &v), 0);
    assert_true(v == 2ull << 30);
    assert_int_equal(tide_limit_parse("1T", &v), 0);
    assert_true(v == 1ull << 40);
    assert_int_equal(tide_limit_parse("0", &v), 0);
    assert_true(v == 0);
    assert_int_equal(tide_limit_parse("12X", &v), -1);
    assert_int_equal(tide_limit_parse("-5", &v), -1);
    assert_int_equal(tide_limit_parse("", &v), -1);
    assert_int_equal(tide_limit_parse("99999999999999999999T", &v), -1);
    assert_int_equal(tide_limit_parse(NULL, &v), -1);
}

static void test_defaults_and_checks(void **state)
{
    (void)state;
    assert_true(tide_limit_get(TIDE_LIMIT_TENSOR_BYTES) > 0); /* physical memory */
    assert_true(tide_limit_get(TIDE_LIMIT_ROWS) == 2147483647u);
    uint64_t keep = tide_limit_get(TIDE_LIMIT_TENSOR_BYTES);
    tide_limit_set(TIDE_LIMIT_TENSOR_BYTES, 1000);
    assert_int_equal(tide_limit_check_bytes(1000, "x"), TIDE_OK);
    assert_int_equal(tide_limit_check_bytes(1001, "zeros"), TIDE_ERR);
    assert_string_equal(tide_error(), "zeros: 1001 bytes exceed max_tensor_bytes = 1000 (set "
                                      "TIDE_MAX_TENSOR_BYTES or tide.config.set{max_tensor_bytes = ...})");
    tide_limit_set(TIDE_LIMIT_TENSOR_BYTES, 0); /* no limit */
    assert_int_equal(tide_limit_check_bytes(UINT64_MAX, "x"), TIDE_OK);
    tide_limit_set(TIDE_LIMIT_TENSOR_BYTES, keep);
    assert_string_equal(tide_limit_name(TIDE_LIMIT_ROWS), "max_rows");
}

static void test_loaders_refuse_over_limit(void **state)
{
    (void)state;
    char ck[] = "/tmp/tide_limits_XXXXXX";
    int fd = mkstemp(ck);
    assert_true(fd >= 0);
    close(fd);
    int64_t n = 1000;
    tide_tensor *t = tide_tensor_new(TIDE_F32, 1, &n);
    const char *names[1] = {"w"};
    assert_int_equal(tide_checkpoint_save(ck, 1, names, (tide_tensor *const[]){t}, 0, NULL), TIDE_OK);
    tide_limit_set(TIDE_LIMIT_TENSOR_BYTES, 3999);
    assert_null(tide_checkpoint_load(ck));
    assert_non_null(strstr(tide_error(), "tensor 'w': 4000 bytes exceed max_tensor_bytes = 3999"));
    tide_limit_set(TIDE_LIMIT_TENSOR_BYTES, 4000);
    tide_checkpoint *c = tide_checkpoint_load(ck);
    assert_non_null(c);
    tide_checkpoint_free(c);

    tide_ds_entry e = {.name = "user", .kind = TIDE_DS_F32, .t = t};
    assert_int_equal(tide_dataset_write(ck, &e, 1), TIDE_OK);
    tide_limit_set(TIDE_LIMIT_ROWS, 999);
    tide_ds_entry *out;
    int ne;
    assert_int_equal(tide_dataset_read(ck, &out, &ne), TIDE_ERR);
    assert_non_null(strstr(tide_error(), "entry 'user': 1000 rows exceed max_rows = 999"));
    tide_limit_set(TIDE_LIMIT_ROWS, 1000);
    assert_int_equal(tide_dataset_read(ck, &out, &ne), TIDE_OK);
    tide_dataset_free(out, ne);
    tide_limit_set(TIDE_LIMIT_TENSOR_BYTES, 100);
    assert_int_equal(tide_dataset_read(ck, &out, &ne), TIDE_ERR);
    assert_non_null(strstr(tide_error(), "max_tensor_bytes"));
    tide_limit_set(TIDE_LIMIT_TENSOR_BYTES, 0);
    tide_tensor_release(t);
    unlink(ck);
}

/* The engine's own allocations (op results) obey the limit too, not only the loaders. */
static void test_op_results_refuse_over_limit(void **state)
{
    (void)state;
    int64_t sa[2] = {100, 1}, sb[2] = {1, 100};
    tide_tensor *a = tide_tensor_new(TIDE_F32, 2, sa), *b = tide_tensor_new(TIDE_F32, 2, sb);
    tide_limit_set(TIDE_LIMIT_TENSOR_BYTES, 39999);
    assert_null(tide_matmul(a, b)); /* 100 x 100 floats = 40000 bytes */
    assert_string_equal(tide_error(), "tensor: 40000 bytes exceed max_tensor_bytes = 39999 (set "
                                      "TIDE_MAX_TENSOR_BYTES or tide.config.set{max_tensor_bytes = ...})");
    assert_null(tide_binary(TIDE_ADD, a, b)); /* broadcast to 100 x 100 */
    tide_limit_set(TIDE_LIMIT_TENSOR_BYTES, 40000);
    tide_tensor *c = tide_matmul(a, b);
    assert_non_null(c);
    tide_tensor_release(c);
    tide_limit_set(TIDE_LIMIT_TENSOR_BYTES, 0);
    tide_tensor_release(a);
    tide_tensor_release(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_defaults_and_checks),
        cmocka_unit_test(test_loaders_refuse_over_limit),
        cmocka_unit_test(test_op_results_refuse_over_limit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
