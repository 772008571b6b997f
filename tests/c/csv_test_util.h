/* csv_test_util.h — temp files and a small three-column read for the CSV reader tests
 * (user id, item id, epoch time). Include after <cmocka.h>. */
#ifndef TIDE_TEST_CSV_UTIL_H
#define TIDE_TEST_CSV_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "csv.h"
#include "error.h"

/* Writes n bytes to a fresh temp file; the path lives in a static buffer until the next call. */
static inline const char *csvt_write(const char *data, size_t n)
{
    static char path[64];
    snprintf(path, sizeof path, "/tmp/tide_test_csvt_XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, data, n), (ssize_t)n);
    close(fd);
    return path;
}
#define CSVT(s) csvt_write((s), sizeof(s) - 1)

/* user, item (ids) and time (epoch) by header name, or by 0-based index 0, 1, 2 without one. */
typedef struct {
    tide_intern *u, *i;
    tide_csv_col cols[3];
    tide_csv_opts o;
    tide_csv_result r;
} csvt_t;

static inline void csvt_init(csvt_t *f, int header)
{
    memset(f, 0, sizeof *f);
    f->u = tide_intern_new(0);
    f->i = tide_intern_new(0);
    f->cols[0] = (tide_csv_col){header ? "user" : NULL, 0, TIDE_CSV_ID, 0, 0, f->u};
    f->cols[1] = (tide_csv_col){header ? "item" : NULL, 1, TIDE_CSV_ID, 0, 0, f->i};
    f->cols[2] = (tide_csv_col){header ? "ts" : NULL, 2, TIDE_CSV_TIME, TIDE_TIME_EPOCH, 0, NULL};
    tide_csv_opts_init(&f->o);
    f->o.header = header;
}

static inline int csvt_read(csvt_t *f, const char *path) { return tide_csv_read(path, &f->o, f->cols, 3, &f->r); }

static inline void csvt_free(csvt_t *f)
{
    tide_csv_result_free(&f->r);
    tide_intern_free(f->u);
    tide_intern_free(f->i);
}

static inline int64_t csvt_dropped(const tide_csv_result *r)
{
    int64_t n = 0;
    for (int k = 0; k < TIDE_BAD_NREASONS; k++) n += r->bad[k];
    return n;
}

/* The key of id `id` as a NUL-terminated string (static buffer). */
static inline const char *csvt_name(tide_intern *in, int64_t id)
{
    static char buf[256];
    size_t len;
    const char *k = tide_intern_name(in, id, &len);
    assert_non_null(k);
    assert_true(len < sizeof buf);
    memcpy(buf, k, len);
    buf[len] = 0;
    return buf;
}

#define CSVT_I32(f, c, k) (((int32_t *)(f).r.cols[c])[k])
#define CSVT_I64(f, c, k) (((int64_t *)(f).r.cols[c])[k])

#endif
