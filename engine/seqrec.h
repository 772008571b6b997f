/* seqrec.h — evaluation kernels for sequential recommenders that score only what is asked.
 *
 * The sampled protocol (a target against n_neg uniformly drawn unseen items, as in the SASRec
 * paper) used to need a full [B, I] score matrix, as slow as full ranking. Here the candidates
 * are drawn first — the same draws, in the same order, as tide_rank_sampled (metrics.c), so
 * both paths give identical ranks — and the model scores just those 1 + n_neg items per target.
 * Item ids are 0-based here. */
#ifndef TIDE_SEQREC_H
#define TIDE_SEQREC_H

#include <stdint.h>

/* For each target p of the B rows (CSR tgt_off [B+1], tgt), cand[p, 0] = the target and
 * cand[p, 1..n_neg] = negatives drawn without replacement from the items neither seen nor a
 * target of the row, with the Philox stream (seed, (user_base + b) << 24). When fewer than
 * n_neg such items exist all are used and the rest of the row is -1. flags[p] = 1 when the
 * target was already seen (it then counts as a miss). cand [tgt_off[B], 1 + n_neg]. */
int tide_seqrec_candidates(int64_t B, int64_t I, const int64_t *seen_off, const int32_t *seen,
                           const int64_t *tgt_off, const int32_t *tgt, int n_neg, uint64_t seed,
                           int64_t user_base, int32_t *cand, uint8_t *flags);

/* Rank of column 0 among the valid (>= 0) candidates of each of the N rows of scores [N, C]
 * (row stride ld): the candidates with a higher score, or an equal score and a lower id
 * (tide_rank_targets' tie rule). flags[p] set: rank = I (a seen target is a miss). Error on a
 * NaN target score. */
int tide_seqrec_rank_candidates(int64_t N, int64_t C, const float *scores, int64_t ld, const int32_t *cand,
                                const uint8_t *flags, int64_t I, int64_t *rank);

/* out[n, c] = h[n, :] · table[cand[n, c], :] for N rows of C candidate ids (0-based; < 0: the
 * score is 0); h [N, D] and table [R, D] row-major with leading dimensions ldh, ldt. The
 * sampled protocol's scores without gathering an [N, C, D] copy of the table. Error on an id
 * >= R. */
int tide_seqrec_dot_rows(int64_t N, int64_t C, int64_t D, const float *h, int64_t ldh, const float *table,
                         int64_t ldt, int64_t R, const int32_t *cand, float *out);

/* Fused full-ranking evaluation (seqrec_score.c): scores are h[b] · E[i] for the B user states
 * H [B, D] (row stride ldh) and the I items of E [I, D] (row stride lde), computed tile by tile
 * and never stored. rank [tgt_off[B]] gets each target's 0-based rank among the user's
 * candidates, exactly as tide_rank_targets (metrics.h) over that score matrix: all items but the
 * user's distinct seen ones, ties by lower id, a seen target = I. items [B, K] (and vals, may be
 * NULL) get the top-K candidates best first, as tide_metrics_topk (-1 / NaN pad short lists).
 * tgt may be NULL (no ranks), K may be 0 (no lists), seen may be NULL (no exclusion); offsets
 * start at 0. Threads as metrics.h (TIDE_THREADS); results do not depend on their count. Each
 * score is one fixed-order dot product (fused multiply-adds where AVX-512 runs, as OpenBLAS's
 * kernels). Error on a NaN target score or an id outside [0, I). */
int tide_seqrec_rank_topk(int64_t B, int64_t D, const float *H, int64_t ldh, int64_t I, const float *E,
                          int64_t lde, const int64_t *seen_off, const int32_t *seen, const int64_t *tgt_off,
                          const int32_t *tgt, int64_t *rank, int K, int32_t *items, float *vals);

/* The same evaluation on background threads: start checks the arguments and returns at once
 * with *run set (NULL on error); the caller may work meanwhile (e.g. compute the next block's
 * states) but must leave every argument alive and unchanged until wait, which joins the
 * threads, frees run and returns the status (a NaN target error shows here). Results are
 * those of tide_seqrec_rank_topk, bitwise. */
typedef struct tide_seqrec_run tide_seqrec_run;
int tide_seqrec_rank_topk_start(int64_t B, int64_t D, const float *H, int64_t ldh, int64_t I, const float *E,
                                int64_t lde, const int64_t *seen_off, const int32_t *seen, const int64_t *tgt_off,
                                const int32_t *tgt, int64_t *rank, int K, int32_t *items, float *vals,
                                tide_seqrec_run **run);
int tide_seqrec_rank_topk_wait(tide_seqrec_run *run);

/* As tide_seqrec_rank_topk_start, with only the first `ready` rows of H holding states yet: the
 * caller fills the rest in order and announces each new prefix with tide_seqrec_run_ready(run, n)
 * (n never decreasing, at most B); the threads rank every block of users as soon as its states
 * are in, so computing the states overlaps the ranking from the first block on. Waiting before
 * all B are in stops the run with an error. */
int tide_seqrec_rank_topk_start_rows(int64_t B, int64_t D, const float *H, int64_t ldh, int64_t I, const float *E,
                                     int64_t lde, const int64_t *seen_off, const int32_t *seen, const int64_t *tgt_off,
                                     const int32_t *tgt, int64_t *rank, int K, int32_t *items, float *vals,
                                     int64_t ready, tide_seqrec_run **run);
int tide_seqrec_run_ready(tide_seqrec_run *run, int64_t n);

/* Inference-only attention of one query per row (seqrec_attn.c): out[b] [D] = softmax over the
 * keys j with mask[b, j] != 0 (mask may be NULL) of q[b]·k[b, j] / sqrt(D / H), per head of
 * D / H columns, times v[b, j]; q [B, D], kv [B, S, 2D] = keys then values of each position
 * (MultiheadAttention's fused projection); a row without a visible key gets zeros. */
int tide_seqrec_last_attention(int64_t B, int64_t S, int64_t D, int64_t H, const float *q, const float *kv,
                               const uint8_t *mask, float *out);

/* The tape-free input layer (seqrec_embed.c): out [B, T, D] = table[ids] * scale + the last T
 * rows of pos [P, D]; ids [B, T] are rows of table [R, D] (0-based). Error on an id outside
 * [0, R) or T > P. */
int tide_seqrec_embed(int64_t B, int64_t T, int64_t D, const float *table, int64_t R, const int32_t *ids,
                      float scale, const float *pos, int64_t P, float *out);

/* OpenBLAS's thread count before the call; n >= 1 sets it (evaluation runs the states' sgemms
 * on one thread while the fused kernel occupies the cores). -1 when the BLAS is not OpenBLAS. */
int tide_seqrec_blas_threads(int n);

#endif
