/* test_atomic_file.c — atomic writes: content lands whole, failures leave the target alone. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "atomic_file.h"
#include "error.h"

static char dir[] = "/tmp/tide_atomic_XXXXXX";

static int setup(void **state)
{
    (void)state;
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static size_t slurp(const char *path, char *buf, size_t n)
{
    FILE *f = fopen(path, "rb");
    if (!f) return (size_t)-1;
    size_t k = fread(buf, 1, n, f);
    fclose(f);
    return k;
}

static int count_entries(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "ls -A %s | wc -l", dir);
    FILE *p = popen(cmd, "r");
    int n = -1;
    if (p && fscanf(p, "%d", &n) != 1) n = -1;
    if (p) pclose(p);
    return n;
}

static void test_write_replaces_whole_content(void **state)
{
    (void)state;
    char path[256], buf[64];
    snprintf(path, sizeof path, "%s/out.txt", dir);
    assert_int_equal(tide_write_file_atomic(path, "first version", 13), TIDE_OK);
    assert_int_equal(tide_write_file_atomic(path, "second", 6), TIDE_OK);
    assert_int_equal(slurp(path, buf, sizeof buf), 6);
    assert_memory_equal(buf, "second", 6);
    assert_int_equal(count_entries(), 1); /* no temporary left behind */
}

static void test_abort_keeps_old_content(void **state)
{
    (void)state;
    char path[256], buf[64];
    snprintf(path, sizeof path, "%s/keep.txt", dir);
    assert_int_equal(tide_write_file_atomic(path, "old", 3), TIDE_OK);
    tide_atomic_file af;
    assert_int_equal(tide_atomic_open(&af, path), TIDE_OK);
    fputs("half-written new content", af.f);
    tide_atomic_abort(&af);
    tide_atomic_abort(&af); /* twice is safe */
    assert_int_equal(slurp(path, buf, sizeof buf), 3);
    assert_memory_equal(buf, "old", 3);
}

static void test_bad_directory_is_reported(void **state)
{
    (void)state;
    assert_int_equal(tide_write_file_atomic("/nonexistent-dir/x.bin", "x", 1), TIDE_ERR);
    assert_non_null(strstr(tide_error(), "/nonexistent-dir/x.bin"));
    assert_int_equal(tide_write_file_atomic("", "x", 1), TIDE_ERR);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_write_replaces_whole_content),
        cmocka_unit_test(test_abort_keeps_old_content),
        cmocka_unit_test(test_bad_directory_is_reported),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
