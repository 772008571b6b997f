/* csv_internal.h — pieces shared by the reader's files: the input source (csv_src.c) and the
 * part-of-a-file entry point of csv.c, which csv_par.c runs on threads. */
#ifndef TIDE_CSV_INTERNAL_H
#define TIDE_CSV_INTERNAL_H

#include <zlib.h>

#include "csv.h"

typedef struct {
    const char *prefix;   /* bytes served before the range (the header line), may be NULL */
    size_t prefix_len;
    uint64_t start, stop; /* byte range [start, stop) of a plain file */
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

#endif
