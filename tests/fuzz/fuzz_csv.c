/* fuzz_csv.c — the CSV reader on arbitrary bytes under an arbitrary schema, read twice: once
 * sequentially (TIDE_THREADS=1, default chunk) and once with N threads and a tiny read chunk
 * (every record straddles chunk boundaries). Both reads must agree on the status, the error
 * message, every count and every value, and on the interned strings (README: "results never
 * depend on the thread count").
 *
 * Input layout: [threads][flags][chunk][ncols] then 2 bytes per column, then the file body.
 *   threads: N = 2 + (b & 3); bit 2 (with a body of 8+ bytes) splits the file: parts of at
 *            least split_min = 64 + 16 * chunk-byte bytes, the body repeated to fill N + 1 of
 *            them (at most 1 MB), so the reader really parses byte ranges on N threads and
 *            stitches them; otherwise the second read uses tiny chunks, and with bit 3
 *            it reads the body gzipped (inflated on the reader's helper thread)
 *   flags:   bit0 header, bit1 no quote char, bit2 whitespace-separated, bits3-4 separator
 *            (, \t ; |), bit5 strict, bit6 max_rows = 3
 *   column:  b0: type 1 + b0 % 5, time format (b0 >> 3) % 5, optional b0 >> 7;
 *            b1: field index b1 % 8, by header name when the header flag and b1 & 0x80 */
#include "fuzz_util.h"

#include <zlib.h>

#include "csv.h"
#include "error.h"

#define MAXC 5

static const char *const NAMES[8] = {"user", "item", "ts", "x", "y", "z", "w", "v"};

typedef struct {
    int rc;
    char err[512];
    tide_csv_result res;
    tide_intern *in[MAXC];
} reading;

static void read_once(reading *r, const char *path, const tide_csv_opts *o, const tide_csv_col *spec, int nc,
                      const char *threads)
{
    tide_csv_col cols[MAXC];
    memcpy(cols, spec, sizeof cols);
    for (int c = 0; c < nc; c++) {
        r->in[c] = cols[c].type == TIDE_CSV_ID ? tide_intern_new(0) : NULL;
        cols[c].intern = r->in[c];
    }
    setenv("TIDE_THREADS", threads, 1);
    r->rc = tide_csv_read(path, o, cols, nc, &r->res);
    snprintf(r->err, sizeof r->err, "%s", r->rc == TIDE_OK ? "" : tide_error());
}

static void write_gz(const char *path, const uint8_t *d, size_t n)
{
    gzFile g = gzopen(path, "wb");
    if (!g || (n && gzwrite(g, d, (unsigned)n) != (int)n) || gzclose(g) != Z_OK) abort();
}

static void release(reading *r, int nc)
{
    tide_csv_result_free(&r->res);
    for (int c = 0; c < nc; c++) tide_intern_free(r->in[c]);
}

static size_t width(tide_csv_type t) { return t == TIDE_CSV_ID || t == TIDE_CSV_FLOAT ? 4 : 8; }

static void compare(const reading *a, const reading *b, const tide_csv_col *spec, int nc)
{
    FUZZ_CHECK(a->rc == b->rc, "status %d (1 thread) vs %d: '%s' / '%s'", a->rc, b->rc, a->err, b->err);
    if (a->rc != TIDE_OK) {
        FUZZ_CHECK(!strcmp(a->err, b->err), "errors differ: '%s' vs '%s'", a->err, b->err);
        return;
    }
    const tide_csv_result *x = &a->res, *y = &b->res;
    FUZZ_CHECK(x->n == y->n, "rows %lld vs %lld", (long long)x->n, (long long)y->n);
    FUZZ_CHECK(x->lines == y->lines, "lines %lld vs %lld", (long long)x->lines, (long long)y->lines);
    FUZZ_CHECK(x->blank == y->blank, "blank %lld vs %lld", (long long)x->blank, (long long)y->blank);
    /* with max_rows too: `bytes` ends at the last row read, whatever the chunk size
     * (regression input tests/fuzz/corpus/fuzz_csv/known-bytes-with-max-rows) */
    FUZZ_CHECK(x->bytes == y->bytes, "bytes %llu vs %llu", (unsigned long long)x->bytes, (unsigned long long)y->bytes);
    FUZZ_CHECK(x->header_fields == y->header_fields, "header fields");
    for (int k = 0; k < TIDE_BAD_NREASONS; k++)
        FUZZ_CHECK(x->bad[k] == y->bad[k], "bad[%s] %lld vs %lld", tide_csv_reason_names[k], (long long)x->bad[k],
                   (long long)y->bad[k]);
    FUZZ_CHECK(!strcmp(x->first_bad, y->first_bad), "first_bad '%s' vs '%s'", x->first_bad, y->first_bad);
    for (int c = 0; c < nc; c++) {
        size_t w = width(spec[c].type);
        FUZZ_CHECK(x->n == 0 || !memcmp(x->cols[c], y->cols[c], (size_t)x->n * w), "column %d values differ", c);
        if (spec[c].type == TIDE_CSV_ID) {
            FUZZ_CHECK(tide_intern_size(a->in[c]) == tide_intern_size(b->in[c]), "column %d: %llu vs %llu ids", c,
                       (unsigned long long)tide_intern_size(a->in[c]), (unsigned long long)tide_intern_size(b->in[c]));
            for (uint64_t id = 1; id <= tide_intern_size(a->in[c]); id++) {
                size_t l1, l2;
                const char *s1 = tide_intern_name(a->in[c], (int64_t)id, &l1);
                const char *s2 = tide_intern_name(b->in[c], (int64_t)id, &l2);
                FUZZ_CHECK(l1 == l2 && !memcmp(s1, s2, l1), "column %d id %llu names differ", c, (unsigned long long)id);
            }
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
    if (n < 4) return 0;
    int nc = 1 + d[3] % MAXC;
    size_t head = 4 + 2 * (size_t)nc;
    if (n < head) return 0;
    int threads = 2 + (d[0] & 3), split = (d[0] & 4) && n >= head + 8;
    /* a body that is itself gzip would be inflated once in one read and twice in the other */
    int gz = !split && (d[0] & 8) && !(n >= head + 2 && d[head] == 0x1f && d[head + 1] == 0x8b);
    uint8_t fl = d[1];
    tide_csv_opts o;
    tide_csv_opts_init(&o);
    o.header = fl & 1;
    if (fl & 2) o.quote = 0;
    o.whitespace = (fl >> 2) & 1;
    o.sep = ",\t;|"[(fl >> 3) & 3];
    o.strict = (fl >> 5) & 1;
    if (fl & 64) o.max_rows = 3;
    tide_csv_col spec[MAXC];
    memset(spec, 0, sizeof spec);
    for (int c = 0; c < nc; c++) {
        uint8_t b0 = d[4 + 2 * c], b1 = d[5 + 2 * c];
        spec[c].type = (tide_csv_type)(1 + b0 % 5);
        spec[c].time_fmt = (tide_time_fmt)((b0 >> 3) % 5);
        spec[c].optional = b0 >> 7;
        spec[c].index = b1 % 8;
        if (o.header && (b1 & 0x80)) spec[c].name = NAMES[b1 % 8];
    }
    const uint8_t *body = d + head;
    size_t len = n - head;
    size_t times = 1, split_min = 64 + (size_t)d[2] * 16;
    if (split) {
        times = split_min * (size_t)(threads + 1) / len + 1;
        if (times * len > ((size_t)1 << 20)) times = ((size_t)1 << 20) / len + 1;
    }
    const char *path = fuzz_scratch("csv");
    fuzz_write(path, body, len, times);
    reading a, b;
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    read_once(&a, path, &o, spec, nc, "1");
    tide_csv_opts o2 = o;
    if (split) o2.split_min = split_min;
    else o2.chunk = 1 + (size_t)d[2] * 17;
    if (gz) write_gz(path, body, len); /* same path: error messages name it */
    char nt[8];
    snprintf(nt, sizeof nt, "%d", threads);
    read_once(&b, path, &o2, spec, nc, nt);
    compare(&a, &b, spec, nc);
    release(&a, nc);
    release(&b, nc);
    return 0;
}
