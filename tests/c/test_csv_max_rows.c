/* test_csv_max_rows.c — with max_rows the reader stops after the last kept row, and
 * `bytes` is the input consumed up to and including that row's line end: the same for every
 * read chunk size (the fuzz input tests/fuzz/corpus/fuzz_csv/known-bytes-with-max-rows found
 * that it counted the whole last chunk read). Expected offsets are counted by hand from the
 * literals below. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "csv_test_util.h"

/* Reads `data` with max_rows under every chunk size 1..len+1 and the default one; each read
 * must keep `rows` rows and report `bytes` bytes. */
static void check_bytes(const char *data, int header, int64_t max_rows, int64_t rows, uint64_t bytes)
{
    size_t len = strlen(data);
    const char *path = csvt_write(data, len);
    for (size_t chunk = 0; chunk <= len + 1; chunk++) { /* 0 = the default 4 MiB */
        csvt_t f;
        csvt_init(&f, header);
        f.o.max_rows = max_rows;
        f.o.chunk = chunk;
        assert_int_equal(csvt_read(&f, path), TIDE_OK);
        assert_int_equal(f.r.n, rows);
        if (f.r.bytes != bytes)
            fail_msg("chunk %zu: bytes %llu, expected %llu", chunk, (unsigned long long)f.r.bytes,
                     (unsigned long long)bytes);
        csvt_free(&f);
    }
    unlink(path);
}

static void test_plain_lines(void **st)
{
    (void)st;
    /* header 12 bytes, then rows of 6 bytes: a,x,1\n */
    const char *d = "user,item,ts\na,x,1\nb,y,2\nc,z,3\nd,w,4\n";
    check_bytes(d, 1, 1, 1, 12 + 1 + 6);
    check_bytes(d, 1, 2, 2, 13 + 12);
    check_bytes(d, 1, 3, 3, 13 + 18);
    check_bytes(d, 1, 4, 4, strlen(d)); /* the whole file */
    check_bytes(d, 1, 9, 4, strlen(d));
}

/* Dropped rows, blank lines and quoted line breaks before the last kept row are consumed;
 * the bytes after it are not, whatever they hold. */
static void test_dropped_blank_and_quoted(void **st)
{
    (void)st;
    /* "a,x,1\n" 6 | "b,y,zz\n" 7 (bad time: dropped) | "\n" 1 | "\"c\nd\",x,3\n" 10 */
    const char *d = "a,x,1\nb,y,zz\n\n\"c\nd\",x,3\ne,q,5\n\"unterminated";
    check_bytes(d, 0, 2, 2, 6 + 7 + 1 + 10);
}

static void test_crlf_and_cr(void **st)
{
    (void)st;
    check_bytes("a,x,1\r\nb,y,2\r\nc,z,3\r\n", 0, 2, 2, 14); /* the LF is part of the row */
    check_bytes("a,x,1\rb,y,2\rc,z,3\r", 0, 1, 1, 6);
    check_bytes("\xEF\xBB\xBFuser,item,ts\na,x,1\nb,y,2\n", 1, 1, 1, 3 + 13 + 6); /* BOM counted */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain_lines),
        cmocka_unit_test(test_dropped_blank_and_quoted),
        cmocka_unit_test(test_crlf_and_cr),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
