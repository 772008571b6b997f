/* test_csv_quote.c — quotes that do not close where a record should end (issue 13, item 1).
 * A stray quote at the start of a field used to swallow every line up to the next quote (or
 * the end of the file) into one dropped row: 1,000 rows, one stray quote, 989 rows gone and
 * one drop counted. Now a quoted field that spans lines is accepted only when the record it
 * ends is consistent (closing quote followed by a separator or the line end, and the expected
 * field count); otherwise the line where the quote opened is dropped as unterminated_quote and
 * reading resumes on the next line. Properly quoted embedded newlines still work, and the
 * lines they occupy are counted, so lines = header + kept + dropped + blank + quoted_lines. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "csv_test_util.h"

/* header + 1000 rows "u<k>,i<k>,<k>" with `bad` rows replaced (row k is on line k + 2) */
static const char *thousand(const int *rows, const char *const *text, int nbad)
{
    static char buf[32768];
    size_t n = (size_t)sprintf(buf, "user,item,ts\n");
    for (int k = 0; k < 1000; k++) {
        const char *t = NULL;
        for (int b = 0; b < nbad; b++)
            if (rows[b] == k) t = text[b];
        if (t) n += (size_t)sprintf(buf + n, t, k, k, k);
        else n += (size_t)sprintf(buf + n, "u%d,i%d,%d\n", k, k, k);
    }
    return csvt_write(buf, n);
}

static void check_accounting(const csvt_t *f)
{
    assert_int_equal(f->r.lines, 1 + f->r.n + csvt_dropped(&f->r) + f->r.blank + f->r.quoted_lines);
}

/* Every row except row `skip1` (and `skip2`) is kept with its own values. */
static void check_rows(const csvt_t *f, int skip1, int skip2)
{
    int64_t j = 0;
    for (int k = 0; k < 1000; k++) {
        if (k == skip1 || k == skip2) continue;
        assert_int_equal(CSVT_I64(*f, 2, j), k);
        j++;
    }
    assert_int_equal(j, f->r.n);
}

static void test_one_stray_quote_drops_one_row(void **st)
{
    (void)st;
    int rows[] = {10};
    const char *text[] = {"u%d,\"i%d,%d\n"};
    const char *p = thousand(rows, text, 1);
    for (size_t chunk = 0; chunk <= 64; chunk += 9) { /* the chunk size must not matter */
        csvt_t f;
        csvt_init(&f, 1);
        if (chunk) f.o.chunk = chunk;
        assert_int_equal(csvt_read(&f, p), TIDE_OK);
        assert_int_equal(f.r.n, 999);
        assert_int_equal(f.r.bad[TIDE_BAD_QUOTE], 1);
        assert_int_equal(csvt_dropped(&f.r), 1);
        assert_int_equal(f.r.lines, 1001);
        assert_non_null(strstr(f.r.first_bad, "line 12"));
        check_accounting(&f);
        check_rows(&f, 10, -1);
        csvt_free(&f);
    }
    csvt_t f;
    csvt_init(&f, 1);
    f.o.strict = 1;
    assert_int_equal(csvt_read(&f, p), TIDE_ERR);
    assert_non_null(strstr(tide_error(), p));
    assert_non_null(strstr(tide_error(), "line 12"));
    assert_non_null(strstr(tide_error(), "unterminated_quote"));
    csvt_free(&f);
    unlink(p);
}

/* The stray quote closes on a later stray quote: the record that results is inconsistent
 * (text after the closing quote, or the wrong field count), so only the opening line drops. */
static void test_stray_quote_closed_later(void **st)
{
    (void)st;
    int rows[] = {10, 500};
    const char *text_a[] = {"u%d,\"i%d,%d\n", "u%d,\"i%d,%d\n"};
    const char *p = thousand(rows, text_a, 2);
    csvt_t f;
    csvt_init(&f, 1);
    assert_int_equal(csvt_read(&f, p), TIDE_OK);
    assert_int_equal(f.r.n, 998);
    assert_int_equal(f.r.bad[TIDE_BAD_QUOTE], 2);
    check_accounting(&f);
    check_rows(&f, 10, 500);
    csvt_free(&f);
    unlink(p);
    const char *text_b[] = {"u%d,\"i%d,%d\n", "u%d,x\",%d,%d\n"}; /* 4 fields, expected 3 */
    p = thousand(rows, text_b, 2);
    csvt_init(&f, 1);
    assert_int_equal(csvt_read(&f, p), TIDE_OK);
    assert_int_equal(f.r.n, 998);
    assert_int_equal(f.r.bad[TIDE_BAD_QUOTE], 1);
    assert_int_equal(f.r.bad[TIDE_BAD_FIELDS], 1);
    check_accounting(&f);
    check_rows(&f, 10, 500);
    csvt_free(&f);
    unlink(p);
}

static void test_embedded_newlines_still_read(void **st)
{
    (void)st;
    const char *p = CSVT("user,item,ts\nu1,\"a\nb\",1\n\"u\n\n2\",\"c,\"\"d\"\"\",2\nu3,e,3\nu4,\"f");
    for (size_t chunk = 1; chunk <= 12; chunk++) {
        csvt_t f;
        csvt_init(&f, 1);
        f.o.chunk = chunk;
        assert_int_equal(csvt_read(&f, p), TIDE_OK);
        assert_int_equal(f.r.n, 3);
        assert_string_equal(csvt_name(f.i, 1), "a\nb");
        assert_string_equal(csvt_name(f.u, 2), "u\n\n2");
        assert_string_equal(csvt_name(f.i, 2), "c,\"d\"");
        assert_int_equal(CSVT_I64(f, 2, 2), 3);
        assert_int_equal(f.r.quoted_lines, 3);
        assert_int_equal(f.r.bad[TIDE_BAD_QUOTE], 1); /* the last line never closes its quote */
        check_accounting(&f);
        csvt_free(&f);
    }
    unlink(p);
}

static void test_unterminated_quote_in_header(void **st)
{
    (void)st;
    const char *p = CSVT("user,\"item,ts\nu1,i1,1\nu2,i2,2\n");
    csvt_t f;
    csvt_init(&f, 1);
    assert_int_equal(csvt_read(&f, p), TIDE_ERR);
    assert_non_null(strstr(tide_error(), p));
    assert_non_null(strstr(tide_error(), "line 1"));
    assert_non_null(strstr(tide_error(), "quote"));
    csvt_free(&f);
    unlink(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_one_stray_quote_drops_one_row),
        cmocka_unit_test(test_stray_quote_closed_later),
        cmocka_unit_test(test_embedded_newlines_still_read),
        cmocka_unit_test(test_unterminated_quote_in_header),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
