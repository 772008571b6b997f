/* csv.h — fast streaming reader for delimited behaviour logs.
 *
 * Reads CSV/TSV or any single-byte separator (RFC 4180 quoting, LF, CRLF or CR-only line
 * ends, optional header, optional UTF-8 BOM), plain or gzip (detected by its magic bytes;
 * concatenated members are read, anything else after them is an error), from a file or a
 * stream (pipe, /dev/stdin), in fixed chunks: memory stays proportional to the selected
 * columns, never to the file. A schema selects fields by header name or index and types
 * them; only rows whose every selected field converts are kept. Malformed rows are skipped and
 * counted per reason, or in strict mode the first one fails the read with
 * "file:line: column 'name': reason".
 *
 * Fields are trimmed of blanks, ids too unless quoted (a quote keeps them literally). A
 * quoted field may span lines only inside a consistent record (see csv.c, resync): a stray
 * quote drops the line it opened on, not every line up to the next quote.
 *
 * Id columns are interned (intern.h) only once the whole row is known to be valid, so ids stay
 * dense over the kept rows. Numbers and dates are parsed by hand (no strtod/strptime: locale
 * free and several times faster).
 *
 * Ownership: tide_csv_read fills a tide_csv_result whose column buffers the caller frees with
 * tide_csv_result_free (also after a failure). Interners are borrowed from the caller. */
#ifndef TIDE_CSV_H
#define TIDE_CSV_H

#include <stdint.h>

#include "intern.h"

typedef enum {
    TIDE_CSV_INT = 1, /* int64 */
    TIDE_CSV_FLOAT,   /* float (f32); empty -> NaN when the column is optional */
    TIDE_CSV_ID,      /* int32 dense id from the column's interner */
    TIDE_CSV_TIME,    /* int64 epoch seconds, parsed per time_fmt */
    TIDE_CSV_LINE     /* int64 physical line number of the row (no field consumed) */
} tide_csv_type;

typedef enum {
    TIDE_TIME_AUTO = 0, /* digits -> epoch seconds, else ISO 8601 */
    TIDE_TIME_EPOCH,    /* integer (or fractional, truncated) seconds since 1970-01-01 UTC */
    TIDE_TIME_EPOCH_MS, /* milliseconds */
    TIDE_TIME_ISO,      /* YYYY-MM-DD[(T| )HH:MM[:SS[.fff]]][Z|(+|-)HH[:]MM] */
    TIDE_TIME_YMD,      /* YYYYMMDD */
    TIDE_TIME_PATTERN   /* strptime-style tide_csv_col.time_pattern (csv_timefmt.c) */
} tide_time_fmt;

/* Why a row was skipped. */
enum {
    TIDE_BAD_FIELDS = 0, /* wrong number of fields */
    TIDE_BAD_QUOTE,      /* unterminated or stray quote */
    TIDE_BAD_NUMBER,     /* int/float field does not parse */
    TIDE_BAD_TIME,       /* timestamp does not parse or is out of range */
    TIDE_BAD_UTF8,       /* id is not valid UTF-8 */
    TIDE_BAD_EMPTY_ID,   /* id field is empty */
    TIDE_BAD_MISSING,    /* required number/time field is empty */
    TIDE_BAD_NUL,        /* id holds a NUL byte (a corrupt or binary file) */
    TIDE_BAD_NREASONS
};
extern const char *const tide_csv_reason_names[TIDE_BAD_NREASONS];

typedef struct {
    const char *name;    /* header name to look up; NULL: use index */
    int index;           /* 0-based field index when name == NULL */
    tide_csv_type type;
    tide_time_fmt time_fmt;
    int optional;        /* FLOAT: empty -> NaN instead of a MISSING row */
    tide_intern *intern; /* ID: interner to use (borrowed, required) */
    const char *time_pattern; /* TIDE_TIME_PATTERN: e.g. "%m-%d" (borrowed); last, so that */
    int default_year;    /* positional initialisers of the fields above stay valid; the year
                          * of every date for a pattern without %Y / %y */
} tide_csv_col;

typedef struct {
    char sep;            /* field separator (default ',') */
    char quote;          /* quote char, 0 = none (default '"' when zeroed by tide_csv_opts_init) */
    int whitespace;      /* fields are runs of non-blanks (CDNOW style); sep ignored */
    int header;          /* first record holds names */
    int strict;          /* first malformed row is an error */
    int64_t nfields;     /* expected field count; 0 = header's count or the first record's */
    int64_t max_rows;    /* stop after this many kept rows; 0 = all */
    size_t chunk;        /* read size in bytes (default 4 MiB; tests use tiny chunks) */
    /* called after each chunk with bytes of input consumed (compressed bytes for gzip) and
     * the file size; may be NULL */
    void (*progress)(void *ud, uint64_t done, uint64_t total);
    void *progress_ud;
    size_t split_min;    /* smallest part of a multi-threaded read, in bytes (0: 8 MiB; a file
                          * splits once it holds two); tests and the fuzzer use tiny ones */
} tide_csv_opts;

typedef struct {
    int64_t n, cap;            /* kept rows */
    int ncols;
    void **cols;               /* ncols buffers: int64_t* / float* / int32_t* by type; each
                                * from aligned_alloc(64, ...) with room for cap rows, so a
                                * caller may take one over (set the pointer to NULL) */
    tide_csv_type *types;
    int64_t bad[TIDE_BAD_NREASONS];
    int64_t lines;             /* physical lines read */
    int64_t blank;             /* empty lines skipped (not errors) */
    int64_t quoted_lines;      /* line breaks inside kept or dropped records' quoted fields:
                                * lines = header + n + dropped + blank + quoted_lines */
    uint64_t bytes;            /* uncompressed bytes parsed; with max_rows, up to and
                                * including the last row read (independent of chunking) */
    int64_t header_fields;     /* number of header fields (0 without header) */
    char first_bad[256];       /* "line N: column 'x': reason" of the first skipped row */
} tide_csv_result;

void tide_csv_opts_init(tide_csv_opts *o);
/* Reads path into res (zeroed first). TIDE_OK or TIDE_ERR with tide_error() set (missing
 * file, empty file, missing column, truncated/corrupt gzip, strict-mode bad row). */
int tide_csv_read(const char *path, const tide_csv_opts *opts, const tide_csv_col *cols, int ncols,
                  tide_csv_result *res);
void tide_csv_result_free(tide_csv_result *res);

/* ---- field converters (exposed for tests and other readers) ----
 * Each parses exactly [p, e) (no surrounding blanks) and returns 1 on success. */
int tide_parse_i64(const char *p, const char *e, int64_t *out);
int tide_parse_f64(const char *p, const char *e, double *out);
int tide_parse_time(const char *p, const char *e, tide_time_fmt fmt, int64_t *out);
/* strptime-style patterns (csv_timefmt.c): check a pattern (TIDE_ERR naming the problem:
 * unknown directive, no year and default_year <= 0) and parse [p, e) with it. */
int tide_time_pattern_check(const char *fmt, int default_year);
int tide_parse_time_pattern(const char *p, const char *e, const char *fmt, int default_year, int64_t *out);
/* 1 if (y, m, d) is a calendar date. */
int tide_valid_date(int y, int mo, int d);
/* Days since 1970-01-01 of a proleptic Gregorian date (any year). */
int64_t tide_days_from_civil(int64_t y, unsigned m, unsigned d);
/* 1 if [p, p+n) is well-formed UTF-8 (no overlongs, no surrogates, <= U+10FFFF). */
int tide_utf8_valid(const char *p, size_t n);

#endif
