/* csv.c — the streaming delimited-text reader (contract in csv.h).
 *
 * Input is read in chunks into one buffer; records are parsed while a complete one is in
 * the buffer, and the partial last record is moved to the front before the next read (the
 * buffer doubles only when a single record is larger than it). Per field the work is a byte
 * scan to the separator and, for selected fields, a hand-written conversion straight into the
 * column buffer; id fields are remembered and interned after the row validates, so a
 * rejected row never creates an id. */
#include "csv.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "csv_internal.h"
#include "error.h"

const char *const tide_csv_reason_names[TIDE_BAD_NREASONS] = {
    "field_count", "unterminated_quote", "bad_number", "bad_timestamp",
    "invalid_utf8", "empty_id", "missing_value", "nul_byte"};

void tide_csv_opts_init(tide_csv_opts *o)
{
    memset(o, 0, sizeof *o);
    o->sep = ',';
    o->quote = '"';
    o->chunk = (size_t)4 << 20;
}

/* First sep or line end nl in [p, e), or e. Eight bytes at a time with the "has zero byte"
 * trick (Mycroft; Hacker's Delight 6-1) on both patterns: fields are short, so one fused scan
 * beats a memchr for the line end plus a scan for the separator. */
static inline const char *scan_sep_nl(const char *p, const char *e, char sep, char nl)
{
    const uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
    const uint64_t ps = ones * (unsigned char)sep, pn = ones * (unsigned char)nl;
    while (e - p >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        uint64_t a = w ^ ps, b = w ^ pn;
        uint64_t z = ((a - ones) & ~a & highs) | ((b - ones) & ~b & highs);
        if (z) return p + (__builtin_ctzll(z) >> 3);
        p += 8;
    }
    while (p < e && *p != sep && *p != nl) p++;
    return p;
}

/* Collapses doubled quotes of span into the column's scratch buffer. */
static int unescape(tide_csv_state *s, int c, tide_csv_span *sp)
{
    size_t n = (size_t)(sp->e - sp->p);
    if (s->scratch_cap[c] < n + 1) {
        char *b = realloc(s->scratch[c], n + 1);
        if (!b) return tide_errorf("csv: out of memory");
        s->scratch[c] = b;
        s->scratch_cap[c] = n + 1;
    }
    char *d = s->scratch[c];
    for (const char *q = sp->p; q < sp->e; q++) {
        *d++ = *q;
        if (*q == s->o->quote && q + 1 < sp->e && q[1] == s->o->quote) q++;
    }
    sp->p = s->scratch[c];
    sp->e = d;
    return TIDE_OK;
}

/* Which bytes [p, e) holds: bit 0 some byte >= 0x80 (then the id needs full UTF-8
 * validation), bit 1 some NUL byte. Eight bytes at a time; the zero-byte test is exact for
 * "any zero" (Hacker's Delight 6-1). */
static inline unsigned id_bytes(const char *p, const char *e)
{
    const uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
    size_t n = (size_t)(e - p);
    uint64_t hi = 0, zero = 0, w;
    if (n >= 8) {
        for (; n >= 8; p += 8, n -= 8) {
            memcpy(&w, p, 8);
            hi |= w;
            zero |= (w - ones) & ~w & highs;
        }
        if (n) { /* overlapping last word */
            memcpy(&w, e - 8, 8);
            hi |= w;
            zero |= (w - ones) & ~w & highs;
        }
    } else if (n >= 4) { /* two overlapping words */
        uint32_t a, b;
        memcpy(&a, p, 4);
        memcpy(&b, e - 4, 4);
        hi = a | b;
        zero = ((a - 0x01010101u) & ~a) | ((b - 0x01010101u) & ~b);
        zero &= 0x80808080u;
    } else {
        for (; p < e; p++) {
            hi |= (unsigned char)*p;
            zero |= *p == 0;
        }
    }
    return ((hi & highs) != 0) | (unsigned)(zero != 0) << 1;
}

/* Converts field f of the current row into its column; returns a TIDE_BAD_* reason or -1. */
static inline __attribute__((always_inline)) int convert(tide_csv_state *s, int c, tide_csv_span sp, int64_t row)
{
    const tide_csv_col *col = &s->cols[c];
    const char *p = sp.p, *e = sp.e;
    switch (col->type) {
    case TIDE_CSV_ID: {
        if (!sp.quoted) tide_csv_trim(&p, &e); /* "u1 " is "u1", as for every other field */
        s->idf[c] = (tide_csv_span){p, e, 0, 0};
        if (p == e) return TIDE_BAD_EMPTY_ID;
        unsigned b = id_bytes(p, e);
        if (b & 2) return TIDE_BAD_NUL;
        if ((b & 1) && !tide_utf8_valid(p, (size_t)(e - p))) return TIDE_BAD_UTF8;
        return -1;
    }
    case TIDE_CSV_INT: {
        tide_csv_trim(&p, &e);
        if (p == e) return TIDE_BAD_MISSING;
        return tide_parse_i64(p, e, &((int64_t *)s->res->cols[c])[row]) ? -1 : TIDE_BAD_NUMBER;
    }
    case TIDE_CSV_FLOAT: {
        tide_csv_trim(&p, &e);
        double v;
        if (p == e) {
            if (!col->optional) return TIDE_BAD_MISSING;
            ((float *)s->res->cols[c])[row] = NAN;
            return -1;
        }
        if (!tide_parse_f64(p, e, &v)) return TIDE_BAD_NUMBER;
        ((float *)s->res->cols[c])[row] = (float)v;
        return -1;
    }
    case TIDE_CSV_TIME: {
        tide_csv_trim(&p, &e);
        if (p == e) return TIDE_BAD_MISSING;
        int64_t *t = &((int64_t *)s->res->cols[c])[row];
        return (col->time_fmt == TIDE_TIME_PATTERN ? tide_parse_time_pattern(p, e, col->time_pattern, col->default_year, t)
                                                   : tide_parse_time(p, e, col->time_fmt, t))
                   ? -1 : TIDE_BAD_TIME;
    }
    default: return -1;
    }
}

/* Grows every column to hold more rows. Buffers are 64-byte aligned (aligned_alloc) so the
 * binding can hand them to tensor storage without a copy. After the first chunk the final row
 * count is estimated from the bytes consumed, so a plain file usually needs two or three
 * growths in total. */
static int grow_rows(tide_csv_result *r, uint64_t file_size)
{
    int64_t cap = r->cap ? r->cap * 2 : 65536;
    if (r->n > 0 && r->bytes > 0 && file_size > r->bytes) {
        double est = (double)r->n * (double)file_size / (double)r->bytes * 1.05 + 1024;
        if (est > (double)cap && est < 4e9) cap = (int64_t)est;
    }
    for (int c = 0; c < r->ncols; c++) {
        size_t w = r->types[c] == TIDE_CSV_ID || r->types[c] == TIDE_CSV_FLOAT ? 4 : 8;
        size_t nb = ((size_t)cap * w + 63) & ~(size_t)63;
        void *b = aligned_alloc(64, nb);
        if (!b) return tide_errorf("csv: out of memory for %lld rows", (long long)cap);
        if (r->cols[c]) {
            memcpy(b, r->cols[c], (size_t)r->n * w);
            free(r->cols[c]);
        }
        r->cols[c] = b;
    }
    r->cap = cap;
    return TIDE_OK;
}

/* Decides the line end from the first one in [p, end): '\r' not followed by '\n' makes a
 * CR-only file (classic Mac exports; pandas reads them too). Returns 1 once known. */
static int detect_nl(tide_csv_state *s, const char *p, const char *end, int eof)
{
    for (; p < end; p++) {
        if (*p == '\n') break;
        if (*p == '\r') {
            if (p + 1 == end && !eof) return 0;
            s->nl = p + 1 < end && p[1] == '\n' ? '\n' : '\r';
            return 1;
        }
    }
    if (p == end && !eof) return 0;
    s->nl = '\n';
    return 1;
}

static inline int finish_row(tide_csv_state *s, int64_t nfields, int bad, int badcol, int64_t line);

/* The longest quoted field, in bytes. A quote that has not closed within it is taken as
 * stray, which also bounds the buffer a stray quote can make the reader hold. */
#define MAX_QUOTED ((size_t)16 << 20)

/* Field indices beyond this (without a header) are taken as a mistake, not a wide file. */
#define MAX_FIELD (1 << 20)

/* Gives up on the record at rec, whose quote opened at qopen (field `field`) does not end
 * where a record should: only its first physical line is dropped (unterminated_quote) and
 * reading resumes on the next line, so one stray quote costs one row, not every row up to
 * the next quote (pandas would raise "EOF inside string"; silently merging lines is worse). */
static int resync(tide_csv_state *s, const char *rec, const char *qopen, const char *end, int eof, int64_t field,
                  const char **next)
{
    const char *nl = memchr(rec, s->nl, (size_t)(end - rec));
    if (!nl && !eof) return 0;
    int64_t line = s->line, opened = line;
    for (const char *z = rec; (z = memchr(z, s->nl, (size_t)(qopen - z))); z++) opened++;
    if (s->in_header)
        return tide_errorf("%s: line %lld: the header's quote in field %lld never closes", s->path,
                           (long long)opened, (long long)field + 1);
    s->last_nl = nl != NULL;
    *next = nl ? nl + 1 : end;
    s->line++;
    s->res->lines = s->line - 1;
    s->quote_line = opened;
    return finish_row(s, field + 1, TIDE_BAD_QUOTE, (int)field, line);
}

/* Parses one record at p. Returns 1 (record consumed, *next set), 0 (need more input),
 * -1 (error set). */
static int parse_record(tide_csv_state *s, const char *p, const char *end, int eof, const char **next)
{
    const char sep = s->o->sep, quote = s->o->quote, nl = s->nl;
    const char cr = nl == '\r' ? ' ' : '\r'; /* a CR before the line end is a blank */
    const int ws = s->o->whitespace;
    const int *const fmap = s->fmap; /* locals: stores into the columns may alias s */
    const int64_t nfmap = s->nfmap;
    const char *const rec = p, *qspan = NULL; /* qspan: a quoted field that spans lines */
    int64_t field = 0, nl_extra = 0, qfield = 0;
    int bad = -1, badcol = -1, blank = 0;
    const int64_t row = s->res->n;
    s->nhdr = 0; /* a record re-parsed after a refill starts its header over */
    for (;;) {
        tide_csv_span sp = {p, p, 0, 0};
        int quoted = 0;
        if (ws) {
            while (p < end && (*p == ' ' || *p == '\t' || *p == cr)) p++;
            if (p == end && !eof) return 0;
            if (p == end || *p == nl) { /* no more fields */
                if (field == 0) blank = 1;
                break;
            }
        }
        if (quote && p < end && *p == quote) {
            quoted = 1;
            const char *q = p + 1;
            for (;;) {
                q = memchr(q, quote, (size_t)(end - q));
                if (!q) break;
                if (q + 1 == end && !eof) return 0; /* cannot tell "" from a closing quote */
                if (q + 1 < end && q[1] == quote) { sp.esc = 1; q += 2; continue; }
                break;
            }
            if (q && (size_t)(q - p) > MAX_QUOTED) q = NULL;
            if (!q) {
                if (!eof && (size_t)(end - p) <= MAX_QUOTED) return 0;
                s->quote_open = 1;
                return resync(s, rec, p, end, eof, field, next);
            }
            sp.p = p + 1;
            sp.e = q;
            sp.quoted = 1;
            int64_t nq = 0;
            for (const char *z = sp.p; (z = memchr(z, nl, (size_t)(q - z))); z++) nq++;
            if (nq && !qspan) { qspan = p; qfield = field; }
            nl_extra += nq;
            p = q + 1;
            if (p < end && *p != nl && (ws ? (*p != ' ' && *p != '\t' && *p != cr) : *p != sep) &&
                !(*p == cr && (p + 1 == end || p[1] == nl))) {
                /* stray text after the closing quote: skip to the field's end */
                if (bad < 0) { bad = TIDE_BAD_QUOTE; badcol = (int)field; }
                if (nq) { qspan = sp.p - 1; qfield = field; }
                while (p < end && *p != nl && *p != sep) p++;
                if (p == end && !eof) return 0;
            }
            if (p < end && *p == cr && !ws) {
                if (p + 1 == end && !eof) return 0;
                p++;
            }
        } else if (ws) {
            while (p < end && *p != ' ' && *p != '\t' && *p != cr && *p != nl) p++;
            if (p == end && !eof) return 0;
            sp.e = p;
        } else {
            p = scan_sep_nl(p, end, sep, nl);
            if (p == end && !eof) return 0; /* the record continues past the buffer */
            sp.e = p;
            if ((p == end || *p == nl) && sp.e > sp.p && sp.e[-1] == cr) sp.e--;
        }
        if (s->in_header) {
            if (tide_csv_push_header_field(s, sp) != TIDE_OK) return -1;
        } else if (field < nfmap && fmap[field] >= 0 && bad < 0) {
            int c = fmap[field];
            if (sp.esc && s->cols[c].type == TIDE_CSV_ID && unescape(s, c, &sp) != TIDE_OK) return -1;
            int r = convert(s, c, sp, row);
            if (r >= 0) { bad = r; badcol = c; }
        }
        if (!ws && p < end && *p == sep) {
            p++;
            field++;
            continue;
        }
        if (ws) {
            field++;
            continue; /* the blank-skip at the loop top finds the line end */
        }
        if (field == 0 && !quoted && sp.p == sp.e) blank = 1;
        field++;
        break;
    }
    /* A quoted line break is accepted only in a consistent record: otherwise the quote was
     * stray and the lines it joined are records of their own. */
    if (qspan && !s->in_header && (bad == TIDE_BAD_QUOTE || (s->expect && field != s->expect)))
        return resync(s, rec, qspan, end, eof, qfield, next);
    s->last_nl = p < end;
    if (p < end) p++; /* the line end */
    *next = p;
    int64_t line = s->line;
    s->line += 1 + nl_extra;
    s->res->lines = s->line - 1;
    s->res->quoted_lines += nl_extra;
    if (blank) { /* an empty line; the empty "field" it held is not an error */
        s->res->blank++;
        return 1;
    }
    if (s->in_header) {
        s->in_header = 0;
        return tide_csv_finish_header(s) == TIDE_OK ? 1 : -1;
    }
    return finish_row(s, field, bad, badcol, line);
}

static inline int same_key(const char *a, const char *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (a[i] != b[i]) return 0;
    return 1;
}

static inline __attribute__((always_inline)) int finish_row(tide_csv_state *s, int64_t nfields, int bad, int badcol,
                                                            int64_t line)
{
    tide_csv_result *r = s->res;
    if (bad != TIDE_BAD_QUOTE) {
        if (s->expect == 0 && nfields >= s->nfmap) s->expect = nfields;
        if (nfields != s->expect || nfields < s->nfmap) { /* a short row never keeps stale values */
            bad = TIDE_BAD_FIELDS;
            badcol = -1;
        }
    }
    if (bad < 0) {
        const int64_t row = r->n;
        for (int c = 0; c < s->ncols; c++) {
            if (s->cols[c].type == TIDE_CSV_ID) {
                const char *k = s->idf[c].p;
                size_t len = (size_t)(s->idf[c].e - k);
                if ((int)len == s->last_len[c] && same_key(s->last_key[c], k, len)) {
                    ((int32_t *)r->cols[c])[row] = s->last_id[c];
                    continue;
                }
                int64_t id = tide_intern_add(s->cols[c].intern, k, len);
                if (id < 0) return -1;
                ((int32_t *)r->cols[c])[row] = (int32_t)id;
                if (len <= sizeof s->last_key[c]) {
                    memcpy(s->last_key[c], k, len);
                    s->last_len[c] = (int)len;
                    s->last_id[c] = (int32_t)id;
                }
            } else if (s->cols[c].type == TIDE_CSV_LINE) {
                ((int64_t *)r->cols[c])[row] = line;
            }
        }
        r->n++;
        return 1;
    }
    r->bad[bad]++;
    int64_t opened = s->quote_line;
    s->quote_line = 0;
    /* only the first skipped row's message is kept: formatting one per dropped row cost ~11%
     * of the parse time on logs with many bad rows */
    if (!s->o->strict && r->first_bad[0]) return 1;
    char msg[256], nb[24];
    if (bad == TIDE_BAD_FIELDS)
        snprintf(msg, sizeof msg, "line %lld: %s (%lld fields, expected %lld)", (long long)line,
                 tide_csv_reason_names[bad], (long long)nfields, (long long)s->expect);
    else if (bad == TIDE_BAD_QUOTE && opened > line)
        snprintf(msg, sizeof msg, "line %lld: field %d: %s (the quote opened on line %lld)",
                 (long long)line, badcol + 1, tide_csv_reason_names[bad], (long long)opened);
    else if (bad == TIDE_BAD_QUOTE)
        snprintf(msg, sizeof msg, "line %lld: field %d: %s", (long long)line, badcol + 1,
                 tide_csv_reason_names[bad]);
    else
        snprintf(msg, sizeof msg, "line %lld: column '%s': %s", (long long)line,
                 tide_csv_col_name(s, badcol, nb, sizeof nb), tide_csv_reason_names[bad]);
    if (s->o->strict) {
        tide_errorf("%s: %s", s->path, msg);
        return -1;
    }
    snprintf(r->first_bad, sizeof r->first_bad, "%s", msg);
    return 1;
}

void tide_csv_result_free(tide_csv_result *res)
{
    if (!res) return;
    if (res->cols)
        for (int c = 0; c < res->ncols; c++) free(res->cols[c]);
    free(res->cols);
    free(res->types);
    res->cols = NULL;
    res->types = NULL;
}

int tide_csv_read_range(const char *path, const tide_csv_opts *opts, const tide_csv_col *cols, int ncols,
                        tide_csv_result *res, tide_csv_range *rg)
{
    memset(res, 0, sizeof *res);
    if (ncols < 1 || ncols > 64) return tide_errorf("csv: between 1 and 64 columns, got %d", ncols);
    tide_csv_state *s = calloc(1, sizeof *s);
    res->cols = calloc((size_t)ncols, sizeof *res->cols);
    res->types = calloc((size_t)ncols, sizeof *res->types);
    if (!s || !res->cols || !res->types) {
        free(s);
        return tide_errorf("csv: out of memory");
    }
    res->ncols = ncols;
    s->path = path;
    s->o = opts;
    s->cols = cols;
    s->ncols = ncols;
    s->res = res;
    s->line = 1;
    s->expect = opts->nfields;
    s->in_header = opts->header;
    int rc = TIDE_OK;
    int64_t fld[64];
    for (int c = 0; c < ncols; c++) {
        res->types[c] = cols[c].type;
        fld[c] = -1;
        if (cols[c].type == TIDE_CSV_ID && !cols[c].intern) {
            rc = tide_errorf("csv: id column %d has no interner", c + 1);
            goto done;
        }
        if (cols[c].type == TIDE_CSV_LINE || opts->header) continue;
        if (cols[c].name || cols[c].index < 0 || cols[c].index >= MAX_FIELD) {
            rc = tide_errorf("csv: column %d needs a field index in 0..%d without a header", c + 1, MAX_FIELD - 1);
            goto done;
        }
        fld[c] = cols[c].index;
    }
    if (!opts->header && (rc = tide_csv_build_fmap(s, fld)) != TIDE_OK) goto done;
    tide_csv_src src;
    if ((rc = tide_csv_src_open(&src, path)) != TIDE_OK) goto done;
    uint64_t est_size = src.gz ? 0 : src.size;
    if (rg) {
        src.prefix = rg->prefix;
        src.prefix_len = rg->prefix_len;
        src.pos = rg->start;
        src.stop = rg->stop;
        est_size = rg->stop - rg->start + rg->prefix_len;
    }
    size_t cap = opts->chunk ? opts->chunk : (size_t)4 << 20, len = 0;
    char *buf = malloc(cap);
    if (!buf) {
        tide_csv_src_close(&src);
        rc = tide_errorf("csv: out of memory");
        goto done;
    }
    /* a BOM is skipped only where the file (or the header prefix) starts */
    int eof = 0, first = !rg || rg->start == 0 || rg->prefix_len, ready = 0;
    for (;;) {
        while (!eof && len < cap) {
            int64_t r = tide_csv_src_read(&src, buf + len, cap - len, path);
            if (r < 0) { rc = TIDE_ERR; goto out; }
            if (r == 0) eof = 1;
            len += (size_t)r;
            res->bytes += (uint64_t)r;
            if (r > 0 && !src.gz) break; /* parse what we have; plain reads are large */
        }
        const char *p = buf, *end = buf + len;
        if (first && eof && p == end) {
            rc = tide_errorf("%s: empty file (no data)", path);
            goto out;
        }
        /* nothing is parsed before the BOM and the line end are known (tiny chunks) */
        if (!ready && (len >= 3 || eof)) {
            if (first && len >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0) p += 3;
            first = 0;
            if (rg && rg->nl) {
                s->nl = rg->nl;
                ready = 1;
            } else
                ready = detect_nl(s, p, end, eof);
        }
        while (ready && p < end) {
            if (res->n >= res->cap && grow_rows(res, est_size) != TIDE_OK) {
                rc = TIDE_ERR;
                goto out;
            }
            const char *next;
            int r = parse_record(s, p, end, eof, &next);
            if (r < 0) { rc = TIDE_ERR; goto out; }
            if (r == 0) break;
            p = next;
            if (opts->max_rows && res->n >= opts->max_rows) {
                /* `bytes` ends with the last row read, not with the last chunk read, so it
                 * does not depend on the chunk size */
                res->bytes -= (uint64_t)(end - p);
                eof = 1;
                p = end;
                break;
            }
        }
        if (opts->progress) {
            uint64_t done = src.done;
            if (rg && rg->stop > rg->start) /* part 0 of n: scale to the whole file */
                done = (uint64_t)((double)(src.pos - rg->start) / (double)(rg->stop - rg->start) * (double)src.size);
            opts->progress(opts->progress_ud, done, src.size);
        }
        if (eof && p >= end) break;
        len = (size_t)(end - p);
        memmove(buf, p, len);
        if (len == cap) {
            char *nb = realloc(buf, cap * 2);
            if (!nb) { rc = tide_errorf("csv: out of memory (record over %zu bytes)", cap); goto out; }
            buf = nb;
            cap *= 2;
        }
    }
    if (s->in_header) rc = tide_errorf("%s: empty file (no header)", path);
    if (rg) {
        rg->last_nl = s->last_nl && !s->quote_open;
        rg->expect = s->expect;
    }
out:
    free(buf);
    tide_csv_src_close(&src);
done:
    for (int c = 0; c < 64; c++) free(s->scratch[c]);
    free(s->fmap);
    free(s->hdr);
    free(s);
    return rc;
}
