/* quant.h — compressed weight tables for scoring: per-row int8 quantisation and magnitude
 * pruning to a sparse (CSR) table.
 *
 * int8 rows (the scheme fastText model files use for their rows, engine/fasttext_rows.c):
 * row r is stored as codes q[r, :] in -127..127 and one f32 scale s_r = max_j |w[r, j]| / 127,
 * w ≈ s_r · q (symmetric, round to nearest; Jacob et al. 2018 §2 with a zero point of 0, one
 * scale per output row as in per-channel quantisation). Error per entry <= s_r / 2.
 * Pruning (Han et al. 2015, "Learning both weights and connections"): the entries of smallest
 * magnitude are set to zero, the rest kept exactly; the CSR form stores only the kept ones.
 *
 * Scoring kernels compute out[b, r] = Σ_j x[b, j] · w[r, j] (+ bias[r]) — the item scores of a
 * dot-product recommender (x = user vectors, w = item table) or a linear layer (x W^T + b). */
#ifndef TIDE_QUANT_H
#define TIDE_QUANT_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    int64_t rows, cols;
    int8_t *q;    /* [rows, cols] codes, owned */
    float *scale; /* [rows], owned */
} tide_qrows;

/* Quantises the row-major f32 table w [rows, cols]; NULL + error on OOM or a non-finite entry. */
tide_qrows *tide_qrows_new(const float *w, int64_t rows, int64_t cols);
void tide_qrows_free(tide_qrows *q);
/* out [rows, cols] <- s_r · q[r, :] */
void tide_qrows_dequant(const tide_qrows *q, float *out);
/* out [B, rows] <- x [B, cols] · dequant(q)^T (+ bias [rows] if non-NULL). Small B: an int8
 * dot per (b, r), reading each code once per user (memory-bound case); larger B: blocks of
 * rows are dequantised into a scratch and multiplied with sgemm. TIDE_ERR on OOM. */
int tide_qrows_scores(const tide_qrows *q, const float *x, int64_t B, const float *bias, float *out);
/* Bytes of codes + scales. */
size_t tide_qrows_bytes(const tide_qrows *q);

typedef struct {
    int64_t rows, cols, nnz;
    int64_t *off;  /* [rows + 1] */
    int32_t *col;  /* [nnz] */
    float *val;    /* [nnz] */
} tide_qsparse;

/* |w| threshold that zeroes a fraction `frac` (0..1) of the n entries: the k-th smallest
 * magnitude, k = floor(frac · n) (0 when k = 0). Ties at the threshold are pruned too. */
int tide_prune_threshold(const float *w, int64_t n, double frac, float *threshold);
/* out [n] <- w with every |w| <= threshold set to 0 (threshold < 0: copy); returns kept count. */
int64_t tide_prune_apply(const float *w, int64_t n, float threshold, float *out);
/* CSR of the non-zero entries of w [rows, cols]; NULL + error on OOM. */
tide_qsparse *tide_qsparse_new(const float *w, int64_t rows, int64_t cols);
void tide_qsparse_free(tide_qsparse *s);
/* out [B, rows] <- x [B, cols] · w^T (+ bias) over the stored entries only. */
void tide_qsparse_scores(const tide_qsparse *s, const float *x, int64_t B, const float *bias, float *out);
size_t tide_qsparse_bytes(const tide_qsparse *s);

#endif
