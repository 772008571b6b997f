/* csv_internal.h — the reader's part-of-a-file entry point, shared by csv.c (which reads)
 * and csv_par.c (which splits a large plain file into parts read by threads). */
#ifndef TIDE_CSV_INTERNAL_H
#define TIDE_CSV_INTERNAL_H

#include "csv.h"

typedef struct {
    const char *prefix;   /* bytes served before the range (the header line), may be NULL */
    size_t prefix_len;
    uint64_t start, stop; /* byte range [start, stop) of a plain file */
    int last_nl;          /* out: the last record ended at a newline (clean split) */
} tide_csv_range;

/* tide_csv_read over one range (rg != NULL) or the whole file (rg == NULL). */
int tide_csv_read_range(const char *path, const tide_csv_opts *opts, const tide_csv_col *cols, int ncols,
                        tide_csv_result *res, tide_csv_range *rg);

#endif
