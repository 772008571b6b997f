/* csv_src.c — the CSV reader's input: a plain file or stream (pipe, /dev/stdin) read with
 * read()/pread() (optionally a byte range after a prefix, for parallel parts) or gzip
 * (csv_gz.c, detected by the magic bytes 1f 8b). Truncated or corrupt gzip data is an error,
 * never silent data loss.
 *
 * Gzip is inflated on a helper thread into a small ring of blocks while the parser consumes
 * the previous ones, so a .gz log costs max(inflate, parse) instead of their sum
 * (TIDE_THREADS=1 keeps everything on the calling thread). */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "csv_internal.h"
#include "error.h"

#define PIPE_BLOCKS 4
#define PIPE_BLOCK ((size_t)1 << 20)

struct tide_gz_pipe {
    tide_gz *gz;
    pthread_t th;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    char *buf[PIPE_BLOCKS];
    size_t len[PIPE_BLOCKS];
    int head, count, done, stop, err_set;
    size_t pos; /* consumer offset in buf[head] */
    uint64_t offset; /* compressed bytes consumed, for progress */
    char err[256];
};

static void *gz_producer(void *arg)
{
    struct tide_gz_pipe *p = arg;
    int tail = 0;
    for (;;) {
        pthread_mutex_lock(&p->mu);
        while (p->count == PIPE_BLOCKS && !p->stop) pthread_cond_wait(&p->cv, &p->mu);
        int stop = p->stop;
        pthread_mutex_unlock(&p->mu);
        if (stop) break;
        /* buf[tail] is free: the consumer only reads filled blocks */
        char msg[256];
        int64_t r = tide_gz_read(p->gz, p->buf[tail], PIPE_BLOCK, msg, sizeof msg);
        uint64_t off = tide_gz_offset(p->gz);
        pthread_mutex_lock(&p->mu);
        p->offset = off;
        if (r < 0) {
            snprintf(p->err, sizeof p->err, "%s", msg);
            p->err_set = 1;
        } else if (r == 0) {
            p->done = 1;
        } else {
            p->len[tail] = (size_t)r;
            p->count++;
            tail = (tail + 1) % PIPE_BLOCKS;
        }
        int finished = r <= 0;
        pthread_cond_broadcast(&p->cv);
        pthread_mutex_unlock(&p->mu);
        if (finished) break;
    }
    return NULL;
}

static void pipe_free(struct tide_gz_pipe *p)
{
    for (int i = 0; i < PIPE_BLOCKS; i++) free(p->buf[i]);
    free(p);
}

/* Starts the inflate thread; NULL (caller reads inline) if threads are off or unavailable. */
static struct tide_gz_pipe *pipe_start(tide_gz *gz)
{
    const char *env = getenv("TIDE_THREADS");
    if (env && atoi(env) == 1) return NULL;
    struct tide_gz_pipe *p = calloc(1, sizeof *p);
    if (!p) return NULL;
    p->gz = gz;
    for (int i = 0; i < PIPE_BLOCKS; i++)
        if (!(p->buf[i] = malloc(PIPE_BLOCK))) {
            pipe_free(p);
            return NULL;
        }
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv, NULL);
    if (pthread_create(&p->th, NULL, gz_producer, p) != 0) {
        pthread_mutex_destroy(&p->mu);
        pthread_cond_destroy(&p->cv);
        pipe_free(p);
        return NULL;
    }
    return p;
}

static int64_t pipe_read(tide_csv_src *s, char *buf, size_t n, const char *path)
{
    struct tide_gz_pipe *p = s->pipe;
    pthread_mutex_lock(&p->mu);
    while (p->count == 0 && !p->done && !p->err_set) pthread_cond_wait(&p->cv, &p->mu);
    s->done = p->offset;
    if (p->count == 0) {
        int err = p->err_set;
        pthread_mutex_unlock(&p->mu);
        if (err) {
            tide_errorf("%s: %s", path, p->err);
            return -1;
        }
        return 0;
    }
    size_t k = p->len[p->head] - p->pos;
    if (k > n) k = n;
    memcpy(buf, p->buf[p->head] + p->pos, k);
    p->pos += k;
    if (p->pos == p->len[p->head]) {
        p->pos = 0;
        p->head = (p->head + 1) % PIPE_BLOCKS;
        p->count--;
        pthread_cond_broadcast(&p->cv);
    }
    pthread_mutex_unlock(&p->mu);
    return (int64_t)k;
}

int tide_csv_src_open(tide_csv_src *s, const char *path)
{
    memset(s, 0, sizeof *s);
    s->fd = open(path, O_RDONLY);
    if (s->fd < 0) return tide_errorf("%s: cannot open: %s", path, strerror(errno));
    struct stat st;
    if (fstat(s->fd, &st) != 0) {
        close(s->fd);
        return tide_errorf("%s: cannot stat: %s", path, strerror(errno));
    }
    if (S_ISDIR(st.st_mode)) {
        close(s->fd);
        return tide_errorf("%s: is a directory", path);
    }
    if (S_ISREG(st.st_mode)) s->size = (uint64_t)st.st_size; /* a pipe's size is unknown: 0 */
    /* sniff gzip with read(), not pread(): a pipe cannot seek; the bytes are served back */
    size_t got = 0;
    while (got < 2) {
        ssize_t r = read(s->fd, s->magic + got, 2 - got);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) {
            close(s->fd);
            return tide_errorf("%s: read error: %s", path, strerror(errno));
        }
        if (r == 0) break;
        got += (size_t)r;
    }
    if (got == 0) {
        close(s->fd);
        return tide_errorf("%s: empty file (no data)", path);
    }
    if (got == 2 && s->magic[0] == 0x1f && s->magic[1] == 0x8b) {
        s->gz = tide_gz_open(s->fd, s->magic, 2); /* takes over fd */
        if (!s->gz) {
            close(s->fd);
            return tide_errorf("%s: out of memory for the gzip stream", path);
        }
        s->pipe = pipe_start(s->gz);
        return TIDE_OK;
    }
    s->prefix = (const char *)s->magic;
    s->prefix_len = got;
    return TIDE_OK;
}

int64_t tide_csv_src_read(tide_csv_src *s, char *buf, size_t n, const char *path)
{
    if (s->pipe) return pipe_read(s, buf, n, path);
    if (s->gz) {
        char msg[256];
        int64_t r = tide_gz_read(s->gz, buf, n, msg, sizeof msg);
        if (r < 0) {
            tide_errorf("%s: %s", path, msg);
            return -1;
        }
        s->done = tide_gz_offset(s->gz);
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
    if (s->pipe) { /* stop and join the inflater before closing its stream */
        struct tide_gz_pipe *p = s->pipe;
        pthread_mutex_lock(&p->mu);
        p->stop = 1;
        pthread_cond_broadcast(&p->cv);
        pthread_mutex_unlock(&p->mu);
        pthread_join(p->th, NULL);
        pthread_mutex_destroy(&p->mu);
        pthread_cond_destroy(&p->cv);
        pipe_free(p);
        s->pipe = NULL;
    }
    if (s->gz) tide_gz_close(s->gz);
    else if (s->fd >= 0) close(s->fd);
}

