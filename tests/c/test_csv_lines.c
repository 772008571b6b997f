/* test_csv_lines.c — line endings and id text (issue 13, item 6): CR-only line ends (old Mac
 * exports; pandas reads them) are read like LF and CRLF at any chunk size; unquoted ids are
 * trimmed of blanks like every other field ("u1 " and "u1" are one user), quoted ids are
 * taken literally; an id holding a NUL byte drops its row (nul_byte) with its line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "csv_test_util.h"

static void read_same(const char *data, size_t n, int64_t want_rows, int64_t want_lines)
{
    const char *p = csvt_write(data, n);
    for (size_t chunk = 0; chunk <= 16; chunk++) {
        csvt_t f;
        csvt_init(&f, 1);
        if (chunk) f.o.chunk = chunk;
        assert_int_equal(csvt_read(&f, p), TIDE_OK);
        assert_int_equal(f.r.n, want_rows);
        assert_int_equal(f.r.lines, want_lines);
        assert_int_equal(csvt_dropped(&f.r), 0);
        assert_string_equal(csvt_name(f.u, 2), "u2");
        assert_string_equal(csvt_name(f.i, 1), "i\r1"); /* a quoted line break, as written */
        assert_int_equal(CSVT_I64(f, 2, 1), 20);
        csvt_free(&f);
    }
    unlink(p);
}

static void test_cr_line_ends(void **st)
{
    (void)st;
    static const char cr[] = "user,item,ts\ru1,\"i\r1\",10\r\ru2,i2,20\ru1,i2,30";
    read_same(cr, sizeof cr - 1, 3, 6);
    static const char lf[] = "user,item,ts\nu1,\"i\r1\",10\n\nu2,i2,20\nu1,i2,30\n";
    read_same(lf, sizeof lf - 1, 3, 5);
}

static void test_id_blanks_trimmed(void **st)
{
    (void)st;
    const char *p = CSVT("user,item,ts\nu1,i1,1\n u1 ,\ti1\t,2\n\" u1\",i1,3\n  ,i1,4\n");
    csvt_t f;
    csvt_init(&f, 1);
    assert_int_equal(csvt_read(&f, p), TIDE_OK);
    assert_int_equal(f.r.n, 3);
    assert_int_equal(tide_intern_size(f.u), 2); /* "u1" and the quoted " u1" */
    assert_int_equal(tide_intern_size(f.i), 1);
    assert_int_equal(CSVT_I32(f, 0, 1), 1);
    assert_string_equal(csvt_name(f.u, 2), " u1");
    assert_int_equal(f.r.bad[TIDE_BAD_EMPTY_ID], 1); /* blanks only */
    csvt_free(&f);
    unlink(p);
}

static void test_nul_in_id(void **st)
{
    (void)st;
    static const char data[] = "user,item,ts\nu1,i1,1\nu\0002,i2,2\nu3,\"i\0003\",3\nu4,i4,4\n";
    const char *p = csvt_write(data, sizeof data - 1);
    csvt_t f;
    csvt_init(&f, 1);
    assert_int_equal(csvt_read(&f, p), TIDE_OK);
    assert_int_equal(f.r.n, 2);
    assert_int_equal(f.r.bad[TIDE_BAD_NUL], 2);
    assert_non_null(strstr(f.r.first_bad, "line 3"));
    assert_non_null(strstr(f.r.first_bad, "column 'user'"));
    assert_int_equal(tide_intern_size(f.u), 2);
    csvt_free(&f);
    csvt_init(&f, 1);
    f.o.strict = 1;
    assert_int_equal(csvt_read(&f, p), TIDE_ERR);
    assert_non_null(strstr(tide_error(), "line 3"));
    assert_non_null(strstr(tide_error(), "nul_byte"));
    csvt_free(&f);
    unlink(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cr_line_ends),
        cmocka_unit_test(test_id_blanks_trimmed),
        cmocka_unit_test(test_nul_in_id),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
