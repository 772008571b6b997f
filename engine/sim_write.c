/* sim_write.c — turns simulated visits into CSV rows (funnel, items, prices, dwell), streams
 * them to plain or gzip files through a fixed buffer, and writes the truth JSON. Files are
 * written to a temporary name, fsynced and renamed, so readers never see half a log. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "error.h"
#include "sim_impl.h"

static const char *behavior_names[5] = {"pv", "click", "cart", "fav", "buy"};
static const char csv_header[] = "user_id,item_id,category_id,behavior,timestamp,price,dwell\n";

/* ---- atomic output: plain or gzip ----
 * Formatting and compression overlap: the generator fills one of SIM_NBUF buffers while a
 * writer thread compresses/writes the previous ones, in order, so the bytes are the same as a
 * single-threaded run (deflate's output does not depend on how its input is split). */
#define SIM_NBUF 3

typedef struct {
    char *bufs[SIM_NBUF];
    size_t lens[SIM_NBUF];
    char *buf; /* == bufs[tail], the one being filled */
    size_t cap, len;
    int head, tail, queued, done, threaded;
    pthread_t th;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int fd;
    gzFile gz;
    int failed;
    char tmp[4096];
    const char *path;
    int64_t bytes;
} sim_out;

static int ends_with(const char *s, const char *suf)
{
    size_t n = strlen(s), m = strlen(suf);
    return n >= m && !strcmp(s + n - m, suf);
}

/* Writes one block to the file or the gzip stream; returns 0 on failure. */
static int write_block(sim_out *o, const char *buf, size_t len)
{
    if (o->gz) return gzwrite(o->gz, buf, (unsigned)len) == (int)len;
    size_t off = 0;
    while (off < len) {
        ssize_t w = write(o->fd, buf + off, len - off);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return 0;
        off += (size_t)w;
    }
    return 1;
}

static void *writer_main(void *arg)
{
    sim_out *o = arg;
    pthread_mutex_lock(&o->mu);
    for (;;) {
        while (o->queued == 0 && !o->done) pthread_cond_wait(&o->cv, &o->mu);
        if (o->queued == 0) break;
        int j = o->head, bad = o->failed;
        pthread_mutex_unlock(&o->mu);
        int ok = bad || write_block(o, o->bufs[j], o->lens[j]);
        pthread_mutex_lock(&o->mu);
        if (!ok) o->failed = 1;
        o->head = (o->head + 1) % SIM_NBUF;
        o->queued--;
        pthread_cond_broadcast(&o->cv);
    }
    pthread_mutex_unlock(&o->mu);
    return NULL;
}

static void out_free_bufs(sim_out *o)
{
    for (int i = 0; i < SIM_NBUF; i++) free(o->bufs[i]);
}

static int out_open(sim_out *o, const char *path, size_t cap, int gz_level)
{
    memset(o, 0, sizeof *o);
    o->fd = -1;
    o->path = path;
    o->cap = cap;
    for (int i = 0; i < SIM_NBUF; i++)
        if (!(o->bufs[i] = malloc(cap))) {
            out_free_bufs(o);
            return tide_errorf("sim: out of memory for %d buffers of %zu bytes", SIM_NBUF, cap);
        }
    o->buf = o->bufs[0];
    if (snprintf(o->tmp, sizeof o->tmp, "%s.tmp.%ld", path, (long)getpid()) >= (int)sizeof o->tmp) {
        out_free_bufs(o);
        return tide_errorf("sim: path too long: '%s'", path);
    }
    o->fd = open(o->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (o->fd < 0) {
        out_free_bufs(o);
        return tide_errorf("sim: cannot create '%s': %s", path, strerror(errno));
    }
    if (ends_with(path, ".gz")) {
        char mode[8];
        snprintf(mode, sizeof mode, "wb%d", gz_level < 1 ? 1 : gz_level > 9 ? 9 : gz_level);
        int fd2 = dup(o->fd);
        o->gz = fd2 >= 0 ? gzdopen(fd2, mode) : NULL;
        if (!o->gz) {
            if (fd2 >= 0) close(fd2);
            close(o->fd);
            unlink(o->tmp);
            out_free_bufs(o);
            return tide_errorf("sim: cannot start gzip stream for '%s'", path);
        }
        gzbuffer(o->gz, 1 << 18);
    }
    pthread_mutex_init(&o->mu, NULL);
    pthread_cond_init(&o->cv, NULL);
    o->threaded = pthread_create(&o->th, NULL, writer_main, o) == 0; /* else: synchronous */
    return TIDE_OK;
}

/* Hands the filled buffer to the writer (or writes it) and moves to a free one. */
static void out_flush(sim_out *o)
{
    if (o->len == 0) return;
    o->bytes += (int64_t)o->len;
    if (!o->threaded) {
        if (!o->failed && !write_block(o, o->buf, o->len)) o->failed = 1;
        o->len = 0;
        return;
    }
    pthread_mutex_lock(&o->mu);
    o->lens[o->tail] = o->len;
    o->queued++;
    o->tail = (o->tail + 1) % SIM_NBUF;
    pthread_cond_broadcast(&o->cv);
    while (o->queued == SIM_NBUF) pthread_cond_wait(&o->cv, &o->mu);
    pthread_mutex_unlock(&o->mu);
    o->buf = o->bufs[o->tail];
    o->len = 0;
}

static inline char *out_reserve(sim_out *o, size_t need)
{
    if (o->cap - o->len < need) out_flush(o);
    return o->buf + o->len;
}

static int out_failed(sim_out *o)
{
    if (!o->threaded) return o->failed;
    pthread_mutex_lock(&o->mu);
    int f = o->failed;
    pthread_mutex_unlock(&o->mu);
    return f;
}

/* Finishes the file: drain the writer, close gzip, fsync, rename; on any failure removes the
 * temporary file. */
static int out_close(sim_out *o, int ok)
{
    out_flush(o);
    if (o->threaded) {
        pthread_mutex_lock(&o->mu);
        o->done = 1;
        pthread_cond_broadcast(&o->cv);
        pthread_mutex_unlock(&o->mu);
        pthread_join(o->th, NULL);
    }
    pthread_mutex_destroy(&o->mu);
    pthread_cond_destroy(&o->cv);
    int bad = !ok || o->failed;
    int e = errno;
    if (o->gz && gzclose(o->gz) != Z_OK) bad = 1;
    if (!bad && fsync(o->fd) != 0) bad = 1, e = errno;
    if (close(o->fd) != 0) bad = 1;
    out_free_bufs(o);
    if (!bad && rename(o->tmp, o->path) != 0) bad = 1, e = errno;
    if (bad) {
        unlink(o->tmp);
        if (ok) return tide_errorf("sim: writing '%s' failed: %s", o->path, e ? strerror(e) : "I/O error");
        return TIDE_ERR;
    }
    return TIDE_OK;
}

/* ---- number formatting ---- */
static inline char *put_u64(char *p, uint64_t v)
{
    char tmp[24];
    int n = 0;
    do tmp[n++] = (char)('0' + v % 10), v /= 10;
    while (v);
    while (n) *p++ = tmp[--n];
    return p;
}

static inline char *put_cents(char *p, int32_t c)
{
    p = put_u64(p, (uint64_t)(c / 100));
    *p++ = '.';
    *p++ = (char)('0' + c / 10 % 10);
    *p++ = (char)('0' + c % 10);
    return p;
}

typedef struct {
    uint64_t user;
    int64_t item; /* 0-based */
    int cat;      /* 0-based */
} row_key;

static inline void put_row(sim_out *o, const tide_sim *s, const row_key *k, int beh, int64_t ts,
                           int64_t dwell, tide_sim_summary *sum)
{
    char *p = out_reserve(o, 128), *p0 = p;
    p = put_u64(p, k->user);
    *p++ = ',';
    p = put_u64(p, (uint64_t)k->item + 1);
    *p++ = ',';
    p = put_u64(p, (uint64_t)k->cat + 1);
    *p++ = ',';
    const char *b = behavior_names[beh];
    while (*b) *p++ = *b++;
    *p++ = ',';
    p = put_u64(p, (uint64_t)ts);
    *p++ = ',';
    p = put_cents(p, s->price_cents[k->item]);
    *p++ = ',';
    p = put_u64(p, (uint64_t)dwell);
    *p++ = '\n';
    o->len += (size_t)(p - p0);
    sum->rows++;
    sum->by_behavior[beh]++;
    if (ts < sum->t_min) sum->t_min = ts;
    if (ts > sum->t_max) sum->t_max = ts;
}

static int64_t draw_dwell(sim_rng *r, double median, double sigma)
{
    double d = median * exp(sigma * sim_normal(r));
    return d < 1 ? 1 : d > 3600 ? 3600 : (int64_t)llround(d);
}

static int pick_category(const double *cum, int C, double u)
{
    int lo = 0, hi = C - 1;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (cum[mid] > u) hi = mid;
        else lo = mid + 1;
    }
    return lo;
}

static int64_t pick_rank(const double *cdf, int64_t n, double u)
{
    int64_t lo = 0, hi = n - 1;
    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        if (cdf[mid] > u) hi = mid;
        else lo = mid + 1;
    }
    return lo;
}

/* All rows of one user: its visits, and within each visit 1 + Geometric pv rows, each
 * followed down the funnel. Seconds inside a visit advance with dwell and short pauses. */
static void emit_user(const tide_sim *s, int64_t u, double *cum, sim_out *o, tide_sim_summary *sum)
{
    const tide_sim_config *c = &s->cfg;
    tide_sim_truth tr;
    sim_user_profile(s, u, &tr, cum);
    sim_proc p;
    sim_rng vr, rr;
    sim_proc_init(s, u, &p, &vr);
    sim_rng_init(&rr, c->seed, (uint64_t)u, SIM_STREAM_ROWS);
    const int C = c->n_categories;
    const int64_t rem = c->n_items % C;
    const double log_q = c->mean_pv > 1 ? log(1 - 1 / c->mean_pv) : 0;
    int prev_cat = -1;
    int64_t last = INT64_MIN;
    double t;
    int kind;
    row_key k = {(uint64_t)u + 1, 0, 0};
    while (sim_proc_next(&p, &vr, c->horizon, &t, &kind)) {
        sum->visits++;
        double us = sim_unif(&rr);
        k.cat = kind == 2 && prev_cat >= 0 && us < c->stick ? prev_cat
                                                            : pick_category(cum, C, sim_unif(&rr));
        prev_cat = k.cat;
        int64_t n_c = s->n_lo + (k.cat < rem);
        const double *cdf = k.cat < rem ? s->cdf_hi : s->cdf_lo;
        int64_t shift = (int64_t)floor(c->drift * t) % n_c;
        int64_t extra = 0;
        if (log_q < 0) {
            double e = floor(log(sim_unif(&rr)) / log_q);
            extra = e > 1e5 ? 100000 : (int64_t)e;
        }
        int64_t ts = c->t_start + (int64_t)floor(t * 86400.0);
        if (ts <= last) ts = last + 1; /* a visit never starts before the previous one ends */
        for (int64_t v = 0; v <= extra; v++) {
            int64_t rank = pick_rank(cdf, n_c, sim_unif(&rr));
            k.item = ((rank + n_c - shift) % n_c) * C + k.cat;
            int64_t dw = draw_dwell(&rr, c->dwell_median, c->dwell_sigma);
            put_row(o, s, &k, 0, ts, dw, sum);
            ts += dw;
            if (sim_unif(&rr) < c->p_click) {
                int64_t dc = draw_dwell(&rr, 2 * c->dwell_median, c->dwell_sigma);
                put_row(o, s, &k, 1, ts, dc, sum);
                ts += dc;
                for (int b = 2; b <= 4; b++) {
                    double pb = b == 2 ? c->p_cart : b == 3 ? c->p_fav : c->p_buy;
                    if (sim_unif(&rr) >= pb) break;
                    ts += 2 + (int64_t)sim_exp(&rr, 1.0 / 20);
                    put_row(o, s, &k, b, ts, 0, sum);
                }
            }
            last = ts;
            ts += 1 + (int64_t)sim_exp(&rr, 1.0 / 15);
        }
    }
    if (p.alive) sum->users_alive_at_end++;
}

int tide_sim_write(const tide_sim *s, const char *path, int64_t chunk_bytes, int gz_level,
                   tide_sim_summary *sum)
{
    if (!path || !*path) return tide_errorf("sim: output path is empty");
    if (chunk_bytes < 256) chunk_bytes = 256;
    if (chunk_bytes > (1 << 26)) chunk_bytes = 1 << 26; /* three of these are live */
    double *cum = malloc(sizeof(double) * (size_t)s->cfg.n_categories);
    if (!cum) return tide_errorf("sim: out of memory");
    sim_out o;
    if (out_open(&o, path, (size_t)chunk_bytes, gz_level) != TIDE_OK) {
        free(cum);
        return TIDE_ERR;
    }
    tide_sim_summary local;
    if (!sum) sum = &local;
    memset(sum, 0, sizeof *sum);
    sum->t_min = INT64_MAX, sum->t_max = INT64_MIN;
    char *p = out_reserve(&o, sizeof csv_header);
    memcpy(p, csv_header, sizeof csv_header - 1);
    o.len += sizeof csv_header - 1;
    for (int64_t u = 0; u < s->cfg.n_users; u++) {
        emit_user(s, u, cum, &o, sum);
        if ((u & 1023) == 0 && out_failed(&o)) break; /* e.g. disk full: stop early */
    }
    free(cum);
    out_flush(&o);
    sum->bytes = o.bytes;
    if (sum->rows == 0) sum->t_min = sum->t_max = 0;
    return out_close(&o, 1);
}

/* ---- truth JSON ---- */
static void json_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\') fprintf(f, "\\%c", ch);
        else if (ch < 0x20) fprintf(f, "\\u%04x", ch);
        else fputc(ch, f);
    }
    fputc('"', f);
}

static void write_config(FILE *f, const tide_sim_config *c)
{
    fprintf(f, "\"config\": {\"seed\": %llu, \"users\": %lld, \"events_requested\": %lld, "
               "\"items\": %lld, \"categories\": %d, \"decay\": \"%s\", \"t_start\": %lld, "
               "\"horizon_days\": %.10g, \"join_spread\": %.10g, \"mean_pv\": %.10g,\n"
               "  \"funnel\": {\"p_click\": %.10g, \"p_cart\": %.10g, \"p_fav\": %.10g, "
               "\"p_buy\": %.10g}, \"rows_per_pv\": %.10g,\n"
               "  \"zipf_items\": %.10g, \"zipf_categories\": %.10g, \"dirichlet_conc\": %.10g, "
               "\"stick\": %.10g, \"drift_ranks_per_day\": %.10g, \"price_median\": %.10g, "
               "\"price_sigma\": %.10g, \"dwell_median\": %.10g, \"dwell_sigma\": %.10g, "
               "\"hawkes\": %s, \"churn\": %s, \"join_visit\": %s},\n",
            (unsigned long long)c->seed, (long long)c->n_users, (long long)c->n_events,
            (long long)c->n_items, c->n_categories, tide_sim_law_name(c->law),
            (long long)c->t_start, c->horizon, c->join_spread, c->mean_pv, c->p_click, c->p_cart,
            c->p_fav, c->p_buy, tide_sim_rows_per_pv(c), c->zipf_items, c->zipf_categories,
            c->dirichlet_conc, c->stick, c->drift, c->price_median, c->price_sigma,
            c->dwell_median, c->dwell_sigma, c->hawkes ? "true" : "false",
            c->churn ? "true" : "false", c->join_visit ? "true" : "false");
}

static void write_segments(FILE *f, const tide_sim_config *c)
{
    fprintf(f, "\"segments\": [\n");
    for (int i = 0; i < c->n_segments; i++) {
        const tide_sim_segment *g = &c->seg[i];
        fprintf(f, "  {\"id\": %d, \"name\": ", i + 1);
        json_str(f, g->name);
        fprintf(f, ", \"weight\": %.10g, \"decay\": \"%s\", \"rate_prior\": {\"dist\": \"gamma\", "
                   "\"shape\": %.10g, \"rate\": %.10g, \"mean\": %.10g}, \"mix_weight\": %.10g, "
                   "\"mix_ratio\": %.10g, \"power_shape\": %.10g, \"hawkes\": {\"branching_mean\": "
                   "%.10g, \"beta_mean\": %.10g, \"branching_conc\": %.10g, \"beta_shape\": %.10g, "
                   "\"branching_dist\": \"beta(conc n, conc (1-n))\", "
                   "\"beta_dist\": \"gamma(beta_shape, beta_shape/beta_mean)\"}, \"churn_prior\": {\"dist\": "
                   "\"gamma\", \"shape\": %.10g, \"rate\": %.10g}, \"react_prior\": {\"dist\": "
                   "\"gamma\", \"shape\": %.10g, \"rate\": %.10g}}%s\n",
                g->weight, tide_sim_law_name(c->law), g->rate_shape, g->rate_rate,
                g->rate_shape / g->rate_rate, g->mix_weight, g->mix_ratio, g->power_shape,
                c->hawkes ? g->branching : 0, g->beta, g->branching_conc, g->beta_shape, g->churn_shape, g->churn_rate,
                g->react_shape, g->react_rate, i + 1 < c->n_segments ? "," : "");
    }
    fprintf(f, "],\n");
}

int tide_sim_write_truth(const tide_sim *s, const char *path, int per_user,
                         const tide_sim_summary *sum)
{
    if (!path || !*path) return tide_errorf("sim: truth path is empty");
    char tmp[4096];
    if (snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid()) >= (int)sizeof tmp)
        return tide_errorf("sim: path too long: '%s'", path);
    FILE *f = fopen(tmp, "w");
    if (!f) return tide_errorf("sim: cannot create '%s': %s", path, strerror(errno));
    const tide_sim_config *c = &s->cfg;
    fprintf(f, "{\"format\": \"tide.sim.truth/1\", \"time_unit\": \"day\",\n"
               "\"columns\": [\"user_id\", \"item_id\", \"category_id\", \"behavior\", "
               "\"timestamp\", \"price\", \"dwell\"],\n"
               "\"notes\": \"theta uses decay.h natural parameters: exponential [rate]; mixture "
               "[w_fast, w_slow, rate_fast, rate_slow]; power [rate, a] with S=(1+rate t)^-a. "
               "mu = 1/E[return gap] (the Hawkes background rate; = rate for exponential). "
               "Hawkes kernel alpha exp(-beta t), branching = alpha/beta. Hazards per day.\",\n");
    write_config(f, c);
    if (sum)
        fprintf(f, "\"summary\": {\"rows\": %lld, \"visits\": %lld, \"users_alive_at_end\": %lld, "
                   "\"pv\": %lld, \"click\": %lld, \"cart\": %lld, \"fav\": %lld, \"buy\": %lld, "
                   "\"t_min\": %lld, \"t_max\": %lld, \"bytes\": %lld},\n",
                (long long)sum->rows, (long long)sum->visits, (long long)sum->users_alive_at_end,
                (long long)sum->by_behavior[0], (long long)sum->by_behavior[1],
                (long long)sum->by_behavior[2], (long long)sum->by_behavior[3],
                (long long)sum->by_behavior[4], (long long)sum->t_min, (long long)sum->t_max,
                (long long)sum->bytes);
    write_segments(f, c);
    fprintf(f, "\"user_columns\": [\"user_id\", \"segment\", \"rate\", \"theta\", \"mu\", "
               "\"alpha\", \"beta\", \"branching\", \"churn\", \"react\", \"visits\", "
               "\"alive_at_end\"],\n\"users\": [");
    for (int64_t u = 0; per_user && u < c->n_users; u++) {
        tide_sim_truth t;
        int alive;
        tide_sim_user_truth(s, u, &t);
        int64_t nv = tide_sim_user_visits(s, u, NULL, NULL, 0, &alive);
        fprintf(f, "%s\n[%lld, %d, %.10g, [", u ? "," : "", (long long)u + 1, t.segment + 1, t.rate);
        for (int j = 0; j < t.n_theta; j++) fprintf(f, "%s%.10g", j ? ", " : "", t.theta[j]);
        fprintf(f, "], %.10g, %.10g, %.10g, %.10g, %.10g, %.10g, %lld, %s]", t.mu, t.alpha, t.beta,
                t.alpha / t.beta, t.churn, t.react, (long long)nv, alive ? "true" : "false");
    }
    fprintf(f, "]}\n");
    int bad = ferror(f) || fflush(f) != 0 || fsync(fileno(f)) != 0;
    int e = errno;
    if (fclose(f) != 0) bad = 1;
    if (!bad && rename(tmp, path) != 0) bad = 1, e = errno;
    if (bad) {
        unlink(tmp);
        return tide_errorf("sim: writing '%s' failed: %s", path, strerror(e));
    }
    return TIDE_OK;
}
