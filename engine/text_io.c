/* text_io.c — whole-file read and atomic write (temp file in the same directory, fsync,
 * rename) for vocabularies and fastText models: a crash never leaves a half-written model. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "text.h"

int tide_text_write_atomic(const char *path, const void *data, size_t n)
{
    size_t pl = strlen(path);
    char *tmp = malloc(pl + 32);
    if (!tmp) return tide_errorf("%s: out of memory", path);
    snprintf(tmp, pl + 32, "%s.tmp.%ld", path, (long)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) {
        int e = errno;
        free(tmp);
        return tide_errorf("%s: cannot create: %s", path, strerror(e));
    }
    const char *p = data;
    size_t left = n;
    while (left > 0) {
        ssize_t w = write(fd, p, left);
        if (w < 0) {
            if (errno == EINTR) continue;
            int e = errno;
            close(fd);
            unlink(tmp);
            free(tmp);
            return tide_errorf("%s: write failed: %s", path, strerror(e));
        }
        p += w;
        left -= (size_t)w;
    }
    if (fsync(fd) != 0 || close(fd) != 0) {
        int e = errno;
        unlink(tmp);
        free(tmp);
        return tide_errorf("%s: fsync/close failed: %s", path, strerror(e));
    }
    if (rename(tmp, path) != 0) {
        int e = errno;
        unlink(tmp);
        free(tmp);
        return tide_errorf("%s: rename failed: %s", path, strerror(e));
    }
    free(tmp);
    return TIDE_OK;
}

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
