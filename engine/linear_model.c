/* linear_model.c — the sparse linear text classifier of linear.h: feature construction
 * (distinct hashed n-grams, NB log-count ratios, L2 row normalisation), training through
 * linear_dcd.c, scoring (every view in one pass) and per-unit explanations. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "linear.h"

void tide_linear_free(tide_linear *m)
{
    if (!m) return;
    free(m->uq);
    free(m->seen);
    free(m->rows);
    free(m);
}

/* Distinct ids of every review in first-seen order, with their counts: stamp[j] holds the
 * slot review i gave row j (or a slot of an earlier review), so one pass, no sort. */
static int64_t dedupe(const int32_t *tok, const int64_t *off, int64_t n, int64_t rows,
                      int32_t *out, float *cnt, int64_t *out_off)
{
    int64_t *stamp = malloc((size_t)rows * sizeof *stamp), k = 0;
    if (!stamp) return -1;
    for (int64_t j = 0; j < rows; j++) stamp[j] = -1;
    out_off[0] = 0;
    for (int64_t i = 0; i < n; i++) {
        for (int64_t t = off[i]; t < off[i + 1]; t++) {
            int64_t s = stamp[tok[t]];
            if (s >= out_off[i]) { cnt[s] += 1; continue; }
            stamp[tok[t]] = k;
            cnt[k] = 1;
            out[k++] = tok[t];
        }
        out_off[i + 1] = k;
    }
    free(stamp);
    return k;
}

/* The term weight of a feature seen c times in a review; 1 + ln c from a table for the
 * small counts that make up nearly all of them (log is a fifth of the scoring time else). */
static double tf_weight(int tf, double c)
{
    static const double small[8] = {1.0, 1.0, 1.6931471805599454, 2.09861228866811,
                                    2.386294361119891, 2.6094379124341005, 2.791759469228055, 2.9459101490553135}; /* 1 + ln c */
    if (!tf) return 1;
    return c < 8 ? small[(int)c] : 1 + log(c);
}

tide_linear *tide_linear_train(const tide_ids_opts *ids, const tide_linear_feat *f, const int32_t *tok,
                               const int64_t *offsets, int64_t n, const int32_t *labels,
                               const tide_linear_opts *o)
{
    int64_t B = ids->buckets;
    if (B < 1 || B > INT32_MAX - 1)
        return tide_errorf("linear train: buckets must be in [1, 2^31 - 1), got %lld", (long long)B), NULL;
    if (n < 1) return tide_errorf("linear train: no reviews"), NULL;
    int64_t npos = 0;
    for (int64_t i = 0; i < n; i++) {
        if (labels[i] != 0 && labels[i] != 1)
            return tide_errorf("linear train: label %lld is %d, expected 0 or 1", (long long)i + 1, labels[i]), NULL;
        npos += labels[i];
    }
    if (npos == 0 || npos == n)
        return tide_errorf("linear train: all %lld labels are %d; need both classes", (long long)n, labels[0]), NULL;
    for (int64_t t = 0; t < offsets[n]; t++)
        if (tok[t] < 0 || tok[t] >= B)
            return tide_errorf("linear train: id %d outside [0, %lld)", tok[t], (long long)B), NULL;
    tide_linear *m = calloc(1, sizeof *m);
    int32_t *idx = malloc((size_t)(offsets[n] > 0 ? offsets[n] : 1) * sizeof *idx);
    int64_t *off = malloc((size_t)(n + 1) * sizeof *off);
    float *val = NULL;
    double *w = malloc((size_t)(B + 1) * sizeof *w), *pc = NULL;
    if (!m || !idx || !off || !w) goto oom;
    m->ids = *ids;
    m->views = 1;
    m->feat[0] = *f;
    m->loss = o->loss;
    m->uq = tide_linear_rows_alloc(B, 1);
    val = malloc((size_t)(offsets[n] > 0 ? offsets[n] : 1) * sizeof *val);
    int64_t nnz = val ? dedupe(tok, offsets, n, B, idx, val, off) : -1; /* val holds counts */
    pc = calloc((size_t)B * 2, sizeof *pc); /* document counts: [0, B) positive, [B, 2B) negative */
    if (!m->uq || nnz < 0 || !val || !pc) goto oom;
    for (int64_t i = 0; i < n; i++)
        for (int64_t k = off[i]; k < off[i + 1]; k++) pc[(labels[i] ? 0 : B) + idx[k]] += 1;
    /* s_j = r_j (NB: log((p_j / |p|_1) / (q_j / |q|_1)), p = 1 + positive document counts
     * over all B rows) times idf_j = ln((1 + n) / (1 + df_j)) + 1 (sklearn's smooth idf).
     * q_j = s_j^2 also marks the rows seen in training: unseen rows never enter a norm. */
    double sp = (double)B, sn = (double)B;
    for (int64_t j = 0; j < B; j++) { sp += pc[j]; sn += pc[B + j]; }
    for (int64_t j = 0; j < B; j++) {
        double df = pc[j] + pc[B + j];
        if (df == 0 || df < f->min_df) continue;
        double r = f->nb ? log((1 + pc[j]) / sp) - log((1 + pc[B + j]) / sn) : 1.0;
        if (f->idf) r *= log((1.0 + (double)n) / (1 + df)) + 1;
        if (r == 0) r = 1e-12; /* keep the row marked as seen */
        m->uq[2 * j] = (float)r; /* s_j for now; becomes w_j s_j below */
        m->uq[2 * j + 1] = (float)(r * r);
    }
    for (int64_t i = 0; i < n; i++) {
        double s = 0;
        for (int64_t k = off[i]; k < off[i + 1]; k++) {
            double t = tf_weight(f->tf, val[k]);
            s += t * t * m->uq[2 * idx[k] + 1];
        }
        double inv = s > 0 ? 1 / sqrt(s) : 0;
        for (int64_t k = off[i]; k < off[i + 1]; k++)
            val[k] = (float)(tf_weight(f->tf, val[k]) * m->uq[2 * idx[k]] * inv);
    }
    if (tide_linear_dcd(off, idx, val, n, (int32_t)B, labels, o, w) < 0) goto fail;
    for (int64_t j = 0; j < B; j++) m->uq[2 * j] = (float)(w[j] * m->uq[2 * j]);
    m->bias = (float)w[B];
    if (tide_linear_index(m) != TIDE_OK) goto fail;
    free(idx); free(off); free(val); free(w); free(pc);
    return m;
oom:
    tide_errorf("linear train: out of memory (%lld reviews, %lld buckets)", (long long)n, (long long)B);
fail:
    free(idx); free(off); free(val); free(w); free(pc);
    tide_linear_free(m);
    return NULL;
}

static int cmp_i32(const void *a, const void *b)
{
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

/* Adds row r (m->views (u, q) pairs) of a distinct id seen c times to the per-view sums z[v]
 * and squared norms nq[v]. */
static inline void add_row(const tide_linear *m, const float *r, double c, double *z, double *nq)
{
    for (int v = 0; v < m->views; v++) {
        double t = tf_weight(m->feat[v].tf, c);
        z[v] += t * r[2 * v];
        nq[v] += t * t * r[2 * v + 1];
    }
}

/* z = bias + sum_v z[v] / sqrt(nq[v]); inv[v] (may be NULL) receives the 1 / sqrt(nq[v]). */
static double finish(const tide_linear *m, const double *z, const double *nq, double *inv)
{
    double s = m->bias;
    for (int v = 0; v < m->views; v++) {
        double sq = nq[v] > 0 ? sqrt(nq[v]) : 0;
        if (sq > 0) s += z[v] / sq;
        if (inv) inv[v] = sq > 0 ? 1 / sq : 0;
    }
    return s;
}

/* The per-view sums over the distinct ids of sorted ids s[0..n). */
static void sums_sorted(const tide_linear *m, const int32_t *s, int64_t n, double *z, double *nq)
{
    for (int v = 0; v < m->views; v++) z[v] = nq[v] = 0;
    for (int64_t k = 0; k < n;) {
        int64_t e = k + 1;
        while (e < n && s[e] == s[k]) e++;
        add_row(m, &m->uq[(size_t)s[k] * 2 * (size_t)m->views], (double)(e - k), z, nq);
        k = e;
    }
}

/* Sums over the distinct stored rows of ids[0..n) counted in an open-addressing table
 * (Fibonacci hashing, linear probing): no sort, one pass, for the scoring hot path. An id
 * whose row training never stored adds exactly 0, so only the bitmap is read for it. Each
 * stored row is a likely cache miss: the counting pass prefetches every row it meets,
 * letting the misses overlap, and the summing pass walks the distinct rows in first-seen
 * order. The sums equal those over uq bit for bit (the skipped terms are +0). */
double tide_linear_score_ids(const tide_linear *m, const int32_t *ids, int64_t n)
{
    double z[TIDE_LINEAR_VIEWS], nq[TIDE_LINEAR_VIEWS];
    int bits = 4;
    while (((int64_t)1 << bits) < 2 * n) bits++;
    size_t cap = (size_t)1 << bits, stride = 2 * (size_t)m->views;
    int32_t kb[1024], cb[1024], db[512], *key = kb, *cnt = cb, *dist = db;
    if (cap > 1024) {
        key = malloc(cap * sizeof *key);
        cnt = malloc(cap * sizeof *cnt);
        dist = malloc((size_t)n * sizeof *dist);
        if (!key || !cnt || !dist) { /* out of memory: the sorted path needs less */
            free(key); free(cnt); free(dist);
            int32_t *s = malloc((size_t)n * sizeof *s);
            if (!s) return NAN;
            memcpy(s, ids, (size_t)n * sizeof *s);
            qsort(s, (size_t)n, sizeof *s, cmp_i32);
            sums_sorted(m, s, n, z, nq);
            free(s);
            return finish(m, z, nq, NULL);
        }
    }
    memset(key, 0xff, cap * sizeof *key); /* -1: empty */
    int64_t nd = 0;
    for (int64_t t = 0; t < n; t++) {
        uint32_t j = (uint32_t)ids[t];
        const tide_linear_word *sw = &m->seen[j >> 6];
        uint64_t bit = (uint64_t)1 << (j & 63);
        if (!(sw->bits & bit)) continue;
        int32_t r = (int32_t)(sw->rank + (uint64_t)__builtin_popcountll(sw->bits & (bit - 1)));
        const float *row = &m->rows[(size_t)r * stride];
        __builtin_prefetch(row);
        if (stride > 4) __builtin_prefetch(row + stride - 1); /* the row may straddle two lines */
        size_t h = ((uint32_t)r * 2654435761u) >> (32 - bits);
        while (key[h] >= 0 && key[h] != r) h = (h + 1) & (cap - 1);
        if (key[h] < 0) { key[h] = r; cnt[h] = 1; dist[nd++] = (int32_t)h; }
        else cnt[h]++;
    }
    for (int v = 0; v < m->views; v++) z[v] = nq[v] = 0;
    for (int64_t d = 0; d < nd; d++) add_row(m, &m->rows[(size_t)key[dist[d]] * stride], cnt[dist[d]], z, nq);
    if (key != kb) { free(key); free(cnt); free(dist); }
    return finish(m, z, nq, NULL);
}

typedef struct {
    const tide_linear *m;
    const char *const *texts;
    const size_t *lens;
    double *z;
} score_job;

static int score_one(void *ctx, int64_t i, tide_units *u)
{
    score_job *j = ctx;
    size_t n = 0;
    if (tide_text_ids(NULL, j->texts[i], j->lens[i], &j->m->ids, u, &u->ids, &n, &u->ids_cap) < 0)
        return TIDE_ERR;
    j->z[i] = tide_linear_score_ids(j->m, u->ids, (int64_t)n);
    return TIDE_OK;
}

int tide_linear_score_batch(const tide_linear *m, const char *const *texts, const size_t *lens,
                            int64_t n, double *z)
{
    score_job j = {m, texts, lens, z};
    return tide_text_batch(n, score_one, &j, "linear score");
}

int64_t tide_linear_explain(const tide_linear *m, const char *s, size_t len, tide_units *scratch,
                            float **contrib)
{
    if (tide_text_units(s, len, m->ids.flags, scratch) < 0) return TIDE_ERR;
    int32_t *ids = NULL, *pos = NULL, *sorted = NULL;
    size_t n = 0, cap = 0, nu = scratch->n;
    float *out = NULL;
    if (tide_units_ids(NULL, scratch, &m->ids, &ids, &pos, &n, &cap) < 0) goto fail;
    sorted = malloc((n ? n : 1) * sizeof *sorted);
    out = calloc(nu ? nu : 1, sizeof *out);
    if (!sorted || !out) { tide_errorf("linear explain: out of memory"); goto fail; }
    memcpy(sorted, ids, n * sizeof *ids);
    qsort(sorted, n, sizeof *sorted, cmp_i32);
    double z[TIDE_LINEAR_VIEWS], nq[TIDE_LINEAR_VIEWS], inv[TIDE_LINEAR_VIEWS];
    sums_sorted(m, sorted, (int64_t)n, z, nq);
    finish(m, z, nq, inv);
    for (size_t t = 0; t < n; t++) {
        /* an id repeated c times adds sum_v t_v(c) u_vj inv_v, shared among its c occurrences */
        int32_t *lo = bsearch(&ids[t], sorted, n, sizeof *sorted, cmp_i32);
        while (lo > sorted && lo[-1] == ids[t]) lo--;
        size_t c = 0;
        while (lo + c < sorted + n && lo[c] == ids[t]) c++;
        const float *r = &m->uq[(size_t)ids[t] * 2 * (size_t)m->views];
        double zc = 0; /* explanations read uq directly: the sorted sums above do */
        for (int v = 0; v < m->views; v++) zc += tf_weight(m->feat[v].tf, (double)c) * r[2 * v] * inv[v];
        float zt = (float)(zc / (double)c);
        int first = pos[t] / 8, span = pos[t] % 8 + 1;
        for (int k = 0; k < span; k++) out[first + k] += zt / (float)span;
    }
    free(ids); free(pos); free(sorted);
    *contrib = out;
    return (int64_t)nu;
fail:
    free(ids); free(pos); free(sorted); free(out);
    return TIDE_ERR;
}
