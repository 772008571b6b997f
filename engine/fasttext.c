/* fasttext.c — model construction, the SGD training loop, prediction and explanation for the
 * fastText-style classifier (see fasttext.h). Save/load live in fasttext_io.c. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fasttext_rows.h"
#include "rng.h"

static tide_vocab *vocab_copy(const tide_vocab *v)
{
    size_t n;
    char *b = tide_vocab_serialize(v, &n);
    if (!b) return NULL;
    tide_vocab *c = tide_vocab_parse(b, n, "vocab copy");
    free(b);
    return c;
}

typedef struct {
    uint64_t seed;
    int dim;
    float *emb;
    const uint8_t *only; /* NULL: every row */
} init_ctx;

static void init_rows(void *p, int64_t lo, int64_t hi)
{
    init_ctx *c = p;
    for (int64_t r = lo; r < hi; r++)
        if (!c->only || (c->only[r >> 3] >> (r & 7) & 1))
            tide_fasttext_init_row(c->seed, r, c->dim, c->emb + (size_t)r * (size_t)c->dim);
}

const float *tide_fasttext_row(const tide_fasttext *m, int64_t id, float *buf)
{
    if (m->lazy && (m->lazy[id >> 3] >> (id & 7) & 1)) {
        tide_fasttext_init_row(m->init_seed, id, m->dim, buf);
        return buf;
    }
    return m->emb + (size_t)id * (size_t)m->dim;
}

void tide_fasttext_materialize(tide_fasttext *m)
{
    if (!m->lazy) return;
    init_ctx c = {m->init_seed, m->dim, m->emb, m->lazy};
    tide_parallel_for(m->n_rows, 1 << 14, init_rows, &c);
    free(m->lazy);
    m->lazy = NULL;
}

tide_fasttext *tide_fasttext_new(const tide_vocab *vocab, const tide_ids_opts *ids, int dim,
                                 int n_classes, uint64_t seed)
{
    return tide_ft_new_rows(vocab, ids, dim, n_classes, seed, NULL);
}

tide_fasttext *tide_ft_new_rows(const tide_vocab *vocab, const tide_ids_opts *ids, int dim,
                                 int n_classes, uint64_t seed, const uint8_t *only)
{
    if (dim < 1 || dim > 4096) { tide_errorf("fasttext: dim %d out of range [1, 4096]", dim); return NULL; }
    if (n_classes < 2 || n_classes > 65536) {
        tide_errorf("fasttext: n_classes %d out of range [2, 65536]", n_classes);
        return NULL;
    }
    if (ids->buckets < 0 || ids->buckets > ((int64_t)1 << 28)) {
        tide_errorf("fasttext: buckets %lld out of range [0, 2^28]", (long long)ids->buckets);
        return NULL;
    }
    int64_t nv = vocab ? tide_vocab_size(vocab) : 0;
    if (nv + ids->buckets < 1 || nv + ids->buckets > INT32_MAX) {
        tide_errorf("fasttext: vocabulary + buckets = %lld rows (need 1 .. 2^31-1)",
                    (long long)(nv + ids->buckets));
        return NULL;
    }
    tide_fasttext *m = calloc(1, sizeof *m);
    if (!m) { tide_errorf("fasttext: out of memory"); return NULL; }
    m->dim = dim;
    m->n_classes = n_classes;
    m->ids = *ids;
    m->n_vocab = nv;
    m->n_rows = nv + ids->buckets;
    m->vocab = vocab ? vocab_copy(vocab) : tide_vocab_new();
    m->emb = malloc((size_t)m->n_rows * (size_t)dim * sizeof(float));
    m->w = calloc((size_t)n_classes * (size_t)dim, sizeof(float));
    m->b = calloc((size_t)n_classes, sizeof(float));
    if (!m->vocab || !m->emb || !m->w || !m->b) {
        tide_errorf("fasttext: out of memory (%lld x %d embeddings)", (long long)m->n_rows, dim);
        tide_fasttext_free(m);
        return NULL;
    }
    m->init_seed = seed;
    /* every row is independent: the fill (most of a model load) runs on the batch threads */
    init_ctx c = {seed, dim, m->emb, only};
    tide_parallel_for(m->n_rows, 1 << 14, init_rows, &c);
    return m;
}

void tide_fasttext_init_row(uint64_t seed, int64_t row, int dim, float *out)
{
    /* Element j is tide_rng_uniform at word 2 (row dim + j) of the stream, i.e. the same
     * numbers as one sequential fill of all rows. A Philox block holds four words = two
     * uniforms, so each block is computed once (tide_rng_uniform would compute it per word):
     * this loop dominates loading and saving a model (fasttext_io.c). */
    float a = 1.0f / (float)dim;
    uint64_t c = (uint64_t)row * (uint64_t)dim * 2u, blk = UINT64_MAX;
    uint32_t w[4];
    for (int j = 0; j < dim; j++, c += 2) {
        if (c >> 2 != blk) tide_philox(seed, blk = c >> 2, w);
        uint32_t hi = w[c & 3], lo = w[(c & 3) + 1];
        double u = (double)(((uint64_t)(hi >> 5) << 26) | (lo >> 6)) * (1.0 / 9007199254740992.0);
        out[j] = (float)(u * 2.0 - 1.0) * a;
    }
}

void tide_fasttext_free(tide_fasttext *m)
{
    if (!m) return;
    tide_vocab_free(m->vocab);
    free(m->lazy);
    free(m->emb);
    free(m->w);
    free(m->b);
    free(m);
}

/* h = mean emb rows; returns 0 for an empty example (h = 0). */
static void hidden(const tide_fasttext *m, const int32_t *ids, int64_t n, float *h)
{
    int d = m->dim;
    float rb[256], *buf = m->lazy && d > 256 ? malloc((size_t)d * sizeof *buf) : rb;
    TIDE_ASSERT(buf != NULL); /* dim <= 4096: 16 KiB */
    memset(h, 0, (size_t)d * sizeof *h);
    for (int64_t i = 0; i < n; i++) {
        /* rows are scattered over a table larger than the caches: fetch a few rows ahead */
        if (i + 8 < n) {
            const char *q = (const char *)(m->emb + (size_t)ids[i + 8] * (size_t)d);
            for (int b = 0; b < d * 4; b += 64) __builtin_prefetch(q + b);
        }
        const float *e = tide_fasttext_row(m, ids[i], buf);
        for (int j = 0; j < d; j++) h[j] += e[j];
    }
    if (buf != rb) free(buf);
    if (n > 0) {
        float s = (m->ids.flags & TIDE_FT_SQRTN) ? 1.0f / sqrtf((float)n) : 1.0f / (float)n;
        for (int j = 0; j < d; j++) h[j] *= s;
    }
}

static void softmax_out(const tide_fasttext *m, const float *h, float *p)
{
    int d = m->dim, c = m->n_classes;
    float mx = -INFINITY;
    for (int k = 0; k < c; k++) {
        const float *w = m->w + (size_t)k * (size_t)d;
        float z = m->b[k];
        for (int j = 0; j < d; j++) z += w[j] * h[j];
        p[k] = z;
        if (z > mx) mx = z;
    }
    float s = 0;
    for (int k = 0; k < c; k++) { p[k] = expf(p[k] - mx); s += p[k]; }
    for (int k = 0; k < c; k++) p[k] /= s;
}

void tide_fasttext_forward(const tide_fasttext *m, const int32_t *ids, int64_t n, float *prob)
{
    float hb[256], *h = m->dim <= 256 ? hb : malloc((size_t)m->dim * sizeof *h);
    if (!h) { for (int k = 0; k < m->n_classes; k++) prob[k] = NAN; return; }
    hidden(m, ids, n, h);
    softmax_out(m, h, prob);
    if (h != hb) free(h);
}

double tide_fasttext_train(tide_fasttext *m, const int32_t *ids, const int64_t *offsets,
                           int64_t n, const int32_t *labels, int epochs, double lr,
                           uint64_t seed)
{
    if (n < 0 || epochs < 0 || !(lr > 0) || !isfinite(lr))
        return tide_errorf("fasttext train: bad n=%lld / epochs=%d / lr=%g", (long long)n,
                           epochs, lr);
    if (offsets[0] != 0) return tide_errorf("fasttext train: offsets[0] must be 0");
    for (int64_t i = 0; i < n; i++) {
        if (offsets[i + 1] < offsets[i])
            return tide_errorf("fasttext train: offsets decrease at example %lld", (long long)i + 1);
        if (labels[i] < 0 || labels[i] >= m->n_classes)
            return tide_errorf("fasttext train: label %d of example %lld outside [0, %d)",
                               labels[i], (long long)i + 1, m->n_classes);
    }
    for (int64_t j = 0; j < offsets[n]; j++)
        if (ids[j] < 0 || ids[j] >= m->n_rows)
            return tide_errorf("fasttext train: id %d at position %lld outside [0, %lld)", ids[j],
                               (long long)j + 1, (long long)m->n_rows);
    tide_fasttext_materialize(m); /* SGD writes rows in place */
    int d = m->dim, c = m->n_classes;
    int64_t *order = malloc((size_t)(n > 0 ? n : 1) * sizeof *order);
    float *h = malloc((size_t)d * sizeof *h), *gh = malloc((size_t)d * sizeof *gh);
    float *p = malloc((size_t)c * sizeof *p);
    if (!order || !h || !gh || !p) {
        free(order); free(h); free(gh); free(p);
        return tide_errorf("fasttext train: out of memory");
    }
    for (int64_t i = 0; i < n; i++) order[i] = i;
    tide_rng r;
    tide_rng_seed(&r, seed);
    double total = (double)epochs * (double)n, step = 0, loss = 0;
    for (int ep = 0; ep < epochs; ep++) {
        /* Fisher-Yates with the counter-based generator: the order depends on seed only */
        for (int64_t i = n - 1; i > 0; i--) {
            int64_t j = (int64_t)tide_rng_below(&r, (uint64_t)i + 1);
            int64_t t = order[i]; order[i] = order[j]; order[j] = t;
        }
        loss = 0;
        int64_t seen = 0;
        for (int64_t q = 0; q < n; q++, step++) {
            int64_t i = order[q];
            const int32_t *x = ids + offsets[i];
            int64_t nx = offsets[i + 1] - offsets[i];
            if (nx == 0) continue;
            float a = (float)(lr * (1.0 - step / total));
            hidden(m, x, nx, h);
            softmax_out(m, h, p);
            int y = labels[i];
            loss -= log(p[y] > 1e-30f ? p[y] : 1e-30f);
            seen++;
            memset(gh, 0, (size_t)d * sizeof *gh);
            for (int k = 0; k < c; k++) {
                float g = p[k] - (k == y ? 1.0f : 0.0f);
                float *w = m->w + (size_t)k * (size_t)d;
                for (int j = 0; j < d; j++) { gh[j] += g * w[j]; w[j] -= a * g * h[j]; }
                m->b[k] -= a * g;
            }
            float s = (m->ids.flags & TIDE_FT_SQRTN) ? a / sqrtf((float)nx) : a / (float)nx;
            for (int j = 0; j < d; j++) gh[j] *= s;
            for (int64_t t = 0; t < nx; t++) {
                float *e = m->emb + (size_t)x[t] * (size_t)d;
                for (int j = 0; j < d; j++) e[j] -= gh[j];
            }
        }
        loss = seen ? loss / (double)seen : 0;
    }
    free(order); free(h); free(gh); free(p);
    return loss;
}

int tide_fasttext_predict_text(const tide_fasttext *m, const char *s, size_t len,
                               tide_units *scratch, float *prob)
{
    if (tide_text_units(s, len, m->ids.flags, scratch) < 0) return TIDE_ERR;
    size_t n = 0;
    if (tide_units_ids(m->vocab, scratch, &m->ids, &scratch->ids, NULL, &n, &scratch->ids_cap) < 0)
        return TIDE_ERR;
    tide_fasttext_forward(m, scratch->ids, (int64_t)n, prob);
    return TIDE_OK;
}

int64_t tide_fasttext_explain(const tide_fasttext *m, const char *s, size_t len, int c,
                              tide_units *scratch, float **contrib)
{
    if (c < 0 || c >= m->n_classes)
        return tide_errorf("fasttext explain: class %d outside [0, %d)", c, m->n_classes);
    if (tide_text_units(s, len, m->ids.flags, scratch) < 0) return TIDE_ERR;
    int32_t *ids = NULL, *pos = NULL;
    size_t n = 0, cap = 0;
    if (tide_units_ids(m->vocab, scratch, &m->ids, &ids, &pos, &n, &cap) < 0) {
        free(ids); free(pos);
        return TIDE_ERR;
    }
    int d = m->dim;
    size_t nu = scratch->n;
    float *out = calloc(nu ? nu : 1, sizeof *out), *dw = malloc((size_t)d * sizeof *dw);
    if (!out || !dw) {
        free(ids); free(pos); free(out); free(dw);
        return tide_errorf("fasttext explain: out of memory");
    }
    /* dw = W_c - mean_k W_k: the direction of the centred logit of class c */
    for (int j = 0; j < d; j++) {
        float mean = 0;
        for (int k = 0; k < m->n_classes; k++) mean += m->w[(size_t)k * (size_t)d + (size_t)j];
        dw[j] = m->w[(size_t)c * (size_t)d + (size_t)j] - mean / (float)m->n_classes;
    }
    float *rb = malloc((size_t)d * sizeof *rb);
    if (!rb) {
        free(ids); free(pos); free(out); free(dw);
        return tide_errorf("fasttext explain: out of memory");
    }
    for (size_t t = 0; t < n; t++) {
        const float *e = tide_fasttext_row(m, ids[t], rb);
        float z = 0;
        for (int j = 0; j < d; j++) z += dw[j] * e[j];
        z *= (m->ids.flags & TIDE_FT_SQRTN) ? 1.0f / sqrtf((float)n) : 1.0f / (float)n;
        int first = pos[t] / 8, span = pos[t] % 8 + 1;
        for (int k = 0; k < span; k++) out[first + k] += z / (float)span;
    }
    free(ids); free(pos); free(dw); free(rb);
    *contrib = out;
    return (int64_t)nu;
}
