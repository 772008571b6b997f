/* test_csv_schema.c — how a schema meets a file (issue 13, items 3 and 6): an expected field
 * count (nfields) smaller than a selected field is an error, not rows with user 0 / time 0
 * or values left over from a dropped row; a row shorter than the selected fields is never
 * kept; fields past the 64th can be selected; a selected header name that appears twice is
 * an error naming it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "csv_test_util.h"

static void test_nfields_below_selected_field(void **st)
{
    (void)st;
    csvt_t f;
    csvt_init(&f, 0);
    f.cols[2].index = 4; /* time is field 5 */
    f.o.nfields = 3;
    const char *p = CSVT("a,b,c\nd,e,f,g,100\nh,i,j\n");
    assert_int_equal(csvt_read(&f, p), TIDE_ERR);
    assert_non_null(strstr(tide_error(), "nfields"));
    assert_non_null(strstr(tide_error(), "field 5"));
    csvt_free(&f);
    unlink(p);
    /* the same with a header: "ts" is its 5th name */
    csvt_init(&f, 1);
    f.o.nfields = 3;
    p = CSVT("user,item,x,y,ts\nd,e,f\nu,i,1,2,100\n");
    assert_int_equal(csvt_read(&f, p), TIDE_ERR);
    assert_non_null(strstr(tide_error(), p));
    assert_non_null(strstr(tide_error(), "'ts'"));
    csvt_free(&f);
    unlink(p);
}

/* Without nfields the expected count is the first record's that reaches every selected field;
 * shorter rows (here the first one) are dropped, never kept with stale values. */
static void test_short_rows_never_kept(void **st)
{
    (void)st;
    csvt_t f;
    csvt_init(&f, 0);
    f.cols[2].index = 3;
    const char *p = CSVT("a,b,c\nd,e,x,100\nh,i,y\nk,l,z,200\n");
    assert_int_equal(csvt_read(&f, p), TIDE_OK);
    assert_int_equal(f.r.n, 2);
    assert_int_equal(f.r.bad[TIDE_BAD_FIELDS], 2);
    assert_int_equal(CSVT_I64(f, 2, 0), 100);
    assert_int_equal(CSVT_I64(f, 2, 1), 200);
    assert_int_equal(tide_intern_size(f.u), 2);
    csvt_free(&f);
    unlink(p);
}

static void test_many_fields(void **st)
{
    (void)st;
    char buf[4096];
    size_t n = 0;
    for (int k = 0; k < 100; k++) n += (size_t)sprintf(buf + n, k ? ",c%d" : "c%d", k);
    buf[n++] = '\n';
    for (int r = 0; r < 2; r++) {
        for (int k = 0; k < 100; k++) n += (size_t)sprintf(buf + n, k ? ",%d" : "%d", 1000 * r + k);
        buf[n++] = '\n';
    }
    const char *p = csvt_write(buf, n);
    csvt_t f;
    csvt_init(&f, 1);
    f.cols[0].name = "c70";
    f.cols[1].name = "c3";
    f.cols[2].name = "c99";
    assert_int_equal(csvt_read(&f, p), TIDE_OK);
    assert_int_equal(f.r.n, 2);
    assert_string_equal(csvt_name(f.u, 2), "1070");
    assert_string_equal(csvt_name(f.i, 1), "3");
    assert_int_equal(CSVT_I64(f, 2, 1), 1099);
    csvt_free(&f);
    csvt_init(&f, 0); /* by index, no header: the header line is a row with a bad time */
    f.cols[0].index = 70;
    f.cols[2].index = 99;
    assert_int_equal(csvt_read(&f, p), TIDE_OK);
    assert_int_equal(f.r.n, 2);
    assert_int_equal(f.r.bad[TIDE_BAD_TIME], 1);
    assert_int_equal(CSVT_I64(f, 2, 0), 99);
    csvt_free(&f);
    unlink(p);
}

static void test_duplicate_header_name(void **st)
{
    (void)st;
    csvt_t f;
    csvt_init(&f, 1);
    const char *p = CSVT("user,item,ts,item\nu,i,1,j\n");
    assert_int_equal(csvt_read(&f, p), TIDE_ERR);
    assert_non_null(strstr(tide_error(), p));
    assert_non_null(strstr(tide_error(), "'item'"));
    assert_non_null(strstr(tide_error(), "fields 2 and 4"));
    csvt_free(&f);
    unlink(p);
    csvt_init(&f, 1); /* a repeated name nobody selected is fine */
    p = CSVT("user,x,item,x,ts\nu,1,i,2,7\n");
    assert_int_equal(csvt_read(&f, p), TIDE_OK);
    assert_int_equal(f.r.n, 1);
    assert_int_equal(CSVT_I64(f, 2, 0), 7);
    csvt_free(&f);
    unlink(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nfields_below_selected_field),
        cmocka_unit_test(test_short_rows_never_kept),
        cmocka_unit_test(test_many_fields),
        cmocka_unit_test(test_duplicate_header_name),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
