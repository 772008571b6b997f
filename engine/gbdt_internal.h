/* gbdt_internal.h — the pieces of the GBDT fit shared between its files: the thread pool
 * (gbdt_pool.c), feature binning (gbdt_bin.c), histograms (gbdt_hist.c), split search
 * (gbdt_split.c) and leaf-wise tree growth (gbdt_tree.c). Not part of the public API. */
#ifndef TIDE_GBDT_INTERNAL_H
#define TIDE_GBDT_INTERNAL_H

#include <stdint.h>

#include "gbdt.h"

/* ---- pool: runs ntasks independent tasks fn(ctx, t) on the calling thread plus workers.
 * Which thread runs a task never changes its result, so callers that give every task its own
 * output stay deterministic for any thread count. */
typedef struct gbdt_pool gbdt_pool;
int gbdt_threads(int requested);               /* 0: TIDE_THREADS or online CPUs; 1..8 */
gbdt_pool *gbdt_pool_new(int threads);         /* NULL + message on failure */
/* parallel == 0 runs everything here (small jobs: waking workers costs more). */
void gbdt_pool_run(gbdt_pool *p, int ntasks, void (*fn)(void *ctx, int t), void *ctx, int parallel);
void gbdt_pool_free(gbdt_pool *p);             /* NULL-safe */
int gbdt_pool_threads(const gbdt_pool *p);     /* threads including the caller (NULL: 1) */

/* ---- bins: feature f's non-missing values fall in bins 0..n_bins[f]-1 with upper edges
 * edges[f * max_bins + b] (x <= edge, strictly increasing); NaN goes to bin max_bins. */
typedef struct {
    int d, max_bins;
    int *n_bins;   /* [d], >= 1 */
    float *edges;  /* [d * max_bins] (the first n_bins[f] - 1 used) */
} gbdt_binner;

/* Edges from a seeded sample of at most `sample` rows (all rows when n <= sample). */
int gbdt_bin_fit(gbdt_binner *b, gbdt_pool *p, int64_t n, int d, const float *X, int max_bins,
                 int64_t sample, uint64_t seed);
/* The bins of X [n, d], one byte per value, twice: rows [n][d] (histograms read a row's bins
 * together) and cols [d][n] (a split reads one feature of a leaf's rows). */
void gbdt_bin_apply(const gbdt_binner *b, gbdt_pool *p, int64_t n, const float *X, uint8_t *rows, uint8_t *cols);
void gbdt_bin_free(gbdt_binner *b);
/* The bin of one value (exposed for tests). */
int gbdt_bin_of(const gbdt_binner *b, int f, float x);

/* ---- histograms: per feature, stride max_bins + 1 entries (the last is the missing bin). */
typedef struct {
    double g, h;
    int64_t n;
} gbdt_stat;

typedef struct {
    int d, stride;             /* stride = max_bins + 1 */
    int64_t n;                 /* training rows */
    const uint8_t *bins;       /* [n][d] */
    const float *g, *h;        /* [n] gradients, hessians (weights folded in) */
    gbdt_stat *partial;        /* scratch for row-chunk partial histograms */
    int64_t partial_cap;       /* entries */
    int64_t *all_counts;       /* [d * stride] row counts of the whole data (NULL until built) */
    int unit_hessian;          /* every h is 1 (squared loss, no weights): counts are the h sums */
    gbdt_pool *pool;
} gbdt_hist_ctx;

/* hist [d * stride] of the m rows idx (ascending; NULL = all rows 0..m-1, in order). */
int gbdt_hist_build(gbdt_hist_ctx *c, const int32_t *idx, int64_t m, gbdt_stat *hist);
/* big -= small, entry by entry (big becomes the sibling's histogram). */
void gbdt_hist_subtract(gbdt_stat *big, const gbdt_stat *small, int64_t entries);

/* ---- split search */
typedef struct {
    double gain;      /* > 0 when valid */
    int feat, bin;    /* non-missing bins <= bin go left */
    int miss_left;
    float thr;        /* raw threshold (+inf when every non-missing value goes left) */
    gbdt_stat l, r;   /* child totals */
} gbdt_split;

typedef struct {
    double l2, min_child_weight, min_split_gain;
    int64_t min_samples_leaf;
} gbdt_split_opts;

/* Best split of a node with totals `tot` and histogram `hist`; gain 0 and feat -1 if none
 * passes the constraints. Ties go to the lowest feature, then missing-right, then lowest bin. */
gbdt_split gbdt_split_find(const gbdt_binner *b, gbdt_pool *p, const gbdt_split_opts *o, const gbdt_stat *hist,
                           gbdt_stat tot, int parallel);
/* The L2-penalised loss reduction 0.5 (GL²/(HL+λ) + GR²/(HR+λ) - G²/(H+λ)) (XGBoost eq. 7). */
double gbdt_split_gain(gbdt_stat l, gbdt_stat r, double l2);

/* ---- one tree, grown leaf-wise into the model's node arrays; adds each leaf value to the
 * raw scores of its rows. */
typedef struct gbdt_grower gbdt_grower;
gbdt_grower *gbdt_grower_new(const tide_gbdt_opts *o, const gbdt_binner *b, gbdt_pool *p, int64_t n, int d,
                             const uint8_t *bins, const uint8_t *cols, int unit_hessian);
int gbdt_grower_grow(gbdt_grower *gr, const float *g, const float *h, tide_gbdt *m, double *raw);
void gbdt_grower_free(gbdt_grower *gr);

/* ---- model arrays (gbdt_model.c) */
/* NEW empty model, or NULL + message. */
tide_gbdt *gbdt_model_new(int d, tide_gbdt_loss loss, double baseline);
/* Appends one node to m (growing its arrays); its id, or -1 on out of memory. */
int64_t gbdt_model_add_node(tide_gbdt *m);
/* Closes the tree made of the nodes added since the previous tree. */
int gbdt_model_end_tree(tide_gbdt *m);
/* raw[i] += tree k's value on row i of X [n, d]. */
void gbdt_model_add_tree(const tide_gbdt *m, int k, gbdt_pool *p, int64_t n, const float *X, double *raw);

#endif
