/* text_io.c — whole-file reads for vocabularies and fastText models (their writes go through
 * tide_write_file_atomic, atomic_file.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"

char *tide_text_read_file(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f) { tide_errorf("%s: cannot open: %s", path, strerror(errno)); return NULL; }
    size_t cap = 1 << 16, k = 0;
    char *b = malloc(cap + 1);
    while (b) {
        size_t r = fread(b + k, 1, cap - k, f);
        k += r;
        if (k < cap) break;
        cap *= 2;
        char *nb = realloc(b, cap + 1);
        if (!nb) { free(b); b = NULL; break; }
        b = nb;
    }
    int err = ferror(f);
    fclose(f);
    if (!b) { tide_errorf("%s: out of memory", path); return NULL; }
    if (err) { free(b); tide_errorf("%s: read error", path); return NULL; }
    b[k] = 0;
    *n = k;
    return b;
}
