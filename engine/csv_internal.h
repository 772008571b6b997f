/* csv_internal.h — pieces shared by the reader's files: the input source (csv_src.c, csv_gz.c),
 * the part-of-a-file entry point of csv.c, which csv_par.c runs on threads, and the parser
 * state that csv.c and csv_header.c share. */
#ifndef TIDE_CSV_INTERNAL_H
#define TIDE_CSV_INTERNAL_H

#include <zlib.h>

#include "csv.h"

typedef struct {
    const char *prefix;   /* bytes served before the range (the header line), may be NULL */
    size_t prefix_len;
    uint64_t start, stop; /* byte range [start, stop) of a plain file */
    char nl;              /* the file's line end, found by the plan: a part that starts
                           * mid-file must not guess it from its own first line */
    int last_nl;          /* out: the last record ended at a newline (clean split) */
    int64_t expect;       /* out: the field count rows were checked against at the end */
} tide_csv_range;

/* Gzip decoding over a descriptor (csv_gz.c). open takes over fd and the npre bytes
 * already read from it (the magic); read returns bytes (0 at the end) or -1 with msg set. */
typedef struct tide_gz tide_gz;
tide_gz *tide_gz_open(int fd, const unsigned char *pre, size_t npre);
int64_t tide_gz_read(tide_gz *g, char *buf, size_t n, char *msg, size_t msgn);
uint64_t tide_gz_offset(const tide_gz *g); /* compressed bytes consumed */
void tide_gz_close(tide_gz *g);            /* also closes fd */

/* Input source (csv_src.c). */
struct tide_gz_pipe; /* inflate-ahead thread for gzip input */
typedef struct {
    int fd;
    tide_gz *gz;
    unsigned char magic[2]; /* the first bytes, read to sniff gzip, served back first */
    struct tide_gz_pipe *pipe;
    uint64_t size, done;
    /* a part of a parallel read (csv_par.c): `prefix` (the header line) is served first,
     * then bytes [pos, stop) of the plain file; stop == 0 reads to the end */
    const char *prefix;
    size_t prefix_len, prefix_pos;
    uint64_t pos, stop;
} tide_csv_src;

int tide_csv_src_open(tide_csv_src *s, const char *path);
/* Bytes read (0 at the end) or -1 with the error set. */
int64_t tide_csv_src_read(tide_csv_src *s, char *buf, size_t n, const char *path);
void tide_csv_src_close(tide_csv_src *s);

/* tide_csv_read over one range (rg != NULL) or the whole file (rg == NULL). */
int tide_csv_read_range(const char *path, const tide_csv_opts *opts, const tide_csv_col *cols, int ncols,
                        tide_csv_result *res, tide_csv_range *rg);

/* Parser state of one read (csv.c parses records, csv_header.c maps the header). */
typedef struct {
    const char *p, *e;
    int esc;    /* contains doubled quotes to collapse */
    int quoted; /* was quoted: an id keeps its blanks */
} tide_csv_span;

typedef struct {
    const char *path;
    const tide_csv_opts *o;
    const tide_csv_col *cols;
    int ncols;
    tide_csv_result *res;
    int *fmap;     /* field index -> column, -1 unused; fields >= nfmap unused */
    int64_t nfmap;
    int64_t expect;
    int64_t line;
    int in_header;
    tide_csv_span *hdr;   /* header fields while in_header */
    int64_t nhdr, hdr_cap;
    tide_csv_span idf[64]; /* id fields of the current row */
    char last_key[64][24]; /* per id column: the previous row's key and its id, because logs */
    int last_len[64];      /* repeat user/event ids on consecutive rows */
    int32_t last_id[64];
    int last_nl;           /* the last record ended at a newline (parallel parts check it) */
    int quote_open;        /* some quote ran to the end of the input (a parallel part whose
                            * range ends inside a quoted field must not be trusted) */
    int64_t quote_line;    /* line where the quote of the row being dropped opened, or 0 */
    char nl;               /* the line end: '\n' (LF or CRLF files) or '\r' (CR-only files) */
    char *scratch[64];
    size_t scratch_cap[64];
} tide_csv_state;

/* Strips blanks (and a CR at the end) from a field; the common case returns at once. */
static inline void tide_csv_trim(const char **p, const char **e)
{
    /* common case first: nothing to trim (every byte we strip is <= ' ') */
    if (*p < *e && (unsigned char)**p > ' ' && (unsigned char)(*e)[-1] > ' ') return;
    while (*p < *e && (**p == ' ' || **p == '\t')) (*p)++;
    while (*e > *p && ((*e)[-1] == ' ' || (*e)[-1] == '\t' || (*e)[-1] == '\r')) (*e)--;
}

/* csv_header.c: the header row and the field -> column map. */
const char *tide_csv_col_name(const tide_csv_state *s, int c, char *buf, size_t n);
int tide_csv_push_header_field(tide_csv_state *s, tide_csv_span sp);
/* Maps each column to its field (fld[c], -1 for line columns); refuses a field selected twice
 * and an nfields that a selected field lies beyond. */
int tide_csv_build_fmap(tide_csv_state *s, const int64_t *fld);
/* Finds the selected names in the header (missing or repeated: an error), sets the count. */
int tide_csv_finish_header(tide_csv_state *s);

#endif
