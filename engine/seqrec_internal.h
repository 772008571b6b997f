/* seqrec_internal.h — the score tiles shared by seqrec_score.c and its tests (seqrec_gemm.c).
 * Not part of the public engine API. */
#ifndef TIDE_SEQREC_INTERNAL_H
#define TIDE_SEQREC_INTERNAL_H

#include <stdint.h>

enum { SQ_PANEL = 16, SQ_MR = 8 };
enum { SQ_PLAIN = 0, SQ_AVX2 = 1, SQ_AVX512 = 2 }; /* tile paths, see tide_seqrec_isa */

/* The item table E [I, D] (row stride lde) as panels of 16 items, P[(p D + d) 16 + j] =
 * E[16 p + j, d], zero past I; *npanel (even) panels. 64-byte aligned, free() it. NULL when out
 * of memory. */
float *tide_seqrec_pack(int64_t I, int64_t D, const float *E, int64_t lde, int64_t *npanel);

/* The tile path this machine runs: SQ_AVX512 or SQ_AVX2 (both with fused multiply-add, the same
 * scores) or SQ_PLAIN; the environment variable TIDE_SEQREC_ISA = plain | avx2 caps it. */
int tide_seqrec_isa(void);

/* h · e, summed as the tiles do for the same isa. */
float tide_seqrec_dot(int isa, int64_t D, const float *h, const float *e);

/* S[r, 16 p + j] = H[r, :] · item (16 p + j) for r < nr (a multiple of SQ_MR; H rows contiguous,
 * D floats each) and the np (even) panels starting at P; S has row stride lds. */
void tide_seqrec_tile(int isa, int64_t nr, const float *H, int64_t D, const float *P, int64_t np, float *S,
                      int64_t lds);

#endif
