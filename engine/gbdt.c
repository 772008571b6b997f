/* gbdt.c — the boosting loop: option and data checks, the optional seeded validation
 * hold-out, binning, one tree per round on the current gradients, validation loss tracking
 * and early stopping (the model keeps the number of trees with the lowest validation loss).
 * Friedman (2001) gradient boosting with Newton steps per leaf (Chen & Guestrin 2016). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "gbdt_internal.h"
#include "rng.h"

void tide_gbdt_opts_default(tide_gbdt_opts *o)
{
    *o = (tide_gbdt_opts){.loss = TIDE_GBDT_LOGISTIC, .n_trees = 200, .max_depth = 6, .max_leaves = 31,
                          .max_bins = 255, .learning_rate = 0.1, .l2 = 0, .min_child_weight = 1e-3,
                          .min_samples_leaf = 20, .min_split_gain = 0, .es_rounds = 0, .es_tol = 1e-7,
                          .validation_fraction = 0, .bin_sample = 200000, .seed = 0, .threads = 0};
}

static int check_opts(const tide_gbdt_opts *o)
{
    if (o->loss != TIDE_GBDT_LOGISTIC && o->loss != TIDE_GBDT_SQUARED)
        return tide_errorf("gbdt: unknown loss %d", (int)o->loss);
    if (o->n_trees < 1) return tide_errorf("gbdt: n_trees must be >= 1, got %d", o->n_trees);
    if (o->max_depth < 0) return tide_errorf("gbdt: max_depth must be >= 0 (0: no limit), got %d", o->max_depth);
    if (o->max_leaves < 2 || o->max_leaves > 65536)
        return tide_errorf("gbdt: max_leaves must be in 2..65536, got %d", o->max_leaves);
    if (o->max_bins < 2 || o->max_bins > 255)
        return tide_errorf("gbdt: max_bins must be in 2..255, got %d", o->max_bins);
    if (!(o->learning_rate > 0) || !isfinite(o->learning_rate))
        return tide_errorf("gbdt: learning_rate must be finite and > 0, got %g", o->learning_rate);
    if (!(o->l2 >= 0) || !isfinite(o->l2)) return tide_errorf("gbdt: l2 must be finite and >= 0, got %g", o->l2);
    if (!(o->min_child_weight >= 0) || !isfinite(o->min_child_weight))
        return tide_errorf("gbdt: min_child_weight must be finite and >= 0, got %g", o->min_child_weight);
    if (o->min_samples_leaf < 1)
        return tide_errorf("gbdt: min_samples_leaf must be >= 1, got %lld", (long long)o->min_samples_leaf);
    if (!(o->min_split_gain >= 0) || !isfinite(o->min_split_gain))
        return tide_errorf("gbdt: min_split_gain must be finite and >= 0, got %g", o->min_split_gain);
    if (o->es_rounds < 0) return tide_errorf("gbdt: early_stopping.rounds must be >= 0, got %d", o->es_rounds);
    if (!(o->es_tol >= 0)) return tide_errorf("gbdt: early_stopping.tol must be >= 0, got %g", o->es_tol);
    if (!(o->validation_fraction >= 0 && o->validation_fraction < 1))
        return tide_errorf("gbdt: validation_fraction must be in [0, 1), got %g", o->validation_fraction);
    if (o->bin_sample < 2) return tide_errorf("gbdt: bin_sample must be >= 2, got %lld", (long long)o->bin_sample);
    if (o->threads < 0) return tide_errorf("gbdt: threads must be >= 0, got %d", o->threads);
    return TIDE_OK;
}

/* Labels and weights of one data set (`what` = "y" or "valid y"). */
static int check_labels(const char *what, tide_gbdt_loss loss, int64_t n, const float *y, const float *w,
                        int need_both)
{
    double pos = 0, tot = 0;
    for (int64_t i = 0; i < n; i++) {
        if (isnan(y[i])) return tide_errorf("gbdt: %s[%lld] is NaN", what, (long long)i + 1);
        if (!isfinite(y[i])) return tide_errorf("gbdt: %s[%lld] is infinite", what, (long long)i + 1);
        if (loss == TIDE_GBDT_LOGISTIC && y[i] != 0 && y[i] != 1)
            return tide_errorf("gbdt: %s[%lld] = %g, labels must be 0 or 1 for the logistic loss", what,
                               (long long)i + 1, y[i]);
        double wi = w ? w[i] : 1;
        if (!(wi >= 0) || !isfinite(wi))
            return tide_errorf("gbdt: %s weight[%lld] = %g, weights must be finite and >= 0", what,
                               (long long)i + 1, wi);
        pos += wi * y[i];
        tot += wi;
    }
    if (!(tot > 0)) return tide_errorf("gbdt: the %s weights sum to 0", what);
    if (need_both && loss == TIDE_GBDT_LOGISTIC && (pos == 0 || pos == tot))
        return tide_errorf("gbdt: %s has a single class (all %d%s); the logistic loss needs both 0 and 1", what,
                           pos == 0 ? 0 : 1, w ? " among rows of positive weight" : "");
    return TIDE_OK;
}

/* Training and validation rows, owned (split off X) or borrowed (given). */
typedef struct {
    int64_t n, nv;
    const float *X, *y, *w, *Xv, *yv, *wv;
    float *own; /* buffer behind a seeded split */
} data;

/* A seeded random validation_fraction of the rows becomes the validation set (Fisher-Yates
 * permutation with the engine's counter-based RNG; both parts keep row order). */
static int holdout(data *D, int d, double frac, uint64_t seed)
{
    int64_t n = D->n, nv = (int64_t)llround(frac * (double)n);
    if (nv < 1 || nv >= n)
        return tide_errorf("gbdt: validation_fraction %g of %lld rows leaves an empty part", frac, (long long)n);
    uint8_t *isv = calloc((size_t)n, 1);
    int64_t *perm = malloc((size_t)n * sizeof *perm);
    D->own = malloc((size_t)n * (size_t)(d + 2) * sizeof(float));
    if (!isv || !perm || !D->own) {
        free(isv);
        free(perm);
        free(D->own);
        D->own = NULL;
        return tide_errorf("gbdt: out of memory splitting off the validation rows");
    }
    tide_rng r;
    tide_rng_seed(&r, seed + 0x5bd1e995u);
    for (int64_t i = 0; i < n; i++)
        perm[i] = i;
    for (int64_t i = 0; i < nv; i++) {
        int64_t k = i + (int64_t)tide_rng_below(&r, (uint64_t)(n - i));
        int64_t t = perm[i];
        perm[i] = perm[k];
        perm[k] = t;
        isv[perm[i]] = 1;
    }
    float *Xt = D->own, *Xv = Xt + (n - nv) * d, *yt = Xt + n * d, *yv = yt + (n - nv), *wt = yt + n,
          *wv = wt + (n - nv);
    int64_t a = 0, b = 0;
    for (int64_t i = 0; i < n; i++) {
        int64_t k = isv[i] ? b++ : a++;
        memcpy((isv[i] ? Xv : Xt) + k * d, D->X + i * d, (size_t)d * sizeof(float));
        (isv[i] ? yv : yt)[k] = D->y[i];
        (isv[i] ? wv : wt)[k] = D->w ? D->w[i] : 1.0f;
    }
    free(isv);
    free(perm);
    *D = (data){n - nv, nv, Xt, yt, D->w ? wt : NULL, Xv, yv, D->w ? wv : NULL, D->own};
    return TIDE_OK;
}

typedef struct {
    tide_gbdt_loss loss;
    int64_t n;
    const double *raw;
    const float *y, *w;
    float *g, *h;
} grad_job;

static void grad_task(void *arg, int t)
{
    grad_job *j = arg;
    int64_t a = (int64_t)t * 16384, b = a + 16384 < j->n ? a + 16384 : j->n;
    tide_gbdt_grad(j->loss, b - a, j->raw + a, j->y + a, j->w ? j->w + a : NULL, j->g + a, j->h + a);
}

/* Boosting rounds on prepared data; fills m. */
static int boost(const tide_gbdt_opts *o, const data *D, int d, gbdt_pool *pool, tide_gbdt *m)
{
    int64_t n = D->n, nv = D->nv;
    gbdt_binner bn;
    if (gbdt_bin_fit(&bn, pool, n, d, D->X, o->max_bins, o->bin_sample, o->seed) < 0) return TIDE_ERR;
    uint8_t *bins = malloc((size_t)n * (size_t)d), *cols = malloc((size_t)n * (size_t)d);
    double *raw = malloc((size_t)n * sizeof *raw), *rawv = malloc((size_t)(nv ? nv : 1) * sizeof *rawv);
    float *g = malloc((size_t)n * sizeof *g), *h = malloc((size_t)n * sizeof *h);
    m->valid_loss = nv ? malloc((size_t)(o->n_trees + 1) * sizeof(double)) : NULL;
    int unit_h = o->loss == TIDE_GBDT_SQUARED && !D->w, ok = bins && cols && raw && rawv && g && h;
    gbdt_grower *gr = ok && (!nv || m->valid_loss) ? gbdt_grower_new(o, &bn, pool, n, d, bins, cols, unit_h) : NULL;
    int rc = gr ? TIDE_OK : tide_errorf("gbdt: out of memory for %lld rows x %d features", (long long)n, d);
    if (rc == TIDE_OK) {
        gbdt_bin_apply(&bn, pool, n, D->X, bins, cols);
        for (int64_t i = 0; i < n; i++)
            raw[i] = m->baseline;
        for (int64_t i = 0; i < nv; i++)
            rawv[i] = m->baseline;
        double best = nv ? tide_gbdt_loss_value(o->loss, nv, rawv, D->yv, D->wv) : 0;
        int best_iter = 0, since = 0;
        if (nv) m->valid_loss[0] = best;
        grad_job gj = {o->loss, n, raw, D->y, D->w, g, h};
        for (int it = 0; it < o->n_trees && rc == TIDE_OK; it++) {
            gbdt_pool_run(pool, (int)((n + 16383) / 16384), grad_task, &gj, n >= 32768);
            rc = gbdt_grower_grow(gr, g, h, m, raw);
            if (rc == TIDE_OK) rc = gbdt_model_end_tree(m);
            if (rc < 0) break;
            m->n_iter = it + 1;
            if (!nv) continue;
            gbdt_model_add_tree(m, it, pool, nv, D->Xv, rawv);
            double vl = tide_gbdt_loss_value(o->loss, nv, rawv, D->yv, D->wv);
            m->valid_loss[it + 1] = vl;
            if (vl < best - o->es_tol)
                best = vl, best_iter = it + 1, since = 0;
            else
                since++;
            if (o->es_rounds > 0 && since >= o->es_rounds) break;
        }
        if (rc == TIDE_OK && nv && o->es_rounds > 0) { /* keep the best round's trees */
            m->n_trees = best_iter;
            m->n_nodes = m->tree_off[best_iter];
        }
    }
    gbdt_grower_free(gr);
    gbdt_bin_free(&bn);
    free(bins);
    free(cols);
    free(raw);
    free(rawv);
    free(g);
    free(h);
    return rc;
}

tide_gbdt *tide_gbdt_fit(const tide_gbdt_opts *o, int64_t n, int d, const float *X, const float *y, const float *w,
                         int64_t nv, const float *Xv, const float *yv, const float *wv)
{
    if (check_opts(o) < 0) return NULL;
    if (n < 1 || d < 1 || !X || !y) {
        tide_errorf("gbdt: X is empty (%lld rows, %d features)", (long long)n, d);
        return NULL;
    }
    if (n > INT32_MAX) {
        tide_errorf("gbdt: %lld rows, at most %d supported", (long long)n, INT32_MAX);
        return NULL;
    }
    if (nv < 0 || (nv > 0 && (!Xv || !yv))) {
        tide_errorf("gbdt: bad validation set");
        return NULL;
    }
    data D = {n, nv, X, y, w, Xv, yv, wv, NULL};
    if (check_labels("y", o->loss, n, y, w, 1) < 0 || (nv && check_labels("valid y", o->loss, nv, yv, wv, 0) < 0))
        return NULL;
    if (!nv && o->validation_fraction > 0 && o->es_rounds > 0) {
        if (holdout(&D, d, o->validation_fraction, o->seed) < 0) return NULL;
        if (check_labels("y (after the validation hold-out)", o->loss, D.n, D.y, D.w, 1) < 0 ||
            check_labels("validation hold-out y", o->loss, D.nv, D.yv, D.wv, 0) < 0) {
            free(D.own);
            return NULL;
        }
    }
    gbdt_pool *pool = gbdt_pool_new(o->threads);
    tide_gbdt *m = pool ? gbdt_model_new(d, o->loss, tide_gbdt_baseline(o->loss, D.n, D.y, D.w)) : NULL;
    if (m && boost(o, &D, d, pool, m) < 0) tide_gbdt_free(m), m = NULL;
    gbdt_pool_free(pool);
    free(D.own);
    return m;
}
