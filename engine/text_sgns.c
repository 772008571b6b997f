/* text_sgns.c — skip-gram with negative sampling (Mikolov et al. 2013) over id sequences;
 * contract in text_sgns.h. Plain single-threaded SGD as in word2vec.c's skip-gram branch:
 * for a centre token c and a context token o, with input vectors W and output vectors C,
 *   maximise log s(W_c . C_o) + sum_k log s(-W_c . C_nk),   n_k ~ unigram^0.75,
 * the gradient g = lr * (label - s(W_c . C_x)) going to C_x (with W_c) and to W_c (with C_x).
 * Randomness comes from one xorshift64* stream (Vigna 2016) seeded from opts.seed, so a run
 * is a pure function of its inputs. */
#include "text_sgns.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

typedef struct {
    uint64_t s;
} xs64;

static uint64_t xs_next(xs64 *r)
{
    r->s ^= r->s >> 12;
    r->s ^= r->s << 25;
    r->s ^= r->s >> 27;
    return r->s * 2685821657736338717ULL;
}

static double xs_unif(xs64 *r) { return (double)(xs_next(r) >> 11) * (1.0 / 9007199254740992.0); }

static float sigmoid(float x)
{
    if (x > 8) return 1;
    if (x < -8) return 0;
    return 1.0f / (1.0f + expf(-x));
}

/* Negative-sampling table: id v fills a share of `size` slots proportional to count^0.75. */
static int32_t *neg_table(const int64_t *count, int32_t V, int64_t size)
{
    int32_t *t = malloc((size_t)size * sizeof *t);
    if (!t) return NULL;
    double z = 0;
    for (int32_t v = 0; v < V; v++) z += pow((double)count[v], 0.75);
    int64_t i = 0;
    double cum = 0;
    for (int32_t v = 0; v < V && i < size; v++) {
        if (!count[v]) continue;
        cum += pow((double)count[v], 0.75) / z;
        for (; i < size && (double)i < cum * (double)size; i++) t[i] = v;
    }
    for (int32_t last = i > 0 ? t[i - 1] : 0; i < size; i++) t[i] = last; /* rounding tail */
    return t;
}

/* One (centre, context) update with `neg` negatives; grad is dim floats of scratch. */
static void pair_update(float *w, float *c, const int32_t *table, int64_t tsize, int32_t ctx,
                        int neg, int dim, float lr, xs64 *r, float *grad)
{
    memset(grad, 0, (size_t)dim * sizeof *grad);
    for (int k = 0; k <= neg; k++) {
        int32_t x = ctx;
        float label = 1;
        if (k > 0) {
            x = table[xs_next(r) % (uint64_t)tsize];
            if (x == ctx) continue;
            label = 0;
        }
        float *cx = c + (int64_t)x * dim, dot = 0;
        for (int d = 0; d < dim; d++) dot += w[d] * cx[d];
        float g = lr * (label - sigmoid(dot));
        for (int d = 0; d < dim; d++) grad[d] += g * cx[d], cx[d] += g * w[d];
    }
    for (int d = 0; d < dim; d++) w[d] += grad[d];
}

int tide_sgns_train(const int32_t *ids, const int64_t *off, int64_t n, int32_t V,
                    const tide_sgns_opts *o, float *emb)
{
    if (!ids || !off || !o || !emb || n < 0 || V < 1)
        return tide_errorf("sgns: need ids, offsets, options, output and V >= 1");
    if (o->dim < 1 || o->window < 1 || o->neg < 0 || o->epochs < 1 || !(o->lr > 0) ||
        !(o->sample >= 0))
        return tide_errorf("sgns: dim, window, epochs must be >= 1, neg >= 0, lr > 0, sample >= 0 "
                           "(got dim %d window %d neg %d epochs %d lr %g sample %g)",
                           o->dim, o->window, o->neg, o->epochs, (double)o->lr, (double)o->sample);
    int dim = o->dim;
    int64_t total = off[n], kept = 0, tsize = 1 << 20;
    int64_t *count = calloc((size_t)V, sizeof *count);
    float *ctxv = calloc((size_t)V * (size_t)dim, sizeof *ctxv); /* output vectors start at 0 */
    float *keep = malloc((size_t)V * sizeof *keep), *grad = malloc((size_t)dim * sizeof *grad);
    int32_t *seq = malloc((size_t)(total + 1) * sizeof *seq), *table = NULL;
    int rc = TIDE_ERR;
    if (!count || !ctxv || !keep || !grad || !seq) {
        tide_errorf("sgns: out of memory (V %d, dim %d, %lld ids)", (int)V, dim, (long long)total);
        goto done;
    }
    xs64 r = {o->seed * 0x9E3779B97F4A7C15ULL + 0x2545F4914F6CDD1DULL};
    for (int64_t v = 0; v < (int64_t)V * dim; v++) emb[v] = (float)((xs_unif(&r) - 0.5) / dim);
    for (int64_t i = 0; i < total; i++)
        if (ids[i] >= 0 && ids[i] < V) count[ids[i]]++, kept++;
    if (kept == 0) { rc = TIDE_OK; goto done; } /* nothing to learn from: the init stays */
    if (!(table = neg_table(count, V, tsize))) {
        tide_errorf("sgns: out of memory (negative table)");
        goto done;
    }
    for (int32_t v = 0; v < V; v++) { /* word2vec's subsampling keep probability */
        double f = (double)count[v] / (double)kept, t = o->sample;
        keep[v] = (t > 0 && f > 0) ? (float)fmin(1.0, sqrt(t / f) + t / f) : 1.0f;
    }
    int64_t done_steps = 0, all_steps = (int64_t)o->epochs * kept;
    for (int ep = 0; ep < o->epochs; ep++) {
        for (int64_t s = 0; s < n; s++) {
            int64_t m = 0; /* the sequence after dropping unknown and subsampled ids */
            for (int64_t i = off[s]; i < off[s + 1]; i++) {
                int32_t v = ids[i];
                if (v < 0 || v >= V) continue;
                done_steps++;
                if (keep[v] < 1 && xs_unif(&r) >= keep[v]) continue;
                seq[m++] = v;
            }
            float lr = o->lr * fmaxf(1e-4f, 1.0f - (float)done_steps / (float)all_steps);
            for (int64_t i = 0; i < m; i++) {
                int b = 1 + (int)(xs_next(&r) % (uint64_t)o->window); /* shrunk window */
                float *w = emb + (int64_t)seq[i] * dim;
                for (int64_t j = i - b; j <= i + b; j++)
                    if (j >= 0 && j < m && j != i)
                        pair_update(w, ctxv, table, tsize, seq[j], o->neg, dim, lr, &r, grad);
            }
        }
    }
    rc = TIDE_OK;
done:
    free(count); free(ctxv); free(keep); free(grad); free(seq); free(table);
    return rc;
}
