/* metrics.c — full-ranking evaluation: target ranks with seen-item exclusion, the sampled
 * protocol, HR/NDCG/Recall/Precision/MAP/MRR from ranks, and per-row top-K.
 *
 * Why ranks: every accuracy metric of a full ranking is a function of where the targets land,
 * and the rank of one target is a single branch-free pass over the row (count of scores
 * above it), much cheaper than sorting or even a top-K heap. Seen items are then subtracted
 * by walking the user's (short) seen list, so exclusion costs O(|seen|), not O(I). */
#include "metrics.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "threads.h"
#include "error.h"
#include "rng.h"

/* The scans below are compare-and-count loops: built for AVX2 as well as the baseline ISA and
 * picked at load time (GCC function multiversioning), since the build targets x86-64-v2. */
#if defined(__GNUC__) && defined(__x86_64__) && !defined(__clang__) && !defined(__SANITIZE_ADDRESS__)
#define HOT_SCAN __attribute__((target_clones("avx2", "default")))
#else
#define HOT_SCAN
#endif

/* M_SEEN_TARGET: a target the user had already seen. With seen items excluded it is excluded
 * too (a miss, rank = I): keeping it as the one seen item left among the candidates would tell
 * a model that scores the history high exactly which item is held out. */
enum { M_NONE = 0, M_SEEN = 1, M_TARGET = 2, M_DONE = 3, M_DRAWN = 4, M_SEEN_TARGET = 5, M_DONE_T = 6 };

/* items that come before item j (score s): higher score, or equal score and lower id */
HOT_SCAN static int64_t count_before(const float *x, int64_t I, int64_t j, float s)
{
    int64_t c = 0;
    int32_t acc = 0;
    for (int64_t i = 0; i < j; i++) acc += x[i] >= s;
    c += acc;
    acc = 0;
    for (int64_t i = j + 1; i < I; i++) acc += x[i] > s;
    return c + acc;
}

static int before(float xi, int64_t i, float s, int64_t j) { return xi > s || (xi == s && i < j); }

static int check_ids(int64_t B, const int64_t *off, const int32_t *ids, int64_t I, const char *what)
{
    for (int64_t b = 0; b < B; b++) {
        if (off[b + 1] < off[b]) return tide_errorf("metrics: %s offsets decrease at row %lld", what, (long long)b);
        for (int64_t p = off[b]; p < off[b + 1]; p++)
            if (ids[p] < 0 || ids[p] >= I)
                return tide_errorf("metrics: %s item %d of row %lld is outside [0, %lld)", what, ids[p],
                                   (long long)b, (long long)I);
    }
    return TIDE_OK;
}

static int check_args(int64_t B, int64_t I, int64_t ld, const int64_t *seen_off, const int32_t *seen,
                      const int64_t *tgt_off, const int32_t *tgt)
{
    if (I <= 0 || (ld < I && ld != 0)) /* ld 0: every row is the same (broadcast) */
        return tide_errorf("metrics: bad item count %lld / leading dim %lld", (long long)I, (long long)ld);
    if (seen && check_ids(B, seen_off, seen, I, "seen") < 0) return TIDE_ERR;
    if (tgt && check_ids(B, tgt_off, tgt, I, "target") < 0) return TIDE_ERR;
    return TIDE_OK;
}

/* marks the row's targets and seen items in mark[]; returns the number of distinct excluded */
static int64_t mark_row(uint8_t *mark, int64_t b, const int64_t *seen_off, const int32_t *seen,
                        const int64_t *tgt_off, const int32_t *tgt)
{
    int64_t excl = 0;
    if (tgt)
        for (int64_t p = tgt_off[b]; p < tgt_off[b + 1]; p++) mark[tgt[p]] = M_TARGET;
    if (seen)
        for (int64_t p = seen_off[b]; p < seen_off[b + 1]; p++) {
            if (mark[seen[p]] == M_NONE) {
                mark[seen[p]] = M_SEEN;
                excl++;
            } else if (mark[seen[p]] == M_TARGET) {
                mark[seen[p]] = M_SEEN_TARGET;
            }
        }
    return excl;
}

static void clear_row(uint8_t *mark, int64_t b, const int64_t *seen_off, const int32_t *seen,
                      const int64_t *tgt_off, const int32_t *tgt)
{
    if (tgt)
        for (int64_t p = tgt_off[b]; p < tgt_off[b + 1]; p++) mark[tgt[p]] = M_NONE;
    if (seen)
        for (int64_t p = seen_off[b]; p < seen_off[b + 1]; p++) mark[seen[p]] = M_NONE;
}

/* how many of row b's distinct seen items (seen targets included) come before target j */
static int64_t seen_before(uint8_t *mark, int64_t b, const int64_t *seen_off, const int32_t *seen, const float *x,
                           float s, int64_t j)
{
    if (!seen) return 0;
    int64_t r = 0;
    for (int64_t q = seen_off[b]; q < seen_off[b + 1]; q++) {
        int64_t i = seen[q];
        if (mark[i] == M_SEEN || mark[i] == M_SEEN_TARGET) {
            mark[i] = mark[i] == M_SEEN ? M_DONE : M_DONE_T; /* duplicates count once */
            r += before(x[i], i, s, j);
        }
    }
    for (int64_t q = seen_off[b]; q < seen_off[b + 1]; q++) { /* re-arm for the next target */
        if (mark[seen[q]] == M_DONE) mark[seen[q]] = M_SEEN;
        else if (mark[seen[q]] == M_DONE_T) mark[seen[q]] = M_SEEN_TARGET;
    }
    return r;
}

static int rank_rows(int64_t b0, int64_t B, int64_t I, const float *scores, int64_t ld, const int64_t *seen_off,
                     const int32_t *seen, const int64_t *tgt_off, const int32_t *tgt, int64_t *rank)
{
    uint8_t *mark = calloc((size_t)I, 1);
    if (!mark) return tide_errorf("metrics: out of memory for %lld items", (long long)I);
    for (int64_t b = b0; b < B; b++) {
        const float *x = scores + b * ld;
        if (tgt_off[b + 1] == tgt_off[b]) continue;
        mark_row(mark, b, seen_off, seen, tgt_off, tgt);
        for (int64_t p = tgt_off[b]; p < tgt_off[b + 1]; p++) {
            int64_t j = tgt[p];
            float s = x[j];
            if (isnan(s)) {
                free(mark);
                return tide_errorf("metrics: score of target item %lld for row %lld is NaN", (long long)j, (long long)b);
            }
            rank[p] = mark[j] == M_SEEN_TARGET ? I
                                               : count_before(x, I, j, s) - seen_before(mark, b, seen_off, seen, x, s, j);
        }
        clear_row(mark, b, seen_off, seen, tgt_off, tgt);
    }
    free(mark);
    return TIDE_OK;
}

int tide_rank_sampled(int64_t B, int64_t I, const float *scores, int64_t ld, const int64_t *seen_off,
                      const int32_t *seen, const int64_t *tgt_off, const int32_t *tgt, int n_neg,
                      uint64_t seed, int64_t user_base, int64_t *rank)
{
    if (n_neg < 1) return tide_errorf("metrics: sampled protocol needs n_neg >= 1, got %d", n_neg);
    if (n_neg > 1 << 24) return tide_errorf("metrics: n_neg %d is too large", n_neg);
    if (check_args(B, I, ld, seen_off, seen, tgt_off, tgt) < 0) return TIDE_ERR;
    uint8_t *mark = calloc((size_t)I, 1);
    int32_t *drawn = malloc((size_t)n_neg * sizeof(int32_t));
    if (!mark || !drawn) { free(mark); free(drawn); return tide_errorf("metrics: out of memory"); }
    for (int64_t b = 0; b < B; b++) {
        const float *x = scores + b * ld;
        int64_t nt = tgt_off[b + 1] - tgt_off[b];
        if (nt == 0) continue;
        int64_t excl = mark_row(mark, b, seen_off, seen, tgt_off, tgt);
        int64_t ncand = I - excl - nt;
        /* count distinct targets (a target may be listed twice) */
        tide_rng r = {seed, (uint64_t)(user_base + b) << 24};
        for (int64_t p = tgt_off[b]; p < tgt_off[b + 1]; p++) {
            int64_t j = tgt[p];
            float s = x[j];
            if (isnan(s)) {
                free(mark); free(drawn);
                return tide_errorf("metrics: score of target item %lld for row %lld is NaN", (long long)j, (long long)b);
            }
            int m = 0;
            if (ncand <= n_neg) { /* fewer candidates than asked: use them all */
                for (int64_t i = 0; i < I; i++)
                    if (mark[i] == M_NONE && m < n_neg) drawn[m++] = (int32_t)i;
            } else {
                while (m < n_neg) {
                    int32_t i = (int32_t)tide_rng_below(&r, (uint64_t)I);
                    if (mark[i] != M_NONE) continue;
                    mark[i] = M_DRAWN;
                    drawn[m++] = i;
                }
                for (int q = 0; q < m; q++) mark[drawn[q]] = M_NONE;
            }
            int64_t rk = 0;
            for (int q = 0; q < m; q++) rk += before(x[drawn[q]], drawn[q], s, j);
            rank[p] = mark[j] == M_SEEN_TARGET ? I : rk;
        }
        clear_row(mark, b, seen_off, seen, tgt_off, tgt);
    }
    free(mark);
    free(drawn);
    return TIDE_OK;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

int tide_rank_metrics(int64_t B, const int64_t *tgt_off, const int64_t *rank, int nk, const int *ks,
                      double *sums, int64_t *n_users)
{
    int64_t maxt = 0;
    for (int j = 0; j < nk; j++)
        if (ks[j] < 1) return tide_errorf("metrics: cutoff K must be >= 1, got %d", ks[j]);
    for (int64_t b = 0; b < B; b++) maxt = tgt_off[b + 1] - tgt_off[b] > maxt ? tgt_off[b + 1] - tgt_off[b] : maxt;
    int64_t *r = malloc(((size_t)maxt + 1) * sizeof(int64_t));
    if (!r) return tide_errorf("metrics: out of memory");
    int64_t used = 0;
    for (int64_t b = 0; b < B; b++) {
        int64_t nt = tgt_off[b + 1] - tgt_off[b];
        if (nt == 0) continue;
        used++;
        memcpy(r, rank + tgt_off[b], (size_t)nt * sizeof(int64_t));
        if (nt > 1) qsort(r, (size_t)nt, sizeof(int64_t), cmp_i64);
        if (nt > 1) { /* a target listed twice is one relevant item (equal ranks) */
            int64_t w = 1;
            for (int64_t q = 1; q < nt; q++)
                if (r[q] != r[w - 1]) r[w++] = r[q];
            nt = w;
        }
        for (int j = 0; j < nk; j++) {
            int64_t K = ks[j], hits = 0;
            double dcg = 0, idcg = 0, ap = 0;
            for (int64_t q = 0; q < nt && r[q] < K; q++) {
                hits++;
                dcg += 1 / log2((double)r[q] + 2);
                ap += (double)(q + 1) / (double)(r[q] + 1);
            }
            int64_t ideal = nt < K ? nt : K;
            for (int64_t q = 0; q < ideal; q++) idcg += 1 / log2((double)q + 2);
            double *s = sums + j * 6;
            s[0] += hits > 0;
            s[1] += dcg / idcg;
            s[2] += (double)hits / (double)nt;
            s[3] += (double)hits / (double)K;
            s[4] += ap / (double)ideal;
            s[5] += 1 / ((double)r[0] + 1);
        }
    }
    free(r);
    *n_users = used;
    return TIDE_OK;
}

/* min-heap on "goodness" (score, then lower id is better) */
static int worse(float sa, int32_t ia, float sb, int32_t ib) { return sa < sb || (sa == sb && ia > ib); }

static void sift_down(float *hs, int32_t *hi, int n, int p)
{
    for (;;) {
        int l = 2 * p + 1, r = l + 1, m = p;
        if (l < n && worse(hs[l], hi[l], hs[m], hi[m])) m = l;
        if (r < n && worse(hs[r], hi[r], hs[m], hi[m])) m = r;
        if (m == p) return;
        float ts = hs[p]; hs[p] = hs[m]; hs[m] = ts;
        int32_t ti = hi[p]; hi[p] = hi[m]; hi[m] = ti;
        p = m;
    }
}

/* Heap push/replace for the top-K scan (items arrive in increasing id). */
static void heap_offer(float *hs, int32_t *hi, int *n, int K, float sc, int32_t i)
{
    if (*n < K) {
        int p = (*n)++;
        hs[p] = sc; hi[p] = i;
        while (p > 0) {
            int q = (p - 1) / 2;
            if (!worse(hs[p], hi[p], hs[q], hi[q])) break;
            float ts = hs[p]; hs[p] = hs[q]; hs[q] = ts;
            int32_t ti = hi[p]; hi[p] = hi[q]; hi[q] = ti;
            p = q;
        }
    } else {
        hs[0] = sc; hi[0] = i;
        sift_down(hs, hi, *n, 0);
    }
}

/* Empties a min-heap of n <= K entries into a best-first list of K (-1 / NaN past n). */
static void heap_drain(float *hs, int32_t *hi, int n, int K, int32_t *items, float *vals)
{
    for (int q = K - 1; q >= n; q--) {
        items[q] = -1;
        if (vals) vals[q] = NAN;
    }
    for (int q = n - 1; q >= 0; q--) {
        items[q] = hi[0];
        if (vals) vals[q] = hs[0];
        hs[0] = hs[q];
        hi[0] = hi[q];
        sift_down(hs, hi, q, 0);
    }
}

HOT_SCAN static int topk_rows(int64_t b0, int64_t B, int64_t I, const float *scores, int64_t ld, const int64_t *seen_off,
                     const int32_t *seen, int K, int32_t *items, float *vals)
{
    uint8_t *mark = calloc((size_t)I, 1);
    float *hs = malloc((size_t)K * sizeof(float));
    int32_t *hi = malloc((size_t)K * sizeof(int32_t));
    if (!mark || !hs || !hi) { free(mark); free(hs); free(hi); return tide_errorf("topk: out of memory"); }
    for (int64_t b = b0; b < B; b++) {
        const float *x = scores + b * ld;
        mark_row(mark, b, seen_off, seen, NULL, NULL);
        int n = 0;
        /* Items are scanned in increasing id, so once the heap is full a candidate must score
         * strictly above the heap's worst (an equal score comes with a higher id: worse).
         * Blocks of 16 with nothing above that threshold are skipped by one vectorised test. */
        float thr = -INFINITY;
        int64_t i = 0;
        for (; i < I; i++) {
            if (n == K && (i & 15) == 0 && i + 16 <= I) {
                int any = 0;
                for (int z = 0; z < 16; z++) any |= x[i + z] > thr;
                if (!any) { i += 15; continue; }
            }
            float s = x[i];
            if (n == K && !(s > thr)) continue;
            if (mark[i] || isnan(s)) continue;
            heap_offer(hs, hi, &n, K, s, (int32_t)i);
            if (n == K) thr = hs[0];
        }
        clear_row(mark, b, seen_off, seen, NULL, NULL);
        /* best-first list from the heap */
        heap_drain(hs, hi, n, K, items + b * K, vals ? vals + b * K : NULL);
    }
    free(mark); free(hs); free(hi);
    return TIDE_OK;
}

/* Ranks and top-K lists in ONE pass over each row: the score matrix is read once, which is
 * what costs (a block of scores does not fit in cache). Per block of 16 scores: a vectorised
 * count of scores above the first target's, and a vectorised "anything above the heap's
 * worst?" test that skips the block for the top-K. Seen items are excluded from both; targets
 * stay candidates, so rank < K <=> the target is in the list. Further targets of the same row
 * (rare) get their own counting pass. */
HOT_SCAN static int rank_topk_rows(int64_t b0, int64_t B, int64_t I, const float *scores, int64_t ld,
                          const int64_t *seen_off, const int32_t *seen, const int64_t *tgt_off,
                          const int32_t *tgt, int64_t *rank, int K, int32_t *items, float *vals)
{
    uint8_t *mark = calloc((size_t)I, 1);
    float *hs = malloc((size_t)K * sizeof(float));
    int32_t *hi = malloc((size_t)K * sizeof(int32_t));
    if (!mark || !hs || !hi) { free(mark); free(hs); free(hi); return tide_errorf("metrics: out of memory"); }
    for (int64_t b = b0; b < B; b++) {
        const float *x = scores + b * ld;
        mark_row(mark, b, seen_off, seen, tgt_off, tgt);
        int has_t = tgt_off[b + 1] > tgt_off[b];
        int64_t j = has_t ? tgt[tgt_off[b]] : -1;
        float st = has_t ? x[j] : 0;
        if (has_t && isnan(st)) {
            free(mark); free(hs); free(hi);
            return tide_errorf("metrics: score of target item %lld for row %lld is NaN", (long long)j, (long long)b);
        }
        int64_t cnt = 0;
        int n = 0;
        float thr = -INFINITY;
        for (int64_t i0 = 0; i0 < I; i0 += 16) {
            int len = I - i0 < 16 ? (int)(I - i0) : 16;
            const float *v = x + i0;
            if (has_t) { /* equal scores come first only with a lower id than the target */
                int c = 0;
                if (i0 + len <= j)
                    for (int z = 0; z < len; z++) c += v[z] >= st;
                else if (i0 > j)
                    for (int z = 0; z < len; z++) c += v[z] > st;
                else
                    for (int z = 0; z < len; z++) c += i0 + z < j ? v[z] >= st : (i0 + z > j && v[z] > st);
                cnt += c;
            }
            if (n == K) {
                int any = 0;
                for (int z = 0; z < len; z++) any |= v[z] > thr;
                if (!any) continue;
            }
            for (int z = 0; z < len; z++) {
                float sc = v[z];
                if (n == K && !(sc > thr)) continue;
                int64_t i = i0 + z;
                if (mark[i] == M_SEEN || mark[i] == M_SEEN_TARGET || isnan(sc)) continue;
                heap_offer(hs, hi, &n, K, sc, (int32_t)i);
                if (n == K) thr = hs[0];
            }
        }
        if (has_t) {
            rank[tgt_off[b]] = mark[j] == M_SEEN_TARGET ? I : cnt - seen_before(mark, b, seen_off, seen, x, st, j);
            for (int64_t p = tgt_off[b] + 1; p < tgt_off[b + 1]; p++) {
                int64_t jj = tgt[p];
                float s2 = x[jj];
                if (isnan(s2)) {
                    free(mark); free(hs); free(hi);
                    return tide_errorf("metrics: score of target item %lld for row %lld is NaN", (long long)jj, (long long)b);
                }
                rank[p] = mark[jj] == M_SEEN_TARGET ? I
                                                    : count_before(x, I, jj, s2) - seen_before(mark, b, seen_off, seen, x, s2, jj);
            }
        }
        clear_row(mark, b, seen_off, seen, tgt_off, tgt);
        heap_drain(hs, hi, n, K, items + b * K, vals ? vals + b * K : NULL);
    }
    free(mark); free(hs); free(hi);
    return TIDE_OK;
}

/* ---- row-parallel drivers: the rows of a block are split across threads; each thread has
 * its own scratch and writes disjoint outputs, so results do not depend on the thread count.
 * Threads: TIDE_THREADS if set, else the online CPUs (at most 8). These kernels never run
 * inside BLAS calls, so they do not oversubscribe with OpenBLAS's own threads. */
typedef struct {
    int topk;
    int64_t b0, b1, I, ld;
    const float *scores;
    const int64_t *seen_off, *tgt_off;
    const int32_t *seen, *tgt;
    int64_t *rank;
    int K;
    int32_t *items;
    float *vals;
    int rc;
    char err[512];
} mjob;

static void *mjob_run(void *arg)
{
    mjob *j = arg;
    if (j->topk == 2)
        j->rc = rank_topk_rows(j->b0, j->b1, j->I, j->scores, j->ld, j->seen_off, j->seen, j->tgt_off, j->tgt,
                               j->rank, j->K, j->items, j->vals);
    else
        j->rc = j->topk ? topk_rows(j->b0, j->b1, j->I, j->scores, j->ld, j->seen_off, j->seen, j->K, j->items, j->vals)
                        : rank_rows(j->b0, j->b1, j->I, j->scores, j->ld, j->seen_off, j->seen, j->tgt_off, j->tgt, j->rank);
    if (j->rc < 0) snprintf(j->err, sizeof j->err, "%s", tide_error()); /* messages are per thread */
    return NULL;
}

static int n_threads(int64_t rows, int64_t I)
{
    long t = tide_threads_wanted(8);
    int64_t by_work = rows * I / (1 << 20) + 1; /* ~1M scores per thread at least */
    if (t > by_work) t = (long)by_work;
    if (t > rows) t = (long)(rows > 0 ? rows : 1);
    return (int)t;
}

static int run_jobs(mjob *proto, int64_t B)
{
    int T = n_threads(B, proto->I);
    mjob jobs[8];
    pthread_t th[8];
    int started[8] = {0};
    for (int k = 0; k < T; k++) {
        jobs[k] = *proto;
        jobs[k].b0 = B * k / T;
        jobs[k].b1 = B * (k + 1) / T;
        jobs[k].rc = 0;
        if (k < T - 1) started[k] = pthread_create(&th[k], NULL, mjob_run, &jobs[k]) == 0;
        if (k < T - 1 && !started[k]) mjob_run(&jobs[k]); /* no thread: do it here */
    }
    mjob_run(&jobs[T - 1]);
    for (int k = 0; k < T - 1; k++)
        if (started[k]) pthread_join(th[k], NULL);
    for (int k = 0; k < T; k++)
        if (jobs[k].rc < 0) return tide_errorf("%s", jobs[k].err);
    return TIDE_OK;
}

int tide_rank_targets(int64_t B, int64_t I, const float *scores, int64_t ld, const int64_t *seen_off,
                      const int32_t *seen, const int64_t *tgt_off, const int32_t *tgt, int64_t *rank)
{
    if (check_args(B, I, ld, seen_off, seen, tgt_off, tgt) < 0) return TIDE_ERR;
    mjob j = {0};
    j.I = I; j.ld = ld; j.scores = scores; j.seen_off = seen_off; j.seen = seen;
    j.tgt_off = tgt_off; j.tgt = tgt; j.rank = rank;
    return run_jobs(&j, B);
}

int tide_metrics_topk(int64_t B, int64_t I, const float *scores, int64_t ld, const int64_t *seen_off,
                      const int32_t *seen, int K, int32_t *items, float *vals)
{
    if (K < 1) return tide_errorf("topk: K must be >= 1, got %d", K);
    if (check_args(B, I, ld, seen_off, seen, NULL, NULL) < 0) return TIDE_ERR;
    mjob j = {0};
    j.topk = 1; j.I = I; j.ld = ld; j.scores = scores; j.seen_off = seen_off; j.seen = seen;
    j.K = K; j.items = items; j.vals = vals;
    return run_jobs(&j, B);
}

int tide_rank_topk(int64_t B, int64_t I, const float *scores, int64_t ld, const int64_t *seen_off,
                   const int32_t *seen, const int64_t *tgt_off, const int32_t *tgt, int64_t *rank, int K,
                   int32_t *items, float *vals)
{
    if (K < 1) return tide_errorf("topk: K must be >= 1, got %d", K);
    if (check_args(B, I, ld, seen_off, seen, tgt_off, tgt) < 0) return TIDE_ERR;
    mjob j = {0};
    j.topk = 2; j.I = I; j.ld = ld; j.scores = scores; j.seen_off = seen_off; j.seen = seen;
    j.tgt_off = tgt_off; j.tgt = tgt; j.rank = rank; j.K = K; j.items = items; j.vals = vals;
    return run_jobs(&j, B);
}
