/* gbdt.h — histogram gradient-boosted decision trees (binary logistic or squared loss).
 *
 * The algorithm of LightGBM (Ke et al., "LightGBM: A Highly Efficient Gradient Boosting
 * Decision Tree", NIPS 2017) and scikit-learn's HistGradientBoosting: features are cut into
 * at most max_bins quantile bins (NaN = missing gets a bin of its own), each tree is grown
 * leaf-wise (best gain first) from per-leaf gradient/hessian histograms, the larger child's
 * histogram is the parent's minus the smaller child's, split gains and leaf values are the
 * second-order ones of XGBoost (Chen & Guestrin, KDD 2016, eqs. 5 and 7) with an L2 penalty,
 * and each tree is one shrunken Newton step of Friedman's gradient boosting (Friedman, "Greedy
 * function approximation", Ann. Statist. 2001).
 *
 * A fitted model is plain arrays: every node of every tree in one flat table, children after
 * their parent. Thresholds are raw float values (a row goes left when x <= thr, NaN follows the
 * node's learned default direction), so prediction needs no binning and is exact on any X.
 *
 * Threads: histograms, gradients, binning and prediction run on a small pool (TIDE_THREADS if
 * set, else the online CPUs, at most 8). Work is cut into pieces that do not depend on the
 * thread count and partial sums are added in a fixed order, so a fit is bit-identical for any
 * number of threads. */
#ifndef TIDE_GBDT_H
#define TIDE_GBDT_H

#include <stdint.h>

typedef enum { TIDE_GBDT_LOGISTIC = 0, TIDE_GBDT_SQUARED = 1 } tide_gbdt_loss;

typedef struct {
    tide_gbdt_loss loss;
    int n_trees;             /* boosting rounds (the most kept with early stopping) */
    int max_depth;           /* 0: unlimited */
    int max_leaves;          /* >= 2 */
    int max_bins;            /* non-missing bins per feature, 2..255 */
    double learning_rate;    /* shrinkage, > 0 (typically 0.01..0.3) */
    double l2;               /* L2 penalty on leaf values, >= 0 */
    double min_child_weight; /* least hessian sum in a child, >= 0 */
    int64_t min_samples_leaf;/* least rows in a child, >= 1 */
    double min_split_gain;   /* a split must gain strictly more, >= 0 */
    int es_rounds;           /* early stopping patience on the validation loss; 0: off */
    double es_tol;           /* an improvement must exceed this (absolute) */
    double validation_fraction; /* held out (seeded) when no validation set is given; 0: none */
    int64_t bin_sample;      /* rows (seeded sample) used to find bin edges */
    uint64_t seed;
    int threads;             /* 0: TIDE_THREADS or the online CPUs */
} tide_gbdt_opts;

/* The defaults: logistic, 200 trees, depth 6, 31 leaves, 255 bins, lr 0.1, l2 0,
 * min_child_weight 1e-3, min_samples_leaf 20, min_split_gain 0, early stopping off
 * (es_rounds 0, es_tol 1e-7), no validation fraction, bin_sample 200000, seed 0, threads 0. */
void tide_gbdt_opts_default(tide_gbdt_opts *o);

typedef struct {
    int d;                   /* features */
    tide_gbdt_loss loss;
    double baseline;         /* raw score before the first tree */
    int n_trees;
    int64_t *tree_off;       /* [n_trees + 1] node ranges */
    int64_t n_nodes;
    int32_t *feat;           /* [n_nodes] split feature, -1 at a leaf */
    float *thr;              /* split threshold: left when x <= thr (may be +inf) */
    uint8_t *miss_left;      /* NaN goes left */
    int32_t *left, *right;   /* absolute child ids (> the node's), -1 at a leaf */
    float *value;            /* leaf value, shrinkage included (0 at internal nodes) */
    float *gain;             /* split gain (0 at a leaf), for importance */
    /* fit record, not saved */
    int n_iter;              /* trees grown before stopping (>= n_trees) */
    double *valid_loss;      /* [n_iter + 1] validation loss after 0..n_iter trees, or NULL */
    int64_t node_cap;        /* allocated node slots */
    int tree_cap;            /* allocated tree_off slots - 1 */
} tide_gbdt;

/* Fits a model on n rows of d features (X row-major [n, d], NaN = missing), labels y [n] (0/1
 * for logistic, real for squared), optional non-negative weights w [n]. The validation set is
 * Xv (nv rows, labels yv, weights wv or NULL) or, when nv == 0, o->validation_fraction > 0 and
 * o->es_rounds > 0, a seeded hold-out of the rows. Its loss is recorded after every round;
 * with o->es_rounds > 0, boosting stops after es_rounds rounds without an improvement larger
 * than es_tol and the model keeps the best number of trees (possibly 0: the baseline alone).
 * NEW model, or NULL + a message naming the problem (bad option, empty X, NaN or non-0/1
 * labels, a single class, bad weights). */
tide_gbdt *tide_gbdt_fit(const tide_gbdt_opts *o, int64_t n, int d, const float *X, const float *y,
                         const float *w, int64_t nv, const float *Xv, const float *yv, const float *wv);

/* Raw scores (raw = 1) or predictions (probabilities for logistic) of n rows X [n, d] into
 * out [n]; sums in double, in tree order, then rounds once to float. TIDE_ERR on bad args. */
int tide_gbdt_predict(const tide_gbdt *m, int64_t n, const float *X, int raw, float *out, int threads);

/* Total split gain per feature, normalised to sum 1 (all 0 if the model has no split). */
void tide_gbdt_importance(const tide_gbdt *m, double *out /* [d] */);

/* A model from its arrays (copied), every index and value checked (trees of consecutive node
 * ranges, children after parents inside their tree, features < d, finite leaf values).
 * NEW model or NULL + message. */
tide_gbdt *tide_gbdt_from_arrays(int d, tide_gbdt_loss loss, double baseline, int n_trees,
                                 const int64_t *tree_off, const int32_t *feat, const float *thr,
                                 const int32_t *miss_left, const int32_t *left, const int32_t *right,
                                 const float *value, const float *gain);

void tide_gbdt_free(tide_gbdt *m); /* NULL-safe */

/* ---- losses, exposed for tests: per-row gradient and hessian of the loss in the raw score
 * (times the weight, w NULL = 1) and the weighted mean loss. Logistic: log(1 + e^r) - y r;
 * squared: (r - y)^2 / 2. */
void tide_gbdt_grad(tide_gbdt_loss loss, int64_t n, const double *raw, const float *y, const float *w,
                    float *g, float *h);
double tide_gbdt_loss_value(tide_gbdt_loss loss, int64_t n, const double *raw, const float *y, const float *w);
/* The constant raw score minimising the loss: log-odds of the weighted mean (logistic) or the
 * weighted mean (squared). */
double tide_gbdt_baseline(tide_gbdt_loss loss, int64_t n, const float *y, const float *w);

#endif
