/* csv_gz.c — gzip input for the CSV reader: inflate over a file descriptor (a file or a pipe),
 * member after member as `gzip -d` does (RFC 1952 2.2: a gzip file is a series of members).
 * Bytes after the last member that do not start another member are an error, and so is a
 * member cut short: zlib's gzread would skip trailing garbage without a word and needs the
 * magic bytes still unread, which a pipe cannot give back. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "csv_internal.h"

#define GZ_IN ((size_t)1 << 18)

struct tide_gz {
    int fd;
    z_stream z;
    unsigned char *in;
    int in_eof;        /* read() returned 0 */
    int between;       /* a member ended: what follows must be another member or nothing */
    int done;
    uint64_t consumed; /* compressed bytes read so far (progress) */
};

tide_gz *tide_gz_open(int fd, const unsigned char *pre, size_t npre)
{
    tide_gz *g = calloc(1, sizeof *g);
    if (!g || !(g->in = malloc(GZ_IN)) || npre > GZ_IN) {
        if (g) free(g->in);
        free(g);
        return NULL;
    }
    if (inflateInit2(&g->z, 15 + 16) != Z_OK) { /* 15-bit window, gzip wrapper only */
        free(g->in);
        free(g);
        return NULL;
    }
    g->fd = fd;
    memcpy(g->in, pre, npre);
    g->z.next_in = g->in;
    g->z.avail_in = (uInt)npre;
    g->consumed = npre;
    return g;
}

/* Moves the unread input to the front and reads more after it: 0, or -1 with msg set. */
static int fill(tide_gz *g, char *msg, size_t msgn)
{
    memmove(g->in, g->z.next_in, g->z.avail_in);
    g->z.next_in = g->in;
    for (;;) {
        ssize_t r = read(g->fd, g->in + g->z.avail_in, GZ_IN - g->z.avail_in);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) {
            snprintf(msg, msgn, "read error: %s", strerror(errno));
            return -1;
        }
        if (r == 0) g->in_eof = 1;
        g->z.avail_in += (uInt)r;
        g->consumed += (uint64_t)r;
        return 0;
    }
}

int64_t tide_gz_read(tide_gz *g, char *buf, size_t n, char *msg, size_t msgn)
{
    if (g->done || n == 0) return 0;
    if (n > ((size_t)1 << 30)) n = (size_t)1 << 30;
    g->z.next_out = (unsigned char *)buf;
    g->z.avail_out = (uInt)n;
    while (g->z.avail_out == n) { /* until some output: callers take partial reads */
        if (g->z.avail_in < 2 && !g->in_eof) {
            if (fill(g, msg, msgn) != 0) return -1;
            continue;
        }
        if (g->between) {
            if (g->z.avail_in == 0) {
                g->done = 1;
                break;
            }
            if (g->z.avail_in < 2 || g->z.next_in[0] != 0x1f || g->z.next_in[1] != 0x8b) {
                snprintf(msg, msgn, "unexpected bytes after the gzip data (at compressed byte %llu)",
                         (unsigned long long)(g->consumed - g->z.avail_in));
                return -1;
            }
            inflateReset(&g->z);
            g->between = 0;
        }
        int r = inflate(&g->z, Z_NO_FLUSH);
        if (r == Z_STREAM_END) {
            g->between = 1;
        } else if (r == Z_BUF_ERROR && g->z.avail_in == 0) {
            if (g->in_eof) {
                snprintf(msg, msgn, "corrupt or truncated gzip data (unexpected end of file)");
                return -1;
            }
        } else if (r != Z_OK) {
            snprintf(msg, msgn, "corrupt or truncated gzip data (%s)", g->z.msg ? g->z.msg : "inflate failed");
            return -1;
        }
    }
    return (int64_t)(n - g->z.avail_out);
}

uint64_t tide_gz_offset(const tide_gz *g) { return g->consumed - g->z.avail_in; }

void tide_gz_close(tide_gz *g)
{
    if (!g) return;
    inflateEnd(&g->z);
    close(g->fd);
    free(g->in);
    free(g);
}
