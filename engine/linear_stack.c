/* linear_stack.c — several linear text models as one (views, linear.h) and the stacked model
 * whose member weights come from out-of-fold predictions (stacked generalisation, Wolpert
 * 1992; Breiman 1996 "Stacked regressions"): the members are different fits of the same ids
 * (TF-IDF and NB-scaled features, several C), each a little better on different reviews.
 *
 * All K * M out-of-fold fits and the M final fits are independent, so they are pulled from one
 * job list by the batch threads (text_batch.c), biggest (the finals) first. */
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "glm.h"
#include "linear.h"

static int same_ids(const tide_ids_opts *a, const tide_ids_opts *b)
{
    return a->flags == b->flags && a->ngrams == b->ngrams && a->buckets == b->buckets;
}

static int same_feat(const tide_linear_feat *a, const tide_linear_feat *b)
{
    return a->tf == b->tf && a->idf == b->idf && a->nb == b->nb;
}

/* 1 if view va of a and view vb of b hold the same q column (trained on the same rows). */
static int same_q(const tide_linear *a, int va, const tide_linear *b, int vb)
{
    size_t sa = 2 * (size_t)a->views, sb = 2 * (size_t)b->views;
    for (int64_t j = 0; j < a->ids.buckets; j++)
        if (a->uq[(size_t)j * sa + 2 * (size_t)va + 1] != b->uq[(size_t)j * sb + 2 * (size_t)vb + 1]) return 0;
    return 1;
}

tide_linear *tide_linear_combine(const tide_linear *const *ms, const double *a, int k, double b)
{
    if (k < 1) return tide_errorf("linear combine: no models"), NULL;
    int map[8 * TIDE_LINEAR_VIEWS], V = 0;  /* output view of each member view */
    const tide_linear *src[TIDE_LINEAR_VIEWS]; /* a member holding each output view's q */
    int srcv[TIDE_LINEAR_VIEWS];
    if (k > 8) return tide_errorf("linear combine: at most 8 models, got %d", k), NULL;
    for (int i = 0; i < k; i++) {
        if (!same_ids(&ms[i]->ids, &ms[0]->ids))
            return tide_errorf("linear combine: model %d tokenizes differently from model 1", i + 1), NULL;
        if (ms[i]->loss != TIDE_LINEAR_LR)
            return tide_errorf("linear combine: model %d is not a logistic regression", i + 1), NULL;
        if (!isfinite(a[i])) return tide_errorf("linear combine: weight %d is not finite", i + 1), NULL;
        for (int v = 0; v < ms[i]->views; v++) {
            int o = 0;
            while (o < V && !(same_feat(&src[o]->feat[srcv[o]], &ms[i]->feat[v]) && same_q(src[o], srcv[o], ms[i], v))) o++;
            if (o == V) {
                if (V == TIDE_LINEAR_VIEWS)
                    return tide_errorf("linear combine: the models need more than %d views", TIDE_LINEAR_VIEWS), NULL;
                src[V] = ms[i];
                srcv[V++] = v;
            }
            map[i * TIDE_LINEAR_VIEWS + v] = o;
        }
    }
    int64_t B = ms[0]->ids.buckets;
    tide_linear *m = calloc(1, sizeof *m);
    if (m) m->uq = tide_linear_rows_alloc(B, V);
    if (!m || !m->uq) {
        tide_linear_free(m);
        return tide_errorf("linear combine: out of memory (%lld buckets, %d views)", (long long)B, V), NULL;
    }
    m->ids = ms[0]->ids;
    m->views = V;
    m->loss = TIDE_LINEAR_LR;
    double bias = b;
    for (int o = 0; o < V; o++) m->feat[o] = src[o]->feat[srcv[o]];
    for (int i = 0; i < k; i++) {
        size_t si = 2 * (size_t)ms[i]->views;
        bias += a[i] * ms[i]->bias;
        for (int v = 0; v < ms[i]->views; v++) {
            size_t o = (size_t)map[i * TIDE_LINEAR_VIEWS + v];
            for (int64_t j = 0; j < B; j++) {
                float *r = &m->uq[(size_t)j * 2 * (size_t)V + 2 * o];
                const float *s = &ms[i]->uq[(size_t)j * si + 2 * (size_t)v];
                r[0] = (float)(r[0] + a[i] * s[0]);
                r[1] = s[1];
            }
        }
    }
    m->bias = (float)bias;
    if (tide_linear_index(m) != TIDE_OK) {
        tide_linear_free(m);
        return NULL;
    }
    return m;
}

typedef struct {
    const tide_ids_opts *ids;
    const tide_linear_feat *f;
    const tide_linear_opts *o;
    const int32_t *tok, *y, *fold;
    const int64_t *off;
    int64_t n;
    int M, K;
    double *z;            /* [M][n] out-of-fold decision values */
    tide_linear **final;  /* [M] */
    atomic_int next;
    atomic_int failed;
    char err[256];
} stack_ctx;

/* Job j < M: member j on all rows; else member (j - M) % M without fold (j - M) / M, scoring
 * that fold. */
static int run_job(stack_ctx *c, int j)
{
    int m = j % c->M, f = j < c->M ? -1 : (j - c->M) / c->M;
    int64_t rows = 0, ids = 0;
    for (int64_t i = 0; i < c->n; i++)
        if (c->fold[i] != f) { rows++; ids += c->off[i + 1] - c->off[i]; }
    int32_t *tok = malloc((size_t)(ids ? ids : 1) * sizeof *tok), *y = malloc((size_t)rows * sizeof *y);
    int64_t *off = malloc((size_t)(rows + 1) * sizeof *off);
    if (!tok || !y || !off) {
        free(tok); free(y); free(off);
        return tide_errorf("out of memory (%lld rows)", (long long)rows);
    }
    int64_t r = 0;
    off[0] = 0;
    for (int64_t i = 0; i < c->n; i++) {
        if (c->fold[i] == f) continue;
        int64_t len = c->off[i + 1] - c->off[i];
        memcpy(tok + off[r], c->tok + c->off[i], (size_t)len * sizeof *tok);
        y[r] = c->y[i];
        off[r + 1] = off[r] + len;
        r++;
    }
    tide_linear *model = tide_linear_train(c->ids, &c->f[m], tok, off, rows, y, &c->o[m]);
    free(tok); free(y); free(off);
    if (!model) return TIDE_ERR;
    if (f < 0) {
        c->final[m] = model;
        return TIDE_OK;
    }
    for (int64_t i = 0; i < c->n; i++)
        if (c->fold[i] == f)
            c->z[(size_t)m * (size_t)c->n + (size_t)i] =
                tide_linear_score_ids(model, c->tok + c->off[i], c->off[i + 1] - c->off[i]);
    tide_linear_free(model);
    return TIDE_OK;
}

/* One worker: pulls jobs until none is left or one failed. */
static void worker(void *ctx, int64_t lo, int64_t hi)
{
    (void)lo; (void)hi;
    stack_ctx *c = ctx;
    int total = c->M * (c->K + 1), j;
    while (!atomic_load(&c->failed) && (j = atomic_fetch_add(&c->next, 1)) < total) {
        if (run_job(c, j) != TIDE_OK && !atomic_exchange(&c->failed, 1))
            snprintf(c->err, sizeof c->err, "%s", tide_error());
    }
}

tide_linear *tide_linear_stack(const tide_ids_opts *ids, int M, const tide_linear_feat *f,
                               const tide_linear_opts *o, const int32_t *tok, const int64_t *offsets,
                               int64_t n, const int32_t *labels, const int32_t *fold, int K,
                               double *weights, double *oof_acc)
{
    if (M < 1 || M > 8) return tide_errorf("linear stack: 1 to 8 members, got %d", M), NULL;
    if (K < 2) return tide_errorf("linear stack: need at least 2 folds, got %d", K), NULL;
    if (n < K) return tide_errorf("linear stack: %lld reviews for %d folds", (long long)n, K), NULL;
    for (int64_t i = 0; i < n; i++)
        if (fold[i] < 0 || fold[i] >= K)
            return tide_errorf("linear stack: fold[%lld] = %d outside [0, %d)", (long long)i + 1, fold[i], K), NULL;
    stack_ctx c = {ids, f, o, tok, labels, fold, offsets, n, M, K, NULL, NULL, 0, 0, ""};
    c.z = malloc((size_t)M * (size_t)n * sizeof *c.z);
    c.final = calloc((size_t)M, sizeof *c.final);
    float *X = malloc((size_t)M * (size_t)n * sizeof *X), *t = malloc((size_t)n * sizeof *t);
    tide_glm_model g = {0};
    tide_linear *out = NULL;
    if (!c.z || !c.final || !X || !t) { tide_errorf("linear stack: out of memory (%lld reviews)", (long long)n); goto done; }
    tide_parallel_for(8, 1, worker, &c); /* up to 8 workers, one per batch thread */
    if (atomic_load(&c.failed)) { tide_errorf("linear stack: %s", c.err); goto done; }
    for (int64_t i = 0; i < n; i++) {
        for (int m = 0; m < M; m++) X[(size_t)i * (size_t)M + (size_t)m] = (float)c.z[(size_t)m * (size_t)n + (size_t)i];
        t[i] = (float)labels[i];
    }
    /* weights on the raw log-odds scale with a light ridge: members are strongly correlated */
    tide_glm_opts go;
    tide_glm_default_opts(&go);
    go.l2 = 1.0;
    go.standardize = 0;
    if (tide_glm_fit(n, M, X, t, NULL, &go, &g) != TIDE_OK) { tide_error_prefix("linear stack"); goto done; }
    double w[9];
    w[0] = g.beta[0];
    for (int m = 0; m < M; m++) {
        w[m + 1] = g.beta[m + 1] / g.sd[m];
        w[0] -= g.beta[m + 1] * g.mean[m] / g.sd[m];
    }
    if (weights) memcpy(weights, w, (size_t)(M + 1) * sizeof *w);
    if (oof_acc) {
        for (int m = 0; m <= M; m++) oof_acc[m] = 0;
        for (int64_t i = 0; i < n; i++) {
            double s = w[0];
            for (int m = 0; m < M; m++) {
                double zm = c.z[(size_t)m * (size_t)n + (size_t)i];
                oof_acc[m] += (zm > 0) == (labels[i] == 1);
                s += w[m + 1] * zm;
            }
            oof_acc[M] += (s > 0) == (labels[i] == 1);
        }
        for (int m = 0; m <= M; m++) oof_acc[m] /= (double)n;
    }
    out = tide_linear_combine((const tide_linear *const *)c.final, w + 1, M, w[0]);
    if (!out) tide_error_prefix("linear stack");
done:
    if (c.final)
        for (int m = 0; m < M; m++) tide_linear_free(c.final[m]);
    free(c.final); free(c.z); free(X); free(t);
    tide_glm_model_free(&g);
    return out;
}
