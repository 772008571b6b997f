/* seqrec_internal.h — the score tiles shared by seqrec_score.c and its tests (seqrec_gemm.c).
 * Not part of the public engine API. */
#ifndef TIDE_SEQREC_INTERNAL_H
#define TIDE_SEQREC_INTERNAL_H

#include <stdint.h>

enum { SQ_PANEL = 16, SQ_MR = 8 };
enum { SQ_PLAIN = 0, SQ_AVX2 = 1, SQ_AVX512 = 2, SQ_BF16 = 3 }; /* tile paths, see tide_seqrec_isa */

/* The item table E [I, D] (row stride lde) as panels of 16 items, P[(p D + d) 16 + j] =
 * E[16 p + j, d], zero past I; *npanel (even) panels. 64-byte aligned, free() it. NULL when out
 * of memory. */
float *tide_seqrec_pack(int64_t I, int64_t D, const float *E, int64_t lde, int64_t *npanel);

/* The tile path this machine runs: SQ_BF16 (the AVX-512 tiles behind a bf16 first pass, the same
 * results), SQ_AVX512 or SQ_AVX2 (both with fused multiply-add, the same scores) or SQ_PLAIN; the
 * environment variable TIDE_SEQREC_ISA = plain | avx2 | avx512 caps it (avx512: exact tiles only). */
int tide_seqrec_isa(void);

/* h · e, summed as the tiles do for the same isa. */
float tide_seqrec_dot(int isa, int64_t D, const float *h, const float *e);

/* S[r, 16 p + j] = H[r, :] · item (16 p + j) for r < nr (a multiple of SQ_MR; H rows contiguous,
 * D floats each) and the np (even) panels starting at P; S has row stride lds. */
void tide_seqrec_tile(int isa, int64_t nr, const float *H, int64_t D, const float *P, int64_t np, float *S,
                      int64_t lds);


/* ---- seqrec_bf16.c: the approximate first pass (AVX512_BF16) ---- */
/* 1 when this CPU has AVX-512F and AVX512_BF16. */
int tide_seqrec_have_bf16(void);
/* n rows of D floats (row stride ldx, all finite) as bf16 pairs, rounded to nearest even:
 * out[r, k] = bf16(x[r, 2k]) | bf16(x[r, 2k+1]) << 16 (0 past D), ceil(D/2) words per row. */
void tide_seqrec_bf16_rows(int64_t n, int64_t D, const float *x, int64_t ldx, uint32_t *out);
/* E as np panels of 16 items in bf16 pairs, Pb[(p D2 + k) 16 + j] = item perm[16 p + j] (NULL:
 * the identity); 64-byte aligned, NULL when out of memory. */
uint32_t *tide_seqrec_pack_bf16(int64_t I, int64_t D, const float *E, int64_t lde, int64_t np, const int32_t *perm);
/* The 2-norms of x [D] and of x - bf16(x). */
void tide_seqrec_bf16_norms(int64_t D, const float *x, double *norm, double *err);
/* B such that |bf16 score - fp32 score| <= B for a state with norms (as tide_seqrec_bf16_norms)
 * <= hn, hd and an item with norms <= en, ed (the derivation is at the top of seqrec_bf16.c). */
double tide_seqrec_bf16_bound(int64_t D, double hn, double hd, double en, double ed);
/* As tide_seqrec_tile, from bf16 rows H [nr, D2] and bf16 panels: approximate scores. */
void tide_seqrec_tile_bf16(int64_t nr, const uint32_t *H, int64_t D2, const uint32_t *P, int64_t np, float *S,
                           int64_t lds);
/* tide_seqrec_tile_bf16 with the scan of one target per row fused in (no scores stored): row r's
 * band [dn[r], up[r]] (+inf, +inf: none) and top-K cut kc[r] (+inf: none); cnt[r] += #{items i < n
 * with a > up[r]}; bits[r ldb + q] = the mask of panel q's items i < n with dn[r] <= a <= up[r],
 * kbits[r ldb + q] those with a >= kc[r]; bit q of any[r] (zeroed by the caller; np <= 64) is set
 * when either is not empty. */
void tide_seqrec_tile_bf16_scan(int64_t nr, const uint32_t *H, int64_t D2, const uint32_t *P, int64_t np, int64_t n,
                                const float *up, const float *dn, const float *kc, int64_t *cnt, uint16_t *bits,
                                uint16_t *kbits, int64_t ldb, uint64_t *any);
/* One row of approximate scores a[0..n): for each target t, cnt[t] += #{i: a[i] > up[t]}; returns
 * m and the offsets idx[0..m) (increasing; idx holds n + 16 words) of the items neither above up[t] nor below dn[t] for
 * some t, or >= kcut: those need their exact score. */
int64_t tide_seqrec_bf16_scan(const float *a, int64_t n, const float *up, const float *dn, int64_t nt, float kcut,
                              int32_t *idx, int64_t *cnt);
/* out[k] = h . E[idx[k], :] (D floats, row stride lde) for k < m, bitwise tide_seqrec_dot's (and
 * so the AVX-512 tile's) score. */
void tide_seqrec_exact_items(const float *h, int64_t D, const float *E, int64_t lde, const int32_t *idx, int64_t m,
                             float *out);

/* out[k] = H[u, :] . E[idx[k], :] for start[u] <= k < start[u + 1], u < nu (H rows of D floats,
 * E rows of stride lde), bitwise tide_seqrec_dot's scores. */
void tide_seqrec_exact_rows(const float *H, int64_t D, const float *E, int64_t lde, const int64_t *start, int64_t nu,
                            const int32_t *idx, float *out);

#endif
