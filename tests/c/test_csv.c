/* test_csv.c — the streaming CSV reader: quoting, separators, CRLF, BOM, header/no header,
 * gzip, every malformed-row reason (skipped and counted, or a strict error naming file, line
 * and column), file-level errors, chunk-boundary invariance, and a fuzz pass over random and
 * mutated bytes. Field converters are checked against independent computations (strtod, a
 * day-by-day calendar walk). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include <cmocka.h>

#include "csv.h"
#include "error.h"

static char g_path[64];

static const char *write_tmp(const char *data, size_t n)
{
    snprintf(g_path, sizeof g_path, "/tmp/tide_test_csv_XXXXXX");
    int fd = mkstemp(g_path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, data, n), (ssize_t)n);
    close(fd);
    return g_path;
}
#define TMP(s) write_tmp((s), sizeof(s) - 1)

/* user(id), item(id), time, price(float) by name */
typedef struct {
    tide_intern *u, *i;
    tide_csv_col cols[4];
    tide_csv_opts o;
    tide_csv_result r;
} fx_t;

static void fx_init(fx_t *f)
{
    memset(f, 0, sizeof *f);
    f->u = tide_intern_new(0);
    f->i = tide_intern_new(0);
    f->cols[0] = (tide_csv_col){"user", 0, TIDE_CSV_ID, 0, 0, f->u};
    f->cols[1] = (tide_csv_col){"item", 0, TIDE_CSV_ID, 0, 0, f->i};
    f->cols[2] = (tide_csv_col){"ts", 0, TIDE_CSV_TIME, TIDE_TIME_AUTO, 0, NULL};
    f->cols[3] = (tide_csv_col){"price", 0, TIDE_CSV_FLOAT, 0, 0, NULL};
    tide_csv_opts_init(&f->o);
    f->o.header = 1;
}

static void fx_free(fx_t *f)
{
    tide_csv_result_free(&f->r);
    tide_intern_free(f->u);
    tide_intern_free(f->i);
    unlink(g_path);
}

static int fx_read(fx_t *f, const char *path) { return tide_csv_read(path, &f->o, f->cols, 4, &f->r); }

#define I32(f, c, k) (((int32_t *)(f).r.cols[c])[k])
#define I64(f, c, k) (((int64_t *)(f).r.cols[c])[k])
#define F32(f, c, k) (((float *)(f).r.cols[c])[k])

static void test_basic(void **st)
{
    (void)st;
    fx_t f;
    fx_init(&f);
    /* extra column, columns out of order, quoted field with comma, newline and "" */
    const char *p = TMP("price,user,skip,item,ts\n"
                        "1.5,alice,\"x,y\",i1,100\n"
                        "2.25,bob,\"multi\nline \"\"q\"\"\",i2,2020-01-02T03:04:05Z\n"
                        "-3e2,alice,,i1,1970-01-01 00:00:10\n");
    assert_int_equal(fx_read(&f, p), TIDE_OK);
    assert_int_equal(f.r.n, 3);
    assert_int_equal(I32(f, 0, 0), 1);
    assert_int_equal(I32(f, 0, 1), 2);
    assert_int_equal(I32(f, 0, 2), 1);
    assert_int_equal(I32(f, 1, 1), 2);
    assert_int_equal(I64(f, 2, 0), 100);
    /* 2020-01-02 = 18263 days after the epoch (Python: date(2020,1,2)-date(1970,1,1)) */
    assert_int_equal(I64(f, 2, 1), 18263LL * 86400 + 3 * 3600 + 4 * 60 + 5);
    assert_int_equal(I64(f, 2, 2), 10);
    assert_float_equal(F32(f, 3, 0), 1.5, 0);
    assert_float_equal(F32(f, 3, 2), -300.0, 0);
    assert_int_equal(f.r.lines, 5); /* header + 3 records, one spanning two lines */
    assert_int_equal(f.r.header_fields, 5);
    size_t len;
    const char *k = tide_intern_name(f.u, 2, &len);
    assert_int_equal(len, 3);
    assert_memory_equal(k, "bob", 3);
    fx_free(&f);
}

static void test_crlf_bom_blank(void **st)
{
    (void)st;
    fx_t f;
    fx_init(&f);
    const char *p = TMP("\xEF\xBB\xBFuser,item,ts,price\r\nu,\"i\",5,1\r\n\r\nv,j,6,2\r\n");
    assert_int_equal(fx_read(&f, p), TIDE_OK);
    assert_int_equal(f.r.n, 2);
    assert_int_equal(f.r.blank, 1);
    assert_int_equal(I64(f, 2, 1), 6);
    assert_float_equal(F32(f, 3, 1), 2.0, 0);
    size_t len;
    tide_intern_name(f.i, 1, &len);
    assert_int_equal(len, 1); /* no stray \r kept in ids */
    fx_free(&f);
}

static void test_sep_noheader_ws(void **st)
{
    (void)st;
    tide_intern *u = tide_intern_new(0);
    tide_csv_col c[3] = {{NULL, 2, TIDE_CSV_ID, 0, 0, u}, {NULL, 0, TIDE_CSV_INT, 0, 0, NULL},
                         {NULL, 0, TIDE_CSV_LINE, 0, 0, NULL}};
    tide_csv_opts o;
    tide_csv_opts_init(&o);
    o.sep = '\t';
    tide_csv_result r;
    const char *p = TMP("7\tx\tA\n-8\ty\tB\n");
    assert_int_equal(tide_csv_read(p, &o, c, 3, &r), TIDE_OK);
    assert_int_equal(r.n, 2);
    assert_int_equal(((int64_t *)r.cols[1])[1], -8);
    assert_int_equal(((int64_t *)r.cols[2])[1], 2);
    tide_csv_result_free(&r);
    unlink(p);
    /* whitespace mode: leading blanks, runs of blanks (CDNOW layout), YYYYMMDD dates */
    tide_csv_col w[2] = {{NULL, 0, TIDE_CSV_ID, 0, 0, u}, {NULL, 1, TIDE_CSV_TIME, TIDE_TIME_YMD, 0, NULL}};
    tide_csv_opts_init(&o);
    o.whitespace = 1;
    p = TMP(" 00001 19970101  1   11.77\r\n   00002 19970112  1   12.00\n");
    assert_int_equal(tide_csv_read(p, &o, w, 2, &r), TIDE_OK);
    assert_int_equal(r.n, 2);
    assert_int_equal(((int64_t *)r.cols[1])[0], 852076800LL); /* date -d 1997-01-01 +%s */
    tide_csv_result_free(&r);
    unlink(p);
    /* multi-byte separator "::" read as ':' with empty fields between (MovieLens 1M) */
    tide_csv_col m[2] = {{NULL, 0, TIDE_CSV_ID, 0, 0, u}, {NULL, 6, TIDE_CSV_TIME, TIDE_TIME_EPOCH, 0, NULL}};
    tide_csv_opts_init(&o);
    o.sep = ':';
    p = TMP("1::1193::5::978300760\n");
    assert_int_equal(tide_csv_read(p, &o, m, 2, &r), TIDE_OK);
    assert_int_equal(r.n, 1);
    assert_int_equal(((int64_t *)r.cols[1])[0], 978300760);
    tide_csv_result_free(&r);
    unlink(p);
    tide_intern_free(u);
}

/* One row per malformed kind; every reason counted once, no ids created by bad rows. */
static void test_bad_rows(void **st)
{
    (void)st;
    fx_t f;
    fx_init(&f);
    const char *p = TMP("user,item,ts,price\n"
                        "ok1,a,1,1\n"
                        "u2,b,2\n"              /* field_count */
                        "u3,c,3x,1\n"           /* bad_timestamp */
                        "u4,d,4,1.2.3\n"        /* bad_number */
                        "u5,\xC3\x28,5,1\n"     /* invalid_utf8 */
                        ",e,6,1\n"              /* empty_id */
                        "u7,f,,1\n"             /* missing_value */
                        "u8,g,2021-02-29,1\n"   /* bad_timestamp (not a leap year) */
                        "u9,\"h\"x,9,1\n"       /* unterminated/stray quote */
                        "ok2,a,10,2\n"
                        "u11,\"never closed,11,1\n");
    assert_int_equal(fx_read(&f, p), TIDE_OK);
    assert_int_equal(f.r.n, 2);
    assert_int_equal(f.r.bad[TIDE_BAD_FIELDS], 1);
    assert_int_equal(f.r.bad[TIDE_BAD_TIME], 2);
    assert_int_equal(f.r.bad[TIDE_BAD_NUMBER], 1);
    assert_int_equal(f.r.bad[TIDE_BAD_UTF8], 1);
    assert_int_equal(f.r.bad[TIDE_BAD_EMPTY_ID], 1);
    assert_int_equal(f.r.bad[TIDE_BAD_MISSING], 1);
    assert_int_equal(f.r.bad[TIDE_BAD_QUOTE], 2);
    assert_int_equal(tide_intern_size(f.u), 2); /* only ok1, ok2 */
    assert_int_equal(tide_intern_size(f.i), 1);
    assert_non_null(strstr(f.r.first_bad, "line 3"));
    fx_free(&f);
}

static void test_strict(void **st)
{
    (void)st;
    fx_t f;
    fx_init(&f);
    f.o.strict = 1;
    const char *p = TMP("user,item,ts,price\nok,a,1,1\n\"q\nx\",b,2,1\nu,c,3,abc\n");
    assert_int_equal(fx_read(&f, p), TIDE_ERR);
    /* the bad row starts on line 5 (a quoted newline occupies line 3-4) */
    assert_non_null(strstr(tide_error(), p));
    assert_non_null(strstr(tide_error(), "line 5"));
    assert_non_null(strstr(tide_error(), "column 'price'"));
    assert_non_null(strstr(tide_error(), "bad_number"));
    fx_free(&f);
}

static void test_file_errors(void **st)
{
    (void)st;
    fx_t f;
    fx_init(&f);
    assert_int_equal(fx_read(&f, "/nonexistent/tide.csv"), TIDE_ERR);
    assert_non_null(strstr(tide_error(), "/nonexistent/tide.csv: cannot open"));
    tide_csv_result_free(&f.r);
    const char *p = write_tmp("", 0);
    assert_int_equal(fx_read(&f, p), TIDE_ERR);
    assert_non_null(strstr(tide_error(), "empty file"));
    tide_csv_result_free(&f.r);
    unlink(p);
    p = TMP("user,item,time,price\n1,2,3,4\n");
    assert_int_equal(fx_read(&f, p), TIDE_ERR);
    assert_non_null(strstr(tide_error(), "missing column 'ts'"));
    assert_non_null(strstr(tide_error(), "user,item,time,price"));
    tide_csv_result_free(&f.r);
    unlink(p);
    p = TMP("user,item,ts,price\n"); /* header only: zero rows, not an error */
    assert_int_equal(fx_read(&f, p), TIDE_OK);
    assert_int_equal(f.r.n, 0);
    fx_free(&f);
}

static const char *write_gz(const char *data, size_t n, size_t cut)
{
    snprintf(g_path, sizeof g_path, "/tmp/tide_test_gz_XXXXXX");
    int fd = mkstemp(g_path);
    close(fd);
    gzFile g = gzopen(g_path, "wb");
    gzwrite(g, data, (unsigned)n);
    gzclose(g);
    if (cut) { /* chop the last `cut` bytes off the compressed file */
        FILE *fp = fopen(g_path, "rb");
        fseek(fp, 0, SEEK_END);
        long sz = ftell(fp);
        fclose(fp);
        assert_int_equal(truncate(g_path, sz - (long)cut), 0);
    }
    return g_path;
}

static void test_gzip(void **st)
{
    (void)st;
    /* big enough to need several chunks */
    size_t cap = 1 << 20, n = 0;
    char *buf = malloc(cap);
    n += (size_t)sprintf(buf, "user,item,ts,price\n");
    for (int i = 0; i < 20000; i++) n += (size_t)sprintf(buf + n, "u%d,i%d,%d,%d.5\n", i % 97, i % 13, i, i);
    fx_t f;
    fx_init(&f);
    f.o.chunk = 4096;
    const char *p = write_gz(buf, n, 0);
    assert_int_equal(fx_read(&f, p), TIDE_OK);
    assert_int_equal(f.r.n, 20000);
    assert_int_equal(tide_intern_size(f.u), 97);
    assert_int_equal(I64(f, 2, 19999), 19999);
    assert_float_equal(F32(f, 3, 10), 10.5, 0);
    /* the same without the inflate-ahead thread */
    setenv("TIDE_THREADS", "1", 1);
    fx_t g;
    fx_init(&g);
    g.o.chunk = 4096;
    assert_int_equal(fx_read(&g, p), TIDE_OK);
    unsetenv("TIDE_THREADS");
    assert_int_equal(g.r.n, f.r.n);
    assert_memory_equal(g.r.cols[0], f.r.cols[0], (size_t)f.r.n * 4);
    assert_memory_equal(g.r.cols[2], f.r.cols[2], (size_t)f.r.n * 8);
    tide_csv_result_free(&g.r);
    tide_intern_free(g.u);
    tide_intern_free(g.i);
    fx_free(&f);
    fx_init(&f);
    p = write_gz(buf, n, 300);
    assert_int_equal(fx_read(&f, p), TIDE_ERR);
    assert_non_null(strstr(tide_error(), "truncated gzip"));
    fx_free(&f);
    free(buf);
}

/* The result must not depend on where chunk boundaries fall. */
static void test_chunk_invariance(void **st)
{
    (void)st;
    static const char data[] = "user,item,ts,price\r\n\"a,\"\"1\",x,1,1.25\r\n\r\nb,\"y\ny\",2,2\n"
                               "c,z,3\nd,w,4,4\n\"e\",\"v\",5,5";
    fx_t ref;
    fx_init(&ref);
    const char *p = TMP(data);
    char path[64];
    strcpy(path, p);
    assert_int_equal(fx_read(&ref, path), TIDE_OK);
    assert_int_equal(ref.r.n, 4);
    assert_int_equal(ref.r.bad[TIDE_BAD_FIELDS], 1);
    for (size_t chunk = 1; chunk <= 40; chunk++) {
        fx_t f;
        fx_init(&f);
        f.o.chunk = chunk;
        assert_int_equal(fx_read(&f, path), TIDE_OK);
        assert_int_equal(f.r.n, ref.r.n);
        assert_int_equal(f.r.lines, ref.r.lines);
        for (int k = 0; k < TIDE_BAD_NREASONS; k++) assert_int_equal(f.r.bad[k], ref.r.bad[k]);
        for (int64_t i = 0; i < ref.r.n; i++) {
            assert_int_equal(I32(f, 0, i), I32(ref, 0, i));
            assert_int_equal(I64(f, 2, i), I64(ref, 2, i));
            assert_float_equal(F32(f, 3, i), F32(ref, 3, i), 0);
        }
        tide_csv_result_free(&f.r);
        tide_intern_free(f.u);
        tide_intern_free(f.i);
    }
    size_t len;
    const char *k = tide_intern_name(ref.u, 1, &len);
    assert_int_equal(len, 4);
    assert_memory_equal(k, "a,\"1", 4);
    fx_free(&ref);
}

static void test_max_rows(void **st)
{
    (void)st;
    fx_t f;
    fx_init(&f);
    f.o.max_rows = 2;
    const char *p = TMP("user,item,ts,price\na,x,1,1\nb,y,2,2\nc,z,3,3\n");
    assert_int_equal(fx_read(&f, p), TIDE_OK);
    assert_int_equal(f.r.n, 2);
    fx_free(&f);
}

/* ---- converters ---- */
static void test_parse_numbers(void **st)
{
    (void)st;
    int64_t v;
    const char *s = "9223372036854775807";
    assert_true(tide_parse_i64(s, s + strlen(s), &v));
    assert_true(v == INT64_MAX);
    s = "9223372036854775808";
    assert_false(tide_parse_i64(s, s + strlen(s), &v));
    s = "-42";
    assert_true(tide_parse_i64(s, s + 3, &v));
    assert_int_equal(v, -42);
    const char *badi[] = {"", "-", "1.0", "1e3", " 1", "0x10"};
    for (size_t i = 0; i < sizeof badi / sizeof *badi; i++)
        assert_false(tide_parse_i64(badi[i], badi[i] + strlen(badi[i]), &v));
    const char *good[] = {"0", "1.5", "-0.001", "12345.678", "1e10", "2.5E-3", ".5", "5.", "+7",
                          "123456789012345678901234", "0.000000000000000000001234", "1e300"};
    for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
        double d;
        assert_true(tide_parse_f64(good[i], good[i] + strlen(good[i]), &d));
        double want = strtod(good[i], NULL);
        assert_true(fabs(d - want) <= 1e-15 * fabs(want));
    }
    const char *badf[] = {"", ".", "e5", "1e", "1.2.3", "abc", "1e999", "nan", "--1"};
    for (size_t i = 0; i < sizeof badf / sizeof *badf; i++) {
        double d;
        assert_false(tide_parse_f64(badf[i], badf[i] + strlen(badf[i]), &d));
    }
}

/* days_from_civil against a day-by-day walk from 1970 (independent of the formula) */
static void test_days_from_civil(void **st)
{
    (void)st;
    static const int md[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int64_t day = 0;
    for (int y = 1970; y < 2101; y++)
        for (int m = 1; m <= 12; m++) {
            int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
            int n = md[m - 1] + (m == 2 && leap);
            for (int d = 1; d <= n; d++, day++) assert_int_equal(tide_days_from_civil(y, (unsigned)m, (unsigned)d), day);
        }
    day = 0;
    for (int y = 1969; y >= 1600; y--) /* backwards: Dec 31 1969 is -1 */
        for (int m = 12; m >= 1; m--) {
            int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
            int n = md[m - 1] + (m == 2 && leap);
            for (int d = n; d >= 1; d--) assert_int_equal(tide_days_from_civil(y, (unsigned)m, (unsigned)d), --day);
        }
}

static void test_parse_time(void **st)
{
    (void)st;
    struct {
        const char *s;
        tide_time_fmt f;
        int ok;
        int64_t want;
    } cases[] = {
        {"1511848894", TIDE_TIME_AUTO, 1, 1511848894},
        {"1511848894.75", TIDE_TIME_EPOCH, 1, 1511848894},
        {"1511848894123", TIDE_TIME_EPOCH_MS, 1, 1511848894},
        {"2017-11-28T06:01:34Z", TIDE_TIME_AUTO, 1, 1511848894},   /* date -u -d @1511848894 */
        {"2017-11-28 06:01:34", TIDE_TIME_ISO, 1, 1511848894},
        {"2017-11-28T14:01:34+08:00", TIDE_TIME_ISO, 1, 1511848894},
        {"2017-11-28T01:01:34-0500", TIDE_TIME_ISO, 1, 1511848894},
        {"2017-11-28T06:01:34.999", TIDE_TIME_ISO, 1, 1511848894},
        {"2017-11-28", TIDE_TIME_ISO, 1, 1511827200},
        {"2010-12-01 08:26", TIDE_TIME_ISO, 1, 1291191960},
        {"20000229", TIDE_TIME_YMD, 1, 951782400},
        {"19000229", TIDE_TIME_YMD, 0, 0},
        {"2017-13-01", TIDE_TIME_ISO, 0, 0},
        {"2017-11-31", TIDE_TIME_ISO, 0, 0},
        {"2017-11-28T25:00", TIDE_TIME_ISO, 0, 0},
        {"2017-11-28X06:01", TIDE_TIME_ISO, 0, 0},
        {"2017/11/28", TIDE_TIME_AUTO, 0, 0},
        {"", TIDE_TIME_AUTO, 0, 0},
        {"99999999999999", TIDE_TIME_EPOCH, 0, 0},
        {"12a", TIDE_TIME_EPOCH, 0, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        int64_t v = -1;
        int ok = tide_parse_time(cases[i].s, cases[i].s + strlen(cases[i].s), cases[i].f, &v);
        if (ok != cases[i].ok) fail_msg("case %s: ok %d", cases[i].s, ok);
        if (ok && v != cases[i].want) fail_msg("case %s: got %lld", cases[i].s, (long long)v);
    }
}

static void test_utf8(void **st)
{
    (void)st;
    const char *good[] = {"abc", "\xC3\xA9", "\xE4\xB8\xAD\xE6\x96\x87", "\xF0\x9F\x98\x80", "\xEF\xBB\xBF"};
    const char *bad[] = {"\xC0\x80", "\xC3", "\xED\xA0\x80", "\xF4\x90\x80\x80", "\xE0\x80\xAF", "\xFF", "a\x80"};
    for (size_t i = 0; i < sizeof good / sizeof *good; i++) assert_true(tide_utf8_valid(good[i], strlen(good[i])));
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) assert_false(tide_utf8_valid(bad[i], strlen(bad[i])));
}

/* Random bytes and mutations of a valid file, several chunk sizes: never crash, and the
 * accounting holds (kept + skipped rows never exceed the records read). */
static void test_fuzz(void **st)
{
    (void)st;
    static const char seed[] = "user,item,ts,price\nu1,\"i,1\",1,1.5\nu2,i2,2017-01-01 00:00:00,2\r\n"
                               "\"u\"\"3\",i3,3,3e2\n\nu4,i\xC3\xA9,4,4\n";
    char buf[256];
    uint64_t x = 88172645463325252ULL;
    for (int iter = 0; iter < 3000; iter++) {
        size_t n;
        if (iter % 3 == 0) { /* random bytes from a CSV-ish alphabet */
            static const char alpha[] = "ab1,\"\n\r.-:T \xC3\xA9\xFF";
            n = (size_t)(x % 120);
            for (size_t i = 0; i < n; i++) {
                x ^= x << 13; x ^= x >> 7; x ^= x << 17;
                buf[i] = alpha[x % (sizeof alpha - 1)];
            }
            memcpy(buf, "user,item,ts,price\n", 19 < n ? 19 : n);
        } else { /* mutate the seed: flip, delete or insert bytes */
            n = sizeof seed - 1;
            memcpy(buf, seed, n);
            for (int m = 0; m < 1 + iter % 4; m++) {
                x ^= x << 13; x ^= x >> 7; x ^= x << 17;
                size_t pos = x % n;
                int op = (int)((x >> 20) % 3);
                if (op == 0) buf[pos] = (char)(x >> 32);
                else if (op == 1 && n > 1) { memmove(buf + pos, buf + pos + 1, n - pos - 1); n--; }
                else if (n < sizeof buf - 1) { memmove(buf + pos + 1, buf + pos, n - pos); buf[pos] = "\",\n\r"[(x >> 40) % 4]; n++; }
            }
        }
        const char *p = write_tmp(buf, n);
        fx_t f;
        fx_init(&f);
        f.o.chunk = 1 + (size_t)(iter % 17);
        f.o.header = iter % 5 != 0;
        if (!f.o.header)
            for (int c = 0; c < 4; c++) { f.cols[c].name = NULL; f.cols[c].index = c; }
        f.o.strict = iter % 7 == 0;
        int rc = fx_read(&f, p);
        if (rc == TIDE_OK) {
            int64_t skipped = 0;
            for (int k = 0; k < TIDE_BAD_NREASONS; k++) skipped += f.r.bad[k];
            assert_true(f.r.n + skipped + f.r.blank <= f.r.lines + 1);
            assert_true(tide_intern_size(f.u) <= (uint64_t)f.r.n);
        } else {
            assert_true(strlen(tide_error()) > 0);
        }
        fx_free(&f);
    }
}

/* A file large enough to be split across threads must read exactly as it does sequentially
 * (TIDE_THREADS=1): same rows, ids in the same first-appearance order, line numbers, counts.
 * The second file has quoted newlines everywhere, so splits land inside records and the
 * reader must fall back to a sequential pass. */
static void compare_threads_split(const char *p, int header, int64_t want_n, size_t split_min)
{
    tide_csv_result r[2];
    tide_intern *in[2][2];
    for (int k = 0; k < 2; k++) {
        setenv("TIDE_THREADS", k ? "4" : "1", 1);
        in[k][0] = tide_intern_new(0);
        in[k][1] = tide_intern_new(0);
        tide_csv_col c[4] = {{header ? "user" : NULL, 0, TIDE_CSV_ID, 0, 0, in[k][0]},
                             {header ? "item" : NULL, 1, TIDE_CSV_ID, 0, 0, in[k][1]},
                             {header ? "ts" : NULL, 3, TIDE_CSV_TIME, TIDE_TIME_EPOCH, 0, NULL},
                             {NULL, 0, TIDE_CSV_LINE, 0, 0, NULL}};
        tide_csv_opts o;
        tide_csv_opts_init(&o);
        o.header = header;
        o.split_min = split_min;
        assert_int_equal(tide_csv_read(p, &o, c, 4, &r[k]), TIDE_OK);
    }
    unsetenv("TIDE_THREADS");
    assert_int_equal(r[0].n, r[1].n);
    if (want_n >= 0) assert_int_equal(r[0].n, want_n);
    assert_int_equal(r[0].lines, r[1].lines);
    assert_int_equal(r[0].blank, r[1].blank);
    assert_true(r[0].bytes == r[1].bytes);
    assert_string_equal(r[0].first_bad, r[1].first_bad);
    for (int b = 0; b < TIDE_BAD_NREASONS; b++) assert_int_equal(r[0].bad[b], r[1].bad[b]);
    assert_memory_equal(r[0].cols[0], r[1].cols[0], (size_t)r[0].n * 4);
    assert_memory_equal(r[0].cols[1], r[1].cols[1], (size_t)r[0].n * 4);
    assert_memory_equal(r[0].cols[2], r[1].cols[2], (size_t)r[0].n * 8);
    assert_memory_equal(r[0].cols[3], r[1].cols[3], (size_t)r[0].n * 8);
    for (int j = 0; j < 2; j++) {
        assert_int_equal(tide_intern_size(in[0][j]), tide_intern_size(in[1][j]));
        assert_int_equal(in[0][j]->arena_len, in[1][j]->arena_len);
        assert_memory_equal(in[0][j]->arena, in[1][j]->arena, in[0][j]->arena_len);
    }
    for (int k = 0; k < 2; k++) {
        tide_csv_result_free(&r[k]);
        tide_intern_free(in[k][0]);
        tide_intern_free(in[k][1]);
    }
}

static void compare_threads(const char *p, int header, int64_t want_n) { compare_threads_split(p, header, want_n, 0); }

static void split_small(const char *data, size_t n, int header)
{
    const char *p = write_tmp(data, n);
    compare_threads_split(p, header, 200, 64);
    unlink(p);
}

/* Small files split into parts of 64 bytes (split_min), each a case the fuzzer found where
 * the parts read differently from one sequential pass. */
static void test_parallel_small_parts(void **st)
{
    (void)st;
    char buf[8192];
    size_t n = 0;
    /* a blank line before the header: the header is the next line, not the empty one */
    n = (size_t)snprintf(buf, sizeof buf, "\nuser,item,x,ts\n");
    for (int i = 0; i < 200; i++) n += (size_t)snprintf(buf + n, sizeof buf - n, "u%d,i%d,%d,%d\n", i % 7, i % 5, i, i);
    split_small(buf, n, 1);
    /* CRLF line ends and a lone CR inside later lines: every part ends lines at LF, as the
     * first line says, never at a CR it happens to meet first */
    n = 0;
    for (int i = 0; i < 200; i++)
        n += (size_t)snprintf(buf + n, sizeof buf - n, i % 3 ? "u%d,i%d,a\rb,%d\r\n" : "u%d,i%d,ab,%d\r\n", i % 7, i % 5, i);
    split_small(buf, n, 0);
    /* BOM bytes at the start of a line mid-file are data, not a BOM to skip */
    n = 0;
    for (int i = 0; i < 200; i++) n += (size_t)snprintf(buf + n, sizeof buf - n, "\xEF\xBB\xBFu%d,i%d,x,%d\n", i % 7, i % 5, i);
    split_small(buf, n, 0);
}

static void test_parallel_matches_sequential(void **st)
{
    (void)st;
    snprintf(g_path, sizeof g_path, "/tmp/tide_test_par_XXXXXX");
    int fd = mkstemp(g_path);
    FILE *f = fdopen(fd, "w");
    fprintf(f, "user,item,x,ts\n");
    uint64_t x = 7;
    for (int i = 0; i < 700000; i++) {
        x ^= x << 13; x ^= x >> 7; x ^= x << 17;
        if (x % 1000 == 0) fprintf(f, "bad,row\n");
        else if (x % 1000 == 1) fprintf(f, "\n");
        else if (x % 1000 == 2) fprintf(f, "u%d,i%d,z,12x\n", (int)(x % 5000), (int)(x % 300));
        else fprintf(f, "u%d,i%d,%d,%d\n", (int)(x % 5000), (int)((x >> 8) % 3000), i, 1500000000 + i);
    }
    fclose(f);
    compare_threads(g_path, 1, -1);
    unlink(g_path);
    /* quoted newlines in every row: split points land inside records */
    fd = mkstemp(strcpy(g_path, "/tmp/tide_test_parq_XXXXXX"));
    f = fdopen(fd, "w");
    fprintf(f, "user,item,note,ts\n");
    for (int i = 0; i < 500000; i++) fprintf(f, "u%d,i%d,\"a\nb,%d\",%d\n", i % 997, i % 101, i, i);
    fclose(f);
    compare_threads(g_path, 1, -1);
    unlink(g_path);
    /* no header, and the first line is short: the field count is the first line's that
     * reaches every selected field, whatever the thread count (the parallel plan used to take
     * line 1's count: 1 row kept, the rest dropped). Over 16 MB so the file is split. */
    fd = mkstemp(strcpy(g_path, "/tmp/tide_test_parn_XXXXXX"));
    f = fdopen(fd, "w");
    for (int i = 0; i < 700000; i++)
        fprintf(f, i % 777 ? "u%d,i%d,padding-padding,%d\n" : "u%d,i%d,%d\n", i % 991, i % 103, i);
    assert_true(ftell(f) > (32L << 19));
    fclose(f);
    compare_threads(g_path, 0, 700000 - 901); /* i % 777 == 0 for 901 of them */
    unlink(g_path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_basic),          cmocka_unit_test(test_crlf_bom_blank),
        cmocka_unit_test(test_sep_noheader_ws), cmocka_unit_test(test_bad_rows),
        cmocka_unit_test(test_strict),         cmocka_unit_test(test_file_errors),
        cmocka_unit_test(test_gzip),           cmocka_unit_test(test_chunk_invariance),
        cmocka_unit_test(test_max_rows),       cmocka_unit_test(test_parse_numbers),
        cmocka_unit_test(test_days_from_civil), cmocka_unit_test(test_parse_time),
        cmocka_unit_test(test_utf8),           cmocka_unit_test(test_fuzz),
        cmocka_unit_test(test_parallel_matches_sequential), cmocka_unit_test(test_parallel_small_parts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
