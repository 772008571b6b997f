/* csv_src.c — the CSV reader's input: a plain file read with read()/pread() (optionally a
 * byte range after a prefix, for parallel parts) or a gzip stream (zlib, detected by the
 * magic bytes 1f 8b). Truncated or corrupt gzip data is an error, never silent data loss. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "csv_internal.h"
#include "error.h"

int tide_csv_src_open(tide_csv_src *s, const char *path)
{
    memset(s, 0, sizeof *s);
    s->fd = open(path, O_RDONLY);
    if (s->fd < 0) return tide_errorf("%s: cannot open: %s", path, strerror(errno));
    struct stat st;
    if (fstat(s->fd, &st) == 0) s->size = (uint64_t)st.st_size;
    if (S_ISDIR(st.st_mode)) {
        close(s->fd);
        return tide_errorf("%s: is a directory", path);
    }
    if (s->size == 0) {
        close(s->fd);
        return tide_errorf("%s: empty file", path);
    }
    unsigned char magic[2] = {0, 0};
    ssize_t r = pread(s->fd, magic, 2, 0);
    if (r == 2 && magic[0] == 0x1f && magic[1] == 0x8b) {
        s->gz = gzdopen(s->fd, "rb"); /* takes over fd */
        if (!s->gz) {
            close(s->fd);
            return tide_errorf("%s: cannot open gzip stream", path);
        }
        gzbuffer(s->gz, 1 << 18);
    }
    return TIDE_OK;
}

int64_t tide_csv_src_read(tide_csv_src *s, char *buf, size_t n, const char *path)
{
    if (s->gz) {
        int r = gzread(s->gz, buf, (unsigned)(n > (1u << 30) ? (1u << 30) : n));
        int err = Z_OK;
        const char *msg = gzerror(s->gz, &err);
        if (r < 0 || (err != Z_OK && err != Z_STREAM_END)) {
            tide_errorf("%s: corrupt or truncated gzip data (%s)", path,
                        err == Z_BUF_ERROR ? "unexpected end of file" : msg);
            return -1;
        }
        s->done = (uint64_t)gzoffset(s->gz);
        return r;
    }
    if (s->prefix_pos < s->prefix_len) {
        size_t k = s->prefix_len - s->prefix_pos < n ? s->prefix_len - s->prefix_pos : n;
        memcpy(buf, s->prefix + s->prefix_pos, k);
        s->prefix_pos += k;
        return (int64_t)k;
    }
    if (s->stop) {
        if (s->pos >= s->stop) return 0;
        if (n > s->stop - s->pos) n = (size_t)(s->stop - s->pos);
    }
    for (;;) {
        ssize_t r = s->stop ? pread(s->fd, buf, n, (off_t)s->pos) : read(s->fd, buf, n);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) {
            tide_errorf("%s: read error: %s", path, strerror(errno));
            return -1;
        }
        s->done += (uint64_t)r;
        s->pos += (uint64_t)r;
        return r;
    }
}

void tide_csv_src_close(tide_csv_src *s)
{
    if (s->gz) gzclose(s->gz);
    else if (s->fd >= 0) close(s->fd);
}

