/* linear.h — sparse L2-regularised linear classifiers for text (binary labels).
 *
 * Solver (linear_dcd.c): dual coordinate descent over a CSR matrix, as in LIBLINEAR —
 *   logistic regression  min_w 1/2 |w|^2 + C sum_i log(1 + exp(-y_i w.x_i))
 *     (Yu, Huang & Lin, "Dual coordinate descent methods for logistic regression and maximum
 *     entropy models", Machine Learning 85, 2011: each dual coordinate is a 1-D Newton solve);
 *   L2-loss SVM          min_w 1/2 |w|^2 + C sum_i max(0, 1 - y_i w.x_i)^2
 *     (Hsieh, Chang, Lin, Keerthi & Sundararajan, "A dual coordinate descent method for
 *     large-scale linear SVM", ICML 2008: a closed-form clipped step per coordinate).
 * The bias is a constant feature of value 1 (regularised, as LIBLINEAR's -B 1).
 *
 * Text model (linear_model.c): features are the hashed unit n-grams of a review (text.h ids
 * without a vocabulary: every unit and n-gram lands in one of `buckets` rows). A feature seen
 * c times weighs t(c) = 1 (binary) or 1 + ln c (sublinear tf), times a per-row scale s_j:
 * the idf ln((1+n)/(1+df_j)) + 1 and/or the naive-Bayes log-count ratio
 * r_j = log((p_j/|p|)/(q_j/|q|)), p, q = 1 + document counts of feature j in the positive /
 * negative reviews (NBSVM: Wang & Manning, "Baselines and bigrams", ACL 2012); then each
 * review is L2-normalised:
 *   x_j = t_j s_j / sqrt(sum_{k in review} t_k^2 s_k^2)    z = b + sum_j w_j x_j, P = sigmoid(z).
 * The model keeps u_j = w_j s_j and q_j = s_j^2 per row (side by side), so scoring a review is one pass
 * over its distinct ids.
 *
 * Views (linear_stack.c): a model may hold up to TIDE_LINEAR_VIEWS feature scalings of the same
 * ids, each with its own (u, q) per row and its own normalisation, and scores
 *   z = b + sum_v (sum_{j in review} t_v(c_j) u_vj) / sqrt(sum_{j in review} t_v(c_j)^2 q_vj):
 * a weighted sum of linear models that tokenize alike, in one pass over the ids (the rows of
 * all views sit side by side, so an id costs one cache miss, not one per member).
 * Files (linear_io.c): "TIDELN01", format word, header, deflated body, CRC-32; written
 * atomically. */
#ifndef TIDE_LINEAR_H
#define TIDE_LINEAR_H

#include <stddef.h>
#include <stdint.h>

#include "text.h"

typedef enum { TIDE_LINEAR_LR = 0, TIDE_LINEAR_SVM = 1 } tide_linear_loss;

typedef struct {
    tide_linear_loss loss;
    double C;        /* > 0: weight of the data term */
    double eps;      /* stop when the largest projected dual gradient is below eps (0.1 typ.) */
    int max_iter;    /* passes over the data */
    uint64_t seed;   /* order of the coordinates within a pass (Philox) */
} tide_linear_opts;

/* Fits w (dim + 1 doubles: dim weights, then the bias) on n rows of a CSR matrix: row i has
 * columns idx[off[i] .. off[i+1]) in [0, dim) with values val[..]; y[i] in {0, 1}. w is
 * overwritten. Returns the number of passes made, or TIDE_ERR with a message (bad options,
 * a label outside {0, 1}, out of memory). Deterministic for a given seed. */
int tide_linear_dcd(const int64_t *off, const int32_t *idx, const float *val, int64_t n,
                    int32_t dim, const int32_t *y, const tide_linear_opts *o, double *w);

typedef struct {
    int tf;  /* 0: binary, 1: sublinear 1 + ln c */
    int idf; /* 1: scaled by the smooth idf */
    int nb;  /* 1: scaled by the NB log-count ratio */
    int min_df; /* rows seen in fewer training reviews are dropped (as sklearn's min_df) */
} tide_linear_feat;

#define TIDE_LINEAR_VIEWS 4

typedef struct {
    uint64_t bits;
    uint64_t rank;
} tide_linear_word;

typedef struct {
    tide_ids_opts ids; /* tokenizer flags, n-gram order, buckets (no vocabulary) */
    int views;         /* 1 .. TIDE_LINEAR_VIEWS */
    tide_linear_feat feat[TIDE_LINEAR_VIEWS];
    int loss;          /* tide_linear_loss it was trained with (SVM scores are margins) */
    float *uq;         /* [buckets][views][2]: u_vj = w_vj s_vj, q_vj = s_vj^2 (0 for rows
                        * unseen in training); interleaved so scoring an id touches one line */
    float bias;
    /* Scoring index (tide_linear_index): the stored rows (some q_vj > 0) packed in row order,
     * found by rank in a bitmap. Ids of unstored rows cost no memory access beyond the bitmap,
     * which stays in cache, and the packed table is several times smaller than uq. */
    tide_linear_word *seen; /* [ceil(buckets / 64)]: bit j % 64 of word j / 64 = row j stored,
                             * and the stored rows before that word (one cache line for both) */
    float *rows;            /* [stored][views][2] */
} tide_linear;

/* linear_rows.c: builds m's scoring index from uq (after training, loading or combining);
 * TIDE_ERR when out of memory. */
int tide_linear_index(tide_linear *m);

/* Trains on n reviews given as ids (text.h ids with vocabulary NULL, in [0, ids->buckets))
 * ids[offsets[i] .. offsets[i+1]), labels in {0, 1}. NULL + message on failure. */
tide_linear *tide_linear_train(const tide_ids_opts *ids, const tide_linear_feat *f, const int32_t *tok,
                               const int64_t *offsets, int64_t n, const int32_t *labels,
                               const tide_linear_opts *o);
void tide_linear_free(tide_linear *m);
/* linear_rows.c: a zeroed uq table of buckets * views * 2 floats, huge-page backed where the
 * system allows (free with free()); NULL when out of memory. */
float *tide_linear_rows_alloc(int64_t buckets, int views);

/* ---- linear_stack.c ---- */
/* The weighted sum b + sum_k a[k] z_k of k models (LR loss, same tokenizer options) as ONE
 * model: views with the same features and the same q (members trained on the same rows) merge
 * into one view (u = sum a_k u_k); NULL + message when they tokenize differently or need more
 * than TIDE_LINEAR_VIEWS views. */
tide_linear *tide_linear_combine(const tide_linear *const *ms, const double *a, int k, double b);

/* A stacked model (Wolpert 1992): the M members (features f[m], solver options o[m]) are
 * each trained on K-1 of the K folds (fold[i] in [0, K)) and score the held-out fold; a
 * logistic regression of the labels on those out-of-fold decision values (glm.h, intercept +
 * M weights, a small ridge) gives the weights; the members refitted on all rows are combined
 * with them (tide_linear_combine). Members train in parallel (text_batch.c threads).
 * weights [M + 1] receives the intercept and the weights, oof_acc [M + 1] (may be NULL) the
 * out-of-fold accuracy of each member and of the stack (its weights fitted on all the
 * out-of-fold rows: slightly optimistic). NULL + message on failure. */
tide_linear *tide_linear_stack(const tide_ids_opts *ids, int M, const tide_linear_feat *f,
                               const tide_linear_opts *o, const int32_t *tok, const int64_t *offsets,
                               int64_t n, const int32_t *labels, const int32_t *fold, int K,
                               double *weights, double *oof_acc);

/* The decision value z of one review's ids (any order, repeats counted); 0-length -> bias.
 * NAN only when out of memory for a review of more than 512 ids. */
double tide_linear_score_ids(const tide_linear *m, const int32_t *ids, int64_t n);

/* Scores n raw texts into z[n] on several threads (text_batch.c); results do not depend on
 * the thread count. TIDE_ERR naming the failing text. */
int tide_linear_score_batch(const tide_linear *m, const char *const *texts, const size_t *lens,
                            int64_t n, double *z);

/* Per-unit contributions to z for one text: each distinct id adds t(c) u_j / norm, shared
 * equally among its c occurrences and the units each occurrence's n-gram covers. They sum with the bias to z.
 * *contrib is malloc'd with one float per unit of scratch (caller frees). Returns the number
 * of units or TIDE_ERR. */
int64_t tide_linear_explain(const tide_linear *m, const char *s, size_t len, tide_units *scratch,
                            float **contrib);

/* Files and in-memory bytes (linear_io.c). encode returns a NEW malloc'd buffer of *n bytes;
 * parse copies what it needs. Truncated, corrupt or foreign bytes give NULL and a message
 * naming `name` (NULL: "(memory)"). load(save(m)) scores bit-identically. */
unsigned char *tide_linear_encode(const tide_linear *m, const char *name, size_t *n);
tide_linear *tide_linear_parse(const void *buf, size_t n, const char *name);
int tide_linear_save(const tide_linear *m, const char *path);
tide_linear *tide_linear_load(const char *path);

#endif
