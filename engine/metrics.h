/* metrics.h — evaluation metrics computed in C over all users.
 *
 * Ranking (metrics.c). A block of B users has a score matrix [B, I] (row-major, leading
 * dimension ld >= I), the items each user has already seen (CSR: seen_off [B+1], seen ids) and
 * the held-out targets (CSR: tgt_off [B+1], tgt ids). Item ids are 0-based here. ld may be 0
 * (every row is the same vector, e.g. popularity broadcast over users). Rows are split across
 * threads (TIDE_THREADS, default the online CPUs); results do not depend on the thread count.
 * Full ranking: a target's rank is the number of CANDIDATE items placed before it, where the
 * candidates are all items except the user's seen ones. A target the user has already seen is
 * excluded with them and counts as a miss (rank I): leaving it as the only seen item among the
 * candidates would leak which item is held out to any model that ranks the history high. To
 * evaluate repeat consumption, pass no seen list (no exclusion). Ties are broken by the lower
 * item id, the same rule tide_metrics_topk uses, so rank < K  <=>  the target is in the
 * top-K list.
 * Sampled protocol (tide_rank_sampled): the rank among n_neg uniformly drawn unseen negatives.
 * It exists only to compare with papers that report it; it overstates quality.
 *
 * Classification and beyond-accuracy metrics: metrics_cls.c. */
#ifndef TIDE_METRICS_H
#define TIDE_METRICS_H

#include <stdint.h>

/* rank [tgt_off[B]] (0-based). seen may be NULL (no exclusion). Error on a NaN target score or
 * an id outside [0, I). */
int tide_rank_targets(int64_t B, int64_t I, const float *scores, int64_t ld, const int64_t *seen_off,
                      const int32_t *seen, const int64_t *tgt_off, const int32_t *tgt, int64_t *rank);

/* Same, against n_neg negatives per target drawn without replacement from the user's unseen
 * non-target items with the counter-based RNG (seed, user_base + b): deterministic. */
int tide_rank_sampled(int64_t B, int64_t I, const float *scores, int64_t ld, const int64_t *seen_off,
                      const int32_t *seen, const int64_t *tgt_off, const int32_t *tgt, int n_neg,
                      uint64_t seed, int64_t user_base, int64_t *rank);

/* Accumulates per-user metrics from target ranks. For each of the nk cutoffs in ks, adds into
 * sums[j*6 + m] the user's m = 0 HR@K, 1 NDCG@K, 2 Recall@K, 3 Precision@K, 4 MAP@K (AP@K with
 * normaliser min(|T|, K)), 5 MRR (uncut, same for every K). Users without targets are
 * skipped; *n_users gets the count used. A target listed twice for a user counts once. */
int tide_rank_metrics(int64_t B, const int64_t *tgt_off, const int64_t *rank, int nk, const int *ks,
                      double *sums, int64_t *n_users);

/* Top-K per row, highest score first, ties by lower id, seen excluded (seen may be NULL).
 * items [B, K] (−1 pads rows with fewer than K candidates), vals [B, K] (may be NULL). */
int tide_metrics_topk(int64_t B, int64_t I, const float *scores, int64_t ld, const int64_t *seen_off,
              const int32_t *seen, int K, int32_t *items, float *vals);

/* Ranks (as tide_rank_targets) and top-K lists (as tide_metrics_topk) in one pass over each
 * row of scores. */
int tide_rank_topk(int64_t B, int64_t I, const float *scores, int64_t ld, const int64_t *seen_off,
                   const int32_t *seen, const int64_t *tgt_off, const int32_t *tgt, int64_t *rank, int K,
                   int32_t *items, float *vals);

/* ---- metrics_cls.c ---- */
/* AUC = P(score of a random positive > a random negative), ties counting 1/2 (Mann-Whitney
 * with mid-ranks). y in {0,1}. NaN if one class is empty. */
double tide_auc(int64_t n, const float *score, const float *y);
/* Mean binary cross-entropy of probabilities p (clipped to [eps, 1-eps], eps = 1e-15). */
double tide_log_loss(int64_t n, const float *p, const float *y);
/* Confusion at threshold thr (predict 1 iff p >= thr): out = {accuracy, precision, recall, F1,
 * tp, fp, tn, fn}; precision/recall/F1 are 0 when undefined. */
void tide_binary_scores(int64_t n, const float *p, const float *y, double thr, double out[8]);
/* Expected calibration error with n_bins equal-width bins on [0, 1]:
 * Σ_b (n_b / n) |mean(y)_b − mean(p)_b|. */
double tide_ece(int64_t n, const float *p, const float *y, int n_bins);

/* Average precision, sklearn's average_precision_score: sum over thresholds (each distinct
 * score, highest first) of (R_k - R_{k-1}) P_k, no interpolation. NaN without positives. */
double tide_average_precision(int64_t n, const float *score, const float *y);
/* Top k = ceil(k_frac n) rows by score (a tie group cut by the boundary contributes its
 * positives pro rata: the expectation under random tie-breaking). out = {lift = precision@k /
 * base rate, precision@k, share of all positives captured}; lift is NaN without positives. */
int tide_lift_at(int64_t n, const float *score, const float *y, double k_frac, double out[3]);
/* Cumulative gain: after each group of tied scores (highest first), frac = rows targeted / n and
 * captured = positives among them / all positives; starts at (0, 0). frac and captured need
 * room for n + 1 entries; returns the count written, or TIDE_ERR. */
int64_t tide_gain_curve(int64_t n, const float *score, const float *y, double *frac, double *captured);

/* ---- metrics_calib.c ---- */
/* Brier score: mean (p - y)^2. */
double tide_brier(int64_t n, const float *p, const float *y);
/* Reliability diagram with nb bins: edges [nb + 1] are uniform on [0, 1] or, with quantile,
 * numpy percentiles of p; a probability goes to the bin whose interior edges below it are
 * strictly below it (bins (lo, hi], the first one closed), as sklearn's calibration_curve.
 * stats [nb * 3] = per bin {count, sum of p, sum of y}. */
int tide_reliability(int64_t n, const float *p, const float *y, int nb, int quantile, double *edges, double *stats);

/* Beyond accuracy over top-K lists items [B, K] (−1 = empty slot):
 * coverage = distinct recommended items / n_items;
 * novelty  = mean over recommended slots of −log2(max(pop_i, 1) / n_pop_users), pop = number of
 *            training users who interacted with i;
 * ild      = mean over lists of mean pairwise dissimilarity: 1 − cos(e_a, e_b) with item
 *            embeddings emb [n_items, d] if given, else [cat_a != cat_b] with item categories. */
int tide_beyond_accuracy(int64_t B, int K, const int32_t *items, int64_t n_items, const float *pop,
                         double n_pop_users, const float *emb, int64_t d, const int32_t *cat,
                         double out[3]);

#endif
