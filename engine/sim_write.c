/* sim_write.c — writes the simulated log: users are cut into fixed blocks, worker threads
 * generate (and gzip, one gzip member per block) blocks ahead of the writer, and the calling
 * thread writes finished blocks in order to a temporary file that is fsynced and renamed.
 * Every user's rows depend only on (seed, user), and block boundaries only on the config, so
 * the bytes do not depend on the number of threads. A gzip file made of several members is
 * standard (RFC 1952 §2.2) and zlib's gzread, gzip -d, Python and pandas read it whole. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "error.h"
#include "atomic_file.h"
#include "sim_impl.h"

static const char csv_header[] = "user_id,item_id,category_id,behavior,timestamp,price,dwell\n";
static const char csv_header_rating[] =
    "user_id,item_id,category_id,behavior,timestamp,price,dwell,rating\n";

typedef struct {
    sim_buf raw;             /* CSV text of the block */
    unsigned char *z;        /* its gzip member (gzip output only) */
    size_t zlen, zcap;
    tide_sim_summary sum;
    int ready, failed;
} sim_slot;

typedef struct {
    const tide_sim *s;
    int gz, level, n_slots;
    int64_t block_users, n_blocks, next_block, written;
    int stop;
    char err[256];
    sim_slot *slots;
    pthread_mutex_t mu;
    pthread_cond_t cv;
} sim_pipe;

static int ends_with(const char *s, const char *suf)
{
    size_t n = strlen(s), m = strlen(suf);
    return n >= m && !strcmp(s + n - m, suf);
}

/* Deflates the slot's CSV into one complete gzip member (windowBits 15 + 16: gzip wrapper
 * with mtime 0 and no name, so the bytes are reproducible). */
static int compress_slot(sim_slot *sl, int level)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    if (deflateInit2(&z, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) return 0;
    size_t bound = deflateBound(&z, (uLong)sl->raw.len);
    if (bound > sl->zcap) {
        unsigned char *p = realloc(sl->z, bound);
        if (!p) {
            deflateEnd(&z);
            return 0;
        }
        sl->z = p, sl->zcap = bound;
    }
    z.next_in = (Bytef *)sl->raw.data;
    z.avail_in = (uInt)sl->raw.len;
    z.next_out = sl->z;
    z.avail_out = (uInt)sl->zcap;
    int rc = deflate(&z, Z_FINISH);
    sl->zlen = sl->zcap - z.avail_out;
    deflateEnd(&z);
    return rc == Z_STREAM_END;
}

static void fill_block(sim_pipe *p, int64_t b, sim_slot *sl, double *cum)
{
    const tide_sim_config *c = tide_sim_config_of(p->s);
    memset(&sl->sum, 0, sizeof sl->sum);
    sl->sum.t_min = INT64_MAX, sl->sum.t_max = INT64_MIN;
    sl->raw.len = 0, sl->raw.oom = 0, sl->zlen = 0, sl->failed = 0;
    const char *hdr = c->p_review > 0 ? csv_header_rating : csv_header;
    size_t hlen = strlen(hdr);
    if (b == 0 && sim_buf_reserve(&sl->raw, hlen + 1)) {
        memcpy(sl->raw.data, hdr, hlen);
        sl->raw.len = hlen;
    }
    int64_t u1 = (b + 1) * p->block_users;
    if (u1 > c->n_users) u1 = c->n_users;
    for (int64_t u = b * p->block_users; u < u1 && !sl->raw.oom; u++)
        sim_emit_user(p->s, u, cum, &sl->raw, &sl->sum);
    sl->sum.bytes = (int64_t)sl->raw.len;
    if (sl->raw.oom) sl->failed = 1;
    else if (p->gz && sl->raw.len && !compress_slot(sl, p->level)) sl->failed = 1;
}

static void *worker_main(void *arg)
{
    sim_pipe *p = arg;
    double *cum = malloc(sizeof(double) * (size_t)tide_sim_config_of(p->s)->n_categories);
    pthread_mutex_lock(&p->mu);
    if (!cum) p->stop = 1, snprintf(p->err, sizeof p->err, "out of memory");
    for (;;) {
        while (!p->stop && p->next_block < p->n_blocks && p->next_block >= p->written + p->n_slots)
            pthread_cond_wait(&p->cv, &p->mu);
        if (p->stop || p->next_block >= p->n_blocks) break;
        int64_t b = p->next_block++;
        sim_slot *sl = &p->slots[b % p->n_slots];
        pthread_mutex_unlock(&p->mu);
        fill_block(p, b, sl, cum);
        pthread_mutex_lock(&p->mu);
        sl->ready = 1;
        pthread_cond_broadcast(&p->cv);
    }
    pthread_mutex_unlock(&p->mu);
    free(cum);
    return NULL;
}

static int write_all(int fd, const void *buf, size_t len)
{
    const char *b = buf;
    while (len) {
        ssize_t w = write(fd, b, len);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return 0;
        b += w, len -= (size_t)w;
    }
    return 1;
}

static void merge_summary(tide_sim_summary *a, const tide_sim_summary *b)
{
    a->rows += b->rows, a->visits += b->visits, a->users_alive_at_end += b->users_alive_at_end;
    a->bytes += b->bytes;
    for (int i = 0; i < 5; i++) a->by_behavior[i] += b->by_behavior[i];
    if (b->t_min < a->t_min) a->t_min = b->t_min;
    if (b->t_max > a->t_max) a->t_max = b->t_max;
}

/* The writer loop (caller's thread): blocks in order, as soon as each is ready. */
static void drain(sim_pipe *p, int fd, tide_sim_summary *sum)
{
    for (int64_t b = 0; b < p->n_blocks; b++) {
        sim_slot *sl = &p->slots[b % p->n_slots];
        pthread_mutex_lock(&p->mu);
        while (!sl->ready && !p->stop) pthread_cond_wait(&p->cv, &p->mu);
        int stop = p->stop;
        pthread_mutex_unlock(&p->mu);
        if (stop) return;
        const char *why = NULL;
        if (sl->failed) why = "out of memory or compression failure";
        else if (!write_all(fd, p->gz ? (void *)sl->z : (void *)sl->raw.data, p->gz ? sl->zlen : sl->raw.len))
            why = strerror(errno);
        merge_summary(sum, &sl->sum);
        pthread_mutex_lock(&p->mu);
        if (why) p->stop = 1, snprintf(p->err, sizeof p->err, "%s", why);
        sl->ready = 0;
        p->written++;
        pthread_cond_broadcast(&p->cv);
        pthread_mutex_unlock(&p->mu);
        if (why) return;
    }
}

/* Blocks of about 64k rows: block_users follows from the requested rows per user, or without
 * a row target from the visits of up to 256 evenly spaced users (a pure function of the
 * config, so block boundaries never depend on threads). */
static int64_t auto_block_users(const tide_sim *s)
{
    const tide_sim_config *c = tide_sim_config_of(s);
    double per_user;
    if (c->n_events > 0) {
        per_user = (double)c->n_events / (double)c->n_users;
    } else {
        int64_t k = c->n_users < 256 ? c->n_users : 256;
        double v = 0;
        for (int64_t i = 0; i < k; i++)
            v += (double)tide_sim_user_visits(s, i * c->n_users / k, NULL, NULL, 0, NULL);
        per_user = v / (double)k * c->mean_pv * tide_sim_rows_per_pv(c);
    }
    double b = 65536.0 / (per_user > 1 ? per_user : 1);
    return b < 1 ? 1 : b > 65536 ? 65536 : (int64_t)b;
}

int tide_sim_write(const tide_sim *s, const char *path, int gz_level, int threads,
                   int64_t block_users, tide_sim_summary *sum)
{
    if (!path || !*path) return tide_errorf("sim: output path is empty");
    if (gz_level < 1 || gz_level > 9) return tide_errorf("sim: gzip level must be 1..9 (got %d)", gz_level);
    if (block_users < 0) return tide_errorf("sim: block_users must be >= 0");
    const tide_sim_config *c = tide_sim_config_of(s);
    if (threads <= 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        threads = n < 1 ? 1 : n > 8 ? 8 : (int)n;
    }
    if (threads > 64) threads = 64;
    sim_pipe p;
    memset(&p, 0, sizeof p);
    p.s = s, p.gz = ends_with(path, ".gz"), p.level = gz_level;
    p.block_users = block_users ? block_users : auto_block_users(s);
    p.n_blocks = (c->n_users + p.block_users - 1) / p.block_users;
    p.n_slots = 2 * threads;
    p.slots = calloc((size_t)p.n_slots, sizeof *p.slots);
    if (!p.slots) return tide_errorf("sim: out of memory");
    tide_atomic_file af;
    if (tide_atomic_open(&af, path) != TIDE_OK) {
        free(p.slots);
        tide_error_prefix("sim");
        return TIDE_ERR;
    }
    int fd = fileno(af.f); /* blocks are written straight to the descriptor, never via af.f */
    pthread_mutex_init(&p.mu, NULL);
    pthread_cond_init(&p.cv, NULL);
    pthread_t th[64];
    int started = 0;
    for (; started < threads; started++)
        if (pthread_create(&th[started], NULL, worker_main, &p) != 0) break;
    tide_sim_summary local;
    if (!sum) sum = &local;
    memset(sum, 0, sizeof *sum);
    sum->t_min = INT64_MAX, sum->t_max = INT64_MIN;
    if (started == 0) p.stop = 1, snprintf(p.err, sizeof p.err, "cannot start worker threads");
    else drain(&p, fd, sum);
    pthread_mutex_lock(&p.mu);
    if (p.written < p.n_blocks && !p.stop) p.stop = 1;
    pthread_cond_broadcast(&p.cv);
    pthread_mutex_unlock(&p.mu);
    for (int i = 0; i < started; i++) pthread_join(th[i], NULL);
    pthread_mutex_destroy(&p.mu);
    pthread_cond_destroy(&p.cv);
    for (int i = 0; i < p.n_slots; i++) free(p.slots[i].raw.data), free(p.slots[i].z);
    free(p.slots);
    if (sum->rows == 0) sum->t_min = sum->t_max = 0;
    if (p.written < p.n_blocks) {
        tide_atomic_abort(&af);
        return tide_errorf("sim: writing '%s' failed: %s", path, p.err[0] ? p.err : "I/O error");
    }
    if (tide_atomic_commit(&af) != TIDE_OK) {
        tide_error_prefix("sim");
        return TIDE_ERR;
    }
    return TIDE_OK;
}
