/* csv_par.c — tide_csv_read: splits a large plain (not gzip) file into byte ranges at line
 * starts and parses them on several threads, then stitches the parts so the result is
 * identical to a sequential read: rows in file order, ids numbered in order of first
 * appearance, line numbers global.
 *
 * Each part interns into its own temporary interners; the merge adds each part's keys to the
 * caller's interners in part order (which reproduces first-appearance order) and rewrites
 * the part's ids through that map. A split point inside a quoted field shows up as a part that
 * does not end at a newline; the parallel result is then discarded and the file is read
 * sequentially. Strict mode, max_rows, whitespace mode, gzip and small files always read
 * sequentially. TIDE_THREADS=n caps the number of threads (1 disables the split). */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "threads.h"
#include "csv_internal.h"
#include "error.h"

#define MAX_PARTS 8
#define MIN_PART_BYTES ((uint64_t)8 << 20)
#define PROBE 65536

typedef struct {
    const char *path;
    tide_csv_opts opts;
    tide_csv_col cols[64];
    int ncols;
    tide_csv_result res;
    tide_csv_range rg;
    int rc;
    char err[512];
} part_t;

static void *run_part(void *arg)
{
    part_t *p = arg;
    p->rc = tide_csv_read_range(p->path, &p->opts, p->cols, p->ncols, &p->res, &p->rg);
    if (p->rc != TIDE_OK) snprintf(p->err, sizeof p->err, "%s", tide_error());
    return NULL;
}

static int n_threads(void) { return tide_threads_wanted(MAX_PARTS); }

/* Plans the split: part starts in starts[0..n) (starts[0] = 0), the header prefix length and
 * (without a header) a guess of the field count: that of the first line reaching every
 * selected field (nfmap of them), the rule the sequential reader follows. Part 0 learns the
 * count itself and tide_csv_read checks the guess against it, so a wrong guess costs a
 * sequential re-read, never different rows. Returns the number of parts; 1 means sequential. */
static int plan(const char *path, const tide_csv_opts *o, int64_t nfmap, uint64_t *starts, uint64_t *size,
                char *head, size_t *head_len, int64_t *nfields)
{
    if (o->strict || o->max_rows || o->whitespace || o->sep == 0) return 1;
    int want = n_threads();
    if (want < 2) return 1;
    struct stat st;
    /* stat before open: opening a fifo here would take the writer's data from the real read */
    if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) return 1;
    int fd = open(path, O_RDONLY);
    if (fd < 0) return 1;
    int n = 1;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) goto out;
    *size = (uint64_t)st.st_size;
    uint64_t min_part = o->split_min ? (uint64_t)o->split_min : MIN_PART_BYTES;
    if (*size < 2 * min_part) goto out;
    ssize_t r = pread(fd, head, PROBE, 0);
    if (r < 2 || ((unsigned char)head[0] == 0x1f && (unsigned char)head[1] == 0x8b)) goto out;
    char *nl = memchr(head, '\n', (size_t)r);
    if (!nl) goto out;
    size_t first_len = (size_t)(nl - head) + 1;
    if (o->quote && memchr(head, o->quote, first_len)) goto out; /* keep odd headers simple */
    const char *cr = memchr(head, '\r', first_len);
    if (cr && cr + 1 != nl) goto out; /* the first CR ends the line (CR line ends): sequential */
    uint64_t data_start = 0;
    size_t bom = r >= 3 && memcmp(head, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
    if (o->header) {
        /* a blank first line is skipped and the header is the next one: read sequentially */
        size_t k = bom;
        while (k < first_len && head[k] && strchr(" \t\r\n", head[k])) k++;
        if (k == first_len) goto out;
        *head_len = first_len;
        data_start = first_len;
    } else if (!o->nfields) {
        const char *b = head + bom, *end = head + r;
        for (*nfields = 0; !*nfields;) {
            const char *e = memchr(b, '\n', (size_t)(end - b));
            if (!e || (o->quote && memchr(b, o->quote, (size_t)(e - b)))) goto out;
            const char *le = e > b && e[-1] == '\r' ? e - 1 : e;
            int64_t f = 1;
            for (const char *q = b; q < le; q++) f += *q == o->sep;
            if (le > b && f >= nfmap) *nfields = f; /* blank lines do not count */
            b = e + 1;
        }
    }
    int parts = (int)((*size - data_start) / min_part);
    if (parts > want) parts = want;
    starts[0] = 0;
    n = 1;
    for (int k = 1; k < parts; k++) {
        uint64_t target = data_start + (*size - data_start) * (uint64_t)k / (uint64_t)parts;
        char buf[PROBE];
        ssize_t m = pread(fd, buf, sizeof buf, (off_t)target);
        char *q = m > 0 ? memchr(buf, '\n', (size_t)m) : NULL;
        if (!q) break;
        uint64_t s = target + (uint64_t)(q - buf) + 1;
        if (s >= *size || s <= starts[n - 1] || s <= data_start) break;
        starts[n++] = s;
    }
out:
    close(fd);
    return n;
}

static void free_parts(part_t *parts, int n)
{
    for (int k = 0; k < n; k++) {
        tide_csv_result_free(&parts[k].res);
        for (int c = 0; c < parts[k].ncols; c++)
            if (parts[k].cols[c].type == TIDE_CSV_ID) tide_intern_free(parts[k].cols[c].intern);
    }
    free(parts);
}

static size_t width(tide_csv_type t) { return t == TIDE_CSV_ID || t == TIDE_CSV_FLOAT ? 4 : 8; }

/* Stitches the parts into res (see the file comment). */
static int merge(part_t *parts, int n, const tide_csv_col *cols, int ncols, int header, tide_csv_result *res)
{
    int64_t total = 0;
    for (int k = 0; k < n; k++) total += parts[k].res.n;
    memset(res, 0, sizeof *res);
    res->ncols = ncols;
    res->cols = calloc((size_t)ncols, sizeof *res->cols);
    res->types = calloc((size_t)ncols, sizeof *res->types);
    if (!res->cols || !res->types) return tide_errorf("csv: out of memory");
    int64_t cap = total > 0 ? total : 1;
    for (int c = 0; c < ncols; c++) {
        res->types[c] = cols[c].type;
        size_t nb = ((size_t)cap * width(cols[c].type) + 63) & ~(size_t)63;
        if (!(res->cols[c] = aligned_alloc(64, nb))) return tide_errorf("csv: out of memory for %lld rows", (long long)total);
    }
    res->cap = cap;
    int64_t row = 0, lines_before = 0;
    for (int k = 0; k < n; k++) {
        tide_csv_result *pr = &parts[k].res;
        int64_t base = k == 0 ? 0 : lines_before - (header ? 1 : 0); /* part-relative -> file line */
        for (int c = 0; c < ncols; c++) {
            size_t w = width(cols[c].type);
            char *dst = (char *)res->cols[c] + (size_t)row * w;
            if (cols[c].type == TIDE_CSV_ID) {
                tide_intern *loc = parts[k].cols[c].intern;
                int32_t *map = malloc((tide_intern_size(loc) + 1) * sizeof *map);
                if (!map) return tide_errorf("csv: out of memory");
                for (uint64_t j = 1; j <= tide_intern_size(loc); j++) {
                    size_t len;
                    const char *key = tide_intern_name(loc, (int64_t)j, &len);
                    int64_t id = tide_intern_add(cols[c].intern, key, len);
                    if (id < 0) { free(map); return TIDE_ERR; }
                    map[j] = (int32_t)id;
                }
                const int32_t *src = pr->cols[c];
                for (int64_t i = 0; i < pr->n; i++) ((int32_t *)dst)[i] = map[src[i]];
                free(map);
            } else if (cols[c].type == TIDE_CSV_LINE) {
                const int64_t *src = pr->cols[c];
                for (int64_t i = 0; i < pr->n; i++) ((int64_t *)dst)[i] = src[i] + base;
            } else if (pr->n) {
                memcpy(dst, pr->cols[c], (size_t)pr->n * w);
            }
        }
        for (int r = 0; r < TIDE_BAD_NREASONS; r++) res->bad[r] += pr->bad[r];
        res->blank += pr->blank;
        res->bytes += pr->bytes - (k ? parts[k].rg.prefix_len : 0);
        if (!res->first_bad[0] && pr->first_bad[0]) {
            long long ln;
            int used = 0;
            if (k && sscanf(pr->first_bad, "line %lld%n", &ln, &used) == 1)
                snprintf(res->first_bad, sizeof res->first_bad, "line %lld%s", ln + (long long)base, pr->first_bad + used);
            else
                snprintf(res->first_bad, sizeof res->first_bad, "%s", pr->first_bad);
            char *op = strstr(res->first_bad, "opened on line "); /* the other line number in it */
            long long ol;
            if (k && op && sscanf(op, "opened on line %lld", &ol) == 1)
                snprintf(op, sizeof res->first_bad - (size_t)(op - res->first_bad), "opened on line %lld)",
                         ol + (long long)base);
        }
        lines_before += pr->lines - (k && header ? 1 : 0);
        row += pr->n;
    }
    res->n = total;
    res->lines = lines_before;
    res->header_fields = parts[0].res.header_fields;
    return TIDE_OK;
}

int tide_csv_read(const char *path, const tide_csv_opts *opts, const tide_csv_col *cols, int ncols,
                  tide_csv_result *res)
{
    uint64_t starts[MAX_PARTS], size = 0;
    static _Thread_local char head[PROBE];
    size_t head_len = 0;
    int64_t nfields = opts->nfields, nfmap = 0;
    for (int c = 0; c < ncols && c < 64; c++)
        if (cols[c].type != TIDE_CSV_LINE && !cols[c].name && cols[c].index + 1 > nfmap) nfmap = cols[c].index + 1;
    int n = ncols >= 1 && ncols <= 64 ? plan(path, opts, nfmap, starts, &size, head, &head_len, &nfields) : 1;
    if (n < 2) return tide_csv_read_range(path, opts, cols, ncols, res, NULL);
    for (int c = 0; c < ncols; c++)
        if (cols[c].type == TIDE_CSV_ID && !cols[c].intern) return tide_csv_read_range(path, opts, cols, ncols, res, NULL);
    part_t *parts = calloc((size_t)n, sizeof *parts);
    if (!parts) return tide_csv_read_range(path, opts, cols, ncols, res, NULL);
    int ok = 1;
    for (int k = 0; k < n && ok; k++) {
        part_t *p = &parts[k];
        p->path = path;
        p->opts = *opts;
        if (k) { /* part 0 starts where the file does and learns the field count itself */
            p->opts.nfields = nfields;
            p->opts.progress = NULL;
        }
        p->ncols = ncols;
        memcpy(p->cols, cols, (size_t)ncols * sizeof *cols);
        for (int c = 0; c < ncols; c++)
            if (cols[c].type == TIDE_CSV_ID) {
                p->cols[c].intern = tide_intern_new(0);
                ok &= p->cols[c].intern != NULL;
            }
        p->rg.start = starts[k];
        p->rg.stop = k + 1 < n ? starts[k + 1] : size;
        p->rg.nl = '\n';
        if (k) {
            p->rg.prefix = head;
            p->rg.prefix_len = head_len;
        }
    }
    pthread_t th[MAX_PARTS];
    int started[MAX_PARTS] = {0};
    for (int k = 1; k < n && ok; k++) started[k] = pthread_create(&th[k], NULL, run_part, &parts[k]) == 0;
    if (ok) run_part(&parts[0]);
    for (int k = 1; k < n; k++) {
        if (started[k]) pthread_join(th[k], NULL);
        else ok = 0;
    }
    for (int k = 0; k < n && ok; k++) {
        if (parts[k].rc != TIDE_OK) { /* file-level failure: report the first, as a sequential read would */
            tide_errorf("%s", parts[k].err);
            free_parts(parts, n);
            memset(res, 0, sizeof *res);
            return TIDE_ERR;
        }
        if (k + 1 < n && !parts[k].rg.last_nl) ok = 0; /* split inside a record: redo sequentially */
    }
    if (ok && parts[0].rg.expect != nfields && !opts->nfields && !opts->header)
        ok = 0; /* the field count guessed for parts 1.. is not the one part 0 settled on */
    if (!ok) {
        free_parts(parts, n);
        return tide_csv_read_range(path, opts, cols, ncols, res, NULL);
    }
    int rc = merge(parts, n, cols, ncols, opts->header, res);
    free_parts(parts, n);
    return rc;
}
